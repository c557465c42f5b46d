"""The built-in default dataset: small generated sign-like motions, written as real ``.pose`` files.

It lets ``python automated_training.py`` run end to end on a fresh machine with no data. Each
class combines a handshape (flat hand, fist, index finger), a location (chest, chin) and a
movement (hold, up, sideways, circle), so a recognizer must attend to the hand's shape, place
and path. Signers differ in body size and position, speed, holds, tremor and detection dropouts;
recordings are grouped by signer, so evaluation is on signers never seen in training.

This is a stand-in for the HamNoSys-driven synthesizer (``hamrec.synth``), which will replace it
as the default dataset.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from ..atomic import atomic_path
from .formats import keypoints as kp

NAME = "builtin"
VERSION = 1
HANDSHAPES = ("flat", "fist", "index")
LOCATIONS = ("chest", "chin")
MOVEMENTS = ("hold", "up", "side", "circle")
FPS = 25.0


def classes() -> list[str]:
    return [f"{h}-{loc}-{m}" for h in HANDSHAPES for loc in LOCATIONS for m in MOVEMENTS]


def _hand(shape: str, wrist: np.ndarray, size: float, rng: np.random.Generator) -> np.ndarray:
    """(21, 3) hand points in MediaPipe order, fingers pointing up from ``wrist``."""
    pts = np.zeros((21, 3), np.float32)
    pts[0] = wrist
    bases = np.array([[-0.35, 0.25], [-0.2, 0.9], [0.0, 0.95], [0.2, 0.9], [0.38, 0.8]])  # thumb..pinky knuckles (x, up)
    extended = {"flat": [1, 1, 1, 1, 1], "fist": [0, 0, 0, 0, 0], "index": [0, 1, 0, 0, 0]}[shape]
    for f in range(5):
        base = wrist + size * np.array([bases[f, 0], -bases[f, 1], 0.0])
        direction = np.array([0.25 if f == 0 else 0.0, -1.0, 0.0]) if extended[f] else np.array([0.0, 0.6, -0.8])
        seg = size * (0.3 if f == 0 else 0.33) * (1 + rng.normal(0, 0.03))
        for j in range(4):
            pts[1 + 4 * f + j] = base + direction * seg * j if j else base
    return pts


def _recording(cls: str, signer: np.random.Generator, rng: np.random.Generator) -> np.ndarray:
    """(T, 51, 3) canonical keypoints of one performance of ``cls``."""
    shape, loc, move = cls.split("-")
    scale = signer.uniform(0.85, 1.15)
    origin = np.array([250 + signer.uniform(-30, 30), 200 + signer.uniform(-20, 20), 0.0])
    t_sign = int(rng.uniform(18, 30) * signer.uniform(0.8, 1.25))
    hold0, hold1 = rng.integers(2, 7), rng.integers(2, 7)
    s = np.concatenate([np.zeros(hold0), np.linspace(0, 1, t_sign), np.ones(hold1)])
    body = {
        "NOSE": [0, -110, 0], "LEFT_SHOULDER": [60, 0, 0], "RIGHT_SHOULDER": [-60, 0, 0], "LEFT_ELBOW": [75, 90, 0],
        "RIGHT_ELBOW": [-75, 90, 0], "LEFT_HIP": [45, 200, 0], "RIGHT_HIP": [-45, 200, 0],
    }  # fmt: skip
    start = {"chest": np.array([-15.0, 40.0, -30.0]), "chin": np.array([-10.0, -70.0, -30.0])}[loc]
    amp = 45.0 * rng.uniform(0.85, 1.15)
    path = {
        "hold": np.stack([np.zeros_like(s), np.zeros_like(s)], 1),
        "up": np.stack([np.zeros_like(s), -amp * s], 1),
        "side": np.stack([-amp * s, np.zeros_like(s)], 1),
        "circle": np.stack([0.6 * amp * (np.cos(2 * np.pi * s) - 1), 0.6 * amp * np.sin(2 * np.pi * s)], 1),
    }[move]
    data = np.full((len(s), kp.NUM_POINTS, 3), np.nan, np.float32)
    tremor = rng.normal(0, 1.2, size=(len(s), 3)).cumsum(0) * 0.3
    for t in range(len(s)):
        for name, xyz in body.items():
            data[t, kp.INDEX[name]] = origin + scale * np.array(xyz)
        wrist = origin + scale * (start + np.array([path[t, 0], path[t, 1], 0.0])) + tremor[t]
        data[t, kp.INDEX["RIGHT_WRIST"]] = wrist
        data[t, kp.RIGHT_HAND] = _hand(shape, wrist, 38 * scale, rng)
        left = origin + scale * np.array([70.0, 170.0, 0.0])
        data[t, kp.INDEX["LEFT_WRIST"]] = left
        data[t, kp.LEFT_HAND] = _hand("flat", left, 38 * scale, rng)
    data += rng.normal(0, 1.0, size=data.shape).astype(np.float32)
    drop = rng.random(len(s)) < 0.05  # missed right-hand detections
    data[drop, kp.RIGHT_HAND] = np.nan
    return data


def write_pose(path: Path, data: np.ndarray, fps: float = FPS) -> None:
    """Write (T, 51, 3) canonical keypoints as a MediaPipe-Holistic-style ``.pose`` file (NaN = not detected)."""
    from pose_format import Pose
    from pose_format.numpy import NumPyPoseBody
    from pose_format.pose_header import PoseHeader, PoseHeaderComponent, PoseHeaderDimensions

    def component(name, points, bones):
        return PoseHeaderComponent(name=name, points=points, limbs=bones, colors=[(255, 0, 0)], point_format="XYZC")

    hand_bones = [(a - kp.RIGHT_HAND.start, b - kp.RIGHT_HAND.start) for a, b in kp.BONES if a >= kp.RIGHT_HAND.start]
    comps = [
        component("POSE_LANDMARKS", list(kp.BODY_POINTS), [(a, b) for a, b in kp.BONES if b < len(kp.BODY_POINTS)]),
        component("LEFT_HAND_LANDMARKS", list(kp.HAND_POINTS), hand_bones),
        component("RIGHT_HAND_LANDMARKS", list(kp.HAND_POINTS), hand_bones),
    ]
    header = PoseHeader(version=0.1, dimensions=PoseHeaderDimensions(width=500, height=500, depth=0), components=comps)
    missing = np.isnan(data).any(-1)
    arr = np.ma.masked_array(np.nan_to_num(data)[:, None], mask=np.repeat(missing[:, None, :, None], 3, -1))
    conf = (~missing).astype(np.float32)[:, None]
    pose = Pose(header, NumPyPoseBody(fps=fps, data=arr, confidence=conf))
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            pose.write(f)


def ensure_builtin(root: str | Path, seed: int = 0, signers: int = 6, repetitions: int = 3) -> Path:
    """Generate the dataset under ``root`` once (deterministic from ``seed``) and return its folder."""
    folder = Path(root) / f"{NAME}-v{VERSION}-seed{seed}"
    manifest = folder / "manifest.csv"
    if manifest.is_file():
        return folder
    rows = []
    for si in range(signers):
        for ci, cls in enumerate(classes()):
            for r in range(repetitions):
                rng = np.random.default_rng([seed, si, ci + 1, r])
                rel = f"signer{si + 1}/{cls}-{r + 1}.pose"
                signer = np.random.default_rng([seed, si])  # the same body, place and tempo for all of a signer's recordings
                write_pose(folder / rel, _recording(cls, signer, rng))
                rows.append({"path": rel, "label": cls, "gloss": cls.upper(), "signer": f"signer{si + 1}"})
    with atomic_path(manifest) as tmp:
        with open(tmp, "w", newline="", encoding="utf-8") as f:
            w = csv.DictWriter(f, fieldnames=["path", "label", "gloss", "signer"])
            w.writeheader()
            w.writerows(rows)
    return folder
