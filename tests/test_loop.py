"""The automation loop, driven by scripted run results (no training) and, for resume, by a real killed process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest

from hamrec.training.lock import DirectoryLocked, DirLock
from hamrec.training.loop import LoopConfig, run_loop
from hamrec.training.run import RunResult

from .conftest import ROOT, write_array_dataset

EXPECTED_FILES = {"best_model.keras", "latest_model.keras", "training_summary.json", "logs", "visualizations", ".lock"}  # .lock: empty, never deleted


def ok(top1: float) -> RunResult:
    return RunResult("early_stopped", epochs_run=3, early_stopped=True, best_epoch=2, val_top1=top1, val_top2=min(1, top1 + 0.05),
                     val_top3=min(1, top1 + 0.1), val_loss=0.5, wall_time=0.1)  # fmt: skip


def scripted(results: list):
    """A train_fn that returns the given results in order and records what it was asked to do."""
    calls = []

    def train_fn(model, data, val_data, cfg, csv_path, backup_dir, latest_path, save, log, prefix):
        calls.append({"run": prefix, "lr": cfg.lr, "classes": None if val_data is None else len(set(val_data.labels)),
                      "stop_at": cfg.stop_at, "schedule": cfg.lr_schedule, "recordings": len(data.seqs),
                      "start": [w.copy() for w in model.get_weights()]})  # fmt: skip
        csv_path.write_text("epoch,loss,val_top1,learning_rate\n0,1.0,0.5,0.001\n1,0.9,0.6,0.002\n2,0.8,0.6,0.001\n")
        for w in model.weights:  # training moves the weights
            w.assign(w + 1.0)
        save(model, latest_path)
        return results.pop(0)

    return train_fn, calls


def config(tmp_path: Path, dataset: Path, **kw) -> LoopConfig:
    base = dict(include_datasets=(str(dataset),), model_dir=str(tmp_path / "model"), log_file=str(tmp_path / "training_log.txt"), cache_dir=None,
                seq_len=16, max_classes_per_batch=0, run_inference=False, accuracy_threshold=0.9, refit=False)  # fmt: skip
    base.update(kw)
    return LoopConfig(**base)


def quiet(line):
    pass


def test_stall_restarts_with_a_changed_learning_rate(tmp_path, array_dataset):
    fn, calls = scripted([ok(0.5), ok(0.95)])
    summary = run_loop(config(tmp_path, array_dataset), quiet, fn)
    assert [c["run"] for c in calls] == ["batch01-attempt1", "batch01-attempt2"]  # below the threshold: restarted
    assert [c["stop_at"] for c in calls] == [None, None]  # the all-classes run is never cut at the threshold
    assert calls[1]["lr"] == pytest.approx(calls[0]["lr"] / 2)
    assert [r["learning_rate"] for r in summary["training_runs"]] == [c["lr"] for c in calls]
    assert summary["best_accuracy"] == 0.95 and summary["best_model"]["run_id"] == "batch01-attempt2"


def test_failed_run_is_recorded_and_not_counted_as_zero(tmp_path, array_dataset):
    fn, calls = scripted([RunResult("failed", error="RuntimeError: boom"), ok(0.6), ok(0.7)])
    summary = run_loop(config(tmp_path, array_dataset), quiet, fn)
    first = summary["training_runs"][0]
    assert first["outcome"] == "failed" and first["val_top1"] is None and "boom" in first["error"]
    assert summary["best_accuracy"] == 0.7 and summary["best_model"]["run_id"] == "batch01-attempt3"
    assert len(calls) == 3  # bounded by --max-attempts: never loops forever
    assert "failed" in (tmp_path / "training_log.txt").read_text()


def test_every_run_failing_ends_with_a_clear_status(tmp_path, array_dataset):
    fn, calls = scripted([RunResult("failed", error="x")] * 3)
    lines = []
    summary = run_loop(config(tmp_path, array_dataset), lines.append, fn)
    assert summary["status"] == "failed" and len(calls) == 3
    assert any("no run finished successfully" in line for line in lines)


def test_lines_go_to_the_console_the_log_file_and_the_run_log(tmp_path, array_dataset):
    import logging
    import re

    lines = []
    fn, _ = scripted([ok(0.95)])
    cfg = config(tmp_path, array_dataset)
    run_loop(cfg, lines.append, fn)
    assert any(line.startswith("split by group") for line in lines) and any("finished: 1 runs" in line for line in lines)
    main = (tmp_path / "training_log.txt").read_text().splitlines()
    assert all(re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d ", line) for line in main)  # stamped
    assert any("batch01-attempt1: early_stopped" in line for line in main) and not any("split by group" in line for line in main)
    run_log = (Path(cfg.model_dir) / "logs" / "batch01-attempt1.log").read_text()
    assert "batch01-attempt1: 3 classes" in run_log and "finished" not in run_log  # only while the run trains
    assert not logging.getLogger("hamrec.training").handlers  # nothing left attached after the job


def test_skipped_files_are_named_on_the_console_and_one_class_is_refused(tmp_path, array_dataset):
    from hamrec.data.datasets import DatasetError

    (array_dataset / "s1" / "c1_1.npy").write_bytes(b"garbage")
    lines = []
    run_loop(config(tmp_path, array_dataset), lines.append, scripted([ok(0.95)])[0])
    assert any(line.startswith(f"skipped {array_dataset / 's1' / 'c1_1.npy'}: not a NumPy .npy file") for line in lines)
    assert any(line.startswith("1 skipped in all") and "skipped_files.json" in line for line in lines)
    one = write_array_dataset(tmp_path / "one", classes=1)
    with pytest.raises(DatasetError, match=r"only one class \(sign0\) has training recordings in the data .*expected at least 2 classes"):
        run_loop(config(tmp_path / "b", one), quiet, scripted([])[0])


def test_no_restart_runs_once_per_batch(tmp_path, array_dataset):
    fn, calls = scripted([ok(0.3)])
    summary = run_loop(config(tmp_path, array_dataset, restart=False), quiet, fn)
    assert len(calls) == 1 and summary["status"] == "finished" and summary["threshold_reached"] is False


def test_class_batches_share_one_label_space(tmp_path):
    data = write_array_dataset(tmp_path / "d", classes=3)
    fn, calls = scripted([ok(0.95), ok(0.92)])
    summary = run_loop(config(tmp_path, data, max_classes_per_batch=2), quiet, fn)
    assert [c["classes"] for c in calls] == [2, 3]  # validation always covers every class seen so far
    # stepping stones stop at the threshold; the run over all classes trains on to early stopping
    assert [c["stop_at"] for c in calls] == [0.9, None]
    assert summary["plan"] == [["sign0", "sign1"], ["sign2"]]
    assert summary["best_model"]["classes"] == 3  # more classes beats a higher score on fewer


def test_stop_at_threshold_also_cuts_the_all_classes_run(tmp_path):
    data = write_array_dataset(tmp_path / "d", classes=3)
    fn, calls = scripted([ok(0.95), ok(0.92)])
    run_loop(config(tmp_path, data, max_classes_per_batch=2, stop_at_threshold=True), quiet, fn)
    assert [c["stop_at"] for c in calls] == [0.9, 0.9]


def test_refit_retrains_the_chosen_run_on_train_and_val_from_its_start(tmp_path):
    data = write_array_dataset(tmp_path / "d", classes=3, signers=5)
    refit = RunResult("refit", epochs_run=2, best_epoch=2, wall_time=0.1)
    fn, calls = scripted([ok(0.95), ok(0.5), ok(0.97), refit])  # batch 1, then the all-classes batch stalls once
    cfg = config(tmp_path, data, max_classes_per_batch=2, refit=True)
    summary = run_loop(cfg, quiet, fn)
    assert [c["run"] for c in calls] == ["batch01-attempt1", "batch02-attempt1", "batch02-attempt2", "batch02-attempt2-refit"]
    chosen, again = calls[2], calls[3]
    # the chosen run's schedule up to the latest epoch tied at its best val top-1 (epochs 2 and 3 of the 3 logged: 0.6),
    # no validation, all train + val recordings
    assert again["schedule"] == (0.001, 0.002, 0.001) and again["classes"] is None and again["stop_at"] is None
    from hamrec.contract import ModelContract

    saved = ModelContract.read(Path(cfg.model_dir) / "best_model.keras")
    assert again["recordings"] == len(saved.split["train"]) + len(saved.split["val"]) > chosen["recordings"]
    assert saved.info["trained_on"] == ["train", "val"] and saved.split["test"]  # the test split stays held out
    # it starts from the weights the chosen run started from, not from where that run ended
    assert all((a == b).all() for a, b in zip(again["start"], chosen["start"]))
    assert summary["best_model"]["run_id"] == "batch02-attempt2-refit" and summary["best_model"]["refit_of"] == "batch02-attempt2"
    assert summary["best_accuracy"] == 0.97  # the validation figure is the chosen run's: the refit trained on val
    assert summary["training_runs"][-1]["trained_on"] == ["train", "val"] and summary["status"] == "finished"
    fn2, calls2 = scripted([])
    assert run_loop(cfg, quiet, fn2)["best_model"]["run_id"] == "batch02-attempt2-refit" and calls2 == []  # resumed: nothing twice


def test_no_refit_without_a_test_split_and_a_failed_refit_keeps_the_run(tmp_path, array_dataset):
    lines = []
    fn, calls = scripted([ok(0.95)])
    summary = run_loop(config(tmp_path, array_dataset, refit=True, test_fraction=0), lines.append, fn)
    assert len(calls) == 1 and summary["best_model"]["run_id"] == "batch01-attempt1"
    assert any("no test split, so the delivered model is not refitted" in line for line in lines)
    fn, calls = scripted([ok(0.95), RunResult("failed", error="RuntimeError: boom")])
    summary = run_loop(config(tmp_path / "b", array_dataset, refit=True), quiet, fn)
    assert [c["run"] for c in calls] == ["batch01-attempt1", "batch01-attempt1-refit"]
    assert summary["best_model"]["run_id"] == "batch01-attempt1" and summary["status"] == "finished"


def test_weights_loaded_between_runs_raise_no_optimizer_warning(tmp_path, array_dataset):
    """The start of a job's only class batch is saved before its optimizer has variables; loading it
    for the refit must not print Keras' warning about optimizer variables to the user."""
    fn, calls = scripted([ok(0.95), RunResult("refit", epochs_run=2, best_epoch=2, wall_time=0.1)])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run_loop(config(tmp_path, array_dataset, refit=True), quiet, fn)
    assert [c["run"] for c in calls] == ["batch01-attempt1", "batch01-attempt1-refit"]
    assert not [w for w in caught if "optimizer" in str(w.message)], [str(w.message) for w in caught]


