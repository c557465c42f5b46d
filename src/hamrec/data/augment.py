"""On-the-fly augmentation of training recordings.

Each transform is a small pure function taking (T, P, D) points, (T, P) mask and an explicit
``np.random.Generator``, so a run is reproducible from its seed. Augmentation happens only
on training samples, after the split, one random version each time a sample is drawn.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, replace
from functools import partial

import numpy as np

from .formats import keypoints as kp
from .sequence import SignSequence

Arrays = tuple[np.ndarray, np.ndarray]  # (T, P, D) data, (T, P) mask


def rotate(data: np.ndarray, mask: np.ndarray, rng: np.random.Generator, max_deg: float = 12.0) -> Arrays:
    """Rotate points in the image plane (x, y) about their centre."""
    a = np.deg2rad(rng.uniform(-max_deg, max_deg))
    r = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]], np.float32)
    c = np.nanmean(data[..., :2].reshape(-1, 2), axis=0)
    out = data.copy()
    out[..., :2] = (data[..., :2] - c) @ r.T + c
    return out, mask


def scale_shear(data: np.ndarray, mask: np.ndarray, rng: np.random.Generator, scale: float = 0.1, shear: float = 0.1) -> Arrays:
    """Scale x and y independently and shear, as a different camera or body would."""
    m = np.array([[1 + rng.uniform(-scale, scale), rng.uniform(-shear, shear)], [rng.uniform(-shear, shear), 1 + rng.uniform(-scale, scale)]], np.float32)
    out = data.copy()
    out[..., :2] = data[..., :2] @ m.T
    return out, mask


def shift(data: np.ndarray, mask: np.ndarray, rng: np.random.Generator, amount: float = 0.05) -> Arrays:
    """Add one constant offset per dim, in units of the data's spread (a camera placed differently)."""
    return data + (rng.uniform(-amount, amount, size=data.shape[-1:]) * _unit(data)).astype(np.float32), mask


def offset(data: np.ndarray, mask: np.ndarray, rng: np.random.Generator, amount: float = 1.0, spread: np.ndarray | None = None) -> Arrays:
    """Sensor channels: add one constant per channel (a glove calibrated differently in another
    session), up to ``amount`` times that channel's ``spread`` across the training recordings
    (see :func:`channel_spread`), or across this recording when none is given. Channels differ
    in scale by an order of magnitude, and a hand at rest barely moves within one sign while its
    calibration still shifts between sessions, so the unit is per channel and dataset-wide."""
    unit = _channel_stats(data)[1] if spread is None else spread
    return data + (rng.uniform(-amount, amount, size=data.shape[1:]) * unit).astype(np.float32), mask


def gain(data: np.ndarray, mask: np.ndarray, rng: np.random.Generator, sigma: float = 0.2) -> Arrays:
    """Sensor channels: scale each channel about its mean by a log-normal factor (a sensor whose gain differs)."""
    mean, _ = _channel_stats(data)
    factor = np.exp(rng.normal(0, sigma, size=data.shape[1:]))
    return (mean + (data - mean) * factor).astype(np.float32), mask


def speed(data: np.ndarray, mask: np.ndarray, rng: np.random.Generator, low: float = 0.8, high: float = 1.25) -> Arrays:
    """Resample time by a random factor: slower or faster signing."""
    t = len(data)
    new_t = max(2, int(round(t / rng.uniform(low, high))))
    idx = np.clip(np.round(np.linspace(0, t - 1, new_t)).astype(int), 0, t - 1)
    return data[idx], mask[idx]


def temporal_crop(data: np.ndarray, mask: np.ndarray, rng: np.random.Generator, keep: float = 0.85) -> Arrays:
    """Keep a random contiguous part of at least ``keep`` of the frames (a late start or early stop)."""
    t = len(data)
    n = max(2, int(round(t * rng.uniform(keep, 1.0))))
    s = rng.integers(0, t - n + 1)
    return data[s : s + n], mask[s : s + n]


def frame_dropout(data: np.ndarray, mask: np.ndarray, rng: np.random.Generator, rate: float = 0.1) -> Arrays:
    """Drop random frames (dropped frames in a capture)."""
    keep = rng.random(len(data)) >= rate
    keep[[0, -1]] = True
    return data[keep], mask[keep]


