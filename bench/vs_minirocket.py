"""hamrec's default command vs aeon's MiniRocket on real data, side by side in one run.

    python -m venv .bench/venv && . .bench/venv/bin/activate && pip install -e ".[train]" aeon
    python bench/vs_minirocket.py --auslan ../shared/data/auslan --dgs ../shared/data/dgs11

hamrec is trained only as a user trains it: ``automated_training.py`` in a subprocess with its
default flags (the benchmark adds only the data, ``--test-groups``, ``--model-dir`` and
``--seed``), then scored by ``inference_hamnosys.py --data-dir`` on the fold's test recordings.
No other training code is here.

Protocols:
- Auslan, leave one session out over tctodd4-9: fold K tests on session K. hamrec gets the other
  five sessions and picks its validation session by its own default rule; MiniRocket trains on
  all five.
- dgs11, 5-fold stratified split of the recordings (seeded by --fold-seed). There are no signer
  ids, so one person's recordings may fall on both sides of a split. MiniRocket sees the hand
  points relative to the face centre; hamrec its own features.

Every system runs once per seed; prints per-fold top-1/top-3, the whole command's wall time,
single-recording latency, and a table of medians over seeds plus the fold means.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("KERAS_BACKEND", "torch")
sys.path.insert(0, str(ROOT / "src"))

import numpy as np  # noqa: E402
from timing import median_time  # noqa: E402  (bench/timing.py)

SESSIONS = [f"tctodd{k}" for k in range(4, 10)]
SYSTEMS = ("hamrec", "MiniRocket", "LogReg")  # LogReg: per-channel statistics + logistic regression, on what MiniRocket sees


def topk(scores: np.ndarray, y: np.ndarray, k: int) -> float:
    order = np.argsort(-scores, axis=1)[:, :k]
    return float((order == y[:, None]).any(axis=1).mean())


def link_tree(files: list[Path], root: Path, out: Path) -> Path:
    """A folder of symbolic links to ``files``, keeping their paths below ``root`` (so labels and sessions read the same); links already there are kept."""
    for f in files:
        dst = out / f.relative_to(root)
        dst.parent.mkdir(parents=True, exist_ok=True)
        if not dst.exists():
            dst.symlink_to(f.resolve())
    return out


def run_hamrec(data: Path, test_groups: list[str], test_dir: Path, seed: int, work: Path, extra: list[str]) -> dict:
    """The user's two commands: train with the defaults, then evaluate the test recordings."""
    model_dir = work / "model"
    cmd = [sys.executable, str(ROOT / "automated_training.py"), "--include-datasets", str(data), "--model-dir", str(model_dir),
           "--log-file", str(work / "training_log.txt"), "--seed", str(seed), "--test-groups", *test_groups, *extra]  # fmt: skip
    t0 = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if out.returncode != 0:
        raise RuntimeError(f"automated_training.py failed ({out.returncode}): {out.stdout[-2000:]}{out.stderr[-2000:]}")
    best = model_dir / "best_model.keras"
    ev = subprocess.run([sys.executable, str(ROOT / "inference_hamnosys.py"), "--model-path", str(best), "--data-dir", str(test_dir),
                         "--json", "--output-dir", str(work / "eval")], capture_output=True, text=True)  # fmt: skip
    if ev.returncode != 0:
        raise RuntimeError(f"inference_hamnosys.py failed ({ev.returncode}): {ev.stderr[-2000:]}")
    metrics = json.loads(ev.stdout)
    summary = json.loads((model_dir / "training_summary.json").read_text())
    return {"top1": metrics["top1"], "top3": metrics["top3"], "count": metrics["count"], "wall_s": wall,
            "latency_ms": hamrec_latency(best, test_dir) * 1000, "runs": len(summary["training_runs"]),
            "last_run_epochs": summary["training_runs"][-1]["epochs_run"]}  # fmt: skip


