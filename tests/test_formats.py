"""Every recording format reads into the same SignSequence; bad files get clear errors."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from hamrec.data.formats import keypoints as kp
from hamrec.data.formats import load_recording
from hamrec.data.formats.auslan import CHANNELS, label_from_name
from hamrec.data.formats.signavatars import JOINTS
from hamrec.data.sequence import RecordingError

from .conftest import AUSLAN, POSE_SAMPLES, need


def test_real_auslan_file():
    seq = load_recording(need(AUSLAN) / "tctodd4" / "alive-1.tsd")
    assert seq.layout == "auslan_glove"
    assert seq.data.shape[1:] == (22, 1) and 45 <= seq.num_frames <= 136
    assert seq.meta == {"label": "alive", "session": "tctodd4"}
    assert seq.mask.all()


def test_auslan_her_is_his_hers():
    assert label_from_name("her-3.tsd") == "his_hers"
    assert label_from_name("his_hers-1.tsd") == "his_hers"
    assert label_from_name("notes.txt") is None


def test_tsd_wrong_channel_count(tmp_path):
    p = tmp_path / "bad-1.tsd"
    p.write_text("\t".join(["0.1"] * 22) + "\n" + "\t".join(["0.1"] * 21) + "\n")
    with pytest.raises(RecordingError, match=r"bad-1.tsd: line 2 has 21 channels; expected 22"):
        load_recording(p)


@pytest.mark.parametrize("name,family,dims", [("mediapipe.pose", "mediapipe", 3), ("mediapipe_long.pose", "mediapipe", 3), ("openpose.pose", "openpose", 2)])
def test_real_pose_files_map_to_canonical_layout(name, family, dims):
    seq = load_recording(need(POSE_SAMPLES) / name)
    assert seq.layout == kp.LAYOUT and seq.data.shape[1:] == (kp.NUM_POINTS, 3)
    assert seq.meta["family"] == family and seq.meta["source_dims"] == dims
    # both shoulders and at least some hand points are detected
    assert seq.mask[:, kp.INDEX["LEFT_SHOULDER"]].any() and seq.mask[:, kp.INDEX["RIGHT_SHOULDER"]].any()
    assert seq.mask[:, kp.RIGHT_HAND].any() or seq.mask[:, kp.LEFT_HAND].any()
    assert np.isnan(seq.data[~seq.mask]).all() and not np.isnan(seq.data[seq.mask]).any()


def test_pose_without_known_components_is_refused(tmp_path):
    from pose_format import Pose
    from pose_format.numpy import NumPyPoseBody
    from pose_format.pose_header import PoseHeader, PoseHeaderComponent, PoseHeaderDimensions

    comp = PoseHeaderComponent(name="MARKERS", points=["a", "b"], limbs=[(0, 1)], colors=[(0, 0, 0)], point_format="XYC")
    header = PoseHeader(version=0.1, dimensions=PoseHeaderDimensions(width=10, height=10, depth=0), components=[comp])
    body = NumPyPoseBody(fps=25, data=np.ma.masked_array(np.ones((4, 1, 2, 2), np.float32)), confidence=np.ones((4, 1, 2), np.float32))
    p = tmp_path / "markers.pose"
    with open(p, "wb") as f:
        Pose(header, body).write(f)
    with pytest.raises(RecordingError, match=r"markers.pose: unknown .pose components \['MARKERS'\]; expected MediaPipe"):
        load_recording(p)


def test_hand_only_pose_file_reads():
    seq = load_recording(need(POSE_SAMPLES) / "mediapipe_hand_normalized.pose")
    assert seq.mask[:, kp.RIGHT_HAND].any()
    assert not seq.mask[:, : len(kp.BODY_POINTS)].any()  # no body in that file: missing, not invented


def test_corrupt_pose_file(tmp_path):
    p = tmp_path / "broken.pose"
    p.write_bytes((need(POSE_SAMPLES) / "mediapipe.pose").read_bytes()[:500])
    with pytest.raises(RecordingError, match=r"broken.pose: cannot read as pose"):
        load_recording(p)


def _signavatars_dict(frames=12, torch_tensor=False):
    smplx = np.random.default_rng(0).normal(size=(frames, 182)).astype(np.float32)
    if torch_tensor:
        import torch

        smplx = torch.tensor(smplx)
    return {"smplx": smplx, "2d": np.zeros((frames, 106, 3), np.float32), "width": 1280, "height": 720, "valid_idx": list(range(frames))}


@pytest.mark.parametrize("torch_tensor", [False, True])
def test_signavatars_pickle(tmp_path, torch_tensor):
    p = tmp_path / "10010.pkl"
    with open(p, "wb") as f:
        pickle.dump(_signavatars_dict(torch_tensor=torch_tensor), f)
    seq = load_recording(p)
    assert seq.layout == "smplx" and seq.data.shape == (12, len(JOINTS), 3) and len(JOINTS) == 21 + 15 + 15 + 1
    raw = _signavatars_dict()["smplx"]
    np.testing.assert_allclose(seq.data[:, 0], raw[:, 3:6], rtol=1e-6)  # first body joint follows the root
    assert seq.meta == {"width": 1280, "height": 720}


def test_signavatars_wrong_width(tmp_path):
    p = tmp_path / "x.pkl"
    with open(p, "wb") as f:
        pickle.dump({"smplx": np.zeros((5, 100))}, f)
    with pytest.raises(RecordingError, match=r"'smplx' has shape \(5, 100\); expected \(frames, 182\)"):
        load_recording(p)


def test_truncated_pickle(tmp_path):
    p = tmp_path / "t.pkl"
    p.write_bytes(pickle.dumps(_signavatars_dict())[:100])
    with pytest.raises(RecordingError, match=r"t.pkl: cannot read as signavatars"):
        load_recording(p)


def test_numpy_formats(tmp_path):
    np.save(tmp_path / "a.npy", np.ones((10, 6), np.float32))
    seq = load_recording(tmp_path / "a.npy")
    assert seq.data.shape == (10, 6, 1) and seq.layout == "array"
    np.savez(tmp_path / "b.npz", data=np.ones((10, 51, 3)), layout="keypoints", fps=25.0)
    seq = load_recording(tmp_path / "b.npz")
    assert seq.layout == "keypoints" and seq.points == kp.POINTS and seq.fps == 25.0
    np.savez(tmp_path / "c.npz", other=np.ones(3))
    with pytest.raises(RecordingError, match=r"no array named 'data'; found \['other'\]"):
        load_recording(tmp_path / "c.npz")


@pytest.mark.parametrize("content,match", [(np.zeros((0, 4)), "no frames"), (np.full((5, 4), np.nan), "every value is missing")])
def test_empty_or_all_nan(tmp_path, content, match):
    np.save(tmp_path / "e.npy", content)
    with pytest.raises(RecordingError, match=match):
        load_recording(tmp_path / "e.npy")


def test_unknown_suffix(tmp_path):
    (tmp_path / "x.docx").write_bytes(b"")
    with pytest.raises(RecordingError, match=r"unknown recording format '.docx'"):
        load_recording(tmp_path / "x.docx")


def test_channel_names():
    assert CHANNELS[0] == "left_x" and CHANNELS[-1] == "right_little" and len(CHANNELS) == 22
