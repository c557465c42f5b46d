"""Deployment: ONNX export (parity with Keras on real recordings), the torch-free runtime, and the open-set answer."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from hamrec.contract import ModelContract
from hamrec.data.cache import RecordingCache
from hamrec.data.formats import keypoints as kp
from hamrec.inference import open_set
from hamrec.inference.predict import Recognizer

from .conftest import AUSLAN, POSE_SAMPLES, ROOT, SHARED, need
from .test_inference import _model_for, _signavatars_file

pytest.importorskip("onnxruntime", reason='the export and runtime extras are not installed: pip install -e ".[test]"')
DGS11 = SHARED / "dgs11"


def _export(model_path: Path, out: Path) -> Path:
    done = subprocess.run([sys.executable, "-m", "hamrec.cli.main", "export", "--model-path", str(model_path), "--out", str(out)],
                          capture_output=True, text=True, cwd=ROOT)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert (out / "model.onnx").is_file() and (out / "hamrec.json").is_file()
    return out


def _recordings(layout: str, tmp_path: Path) -> list[Path]:
    if layout == "keypoints":
        return [need(POSE_SAMPLES) / "mediapipe.pose", need(POSE_SAMPLES) / "openpose.pose"] + sorted(need(DGS11).glob("hallo/*.pose"))[:3]
    if layout == "auslan_glove":
        return sorted(need(AUSLAN).glob("tctodd5/*.tsd"))[:5]
    return [_signavatars_file(tmp_path)]


@pytest.mark.parametrize("layout,points,dims", [("keypoints", kp.NUM_POINTS, 3), ("auslan_glove", 22, 1), ("smplx", 52, 3)])
def test_onnx_runtime_gives_the_keras_probabilities_on_real_recordings_of_every_layout(tmp_path, layout, points, dims):
    """Real .pose files (MediaPipe, OpenPose, dgs11 webcam), real Auslan glove streams; SMPL-X is synthetic (no real file is shared)."""
    from hamrec.runtime import OnnxRecognizer

    model_path = _model_for(tmp_path, layout, points, dims)
    out = _export(model_path, tmp_path / "export")
    cache = RecordingCache(None)
    seqs = [cache.load(p) for p in _recordings(layout, tmp_path)]
    keras_rec, onnx_rec = Recognizer.load(model_path), OnnxRecognizer.load(out)
    batched = onnx_rec.probabilities(seqs)
    assert np.abs(batched - keras_rec.probabilities(seqs)).max() <= 1e-4  # batch size len(seqs): the batch axis is dynamic
    for s in seqs[:2]:
        assert np.abs(onnx_rec.probabilities([s]) - keras_rec.probabilities([s])).max() <= 1e-4  # batch size 1 (the traced torch path)


def test_runtime_needs_neither_torch_nor_keras_and_answers_like_inference_hamnosys(trained, tmp_path):
    model_path, data, _ = trained
    out = _export(model_path, tmp_path / "export")
    files = [str(data / "s0" / "c0_0.npy"), str(data / "s3" / "c2_1.npy"), str(tmp_path / "missing.npy")]
    code = ("import json, sys; from hamrec.runtime import main; rc = main(sys.argv[1:]); "
            "assert 'torch' not in sys.modules and 'keras' not in sys.modules, 'the runtime imported torch or keras'; sys.exit(rc)")  # fmt: skip
    light = subprocess.run([sys.executable, "-c", code, "--model-path", str(out), "--input", *files, "--json"], capture_output=True, text=True)
    assert light.returncode == 1, light.stderr[-2000:]  # one file is missing: reported, the others still answered
    full = subprocess.run([sys.executable, str(ROOT / "inference_hamnosys.py"), "--model-path", str(model_path), "--input", *files, "--json"],
                          capture_output=True, text=True)  # fmt: skip
    ours, theirs = json.loads(light.stdout)["results"], json.loads(full.stdout)["results"]
    assert [r["file"] for r in ours] == files and "error" in ours[2] and "error" in theirs[2]
    for a, b in zip(ours[:2], theirs[:2]):
        assert [c["label"] for c in a["top_k"]] == [c["label"] for c in b["top_k"]]
        assert np.allclose([c["probability"] for c in a["top_k"]], [c["probability"] for c in b["top_k"]], atol=1e-4)
        assert a["known"] == b["known"] and a["known_score"] == pytest.approx(b["known_score"], abs=1e-3)
    # inference_hamnosys.py runs an export too, through the same runtime
    via_cli = subprocess.run([sys.executable, str(ROOT / "inference_hamnosys.py"), "--model-path", str(out), "--input", files[0]], capture_output=True, text=True)
    assert via_cli.returncode == 0 and "sign0" in via_cli.stdout, via_cli.stderr[-2000:]


def test_the_export_keeps_no_training_paths_and_refuses_what_is_not_an_export(trained, tmp_path):
    from hamrec.export import read_exported

    out = _export(trained[0], tmp_path / "export")
    meta = json.loads((out / "hamrec.json").read_text())
    assert "split" not in meta and meta["classes"] == ["sign0", "sign1", "sign2"] and "open_set" in meta
    with pytest.raises(ValueError, match="not a hamrec export"):
        read_exported(tmp_path)
    bad = subprocess.run([sys.executable, str(ROOT / "inference_hamnosys.py"), "--model-path", str(out)], capture_output=True, text=True)
    assert bad.returncode == 2 and "carries no split" in bad.stderr


def test_open_set_threshold_is_chosen_on_validation_and_saved_with_the_model(trained):
    model_path, data, summary = trained
    saved = ModelContract.read(model_path).info["open_set"]
    assert saved == summary["open_set"] and saved["score"] == open_set.SCORE
    # the threshold accepts the promised share of the validation recordings, scored by the run that did not train on them
    assert saved["val_accepted"] >= open_set.ACCEPT and saved["val_count"] > 0
    rec = Recognizer.load(model_path)
    (r,) = rec.recognise_files([str(data / "s0" / "c0_0.npy")])
    assert r["known_threshold"] == pytest.approx(saved["threshold"], abs=1e-4) and r["known"] == (r["known_score"] >= r["known_threshold"])


def test_open_set_answer_rejects_an_undecided_output_and_accepts_a_certain_one():
    sure = np.array([[0.98, 0.01, 0.01]])
    undecided = np.full((1, 3), 1 / 3)
    settings = open_set.calibrate(np.repeat(sure, 50, axis=0) * np.linspace(0.9, 1.0, 50)[:, None])
    assert open_set.answer(sure[0], settings)["known"] is True
    assert open_set.answer(undecided[0], settings)["known"] is False
    assert open_set.answer(sure[0], None) == {}  # models saved before open-set settings existed answer as before
    scores = open_set.known_score(np.array([[1.0, 0.0, 0.0], [1 / 3, 1 / 3, 1 / 3]]))
    assert scores[0] == pytest.approx(0.0, abs=1e-9) and scores[1] == pytest.approx(-np.log(3))


def test_without_the_train_extra_the_commands_say_what_to_install(monkeypatch):
    import importlib.util

    from hamrec import backend

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name in ("keras", "torch") else real(name, *a))
    with pytest.raises(ImportError, match=r'torch, keras not installed\): pip install "hamrec\[train\]"'):
        backend.require_train_extra("hamrec train")
