"""Named datasets and labelled folders: what ``--include-datasets`` accepts.

A dataset is a list of :class:`Sample` — a file plus its label, gloss, HamNoSys and the
group (signer/session/source recording) that splits must keep together. Scanning only lists
files and labels; reading them is :mod:`.cache`'s job, so that problems with single files are
found, listed and skipped there.

Each entry of ``--include-datasets`` is either a registered name (looked up as
``<data-root>/<name>``) or a path. A folder is recognised by what it holds:

* ``manifest.csv`` / ``manifest.json`` — rows of path, label and optional gloss, hamnosys,
  signer, session (paths relative to the manifest);
* ``tctoddN/*.tsd`` — UCI Auslan, grouped by session;
* ``*.pkl`` with ``data.json`` — hamnosys2motion (labels from the HamNoSys lexicon);
* ``*.pkl`` with ``WLASL_v0.3.json`` — SignAvatars WLASL (labels and signers from WLASL);
* other ``.pose``/``.npy``/``.npz``/``.tsd`` files — labelled by their parent folder
  (``<label>/<file>``) or by a ``<label>-<n>`` file name.
"""

from __future__ import annotations

import csv
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from .formats import SUFFIXES
from .formats.auslan import label_from_name

#: registered dataset names; each lives at ``<data-root>/<name>``
KNOWN_DATASETS = {
    "hamnosys2motion": "SignAvatars SMPL-X pickles labelled by the HamNoSys lexicon data.json",
    "wlasl_pkls_cropFalse_defult_shape": "SignAvatars WLASL pickles labelled by WLASL_v0.3.json",
    "phonex_pkls_cropFalse_shapeFalse": "SignAvatars PHOENIX pickles (labels from manifest.csv)",
    "how2sign_pkls_cropTrue_shapeTrue": "SignAvatars How2Sign pickles (labels from manifest.csv)",
    "auslan": "UCI Auslan glove recordings, tctoddN/<sign>-<n>.tsd",
    "builtin": "synthetic signs from the built-in HamNoSys lexicon (the default when no data is given)",
}
#: what the seed trained on when nothing is named
SEED_DEFAULT_DATASETS = ["hamnosys2motion", "wlasl_pkls_cropFalse_defult_shape"]
MANIFEST_NAMES = ("manifest.csv", "manifest.json")
#: files a dataset folder may hold besides recordings, read for labels or meant for people: not listed as skipped
METADATA_FILES = {"data.json", "pjm_left_videos.json", "WLASL_v0.3.json", "README.md", "README.txt", "README", "LICENSE", "LICENSE.txt"}
_NUMBERED = re.compile(r"^(?P<label>.+)-(?P<n>\d+)\.\w+$")  # <label>-<n>.<ext>


class DatasetError(ValueError):
    """A dataset as a whole cannot be used (missing folder, no recordings, bad manifest)."""


@dataclass(frozen=True)
class Sample:
    """One labelled recording in a dataset index.

    Attributes:
        path: the recording file.
        label: class name (the gloss, or the sign name the dataset uses).
        group: what must stay within one split: signer/session, or the source recording.
        dataset: the dataset it came from.
        gloss: human-readable gloss when known.
        hamnosys: the sign's HamNoSys string when known.
        label_from: which rule gave the label (shown by ``hamrec data inspect``).
    """

    path: str
    label: str
    group: str
    dataset: str
    gloss: str | None = None
    hamnosys: str | None = None
    label_from: str = ""


def skipped_line(item: dict) -> str:
    """``file: reason`` for a skipped entry, the file named once (a reader's reason often starts with it)."""
    return f"{item['file']}: {item['reason'].removeprefix(item['file'] + ': ')}"


def resolve(name_or_path: str, data_root: str | Path) -> tuple[str, Path]:
    """Map an ``--include-datasets`` entry to (dataset name, folder).

    Raises:
        DatasetError: neither a folder under ``data_root`` nor an existing path.
    """
    candidate = Path(data_root) / name_or_path
    if name_or_path == "builtin" and not candidate.is_dir():
        from ..synth.builtin import ensure_builtin  # imported here: the synthesizer builds on data, not the reverse
        from .cache import default_cache_dir

        return "builtin", ensure_builtin(default_cache_dir().parent / "builtin")
    if candidate.is_dir():
        return name_or_path, candidate
    path = Path(name_or_path).expanduser()
    if path.exists():
        return path.name, path
    known = ", ".join(sorted(KNOWN_DATASETS))
    raise DatasetError(
        f"--include-datasets: {name_or_path!r} is neither a folder under --data-root {str(data_root)!r} "
        f"({candidate} does not exist) nor an existing path; known dataset names: {known}"
    )


