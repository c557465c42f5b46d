"""``hamrec export``: a trained model as ONNX, for :mod:`hamrec.runtime` or any ONNX Runtime."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def build_parser(prog: str | None = None) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=prog, description="Export a trained hamrec model to run without torch or Keras.",
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)  # fmt: skip
    p.add_argument("--model-path", default="models/hamnosys/main_model/best_model.keras", help="A .keras model written by hamrec")
    p.add_argument("--format", choices=["onnx"], default="onnx", help="Export format")
    p.add_argument("--out", required=True, help="Folder for model.onnx and hamrec.json (created if missing)")
    return p


def main(argv: list[str] | None = None, prog: str | None = None) -> int:
    args = build_parser(prog).parse_args(argv)
    from ..contract import ModelContract

    try:
        ModelContract.read(args.model_path)  # a wrong path fails before torch is loaded
        from ..export import export_onnx

        path = export_onnx(args.model_path, args.out)
    except (ValueError, ImportError) as e:
        print(f"hamrec export: error: {e}", file=sys.stderr)
        return 2
    print(f"exported {args.model_path} -> {path} (+ {Path(path).with_name('hamrec.json').name}); checked against Keras on ONNX Runtime\n"
          f"run it with: python -m hamrec.runtime --model-path {Path(path).parent} --input RECORDING")  # fmt: skip
    return 0
