"""Feature extraction: normalisation by the body, missing points, fixed length."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from ..data.formats import keypoints as kp
from ..data.sequence import RecordingError, SignSequence


@dataclass(frozen=True)
class FeatureSpec:
    """What a model expects as input; saved with the model and checked at inference.

    Attributes:
        layout: point layout of the recordings (``keypoints``, ``auslan_glove``, ``smplx``, ``array``).
        num_points: P, points (or channels) per frame.
        dims: D, values per point.
        seq_len: frames the model sees; longer recordings are resampled, shorter ones padded.
        velocity: whether frame-to-frame differences are appended as features.
    """

    layout: str
    num_points: int
    dims: int
    seq_len: int = 64
    velocity: bool = True

    @property
    def num_features(self) -> int:
        base = self.num_points * self.dims
        if self.layout == kp.LAYOUT:
            base += 42 * self.dims  # hands relative to their wrist
        return base * (2 if self.velocity else 1)

    def to_dict(self) -> dict:
        return asdict(self)

    def check(self, seq: SignSequence) -> None:
        """Raise :class:`RecordingError` when ``seq`` does not fit this spec, naming what is expected."""
        got = (seq.layout, seq.data.shape[1], seq.data.shape[2])
        want = (self.layout, self.num_points, self.dims)
        if got != want:
            raise RecordingError(
                f"{seq.source}: recording has layout {got[0]!r} with {got[1]} points x {got[2]} dims; "
                f"the model expects layout {want[0]!r} with {want[1]} points x {want[2]} dims"
            )


def _interpolate_missing(x: np.ndarray) -> np.ndarray:
    """Fill NaNs in each column of (T, F) linearly over time; columns never seen stay NaN."""
    x = x.copy()
    t = np.arange(len(x))
    for j in np.flatnonzero(np.isnan(x).any(axis=0)):
        ok = ~np.isnan(x[:, j])
        if ok.any():
            x[:, j] = np.interp(t, t[ok], x[ok, j])
    return x


def _body_normalise(data: np.ndarray) -> np.ndarray:
    """(T, 51, D) canonical keypoints -> (T, 93, D): centred and scaled by the shoulders, plus hands minus wrist."""
    ls, rs = data[:, kp.INDEX["LEFT_SHOULDER"]], data[:, kp.INDEX["RIGHT_SHOULDER"]]
    mid = (ls + rs) / 2  # (T, D)
    if np.isnan(mid).all():
        center = np.nanmean(data.reshape(-1, data.shape[-1]), axis=0)
        scale = np.nanstd(data[..., :2]) * 2
    else:
        center = np.nanmean(mid, axis=0)
        width = np.linalg.norm((ls - rs)[:, :2], axis=-1)
        scale = np.nanmedian(width) if not np.isnan(width).all() else np.nan
    if not np.isfinite(scale) or scale <= 1e-6:
        scale = 1.0
    pos = (data - center) / scale
    hands = [pos[:, kp.LEFT_HAND] - pos[:, kp.LEFT_HAND.start, None], pos[:, kp.RIGHT_HAND] - pos[:, kp.RIGHT_HAND.start, None]]
    return np.concatenate([pos] + hands, axis=1)


def extract(seq: SignSequence) -> np.ndarray:
    """Per-frame features before length fixing: (T, P, D) -> (T, F0), NaN where never observed."""
    data = np.where(seq.mask[..., None], seq.data, np.nan)
    if seq.layout == kp.LAYOUT:
        data = _body_normalise(data)
    return _interpolate_missing(data.reshape(len(data), -1))


def fix_length(x: np.ndarray, seq_len: int) -> tuple[np.ndarray, np.ndarray]:
    """(T, F) -> (seq_len, F) features and (seq_len,) bool mask.

    Longer sequences are resampled linearly (the whole sign stays visible), shorter ones are
    zero-padded at the end and masked.
    """
    t = len(x)
    if t > seq_len:
        pos = np.linspace(0, t - 1, seq_len)
        lo = np.floor(pos).astype(int)
        hi = np.minimum(lo + 1, t - 1)
        w = (pos - lo)[:, None]
        return (x[lo] * (1 - w) + x[hi] * w).astype(np.float32), np.ones(seq_len, bool)
    out = np.zeros((seq_len, x.shape[1]), np.float32)
    out[:t] = x
    mask = np.zeros(seq_len, bool)
    mask[:t] = True
    return out, mask


def prepare(seq: SignSequence, spec: FeatureSpec) -> tuple[np.ndarray, np.ndarray]:
    """One recording -> un-normalised model input: (seq_len, F) features (NaN where unseen) and (seq_len,) mask."""
    spec.check(seq)
    x, mask = fix_length(extract(seq), spec.seq_len)
    if spec.velocity:
        v = np.zeros_like(x)
        v[1:] = x[1:] - x[:-1]
        v[~mask] = 0
        v[1:][~mask[:-1]] = 0
        x = np.concatenate([x, v], axis=1)
    return x, mask


class Normalizer:
    """Per-feature standardisation with statistics of the training split only.

    Features that were never observed (NaN) become 0 — the training mean — after scaling.
    """

    def __init__(self, mean: np.ndarray, std: np.ndarray):
        self.mean = np.asarray(mean, np.float32)
        self.std = np.asarray(std, np.float32)

    @classmethod
    def fit(cls, xs: list[np.ndarray], masks: list[np.ndarray]) -> "Normalizer":
        """Fit on (seq_len, F) inputs and their (seq_len,) masks (valid frames only)."""
        frames = np.concatenate([x[m] for x, m in zip(xs, masks)], axis=0)
        mean = np.nan_to_num(np.nanmean(frames, axis=0))
        std = np.nan_to_num(np.nanstd(frames, axis=0))
        return cls(mean, np.where(std < 1e-6, 1.0, std))

    def __call__(self, x: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """(..., T, F), (..., T) -> standardised (..., T, F) with padded frames and unseen values at 0."""
        out = np.nan_to_num((x - self.mean) / self.std)
        return (out * mask[..., None]).astype(np.float32)

    def to_dict(self) -> dict:
        return {"mean": self.mean.tolist(), "std": self.std.tolist()}

    @classmethod
    def from_dict(cls, d: dict) -> "Normalizer":
        return cls(d["mean"], d["std"])
