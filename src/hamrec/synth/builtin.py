"""The built-in default dataset: the synthesizer's lexicon, several signers, written once as ``.pose`` files."""

from __future__ import annotations

from pathlib import Path

from . import write_dataset
from .lexicon import builtin_lexicon

NAME = "builtin"
VERSION = 2  # bump when the synthesizer or the lexicon changes, so a stale copy is not reused


def ensure_builtin(root: str | Path, seed: int = 0, signers: int = 6, repetitions: int = 3) -> Path:
    """Generate the dataset under ``root`` once (deterministic from ``seed``) and return its folder."""
    folder = Path(root) / f"{NAME}-v{VERSION}-seed{seed}"
    if not (folder / "manifest.csv").is_file():
        write_dataset(folder, builtin_lexicon(), signers, repetitions, seed)
    return folder
