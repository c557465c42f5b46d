"""Time to load and prepare the real Auslan sessions, and model load / inference latency.

    python bench/data_and_latency.py --auslan ../shared/data/auslan --model models/hamnosys/main_model/best_model.keras

Prints medians over --repeats; the machines here are noisy, so compare medians and ratios only.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "torch")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from timing import median_time  # noqa: E402  (bench/timing.py)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--auslan", default="../shared/data/auslan")
    ap.add_argument("--model", default=None, help="a best_model.keras trained on Auslan, for latency")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    from hamrec.data.cache import RecordingCache
    from hamrec.data.index import build_index
    from hamrec.features import FeatureSpec, prepare

    quiet = lambda s: None  # noqa: E731
    with tempfile.TemporaryDirectory() as cache_dir:
        cold = median_time(lambda: build_index([args.auslan], ".", RecordingCache(None), log=quiet), args.repeats)
        build_index([args.auslan], ".", RecordingCache(cache_dir), log=quiet)
        warm = median_time(lambda: build_index([args.auslan], ".", RecordingCache(cache_dir), log=quiet), args.repeats)
        idx = build_index([args.auslan], ".", RecordingCache(cache_dir), log=quiet)
    spec = FeatureSpec(*idx.layout, seq_len=48)
    seqs = list(idx.sequences.values())
    feats = median_time(lambda: [prepare(s, spec) for s in seqs], args.repeats)
    print(f"auslan: {len(seqs)} recordings, {len(idx.classes)} classes")
    print(f"read + check, no cache:   {cold:.2f} s (median of {args.repeats})")
    print(f"read + check, from cache: {warm:.2f} s")
    print(f"features for all:         {feats:.2f} s")
    if args.model:
        from hamrec.inference.predict import Recognizer

        load = median_time(lambda: Recognizer.load(args.model), args.repeats)
        rec = Recognizer.load(args.model)
        one = [seqs[0]]
        single = median_time(lambda: rec.probabilities(one), 50, warmup=True)
        batch = seqs[:64]
        batched = median_time(lambda: rec.probabilities(batch), 10) / len(batch)
        prep_one = median_time(lambda: rec.inputs(one), 50)
        print(f"model load:               {load * 1000:.0f} ms")
        print(f"single recording:         {single * 1000:.2f} ms (of which features {prep_one * 1000:.2f} ms)")
        print(f"batched (64), per rec:    {batched * 1000:.2f} ms")


if __name__ == "__main__":
    main()
