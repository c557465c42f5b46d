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

    from hamrec.model.builder import with_known

    model_path = _model_for(tmp_path, layout, points, dims)
    cache = RecordingCache(None)
    seqs = [cache.load(p) for p in _recordings(layout, tmp_path)]
    # with an open-set answer: statistics of these recordings' own features, as training fits them
    rec = Recognizer.load(model_path)
    feats = np.tile(rec.pooled_features(seqs), (4, 1))
    stats = open_set.fit_distance(feats + np.random.default_rng(0).normal(size=feats.shape), np.arange(len(feats)) % 3, 3)
    rec.contract.info["open_set"] = open_set.calibrate(np.linspace(-5, -1, 20))
    rec.contract.save(with_known(rec.model, *stats), model_path)
    out = _export(model_path, tmp_path / "export")
    keras_rec, onnx_rec = Recognizer.load(model_path), OnnxRecognizer.load(out)
    (p_onnx, _, k_onnx), (p_keras, _, k_keras) = onnx_rec.outputs(seqs), keras_rec.outputs(seqs)
    assert np.abs(p_onnx - p_keras).max() <= 1e-4  # batch size len(seqs): the batch axis is dynamic
    assert np.abs(k_onnx - k_keras).max() <= 1e-4 * max(1.0, np.abs(k_keras).max())
    for s in seqs[:2]:
        assert np.abs(onnx_rec.probabilities([s]) - keras_rec.probabilities([s])).max() <= 1e-4  # batch size 1 (the traced torch path)
        assert np.abs(onnx_rec.outputs([s])[2] - keras_rec.outputs([s])[2]).max() <= 1e-4 * max(1.0, np.abs(k_keras).max())


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
    calibrated = summary["open_set"]
    assert saved["score"] == calibrated["score"] == open_set.SCORE and saved["calibrated_threshold"] == calibrated["threshold"]
    # the delivered model keeps the threshold's place among its own training recordings' scores (a refit spreads them differently)
    z = lambda o: (o["threshold"] - o["in_sample"]["median"]) / o["in_sample"]["mad"]  # noqa: E731
    assert z(saved) == pytest.approx(z(calibrated), rel=1e-6)
    # the threshold accepts the promised share of the validation recordings, scored by the run that did not train on them
    assert saved["val_accepted"] >= open_set.ACCEPT and saved["val_count"] > 0
    rec = Recognizer.load(model_path)
    (r,) = rec.recognise_files([str(data / "s0" / "c0_0.npy")])
    assert r["known_threshold"] == pytest.approx(saved["threshold"], abs=1e-4) and r["known"] == (r["known_score"] >= r["known_threshold"])


def test_the_distance_score_accepts_recordings_near_a_class_and_rejects_far_ones():
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(3, 8)) * 5
    y = np.repeat(np.arange(3), 40)
    x = centres[y] + rng.normal(size=(120, 8)) * np.linspace(0.5, 2.0, 8)  # anisotropic spread: a Mahalanobis distance, not a Euclidean one
    stats = open_set.fit_distance(x, y, 3)
    own = open_set.distance_score(x, *stats)
    assert np.median(own) == pytest.approx(-1.0, rel=0.1)  # in units of a typical training recording's distance
    settings = open_set.calibrate(open_set.distance_score(centres[y] + rng.normal(size=(120, 8)) * np.linspace(0.5, 2.0, 8), *stats))
    far = open_set.distance_score(centres[:1] + 6.0, *stats)
    near = open_set.distance_score(centres[1:2], *stats)
    assert open_set.answer(near[0], settings)["known"] is True and open_set.answer(far[0], settings)["known"] is False
    moved = open_set.transfer({**settings, "in_sample": open_set.spread(own)}, 2.0 * own)  # a model whose training recordings lie twice as far
    assert moved["threshold"] == pytest.approx(2.0 * settings["threshold"]) and moved["calibrated_threshold"] == settings["threshold"]
    assert open_set.answer(near[0], None) == {}  # models saved before open-set settings existed answer as before
    scores = open_set.entropy_score(np.array([[1.0, 0.0, 0.0], [1 / 3, 1 / 3, 1 / 3]]))  # the score of models calibrated before
    assert scores[0] == pytest.approx(0.0, abs=1e-9) and scores[1] == pytest.approx(-np.log(3))