def test_threshold_triggers_inference_and_only_expected_files_remain(tmp_path, array_dataset):
    fn, calls = scripted([ok(0.95)])
    cfg = config(tmp_path, array_dataset, run_inference=True)
    summary = run_loop(cfg, quiet, fn)
    assert len(calls) == 1  # reached: no restart, straight to inference
    model_dir = Path(cfg.model_dir)
    assert summary["threshold_reached"] and summary["status"] == "finished"
    assert set(os.listdir(model_dir)) == EXPECTED_FILES
    assert (model_dir / "visualizations" / "index.html").is_file() and (model_dir / "visualizations" / "metrics.json").is_file()
    for key in ("training_runs", "best_accuracy", "best_top2_accuracy", "best_top3_accuracy", "last_batch", "total_training_time"):
        assert key in summary
    assert 0 <= summary["final"]["top1"] <= 1
    saved = json.loads((model_dir / "training_summary.json").read_text())
    assert saved["training_runs"][0]["run_id"] == "batch01-attempt1"


def test_resume_skips_finished_runs_and_other_settings_are_refused(tmp_path, array_dataset):
    fn, calls = scripted([ok(0.5), ok(0.6), ok(0.7)])
    cfg = config(tmp_path, array_dataset)
    run_loop(cfg, quiet, fn)
    fn2, calls2 = scripted([])
    summary = run_loop(cfg, quiet, fn2)  # same command again: nothing is trained twice
    assert calls2 == [] and len(summary["training_runs"]) == 3
    with pytest.raises(ValueError, match=r"holds a training with other settings \(seed differ\)"):
        run_loop(config(tmp_path, array_dataset, seed=5), quiet, fn2)
    saved = json.loads((tmp_path / "model" / "training_summary.json").read_text())
    del saved["fingerprint"]["dominant_by"]  # a job begun before the rule for the dominant hand changed
    (tmp_path / "model" / "training_summary.json").write_text(json.dumps(saved))
    with pytest.raises(ValueError, match=r"other settings \(dominant_by differ\)"):
        run_loop(cfg, quiet, fn2)


