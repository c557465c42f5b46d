"""Evaluate a saved model on its saved held-out split or on a labelled dataset folder."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..data.cache import RecordingCache
from ..data.datasets import DatasetError, scan, skipped_line
from ..data.formats import SUFFIXES
from ..data.sequence import RecordingError
from .open_set import accepts
from .predict import Recognizer


def metrics_from(rec: Recognizer, labels: list[str], probs: np.ndarray, files: list[str], skipped: list[dict], split: str,
                 params: dict[str, np.ndarray] | None = None, known: np.ndarray | None = None) -> dict:  # fmt: skip
    """top-1/2/3/5 (fractions), per-class accuracy, counts, predictions and skipped files; for a
    model with phonological heads (``params``: parameter -> (N, values) probabilities) also
    ``parameters``: parameter -> accuracy over the recordings whose label has notation; for a
    model with open-set settings (``known``: (N,) scores) ``known_accepted``."""
    ids = {c: i for i, c in enumerate(rec.classes)}
    rows = [i for i, label in enumerate(labels) if label in ids]
    for i, label in enumerate(labels):
        if label not in ids:
            skipped.append({"file": files[i], "reason": f"label {label!r} is not one of the model's {len(ids)} classes"})
    labels = [labels[i] for i in rows]
    files = [files[i] for i in rows]
    probs = probs[rows]
    parameters = _parameter_accuracy(rec, labels, {p: v[rows] for p, v in (params or {}).items()})
    y = np.array([ids[label] for label in labels], int)
    order = np.argsort(-probs, axis=1) if len(probs) else np.zeros((0, 5), int)
    hit = {k: (order[:, :k] == y[:, None]).any(axis=1) if len(y) else np.zeros(0, bool) for k in (1, 2, 3, 5)}
    per_class = {}
    for c in sorted(set(labels)):
        sel = y == ids[c]
        per_class[c] = {"count": int(sel.sum()), "top1": float(hit[1][sel].mean())}
    accepted = accepts(None if known is None else known[rows], rec.contract.info.get("open_set"))
    return {
        "split": split,
        "count": int(len(y)),
        "top1": float(hit[1].mean()) if len(y) else 0.0,
        "top2": float(hit[2].mean()) if len(y) else 0.0,
        "top3": float(hit[3].mean()) if len(y) else 0.0,
        "top5": float(hit[5].mean()) if len(y) else 0.0,
        "per_class": per_class,
        "classes": rec.classes,
        "predictions": [{"file": f, "label": label, "predicted": rec.classes[int(o[0])], "probability": float(p[o[0]])}
                        for f, label, o, p in zip(files, labels, order, probs)],  # fmt: skip
        "skipped": skipped,
        **({"parameters": parameters} if parameters else {}),
        # the share of these (known-sign) recordings that the saved open-set threshold accepts
        **({"known_accepted": float(accepted.mean())} if accepted is not None and len(accepted) else {}),
    }


def _parameter_accuracy(rec: Recognizer, labels: list[str], params: dict[str, np.ndarray]) -> dict[str, float]:
    """parameter -> share of the recordings with notation whose predicted value is their label's."""
    out = {}
    for p, prob in params.items():
        truth = [(i, rec.labels.get(label, {}).get("parameters", {}).get(p)) for i, label in enumerate(labels)]
        truth = [(i, rec.parameters[p].index(v)) for i, v in truth if v in rec.parameters[p]]
        if truth:
            rows, want = map(np.array, zip(*truth))
            out[p] = float((prob[rows].argmax(axis=1) == want).mean())
    return out


def _evaluate(rec: Recognizer, samples: list[tuple[str, str]], split: str, cache: RecordingCache, chunk: int = 256, lexicon=None) -> dict:
    """Read and recognise ``samples`` a chunk at a time (memory holds one chunk of recordings), then score;
    with a :class:`~hamrec.inference.lexicon.Lexicon` also by notation (``lexicon``: its top-1/top-5)."""
    seqs, labels, files, skipped, probs, params, known = [], [], [], [], [], [], []
    for i, (path, label) in enumerate(samples):
        try:
            seq = cache.load(path)
            rec.spec.check(seq)
        except RecordingError as e:
            skipped.append({"file": path, "reason": str(e)})
        else:
            seqs.append(seq)
            labels.append(label)
            files.append(path)
        if seqs and (len(seqs) == chunk or i == len(samples) - 1):
            classes, heads, scores = rec.outputs(seqs)
            probs.append(classes)
            params.append(heads)
            known.append(scores)
            seqs = []
    probs = np.concatenate(probs) if probs else np.zeros((0, len(rec.classes)), np.float32)
    known = np.concatenate(known) if known and known[0] is not None else None
    heads = {p: np.concatenate([h[p] for h in params]) for p in rec.parameters} if params else {}
    by_notation = None
    if lexicon is not None and heads:
        from .lexicon import accuracy

        by_notation = accuracy(lexicon, heads, rec.parameters, labels)
    result = metrics_from(rec, labels, probs, files, skipped, split, heads, known)
    if not result["count"]:  # a figure over nothing would read as 0 % right
        first = skipped_line(result["skipped"][0]) if result["skipped"] else "none given"
        raise DatasetError(f"{split}: none of its {len(samples)} recordings could be evaluated, all skipped (first: {first}); "
                           f"expected recordings of {rec.spec.layout!r} labelled with the model's classes")  # fmt: skip
    return {**result, "lexicon": by_notation} if by_notation else result


def evaluate_split(rec: Recognizer, split: str | None = None, cache_dir: str | None = None, lexicon=None) -> dict:
    """Evaluate on a split saved with the model (default: its held-out one) — never a fresh random split."""
    split = split or rec.contract.held_out()
    entries = rec.contract.split.get(split, [])
    if not entries:
        raise ValueError(f"{rec.path or 'the model'}: the model has no saved {split!r} split; evaluate with --data-dir instead")
    return _evaluate(rec, [(e["path"], e["label"]) for e in entries], split, RecordingCache(cache_dir), lexicon=lexicon)


def evaluate_dir(rec: Recognizer, data_dir: str | Path, cache_dir: str | None = None, fmt: str = "auto", lexicon=None) -> dict:
    """Evaluate every labelled recording in a dataset folder.

    ``fmt`` "auto" takes every recording the folder holds; a format name (pose, auslan,
    signavatars, array) keeps only that format's files. With ``lexicon``, recordings whose
    label is one of its glosses are also recognised by notation, among all its entries — also
    signs the model has no class for.
    """
    data_dir = Path(data_dir)
    if not data_dir.exists():
        raise DatasetError(f"--data-dir: {data_dir} does not exist")
    samples, skipped = scan(data_dir.name, data_dir)
    if fmt != "auto":
        samples = [s for s in samples if SUFFIXES.get(Path(s.path).suffix.lower()) == fmt]
        if not samples:
            raise DatasetError(f"--data-dir {data_dir}: no {fmt} recordings (--format {fmt} expects {[k for k, v in SUFFIXES.items() if v == fmt]})")
    result = _evaluate(rec, [(s.path, s.label) for s in samples], str(data_dir), RecordingCache(cache_dir), lexicon=lexicon)
    result["skipped"] = skipped + result["skipped"]
    return result

