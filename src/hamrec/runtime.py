"""Recognise recordings with an exported model, on numpy and onnxruntime alone.

    pip install "hamrec[runtime]"
    python -m hamrec.runtime --model-path EXPORT_DIR --input clip.pose [--top-k 3] [--json]

For deployment: nothing here imports torch or Keras, so the install is small and loading is
fast. Recordings are read and encoded by the same code as in training
(:meth:`~hamrec.contract.ModelContract.encode`), and the output is
:meth:`~hamrec.inference.predict.Recognizer.recognise_files`' — the same top-k, gloss, HamNoSys,
hands seen and open-set answer as ``inference_hamnosys.py --input``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from .data.sequence import SignSequence
from .export import KNOWN_OUTPUT, OUTPUT, read_exported
from .inference.predict import Recognizer


class OnnxRecognizer(Recognizer):
    """A :class:`Recognizer` whose model is an ONNX Runtime session.

    An export carries the class probabilities only: a model's phonological heads stay behind.
    """

    def __init__(self, session, contract, path=None):
        super().__init__(session, contract, path)
        self.parameters = {}

    @classmethod
    def load(cls, model_path: str | Path) -> "OnnxRecognizer":
        """Load an export folder (or its model.onnx) written by ``hamrec export``."""
        onnx_path, contract = read_exported(model_path)
        try:
            import onnxruntime as ort
        except ImportError:
            raise ImportError('running an exported model needs onnxruntime: pip install "hamrec[runtime]"') from None
        session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
        return cls(session, contract, onnx_path)

    def outputs(self, seqs: list[SignSequence], batch_size: int = 256) -> tuple[np.ndarray, dict, np.ndarray | None]:
        """(N, C) class probabilities, no parameters, and (N,) known scores (None for an export without them)."""
        from .outputs import CLASSES, KNOWN

        names = {OUTPUT: CLASSES, KNOWN_OUTPUT: KNOWN}
        names = {k: v for k, v in names.items() if k in {o.name for o in self.model.get_outputs()}}
        if not seqs:
            return np.zeros((0, len(self.classes)), np.float32), {}, None
        chunks = [self.model.run(list(names), self.inputs(seqs[i : i + batch_size])) for i in range(0, len(seqs), batch_size)]
        return self._split({name: np.concatenate([c[j] for c in chunks]) for j, name in enumerate(names.values())})


def main(argv: list[str] | None = None) -> int:
    from .cli.args import positive_int
    from .cli.infer import print_results

    p = argparse.ArgumentParser(prog="python -m hamrec.runtime", description="Recognise recordings with a model exported by 'hamrec export'.")
    p.add_argument("--model-path", required=True, help="An export folder (model.onnx + hamrec.json)")
    p.add_argument("--input", nargs="+", required=True, metavar="FILE", help="Recordings to recognise")
    p.add_argument("--top-k", type=positive_int, default=3, help="Candidates to show per recording")
    p.add_argument("--json", action="store_true", help="Print one JSON document instead of text")
    args = p.parse_args(argv)
    try:
        rec = OnnxRecognizer.load(args.model_path)
    except (ValueError, ImportError) as e:
        print(f"hamrec runtime: error: {e}", file=sys.stderr)
        return 2
    results = rec.recognise_files(args.input, k=args.top_k)
    if args.json:
        print(json.dumps({"results": results}, ensure_ascii=False, indent=1))
    else:
        print_results(results, rec.labels)
    return 0 if all("top_k" in r for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
