"""One device against two: ``automated_training.py --distribute`` on the JAX backend (issue 15, part 3).

    python bench/distribute.py --json bench/results/distribute.json          # the built-in signs
    python bench/distribute.py --data dgs11 --data-root ../shared/data

Both runs are the README's command with the CLI's defaults on the same data, seed and split,
``KERAS_BACKEND=jax``: one plain (one device), one with ``--distribute`` over two devices —
on a CPU-only machine two virtual ones
(``XLA_FLAGS=--xla_force_host_platform_device_count=2``), which share the same cores, so
this shows that the distributed path trains as well, not that it is faster. Prints the
held-out top-1 of each, the wall time and whether the two model folders hold the same files.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from results_file import append_results  # bench/results_file.py

ROOT = Path(__file__).resolve().parents[1]


def train(devices: int, data: list[str], model_dir: Path, seed: int) -> dict:
    env = {**os.environ, "KERAS_BACKEND": "jax"}
    cmd = [sys.executable, str(ROOT / "automated_training.py"), *data, "--model-dir", str(model_dir), "--seed", str(seed), "--fresh",
           "--log-file", str(model_dir.with_suffix(".log"))]  # fmt: skip
    if devices > 1:
        env["XLA_FLAGS"] = f"{env.get('XLA_FLAGS', '')} --xla_force_host_platform_device_count={devices}".strip()
        cmd.append("--distribute")
    start = time.perf_counter()
    subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
    summary = json.loads((model_dir / "training_summary.json").read_text())
    files = sorted(str(p.relative_to(model_dir)) for p in model_dir.rglob("*") if p.is_file() and ".resume" not in p.parts)
    first_log_line = model_dir.with_suffix(".log").read_text().splitlines()[0]
    return {"devices": devices, "seed": seed, "test top-1": summary["final"]["top1"], "test top-3": summary["final"]["top3"],
            "test recordings": summary["final"]["count"], "runs": len(summary["training_runs"]),
            "epochs": [r.get("epochs_run") for r in summary["training_runs"]], "seconds": seconds, "files": files,
            "first log line": first_log_line, "command": ("XLA_FLAGS=... " if devices > 1 else "") + "KERAS_BACKEND=jax " + " ".join(cmd)}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", nargs="*", default=[], help="--include-datasets (default: the built-in signs)")
    ap.add_argument("--data-root")
    ap.add_argument("--seeds", nargs="+", type=int, default=[0])
    ap.add_argument("--json", help="append the results to this file")
    args = ap.parse_args()
    data = (["--include-datasets", *args.data] if args.data else []) + (["--data-root", args.data_root] if args.data_root else [])
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in args.seeds:
            one, two = (train(n, data, Path(tmp) / f"seed{seed}-{n}dev", seed) for n in (1, 2))
            same = one["files"] == two["files"]
            for r in (one, two):
                print(f"seed {seed}, {r['devices']} device(s): test top-1 {r['test top-1']:.3f} ({r['test recordings']} recordings), "
                      f"{r['runs']} runs, epochs {r['epochs']}, {r['seconds']:.0f} s", flush=True)  # fmt: skip
            print(f"seed {seed}: top-1 difference {100 * (two['test top-1'] - one['test top-1']):+.1f} points; "
                  f"same files written: {same}" + ("" if same else f" ({sorted(set(one['files']) ^ set(two['files']))})"))
            results += [one, {**two, "same files as 1 device": same}]
    if args.json:
        append_results(args.json, results)


if __name__ == "__main__":
    main()
