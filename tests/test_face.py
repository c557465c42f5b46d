"""The face in keypoint recordings (issue 13, part 3): read, mirrored, featured when present, missing when not."""

from __future__ import annotations

import ast
import csv
import dataclasses
import importlib.util
import warnings
from pathlib import Path

import numpy as np
import pytest

from hamrec.data.cache import RecordingCache
from hamrec.data.formats import keypoints as kp
from hamrec.data.formats.pose import write_pose
from hamrec.data.sequence import SignSequence
from hamrec.features import FeatureSpec, Normalizer, has_face

from .conftest import POSE_SAMPLES, need, prepare_one

LOWER_LIP = [17, 84, 314, 181, 405, 91, 321, 146, 375, 14, 87, 317, 178, 402, 88, 318, 95, 324]


def test_a_mediapipe_face_is_read_into_the_layout_and_an_openpose_one_is_not(tmp_path):
    cache = RecordingCache(None)
    seq = cache.load(need(POSE_SAMPLES) / "mediapipe.pose")  # a face-contour export: lips, eyes, brows, but no nose points
    seen = {kp.POINTS[i] for i in np.flatnonzero(seq.mask[:, kp.FACE].any(axis=0)) + kp.FACE.start}
    assert seen == {f"FACE.{i}" for i in kp.FACE_MESH if i not in kp.FACE_NOSE}
    assert has_face(seq) and not has_face(cache.load(need(POSE_SAMPLES) / "openpose.pose"))
    write_pose(tmp_path / "copy.pose", np.where(seq.mask[..., None], seq.data, np.nan))
    again = cache.load(tmp_path / "copy.pose")
    assert (again.mask == seq.mask).all() and np.allclose(again.data[seq.mask], seq.data[seq.mask], atol=1e-4)


def test_the_face_mirror_pairs_are_those_of_pose_formats_face_mesh_mirror():
    """pose-format derives its mirror of the face mesh from MediaPipe's symmetric face model; ours must agree on every point we keep.

    Read from its source, since importing ``pose_format.utils.holistic`` needs MediaPipe (the video extra).
    """
    spec = importlib.util.find_spec("pose_format.utils.holistic")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # escape sequences in its docstrings
        tree = ast.parse(Path(spec.origin).read_text())
    flipped = next(ast.literal_eval(n.value) for n in ast.walk(tree) if isinstance(n, ast.Assign) and getattr(n.targets[0], "id", "") == "FLIPPED_FACE_POINTS")
    ours = {i: i for i in kp.FACE_MESH}
    for a, b in kp.MIRROR_PAIRS:
        if kp.POINTS[a].startswith("FACE."):
            ia, ib = int(kp.POINTS[a][5:]), int(kp.POINTS[b][5:])
            ours[ia], ours[ib] = ib, ia
    assert ours == {i: flipped[i] for i in kp.FACE_MESH}


def _face_recording(rng: np.random.Generator, mouth_open: float, shift=(0.0, 0.0)) -> SignSequence:
    """A real MediaPipe recording (hands, arms and face), cut at a random start, moved, its mouth opened by ``mouth_open`` (x mouth width)."""
    base = RecordingCache(None).load(need(POSE_SAMPLES) / "mediapipe.pose")
    start = int(rng.integers(0, 40))
    data, mask = base.data[start : start + 120].copy(), base.mask[start : start + 120].copy()
    lips = [kp.INDEX[f"FACE.{i}"] for i in kp.FACE_LIPS]
    width = np.nanmax(data[:, lips, 0]) - np.nanmin(data[:, lips, 0])
    data[:, [kp.INDEX[f"FACE.{i}"] for i in LOWER_LIP], 1] += mouth_open * width
    data[..., :2] += np.asarray(shift, np.float32) + rng.normal(0, 0.002 * width, data[..., :2].shape)
    return dataclasses.replace(base, data=data.astype(np.float32), mask=mask)


def test_face_features_follow_the_mouth_not_the_head_and_are_missing_without_a_face():
    spec = FeatureSpec(kp.LAYOUT, kp.NUM_POINTS, 3, seq_len=32, velocity=False, face=True)
    closed = _face_recording(np.random.default_rng(1), 0.0)
    opened = dataclasses.replace(closed, data=_face_recording(np.random.default_rng(1), 0.5).data)
    head = closed.data.copy()
    head[:, kp.FACE] += np.float32([40.0, -25.0, 0.0])  # the head turned or leant: the whole face moves
    moved = dataclasses.replace(closed, data=head)
    x, _ = prepare_one(closed, spec)
    assert x.shape[1] == spec.num_features == (len(kp.BODY_HAND_POINTS) + 42 + len(kp.FACE_MESH)) * 3
    face = slice((len(kp.BODY_HAND_POINTS) + 42) * 3, None)
    np.testing.assert_allclose(np.nan_to_num(prepare_one(moved, spec)[0]), np.nan_to_num(x), atol=1e-4)  # where the face is: not a face feature
    assert np.nanmax(np.abs(prepare_one(opened, spec)[0][:, face] - x[:, face])) > 0.05  # the mouth is
    no_face = FeatureSpec(kp.LAYOUT, kp.NUM_POINTS, 3, seq_len=32, velocity=False)
    np.testing.assert_allclose(prepare_one(opened, no_face)[0], prepare_one(closed, no_face)[0], atol=1e-6)  # without face features: the same
    hidden = closed.mask.copy()
    hidden[:, kp.FACE] = False
    faceless = dataclasses.replace(closed, mask=hidden)
    assert not has_face(faceless)
    xf, mf = prepare_one(faceless, spec)
    assert np.isnan(xf[:, face]).all()
    np.testing.assert_allclose(xf[:, : face.start], x[:, : face.start], atol=1e-6)  # the rest as with the face
    norm = Normalizer.fit(x[None], np.ones((1, 32), bool))
    assert (norm(xf, mf)[:, face] == 0).all()  # missing face: the training mean


