"""The canonical keypoint layout that every keypoint source is mapped to.

Upper body (9 points, MediaPipe Pose names), the left and right hand (21 points each,
MediaPipe Hands order, which OpenPose hands share), then 96 points of the MediaPipe face mesh:
the nose, lips, eyes and eyebrows — the reduced face of the winners of the Kaggle Isolated
Sign Language Recognition competition, where mouth and brows carry meaning. MediaPipe,
OpenPose and SignAvatars 2D keypoints all map here, so they can be trained together. Points a
source lacks (every face point of OpenPose, the nose of a face-contour-only export) stay
missing (NaN, mask False) rather than being invented.

Layout history: before the face was added the layout had the first 51 points only; arrays
and models of that layout still read (see :func:`widen` and ``FeatureSpec.from_dict``).
"""

from __future__ import annotations

import numpy as np

BODY_POINTS = [
    "NOSE",
    "LEFT_SHOULDER",
    "RIGHT_SHOULDER",
    "LEFT_ELBOW",
    "RIGHT_ELBOW",
    "LEFT_WRIST",
    "RIGHT_WRIST",
    "LEFT_HIP",
    "RIGHT_HIP",
]
HAND_POINTS = [
    "WRIST",
    "THUMB_CMC", "THUMB_MCP", "THUMB_IP", "THUMB_TIP",
    "INDEX_FINGER_MCP", "INDEX_FINGER_PIP", "INDEX_FINGER_DIP", "INDEX_FINGER_TIP",
    "MIDDLE_FINGER_MCP", "MIDDLE_FINGER_PIP", "MIDDLE_FINGER_DIP", "MIDDLE_FINGER_TIP",
    "RING_FINGER_MCP", "RING_FINGER_PIP", "RING_FINGER_DIP", "RING_FINGER_TIP",
    "PINKY_MCP", "PINKY_PIP", "PINKY_DIP", "PINKY_TIP",
]  # fmt: skip
# MediaPipe face-mesh indices. The subject's left and right parts are listed in mirror order
# (LEFT_EYE[i] is the mirror image of RIGHT_EYE[i]), and so are the pairs within the lips.
FACE_NOSE = [1, 2, 98, 327]
FACE_LIPS = [0, 61, 185, 40, 39, 37, 267, 269, 270, 409, 291, 146, 91, 181, 84, 17, 314, 405, 321, 375,
             78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308]  # fmt: skip
FACE_LEFT_EYE = [263, 249, 390, 373, 374, 380, 381, 382, 362, 466, 388, 387, 386, 385, 384, 398]
FACE_RIGHT_EYE = [33, 7, 163, 144, 145, 153, 154, 155, 133, 246, 161, 160, 159, 158, 157, 173]
FACE_LEFT_EYEBROW = [276, 283, 282, 295, 285, 300, 293, 334, 296, 336]
FACE_RIGHT_EYEBROW = [46, 53, 52, 65, 55, 70, 63, 105, 66, 107]
FACE_MESH = FACE_NOSE + FACE_LIPS + FACE_LEFT_EYE + FACE_RIGHT_EYE + FACE_LEFT_EYEBROW + FACE_RIGHT_EYEBROW
#: mirror partners within the nose and lips (the others sit on the face's midline)
_FACE_MIDLINE_PAIRS = [(98, 327), (61, 291), (185, 409), (40, 270), (39, 269), (37, 267), (146, 375), (91, 321), (181, 405), (84, 314),
                       (78, 308), (191, 415), (80, 310), (81, 311), (82, 312), (95, 324), (88, 318), (178, 402), (87, 317)]  # fmt: skip

BODY_HAND_POINTS = BODY_POINTS + [f"LEFT_HAND.{p}" for p in HAND_POINTS] + [f"RIGHT_HAND.{p}" for p in HAND_POINTS]
POINTS = BODY_HAND_POINTS + [f"FACE.{i}" for i in FACE_MESH]
LAYOUT = "keypoints"
NUM_POINTS = len(POINTS)  # 147
LEFT_HAND = slice(len(BODY_POINTS), len(BODY_POINTS) + 21)
RIGHT_HAND = slice(len(BODY_POINTS) + 21, len(BODY_POINTS) + 42)
BODY_HANDS = slice(0, len(BODY_HAND_POINTS))  # the 51 points of the layout before the face
FACE = slice(len(BODY_HAND_POINTS), NUM_POINTS)
INDEX = {name: i for i, name in enumerate(POINTS)}
#: the face's own centre (between the inner eye corners, which do not move with the mouth or brows)
FACE_CENTRE = [INDEX["FACE.133"], INDEX["FACE.362"]]

