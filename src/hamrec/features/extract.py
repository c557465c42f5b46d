"""Feature extraction: normalisation by the body, missing points, fixed length."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass

import numpy as np

from ..data.formats import keypoints as kp
from ..data.sequence import RecordingError, SequenceBatch, SignSequence, describe_layout, length_groups
from ..nanstats import RunningStats, nanmean, nanmedian, nanstd


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
        dominant_by: how ``dominant_right`` finds the dominant hand: ``hand_travel`` (how far
            the hand's wrist and fingertips travel, smoothed: :func:`_hand_travel`; new models)
            or ``wrist_path`` (the wrist's path in x and y, which a resting hand's jitter
            outweighs when the signing hand moves towards the camera or turns): the rule of
            models saved before, which they keep.
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
    dominant_by: str = "wrist_path"

    @property
    def num_features(self) -> int:
        base = self.num_points * self.dims
        if self.layout == kp.LAYOUT:  # body and hands, hands relative to their wrist, maybe the face relative to its centre
            base = (len(kp.BODY_HAND_POINTS) + 42 + len(kp.FACE_MESH) * self.face) * self.dims
        return base * (self.absolute + self.velocity + self.centred)

    def parameter_groups(self) -> dict[str, tuple[list[str], list[int]]]:
        """Keypoints: the feature columns that carry some HamNoSys parameters on their own, for
        heads that read nothing else (:func:`hamrec.model.builder.build_model`): each hand
        relative to its wrist (its shape and orientation) for the handshapes, finger direction
        and palm, and the body and hand positions for the location. Empty for other layouts.

        Returns: group name -> (parameters, columns in every part: values, velocity, centred).
        """
        if self.layout != kp.LAYOUT:
            return {}
        parts = self.absolute + self.velocity + self.centred
        per_part = self.num_features // parts
        positions = len(kp.BODY_HAND_POINTS) * self.dims  # then each hand relative to its wrist: 2 x 21 points
        cols = lambda first, last: [k * per_part + c for k in range(parts) for c in range(first, last)]  # noqa: E731
        return {"hands": (["handshape", "extended_finger", "palm", "nondominant_handshape"], cols(positions, positions + 42 * self.dims)),
                "positions": (["location"], cols(0, positions))}  # fmt: skip

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
        want = (self.layout, self.num_points, self.dims)
        if seq.layout_key != want:
            raise RecordingError(f"{seq.source}: recording has {describe_layout(seq.layout_key)}; the model expects {describe_layout(want)}")


def _interpolate_missing(x: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Fill the gaps of each point of (N, T, P, D) linearly over each recording's ``lengths`` (N,)
    frames, holding the first and last seen values beyond them (as ``np.interp`` does); points
    never seen stay NaN, and so do the frames past each recording's end. A point is missing as a
    whole (all its coordinates NaN)."""
    nan = np.isnan(x[..., 0])  # (N, T, P)
    inside = np.arange(x.shape[1]) < lengths[:, None]
    rec, point = np.nonzero((nan & inside[..., None]).any(axis=1) & ~nan.all(axis=1))  # the points with gaps to fill
    if not len(rec):
        return x
    rows, ok = x[rec, :, point], ~nan[rec, :, point]  # (K, T, D), (K, T)
    t = np.arange(x.shape[1], dtype=np.int32)
    prev = np.maximum.accumulate(np.where(ok, t, -1), axis=1)  # last seen frame at or before t
    nxt = np.minimum.accumulate(np.where(ok, t, len(t))[:, ::-1], axis=1)[:, ::-1]  # first seen at or after t
    before = np.take_along_axis(rows, np.maximum(prev, 0)[..., None], 1)
    after = np.take_along_axis(rows, np.minimum(nxt, len(t) - 1)[..., None], 1)
    w = ((t - prev) / np.maximum(nxt - prev, 1)).astype(x.dtype)[..., None]
    filled = np.where((prev < 0)[..., None], after, np.where((nxt >= len(t))[..., None], before, before + (after - before) * w))
    out = x.copy()
    out[rec, :, point] = np.where((ok | ~inside[rec])[..., None], rows, filled)
    return out


#: shoulder width / hand length (wrist to middle-finger knuckle) of an adult: about 4, so that
#: recordings scaled by the hand land on the same scale as those scaled by the shoulders
SHOULDERS_PER_HAND = 4.0