def hamrec_latency(model: Path, test_dir: Path) -> float:
    """Seconds to recognise one recording after load, as ``inference_hamnosys.py --input`` does."""
    from hamrec.data.cache import RecordingCache
    from hamrec.inference.predict import Recognizer

    rec = Recognizer.load(model)
    seq = RecordingCache(None).load(str(next(p for p in sorted(test_dir.rglob("*")) if p.is_file())))
    return median_time(lambda: rec.probabilities([seq]), 30, warmup=True)


def peer_result(raw: np.ndarray, classes: np.ndarray, y: np.ndarray, n_classes: int, wall: float, predict_one) -> dict:
    """A classical peer's figures from its (N, len(classes)) scores of the test recordings (classes it never saw rank last)."""
    scores = np.full((len(raw), n_classes), -np.inf)
    scores[:, classes.astype(int)] = raw
    lat = median_time(predict_one, 30, warmup=True)
    return {"top1": topk(scores, y, 1), "top3": topk(scores, y, 3), "count": len(y), "wall_s": wall, "latency_ms": lat * 1000}


def fit_minirocket(train: tuple[np.ndarray, np.ndarray], seed: int):
    """aeon's MiniRocketClassifier (one job) fitted on (N, channels, length) arrays and (N,) class ids."""
    from aeon.classification.convolution_based import MiniRocketClassifier

    return MiniRocketClassifier(random_state=seed, n_jobs=1).fit(*train)


def run_minirocket(train: tuple[np.ndarray, np.ndarray], test: tuple[np.ndarray, np.ndarray], n_classes: int, seed: int) -> dict:
    """aeon's MiniRocketClassifier on (N, channels, length) arrays."""
    t0 = time.perf_counter()
    clf = fit_minirocket(train, seed)
    wall = time.perf_counter() - t0
    x, y = test
    # rank every class by the ridge classifier's decision function, for top-3
    raw = clf.estimator_.decision_function(clf._scaler.transform(clf._transformer.transform(x)))
    return peer_result(raw, clf.estimator_.classes_, y, n_classes, wall, lambda: clf.predict(x[:1]))


def run_logreg(train: tuple[np.ndarray, np.ndarray], test: tuple[np.ndarray, np.ndarray], n_classes: int, seed: int) -> dict:
    """The simplest honest baseline: per-channel statistics over time (mean, std, min, max, mean absolute change) + logistic regression."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    def stats(x: np.ndarray) -> np.ndarray:  # (N, C, L) -> (N, 5C)
        return np.concatenate([x.mean(2), x.std(2), x.min(2), x.max(2), np.abs(np.diff(x, axis=2)).mean(2)], axis=1)

    t0 = time.perf_counter()
    clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=3000, random_state=seed)).fit(stats(train[0]), train[1])
    wall = time.perf_counter() - t0
    x, y = test
    return peer_result(clf.predict_proba(stats(x)), clf.classes_, y, n_classes, wall, lambda: clf.predict(stats(x[:1])))


def resample(x: np.ndarray, length: int) -> np.ndarray:
    """(T, C) -> (length, C) by linear interpolation over time."""
    t = np.linspace(0, len(x) - 1, length)
    return np.stack([np.interp(t, np.arange(len(x)), x[:, c]) for c in range(x.shape[1])], axis=1)


def glove_channels(seq, length: int) -> np.ndarray:
    """Auslan: (22 channels, length)."""
    return resample(seq.data[:, :, 0], length).T


def hands_minus_nose(seq) -> np.ndarray:
    """Keypoints -> (T, 42, 3) both hands' points minus the face centre (nose), NaN where unseen."""
    from hamrec.data.formats import keypoints as kp

    data = np.where(seq.mask[..., None], seq.data, np.nan)  # (T, P, 3)
    return np.concatenate([data[:, kp.LEFT_HAND], data[:, kp.RIGHT_HAND]], axis=1) - data[:, kp.INDEX["NOSE"]][:, None]


