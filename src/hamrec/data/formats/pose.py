"""``.pose`` files (pose-format): MediaPipe Holistic and OpenPose keypoints.

The file is read with the pose-format library; its components are matched by name and their
points mapped onto the canonical layout in :mod:`.keypoints`. Only the first person is used.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ...atomic import atomic_path
from ..sequence import RecordingError, SignSequence
from . import keypoints as kp

# MediaPipe Holistic component names (pose-format's holistic export)
MP_BODY = "POSE_LANDMARKS"
MP_HANDS = {"LEFT_HAND": "LEFT_HAND_LANDMARKS", "RIGHT_HAND": "RIGHT_HAND_LANDMARKS"}
MP_FACE = "FACE_LANDMARKS"  # its points are named by face-mesh index ("0" ... "467"); a reduced export keeps some
# OpenPose BODY_25 / hand component names (pose-format's openpose export, Ham2Pose)
OP_BODY = "pose_keypoints_2d"
OP_HANDS = {"LEFT_HAND": "hand_left_keypoints_2d", "RIGHT_HAND": "hand_right_keypoints_2d"}
OP_BODY_NAMES = {
    "NOSE": "Nose",
    "LEFT_SHOULDER": "LShoulder",
    "RIGHT_SHOULDER": "RShoulder",
    "LEFT_ELBOW": "LElbow",
    "RIGHT_ELBOW": "RElbow",
    "LEFT_WRIST": "LWrist",
    "RIGHT_WRIST": "RWrist",
    "LEFT_HIP": "LHip",
    "RIGHT_HIP": "RHip",
}


def load_pose(path: str | Path) -> SignSequence:
    """Read a ``.pose`` file into the canonical keypoint layout.

    Raises:
        RecordingError: the file has neither MediaPipe nor OpenPose components.
    """
    from pose_format import Pose

    path = Path(path)
    return pose_to_sequence(Pose.read(path.read_bytes()), path)


def pose_to_sequence(pose, path: str | Path) -> SignSequence:
    """A ``pose_format.Pose`` (read from ``path``, or extracted from it) in the canonical keypoint layout."""
    header = pose.header
    offsets: dict[str, int] = {}
    names: dict[str, list[str]] = {}
    start = 0
    for comp in header.components:
        offsets[comp.name] = start
        names[comp.name] = list(comp.points)
        start += len(comp.points)

    if MP_BODY in offsets or any(c in offsets for c in MP_HANDS.values()):
        family, body, hands, body_names = "mediapipe", MP_BODY, MP_HANDS, {n: n for n in kp.BODY_POINTS}
    elif OP_BODY in offsets or any(c in offsets for c in OP_HANDS.values()):
        family, body, hands, body_names = "openpose", OP_BODY, OP_HANDS, OP_BODY_NAMES
    else:
        found = [c.name for c in header.components]
        raise RecordingError(
            f"{path}: unknown .pose components {found}; expected MediaPipe Holistic "
            f"({MP_BODY}, {', '.join(MP_HANDS.values())}) or OpenPose ({OP_BODY}, {', '.join(OP_HANDS.values())})"
        )

    source_index: dict[str, int] = {}
    if body in offsets:
        for canon, src_name in body_names.items():
            if src_name in names[body]:
                source_index[canon] = offsets[body] + names[body].index(src_name)
    for side, comp in hands.items():
        if comp in offsets:
            for i, p in enumerate(kp.HAND_POINTS):
                source_index[f"{side}.{p}"] = offsets[comp] + i
    if family == "mediapipe" and MP_FACE in offsets:  # OpenPose's 70 face points are another model's: not mapped
        for i in kp.FACE_MESH:
            if str(i) in names[MP_FACE]:
                source_index[f"FACE.{i}"] = offsets[MP_FACE] + names[MP_FACE].index(str(i))

    data = np.ma.getdata(pose.body.data)[:, 0].astype(np.float32)  # (T, S, D)
    conf = np.asarray(pose.body.confidence)[:, 0]  # (T, S)
    mask = (conf > 0) & ~np.ma.getmaskarray(pose.body.data)[:, 0].any(axis=-1)
    out, out_mask = kp.gather(data, mask, source_index)
    if out.shape[-1] == 2:  # 2D sources get z = 0 so that 2D and 3D keypoints share one layout
        out = np.concatenate([out, np.where(out_mask[..., None], 0.0, np.nan).astype(np.float32)], axis=-1)
    return SignSequence(
        data=out[..., :3],
        mask=out_mask,
        fps=float(pose.body.fps or 25.0),
        layout=kp.LAYOUT,
        points=list(kp.POINTS),
        source=str(path),
        meta={"family": family, "source_points": start, "source_dims": int(data.shape[-1])},
    )


def write_pose(path: Path, data: np.ndarray, fps: float = 25.0) -> None:
    """Write (T, 147, 3) canonical keypoints as a MediaPipe-Holistic-style ``.pose`` file (NaN = not detected).

    The face component (the layout's 96 face-mesh points) is written only when some face point was detected.
    """
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
    data, _ = kp.widen(data, ~np.isnan(data).any(-1))
    if np.isnan(data[:, kp.FACE]).all():
        data = data[:, kp.BODY_HANDS]
    else:
        comps.append(component(MP_FACE, [str(i) for i in kp.FACE_MESH], []))
    header = PoseHeader(version=0.1, dimensions=PoseHeaderDimensions(width=500, height=500, depth=0), components=comps)
    missing = np.isnan(data).any(-1)
    arr = np.ma.masked_array(np.nan_to_num(data)[:, None], mask=np.repeat(missing[:, None, :, None], 3, -1))
    conf = (~missing).astype(np.float32)[:, None]
    pose = Pose(header, NumPyPoseBody(fps=fps, data=arr, confidence=conf))
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            pose.write(f)