def test_models_saved_before_the_face_keep_loading_with_the_same_features(tmp_path):
    """A model of the 51-point layout reads as today's layout without face features; a 51-point keypoint array is widened."""
    from hamrec.contract import ModelContract
    from hamrec.inference.predict import Recognizer

    from .test_inference import _model_for

    old = FeatureSpec(kp.LAYOUT, len(kp.BODY_HAND_POINTS), 3, seq_len=16)
    assert FeatureSpec.from_dict(old.to_dict()) == dataclasses.replace(old, num_points=kp.NUM_POINTS)
    path = _model_for(tmp_path, kp.LAYOUT, len(kp.BODY_HAND_POINTS), 3)
    contract = ModelContract.read(path)
    assert contract.spec.num_points == kp.NUM_POINTS and not contract.spec.face
    pose = need(POSE_SAMPLES) / "mediapipe.pose"
    seq = RecordingCache(None).load(pose)
    arr = tmp_path / "old.npz"
    np.savez(arr, data=seq.data[:, kp.BODY_HANDS], mask=seq.mask[:, kp.BODY_HANDS], layout="keypoints", fps=seq.fps)
    widened = RecordingCache(None).load(arr)
    assert widened.data.shape[1] == kp.NUM_POINTS and not has_face(widened)
    rec = Recognizer.load(path)
    p_pose, p_arr = rec.probabilities([seq]), rec.probabilities([widened])  # without face features, the face makes no difference
    np.testing.assert_allclose(p_pose, p_arr, atol=1e-5)
    assert "error" not in rec.recognise_files([str(pose)])[0]


def _face_dataset(folder: Path, faceless: set[tuple[int, int]]) -> Path:
    """Two signs with the same hands and arms, told apart by the mouth (closed / open); 4 signers by shift; some recordings without a face."""
    rng = np.random.default_rng(0)
    rows = []
    for s in range(4):
        shift = rng.normal(0, 30, 2)
        for c, mouth in enumerate((0.0, 0.6)):
            for r in range(4):
                seq = _face_recording(rng, mouth, shift)
                mask = seq.mask.copy()
                if (s, r) in faceless:
                    mask[:, kp.FACE] = False
                rel = f"s{s}/{c}_{r}.npz"
                (folder / rel).parent.mkdir(parents=True, exist_ok=True)
                np.savez(folder / rel, data=seq.data, mask=mask, layout="keypoints", fps=seq.fps)
                rows.append({"path": rel, "label": ("closed", "open")[c], "signer": f"signer{s}"})
    with open(folder / "manifest.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return folder


@pytest.mark.slow
def test_recordings_with_and_without_a_face_train_one_model_that_reads_the_mouth(tmp_path):
    from hamrec.inference.predict import Recognizer
    from hamrec.training.loop import LoopConfig, run_loop

    data = _face_dataset(tmp_path / "d", faceless={(0, 0), (1, 1), (2, 2), (3, 3)})
    cfg = LoopConfig(include_datasets=(str(data),), model_dir=str(tmp_path / "m"), log_file=str(tmp_path / "log.txt"), epochs=25, patience=8,
                     max_classes_per_batch=0, seq_len=24, augment_factor=5, test_groups=("signer3",), val_groups=("signer2",), run_inference=False,
                     cache_dir=None, refit=False, accuracy_threshold=1.0)  # fmt: skip
    run_loop(cfg, lambda line: None)
    rec = Recognizer.load(tmp_path / "m" / "best_model.keras")
    assert rec.spec.face
    files = sorted((data / "s3").glob("*.npz"))  # the test signer's: the mouth is all that tells the signs apart
    results = rec.recognise_files([str(f) for f in files])
    with_face = [(f, r) for f, r in zip(files, results) if r["face_seen"] == 1.0]
    assert len(with_face) == 6 and all(r["face_seen"] == 0.0 for f, r in zip(files, results) if f.stem.endswith("_3"))
    correct = sum(r["top_k"][0]["label"] == ("closed", "open")[int(f.name[0])] for f, r in with_face)
    assert correct >= 5, [(f.name, r["top_k"][0]) for f, r in with_face]
    assert all(r["top_k"] for r in results)  # a recording without a face still gets an answer
