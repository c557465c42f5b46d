"""SignAvatars SMPL-X pickles (``hamnosys2motion``, ``wlasl_pkls_cropFalse_defult_shape``, ...).

One ``.pkl`` per video holding a dict with ``smplx`` (T x 182), ``2d``/``pred2d``
(T x 106 x 3), ``width``, ``height`` and validity indices. The originals were pickled with
torch CUDA tensors; they are unpickled here with every tensor mapped to the CPU, so a machine
without CUDA reads them.

The recognizer uses the SMPL-X pose parameters (axis-angle, 3 values per joint): body
(21 joints), left and right hand (15 each) and jaw. Shape (betas), expression and camera
are left out on purpose: they describe the person and the camera, not the sign.
"""

from __future__ import annotations

import io
import pickle
from pathlib import Path

import numpy as np

from ..sequence import RecordingError, SignSequence

LAYOUT = "smplx"
FPS = 25.0
SMPLX_WIDTH = 182
#: (name, first column, last column + 1) of the parts of one ``smplx`` row
PARTS = [("root", 0, 3), ("body", 3, 66), ("left_hand", 66, 111), ("right_hand", 111, 156), ("jaw", 156, 159),
         ("betas", 159, 169), ("expression", 169, 179), ("cam_trans", 179, 182)]  # fmt: skip
#: the parts that carry the sign: joints (T, J, 3)
POSE_PARTS = ("body", "left_hand", "right_hand", "jaw")
JOINTS = [f"{name}{j}" for name, a, b in PARTS if name in POSE_PARTS for j in range((b - a) // 3)]


class _CPUUnpickler(pickle.Unpickler):
    """Unpickle torch tensors saved on a GPU as CPU tensors (and everything else as usual)."""

    def find_class(self, module: str, name: str):
        if module == "torch.storage" and name == "_load_from_bytes":
            import torch

            return lambda b: torch.load(io.BytesIO(b), map_location="cpu", weights_only=False)
        return super().find_class(module, name)


def _to_numpy(x) -> np.ndarray:
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    return np.asarray(x, dtype=np.float32)


def load_signavatars(path: str | Path) -> SignSequence:
    """Read a SignAvatars pickle as (T, 55, 3) SMPL-X joint rotations.

    Raises:
        RecordingError: the pickle is not a dict with an ``smplx`` array of 182 columns.
    """
    path = Path(path)
    with open(path, "rb") as f:
        obj = _CPUUnpickler(f).load()
    if not isinstance(obj, dict) or "smplx" not in obj:
        keys = sorted(obj) if isinstance(obj, dict) else type(obj).__name__
        raise RecordingError(f"{path}: expected a SignAvatars dict with key 'smplx'; found {keys}")
    smplx = _to_numpy(obj["smplx"])
    if smplx.ndim != 2 or smplx.shape[1] != SMPLX_WIDTH:
        raise RecordingError(f"{path}: 'smplx' has shape {smplx.shape}; expected (frames, {SMPLX_WIDTH})")
    cols = np.concatenate([np.arange(a, b) for name, a, b in PARTS if name in POSE_PARTS])
    joints = smplx[:, cols].reshape(len(smplx), -1, 3)
    meta = {k: obj[k] for k in ("width", "height") if k in obj}
    return SignSequence(joints, np.ones(joints.shape[:2], bool), FPS, LAYOUT, list(JOINTS), str(path), meta)
