"""Inference: single files of each format, JSON output, dataset evaluation, layout errors, plots and the HTML report."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from hamrec.data.formats import keypoints as kp
from hamrec.data.datasets import DatasetError
from hamrec.inference.evaluate import evaluate_dir, evaluate_split
from hamrec.inference.predict import Recognizer
from hamrec.inference.report import report
from hamrec.training.loop import LoopConfig, run_loop

from .conftest import AUSLAN, POSE_SAMPLES, ROOT, need, write_array_dataset




def test_model_learns_the_tiny_task_and_reloaded_metrics_match(trained):
    model_path, _, summary = trained
    assert summary["final"]["top1"] >= 0.9  # three sine frequencies are easy for unseen signers
    again = evaluate_split(Recognizer.load(model_path), summary["final"]["split"])
    assert again["top1"] == pytest.approx(summary["final"]["top1"]) and again["count"] == summary["final"]["count"]


def test_the_delivered_model_is_a_refit_that_replays_the_chosen_runs_learning_rates(trained):
    model_path, _, summary = trained
    chosen, refit = summary["training_runs"][-2:]
    assert refit["run_id"] == chosen["run_id"] + "-refit" and summary["best_model"]["run_id"] == refit["run_id"]
    logs = model_path.parent / "logs"

    def column(run, key):
        with open(logs / Path(run["csv"]).name, newline="") as f:
            return [float(r[key]) for r in csv.DictReader(f)]

    top1 = column(chosen, "val_top1")
    last_best = max(i + 1 for i, v in enumerate(top1) if v == max(top1))  # the latest epoch at the best val top-1
    assert refit["epochs_run"] == last_best >= chosen["best_epoch"]
    assert column(refit, "learning_rate") == pytest.approx(column(chosen, "learning_rate")[:last_best])


def test_contract_the_validation_top1_of_training_is_what_the_reloaded_model_scores(tmp_path):
    """Training's figure and inference's figure come from one contract: reload, encode, predict, score."""
    data = write_array_dataset(tmp_path / "data", classes=3, signers=4, reps=4, noise=0.6, seed=3)
    cfg = LoopConfig(include_datasets=(str(data),), model_dir=str(tmp_path / "model"), log_file=str(tmp_path / "log.txt"), cache_dir=None,
                     seq_len=16, max_classes_per_batch=0, run_inference=False, epochs=4, patience=5, augment_factor=2, refit=False)  # fmt: skip
    summary = run_loop(cfg, lambda line: None)
    again = evaluate_split(Recognizer.load(tmp_path / "model" / "best_model.keras"), "val")
    assert again["count"] > 0 and again["top1"] == pytest.approx(summary["best_accuracy"])
    assert again["top3"] == pytest.approx(summary["best_top3_accuracy"])


def test_recognise_files_with_gloss_and_hamnosys(trained, tmp_path):
    model_path, data, _ = trained
    rec = Recognizer.load(model_path)
    (tmp_path / "bad.npy").write_bytes(b"junk")
    np.save(tmp_path / "wide.npy", np.ones((20, 7), np.float32))
    results = rec.recognise_files([str(data / "s0" / "c0_0.npy"), str(tmp_path / "bad.npy"), str(tmp_path / "wide.npy")], k=2)
    good, bad, wide = results
    assert [c["label"] for c in good["top_k"]][0] == "sign0" and len(good["top_k"]) == 2
    assert good["top_k"][0]["gloss"] == "SIGN0" and good["top_k"][0]["hamnosys"] == "\ue001\ue020"
    assert sum(c["probability"] for c in good["top_k"]) <= 1.0 + 1e-6
    assert "not a NumPy .npy file" in bad["error"]
    assert "the model expects layout 'array' with 4 points x 1 dims" in wide["error"]


def test_cli_json_output(trained, tmp_path):
    model_path, data, _ = trained
    (tmp_path / "bad.npy").write_bytes(b"junk")
    out = subprocess.run([sys.executable, str(ROOT / "inference_hamnosys.py"), "--model-path", str(model_path), "--input",
                          str(data / "s1" / "c2_1.npy"), str(tmp_path / "bad.npy"), "--json", "--top-k", "3"],
                         capture_output=True, text=True)  # fmt: skip
    doc = json.loads(out.stdout)
    assert out.returncode == 1  # one file failed
    first, second = doc["results"]
    assert first["file"].endswith("c2_1.npy") and set(first["top_k"][0]) == {"label", "gloss", "hamnosys", "probability"}
    assert len(first["top_k"]) == 3 and "error" in second


def test_evaluate_a_labelled_folder(trained, tmp_path):
    model_path, data, _ = trained
    other = write_array_dataset(tmp_path / "new_signers", classes=3, signers=2, reps=2, seed=9, noise=0.1)
    m = evaluate_dir(Recognizer.load(model_path), other)
    assert m["count"] == 12 and m["top1"] >= 0.75 and set(m["per_class"]) == {"sign0", "sign1", "sign2"}
    assert m["top1"] <= m["top2"] <= m["top3"]


def test_evaluate_a_folder_restricted_to_one_format(trained, tmp_path):
    model_path, _, _ = trained
    other = write_array_dataset(tmp_path / "mixed", classes=3, signers=1, reps=1, seed=3, noise=0.1)
    (other / "notes.pose").write_bytes(b"")  # another format in the same folder, not in the manifest
    assert evaluate_dir(Recognizer.load(model_path), other, fmt="array")["count"] == 3
    with pytest.raises(DatasetError, match=r"no pose recordings \(--format pose expects \['.pose'\]\)"):
        evaluate_dir(Recognizer.load(model_path), other, fmt="pose")


def test_report_writes_every_plot_and_html(trained, tmp_path):
    model_path, _, _ = trained
    page = report(Recognizer.load(model_path), tmp_path / "vis", log=lambda s: None)
    names = {p.name for p in (tmp_path / "vis").iterdir()}
    for expected in ("index.html", "metrics.json", "training_curves.png", "confusion_matrix.png", "per_class_accuracy.png", "topk_accuracy.png",
                     "sample1_topk.png", "sample1_motion.png"):  # fmt: skip
        assert expected in names and (tmp_path / "vis" / expected).stat().st_size > 500, expected
    html = page.read_text()
    for img in [n for n in names if n.endswith(".png")]:
        assert f'src="{img}"' in html
    metrics = json.loads((tmp_path / "vis" / "metrics.json").read_text())
    assert {"top1", "top2", "top3", "per_class", "count", "skipped"} <= set(metrics)


def test_report_renders_in_headless_chromium(trained, tmp_path):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        pytest.skip("chromium is not installed (apt-get install chromium)")
    model_path, _, _ = trained
    page = report(Recognizer.load(model_path), tmp_path / "vis", log=lambda s: None)
    # count images that failed to load: the page's own script writes the number into the DOM
    probe = tmp_path / "vis" / "probe.html"
    probe.write_text(page.read_text().replace("</body>", "<script>window.onload=()=>{document.title='broken:'+"
                     "[...document.images].filter(i=>!(i.complete&&i.naturalWidth>0)).length+' of '+document.images.length}</script></body>"))  # fmt: skip
    out = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run",
                          f"--user-data-dir={tmp_path / 'chrome'}", "--virtual-time-budget=5000", "--dump-dom", probe.as_uri()],
                         capture_output=True, text=True, timeout=120)  # fmt: skip
    title = out.stdout.split("<title>")[1].split("</title>")[0]
    assert title.startswith("broken:0 of ") and int(title.split(" of ")[1]) >= 6, title


def test_mismatched_model_path_errors(tmp_path):
    (tmp_path / "x.keras").write_bytes(b"nope")
    out = subprocess.run([sys.executable, str(ROOT / "inference_hamnosys.py"), "--model-path", str(tmp_path / "x.keras")], capture_output=True, text=True)
    assert out.returncode == 2 and "is not a hamrec .keras model" in out.stderr


def test_a_damaged_model_or_a_wrong_folder_is_a_clear_error_naming_it(trained, tmp_path, capsys):
    import zipfile

    from hamrec.cli.infer import main

    model_path, data, _ = trained
    truncated, bad_json = tmp_path / "truncated.keras", tmp_path / "bad_json.keras"
    with zipfile.ZipFile(model_path) as src, zipfile.ZipFile(truncated, "w") as a, zipfile.ZipFile(bad_json, "w") as b:
        for item in src.infolist():
            body = src.read(item.filename)
            a.writestr(item.filename, body[: len(body) // 2] if item.filename.endswith(".h5") else body)
            b.writestr(item.filename, b"{not json" if item.filename == "hamrec.json" else body)
    recording = str(next(data.rglob("*.npy")))
    expected = {truncated: "Keras cannot load the model inside", bad_json: "its hamrec.json is not valid JSON", tmp_path: "is a folder without a model.onnx"}
    for path, message in expected.items():
        assert main(["--model-path", str(path), "--input", recording]) == 2
        err = capsys.readouterr().err
        assert f"--model-path: {path}" in err and message in err and "expected a best_model.keras written by hamrec" in err and "Traceback" not in err


def test_evaluating_a_folder_where_nothing_can_be_read_is_an_error_not_zero_percent(trained, tmp_path):
    model_path, _, _ = trained
    other = tmp_path / "other"
    (other / "sign0").mkdir(parents=True)
    np.save(other / "sign0" / "a.npy", np.zeros((20, 9), np.float32))  # another width than the model's 4 channels
    with pytest.raises(DatasetError, match=r"none of its 1 recordings could be evaluated.*a\.npy.*expected recordings of 'array'"):
        evaluate_dir(Recognizer.load(model_path), other)


@pytest.mark.slow
def test_auslan_model_evaluated_on_a_held_out_session(tmp_path):
    """Train on two real sessions (validate on a third), evaluate with --data-dir on a session it never saw."""
    need(AUSLAN)
    data = tmp_path / "auslan"
    data.mkdir()
    for s in ("tctodd4", "tctodd5", "tctodd6"):
        (data / s).symlink_to(AUSLAN / s)
    held_out = tmp_path / "held_out"
    (held_out / "tctodd9").mkdir(parents=True)
    for f in list((AUSLAN / "tctodd9").glob("*.tsd")):
        (held_out / "tctodd9" / f.name).symlink_to(f)
    cfg = LoopConfig(include_datasets=(str(data),), model_dir=str(tmp_path / "model"), log_file=str(tmp_path / "log.txt"), cache_dir=str(tmp_path / "c"),
                     max_classes_per_batch=0, run_inference=False, epochs=6, patience=6, val_groups=("tctodd6",), test_fraction=0,
                     restart=False, min_samples=1)  # fmt: skip
    run_loop(cfg, lambda line: None)
    out = subprocess.run([sys.executable, str(ROOT / "inference_hamnosys.py"), "--model-path", str(tmp_path / "model" / "best_model.keras"),
                          "--data-dir", str(held_out), "--output-dir", str(tmp_path / "eval")], capture_output=True, text=True)  # fmt: skip
    assert out.returncode == 0, out.stderr
    m = json.loads((tmp_path / "eval" / "metrics.json").read_text())
    assert m["count"] == 285 and len(m["per_class"]) == 95
    # recompute top-1 from the per-file predictions: the printed metric is what the predictions say
    assert m["top1"] == pytest.approx(np.mean([p["label"] == p["predicted"] for p in m["predictions"]]))
    assert m["top1"] > 0.1  # ten times chance (1/95) after only 6 short epochs; accuracy itself is measured in bench/
    assert f"top-1 {m['top1']:.1%}" in out.stdout


def test_single_recording_fast_path_matches_keras(trained, tmp_path):
    """One recording goes through the traced graph; its probabilities equal the Keras model's, whatever the padding."""
    model_path, data, _ = trained
    from hamrec.data.formats import load_recording

    rec = Recognizer.load(model_path)
    for f in ("s0/c0_0.npy", "s2/c1_2.npy", "s3/c2_1.npy"):  # different lengths -> different padding masks
        seq = load_recording(data / f)
        fast, fast_heads, _ = rec.outputs([seq])
        out = rec.model(rec.inputs([seq]), training=False)  # this model has phonological heads: sign0 carries notation
        np.testing.assert_allclose(fast, np.asarray(out["classes"].detach()), atol=1e-6)
        assert fast_heads and list(fast_heads) == list(rec.parameters)
        for p, probs in fast_heads.items():  # the trace returns the heads in the model's order, matched back by name
            np.testing.assert_allclose(probs, np.asarray(out[f"param_{p}"].detach()), atol=1e-6)
    assert rec._single, "the torch backend should use the traced single-recording path"
    both = rec.probabilities([load_recording(data / "s0/c0_0.npy"), load_recording(data / "s3/c2_1.npy")])
    assert both.shape == (2, 3)  # batches keep using the Keras call


