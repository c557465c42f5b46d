"""Feature extraction: normalisation by the body, missing points, fixed length."""

from __future__ import annotations

import warnings
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
        centred: whether the values minus their mean over the recording are appended: the part
            of the features that a constant offset per channel (a glove calibrated on another
            day, a camera placed elsewhere) cannot move. Saved models without it read False.
        absolute: whether the values themselves are features (a sign's location on the body).
        dominant_right: keypoints only: a recording whose left-hand slot moves more than its
            right is mirrored (x about the body's centre, left and right points swapped), so the
            dominant hand is always in the right slot — a left-handed signer's sign then looks
            like a right-handed one's, and a recording and its mirror image give the same
            features. Saved models without it read False.
        face: keypoints only: whether the face's points, relative to the face's own centre and
            scaled like the rest, are features (mouth and brows carry meaning; where the head is
            the nose already says). Training turns it on when the training recordings carry a
            face; a recording without one then has these features missing (0 after
            normalisation), so recordings with and without a face mix in one model. Saved
            models without it read False.
    """

    layout: str
    num_points: int
    dims: int
    seq_len: int = 64
    velocity: bool = True
    centred: bool = False
    absolute: bool = True
    dominant_right: bool = False
    face: bool = False

    @property
    def num_features(self) -> int:
        base = self.num_points * self.dims
        if self.layout == kp.LAYOUT:  # body and hands, hands relative to their wrist, maybe the face relative to its centre
            base = (len(kp.BODY_HAND_POINTS) + 42 + len(kp.FACE_MESH) * self.face) * self.dims
        return base * (self.absolute + self.velocity + self.centred)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "FeatureSpec":
        """A saved spec; one of the keypoint layout before the face (51 points) reads as today's layout without face features."""
        d = dict(d)
        if d["layout"] == kp.LAYOUT and d["num_points"] == len(kp.BODY_HAND_POINTS):
            d["num_points"] = kp.NUM_POINTS
        return cls(**d)

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


#: shoulder width / hand length (wrist to middle-finger knuckle) of an adult: about 4, so that
#: recordings scaled by the hand land on the same scale as those scaled by the shoulders
SHOULDERS_PER_HAND = 4.0


def _reference(data: np.ndarray) -> tuple[np.ndarray, float]:
    """(T, 147, D) canonical keypoints (NaN where missing) -> centre (D,) and scale, from what the recording has.

    Shoulders give both (their midpoint, their width). Recordings without a body — webcam crops
    that show hands and face only — are centred on the face (the nose, of the body or of the
    face mesh) or, without one, on the hands' mean wrist position, and scaled by the hand
    length, never by the spread of whatever points happen to be present (which would move with
    the sign itself).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN slices: handled by the checks below
        ls, rs = data[:, kp.INDEX["LEFT_SHOULDER"]], data[:, kp.INDEX["RIGHT_SHOULDER"]]
        width = np.nanmedian(np.linalg.norm((ls - rs)[:, :2], axis=-1))
        if np.isfinite(width) and width > 1e-6:
            return np.nanmean((ls + rs) / 2, axis=0), float(width)
        hands = [data[:, h] for h in (kp.LEFT_HAND, kp.RIGHT_HAND)]  # (T, 21, D) each
        length = np.nanmedian(np.concatenate([np.linalg.norm((h[:, 9] - h[:, 0])[:, :2], axis=-1) for h in hands]))
        scale = float(length * SHOULDERS_PER_HAND) if np.isfinite(length) and length > 1e-6 else np.nan
        nose = data[:, kp.INDEX["NOSE"]]
        if np.isnan(nose).all():
            nose = data[:, kp.INDEX["FACE.1"]]  # the face mesh's nose tip
        centre = np.nanmean(nose, axis=0) if not np.isnan(nose).all() else np.nanmean(np.concatenate([h[:, 0] for h in hands]), axis=0)
        body = data[:, kp.BODY_HANDS]
        if np.isnan(centre).all():
            centre = np.nanmean(body.reshape(-1, data.shape[-1]), axis=0)
        if not np.isfinite(scale):
            scale = float(np.nanstd(body[..., :2]) * 2)
    return np.nan_to_num(centre), scale if np.isfinite(scale) and scale > 1e-6 else 1.0


def _path_length(points: np.ndarray) -> float:
    """(T, D) positions, NaN where unseen -> distance travelled between consecutive seen frames (x, y)."""
    seen = points[~np.isnan(points).any(axis=1), :2]
    return float(np.linalg.norm(np.diff(seen, axis=0), axis=1).sum()) if len(seen) > 1 else 0.0


def _left_dominant(data: np.ndarray) -> bool:
    """Whether the left-hand slot's wrist travels further than the right's: the signer's dominant hand is in the left slot."""
    return _path_length(data[:, kp.LEFT_HAND.start]) > _path_length(data[:, kp.RIGHT_HAND.start])


def _mirror(data: np.ndarray, centre: np.ndarray) -> np.ndarray:
    """(T, 147, D) keypoints mirrored left/right: x reflected about ``centre``, left and right points swapped."""
    out = data.copy()
    out[..., 0] = 2 * centre[0] - data[..., 0]
    a, b = (list(side) for side in zip(*kp.MIRROR_PAIRS))
    out[:, a + b] = out[:, b + a]
    return out


def _body_normalise(data: np.ndarray, dominant_right: bool = False, face: bool = False) -> np.ndarray:
    """(T, 147, D) canonical keypoints -> (T, 93, D) or, with ``face``, (T, 189, D).

    The body and hands centred and scaled by the body (see :func:`_reference`), the hands minus
    their wrist, and with ``face`` the face's points minus the face's centre (its expression,
    wherever the head is). With ``dominant_right``, a recording whose dominant hand is in the
    left slot is mirrored first.
    """
    centre, scale = _reference(data)
    if dominant_right and _left_dominant(data):
        data = _mirror(data, centre)  # the reference is symmetric: its centre stays where it is
    pos = (data - centre) / scale
    parts = [pos[:, kp.BODY_HANDS], pos[:, kp.LEFT_HAND] - pos[:, kp.LEFT_HAND.start, None], pos[:, kp.RIGHT_HAND] - pos[:, kp.RIGHT_HAND.start, None]]
    if face:
        parts.append(pos[:, kp.FACE] - pos[:, kp.FACE_CENTRE].mean(axis=1, keepdims=True))
    return np.concatenate(parts, axis=1)


def extract(seq: SignSequence, dominant_right: bool = False, face: bool = False) -> np.ndarray:
    """Per-frame features before length fixing: (T, P, D) -> (T, F0), NaN where never observed."""
    data = np.where(seq.mask[..., None], seq.data, np.nan)
    if seq.layout == kp.LAYOUT:
        data = _body_normalise(data, dominant_right, face)
    return _interpolate_missing(data.reshape(len(data), -1))


def has_face(seq: SignSequence) -> bool:
    """Whether a keypoint recording holds any face-mesh point (an export with the face)."""
    return seq.layout == kp.LAYOUT and bool(seq.mask[:, kp.FACE].any())


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
    x, mask = fix_length(extract(seq, spec.dominant_right, spec.face), spec.seq_len)
    parts = [x] if spec.absolute else []
    if spec.velocity:
        v = np.zeros_like(x)
        v[1:] = x[1:] - x[:-1]
        v[~mask] = 0
        v[1:][~mask[:-1]] = 0
        parts.append(v)
    if spec.centred:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a channel never seen stays NaN, as in x
            c = x - np.nanmean(x[mask], axis=0)
        c[~mask] = 0
        parts.append(c)
    return np.concatenate(parts, axis=1), mask


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
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # features never observed: mean 0, std floored below
            mean = np.nan_to_num(np.nanmean(frames, axis=0))
            std = np.nan_to_num(np.nanstd(frames, axis=0))
        # A feature that barely varies (MediaPipe's wrist z is about 1e-5) carries no information, and
        # dividing by its spread would magnify any noise into the largest input: floor the divisor at
        # a hundredth of the typical feature's spread.
        floor = 0.01 * float(np.median(std[std > 0])) if (std > 0).any() else 1.0
        return cls(mean, np.maximum(std, max(floor, 1e-6)))

    def __call__(self, x: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """(..., T, F), (..., T) -> standardised (..., T, F) with padded frames and unseen values at 0."""
        out = np.nan_to_num((x - self.mean) / self.std)
        return (out * mask[..., None]).astype(np.float32)

    def to_dict(self) -> dict:
        return {"mean": self.mean.tolist(), "std": self.std.tolist()}

    @classmethod
    def from_dict(cls, d: dict) -> "Normalizer":
        return cls(d["mean"], d["std"])
