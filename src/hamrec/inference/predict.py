"""A loaded recognizer: model + the normalisation and label map saved with it."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from ..data.cache import RecordingCache
from ..data.sequence import RecordingError, SignSequence
from ..features import FeatureSpec, Normalizer, prepare


@dataclass
class Candidate:
    label: str
    gloss: str | None
    hamnosys: str | None
    probability: float


class Recognizer:
    """Load once, then recognise recordings; nothing is refit at inference time."""

    def __init__(self, model_path: str | Path):
        from .. import backend

        backend.configure()
        from ..model.saving import load_model

        self.path = Path(model_path)
        self.model, self.meta = load_model(model_path)
        self.spec = FeatureSpec(**self.meta["feature_spec"])
        self.normalizer = Normalizer.from_dict(self.meta["normalizer"])
        self.classes: list[str] = self.meta["classes"]
        self.labels: dict = self.meta.get("labels", {})

    def inputs(self, seqs: list[SignSequence]) -> dict[str, np.ndarray]:
        """Recordings -> {"features": (N, T, F), "mask": (N, T)}; raises RecordingError on a layout mismatch."""
        xs, ms = zip(*(prepare(s, self.spec) for s in seqs))
        x, m = np.stack(xs), np.stack(ms)
        return {"features": self.normalizer(x, m), "mask": m.astype(np.float32)}

    def probabilities(self, seqs: list[SignSequence], batch_size: int = 256) -> np.ndarray:
        """(N, C) class probabilities."""
        import keras

        out = []
        for i in range(0, len(seqs), batch_size):
            x = self.inputs(seqs[i : i + batch_size])
            out.append(keras.ops.convert_to_numpy(self.model(x, training=False)))
        return np.concatenate(out) if out else np.zeros((0, len(self.classes)), np.float32)

    def top_k(self, probs: np.ndarray, k: int = 3) -> list[dict]:
        """The k most likely classes of one (C,) probability vector, as the JSON-ready dicts of :class:`Candidate`."""
        order = np.argsort(-probs)[:k]
        return [
            asdict(Candidate(self.classes[i], self.labels.get(self.classes[i], {}).get("gloss"), self.labels.get(self.classes[i], {}).get("hamnosys"), float(probs[i])))
            for i in order
        ]

    def recognise_files(self, paths: list[str], k: int = 3, cache: RecordingCache | None = None) -> list[dict]:
        """One result per file: {"file", "top_k": [...]} or {"file", "error"}; a bad file never stops the others."""
        cache = cache or RecordingCache(None)
        results: list[dict] = []
        good: list[tuple[int, SignSequence]] = []
        for p in paths:
            try:
                seq = cache.load(p)
                self.spec.check(seq)
                good.append((len(results), seq))
                results.append({"file": str(p)})
            except RecordingError as e:
                results.append({"file": str(p), "error": str(e)})
        if good:
            probs = self.probabilities([s for _, s in good])
            for (i, _), pr in zip(good, probs):
                results[i]["top_k"] = self.top_k(pr, k)
        return results
