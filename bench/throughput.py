"""Training throughput in recordings per second: the data side alone and the command (issue 15).

    python bench/throughput.py                                   # built-in keypoints, dgs11 and Auslan

Everything comes from the product's own path: ``prepare_job`` reads and splits the data with
the CLI's defaults, and ``Job.sampler`` is the augmenting, class-balanced stream
``automated_training.py`` trains on. "data" draws one epoch of batches (no model), the median of
``--repeats`` epochs after one warm-up epoch. "command" is what a user gets, and the only
training here: ``automated_training.py`` in a subprocess, all classes in one run of
``--repeats`` + 1 epochs, training recordings drawn divided by the run's wall time as
``training_summary.json`` reports it (so the first epoch's compilation, every epoch's
validation and checkpoints are in it). Earlier rounds also timed a model of the benchmark's own
(``train_on_batch`` and ``model.fit``); a benchmark trains only through the product's path, so
those columns are gone and their figures in ``bench/results/throughput.json`` are history.

To compare with an older checkout, run the same file with ``PYTHONPATH=<checkout>/src``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from results_file import append_results  # bench/results_file.py

os.environ.setdefault("KERAS_BACKEND", "torch")
ROOT = Path(__file__).resolve().parents[1]
if not os.environ.get("PYTHONPATH"):
    sys.path.insert(0, str(ROOT / "src"))

DATA = {"builtin": ("builtin", "."), "dgs11": ("dgs11", str(ROOT.parent / "shared" / "data")), "auslan": ("auslan", str(ROOT.parent / "shared" / "data"))}


def measure(name: str, repeats: int) -> dict:
    from hamrec.training.config import LoopConfig
    from hamrec.training.loop import prepare_job

    dataset, root = DATA[name]
    cfg = LoopConfig(include_datasets=(dataset,), data_root=root)
    with tempfile.TemporaryDirectory() as tmp:
        job = prepare_job(cfg, Path(tmp), lambda s: None)  # its recordings stay in tmp's store
        return {**data_side(job, cfg, repeats), "command rec/s": command(dataset, root, repeats + 1, Path(tmp) / "command")}


def command(dataset: str, root: str, epochs: int, model_dir: Path) -> float:
    """Training recordings per second of an ``automated_training.py`` run of ``epochs`` epochs."""
    cmd = [sys.executable, str(ROOT / "automated_training.py"), "--include-datasets", dataset, "--data-root", root, "--model-dir", str(model_dir),
           "--log-file", str(model_dir.with_suffix(".log")), "--epochs", str(epochs), "--max-classes-per-batch", "0", "--no-refit", "--no-restart", "--no-run-inference"]  # fmt: skip
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    run = json.loads((model_dir / "training_summary.json").read_text())["training_runs"][0]
    train = int(re.search(r"(\d+) train / \d+ val recordings", (model_dir / run["log"]).read_text()).group(1))
    return train * run["epochs_run"] / run["wall_time"]


def data_side(job, cfg, repeats: int) -> dict:
    """Recordings per second of drawing, augmenting and encoding one epoch of training batches."""
    train = job.samples("train")
    sampler = job.sampler(train, cfg, seed=0)
    n = len(train)

    def epoch_of_data():
        return [sampler[i] for i in range(len(sampler))]

    epoch_of_data()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        epoch_of_data()
        times.append(time.perf_counter() - start)
    return {"recordings": n, "features": job.contract.spec.num_features, "data rec/s": n / statistics.median(times)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", nargs="+", default=list(DATA), choices=list(DATA))
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--json", help="append the results to this file")
    args = ap.parse_args()
    import hamrec

    results = []
    for name in args.data:
        r = {"data": name, **measure(name, args.repeats), "hamrec": str(Path(hamrec.__file__).parent)}
        results.append(r)
        print(f"{name:8s} {r['recordings']:5d} rec, {r['features']:4d} features: data {r['data rec/s']:7.0f} rec/s, "
              f"command {r['command rec/s']:5.0f} rec/s", flush=True)  # fmt: skip
    if args.json:
        append_results(args.json, results)


if __name__ == "__main__":
    main()
