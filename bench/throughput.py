"""Training throughput in recordings per second: the data side alone, the model's train steps, ``fit`` and the command (issue 15).

    python bench/throughput.py                                   # built-in keypoints, dgs11 and Auslan

Everything comes from the product's own path: ``prepare_job`` reads and splits the data with
the CLI's defaults, and ``Job.sampler`` is the augmenting, class-balanced stream
``automated_training.py`` trains on. "data" draws one epoch of batches in turn (no model, no
prefetch), the median of ``--repeats`` epochs after one warm-up epoch. The rest is the only
training here: ``automated_training.py`` in a subprocess, all classes in one run of ``--repeats``
+ 1 epochs, run twice: with ``--no-prefetch`` (batches drawn in turn, between train steps) and
with the defaults, which draw the next batch in a background thread during the step where a core
is free of the model's compute ("ahead": yes or no; run with ``OMP_NUM_THREADS=1`` to leave torch
one core of two).
"model" and "fit" come from the runs' CSV logs, where every epoch records its train steps' seconds
and its training part's seconds (batches drawn and stepped, validation not included): training
recordings over their median for the epochs after the first. "model" is the in-turn run's, where
nothing else runs during a step; "fit / model" is the share of that speed that training gets,
100 % when the model never waits for data and drawing the data ahead does not slow the steps.
"command" is training recordings drawn divided by the run's wall time as
``training_summary.json`` reports it (so the first epoch's compilation, every epoch's validation
and checkpoints are in it). Rounds before session 14 timed "model" and "fit" on a model of the
benchmark's own (``train_on_batch``, ``model.fit``); their figures in
``bench/results/throughput.json`` are history.

To compare with an older checkout, run the same file with ``PYTHONPATH=<checkout>/src``: the data
side imports that checkout's hamrec and the command runs that checkout's ``automated_training.py``
(before session 14 it ran this checkout's, whatever the path; a checkout from before then logs no
step times, so it gets "command" only; one from before session 17 has no prefetch, so its runs
are both in turn, and ``--no-prefetch`` is not passed to it).
"""

from __future__ import annotations

import argparse
import csv
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
        rates = data_side(job, cfg, repeats)
        prefetches = hasattr(cfg, "prefetch")  # the checkout measured can draw ahead (session 17 on)
        in_turn = command(dataset, root, repeats + 1, Path(tmp) / "in-turn", ["--no-prefetch"] if prefetches else [])
        rates.update({"model rec/s": in_turn["model rec/s"], "fit in turn rec/s": in_turn["fit rec/s"], "command in turn rec/s": in_turn["command rec/s"]})
        if prefetches:
            ahead = command(dataset, root, repeats + 1, Path(tmp) / "prefetch", [])
            rates.update({"fit rec/s": ahead["fit rec/s"], "command rec/s": ahead["command rec/s"], "default model rec/s": ahead["model rec/s"],
                          "ahead": ahead["ahead"], "threads": os.environ.get("OMP_NUM_THREADS")})  # fmt: skip
        else:
            rates.update({"fit rec/s": in_turn["fit rec/s"], "command rec/s": in_turn["command rec/s"]})
        model = rates["model rec/s"]
        rates["fit / model"] = rates["fit rec/s"] / model if model and rates["fit rec/s"] else None
        return rates


def command(dataset: str, root: str, epochs: int, model_dir: Path, flags: list[str]) -> dict:
    """An ``automated_training.py`` run of ``epochs`` epochs: training recordings per second of the
    whole run, and, from the run's CSV log (:class:`hamrec.training.callbacks.EpochTimes`), of its
    epochs' training part ("fit": drawing batches and stepping, no validation) and of the train steps
    alone ("model"), medians over the epochs after the first (which compiles)."""
    import hamrec

    script = Path(hamrec.__file__).resolve().parents[2] / "automated_training.py"  # the checkout being measured (PYTHONPATH)
    cmd = [sys.executable, str(script), "--include-datasets", dataset, "--data-root", root, "--model-dir", str(model_dir),
           "--log-file", str(model_dir.with_suffix(".log")), "--epochs", str(epochs), "--max-classes-per-batch", "0", "--no-refit", "--no-restart", "--no-run-inference", *flags]  # fmt: skip
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    run = json.loads((model_dir / "training_summary.json").read_text())["training_runs"][0]
    train = int(re.search(r"(\d+) train / \d+ val recordings", (model_dir / run["log"]).read_text()).group(1))
    ahead = "drawn ahead in a background thread" in model_dir.with_suffix(".log").read_text()
    rates = {"command rec/s": train * run["epochs_run"] / run["wall_time"], "fit rec/s": None, "model rec/s": None, "ahead": ahead}
    with open(model_dir / run["csv"], newline="") as f:
        epochs_after_first = list(csv.DictReader(f))[1:]
    if epochs_after_first and "step_seconds" in epochs_after_first[0]:  # a checkout before session 14 logs no step times
        fit = train / statistics.median(float(r["train_seconds"]) for r in epochs_after_first)
        model = train / statistics.median(float(r["step_seconds"]) for r in epochs_after_first)
        rates.update({"fit rec/s": fit, "model rec/s": model})
    return rates


def data_side(job, cfg, repeats: int) -> dict:
    """Recordings per second of drawing, augmenting and encoding one epoch of training batches."""
    from dataclasses import replace

    train = job.samples("train")
    sampler = job.sampler(train, replace(cfg, prefetch=False) if hasattr(cfg, "prefetch") else cfg, seed=0)
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
        steps = (f"model {r['model rec/s']:5.0f}, fit in turn {r['fit in turn rec/s']:5.0f}, fit {r['fit rec/s']:5.0f} "
                 f"({r['fit / model']:.0%} of model; ahead: {'yes' if r.get('ahead') else 'no'}), " if r["model rec/s"] else "")  # fmt: skip
        print(f"{name:8s} {r['recordings']:5d} rec, {r['features']:4d} features: data {r['data rec/s']:7.0f} rec/s, "
              f"{steps}command in turn {r['command in turn rec/s']:5.0f}, command {r['command rec/s']:5.0f} rec/s", flush=True)  # fmt: skip
    if args.json:
        append_results(args.json, results)


if __name__ == "__main__":
    main()
