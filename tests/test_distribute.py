"""``--distribute``: data-parallel training on JAX (keras.distribution) over two virtual CPU devices.

XLA makes the two devices only when ``XLA_FLAGS`` is set before JAX starts, so every JAX run
here is its own ``automated_training.py`` process, as a user would start it.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from .conftest import ROOT, write_array_dataset

needs_jax = pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason='JAX is not installed (pip install "hamrec[distribute]")')
TWO_DEVICES = {"KERAS_BACKEND": "jax", "XLA_FLAGS": "--xla_force_host_platform_device_count=2"}


def train_cmd(data: Path, model_dir: Path, *extra: str) -> list[str]:
    return [sys.executable, str(ROOT / "automated_training.py"), "--include-datasets", str(data), "--model-dir", str(model_dir),
            "--log-file", str(model_dir.parent / f"{model_dir.name}.log"), "--epochs", "12", "--patience", "4", "--plateau-patience", "2",
            "--max-classes-per-batch", "0", "--no-restart", "--no-run-inference", "--seq-len", "16", "--batch-size", "16",
            "--cache-dir", str(model_dir.parent / "cache"), *extra]  # fmt: skip


def outcome(model_dir: Path) -> dict:
    summary = json.loads((model_dir / "training_summary.json").read_text())
    runs = [{k: r[k] for k in ("run_id", "outcome", "epochs_run", "best_epoch", "val_top1", "val_loss")} for r in summary["training_runs"]]
    return {"runs": runs, "final": summary["final"], "open_set": summary.get("open_set")}


def test_distribute_says_it_needs_jax(tmp_path, array_dataset):
    env = {**os.environ, "KERAS_BACKEND": "torch"}
    out = subprocess.run(train_cmd(array_dataset, tmp_path / "m", "--distribute"), capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 2
    assert "--distribute needs the JAX backend" in out.stderr and "KERAS_BACKEND is 'torch'" in out.stderr


@needs_jax
def test_an_uneven_batch_size_is_refused_before_training(tmp_path, array_dataset):
    out = subprocess.run(train_cmd(array_dataset, tmp_path / "m", "--distribute", "--batch-size", "15"), capture_output=True, text=True,
                         env={**os.environ, **TWO_DEVICES}, timeout=300)  # fmt: skip
    assert out.returncode == 2
    assert "--batch-size 15 cannot be split evenly over the 2 devices" in out.stderr and "14 or 16" in out.stderr


@needs_jax
@pytest.mark.slow
def test_two_devices_train_like_one_resume_exactly_and_the_model_runs_anywhere(tmp_path):
    """One device and two: the same files and the held-out top-1 within one recording; a two-device job killed
    mid-run resumes to its uninterrupted figures; its model recognises a recording on JAX and on torch."""
    data = write_array_dataset(tmp_path / "d", classes=3, signers=5, reps=4, noise=0.3, seed=1)
    one = subprocess.run(train_cmd(data, tmp_path / "one"), capture_output=True, text=True, env={**os.environ, "KERAS_BACKEND": "jax"}, timeout=600)
    assert one.returncode == 0, one.stderr[-3000:]
    env = {**os.environ, **TWO_DEVICES}
    two = subprocess.run(train_cmd(data, tmp_path / "two", "--distribute"), capture_output=True, text=True, env=env, timeout=600)
    assert two.returncode == 0, two.stderr[-3000:]
    first_line = (tmp_path / "two.log").read_text().splitlines()[0]
    assert "data parallel over 2 devices: cpu:0, cpu:1" in first_line, first_line
    assert sorted(os.listdir(tmp_path / "one")) == sorted(os.listdir(tmp_path / "two"))
    a, b = outcome(tmp_path / "one")["final"], outcome(tmp_path / "two")["final"]
    assert a["count"] == b["count"] and abs(a["top1"] - b["top1"]) <= 1 / a["count"] + 1e-9, (a, b)
    assert b["top1"] >= 0.8, b

    killed = tmp_path / "killed"
    proc = subprocess.Popen(train_cmd(data, killed, "--distribute"), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    csv = killed / "logs" / "batch01-attempt1.csv"
    deadline = time.time() + 300
    while time.time() < deadline and proc.poll() is None and not (csv.is_file() and len(csv.read_text().splitlines()) > 3):
        time.sleep(0.01)
    assert proc.poll() is None, "the job ended before it could be killed mid-run"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    again = subprocess.run(train_cmd(data, killed, "--distribute"), capture_output=True, text=True, env=env, timeout=600)
    assert again.returncode == 0, again.stderr[-3000:]
    assert outcome(killed) == outcome(tmp_path / "two")

    recording = next((data / "s0").glob("c1_*.npy"))
    for backend in ("jax", "torch"):
        out = subprocess.run([sys.executable, str(ROOT / "inference_hamnosys.py"), "--model-path", str(tmp_path / "two" / "best_model.keras"),
                              "--input", str(recording), "--json"], capture_output=True, text=True, env={**os.environ, "KERAS_BACKEND": backend},
                             timeout=300)  # fmt: skip
        assert out.returncode == 0, out.stderr[-2000:]
        result = json.loads(out.stdout)["results"][0]
        assert len(result["top_k"]) == 3 and abs(sum(c["probability"] for c in result["top_k"]) - 1) < 1e-3, (backend, result)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("localhost", 0))
        return s.getsockname()[1]


@needs_jax
@pytest.mark.slow
def test_two_hosts_join_and_train_one_model(tmp_path):
    """Two processes on this machine stand for two hosts (the README's KERAS_DISTRIBUTION_* variables): they join through
    jax.distributed, each feeds its own share of every batch, and both end with the same model and figures."""
    data = write_array_dataset(tmp_path / "d", classes=3, signers=5, reps=4, noise=0.3, seed=1)
    addresses = f"localhost:{free_port()},localhost:{free_port()}"
    hosts = []
    for h in (0, 1):
        env = {**os.environ, "KERAS_BACKEND": "jax", "KERAS_DISTRIBUTION_JOB_ADDRESSES": addresses, "KERAS_DISTRIBUTION_NUM_PROCESSES": "2",
               "KERAS_DISTRIBUTION_PROCESS_ID": str(h)}  # fmt: skip
        cmd = train_cmd(data, tmp_path / f"host{h}", "--distribute", "--epochs", "4", "--no-refit")
        # stderr to a file, not a pipe: a host blocked on a full pipe would stall the other in their collectives
        with open(tmp_path / f"host{h}.err", "w") as err:
            hosts.append(subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, env=env))
    for h, proc in enumerate(hosts):
        proc.wait(timeout=600)
        assert proc.returncode == 0, (h, (tmp_path / f"host{h}.err").read_text()[-3000:])
    for h in (0, 1):
        first_line = (tmp_path / f"host{h}.log").read_text().splitlines()[0]
        assert f"data parallel over 2 devices on 2 hosts (this is host {h})" in first_line, first_line
    assert sorted(os.listdir(tmp_path / "host0")) == sorted(os.listdir(tmp_path / "host1"))
    assert outcome(tmp_path / "host0") == outcome(tmp_path / "host1")
    import keras

    import hamrec.model  # noqa: F401  (registers the layers)

    a, b = (keras.saving.load_model(tmp_path / f"host{h}" / "best_model.keras", compile=False).get_weights() for h in (0, 1))
    assert all(np.array_equal(x, y) for x, y in zip(a, b)), "the two hosts ended with different weights"
