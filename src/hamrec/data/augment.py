"""On-the-fly augmentation of training recordings, a whole batch at a time.

Every transform works on a :class:`~hamrec.data.sequence.SequenceBatch` with array operations
— one random draw per recording, applied to the recordings it fires on — so that a batch of 64
costs a few array passes instead of 64 Python loops (on keypoints the data side used to cost
more than the model). The random numbers come from one explicit ``np.random.Generator``, so a
batch is a pure function of its seed. Augmentation happens only on training samples, after
the split, one random version each time a sample is drawn.

Each transform fires on a recording with its probability in :class:`AugmentConfig`; amounts
are those of one recording on its own: rotations up to 12°, x/y scale and shear up to 10 %,
camera shifts up to 5 % and noise of 2 % of the recording's spread per coordinate, glove
calibration offsets up to two channel spreads (:data:`CALIBRATION_OFFSET`), gains of a log-normal factor (σ 0.2)
and up to :data:`STUCK_SENSORS` sensors stuck at their floor for a whole recording, time
stretched by 0.8–1.25, a crop keeping 85–100 % of the frames, 10 % of frames dropped, and one
hand hidden for up to 30 % of the frames.

Calibration changes (offsets, gains, stuck sensors) model independent sensors: they apply to
gloves, SMPL-X parameters and NumPy arrays of channels, (T, F). A NumPy array of points,
(T, P, D ≥ 2) — keypoints a user extracted themselves — gets time changes and noise only: moving
each coordinate of each point on its own tears the shape the points make apart, and hamrec does
not know which of its dims are x and y to move the points as a camera would. On dgs11's hands
saved as such arrays, calibration changes cost 3-5 of 179 test recordings per seed (BENCHMARKS.md,
session 24).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from ..nanstats import RunningStats, nanmean, nanstd
from .formats import arrays, keypoints as kp
from .sequence import SequenceBatch, SignSequence


#: Sensor layouts: the largest calibration offset, in channel spreads. Between the Auslan sessions a
#: glove channel's mean moves by up to 1.7 spreads (the left hand's z, session 8 against 4), and
#: the sessions users record on other days may move further. At 2 rather than 1 the development
#: protocols scored the same on real sessions, and with a simulated drift of 1.5-2 spreads per
#: channel 3-12 points higher (BENCHMARKS.md, session 21).
CALIBRATION_OFFSET = 2.0

#: Sensor layouts: draws per recording of a sensor stuck for the whole recording (each with the
#: probability ``AugmentConfig.stuck_sensor``): a glove's sensor can sit against its floor for
#: most of a session (the right thumb reads 0 in 65-78 % of the frames of Auslan sessions 5, 6 and
#: 8, 8-10 % in 4, 7 and 9), so no sign should hang on one sensor's motion. Three draws at 0.25
#: scored level on the development protocols' real sessions (one recording fewer of 1,140) and
#: 3-5 points higher under a simulated drift of 1.5-2 spreads (BENCHMARKS.md, session 22). The
#: sensor reads its own lowest value throughout, as one against its floor does: at its mean instead,
#: the benchmark's Auslan folds got two recordings fewer of 5,130, both on tctodd5 (BENCHMARKS.md,
#: session 23).
STUCK_SENSORS = 3


@dataclass(frozen=True)
class AugmentConfig:
    """Probability of each transform per drawn sample (0 switches it off)."""

    rotate: float = 0.5
    scale_shear: float = 0.5
    shift: float = 0.5  # keypoints: one offset per dim; sensor channels: one per channel (a calibration offset)
    gain: float = 0.5  # sensor channels only
    stuck_sensor: float = 0.25  # sensor channels only: per draw of STUCK_SENSORS, one sensor reads its lowest value throughout
    speed: float = 0.5
    temporal_crop: float = 0.5
    frame_dropout: float = 0.3
    noise: float = 0.5
    mirror: float = 0.0  # handedness carries meaning in most lexicons; switch on for mixed-handed signers
    mask_part: float = 0.1


def _unit(data: np.ndarray) -> np.ndarray:
    """(N, T, P, D) -> (N, 1, 1, D) typical spread of each coordinate (x, y, z …) of each recording,
    so that amounts mean the same for pixels and metres — per coordinate, because MediaPipe's z is
    on another scale than x and y, and standardised features would magnify noise sized by x and y on it."""
    u = nanstd(data, (1, 2))[:, None, None, :]
    return np.where(np.isfinite(u) & (u > 0), u, 1.0).astype(np.float32)


def calibrates(layout: str, dims: int) -> bool:
    """Whether recordings of ``layout`` with ``dims`` values per point get calibration changes:
    every layout but keypoints and NumPy arrays of points (module docstring)."""
    return layout != kp.LAYOUT and not (layout == arrays.LAYOUT and dims > 1)


def channel_spread(seqs: Sequence[SignSequence], chunk: int = 256) -> np.ndarray:
    """(P, D) standard deviation of every channel over all frames of ``seqs`` (0 where never seen), a chunk of recordings at a time."""
    stats = RunningStats()
    for i in range(0, len(seqs), chunk):
        stats.update(np.concatenate([np.where(s.mask[..., None], s.data, np.nan) for s in seqs[i : i + chunk]]))
    return np.nan_to_num(stats.result()[1]).astype(np.float32)


def time_index(lengths: np.ndarray, rng: np.random.Generator, cfg: AugmentConfig, on: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The frames each augmented recording keeps, in order: a crop keeping 85–100 % (a late start
    or early stop), then a resampling by 0.8–1.25 (slower or faster signing), then 10 % of the
    frames dropped (a capture that skipped some; first and last kept).

    (N,) lengths, (N,) which recordings are augmented -> (N, T') source frame of every output
    frame (0 past the end) and (N,) new lengths.
    """
    n_rec = len(lengths)
    crop = on & (rng.random(n_rec) < cfg.temporal_crop)
    kept = np.minimum(lengths, np.maximum(2, np.round(lengths * rng.uniform(0.85, 1.0, n_rec)).astype(int)))
    kept = np.where(crop, kept, lengths)
    start = np.where(crop, rng.integers(0, lengths - kept + 1), 0)
    fast = on & (rng.random(n_rec) < cfg.speed)
    new = np.where(fast, np.maximum(2, np.round(kept / rng.uniform(0.8, 1.25, n_rec)).astype(int)), kept)
    j = np.arange(new.max())[None]  # (1, T')
    src = np.clip(np.round(j * ((kept - 1) / np.maximum(new - 1, 1))[:, None]).astype(int), 0, (kept - 1)[:, None])
    inside = j < new[:, None]
    drop = on & (rng.random(n_rec) < cfg.frame_dropout)
    keep = inside & ((rng.random(inside.shape) >= 0.1) | ~drop[:, None])
    keep[:, 0] = True
    keep[np.arange(n_rec), new - 1] = True
    order = np.argsort(~keep, axis=1, kind="stable")  # kept frames first, in time order
    new = keep.sum(axis=1)
    src = np.take_along_axis(src, order, axis=1)[:, : new.max()] + start[:, None]
    return np.where(np.arange(new.max()) < new[:, None], src, 0), new


