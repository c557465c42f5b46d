"""``hamrec data inspect PATH|NAME`` and ``hamrec data builtin``: check a dataset before a long run."""

from __future__ import annotations

import argparse
import collections
import sys

import numpy as np


def inspect(entry: str, data_root: str, cache_dir: str | None) -> int:
    from ..data.cache import RecordingCache
    from ..data.datasets import DatasetError, resolve, scan
    from ..data.sequence import RecordingError

    try:
        name, folder = resolve(entry, data_root)
        samples, skipped = scan(name, folder)
    except DatasetError as e:
        print(f"hamrec data: error: {e}", file=sys.stderr)
        return 2
    cache = RecordingCache(cache_dir)
    frames, layouts, fps = [], collections.Counter(), collections.Counter()
    ok = []
    for s in samples:
        try:
            seq = cache.load(s.path)
        except RecordingError as e:
            skipped.append({"file": s.path, "reason": str(e)})
            continue
        ok.append(s)
        frames.append(seq.num_frames)
        layouts[(seq.layout, seq.data.shape[1], seq.data.shape[2])] += 1
        fps[seq.fps] += 1
    counts = collections.Counter(s.label for s in ok)
    groups = collections.Counter(s.group for s in ok)
    print(f"dataset {name} at {folder}")
    print(f"  recordings: {len(ok)} readable, {len(skipped)} problems")
    print(f"  classes: {len(counts)}; recordings per class min {min(counts.values(), default=0)} / median {int(np.median(list(counts.values()) or [0]))} / max {max(counts.values(), default=0)}")
    print(f"  groups (signer/session/recording): {len(groups)}" + (f" — {', '.join(sorted(groups)[:8])}" if len(groups) <= 20 else ""))
    if frames:
        print(f"  frames: min {min(frames)} / median {int(np.median(frames))} / max {max(frames)}; fps {dict(fps)}")
    for (layout, p, d), n in layouts.items():
        print(f"  layout: {layout}, {p} points x {d} dims ({n} recordings)")
    if len(layouts) > 1:
        print("  PROBLEM: recordings have different layouts and cannot be trained together")
    for s in skipped:
        print(f"  PROBLEM {s['file']}: {s['reason']}")
    return 0 if ok and len(layouts) == 1 else 1


def main(argv: list[str] | None = None, prog: str | None = None) -> int:
    p = argparse.ArgumentParser(prog=prog, description="Inspect datasets")
    sub = p.add_subparsers(dest="cmd", required=True)
    i = sub.add_parser("inspect", help="format, recordings, classes, frames, layout and every problem found")
    i.add_argument("dataset", help="a dataset name under --data-root, or a path")
    i.add_argument("--data-root", default="datasets")
    i.add_argument("--cache-dir", default=None)
    b = sub.add_parser("builtin", help="generate the built-in demo dataset and print its folder")
    b.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    if args.cmd == "inspect":
        return inspect(args.dataset, args.data_root, args.cache_dir)
    from ..data.builtin import ensure_builtin
    from ..data.cache import default_cache_dir

    print(ensure_builtin(default_cache_dir().parent / "builtin", args.seed))
    return 0
