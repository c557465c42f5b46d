"""hamrec vs aeon's MiniRocketClassifier on real Auslan, testing only on sessions never seen in training.

    python -m venv .bench/venv && . .bench/venv/bin/activate && pip install -e . aeon
    python bench/auslan_vs_minirocket.py --auslan ../shared/data/auslan

Protocols: train on tctodd4 -> test tctodd5-9; train on tctodd9 -> test tctodd4-8; train on
tctodd4-6 -> test tctodd7-9. No test session is used for anything but the final score: with one
training session there is no honest validation set, so hamrec trains a fixed number of epochs
(--draws recordings drawn in all) and keeps its final weights, with its default augmentation and model. Both systems
get the same recordings; MiniRocket gets them resampled to --length frames (it needs equal
lengths). Every system runs once per seed (split-free: the seed changes initialisation, augmentation
and MiniRocket's kernels). Prints top-1/top-3, training wall time and single-recording latency,
and a table of medians over the seeds.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "torch")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import numpy as np  # noqa: E402
from timing import median_time  # noqa: E402  (bench/timing.py)

PROTOCOLS = {
    "train 4 -> test 5-9": (["tctodd4"], ["tctodd5", "tctodd6", "tctodd7", "tctodd8", "tctodd9"]),
    "train 9 -> test 4-8": (["tctodd9"], ["tctodd4", "tctodd5", "tctodd6", "tctodd7", "tctodd8"]),
    "train 4-6 -> test 7-9": (["tctodd4", "tctodd5", "tctodd6"], ["tctodd7", "tctodd8", "tctodd9"]),
}


#: hamrec's documented defaults, and the flags `--lr 0.002 --label-smoothing 0.1 --focal-gamma 0`.
#: The flags were chosen on two development protocols that are not in the table (train tctodd5 ->
#: test tctodd6, train tctodd6 -> test tctodd5), so protocol 3's test sessions were never looked
#: at; protocols 1 and 2 share a test session (tctodd5 or tctodd6) with them.
HAMREC_CONFIGS = {
    "hamrec default": {"lr": 5e-4, "label_smoothing": 0.0, "gamma": 2.0},
    "hamrec --lr 0.002 --label-smoothing 0.1 --focal-gamma 0": {"lr": 2e-3, "label_smoothing": 0.1, "gamma": 0.0},
}


def topk(probs: np.ndarray, y: np.ndarray, k: int) -> float:
    order = np.argsort(-probs, axis=1)[:, :k]
    return float((order == y[:, None]).any(axis=1).mean())


def run_hamrec(train, test, classes, draws: int, seed: int, lr: float = 5e-4, label_smoothing: float = 0.0, gamma: float = 2.0) -> dict:
    import keras

    from hamrec.data.augment import AugmentConfig
    from hamrec.features import FeatureSpec, Normalizer, prepare
    from hamrec.model.builder import PRESETS, build_model, compile_model
    from hamrec.training.pipeline import AugmentedSampler, encode

    keras.utils.set_random_seed(seed)
    ids = {c: i for i, c in enumerate(classes)}
    spec = FeatureSpec("auslan_glove", 22, 1, seq_len=48)
    t0 = time.perf_counter()
    xs, ms = zip(*(prepare(s, spec) for s, _ in train))
    norm = Normalizer.fit(list(xs), list(ms))
    data = AugmentedSampler([s for s, _ in train], [lab for _, lab in train], ids, spec, norm, batch_size=64, augment_factor=15,
                            augment_cfg=AugmentConfig(), seed=seed)  # fmt: skip
    epochs = max(10, -(-draws // len(train)))  # the same number of training draws whatever the training set size
    model = build_model(spec.seq_len, spec.num_features, len(classes), PRESETS["tiny"])
    compile_model(model, lr, gamma, label_smoothing)
    warm = keras.callbacks.LearningRateScheduler(lambda e: lr * min(1.0, (e + 1) / 4) * (0.5 * (1 + np.cos(np.pi * e / epochs))))
    model.fit(data, epochs=epochs, verbose=0, callbacks=[warm])
    train_time = time.perf_counter() - t0
    x = encode([s for s, _ in test], spec, norm)
    y = np.array([ids[lab] for _, lab in test])
    probs = keras.ops.convert_to_numpy(model.predict(x, verbose=0, batch_size=256))
    from hamrec.inference.predict import _trace_single

    one = encode([test[0][0]], spec, norm)
    single = _trace_single(model, one)  # the path inference_hamnosys.py takes for one recording
    import torch

    with torch.inference_mode():
        lat = median_time(lambda: single(torch.from_numpy(one["features"]), torch.from_numpy(one["mask"])), 30, warmup=True)
    return {"top1": topk(probs, y, 1), "top3": topk(probs, y, 3), "train_s": train_time, "latency_ms": lat * 1000}


def run_minirocket(train, test, classes, length: int, seed: int) -> dict:
    from aeon.classification.convolution_based import MiniRocketClassifier

    def arrays(items):
        """(N, 22 channels, length): every recording resampled to the same length."""
        return np.stack([_resample(s.data[:, :, 0], length).T for s, _ in items])

    ids = {c: i for i, c in enumerate(classes)}
    t0 = time.perf_counter()
    clf = MiniRocketClassifier(random_state=seed, n_jobs=1)
    clf.fit(arrays(train), np.array([ids[lab] for _, lab in train]))
    train_time = time.perf_counter() - t0
    xt = arrays(test)
    y = np.array([ids[lab] for _, lab in test])
    pred = clf.predict(xt)
    # rank every class by the ridge classifier's decision function, for top-3
    raw = clf.estimator_.decision_function(clf._scaler.transform(clf._transformer.transform(xt)))
    scores = np.full((len(xt), len(classes)), -np.inf)
    scores[:, clf.estimator_.classes_.astype(int)] = raw
    top3 = topk(scores, y, 3)
    one = xt[:1]
    lat = median_time(lambda: clf.predict(one), 30, warmup=True)
    return {"top1": float((pred == y).mean()), "top3": top3, "train_s": train_time, "latency_ms": lat * 1000}


def _resample(x: np.ndarray, length: int) -> np.ndarray:
    """(T, C) -> (length, C) by linear interpolation over time."""
    t = np.linspace(0, len(x) - 1, length)
    return np.stack([np.interp(t, np.arange(len(x)), x[:, c]) for c in range(x.shape[1])], axis=1)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--auslan", default="../shared/data/auslan")
    ap.add_argument("--draws", type=int, default=17100, help="hamrec training draws in all (fixed: no validation session to stop on)")
    ap.add_argument("--length", type=int, default=64, help="frames MiniRocket sees")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="every system runs once per seed; the table gives medians")
    ap.add_argument("--protocols", nargs="*", default=list(PROTOCOLS))
    ap.add_argument("--no-tuned", action="store_true", help="run hamrec with its defaults only")
    args = ap.parse_args()
    from hamrec.data.cache import RecordingCache
    from hamrec.data.index import build_index

    idx = build_index([args.auslan], ".", RecordingCache(None), log=lambda s: None)
    classes = idx.classes
    rows = []
    for name in args.protocols:
        train_groups, test_groups = PROTOCOLS[name]
        train = [(idx.sequences[s.path], s.label) for s in idx.samples if s.group in train_groups]
        test = [(idx.sequences[s.path], s.label) for s in idx.samples if s.group in test_groups]
        systems = [(name_, lambda seed, kw=kw, train=train, test=test: run_hamrec(train, test, classes, args.draws, seed, **kw))
                   for name_, kw in HAMREC_CONFIGS.items() if not (args.no_tuned and name_ != "hamrec default")]  # fmt: skip
        systems.append(("MiniRocket", lambda seed, train=train, test=test: run_minirocket(train, test, classes, args.length, seed)))
        for system, fn in systems:
            runs = []
            for seed in args.seeds:
                r = fn(seed)
                runs.append(r)
                print(f"{name:<22} {system:<20} seed {seed}  train {len(train):4d} test {len(test):4d}  top-1 {r['top1']:.3f}  "
                      f"top-3 {r['top3']:.3f}  train {r['train_s']:6.1f}s  latency {r['latency_ms']:6.2f} ms", flush=True)  # fmt: skip
            rows.append((name, system, runs))
    print(f"\nMedians over seeds {args.seeds}; top-1 of every seed in brackets.\n")
    print("| protocol | system | top-1 | top-3 | training | single-recording latency |\n| --- | --- | --- | --- | --- | --- |")
    for name, system, runs in rows:
        med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        each = ", ".join(f"{r['top1']:.1%}" for r in runs)
        print(f"| {name} | {system} | {med['top1']:.1%} ({each}) | {med['top3']:.1%} | {med['train_s']:.0f} s | {med['latency_ms']:.1f} ms |")


if __name__ == "__main__":
    main()
