"""The canonical keypoint layout that every keypoint source is mapped to.

Upper body (9 points, MediaPipe Pose names) followed by the left and right hand (21 points
each, MediaPipe Hands order, which OpenPose hands share). MediaPipe, OpenPose and SignAvatars
2D keypoints all map here, so they can be trained together. Points a source lacks stay
missing (NaN, mask False) rather than being invented.
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
POINTS = BODY_POINTS + [f"LEFT_HAND.{p}" for p in HAND_POINTS] + [f"RIGHT_HAND.{p}" for p in HAND_POINTS]
LAYOUT = "keypoints"
NUM_POINTS = len(POINTS)  # 51
LEFT_HAND = slice(len(BODY_POINTS), len(BODY_POINTS) + 21)
RIGHT_HAND = slice(len(BODY_POINTS) + 21, len(BODY_POINTS) + 42)
INDEX = {name: i for i, name in enumerate(POINTS)}

#: pairs swapped by a left/right mirror
MIRROR_PAIRS = [(INDEX[f"LEFT_{b}"], INDEX[f"RIGHT_{b}"]) for b in ("SHOULDER", "ELBOW", "WRIST", "HIP")] + [
    (LEFT_HAND.start + i, RIGHT_HAND.start + i) for i in range(21)
]

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
