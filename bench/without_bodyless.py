"""``automated_training.py`` with issue 13's body-less normalisation taken out: the ablation's "without" arm, nothing else.

    python bench/without_bodyless.py [automated_training.py's flags]

Recordings without shoulders are centred on the mean of every point they have and scaled by
twice the spread of those points — the fallback hamrec used before (commit c076c7f^) — instead
of being centred on the face and scaled by the hand (``hamrec.features.extract._reference``).
Recordings with shoulders are untouched. The command is otherwise the product's own: this
script only replaces that one function and then runs ``automated_training.py`` as ``__main__``.
``bench/dev_protocols.py --variant 'name=@without_bodyless'`` runs it in place of the CLI.
"""

from __future__ import annotations

import importlib
import os
import runpy
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("KERAS_BACKEND", "torch")
sys.path.insert(0, str(ROOT / "src"))

import numpy as np  # noqa: E402

from hamrec.data.formats import keypoints as kp  # noqa: E402

extract = importlib.import_module("hamrec.features.extract")  # the module (the package exports its function of that name)

product_reference = extract._reference


def spread_reference(data: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """As :func:`hamrec.features.extract._reference`, but a recording without shoulders gets the centre and spread of all its points."""
    centre, scale = product_reference(data)
    no_body = ~extract._shoulders(data)[2]  # the product's own rule for "no body"
    if no_body.any():
        mean, spread = extract._spread(data[no_body][:, :, kp.BODY_HANDS])  # (K, T, 51, D) points -> the product's last resort
        centre[no_body] = np.nan_to_num(mean)
        scale[no_body] = np.where(np.isfinite(spread) & (spread > 1e-6), spread, 1.0)
    return centre, scale


if __name__ == "__main__":
    extract._reference = spread_reference
    sys.argv[0] = str(ROOT / "automated_training.py")
    runpy.run_path(sys.argv[0], run_name="__main__")