def _shoulders(data: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(N, T, 147, D) canonical keypoints -> the shoulders' mean midpoint (N, D), their median width (N,) and whether each recording has them (N,)."""
    ls, rs = data[:, :, kp.INDEX["LEFT_SHOULDER"]], data[:, :, kp.INDEX["RIGHT_SHOULDER"]]  # (N, T, D)
    width = nanmedian(np.linalg.norm((ls - rs)[..., :2], axis=-1))  # (N,)
    return nanmean((ls + rs) / 2, 1), width, np.isfinite(width) & (width > 1e-6)


def _spread(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(K, T, P, D) points, NaN where unseen -> their mean (K, D) and twice their spread in x and y (K,): the reference of last resort."""
    return nanmean(points, (1, 2)), nanstd(points[..., :2], (1, 2, 3)) * 2


def _reference(data: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(N, T, 147, D) canonical keypoints (NaN where missing) -> centre (N, D) and scale (N,), from what each recording has.

    Shoulders give both (their midpoint, their width). Recordings without a body — webcam crops
    that show hands and face only — are centred on the face (the nose, of the body or of the
    face mesh) or, without one, on the hands' mean wrist position, and scaled by the hand
    length, never by the spread of whatever points happen to be present (which would move with
    the sign itself).
    """
    centre, scale, has_body = _shoulders(data)
    no_body = ~has_body
    if no_body.any():  # face and hands only
        d = data[no_body]
        hands = [d[:, :, h] for h in (kp.LEFT_HAND, kp.RIGHT_HAND)]  # (K, T, 21, D) each
        length = nanmedian(np.concatenate([np.linalg.norm((h[:, :, 9] - h[:, :, 0])[..., :2], axis=-1) for h in hands], 1))
        hand_scale = np.where(np.isfinite(length) & (length > 1e-6), length * SHOULDERS_PER_HAND, np.nan)
        nose = d[:, :, kp.INDEX["NOSE"]]
        nose = np.where(np.isnan(nose).all(axis=(1, 2))[:, None, None], d[:, :, kp.INDEX["FACE.1"]], nose)  # else the face mesh's nose tip
        wrists = nanmean(np.concatenate([h[:, :, 0] for h in hands], 1), 1)
        c = np.where(np.isnan(nose).all(axis=(1, 2))[:, None], wrists, nanmean(nose, 1))
        lost = np.isnan(c).all(axis=1) | ~np.isfinite(hand_scale)  # neither face nor hands: the spread of what there is
        if lost.any():
            mean, spread = _spread(d[lost][:, :, kp.BODY_HANDS])
            c[lost] = np.where(np.isnan(c[lost]).all(axis=1)[:, None], mean, c[lost])
            hand_scale[lost] = np.where(np.isfinite(hand_scale[lost]), hand_scale[lost], spread)
        centre[no_body] = np.nan_to_num(c)
        scale[no_body] = np.where(np.isfinite(hand_scale) & (hand_scale > 1e-6), hand_scale, 1.0)
    return centre.astype(np.float32), scale.astype(np.float32)


#: the wrist and the five fingertips: the points of a hand that move when it moves, turns or plays its fingers
HAND_ENDS = [0, 4, 8, 12, 16, 20]


def _hand_travel(hand: np.ndarray, window: int = 3) -> np.ndarray:
    """(N, T, 21, D) one hand, NaN where unseen -> (N,) how far its wrist and fingertips travel, on average, over the frames it is seen in.

    Every coordinate counts and the fingertips with the wrist, so a sign made by turning the
    hand or moving the fingers, or by moving towards the camera, moves its hand; each point's
    path over the seen frames is smoothed over ``window`` of them first, so that the jitter of a
    hand at rest, which adds up frame after frame, does not outweigh a small movement.
    """
    hand = hand[:, :, HAND_ENDS]
    n, t, p, d = hand.shape
    seen = ~np.isnan(hand[..., 0]).any(-1)  # (N, T): the hand is seen as a whole
    order = np.argsort(~seen, axis=1, kind="stable")  # seen frames first, in time order
    x = np.take_along_axis(hand.reshape(n, t, p * d), order[..., None], 1)  # (N, T, 6 * D)
    c = np.zeros((n, t + 1, p * d), np.float32)
    np.cumsum(np.nan_to_num(x), axis=1, out=c[:, 1:])
    smooth = c[:, window:] - c[:, :-window]  # (N, T - window + 1, 6 * D): window times the mean of frames j .. j + window - 1
    moves = np.diff(smooth, axis=1).reshape(n, -1, p, d) / window
    steps = np.sqrt(np.einsum("ntpd,ntpd->ntp", moves, moves)).mean(-1)  # (N, T - window)
    valid = np.arange(steps.shape[1]) < (seen.sum(1) - window)[:, None]  # both windows inside the seen frames
    return np.where(valid, steps, 0).sum(1)


def _wrist_path(hand: np.ndarray) -> np.ndarray:
    """(N, T, 21, D) one hand, NaN where unseen -> (N,) the distance its wrist travels in x and y between consecutive seen frames.

    The rule of models saved before :func:`_hand_travel`, kept so that they read what they were trained on.
    """
    xy = hand[:, :, 0, :2]
    t = np.arange(xy.shape[1])
    last = np.maximum.accumulate(np.where(~np.isnan(xy).any(-1), t, -1), axis=1)  # last seen frame at or before t
    held = np.take_along_axis(xy, np.maximum(last, 0)[..., None], 1)  # unseen frames hold the last seen position
    return np.nansum(np.linalg.norm(np.diff(held, axis=1), axis=-1), axis=1)


DOMINANT_BY = {"hand_travel": _hand_travel, "wrist_path": _wrist_path}
#: the rule new models are trained with
DOMINANT_RULE = "hand_travel"


def _left_dominant(data: np.ndarray, by: str = DOMINANT_RULE) -> np.ndarray:
    """(N,) whether the left-hand slot's hand moves more than the right's (``by`` a rule of :data:`DOMINANT_BY`): the signer's dominant hand is in the left slot."""
    moves = DOMINANT_BY[by]
    return moves(data[:, :, kp.LEFT_HAND]) > moves(data[:, :, kp.RIGHT_HAND])


def _body_normalise(data: np.ndarray, spec: FeatureSpec) -> np.ndarray:
    """(N, T, 147, D) canonical keypoints -> (N, T, 93, D) or, with ``face``, (N, T, 189, D).

    The body and hands centred and scaled by the body (see :func:`_reference`), the hands minus
    their wrist, and with ``face`` the face's points minus the face's centre (its expression,
    wherever the head is). With ``dominant_right``, a recording whose dominant hand (found by
    ``dominant_by``) is in the left slot is mirrored first: x reflected about the centre, left
    and right points swapped.
    """
    centre, scale = _reference(data)
    data = data[:, :, : kp.NUM_POINTS if spec.face else kp.FACE.start]  # the points used (mirror pairs stay inside)
    if spec.dominant_right:
        left = np.flatnonzero(_left_dominant(data, spec.dominant_by))
        if len(left):  # the reference is symmetric: its centre stays where it is
            data = data.copy()
            data[left] = kp.mirror(data[left], centre[left, 0])
    pos = (data - centre[:, None, None]) / scale[:, None, None, None]
    parts = [pos[:, :, kp.BODY_HANDS], pos[:, :, kp.LEFT_HAND] - pos[:, :, kp.LEFT_HAND.start, None], pos[:, :, kp.RIGHT_HAND] - pos[:, :, kp.RIGHT_HAND.start, None]]
    if spec.face:
        parts.append(pos[:, :, kp.FACE] - pos[:, :, kp.FACE_CENTRE].mean(axis=2, keepdims=True))
    return np.concatenate(parts, axis=2)


def extract(batch: SequenceBatch, spec: FeatureSpec) -> np.ndarray:
    """Per-frame features before length fixing: (N, T, P, D) -> (N, T, F0), NaN where never observed (and past each end)."""
    data = batch.data
    if batch.layout == kp.LAYOUT:
        data = _body_normalise(data, spec)
    return _interpolate_missing(data, batch.lengths).reshape(*data.shape[:2], -1)


def has_face(seq: SignSequence) -> bool:
    """Whether a keypoint recording holds any face-mesh point (an export with the face)."""
    return seq.layout == kp.LAYOUT and bool(seq.mask[:, kp.FACE].any())


def fix_length(x: np.ndarray, lengths: np.ndarray, seq_len: int) -> tuple[np.ndarray, np.ndarray]:
    """(N, T, F) features of recordings of (N,) frames -> (N, seq_len, F) features and (N, seq_len) bool mask.

    Longer sequences are resampled linearly (the whole sign stays visible), shorter ones are
    zero-padded at the end and masked.
    """
    j = np.arange(seq_len)[None]
    longer = lengths > seq_len
    pos = np.where(longer[:, None], j * ((lengths - 1) / max(seq_len - 1, 1))[:, None], j)  # (N, seq_len)
    lo = np.minimum(np.floor(pos).astype(int), x.shape[1] - 1)
    hi = np.minimum(lo + 1, (lengths - 1)[:, None])
    w = (pos - lo)[..., None].astype(np.float32)
    rows = np.arange(len(x))[:, None]
    mask = longer[:, None] | (j < lengths[:, None])
    out = x[rows, lo] * (1 - w) + x[rows, hi] * w
    return np.where(mask[..., None], out, 0).astype(np.float32), mask


def prepare_batch(batch: SequenceBatch, spec: FeatureSpec) -> tuple[np.ndarray, np.ndarray]:
    """Padded recordings -> un-normalised model inputs: (N, seq_len, F) features (NaN where unseen) and (N, seq_len) mask.

    A recording's features depend on it alone, so they are computed by :func:`length_groups`.
    """
    x = np.empty((len(batch), spec.seq_len, spec.num_features), np.float32)
    mask = np.empty((len(batch), spec.seq_len), bool)
    for rows in length_groups(batch.lengths):
        x[rows], mask[rows] = _prepare_padded(batch.take(rows), spec)
    return x, mask


def _prepare_padded(batch: SequenceBatch, spec: FeatureSpec) -> tuple[np.ndarray, np.ndarray]:
    """:func:`prepare_batch` of the whole ``batch`` at once, padded to its longest recording."""
    x, mask = fix_length(extract(batch, spec), batch.lengths, spec.seq_len)
    parts = [x] if spec.absolute else []
    if spec.velocity:
        v = np.zeros_like(x)
        v[:, 1:] = x[:, 1:] - x[:, :-1]
        v[~mask] = 0
        v[:, 1:][~mask[:, :-1]] = 0
        parts.append(v)
    if spec.centred:
        c = x - nanmean(np.where(mask[..., None], x, np.nan), 1)[:, None]  # a channel never seen stays NaN, as in x
        c[~mask] = 0
        parts.append(c)
    return np.concatenate(parts, axis=2), mask


def prepare(seqs: Sequence[SignSequence], spec: FeatureSpec, chunk: int = 128) -> tuple[np.ndarray, np.ndarray]:
    """Recordings -> un-normalised model inputs (N, seq_len, F) and masks (N, seq_len); a layout mismatch raises RecordingError."""
    x = np.zeros((len(seqs), spec.seq_len, spec.num_features), np.float32)
    mask = np.zeros((len(seqs), spec.seq_len), bool)
    for part, xs, ms in prepare_chunks(seqs, spec, chunk):
        x[part], mask[part] = xs, ms
    return x, mask


def prepare_chunks(seqs: Sequence[SignSequence], spec: FeatureSpec, chunk: int = 128) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """:func:`prepare` a chunk at a time: (positions in ``seqs``, (n, seq_len, F) inputs, (n, seq_len) masks).

    Chunks hold recordings of similar length, so that one long recording does not pad all the
    others, and only one chunk is in memory: ``seqs`` may be a view of a store on disk (its
    ``lengths`` then come without reading the recordings).
    """
    lengths = seqs.lengths if hasattr(seqs, "lengths") else [s.num_frames for s in seqs]
    order = np.argsort(lengths, kind="stable")
    for i in range(0, len(seqs), chunk):
        part = order[i : i + chunk]
        batch = [seqs[j] for j in part]
        for s in batch:
            spec.check(s)
        yield (part, *prepare_batch(SequenceBatch.of(batch), spec))


class Normalizer:
    """Per-feature standardisation with statistics of the training split only.

    Features that were never observed (NaN) become 0 — the training mean — after scaling.
    """

    def __init__(self, mean: np.ndarray, std: np.ndarray):
        self.mean = np.asarray(mean, np.float32)
        self.std = np.asarray(std, np.float32)

    @classmethod
    def fit(cls, x: np.ndarray, mask: np.ndarray) -> "Normalizer":
        """Fit on (N, seq_len, F) inputs and their (N, seq_len) masks (valid frames only)."""
        return cls.fit_chunks([(x, mask)])

    @classmethod
    def fit_chunks(cls, chunks: Iterable[tuple[np.ndarray, np.ndarray]]) -> "Normalizer":
        """Fit on (inputs, masks) chunks as :meth:`fit` does on all at once, holding one chunk in memory."""
        stats = RunningStats()
        for x, mask in chunks:
            stats.update(x[mask])
        mean, std = (np.nan_to_num(v) for v in stats.result())  # features never observed: mean 0, std floored below
        # A feature that barely varies (MediaPipe's wrist z is about 1e-5) carries no information, and
        # dividing by its spread would magnify any noise into the largest input: floor the divisor at
        # a hundredth of the typical feature's spread.
        floor = 0.01 * float(np.median(std[std > 0])) if (std > 0).any() else 1.0
        return cls(mean, np.maximum(std, max(floor, 1e-6)))

    def __call__(self, x: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """(..., T, F), (..., T) -> standardised (..., T, F) with padded frames and unseen values at 0."""
        out = np.subtract(x, self.mean, dtype=np.float32)  # in place from here on: a training batch's inputs are large
        np.divide(out, self.std, out=out)
        np.copyto(out, 0, where=~np.isfinite(out))
        out[~mask] = 0
        return out

    def to_dict(self) -> dict:
        return {"mean": self.mean.tolist(), "std": self.std.tolist()}

    @classmethod
    def from_dict(cls, d: dict) -> "Normalizer":
        return cls(d["mean"], d["std"])
