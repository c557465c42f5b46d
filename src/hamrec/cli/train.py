"""``automated_training.py`` / ``hamrec train``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..data.datasets import KNOWN_DATASETS, SEED_DEFAULT_DATASETS
from ..training.config import add_options, from_args

EPILOG = """
An epoch is one class-balanced pass over the training recordings. --augment-factor F makes the
stream look like the F-fold augmented set of the description hamrec implements (1 original : F
augmented versions), each version drawn fresh, so F changes what the model sees, not how long an
epoch takes.

--include-datasets takes names under --data-root ({known}) or paths; without it, {default}
when present under --data-root, else the built-in synthetic signs.
""".format(known=", ".join(KNOWN_DATASETS), default=" ".join(SEED_DEFAULT_DATASETS))


def build_parser(prog: str | None = None) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=prog, description="Train a sign recognizer unattended: class batches, early stopping, "
                                "restarts until top-1 reaches the threshold, a refit, then evaluation and inference on the "
                                "held-out split.", epilog=EPILOG,
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)  # fmt: skip
    add_options(p)
    return p


def choose_datasets(named: list[str] | None, data_root: str) -> tuple[list[str], str]:
    """The datasets to train on and a sentence saying why, for the first lines of output."""
    if named:
        return named, f"training on: {' '.join(named)}"
    present = [d for d in SEED_DEFAULT_DATASETS if (Path(data_root) / d).is_dir()]
    if present:
        return present, f"training on the default datasets found under {data_root}: {' '.join(present)}"
    return ["builtin"], (f"no --include-datasets given and none of {', '.join(SEED_DEFAULT_DATASETS)} under {data_root}/: "
                         "training on the BUILT-IN synthetic signs from HamNoSys (point --include-datasets at your recordings)")  # fmt: skip


def main(argv: list[str] | None = None, prog: str | None = None) -> int:
    args = build_parser(prog).parse_args(argv)
    datasets, why = choose_datasets(args.include_datasets, args.data_root)
    from ..backend import require_train_extra

    try:
        require_train_extra("hamrec train")
    except ImportError as e:
        print(f"hamrec: error: {e}", file=sys.stderr)
        return 2
    print(f"hamrec: {why}", flush=True)
    from ..data.datasets import DatasetError
    from ..training.lock import DirectoryLocked
    from ..training.loop import run_loop

    cfg = from_args(args, include_datasets=tuple(datasets))
    try:
        summary = run_loop(cfg)
    except (DatasetError, DirectoryLocked, ValueError) as e:
        print(f"hamrec: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nhamrec: interrupted; run the same command again to continue where it stopped", file=sys.stderr)
        return 130
    return 0 if summary.get("status") == "finished" else 1
