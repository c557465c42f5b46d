"""A loaded recognizer: model + the normalisation and label map saved with it."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from ..data.cache import RecordingCache
from ..data.formats import keypoints as kp
from ..data.sequence import RecordingError, SignSequence
from ..contract import ModelContract
from .open_set import answer


@dataclass
class Candidate:
    label: str
    gloss: str | None
    hamnosys: str | None
    probability: float


class Recognizer:
    """A model and its contract: recognise recordings; nothing is refit at inference time."""

    def __init__(self, model, contract: ModelContract, path: str | Path | None = None):
        self.model, self.contract = model, contract
        self.path = Path(path) if path is not None else None
        self.classes: list[str] = contract.classes
        self.labels: dict = contract.labels
        self.spec = contract.spec
        self._single = None  # traced one-recording forward pass, made on first use

    @classmethod
    def load(cls, model_path: str | Path) -> "Recognizer":
        """Load a saved ``.keras`` model with its contract (schema checked; errors say what to do)."""
        return cls(*ModelContract.load(model_path), model_path)

    def inputs(self, seqs: list[SignSequence]) -> dict[str, np.ndarray]:
        """Recordings -> {"features": (N, T, F), "mask": (N, T)}; raises RecordingError on a layout mismatch."""
        return self.contract.encode(seqs)

    def probabilities(self, seqs: list[SignSequence], batch_size: int = 256) -> np.ndarray:
        """(N, C) class probabilities."""
        import keras

        if len(seqs) == 1:
            return self._predict_one(self.inputs(seqs))
        out = []
        for i in range(0, len(seqs), batch_size):
            x = self.inputs(seqs[i : i + batch_size])
            out.append(keras.ops.convert_to_numpy(self.model(x, training=False)))
        return np.concatenate(out) if out else np.zeros((0, len(self.classes)), np.float32)

    def _predict_one(self, x: dict[str, np.ndarray]) -> np.ndarray:
        """(1, C) probabilities for one recording.

        On the torch backend the Keras model is traced once into a TorchScript graph: the
        same tensor operations without Keras' per-layer call overhead, which otherwise costs
        most of a single recording's latency. The trace is made for batch size 1 and used only
        for it; any other backend, or a failed trace, uses the Keras call.
        """
        import keras

        if self._single is None:
            self._single = _trace_single(self.model, x) or False
        if self._single:
            import torch

            with torch.inference_mode():
                return self._single(torch.from_numpy(x["features"]), torch.from_numpy(x["mask"])).numpy()
        return keras.ops.convert_to_numpy(self.model(x, training=False))

    def top_k(self, probs: np.ndarray, k: int = 3) -> list[dict]:
        """The k most likely classes of one (C,) probability vector, as the JSON-ready dicts of :class:`Candidate`."""
        order = np.argsort(-probs)[:k]
        return [
            asdict(Candidate(self.classes[i], self.labels.get(self.classes[i], {}).get("gloss"), self.labels.get(self.classes[i], {}).get("hamnosys"), float(probs[i])))
            for i in order
        ]

    def recognise_files(self, paths: list[str], k: int = 3, cache: RecordingCache | None = None) -> list[dict]:
        """One result per file: {"file", "top_k": [...]} or {"file", "error"}; a bad file never stops the others.

        Keypoint recordings also get ``hands_seen``: the fraction of frames in which each hand was detected.
        A model with open-set settings adds ``known`` (False: not a sign it knows; the top-k are
        then only the closest), ``known_score`` and ``known_threshold`` (see :mod:`.open_set`).
        """
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
            for (i, seq), pr in zip(good, probs):
                results[i]["top_k"] = self.top_k(pr, k)
                results[i].update(answer(pr, self.contract.info.get("open_set")))
                if seq.layout == kp.LAYOUT:  # a prediction from a recording whose hands were rarely seen deserves less trust
                    results[i]["hands_seen"] = {side: round(float(seq.mask[:, part].any(axis=1).mean()), 3)
                                                for side, part in (("left", kp.LEFT_HAND), ("right", kp.RIGHT_HAND))}  # fmt: skip
                    if self.spec.face:  # the face's features are missing where it was not seen
                        results[i]["face_seen"] = round(float(seq.mask[:, kp.FACE].any(axis=1).mean()), 3)
        return results


def _trace_single(model, x: dict[str, np.ndarray]):
    """A TorchScript function (features, mask) -> probabilities for batch size 1, or None."""
    import warnings

    import keras

    if keras.backend.backend() != "torch":
        return None
    import torch

    try:
        with warnings.catch_warnings(), torch.inference_mode():
            warnings.simplefilter("ignore")  # TracerWarnings about Python ints in shapes: batch size 1 is fixed on purpose
            return torch.jit.trace(torch_module(model), (torch.from_numpy(x["features"]), torch.from_numpy(x["mask"])), check_trace=False)
    except Exception:  # tracing is an optimisation; the Keras call always works
        return None


def torch_module(model):
    """The Keras model (torch backend) as a ``torch.nn.Module`` (features, mask) -> probabilities, in eval mode: for tracing and export."""
    import torch

    class Forward(torch.nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, features, mask):
            return self.m({"features": features, "mask": mask}, training=False)

    return Forward(model).eval()
