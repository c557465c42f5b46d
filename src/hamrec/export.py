"""Export a trained model to ONNX, with what it needs to read recordings beside it.

An export folder holds two files: ``model.onnx`` (inputs ``features`` (B, T, F) and ``mask``
(B, T), outputs ``probabilities`` (B, C) and, for a model with an open-set answer,
``known_score`` (B,); any batch size B; a model's phonological heads are not exported) and
``hamrec.json`` (the model's contract without its split: classes, labels, feature spec,
normaliser, open-set threshold).
:mod:`hamrec.runtime` runs it with numpy and onnxruntime only.

Why torch's exporter and not ``keras.Model.export(format="onnx")``: on the torch backend Keras
exports a variable batch size through the TorchScript exporter, which cannot trace the shape
arithmetic of Keras' layer normalisation; torch's own ``torch.export``-based exporter can.
"""

from __future__ import annotations

import json
import logging
import os
import warnings
from pathlib import Path

import numpy as np

from .atomic import atomic_path, write_json
from .contract import METADATA_NAME, ModelContract
from .inference.predict import torch_module

ONNX_NAME = "model.onnx"
INPUTS, OUTPUT, KNOWN_OUTPUT = ("features", "mask"), "probabilities", "known_score"


def exported_contract(contract: ModelContract) -> dict:
    """The contract as the export stores it: everything but the split (paths on the training machine)."""
    d = contract.to_dict()
    d.pop("split", None)
    return d


def export_onnx(model_path: str | Path, out_dir: str | Path, check: bool = True) -> Path:
    """Write ``out_dir/model.onnx`` and ``out_dir/hamrec.json`` for the ``.keras`` model at ``model_path``.

    With ``check``, the exported graph is run by onnxruntime on random inputs of two batch
    sizes and must give the Keras model's probabilities (max abs difference 1e-4).

    Raises:
        ValueError: not a hamrec model, another Keras backend than torch, or a failed check.
        ImportError: the export extra (onnx, onnxscript) is not installed.
    """
    os.environ.setdefault("KERAS_BACKEND", "torch")
    if os.environ["KERAS_BACKEND"] != "torch":
        raise ValueError(f"hamrec export runs on Keras' torch backend; KERAS_BACKEND is {os.environ['KERAS_BACKEND']!r}: unset it or set it to torch")
    try:
        import onnx  # noqa: F401
        import onnxscript  # noqa: F401
    except ImportError as e:
        raise ImportError(f"hamrec export needs the export extra ({e.name} is missing): pip install \"hamrec[export]\"") from None
    import torch

    from .model.builder import output_names
    from .outputs import CLASSES, KNOWN

    model, contract = ModelContract.load(model_path)
    T, F = contract.spec.seq_len, contract.spec.num_features
    names = [CLASSES] + [KNOWN] * (KNOWN in output_names(model))
    onnx_names = [OUTPUT] + [KNOWN_OUTPUT] * (KNOWN in names)

    batch = torch.export.Dim("batch", min=1)
    example = (torch.zeros(2, T, F), torch.ones(2, T))
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    # the exporter's notices (deprecations, "torchvision is not installed") are not the user's concern
    logging.getLogger("torch.onnx._internal.exporter._registration").setLevel(logging.ERROR)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        program = torch.onnx.export(torch_module(model, names), example, dynamo=True, input_names=list(INPUTS), output_names=onnx_names,
                                    dynamic_shapes={"features": {0: batch}, "mask": {0: batch}}, verbose=False)  # fmt: skip
        program.optimize()
    with atomic_path(out_dir / ONNX_NAME) as tmp:
        program.save(str(tmp))
    if check:
        _check(model, out_dir / ONNX_NAME, T, F, dict(zip(onnx_names, names)))
    write_json(out_dir / METADATA_NAME, exported_contract(contract))
    return out_dir / ONNX_NAME


def _check(model, onnx_path: Path, T: int, F: int, outputs: dict[str, str]) -> None:
    """Refuse an export whose outputs (ONNX name -> Keras output name) differ from Keras' by more than 1e-4 (relative, for the known score)."""
    import keras
    import onnxruntime as ort

    from .outputs import CLASSES

    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(0)
    for n in (1, 3):
        x = {"features": rng.normal(size=(n, T, F)).astype(np.float32), "mask": np.ones((n, T), np.float32)}
        x["mask"][:, T // 2 :] = 0  # padded frames must be ignored the same way
        got = dict(zip(outputs, session.run(list(outputs), x)))
        out = model(x, training=False)
        out = out if isinstance(out, dict) else {CLASSES: out}
        for onnx_name, name in outputs.items():
            want = keras.ops.convert_to_numpy(out[name])
            diff = float((np.abs(got[onnx_name] - want) / np.maximum(1.0, np.abs(want))).max())
            if diff > 1e-4:
                onnx_path.unlink()
                raise ValueError(f"{onnx_path}: ONNX Runtime's {onnx_name} differs from the Keras model's by {diff:.2e} (> 1e-4); not exported")


def read_exported(folder_or_onnx: str | Path) -> tuple[Path, ModelContract]:
    """(path of model.onnx, contract) of an export folder or of the ``model.onnx`` in one; no torch, no Keras.

    Raises:
        ValueError: no model.onnx or hamrec.json there, or a contract of another schema.
    """
    p = Path(folder_or_onnx)
    onnx_path = p / ONNX_NAME if p.is_dir() else p
    meta = onnx_path.with_name(METADATA_NAME)
    if not onnx_path.is_file() or not meta.is_file():
        raise ValueError(f"--model-path: {p} is not a hamrec export; expected a folder with {ONNX_NAME} and {METADATA_NAME} "
                         "written by 'hamrec export'")  # fmt: skip
    try:
        d = json.loads(meta.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise ValueError(f"--model-path: {meta} is not valid JSON ({e}); export the model again") from None
    return onnx_path, ModelContract.from_dict(d, str(meta))


def is_export(path: str | Path) -> bool:
    """Whether ``path`` names an export (a folder with model.onnx, or a .onnx file) rather than a .keras model."""
    p = Path(path)
    return p.suffix == ".onnx" or (p.is_dir() and (p / ONNX_NAME).is_file())