def _model_for(tmp_path, layout: str, points: int, dims: int) -> Path:
    """A small saved model whose metadata expects ``layout``: enough to check that each format reaches a prediction."""
    from hamrec.contract import ModelContract
    from hamrec.features import FeatureSpec, Normalizer
    from hamrec.model.builder import ModelConfig, build_model

    spec = FeatureSpec(layout, points, dims, seq_len=16)
    model = build_model(16, spec.num_features, 3, ModelConfig(dim=24, blocks=("conv", "attn")))
    contract = ModelContract(["a", "b", "c"], {"a": {"gloss": "A", "hamnosys": "\ue001"}}, spec, Normalizer([0.0] * spec.num_features, [1.0] * spec.num_features))
    path = tmp_path / f"{layout}.keras"
    contract.save(model, path)
    return path


def _signavatars_file(tmp_path) -> Path:
    import pickle

    p = tmp_path / "clip.pkl"
    with open(p, "wb") as f:
        pickle.dump({"smplx": np.random.default_rng(0).normal(size=(20, 182)).astype(np.float32)}, f)
    return p


@pytest.mark.parametrize("layout,points,dims,make", [
    ("keypoints", kp.NUM_POINTS, 3, lambda tmp: need(POSE_SAMPLES) / "mediapipe.pose"),
    ("keypoints", kp.NUM_POINTS, 3, lambda tmp: need(POSE_SAMPLES) / "openpose.pose"),
    ("auslan_glove", 22, 1, lambda tmp: need(AUSLAN) / "tctodd5" / "thank-2.tsd"),
    ("smplx", 52, 3, _signavatars_file),
])  # fmt: skip
def test_single_file_inference_for_each_format(tmp_path, layout, points, dims, make):
    model_path = _model_for(tmp_path, layout, points, dims)
    recording = make(tmp_path)
    out = subprocess.run([sys.executable, str(ROOT / "inference_hamnosys.py"), "--model-path", str(model_path), "--input", str(recording), "--json"],
                         capture_output=True, text=True)  # fmt: skip
    assert out.returncode == 0, out.stderr[-1500:]
    (result,) = json.loads(out.stdout)["results"]
    assert result["file"] == str(recording) and len(result["top_k"]) == 3
    assert abs(sum(c["probability"] for c in result["top_k"]) - 1.0) < 1e-4  # three classes: top-3 is all of them
    if layout == "keypoints":  # how often each hand was seen, so a prediction from a hand-less recording can be doubted
        seen = result["hands_seen"]
        assert set(seen) == {"left", "right"} and all(0 <= v <= 1 for v in seen.values()) and max(seen.values()) > 0
    else:
        assert "hands_seen" not in result
