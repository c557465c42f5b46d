"""NumPy ``.npy``/``.npz`` arrays: the escape hatch for any other source.

An array of shape (T, F) is read as F channels; (T, P, D) as P points of D dims. A ``.npz``
must hold the array under ``data`` (and may hold a (T, P) ``mask`` and a scalar ``fps``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..sequence import RecordingError, SignSequence
from . import EXPECTED

LAYOUT = "array"
DEFAULT_FPS = 30.0


#: the first bytes of a .npy file and of a .npz (a zip archive)
MAGIC = {".npy": b"\x93NUMPY", ".npz": b"PK"}


def load_array(path: str | Path) -> SignSequence:
    path = Path(path)
    with open(path, "rb") as f:
        head = f.read(6)
    magic = MAGIC[path.suffix.lower()]
    if not head.startswith(magic):  # else NumPy takes it for a pickle and suggests allow_pickle, which would run what the file holds
        raise RecordingError(f"{path}: not a NumPy {path.suffix.lower()} file (it does not start with {magic!r}); expected {EXPECTED['array']}")
    try:
        data, mask, fps, layout = _read(path)
    except ValueError as e:
        if "allow_pickle" not in str(e):
            raise
        raise RecordingError(f"{path}: the array holds Python objects (dtype object), which are not read, for safety; expected {EXPECTED['array']}") from None
    if data.ndim == 2:
        data = data[:, :, None]
    if data.ndim != 3:
        raise RecordingError(f"{path}: array of shape {data.shape}; expected (frames, features) or (frames, points, dims)")
    if not np.issubdtype(data.dtype, np.number):
        raise RecordingError(f"{path}: array of dtype {data.dtype}; expected numbers")
    if mask is None:
        mask = np.ones(data.shape[:2], bool)
    if layout == "keypoints":
        from . import keypoints as kp

        if data.shape[1] == len(kp.BODY_HAND_POINTS):  # the layout before the face: the face is missing
            data, mask = kp.widen(data.astype(np.float32), mask.astype(bool))
        points = list(kp.POINTS)
    else:
        points = [f"ch{i}" for i in range(data.shape[1])]
        if data.shape[2] > 1:
            points = [f"p{i}" for i in range(data.shape[1])]
    if len(points) != data.shape[1]:
        raise RecordingError(f"{path}: {data.shape[1]} points but layout {layout!r} has {len(points)}")
    return SignSequence(data, mask, fps, layout, points, str(path))


def _read(path: Path) -> tuple[np.ndarray, np.ndarray | None, float, str]:
    """(data, mask or None, fps, layout) as stored; NumPy raises ValueError for arrays of Python objects."""
    if path.suffix.lower() != ".npz":
        return np.load(path, allow_pickle=False), None, DEFAULT_FPS, LAYOUT
    with np.load(path, allow_pickle=False) as z:
        if "data" not in z:
            raise RecordingError(f"{path}: no array named 'data'; found {sorted(z.files)}")
        return (z["data"], z["mask"] if "mask" in z else None, float(z["fps"]) if "fps" in z else DEFAULT_FPS,
                str(z["layout"]) if "layout" in z else LAYOUT)  # fmt: skip