def noise(data: np.ndarray, mask: np.ndarray, rng: np.random.Generator, sigma: float = 0.02) -> Arrays:
    """Independent Gaussian jitter per point and frame (sensor noise, tremor), in units of the data's spread."""
    return data + rng.normal(0, sigma * _unit(data), size=data.shape).astype(np.float32), mask


def _unit(data: np.ndarray) -> np.ndarray:
    """(D,) typical spread of each coordinate (x, y, z …), so that amounts mean the same for pixels
    and metres — per coordinate, because MediaPipe's z is on another scale than x and y, and
    standardised features would magnify noise sized by x and y on it."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a coordinate never seen: unit 1 below
        u = np.nanstd(data.reshape(-1, data.shape[-1]), axis=0)
    return np.where(np.isfinite(u) & (u > 0), u, 1.0).astype(np.float32)


def channel_spread(seqs: list[SignSequence]) -> np.ndarray:
    """(P, D) standard deviation of every channel over all frames of ``seqs`` (0 where never seen)."""
    return _channel_stats(np.concatenate([np.where(s.mask[..., None], s.data, np.nan) for s in seqs]))[1]


def _channel_stats(data: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(T, P, D) -> (P, D) mean and standard deviation over time of every channel, 0 where never seen."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN channels: their statistics become 0 below
        return np.nan_to_num(np.nanmean(data, axis=0)), np.nan_to_num(np.nanstd(data, axis=0))


def mirror(data: np.ndarray, mask: np.ndarray, rng: np.random.Generator) -> Arrays:
    """Mirror left/right: negate x about the centre and swap left and right points (keypoints only)."""
    c = np.nanmean(data[..., 0])
    out = data.copy()
    out[..., 0] = 2 * c - data[..., 0]
    m = mask.copy()
    for a, b in kp.MIRROR_PAIRS:
        out[:, [a, b]] = out[:, [b, a]]
        m[:, [a, b]] = m[:, [b, a]]
    return out, m


def mask_part(data: np.ndarray, mask: np.ndarray, rng: np.random.Generator, max_frac: float = 0.3) -> Arrays:
    """Hide one hand for a random span (a missed hand detection); keypoints only."""
    part = kp.LEFT_HAND if rng.random() < 0.5 else kp.RIGHT_HAND
    t = len(data)
    n = int(t * rng.uniform(0, max_frac))
    s = rng.integers(0, t - n + 1)
    m = mask.copy()
    m[s : s + n, part] = False
    return data, m


@dataclass(frozen=True)
class AugmentConfig:
    """Probability of each transform per drawn sample (0 switches it off)."""

    rotate: float = 0.5
    scale_shear: float = 0.5
    shift: float = 0.5  # keypoints: one offset per dim; sensor channels: one per channel (``offset``)
    gain: float = 0.5  # sensor channels only
    speed: float = 0.5
    temporal_crop: float = 0.5
    frame_dropout: float = 0.3
    noise: float = 0.5
    mirror: float = 0.0  # handedness carries meaning in most lexicons; switch on for mixed-handed signers
    mask_part: float = 0.1


_ANY = {"speed": speed, "temporal_crop": temporal_crop, "frame_dropout": frame_dropout, "noise": noise}
_SPATIAL = {"rotate": rotate, "scale_shear": scale_shear, "shift": shift, "mirror": mirror, "mask_part": mask_part}


def augment(seq: SignSequence, rng: np.random.Generator, cfg: AugmentConfig = AugmentConfig(), spread: np.ndarray | None = None) -> SignSequence:
    """One random version of ``seq``. Spatial transforms that need body geometry apply to keypoints
    only; other layouts (gloves, SMPL-X parameters, arrays) get per-channel calibration changes,
    with offsets in units of ``spread`` (P, D) when given (:func:`channel_spread` of the training set)."""
    data, mask = seq.data, seq.mask
    sensor = {"shift": partial(offset, spread=spread), "gain": gain}  # a sensor's "shift" is a calibration offset
    transforms = {**_ANY, **(_SPATIAL if seq.layout == kp.LAYOUT else sensor)}
    for name in ("temporal_crop", "speed", "frame_dropout", "rotate", "scale_shear", "shift", "gain", "mirror", "mask_part", "noise"):
        if name in transforms and rng.random() < getattr(cfg, name):
            data, mask = transforms[name](data, mask, rng)
    return replace(seq, data=data, mask=mask)