#: pairs swapped by a left/right mirror
MIRROR_PAIRS = (
    [(INDEX[f"LEFT_{b}"], INDEX[f"RIGHT_{b}"]) for b in ("SHOULDER", "ELBOW", "WRIST", "HIP")]
    + [(LEFT_HAND.start + i, RIGHT_HAND.start + i) for i in range(21)]
    + [(INDEX[f"FACE.{a}"], INDEX[f"FACE.{b}"]) for left, right in ((FACE_LEFT_EYE, FACE_RIGHT_EYE), (FACE_LEFT_EYEBROW, FACE_RIGHT_EYEBROW))
       for a, b in zip(left, right)]
    + [(INDEX[f"FACE.{a}"], INDEX[f"FACE.{b}"]) for a, b in _FACE_MIDLINE_PAIRS]
)  # fmt: skip
#: (147,) the point that takes each point's place in a mirror image: ``data[:, MIRRORED]`` swaps left and right
MIRRORED = np.arange(NUM_POINTS)
MIRRORED[[a for a, _ in MIRROR_PAIRS] + [b for _, b in MIRROR_PAIRS]] = [b for _, b in MIRROR_PAIRS] + [a for a, _ in MIRROR_PAIRS]



def mirror(data: np.ndarray, centre_x: np.ndarray, points: np.ndarray | None = None) -> np.ndarray:
    """(K, T, S, D) keypoints -> their mirror images: x reflected about ``centre_x`` (K,), left and right points swapped.

    The S points are the layout's ``points`` (default: its first S), a set closed under mirroring.
    """
    points = np.arange(data.shape[2]) if points is None else points
    out = data[:, :, np.searchsorted(points, MIRRORED[points])]  # a copy
    out[..., 0] = 2 * centre_x[:, None, None] - out[..., 0]
    return out


#: bones for drawing: (from, to) indices into POINTS
_HAND_BONES = [(0, 1), (1, 2), (2, 3), (3, 4), (0, 5), (5, 6), (6, 7), (7, 8), (5, 9), (9, 10), (10, 11), (11, 12),
               (9, 13), (13, 14), (14, 15), (15, 16), (13, 17), (0, 17), (17, 18), (18, 19), (19, 20)]  # fmt: skip
BONES = [
    (INDEX["LEFT_SHOULDER"], INDEX["RIGHT_SHOULDER"]),
    (INDEX["LEFT_SHOULDER"], INDEX["LEFT_ELBOW"]),
    (INDEX["LEFT_ELBOW"], INDEX["LEFT_WRIST"]),
    (INDEX["RIGHT_SHOULDER"], INDEX["RIGHT_ELBOW"]),
    (INDEX["RIGHT_ELBOW"], INDEX["RIGHT_WRIST"]),
    (INDEX["LEFT_SHOULDER"], INDEX["LEFT_HIP"]),
    (INDEX["RIGHT_SHOULDER"], INDEX["RIGHT_HIP"]),
    (INDEX["LEFT_HIP"], INDEX["RIGHT_HIP"]),
] + [(LEFT_HAND.start + a, LEFT_HAND.start + b) for a, b in _HAND_BONES] + [
    (RIGHT_HAND.start + a, RIGHT_HAND.start + b) for a, b in _HAND_BONES
]


def gather(data: np.ndarray, mask: np.ndarray, source_index: dict[str, int]) -> tuple[np.ndarray, np.ndarray]:
    """Pick canonical points out of a source array.

    Args:
        data: (T, S, D) source points.
        mask: (T, S) bool, True where detected.
        source_index: canonical point name -> index into the S source points.

    Returns:
        (T, 51, D) data with NaN where the source lacks a point, and the (T, 51) mask.
    """
    t, _, d = data.shape
    out = np.full((t, NUM_POINTS, d), np.nan, dtype=np.float32)
    out_mask = np.zeros((t, NUM_POINTS), dtype=bool)
    for name, src in source_index.items():
        i = INDEX[name]
        out[:, i] = data[:, src]
        out_mask[:, i] = mask[:, src]
    out[~out_mask] = np.nan
    return out, out_mask


def widen(data: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(T, 51, D) keypoints of the layout before the face -> (T, 147, D) with the face missing; the current layout unchanged."""
    if data.shape[1] == NUM_POINTS:
        return data, mask
    if data.shape[1] != len(BODY_HAND_POINTS):
        raise ValueError(f"{data.shape[1]} keypoints; the keypoint layout has {NUM_POINTS} (or {len(BODY_HAND_POINTS)}, without the face)")
    t, _, d = data.shape
    extra = NUM_POINTS - data.shape[1]
    return (np.concatenate([data, np.full((t, extra, d), np.nan, data.dtype)], axis=1),
            np.concatenate([mask, np.zeros((t, extra), bool)], axis=1))  # fmt: skip