def test_lock_refuses_a_second_process(tmp_path):
    code = f"from hamrec.training.lock import DirLock\nwith DirLock(r'{tmp_path}'): pass"
    with DirLock(tmp_path):
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        assert proc.returncode != 0 and f"is in use by pid {os.getpid()}" in proc.stderr
        with pytest.raises(DirectoryLocked):
            with DirLock(tmp_path):
                pass
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0  # released: the next process gets in
    assert (tmp_path / ".lock").exists() and not (tmp_path / ".lock.owner").exists()


def test_lock_of_a_killed_process_is_released(tmp_path):
    holder = subprocess.Popen([sys.executable, "-c", f"from hamrec.training.lock import DirLock\nimport time\nwith DirLock(r'{tmp_path}'): print('in', flush=True); time.sleep(60)"],
                              stdout=subprocess.PIPE, text=True)  # fmt: skip
    assert holder.stdout.readline().strip() == "in"
    with pytest.raises(DirectoryLocked):
        DirLock(tmp_path).__enter__()
    holder.kill()
    holder.wait()
    with DirLock(tmp_path):  # SIGKILL left no stale lock
        pass


def _outcome(model_dir: Path) -> dict:
    summary = json.loads((model_dir / "training_summary.json").read_text())
    runs = [{k: r[k] for k in ("run_id", "outcome", "epochs_run", "best_epoch", "val_top1", "val_loss")} for r in summary["training_runs"]]
    return {"runs": runs, "final": summary["final"], "best": summary["best_model"], "open_set": summary.get("open_set")}


