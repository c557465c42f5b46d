"""Peak memory of a training job against the number of recordings (issue 15, part 2).

    python bench/memory.py --json bench/results/memory.json                 # 2,000, 20,000 and 50,000 recordings
    python bench/memory.py --sizes 2000 20000 --modes stream no-stream      # also holding everything in memory

Each size is a synthetic dataset made by ``hamrec data synth`` (the 55 built-in signs, 3
repetitions, as many signers as the size needs; kept in ``--work`` between calls). The job is
``automated_training.py`` itself, in a subprocess, with the CLI's defaults except what keeps the
number of training steps the same whatever the size: ``--steps-per-epoch``, ``--epochs``, all
classes in one run (``--max-classes-per-batch 0``) and no refit. It still reads and splits
every recording, fits the normalisation on the whole training split, validates on the whole
validation split every epoch and evaluates the whole test split. Peak resident memory is the
child's ``ru_maxrss`` as the operating system reports it when the job ends.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import subprocess
import sys
import time
from pathlib import Path

from results_file import append_results  # bench/results_file.py

ROOT = Path(__file__).resolve().parents[1]
SIGNS, REPETITIONS = 55, 3
STEPS = ["--epochs", "3", "--steps-per-epoch", "20", "--max-classes-per-batch", "0", "--no-refit"]


def dataset(work: Path, size: int) -> Path:
    """``size`` synthetic recordings (rounded up to whole signers) in ``work``, made once."""
    signers = math.ceil(size / (SIGNS * REPETITIONS))
    out = work / f"synth{size}"
    if not (out / "manifest.csv").is_file():
        subprocess.run([sys.executable, "-m", "hamrec", "data", "synth", "--out", str(out), "--signers", str(signers),
                        "--repetitions", str(REPETITIONS)], check=True)  # fmt: skip
    return out


def peak_rss(cmd: list[str], env: dict) -> tuple[int, float, int, str]:
    """(peak RSS in bytes, seconds, exit code, stderr's end) of ``cmd`` run to its end."""
    start = time.perf_counter()
    child = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    err = child.stderr.read()
    _, status, usage = os.wait4(child.pid, 0)  # ru_maxrss: kilobytes on Linux
    return usage.ru_maxrss * 1024, time.perf_counter() - start, os.waitstatus_to_exitcode(status), err.decode(errors="replace")[-3000:]


def measure(data: Path, work: Path, mode: str) -> dict:
    model_dir = work / f"run-{data.name}-{mode}"
    cmd = [sys.executable, str(ROOT / "automated_training.py"), "--include-datasets", str(data), "--model-dir", str(model_dir),
           "--cache-dir", str(work / f"cache-{data.name}"), "--log-file", str(model_dir.with_suffix(".log")), "--fresh", *STEPS] + (["--no-stream"] if mode == "no-stream" else [])  # fmt: skip
    env = {**os.environ, "KERAS_BACKEND": os.environ.get("KERAS_BACKEND", "torch")}
    rss, seconds, code, err = peak_rss(cmd, env)
    if code:
        raise SystemExit(f"{' '.join(cmd)} failed ({code}):\n{err}")
    summary = json.loads((model_dir / "training_summary.json").read_text())
    final = summary.get("final") or {}
    first_run = (model_dir / summary["training_runs"][0]["log"]).read_text()  # "...: 55 classes (55 new), 1485 train / 330 val recordings, ..."
    train, val = map(int, re.search(r"(\d+) train / (\d+) val recordings", first_run).groups())
    counts = {"train": train, "val": val, "test": final.get("count", 0)}
    return {"recordings": sum(counts.values()), **{f"{k} recordings": v for k, v in counts.items()}, "mode": mode, "peak RSS MB": rss / 2**20,
            "seconds": seconds, "runs": len(summary["training_runs"]), "test top-1": final.get("top1"), "command": " ".join(cmd)}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", nargs="+", type=int, default=[2000, 20000, 50000])
    ap.add_argument("--modes", nargs="+", default=["stream"], choices=["stream", "no-stream"])
    ap.add_argument("--work", default="/tmp/hamrec-memory", help="datasets, caches and model folders (kept between calls)")
    ap.add_argument("--json", help="append the results to this file")
    args = ap.parse_args()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    results = []
    for size in args.sizes:
        data = dataset(work, size)
        for mode in args.modes:
            r = measure(data, work, mode)
            results.append(r)
            if args.json:  # after every job, so an interrupted call keeps what it measured
                append_results(args.json, [r])
            print(f"{r['recordings']:6d} recordings ({r['train recordings']} train / {r['val recordings']} val / {r['test recordings']} test), "
                  f"{mode:9s}: peak RSS {r['peak RSS MB']:6.0f} MB, {r['seconds']:5.0f} s", flush=True)  # fmt: skip
    for mode in args.modes:
        rows = sorted((r for r in results if r["mode"] == mode), key=lambda r: r["recordings"])
        if len(rows) > 1:
            print(f"{mode}: largest / smallest peak RSS = {rows[-1]['peak RSS MB'] / rows[0]['peak RSS MB']:.2f}x")


if __name__ == "__main__":
    main()
