"""Draw a few synthesised signs for the README: ``python docs/make_synth_picture.py`` writes docs/synth_signs.png."""

import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from hamrec.data.formats import load_recording  # noqa: E402
from hamrec.inference.visualize import _draw_frame, _limits  # noqa: E402
from hamrec.synth import write_dataset  # noqa: E402
from hamrec.synth.lexicon import builtin_lexicon  # noqa: E402

SIGNS = ["HS-FIST", "HS-FINGER23SPREAD", "LOC-FOREHEAD", "MOV-CIRCLE-O", "TWO-SYMMLR-APART", "TWO-TWO-HAND-BASE"]

with tempfile.TemporaryDirectory() as tmp:
    lexicon = [(g, t) for g, t in builtin_lexicon() if g in SIGNS]
    write_dataset(tmp, lexicon, signers=1, repetitions=1, seed=0)
    fig, axes = plt.subplots(len(SIGNS), 5, figsize=(11, 2.3 * len(SIGNS)))
    for r, gloss in enumerate(SIGNS):
        seq = load_recording(Path(tmp) / "signer1" / f"{gloss}-1.pose")
        lims = _limits(seq)
        for c, t in enumerate(np.linspace(0, seq.num_frames - 1, 5).astype(int)):
            _draw_frame(axes[r, c], seq, t, lims)
            axes[r, c].set_title(f"{gloss}  frame {t}" if c == 0 else f"frame {t}", fontsize=8)
    fig.tight_layout()
    fig.savefig(Path(__file__).parent / "synth_signs.png", dpi=70)