def test_drawing_batches_ahead_trains_exactly_as_drawing_them_in_turn(tmp_path, monkeypatch):
    """Where a core is free of the model's compute the next batch is drawn in a background thread during
    the train step; the job ends exactly as one that draws every batch in turn."""
    import hamrec.backend

    data = write_array_dataset(tmp_path / "d", classes=3, signers=5, reps=4, noise=0.8, seed=3)
    outcomes, lines = [], []
    for ahead in (False, True):
        monkeypatch.setattr(hamrec.backend, "spare_core", lambda ahead=ahead: ahead)
        cfg = LoopConfig(include_datasets=(str(data),), model_dir=str(tmp_path / f"ahead-{ahead}"), log_file=str(tmp_path / "log.txt"), cache_dir=None,
                         seq_len=16, max_classes_per_batch=2, run_inference=False, epochs=6, patience=3, batch_size=16)  # fmt: skip
        summary = run_loop(cfg, lines.append)
        outcomes.append(([{k: r[k] for k in ("run_id", "epochs_run", "best_epoch", "val_top1", "val_loss")} for r in summary["training_runs"]],
                         summary["final"], summary.get("open_set")))  # fmt: skip
    assert outcomes[0] == outcomes[1] and len(outcomes[0][0]) >= 3  # two class batches and the refit
    assert any("drawn in turn" in line for line in lines) and any("drawn ahead in a background thread" in line for line in lines)


