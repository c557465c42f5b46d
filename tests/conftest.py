"""Shared fixtures: paths to the real data in ../shared/data (skipped when absent) and tiny generated datasets."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
AUSLAN = SHARED / "auslan"
POSE_SAMPLES = SHARED / "pose-samples"
LEXICON = SHARED / "hamnosys2motion" / "data.json"


def need(path: Path) -> Path:
    """Skip the test with a reason when a piece of ../shared/data is not there (e.g. a user's fresh clone)."""
    if not path.exists():
        pytest.skip(f"real data not available: {path} (the shared data folder is not beside this checkout)")
    return path


def write_array_dataset(folder: Path, classes: int = 3, signers: int = 4, reps: int = 3, seed: int = 0, noise: float = 0.3,
                        random_labels: bool = False) -> Path:  # fmt: skip
    """A tiny (T, 4)-channel dataset with a manifest: class c is a sine of frequency c + 1, per-signer offsets."""
    rng = np.random.default_rng(seed)
    rows = []
    for s in range(signers):
        offset = rng.normal(0, 0.2, size=4)
        for c in range(classes):
            for r in range(reps):
                t = np.linspace(0, 1, int(rng.integers(20, 40)))
                freq = (rng.integers(0, classes) if random_labels else c) + 1
                x = np.stack([np.sin(2 * np.pi * freq * t + k) for k in range(4)], 1) + offset + rng.normal(0, noise, (len(t), 4))
                rel = f"s{s}/c{c}_{r}.npy"
                (folder / rel).parent.mkdir(parents=True, exist_ok=True)
                np.save(folder / rel, x.astype(np.float32))
                rows.append({"path": rel, "label": f"sign{c}", "gloss": f"SIGN{c}", "hamnosys": "\ue001\ue020" if c == 0 else "", "signer": f"signer{s}"})
    with open(folder / "manifest.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return folder


@pytest.fixture
def array_dataset(tmp_path) -> Path:
    return write_array_dataset(tmp_path / "tiny")


@pytest.fixture(scope="session")
def trained(tmp_path_factory):
    """A real (small) model trained by the loop on the tiny array dataset: (best_model.keras, data folder, summary)."""
    from hamrec.training.loop import LoopConfig, run_loop

    tmp = tmp_path_factory.mktemp("trained")
    data = write_array_dataset(tmp / "data", classes=3, signers=4, reps=4, noise=0.1)
    cfg = LoopConfig(include_datasets=(str(data),), model_dir=str(tmp / "model"), log_file=str(tmp / "log.txt"), cache_dir=None, seq_len=16,
                     max_classes_per_batch=0, run_inference=False, epochs=30, patience=5, augment_factor=2)  # fmt: skip
    summary = run_loop(cfg, lambda line: None)
    assert summary["status"] == "finished"
    return tmp / "model" / "best_model.keras", data, summary


def prepare_one(seq, spec):
    """The un-normalised model input of one recording: (seq_len, F) features and (seq_len,) mask."""
    from hamrec.features import prepare

    x, mask = prepare([seq], spec)
    return x[0], mask[0]
