"""Is a recording one of the signs the model knows? A score per recording and a saved threshold.

The score is the negative entropy of the class probabilities, ``sum_c p_c log p_c`` (0 for a
certain answer, ``-log C`` for a uniform one). It was chosen by measurement, against the
maximum probability, the top-1 - top-2 margin, the maximum logit, the energy and the cosine to
the nearest class centre in the pooled features: best mean AUROC over held-out classes of
Auslan and dgs11 and real recordings against a model of the built-in signs, and it needs
nothing but the probabilities (``bench/deploy.py``; figures in BENCHMARKS.md).

The threshold is chosen at training time on the validation split, by the model that did not
train on it (the run early stopping chose, before any refit), as the score that
:data:`ACCEPT` of its validation recordings reach; it is saved with the model
(``open_set`` in its contract) and travels with an export.
"""

from __future__ import annotations

import numpy as np

SCORE = "negative_entropy"
#: share of the validation recordings the saved threshold accepts
ACCEPT = 0.98


def known_score(probs: np.ndarray) -> np.ndarray:
    """(N, C) class probabilities -> (N,) scores; higher means more like a known sign."""
    p = np.clip(np.asarray(probs, np.float64), 1e-12, 1.0)
    return (p * np.log(p)).sum(axis=1)


def calibrate(val_probs: np.ndarray, accept: float = ACCEPT) -> dict:
    """The open-set settings saved with a model: the score's name and the threshold that accepts ``accept`` of ``val_probs``."""
    scores = known_score(val_probs)
    threshold = float(np.quantile(scores, 1.0 - accept, method="lower")) if len(scores) else -np.inf
    return {"score": SCORE, "threshold": threshold, "accept": accept, "val_count": int(len(scores)),
            "val_accepted": float((scores >= threshold).mean()) if len(scores) else 1.0}  # fmt: skip


def accepts(probs: np.ndarray, open_set: dict | None) -> np.ndarray | None:
    """(N, C) probabilities -> (N,) whether each counts as a known sign; None when the model has no open-set settings."""
    if not open_set or open_set.get("score") != SCORE:
        return None
    return known_score(probs) >= open_set["threshold"]


def answer(probs: np.ndarray, open_set: dict | None) -> dict:
    """For one (C,) probability vector: {"known", "known_score", "known_threshold"}; empty when the model has no open-set settings."""
    if not open_set or open_set.get("score") != SCORE:
        return {}
    score = float(known_score(probs[None])[0])
    return {"known": bool(score >= open_set["threshold"]), "known_score": round(score, 4), "known_threshold": round(open_set["threshold"], 4)}