@pytest.mark.slow
def test_a_job_killed_at_any_moment_resumes_to_exactly_the_same_result(tmp_path):
    """SIGKILL during data preparation, mid-run, while a model file is written, after a run's last epoch is backed up but
    before the run is recorded, between the run and its refit, and mid-refit;
    each rerun ends with the uninterrupted job's figures (and open-set threshold)."""
    data = write_array_dataset(tmp_path / "d", classes=3, signers=5, reps=4, noise=1.0, seed=2)  # validation is noisy: plateaus happen

    def cmd(model_dir):
        return [sys.executable, str(ROOT / "automated_training.py"), "--include-datasets", str(data), "--model-dir", str(model_dir),
                "--log-file", str(tmp_path / "log.txt"), "--epochs", "16", "--patience", "5", "--plateau-patience", "2", "--max-classes-per-batch",
                "0", "--no-restart", "--no-run-inference", "--seq-len", "16", "--cache-dir", str(tmp_path / "cache"),
                "--batch-size", "32"]  # two batches an epoch: their order must be the same after a resume  # fmt: skip

    # torch on one thread: on a machine of two cores or more, one is free and batches are drawn ahead in a background thread
    env = {**os.environ, "KERAS_BACKEND": "torch", "OMP_NUM_THREADS": "1"}
    subprocess.run(cmd(tmp_path / "reference"), check=True, capture_output=True, env=env, timeout=600)
    reference = _outcome(tmp_path / "reference")
    assert [r["run_id"] for r in reference["runs"]] == ["batch01-attempt1", "batch01-attempt1-refit"]

    def rows(path: Path) -> int:
        return len(path.read_text().splitlines()) - 1 if path.is_file() else 0

    def recorded(m: Path, run_id: str) -> bool:
        try:
            return any(r["run_id"] == run_id for r in json.loads((m / "training_summary.json").read_text())["training_runs"])
        except (OSError, ValueError):
            return False

    def backed_up(m: Path, run_id: str) -> int:
        try:
            return json.loads((m / ".resume" / f"backup-{run_id}" / "training_metadata.json").read_text())["epoch"]
        except (OSError, ValueError):
            return 0

    moments = {
        "data preparation": lambda m: (m / ".resume" / "split.json").is_file(),
        "mid-run": lambda m: rows(m / "logs" / "batch01-attempt1.csv") >= 4,
        "model write": lambda m: rows(m / "logs" / "batch01-attempt1.csv") >= 2 and any(m.glob(".*_model.*.tmp.keras")),  # a temporary name
        "after the last epoch": lambda m: backed_up(m, "batch01-attempt1") == reference["runs"][0]["epochs_run"] and not recorded(m, "batch01-attempt1"),
        "between runs": lambda m: recorded(m, "batch01-attempt1") and not (m / "logs" / "batch01-attempt1-refit.csv").is_file(),
        "mid-refit": lambda m: rows(m / "logs" / "batch01-attempt1-refit.csv") >= 2,
    }
    for name, ready in moments.items():
        model_dir = tmp_path / name.replace(" ", "-")
        proc = subprocess.Popen(cmd(model_dir), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        deadline = time.time() + 300
        while time.time() < deadline and not ready(model_dir) and proc.poll() is None:
            time.sleep(0.005)
        assert proc.poll() is None, f"{name}: the job ended before the moment to kill it"
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        out = subprocess.run(cmd(model_dir), capture_output=True, text=True, env=env, timeout=600)
        assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
        assert _outcome(model_dir) == reference, name
        assert set(os.listdir(model_dir)) == EXPECTED_FILES and not list(model_dir.rglob(".*.tmp*"))  # nothing half-written left
