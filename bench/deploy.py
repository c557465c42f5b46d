"""Deployment: latency of Keras, the traced torch path and ONNX Runtime; how well "not a sign I know" works.

    python -m venv .bench/venv && . .bench/venv/bin/activate && pip install -e ".[test]"
    python bench/deploy.py --work .bench/deploy

Open set: for each protocol, the default command (``automated_training.py``, a subprocess with
no flags but the data, the test groups and the model folder) trains on a dataset with some
classes taken out; the model is exported with ``hamrec export``. In-vocabulary recordings are the
model's own test split, out-of-vocabulary ones the recordings of the classes taken out (and, for
the built-in signs, real recordings of other signs). Printed: AUROC of the product's score (the
delivered model's ``known`` output) and of other candidate scores (computed here from the model's
pooled features and class scores, to choose the product's score), and the share of each set that
the threshold saved with the model accepts, answered by ``python -m hamrec.runtime``
(in-vocabulary: should be high; out-of-vocabulary: should be low).

- auslan: sessions tctodd4-9 without every 6th class (15 of 95), test session tctodd9; OOV =
  the 15 classes' recordings in tctodd9.
- dgs11: without "mainz" and "zeigen" (9 of 11 signs), the default split; OOV = every recording of
  the two signs. No signer ids exist in dgs11.
- builtin: the built-in synthetic signs (the default data); OOV = dgs11's real webcam recordings
  and the real .pose files of ../shared/data/pose-samples.

Latency: one recording after load (median of 50) and per recording in batches of 64, for the
Keras call, the traced torch graph ``inference_hamnosys.py --input`` uses, and ONNX Runtime.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("KERAS_BACKEND", "torch")
sys.path.insert(0, str(ROOT / "src"))

import numpy as np  # noqa: E402
from timing import median_time  # noqa: E402  (bench/timing.py)
from vs_minirocket import link_tree  # noqa: E402  (bench/vs_minirocket.py)

SUFFIXES = (".pose", ".tsd", ".npy")


def files_under(root: Path) -> list[Path]:
    return [p for p in sorted(root.rglob("*")) if p.suffix in SUFFIXES and p.is_file()]


def protocols(shared: Path, work: Path) -> list[dict]:
    """Each: the training folder (classes taken out), extra training flags, and the OOV recordings."""
    out = []
    auslan = shared / "auslan"
    if auslan.is_dir():
        label = lambda p: p.stem.rsplit("-", 1)[0]  # noqa: E731  (Auslan files are <sign>-<n>.tsd)
        files = files_under(auslan)
        classes = sorted({label(p) for p in files})
        oov = set(classes[5::6])
        train = link_tree([p for p in files if label(p) not in oov], auslan, work / "data" / "auslan-known")
        out.append({"name": "auslan", "data": train, "flags": ["--test-groups", "tctodd9"],
                    "oov": {"15 held-out classes (tctodd9)": [p for p in files if label(p) in oov and p.parent.name == "tctodd9"]}})  # fmt: skip
    dgs = shared / "dgs11"
    if dgs.is_dir():
        oov = {"mainz", "zeigen"}
        files = files_under(dgs)
        train = link_tree([p for p in files if p.parent.name not in oov], dgs, work / "data" / "dgs11-known")
        out.append({"name": "dgs11", "data": train, "flags": [], "oov": {"2 held-out signs": [p for p in files if p.parent.name in oov]}})
    builtin_oov = {}
    if dgs.is_dir():
        builtin_oov["dgs11 (real webcam)"] = files_under(dgs)
    if (shared / "pose-samples").is_dir():
        builtin_oov["pose-samples (real)"] = files_under(shared / "pose-samples")
    out.append({"name": "builtin", "data": None, "flags": [], "oov": builtin_oov})
    return out


def train(proto: dict, work: Path) -> Path:
    model_dir = work / proto["name"] / "model"
    cmd = [sys.executable, str(ROOT / "automated_training.py"), "--model-dir", str(model_dir), "--log-file", str(work / proto["name"] / "log.txt"),
           "--no-run-inference", *proto["flags"]]  # fmt: skip
    if proto["data"] is not None:
        cmd += ["--include-datasets", str(proto["data"])]
    done = subprocess.run(cmd, capture_output=True, text=True)  # resumes (and returns at once) when already trained
    if done.returncode != 0:
        raise RuntimeError(f"{proto['name']}: automated_training.py failed: {done.stderr[-2000:]}")
    return model_dir / "best_model.keras"


PRODUCT = "the product's score (the model's known output)"


def candidate_scores(rec, seqs, bank=None):
    """Candidate "known sign" scores from the model's pooled features (B, D) and class scores.

    ``bank``: the training recordings' pooled features and class ids, for the scores that
    compare with them: cosine to the nearest class centre, cosine to the k-th nearest training
    recording (Sun et al. 2022, "deep nearest neighbours") and the Mahalanobis distance to the
    nearest class under a shared covariance (Lee et al. 2018).
    """
    import keras

    embed = keras.Model(rec.model.inputs, rec.model.get_layer("head_norm").output)
    w, b = (keras.ops.convert_to_numpy(v) for v in rec.model.get_layer("classes").weights)
    e = np.concatenate([keras.ops.convert_to_numpy(embed(rec.inputs(seqs[i : i + 256]), training=False)) for i in range(0, len(seqs), 256)])
    logits = e @ w + b
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    top = np.sort(p, 1)
    out = {"max probability": top[:, -1], "margin top-1 - top-2": top[:, -1] - top[:, -2], "negative entropy": (p * np.log(p + 1e-12)).sum(1),
           "max logit": logits.max(1), "energy (logsumexp)": np.log(np.exp(logits - logits.max(1, keepdims=True)).sum(1)) + logits.max(1)}  # fmt: skip
    if bank is not None:
        train_e, y = bank
        unit = lambda a: a / np.linalg.norm(a, axis=1, keepdims=True)  # noqa: E731
        centres = np.stack([train_e[y == k].mean(0) if (y == k).any() else np.zeros(train_e.shape[1]) for k in range(len(rec.classes))])
        en = unit(e)
        out["cosine to nearest class centre"] = (en @ unit(centres + 1e-12).T).max(1)
        sims = np.sort(en @ unit(train_e).T, axis=1)[:, ::-1]  # (N, M) most similar first
        for k in (1, 5, 20):
            out[f"cosine to {k}-th nearest training recording"] = sims[:, min(k, sims.shape[1]) - 1]
        resid = train_e - centres[y]
        precision = np.linalg.pinv(np.cov(resid, rowvar=False) + 1e-6 * np.eye(resid.shape[1]))
        d = e[:, None, :] - centres[None]  # (N, C, D)
        out["negative Mahalanobis to nearest class"] = -np.einsum("ncd,de,nce->nc", d, precision, d).min(1)
        out["negative diagonal Mahalanobis to nearest class"] = -((d**2) / (resid.var(0) + 1e-6)).sum(2).min(1)
    known = rec.outputs(seqs)[2]
    if known is not None:
        out[PRODUCT] = known
    return out, e


def open_set(proto: dict, model_path: Path, work: Path) -> dict:
    from sklearn.metrics import roc_auc_score

    from hamrec.data.cache import RecordingCache
    from hamrec.inference.predict import Recognizer

    rec = Recognizer.load(model_path)
    cache = RecordingCache(None)

    def load(paths):
        seqs = []
        for p in paths:
            try:
                s = cache.load(p)
                rec.spec.check(s)
                seqs.append(s)
            except Exception as e:  # noqa: BLE001  (a benchmark reports what it could read)
                print(f"  skipped {p}: {e}")
        return seqs

    # the delivered model was refitted on train + val: statistics from both are in-sample, as train alone was before the refit
    seen = rec.contract.split["train"] + rec.contract.split["val"]
    seen_e = candidate_scores(rec, load([e["path"] for e in seen]))[1]
    bank = (seen_e, np.array([rec.classes.index(e["label"]) for e in seen]))
    test_paths = [e["path"] for e in rec.contract.split["test"]]
    known, _ = candidate_scores(rec, load(test_paths), bank)
    export_dir = work / proto["name"] / "export"
    subprocess.run([sys.executable, "-m", "hamrec.cli.main", "export", "--model-path", str(model_path), "--out", str(export_dir)], check=True,
                   capture_output=True, cwd=ROOT)  # fmt: skip
    result = {"protocol": proto["name"], "classes": len(rec.classes), "known_count": len(test_paths),
              "known_accepted": accepted(export_dir, test_paths), "threshold": rec.contract.info["open_set"], "oov": {}}  # fmt: skip
    for name, paths in proto["oov"].items():
        unknown, _ = candidate_scores(rec, load(paths), bank)
        auroc = {k: float(roc_auc_score(np.r_[np.ones(len(known[k])), np.zeros(len(unknown[k]))], np.r_[known[k], unknown[k]])) for k in known}
        result["oov"][name] = {"count": len(paths), "auroc": auroc, "accepted": accepted(export_dir, [str(p) for p in paths])}
    return result


def accepted(export_dir: Path, paths: list[str]) -> float:
    """Share of the recordings the runtime answers as known signs (its saved threshold)."""
    done = subprocess.run([sys.executable, "-m", "hamrec.runtime", "--model-path", str(export_dir), "--input", *map(str, paths), "--json"],
                          capture_output=True, text=True, cwd=ROOT)  # fmt: skip
    results = [r for r in json.loads(done.stdout)["results"] if "known" in r]
    return float(np.mean([r["known"] for r in results])) if results else float("nan")


def latency(model_path: Path, export_dir: Path, files: list[str]) -> dict:
    import keras

    from hamrec.data.cache import RecordingCache
    from hamrec.inference.predict import Recognizer
    from hamrec.runtime import OnnxRecognizer

    rec, onnx_rec = Recognizer.load(model_path), OnnxRecognizer.load(export_dir)
    cache = RecordingCache(None)
    seqs = [cache.load(f) for f in files[:64]]
    one = seqs[:1]
    x1, x64 = rec.inputs(one), rec.inputs(seqs)
    ms = lambda fn, n: median_time(fn, n, warmup=True) * 1000  # noqa: E731
    return {
        "recordings": len(seqs),
        "keras single ms": ms(lambda: rec.model(x1, training=False), 50),
        "traced torch single ms": ms(lambda: rec.probabilities(one), 50),
        "onnx single ms": ms(lambda: onnx_rec.model.run(None, x1), 50),
        "keras batched ms/rec": ms(lambda: keras.ops.convert_to_numpy(rec.model(x64, training=False)), 10) / len(seqs),
        "onnx batched ms/rec": ms(lambda: onnx_rec.model.run(None, x64), 10) / len(seqs),
        "features single ms": ms(lambda: rec.inputs(one), 50),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", default=str(ROOT.parent / "shared" / "data"), help="../shared/data")
    ap.add_argument("--work", default=".bench/deploy", help="datasets, models and exports (kept: a rerun reuses finished trainings)")
    ap.add_argument("--only", nargs="*", default=None, help="protocols to run (auslan dgs11 builtin)")
    ap.add_argument("--json", default=None, help="also write the results here")
    args = ap.parse_args()
    from hamrec.contract import ModelContract

    work = Path(args.work).resolve()
    results = []
    for proto in protocols(Path(args.shared), work):
        if args.only and proto["name"] not in args.only:
            continue
        model = train(proto, work)
        r = open_set(proto, model, work)
        r["latency"] = latency(model, work / proto["name"] / "export", [e["path"] for e in ModelContract.read(model).split["test"]])
        results.append(r)
        print(f"\n## {r['protocol']}: {r['classes']} known classes; {r['known_count']} known test recordings, "
              f"{r['known_accepted']:.1%} accepted at the saved threshold ({r['threshold']['score']} >= {r['threshold']['threshold']:.3f})")
        for name, o in r["oov"].items():
            print(f"  OOV {name}: {o['count']} recordings, {o['accepted']:.1%} accepted; AUROC " + ", ".join(f"{k} {v:.3f}" for k, v in o["auroc"].items()))
        print("  latency: " + ", ".join(f"{k} {v:.2f}" for k, v in r["latency"].items() if k != "recordings"), flush=True)
        if args.json:
            Path(args.json).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