def _affine(data: np.ndarray, rng: np.random.Generator, cfg: AugmentConfig, on: np.ndarray) -> np.ndarray:
    """Keypoints (N, T, P, D): a rotation in the image plane about the recording's centre, then an
    independent scale of x and y with a shear (a different camera or body)."""
    n = len(data)
    turn, stretch = on & (rng.random(n) < cfg.rotate), on & (rng.random(n) < cfg.scale_shear)
    a = np.deg2rad(rng.uniform(-12, 12, n)) * turn
    rot = np.stack([np.stack([np.cos(a), -np.sin(a)], -1), np.stack([np.sin(a), np.cos(a)], -1)], -2)  # (N, 2, 2)
    m = np.eye(2) + rng.uniform(-0.1, 0.1, (n, 2, 2)) * stretch[:, None, None]  # diagonal: scale, off-diagonal: shear
    which = np.flatnonzero(turn | stretch)
    if not len(which):
        return data
    xy = data[which, ..., :2].reshape(len(which), -1, 2)  # (K, T * P, 2)
    c = nanmean(xy, 1)[:, None]  # (K, 1, 2)
    # (R (x - c) + c) scaled and sheared by M = M R (x - c) + M c
    m, mr = m[which].astype(np.float32), (m[which] @ rot[which]).astype(np.float32)
    out = data.copy()
    out[which, ..., :2] = ((xy - c) @ mr.transpose(0, 2, 1) + c @ m.transpose(0, 2, 1)).reshape(data[which, ..., :2].shape)
    return out


