"""Training throughput in recordings per second: the data side alone, the model alone, ``fit``, and the command (issue 15).

    python bench/throughput.py                                   # built-in keypoints, dgs11 and Auslan
    python bench/throughput.py --data builtin --workers 0 1 2    # PyDataset worker threads

Everything comes from the product's own path: ``prepare_job`` reads and splits the data with
the CLI's defaults, ``Job.sampler`` is the augmenting, class-balanced stream
``automated_training.py`` trains on, and the model is the job's own (``Job.build_model``) compiled as a run
compiles it. "data" draws one epoch of batches; "model" trains on batches drawn beforehand
(``train_on_batch``); "fit" is ``model.fit`` over the sampler for one epoch, without
validation. Each figure is the median of ``--repeats`` epochs after one warm-up epoch.
"command" is what a user gets: ``automated_training.py`` in a subprocess, all classes in one
run of ``--repeats`` + 1 epochs, training recordings drawn divided by the run's wall time as
``training_summary.json`` reports it (so the first epoch's compilation, every epoch's
validation and checkpoints are in it).

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


def measure(name: str, workers: int, repeats: int) -> dict:
    from hamrec.training.config import LoopConfig
    from hamrec.training.loop import prepare_job

    dataset, root = DATA[name]
    cfg = LoopConfig(include_datasets=(dataset,), data_root=root)
    with tempfile.TemporaryDirectory() as tmp:
        job = prepare_job(cfg, Path(tmp), lambda s: None)  # its recordings stay in tmp's store
        return {**_measure(job, cfg, workers, repeats), "command rec/s": command(dataset, root, repeats + 1, Path(tmp) / "command")}


def command(dataset: str, root: str, epochs: int, model_dir: Path) -> float:
    """Training recordings per second of an ``automated_training.py`` run of ``epochs`` epochs."""
    cmd = [sys.executable, str(ROOT / "automated_training.py"), "--include-datasets", dataset, "--data-root", root, "--model-dir", str(model_dir),
           "--log-file", str(model_dir.with_suffix(".log")), "--epochs", str(epochs), "--max-classes-per-batch", "0", "--no-refit", "--no-restart", "--no-run-inference"]  # fmt: skip
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    run = json.loads((model_dir / "training_summary.json").read_text())["training_runs"][0]
    train = int(re.search(r"(\d+) train / \d+ val recordings", (model_dir / run["log"]).read_text()).group(1))
    return train * run["epochs_run"] / run["wall_time"]


def _measure(job, cfg, workers: int, repeats: int) -> dict:
    import keras

    train = job.samples("train")
    sampler = job.sampler(train, cfg, seed=0)
    if workers:  # PyDataset's own workers: threads, or processes for a negative count
        sampler._workers, sampler._use_multiprocessing = abs(workers), workers < 0
    spec = job.contract.spec
    model = job.build_model(cfg)  # the model automated_training.py trains (the built-in signs carry HamNoSys: with the heads)
    job.compile_model(model, cfg, cfg.lr)  # as a run compiles it
    n = len(train)

    def epoch_of_data():
        return [sampler[i] for i in range(len(sampler))]

    def timed(fn) -> float:
        fn()  # warm-up
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        return n / statistics.median(times)

    batches = epoch_of_data()
    data = timed(epoch_of_data)
    model_only = timed(lambda: [model.train_on_batch(*b) for b in batches])
    fit = timed(lambda: model.fit(sampler, epochs=1, verbose=0))
    keras.backend.clear_session()
    return {"recordings": n, "features": spec.num_features, "workers": workers,
            "data rec/s": data, "model rec/s": model_only, "fit rec/s": fit, "fit / model": fit / model_only}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", nargs="+", default=list(DATA), choices=list(DATA))
    ap.add_argument("--workers", nargs="+", type=int, default=[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--json", help="append the results to this file")
    args = ap.parse_args()
    import hamrec

    results = []
    for name in args.data:
        for w in args.workers:
            r = {"data": name, **measure(name, w, args.repeats), "hamrec": str(Path(hamrec.__file__).parent)}
            results.append(r)
            print(f"{name:8s} {r['recordings']:5d} rec, {r['features']:4d} features, workers {w}: data {r['data rec/s']:7.0f} rec/s, "
                  f"model {r['model rec/s']:5.0f} rec/s, fit {r['fit rec/s']:5.0f} rec/s ({r['fit / model']:.0%} of the model's), "
                  f"command {r['command rec/s']:5.0f} rec/s", flush=True)  # fmt: skip
    if args.json:
        append_results(args.json, results)


if __name__ == "__main__":
    main()
