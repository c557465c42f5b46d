"""NumPy ``.npy``/``.npz`` arrays: the escape hatch for any other source.

An array of shape (T, F) is read as F channels; (T, P, D) as P points of D dims. A ``.npz``
must hold the array under ``data`` (and may hold a (T, P) ``mask`` and a scalar ``fps``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..sequence import RecordingError, SignSequence

LAYOUT = "array"
DEFAULT_FPS = 30.0


def load_array(path: str | Path) -> SignSequence:
    path = Path(path)
    mask = None
    fps = DEFAULT_FPS
    layout = LAYOUT
    if path.suffix.lower() == ".npz":
        with np.load(path, allow_pickle=False) as z:
            if "data" not in z:
                raise RecordingError(f"{path}: no array named 'data'; found {sorted(z.files)}")
            data = z["data"]
            mask = z["mask"] if "mask" in z else None
            fps = float(z["fps"]) if "fps" in z else fps
            layout = str(z["layout"]) if "layout" in z else layout
    else:
        data = np.load(path, allow_pickle=False)
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
