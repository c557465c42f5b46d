"""Is a recording one of the signs the model knows? A score per recording and a saved threshold.

The score is minus the squared Mahalanobis distance from the recording's pooled features to
the nearest class centre, under one within-class covariance shared by all classes (Lee et al.
2018), in units of the median training recording's distance to its class (so about -1 is a
typical training recording and -10 one ten times as far). It was chosen by measurement (``bench/deploy.py``,
figures in BENCHMARKS.md) against the scores of the class probabilities alone (negative
entropy — the score before it —, maximum probability, margin, energy) and the cosine to the
nearest class centre or training recording: a sign the model never saw can still get a
confident softmax, but its features lie away from every class it knows. The statistics are
stored in the delivered model as its ``known`` output
(:class:`~hamrec.model.layers.ClassDistance`), so the score travels with the model and its
ONNX export.

The threshold is chosen at training time on the validation split, by the model that did not
train on it (the run early stopping chose, before any refit), as the score that
:data:`ACCEPT` of its validation recordings reach; it is saved with the model (``open_set``
in its contract) and travels with an export. The refitted model's statistics come from the
recordings it trained on, so the median unit alone does not carry the threshold over to it:
the threshold is kept as a robust z-score of each model's own training recordings' scores
(median and median absolute deviation, :func:`spread`, :func:`transfer`). Measured on dgs11
without two signs, the refit model's in-sample scores spread 1.7 times as wide as the chosen
run's, and so do its test recordings': kept in units of the median alone the threshold
accepted 89.0 % of its known test recordings, as a z-score 95.4 % (the chosen run itself:
97.2 %).

Models saved before carry ``"score": "negative_entropy"`` and are answered as before.
"""

from __future__ import annotations

import numpy as np

SCORE = "mahalanobis"
#: the score of models saved before the Mahalanobis score, computed from their probabilities
ENTROPY = "negative_entropy"
#: the ridge added to the within-class covariance, as a share of its mean variance
RIDGE = 1e-3
#: share of the validation recordings the saved threshold accepts
ACCEPT = 0.98


def entropy_score(probs: np.ndarray) -> np.ndarray:
    """(N, C) class probabilities -> (N,) negative entropy (0 for a certain answer, -log C for a uniform one)."""
    p = np.clip(np.asarray(probs, np.float64), 1e-12, 1.0)
    return (p * np.log(p)).sum(axis=1)


def fit_distance(features: np.ndarray, labels: np.ndarray, num_classes: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pooled features (N, D) of training recordings and their class ids (N,) -> the weights of :class:`~hamrec.model.layers.ClassDistance`.

    The shared covariance of the features around their class means is the plain estimate
    with a small ridge (:data:`RIDGE` times the mean variance), which keeps it invertible with
    fewer recordings than dimensions. Stronger shrinkage (Ledoit-Wolf, OAS, a larger ridge)
    told held-out dgs11 signs apart less well (AUROC 0.91 against 0.93; BENCHMARKS.md).
    ``whiten`` is a square root of its inverse, scaled so that the median training
    recording's distance to its own class centre is 1. A class without recordings gets a
    centre no recording is near.

    Returns:
        whiten (D, D), offset (D,) and centres (C, D), float32.
    """
    x = np.asarray(features, np.float64)
    y = np.asarray(labels)
    present = np.bincount(y, minlength=num_classes) > 0
    means = np.zeros((num_classes, x.shape[1]))
    for c in np.flatnonzero(present):
        means[c] = x[y == c].mean(axis=0)
    resid = x - means[y]
    cov = resid.T @ resid / max(len(x) - 1, 1)
    precision = np.linalg.inv(cov + RIDGE * max(float(np.trace(cov)) / len(cov), 1e-12) * np.eye(len(cov)))
    whiten = np.linalg.cholesky(precision)  # precision = whiten @ whiten.T, so |(x - mu) @ whiten|^2 is the distance
    centres = means @ whiten
    scale = np.sqrt(max(float(np.median((((x @ whiten) - centres[y]) ** 2).sum(axis=1))), 1e-12))
    whiten, centres = whiten / scale, centres / scale
    offset = centres[present].mean(axis=0)
    centres = centres - offset
    centres[~present] = 1e6
    return whiten.astype(np.float32), offset.astype(np.float32), centres.astype(np.float32)


def distance_score(features: np.ndarray, whiten: np.ndarray, offset: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """(N, D) pooled features -> (N,) scores, as :class:`~hamrec.model.layers.ClassDistance` computes them inside the model."""
    z = np.asarray(features, np.float64) @ whiten - offset
    d2 = (z**2).sum(axis=1, keepdims=True) - 2.0 * z @ centres.T + (centres.astype(np.float64) ** 2).sum(axis=1)
    return -d2.min(axis=1)


def calibrate(val_scores: np.ndarray, accept: float = ACCEPT, score: str = SCORE) -> dict:
    """The open-set settings saved with a model: the score's name and the threshold that ``accept`` of the validation recordings reach."""
    s = np.asarray(val_scores, np.float64)
    threshold = float(np.quantile(s, 1.0 - accept, method="lower")) if len(s) else -np.inf
    return {"score": score, "threshold": threshold, "accept": accept, "val_count": int(len(s)),
            "val_accepted": float((s >= threshold).mean()) if len(s) else 1.0}  # fmt: skip


def spread(in_sample_scores: np.ndarray) -> dict:
    """Scores of the recordings a model trained on -> their median and median absolute deviation, the unit :func:`transfer` uses."""
    s = np.asarray(in_sample_scores, np.float64)
    median = float(np.median(s))
    return {"median": median, "mad": max(float(np.median(np.abs(s - median))), 1e-12)}


def transfer(open_set: dict, in_sample_scores: np.ndarray) -> dict:
    """The open-set settings for another model of the same job (a refit), from the scores of the recordings it trained on.

    The threshold keeps its robust z-score ``(threshold - median) / mad`` against the training
    recordings' scores, which :func:`calibrate`'s model recorded as ``in_sample``.
    """
    if "in_sample" not in open_set:
        return open_set
    old, new = open_set["in_sample"], spread(in_sample_scores)
    z = (open_set["threshold"] - old["median"]) / old["mad"]
    return {**open_set, "threshold": new["median"] + z * new["mad"], "in_sample": new, "calibrated_threshold": open_set.get("calibrated_threshold", open_set["threshold"])}


def accepts(scores: np.ndarray | None, open_set: dict | None) -> np.ndarray | None:
    """(N,) known scores -> (N,) whether each counts as a known sign; None without open-set settings or scores."""
    if not open_set or scores is None:
        return None
    return np.asarray(scores) >= open_set["threshold"]


def answer(score: float | None, open_set: dict | None) -> dict:
    """For one recording's known score: {"known", "known_score", "known_threshold"}; empty without open-set settings or a score."""
    if not open_set or score is None:
        return {}
    return {"known": bool(score >= open_set["threshold"]), "known_score": round(float(score), 4), "known_threshold": round(open_set["threshold"], 4)}
