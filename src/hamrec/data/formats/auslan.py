"""UCI Auslan "High Quality" glove recordings (``tctoddN/<sign>-<n>.tsd``).

Tab-separated, one frame per line at about 100 Hz, 22 channels: for the left then the right
hand x, y, z, roll, pitch, yaw and the bend of thumb, fore, middle, ring and little finger.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from ..sequence import RecordingError, SignSequence

LAYOUT = "auslan_glove"
FPS = 100.0
_HAND = ["x", "y", "z", "roll", "pitch", "yaw", "thumb", "fore", "middle", "ring", "little"]
CHANNELS = [f"left_{c}" for c in _HAND] + [f"right_{c}" for c in _HAND]
#: glosses recorded under two names
ALIASES = {"her": "his_hers"}
_NAME = re.compile(r"^(?P<sign>.+)-(?P<rep>\d+)\.tsd$")


def load_tsd(path: str | Path) -> SignSequence:
    """Read one ``.tsd`` file as (T, 22, 1) channels.

    Raises:
        RecordingError: wrong channel count or non-numeric values.
    """
    path = Path(path)
    rows = [line.split("\t") for line in path.read_text().splitlines() if line.strip()]
    bad = [i + 1 for i, r in enumerate(rows) if len(r) != len(CHANNELS)]
    if bad:
        raise RecordingError(
            f"{path}: line {bad[0]} has {len(rows[bad[0] - 1])} channels; expected {len(CHANNELS)} tab-separated values"
        )
    try:
        values = np.array(rows, dtype=np.float32).reshape(len(rows), len(CHANNELS), 1)
    except ValueError as e:
        raise RecordingError(f"{path}: non-numeric value ({e}); expected {len(CHANNELS)} numbers per line") from e
    meta = {}
    label = label_from_name(path.name)
    if label:
        meta["label"] = label
    if path.parent.name.startswith("tctodd"):
        meta["session"] = path.parent.name
    return SignSequence(values, np.ones(values.shape[:2], bool), FPS, LAYOUT, list(CHANNELS), str(path), meta)


def label_from_name(name: str) -> str | None:
    """``his_hers-2.tsd`` -> ``his_hers``; ``her-1.tsd`` -> ``his_hers``; None when not of that form."""
    m = _NAME.match(name)
    if not m:
        return None
    return ALIASES.get(m["sign"], m["sign"])