def point_channels(points: np.ndarray, length: int) -> np.ndarray:
    """(T, P, D) points -> (P x D channels, length), missing as 0."""
    return np.nan_to_num(resample(points.reshape(len(points), -1), length)).T


def hands_from_face(seq, length: int) -> np.ndarray:
    """Keypoints: (126 channels, length) hand points minus the face centre (nose), missing as 0."""
    return point_channels(hands_minus_nose(seq), length)


def load(path: str):
    from hamrec.data.cache import RecordingCache
    from hamrec.data.index import build_index

    return build_index([path], ".", RecordingCache(None), log=lambda s: None)


def auslan_folds(path: str):
    """Yield (name, hamrec test groups, test files, MiniRocket train samples, test samples) per session."""
    idx = load(path)
    for k in SESSIONS:
        test = [s for s in idx.samples if s.group == k]
        train = [s for s in idx.samples if s.group != k]
        yield f"auslan {k}", [k], test, train, idx


def dgs_folds(path: str, n_folds: int, fold_seed: int):
    from sklearn.model_selection import StratifiedKFold

    idx = load(path)
    samples = idx.samples
    labels = [s.label for s in samples]
    folds = StratifiedKFold(n_folds, shuffle=True, random_state=fold_seed).split(np.zeros(len(samples)), labels)
    for f, (tr, te) in enumerate(folds):
        test = [samples[i] for i in te]
        yield f"dgs11 fold {f + 1}", [s.group for s in test], test, [samples[i] for i in tr], idx


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--auslan", default="../shared/data/auslan", help="UCI Auslan sessions (empty string: skip)")
    ap.add_argument("--dgs", default="../shared/data/dgs11", help="dgs11 keypoints (empty string: skip)")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="every system runs once per seed; tables give medians")
    ap.add_argument("--folds", nargs="*", default=None, help="run only these folds (e.g. 'auslan tctodd9' 'dgs11 fold 1')")
    ap.add_argument("--dgs-folds", type=int, default=5)
    ap.add_argument("--fold-seed", type=int, default=0, help="seed of the dgs11 fold assignment")
    ap.add_argument("--length", type=int, default=64, help="frames MiniRocket sees")
    ap.add_argument("--hamrec-args", default="", help="extra flags for automated_training.py (default: none, i.e. the defaults)")
    ap.add_argument("--json", default=None, help="also write every result here; results already in it are kept and not rerun "
                    "(so an interrupted run, or one split over --seeds, continues where it stopped)")
    ap.add_argument("--report", default=None, metavar="JSON", help="only print the table of results saved by --json (e.g. of an interrupted run)")
    args = ap.parse_args()
    if args.report:
        return print_table(paired(json.loads(Path(args.report).read_text())))
    extra = args.hamrec_args.split()
    protocols = []
    if args.auslan:
        protocols.append(("auslan", auslan_folds(args.auslan), glove_channels, Path(args.auslan)))
    if args.dgs:
        protocols.append(("dgs11", dgs_folds(args.dgs, args.dgs_folds, args.fold_seed), hands_from_face, Path(args.dgs)))
    folds = []
    for proto, fold_iter, to_array, root in protocols:
        for name, test_groups, test, train, idx in fold_iter:
            if args.folds and name not in args.folds:
                continue
            ids = {c: i for i, c in enumerate(idx.classes)}

            def arrays(samples, to_array=to_array, idx=idx, ids=ids):
                return np.stack([to_array(idx.sequences[s.path], args.length) for s in samples]), np.array([ids[s.label] for s in samples])

            folds.append((proto, name, test_groups, test, root, len(ids), arrays(train), arrays(test)))
    results = json.loads(Path(args.json).read_text()) if args.json and Path(args.json).exists() else []
    done = {(r["fold"], r["seed"], r["system"]) for r in results}
    start = time.perf_counter()
    for seed in args.seeds:  # seed by seed, so that an interrupted run still covers every fold
        for proto, name, test_groups, test, root, n_classes, mr_train, mr_test in folds:
            if {(name, seed, system) for system in SYSTEMS} <= done:
                continue
            with tempfile.TemporaryDirectory(prefix="hamrec-bench-") as tmp:
                test_dir = link_tree([Path(s.path) for s in test], root, Path(tmp) / "test")
                systems = {"hamrec": lambda: run_hamrec(root, test_groups, test_dir, seed, Path(tmp), extra),
                           "MiniRocket": lambda: run_minirocket(mr_train, mr_test, n_classes, seed),
                           "LogReg": lambda: run_logreg(mr_train, mr_test, n_classes, seed)}  # fmt: skip
                for system, fn in systems.items():
                    if (name, seed, system) in done:
                        continue
                    r = {"protocol": proto, "fold": name, "system": system, "seed": seed, **fn()}
                    results.append(r)
                    print(f"{name:<16} {system:<10} seed {seed}  test {r['count']:4d}  top-1 {r['top1']:.3f}  top-3 {r['top3']:.3f}  "
                          f"{'command' if system == 'hamrec' else 'fit'} {r['wall_s']:6.1f} s  latency {r['latency_ms']:5.2f} ms", flush=True)  # fmt: skip
                    if args.json:
                        Path(args.json).write_text(json.dumps(results, indent=1))
    print(f"\nall done in {(time.perf_counter() - start) / 60:.1f} min.")
    print_table(paired(results))


