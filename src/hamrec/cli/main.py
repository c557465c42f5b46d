"""``hamrec`` console script: ``hamrec train|infer|data ...``."""

from __future__ import annotations

import sys

COMMANDS = {
    "train": ("hamrec.cli.train", "train a recognizer unattended (same as automated_training.py)"),
    "infer": ("hamrec.cli.infer", "recognise recordings, evaluate, draw (same as inference_hamnosys.py)"),
    "export": ("hamrec.cli.export", "export a trained model to ONNX (run it with python -m hamrec.runtime)"),
    "data": ("hamrec.cli.data", "inspect datasets, generate the built-in data"),
    "hamnosys": ("hamrec.cli.hamnosys", "show HamNoSys as names, structure, SiGML; validate a data.json"),
}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in COMMANDS:
        lines = "\n".join(f"  {name:<8} {help_}" for name, (_, help_) in COMMANDS.items())
        print(f"usage: hamrec COMMAND [options]\n\ncommands:\n{lines}\n\n'hamrec COMMAND --help' shows the options of one command.")
        if argv and argv[0] not in ("-h", "--help"):
            print(f"\nhamrec: error: unknown command {argv[0]!r}; expected one of {', '.join(COMMANDS)}", file=sys.stderr)
            return 2
        return 0
    import importlib

    module = importlib.import_module(COMMANDS[argv[0]][0])
    return module.main(argv[1:], prog=f"hamrec {argv[0]}")


if __name__ == "__main__":
    sys.exit(main())