def scan(name: str, folder: Path) -> tuple[list[Sample], list[dict]]:
    """List the labelled recordings of one dataset folder (or one file).

    Returns:
        (samples, skipped) where skipped lists ``{"file", "reason"}`` for files without a usable label.

    Raises:
        DatasetError: the folder holds no recordings hamrec can read.
    """
    folder = Path(folder)
    if folder.is_file():
        return _scan_files(name, folder.parent, [folder])
    for m in MANIFEST_NAMES:
        if (folder / m).is_file():
            return scan_manifest(name, folder / m)
    every = sorted(Path(d) / f for d, _, names in os.walk(folder, followlinks=True) for f in names)  # os.walk, unlike Path.rglob here, follows symlinked folders
    files = [p for p in every if p.suffix.lower() in SUFFIXES]
    if not files:
        raise DatasetError(
            f"dataset {name!r} at {folder}: no recordings found; expected files ending in {sorted(SUFFIXES)} "
            f"or a {' / '.join(MANIFEST_NAMES)}"
        )
    # anything else is listed, not dropped unseen: a recording in a format hamrec does not read is a file the user expected to count
    other = [{"file": str(p), "reason": f"not a recording format hamrec reads ({p.suffix or 'no suffix'}); expected one of {sorted(SUFFIXES)}"}
             for p in every if p.suffix.lower() not in SUFFIXES and p.name not in METADATA_FILES
             and not any(part.startswith(".") for part in p.relative_to(folder).parts)]  # hidden files and folders: the system's, not the user's  # fmt: skip
    pickles = all(p.suffix == ".pkl" for p in files)
    if pickles and (folder / "data.json").is_file():
        found, skipped = _scan_hamnosys_lexicon(name, folder, files, folder / "data.json")
    elif pickles and (folder / "WLASL_v0.3.json").is_file():
        found, skipped = _scan_wlasl(name, files, folder / "WLASL_v0.3.json")
    else:
        found, skipped = _scan_files(name, folder, files)
    return found, skipped + other


def scan_manifest(name: str, manifest: Path) -> tuple[list[Sample], list[dict]]:
    """Read ``manifest.csv`` (header: path,label[,gloss,hamnosys,signer,session]) or ``manifest.json`` (a list of such objects)."""
    try:
        if manifest.suffix == ".json":
            rows = json.loads(manifest.read_text(encoding="utf-8"))
            if isinstance(rows, dict):
                rows = rows.get("samples", [])
        else:
            with open(manifest, newline="", encoding="utf-8") as f:
                rows = list(csv.DictReader(f))
    except (OSError, ValueError) as e:
        raise DatasetError(f"{manifest}: cannot read manifest: {e}") from e
    if not rows or not isinstance(rows, list) or not isinstance(rows[0], dict) or "path" not in rows[0]:
        raise DatasetError(f"{manifest}: expected rows with at least the columns 'path' and 'label'")
    samples, skipped = [], []
    for i, row in enumerate(rows):
        path = (manifest.parent / str(row.get("path", ""))).resolve()
        label = (row.get("label") or "").strip()
        if not label:
            skipped.append({"file": str(path), "reason": f"{manifest} row {i + 1}: no label"})
            continue
        if not path.is_file():
            skipped.append({"file": str(path), "reason": f"{manifest} row {i + 1}: file not found"})
            continue
        group = "/".join(str(row[k]) for k in ("signer", "session") if row.get(k)) or str(path)
        samples.append(Sample(str(path), label, group, name, row.get("gloss") or label, row.get("hamnosys") or None, f"{manifest.name} column 'label'"))
    if not samples:
        raise DatasetError(f"{manifest}: no usable rows ({len(skipped)} skipped)")
    return samples, skipped


def _scan_files(name: str, root: Path, files: list[Path]) -> tuple[list[Sample], list[dict]]:
    samples, skipped = [], []
    for p in files:
        m = _NUMBERED.match(p.name)
        auslan = label_from_name(p.name) if p.suffix == ".tsd" else None
        if auslan:
            label, rule = auslan, "Auslan file name <sign>-<n>.tsd"
        elif p.parent != root:  # a <label>/<file> folder wins over the name rule: uuid-like names may end in -<digits>
            label, rule = p.parent.name, "folder <label>/<file>"
        else:
            label, rule = (m["label"] if m else None), "file name <label>-<n>.<ext>"
        if not label:
            skipped.append({"file": str(p), "reason": "no label: expected <label>/<file> folders, a <label>-<n> file name or a manifest.csv"})
            continue
        session = next((part for part in p.relative_to(root).parts[:-1] if re.fullmatch(r"tctodd\d+", part)), None)
        group = session or str(p)
        samples.append(Sample(str(p), label, group, name, label, label_from=rule))
    if not samples:
        raise DatasetError(f"dataset {name!r} at {root}: none of {len(files)} files has a label")
    return samples, skipped


def _scan_hamnosys_lexicon(name: str, folder: Path, files: list[Path], lexicon: Path) -> tuple[list[Sample], list[dict]]:
    entries = json.loads(lexicon.read_text(encoding="utf-8"))
    samples, skipped = [], []
    for p in files:
        entry = entries.get(p.stem)
        if not entry or not entry.get("type_name"):
            skipped.append({"file": str(p), "reason": f"no entry with a type_name for id {p.stem!r} in {lexicon}"})
            continue
        gloss = entry["type_name"]
        samples.append(Sample(str(p), gloss, str(p), name, gloss, entry.get("hamnosys"), "lexicon data.json type_name"))
    return samples, skipped


def _scan_wlasl(name: str, files: list[Path], wlasl: Path) -> tuple[list[Sample], list[dict]]:
    by_id = {}
    for entry in json.loads(wlasl.read_text(encoding="utf-8")):
        for inst in entry.get("instances", []):
            by_id[str(inst["video_id"])] = (entry["gloss"], str(inst.get("signer_id", "")))
    samples, skipped = [], []
    for p in files:
        if p.stem not in by_id:
            skipped.append({"file": str(p), "reason": f"video id {p.stem!r} not in {wlasl}"})
            continue
        gloss, signer = by_id[p.stem]
        samples.append(Sample(str(p), gloss, f"signer{signer}" if signer else str(p), name, gloss, label_from="WLASL_v0.3.json gloss"))
    return samples, skipped