def paired(results: list[dict]) -> list[dict]:
    """The results of the (fold, seed) pairs that both systems finished (an interrupted run may hold one without the other)."""
    done = {(r["fold"], r["seed"], r["system"]) for r in results}
    return [r for r in results if {(r["fold"], r["seed"], s) for s in ("hamrec", "MiniRocket")} <= done]


def print_table(results: list[dict]) -> None:
    """Medians over seeds per fold, then the fold means, as a Markdown table (LogReg where it ran)."""
    seeds = sorted({r["seed"] for r in results})
    systems = [s for s in SYSTEMS if any(r["system"] == s for r in results)]
    print(f"Medians over seeds {seeds}; hamrec's wall time is the whole automated_training.py command, MiniRocket's its fit.\n")
    print("| fold | " + " | ".join(f"{s} top-1" for s in systems) + " | hamrec top-3 | MiniRocket top-3 | hamrec command | hamrec latency | MiniRocket latency |")
    print("| --- " * (len(systems) + 6) + "|")
    med = {}
    for fold in dict.fromkeys(r["fold"] for r in results):
        for system in systems:
            runs = [r for r in results if r["fold"] == fold and r["system"] == system]
            if not runs:
                continue
            med[fold, system] = {k: statistics.median(r[k] for r in runs) for k in ("top1", "top3", "wall_s", "latency_ms")}
            med[fold, system]["each"] = ", ".join(f"{r['top1']:.1%}" for r in runs)
        h, m = med[fold, "hamrec"], med[fold, "MiniRocket"]
        tops = " | ".join(f"{med[fold, s]['top1']:.1%} ({med[fold, s]['each']})" if (fold, s) in med else "" for s in systems)
        print(f"| {fold} | {tops} | {h['top3']:.1%} | {m['top3']:.1%} | {h['wall_s']:.0f} s | {h['latency_ms']:.1f} ms | {m['latency_ms']:.1f} ms |")
    for proto in dict.fromkeys(r["protocol"] for r in results):
        folds = [f for f in dict.fromkeys(r["fold"] for r in results if r["protocol"] == proto)]
        mean = {s: {k: statistics.mean(med[f, s][k] for f in folds) for k in ("top1", "top3")} for s in systems if all((f, s) in med for f in folds)}
        tops = " | ".join(f"**{mean[s]['top1']:.1%}**" if s in mean else "" for s in systems)
        print(f"| **{proto} mean of {len(folds)} folds** | {tops} | {mean['hamrec']['top3']:.1%} | {mean['MiniRocket']['top3']:.1%} | | | |")

if __name__ == "__main__":
    main()