def test_the_known_output_computes_the_fitted_score_and_a_model_of_the_old_score_still_answers(trained, tmp_path):
    import keras

    from hamrec.model.builder import with_known
    from hamrec.outputs import KNOWN

    model_path, data, _ = trained
    rec = Recognizer.load(model_path)
    assert KNOWN in rec.model.output  # the delivered model carries its score
    files = sorted(data.rglob("*.npy"))[:6]
    seqs = [RecordingCache(None).load(p) for p in files]
    whiten, offset, centres = (np.asarray(w) for w in rec.model.get_layer(KNOWN).get_weights())
    _, _, known = rec.outputs(seqs)
    assert np.allclose(known, open_set.distance_score(rec.pooled_features(seqs), whiten, offset, centres), rtol=1e-4, atol=1e-4)
    assert np.allclose(rec.outputs(seqs[:1])[2], known[:1], rtol=1e-4, atol=1e-4)  # the traced single-recording path too
    # its statistics are those of the recordings the delivered model trained on (train + val after the refit)
    trained_on = [e for split in rec.contract.info.get("trained_on", ["train"]) for e in rec.contract.split[split]]
    feats = rec.pooled_features([RecordingCache(None).load(e["path"]) for e in trained_on])
    refitted = open_set.fit_distance(feats, [rec.classes.index(e["label"]) for e in trained_on], len(rec.classes))
    np.testing.assert_allclose(refitted[2], centres, atol=1e-3)
    # new statistics replace the old output rather than adding a second one
    again = with_known(rec.model, np.eye(whiten.shape[0], dtype=np.float32), offset, centres)
    assert sorted(again.output) == sorted(rec.model.output)
    # a model calibrated by an earlier hamrec: negative entropy of its probabilities, no known output
    contract = ModelContract.read(model_path)
    contract.info["open_set"] = {**contract.info["open_set"], "score": open_set.ENTROPY, "threshold": -0.5}
    old = tmp_path / "old.keras"
    contract.save(keras.Model(rec.model.inputs, {k: v for k, v in rec.model.output.items() if k != KNOWN}), old)
    probs, _, scores = Recognizer.load(old).outputs(seqs)
    assert np.allclose(scores, open_set.entropy_score(probs))
    (r,) = Recognizer.load(old).recognise_files([str(files[0])])
    assert r["known"] == (r["known_score"] >= -0.5)


def test_without_the_train_extra_the_commands_say_what_to_install(monkeypatch):
    import importlib.util

    from hamrec import backend

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name in ("keras", "torch") else real(name, *a))
    with pytest.raises(ImportError, match=r'torch, keras not installed\): pip install "hamrec\[train\]"'):
        backend.require_train_extra("hamrec train")


def test_on_jax_training_needs_no_torch(monkeypatch):
    """KERAS_BACKEND=jax runs the whole job without torch (a GPU cluster saves its multi-GB download);
    the check asks for the backend in use, and on torch points to JAX where JAX is there."""
    import importlib.util

    from hamrec import backend

    real = importlib.util.find_spec
    absent: set[str] = set()
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name in absent else real(name, *a))
    absent |= {"torch"}
    monkeypatch.setenv("KERAS_BACKEND", "jax")
    backend.require_train_extra("hamrec train")  # jax, keras and the rest are installed by the test extra
    monkeypatch.setenv("KERAS_BACKEND", "torch")
    with pytest.raises(ImportError, match=r'needs the train extra \(torch not installed\): pip install "hamrec\[train\]" \(or, with JAX installed, run on it: KERAS_BACKEND=jax\)'):
        backend.require_train_extra("hamrec train")
    absent |= {"jax"}
    with pytest.raises(ImportError, match=r'\[train\]"$'):
        backend.require_train_extra("hamrec train")
    monkeypatch.setenv("KERAS_BACKEND", "jax")
    with pytest.raises(ImportError, match=r'needs the jax extra \(jax not installed\): pip install "hamrec\[jax\]"$'):
        backend.require_train_extra("hamrec train")
