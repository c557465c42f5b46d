"""A loaded recognizer: model + the normalisation and label map saved with it."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from ..data.cache import RecordingCache
from ..data.formats import keypoints as kp
from ..data.sequence import RecordingError, SignSequence
from ..contract import ModelContract
from .open_set import ENTROPY, SCORE, answer, entropy_score


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
        #: parameter -> its values, for a model with phonological heads (else empty)
        self.parameters: dict[str, list[str]] = contract.info.get("parameters") or {}
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
        return self.outputs(seqs, batch_size)[0]

    def outputs(self, seqs: list[SignSequence], batch_size: int = 256) -> tuple[np.ndarray, dict[str, np.ndarray], np.ndarray | None]:
        """(N, C) class probabilities; parameter -> (N, values) probabilities for a model with
        phonological heads (else empty); (N,) "known sign" scores (:mod:`.open_set`), None for a
        model without open-set settings."""
        if not seqs:
            return np.zeros((0, len(self.classes)), np.float32), {p: np.zeros((0, len(v)), np.float32) for p, v in self.parameters.items()}, None
        if len(seqs) == 1:
            out = self._predict_one(self.inputs(seqs))
        else:
            chunks = [self._run(self.inputs(seqs[i : i + batch_size])) for i in range(0, len(seqs), batch_size)]
            out = {k: np.concatenate([c[k] for c in chunks]) for k in chunks[0]}
        return self._split(out)

    def pooled_features(self, seqs: list[SignSequence], batch_size: int = 256) -> np.ndarray:
        """(N, D) the pooled features the classes and the known score are read from (a Keras model's only)."""
        import keras

        from ..model.builder import pooled_features

        net = pooled_features(self.model)
        chunks = []
        for i in range(0, len(seqs), batch_size):
            with no_grad():
                chunks.append(keras.ops.convert_to_numpy(net(self.inputs(seqs[i : i + batch_size]), training=False)))
        return np.concatenate(chunks) if chunks else np.zeros((0, net.output.shape[-1]), np.float32)

    def _split(self, out: dict[str, np.ndarray]) -> tuple[np.ndarray, dict[str, np.ndarray], np.ndarray | None]:
        """The named outputs of a forward pass -> :meth:`outputs`' three parts."""
        from ..outputs import CLASSES, HEAD, KNOWN

        probs = out[CLASSES]
        params = {p: out[HEAD + p] for p in self.parameters}
        open_set = self.contract.info.get("open_set") or {}
        known = out.get(KNOWN) if open_set.get("score") == SCORE else entropy_score(probs) if open_set.get("score") == ENTROPY else None
        return probs, params, known

    def _run(self, x: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """One Keras forward pass: output name -> array (a single-output model's output is ``classes``)."""
        import keras

        from ..outputs import CLASSES

        with no_grad():
            out = self.model(x, training=False)
        out = out if isinstance(out, dict) else {CLASSES: out}
        return {k: keras.ops.convert_to_numpy(v) for k, v in out.items()}

    def _predict_one(self, x: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """:meth:`_run` for one recording.

        On the torch backend the Keras model is traced once into a TorchScript graph: the
        same tensor operations without Keras' per-layer call overhead, which otherwise costs
        most of a single recording's latency. The trace is made for batch size 1 and used only
        for it; any other backend, or a failed trace, uses the Keras call.
        """
        from ..model.builder import output_names

        if self._single is None:
            self._single = _trace_single(self.model, x) or False
        if self._single:
            import torch

            with torch.inference_mode():
                out = self._single(torch.from_numpy(x["features"]), torch.from_numpy(x["mask"]))
            return {k: t.numpy() for k, t in zip(output_names(self.model), out)}
        return self._run(x)

    def top_k(self, probs: np.ndarray, k: int = 3) -> list[dict]:
        """The k most likely classes of one (C,) probability vector, as the JSON-ready dicts of :class:`Candidate`."""
        order = np.argsort(-probs)[:k]
        return [
            asdict(Candidate(self.classes[i], self.labels.get(self.classes[i], {}).get("gloss"), self.labels.get(self.classes[i], {}).get("hamnosys"), float(probs[i])))
            for i in order
        ]

    def explain(self, top_k: list[dict], params: dict[str, np.ndarray]) -> dict:
        """Why the answer: ``parameters`` — what the phonological heads see (parameter -> most likely
        value and its probability; a model with heads only) — and ``differences`` — the parameters
        in which the notations of the two best candidates differ (parameter -> [top-1's, top-2's])."""
        out = {}
        if params:
            out["parameters"] = {p: {"value": self.parameters[p][int(v.argmax())], "probability": round(float(v.max()), 3)} for p, v in params.items()}
        notations = [self.labels.get(c["label"], {}).get("parameters") for c in top_k[:2]]
        if len(notations) == 2 and all(notations):
            out["differences"] = {p: [notations[0][p], notations[1][p]] for p in notations[0] if notations[0][p] != notations[1].get(p)}
        return out

    def recognise_files(self, paths: list[str], k: int = 3, cache: RecordingCache | None = None, lexicon=None) -> list[dict]:
        """One result per file: {"file", "top_k": [...]} or {"file", "error"}; a bad file never stops the others.

        Keypoint recordings also get ``hands_seen``: the fraction of frames in which each hand was detected.
        Signs with notation add :meth:`explain`'s ``parameters`` and ``differences``; with a
        :class:`~hamrec.inference.lexicon.Lexicon` (a model with heads only), ``lexicon`` holds its
        ``k`` best entries by notation, each marked ``seen_in_training`` or not.
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
            probs, params, known = self.outputs([s for _, s in good])
            ranked = None
            if lexicon is not None and params:
                from .lexicon import trained_signs

                ranked = lexicon.rank(params, self.parameters, trained_signs(self.contract), k)
            for n, ((i, seq), pr) in enumerate(zip(good, probs)):
                results[i]["top_k"] = self.top_k(pr, k)
                results[i].update(self.explain(results[i]["top_k"], {p: v[n] for p, v in params.items()}))
                if ranked:
                    results[i]["lexicon"] = ranked[n]
                results[i].update(answer(None if known is None else known[n], self.contract.info.get("open_set")))
                if seq.layout == kp.LAYOUT:  # a prediction from a recording whose hands were rarely seen deserves less trust
                    results[i]["hands_seen"] = {side: round(float(seq.mask[:, part].any(axis=1).mean()), 3)
                                                for side, part in (("left", kp.LEFT_HAND), ("right", kp.RIGHT_HAND))}  # fmt: skip
                    if self.spec.face:  # the face's features are missing where it was not seen
                        results[i]["face_seen"] = round(float(seq.mask[:, kp.FACE].any(axis=1).mean()), 3)
        return results


def no_grad():
    """A context in which calling the model records nothing for gradients (``torch.inference_mode`` on torch).

    Keras' own ``predict`` and ``evaluate`` do this; a plain model call on the torch backend
    does not, and keeps every activation of the batch for a backward pass that never comes:
    over the 29 batches of 256 that calibrate 7,260 validation recordings, peak memory rose to
    2.2 GB instead of 1.0 GB.
    """
    import contextlib

    import keras

    if keras.backend.backend() == "torch":
        import torch

        return torch.inference_mode()
    return contextlib.nullcontext()


def _trace_single(model, x: dict[str, np.ndarray]):
    """A TorchScript function (features, mask) -> the model's outputs in :func:`~hamrec.model.builder.output_names` order, for batch size 1; or None."""
    import warnings

    import keras

    if keras.backend.backend() != "torch":
        return None
    import torch

    from ..model.builder import output_names

    try:
        with warnings.catch_warnings(), torch.inference_mode():
            warnings.simplefilter("ignore")  # TracerWarnings about Python ints in shapes: batch size 1 is fixed on purpose
            inputs = (torch.from_numpy(x["features"]), torch.from_numpy(x["mask"]))
            return torch.jit.trace(torch_module(model, output_names(model)), inputs, check_trace=False)
    except Exception:  # tracing is an optimisation; the Keras call always works
        return None


def torch_module(model, names: list[str]):
    """The Keras model (torch backend) as a ``torch.nn.Module`` (features, mask) -> a tuple of the outputs ``names``, in eval mode: for tracing and export.

    ``names`` are output names (:func:`~hamrec.model.builder.output_names`); ``classes`` is a
    single-output model's only output.
    """
    import torch

    from ..outputs import CLASSES

    class Forward(torch.nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, features, mask):
            out = self.m({"features": features, "mask": mask}, training=False)
            out = out if isinstance(out, dict) else {CLASSES: out}
            return tuple(out[n] for n in names)

    return Forward(model).eval()