def _mirror(data: np.ndarray, which: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Keypoints (N, T, S, D) of the layout's ``points`` (S,), closed under mirroring: mirror
    left/right the recordings ``which`` about each recording's centre."""
    if not which.any():
        return data
    out = data.copy()
    out[which] = kp.mirror(data[which], nanmean(data[which][..., 0], (1, 2)), points)
    return out


def _hide_hand(lengths: np.ndarray, rng: np.random.Generator, which: np.ndarray, points: int) -> np.ndarray:
    """Keypoints: (N, T, P) True where one hand (left or right at random) is hidden for a random
    span of up to 30 % of the frames (a missed hand detection), on the recordings ``which``."""
    n = len(lengths)
    left = rng.random(n) < 0.5
    span = (lengths * rng.uniform(0, 0.3, n)).astype(int)
    start = rng.integers(0, lengths - span + 1)
    t = np.arange(lengths.max())[None]
    hidden_t = which[:, None] & (t >= start[:, None]) & (t < (start + span)[:, None])  # (N, T)
    part = np.zeros((n, points), bool)
    part[left, kp.LEFT_HAND] = True
    part[~left, kp.RIGHT_HAND] = True
    return hidden_t[:, :, None] & part[:, None, :]


def augment_batch(batch: SequenceBatch, rng: np.random.Generator, on: np.ndarray, cfg: AugmentConfig = AugmentConfig(),
                  spread: np.ndarray | None = None) -> SequenceBatch:  # fmt: skip
    """A new random version of the recordings ``on`` ((N,) bool) of ``batch``; the others stay as they are.

    Time changes apply to every layout. Spatial transforms that need body geometry apply to
    keypoints only; the layouts of sensors (:func:`calibrates`: gloves, SMPL-X parameters, arrays
    of channels) get per-channel calibration changes instead — offsets in units of ``spread``
    (P, D) when given (:func:`channel_spread` of the training set: a hand at rest barely moves
    within one sign while its calibration still shifts between sessions), else of each
    recording's own channel spread — gains about each channel's mean, and sensors stuck at their
    lowest reading. Arrays of points get neither, only time changes and noise.
    """
    n, (p, d) = len(batch), batch.data.shape[2:]
    keypoints = batch.layout == kp.LAYOUT
    seen = np.flatnonzero(batch.mask.any(axis=(0, 1)))  # the points seen anywhere in the batch (often not the face): the rest stay NaN
    if keypoints:
        seen = np.union1d(seen, kp.MIRRORED[seen])  # with their mirror images, so that a mirror image stays inside
    src, lengths = time_index(batch.lengths, rng, cfg, on)
    data = batch.data[np.arange(n)[:, None, None], src[..., None], seen]  # (N, T', S, D)
    data[np.arange(src.shape[1]) >= lengths[:, None]] = np.nan
    fires = lambda prob: on & (rng.random(n) < prob)  # noqa: E731
    if keypoints:
        data = _affine(data, rng, cfg, on)
        unit = _unit(data)
        data += rng.uniform(-0.05, 0.05, (n, 1, 1, d)).astype(np.float32) * unit * fires(cfg.shift)[:, None, None, None]
        data = _mirror(data, fires(cfg.mirror), seen)
        data[_hide_hand(lengths, rng, fires(cfg.mask_part), p)[:, :, seen]] = np.nan
    elif calibrates(batch.layout, d):
        own = np.nan_to_num(nanstd(data, 1))[:, None]  # (N, 1, P, D) each channel's spread over time, 0 where never seen
        data += rng.uniform(-CALIBRATION_OFFSET, CALIBRATION_OFFSET, (n, 1, len(seen), d)).astype(np.float32) * (own if spread is None else spread[seen]) * fires(cfg.shift)[:, None, None, None]
        gained = fires(cfg.gain)
        mean = np.nan_to_num(nanmean(data[gained], 1, keepdims=True))
        data[gained] = mean + (data[gained] - mean) * np.exp(rng.normal(0, 0.2, (int(gained.sum()), 1, len(seen), d))).astype(np.float32)
        for _ in range(STUCK_SENSORS):
            rows = np.flatnonzero(fires(cfg.stuck_sensor))
            ch = rng.integers(0, len(seen), len(rows))
            x = data[rows, :, ch]  # (K, T', D): one sensor of each recording drawn
            data[rows, :, ch] = np.where(np.isnan(x), np.nan, np.fmin.reduce(x, axis=1, keepdims=True))  # nanmin, quiet where never seen
    if not keypoints:
        unit = _unit(data)  # after any calibration changes (keypoints: before the shift, above)
    noisy = np.flatnonzero(fires(cfg.noise))
    data[noisy] += rng.standard_normal((len(noisy), *data.shape[1:]), dtype=np.float32) * np.float32(0.02) * unit[noisy]
    out = np.full((n, data.shape[1], p, d), np.nan, np.float32)
    out[:, :, seen] = data
    return replace(batch, data=out, mask=~np.isnan(out[..., 0]), lengths=lengths)  # a point is missing as a whole
