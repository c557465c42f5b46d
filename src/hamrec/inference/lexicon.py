"""Recognition by notation: rank the signs of a HamNoSys lexicon for a recording, recorded or not.

A model with phonological heads says, for a recording, how likely each value of each
parameter is (handshape, finger direction, palm, location, movement, …). Every lexicon entry's
notation fixes one value per parameter, so an entry's score is the log-probability the heads
give its values, summed over the parameters (the heads taken as independent). A sign nobody
recorded is ranked like any other: what the model must have seen is its handshape, its
location and its movement, each in other signs.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..hamnosys import HamNoSysError
from ..hamnosys.parameters import parameters


@dataclass
class Lexicon:
    """Signs with notation: gloss, HamNoSys and each parameter's value, in file order.

    Attributes:
        glosses, notations: one per entry.
        values: parameter -> (E,) value of every entry.
        skipped: entries whose notation did not parse, with why.
    """

    glosses: list[str]
    notations: list[str]
    values: dict[str, list[str]]
    skipped: list[dict]

    @classmethod
    def read(cls, path: str | Path) -> "Lexicon":
        """A ``data.json`` like ``hamnosys2motion/data.json`` (entries with ``type_name`` and ``hamnosys``) or a CSV with columns ``gloss,hamnosys``.

        Raises:
            ValueError: missing file, unknown format, or no entry with a notation that parses.
        """
        path = Path(path)
        if not path.is_file():
            raise ValueError(f"--lexicon: {path} does not exist")
        if path.suffix.lower() == ".json":
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except json.JSONDecodeError as e:
                raise ValueError(f"--lexicon: {path} is not valid JSON ({e})") from None
            items = data.items() if isinstance(data, dict) else enumerate(data)
            pairs = [(str(r.get("type_name") or r.get("gloss") or key), r.get("hamnosys")) for key, r in items if isinstance(r, dict)]
        elif path.suffix.lower() == ".csv":
            with open(path, newline="", encoding="utf-8") as f:
                reader = csv.DictReader(f)
                if not reader.fieldnames or not {"gloss", "hamnosys"} <= set(reader.fieldnames):
                    raise ValueError(f"--lexicon: {path} needs the columns gloss,hamnosys; it has {reader.fieldnames}")
                pairs = [(r["gloss"], r["hamnosys"]) for r in reader]
        else:
            raise ValueError(f"--lexicon: {path}: expected a .json lexicon (like hamnosys2motion/data.json) or a .csv with columns gloss,hamnosys")
        glosses, notations, rows, skipped = [], [], [], []
        for gloss, text in pairs:
            try:
                rows.append(parameters(text or ""))
            except HamNoSysError as e:
                skipped.append({"gloss": gloss, "reason": f"notation does not parse: {e}"})
                continue
            glosses.append(gloss)
            notations.append(text)
        if not rows:
            raise ValueError(f"--lexicon: {path} has no entry with a notation that parses ({len(skipped)} skipped)")
        return cls(glosses, notations, {p: [r[p] for r in rows] for p in rows[0]}, skipped)

    def __len__(self) -> int:
        return len(self.glosses)

    def scores(self, params: dict[str, np.ndarray], vocabularies: dict[str, list[str]]) -> np.ndarray:
        """(N, E) log-likelihood of every entry for N recordings, from each head's (N, values) probabilities."""
        n = len(next(iter(params.values())))
        total = np.zeros((n, len(self)), np.float64)
        for p, probs in params.items():
            index = {v: i for i, v in enumerate(vocabularies[p])}
            cols = np.array([index[v] for v in self.values[p]])
            total += np.log(np.clip(probs[:, cols], 1e-9, 1.0))
        return total

    def rank(self, params: dict[str, np.ndarray], vocabularies: dict[str, list[str]], seen: set[str], k: int) -> list[list[dict]]:
        """The ``k`` best entries per recording: gloss, HamNoSys, score and whether the model was trained on that sign (``seen``: notations and glosses)."""
        out = []
        for row in self.scores(params, vocabularies):
            best = np.argsort(-row, kind="stable")[:k]
            out.append([{"gloss": self.glosses[j], "hamnosys": self.notations[j], "score": round(float(row[j]), 3),
                         "seen_in_training": self.glosses[j] in seen or self.notations[j] in seen} for j in best])  # fmt: skip
        return out


def trained_signs(contract) -> set[str]:
    """The glosses, labels and notations of the classes a model was trained on: what ``seen_in_training`` matches."""
    out = set()
    for c in contract.classes_trained or contract.classes:
        info = contract.labels.get(c, {})
        out |= {c} | {info[k] for k in ("gloss", "hamnosys") if info.get(k)}
    return out


def accuracy(lexicon: Lexicon, params: dict[str, np.ndarray], vocabularies: dict[str, list[str]], labels: list[str]) -> dict:
    """By-notation top-1/top-5 of recordings whose label is a gloss of the lexicon, ranked among all its entries (with chance for
    comparison), and each parameter's accuracy on them against the lexicon's notation.

    A gloss may have several entries (variants of one sign). A recording's label names the gloss,
    not the variant, so its parameter counts as right when the predicted value is that of any of
    its gloss's entries.
    """
    rows = [i for i, label in enumerate(labels) if label in set(lexicon.glosses)]
    if not rows:
        return {"entries": len(lexicon), "count": 0}
    scores = lexicon.scores({p: v[rows] for p, v in params.items()}, vocabularies)
    order = np.argsort(-scores, axis=1, kind="stable")[:, :5]
    glosses = np.array(lexicon.glosses)
    hit = {k: float(np.mean([labels[i] in set(glosses[o[:k]]) for i, o in zip(rows, order)])) for k in (1, 5)}
    entries: dict[str, list[int]] = {}  # gloss -> its entries
    for j, g in enumerate(lexicon.glosses):
        entries.setdefault(g, []).append(j)
    truth = {p: [{lexicon.values[p][j] for j in entries[labels[i]]} for i in rows] for p in params}  # each recording's possible values
    per_parameter = {p: float(np.mean([vocabularies[p][k] in v for k, v in zip(params[p][rows].argmax(axis=1), truth[p])])) for p in params}
    return {"entries": len(lexicon), "count": len(rows), "top1": hit[1], "top5": hit[5], "chance_top1": 1 / len(lexicon),
            "chance_top5": min(1.0, 5 / len(lexicon)), "parameters": per_parameter}  # fmt: skip
