"""Read recordings once: a disk cache keyed by file content and reader version.

Re-reading thousands of pickles or ``.pose`` files on every restart is the slowest part of a
resumed run. Each recording is stored as a small ``.npz`` named by the SHA-1 of its bytes,
so a changed file gets a new entry and a moved file keeps its old one.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np

from ..atomic import atomic_path
from .formats import load_recording
from .sequence import RecordingError, SignSequence

#: bump when a reader's output changes, so old entries are not reused
READER_VERSION = 2  # 2: the keypoint layout holds the face


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "hamrec" / "recordings"


class RecordingCache:
    """Read a recording through the cache (or straight from disk when ``folder`` is None)."""

    def __init__(self, folder: str | Path | None = None):
        self.folder = Path(folder) if folder else None

    def load(self, path: str | Path) -> SignSequence:
        if self.folder is None:
            return load_recording(path)
        try:
            digest = hashlib.sha1(Path(path).read_bytes()).hexdigest()
        except OSError as e:
            raise RecordingError(f"{path}: cannot read file: {e}") from e
        entry = self.folder / f"{digest}-v{READER_VERSION}.npz"
        if entry.is_file():
            try:
                with np.load(entry, allow_pickle=False) as z:
                    info = json.loads(str(z["info"]))
                    return SignSequence(z["data"], z["mask"], info["fps"], info["layout"], info["points"], str(path), info["meta"])
            except Exception:  # a damaged cache entry is re-read from the source
                entry.unlink(missing_ok=True)
        seq = load_recording(path)
        info = {"fps": seq.fps, "layout": seq.layout, "points": seq.points, "meta": plain_meta(seq.meta)}
        self.folder.mkdir(parents=True, exist_ok=True)
        with atomic_path(entry) as tmp:
            with open(tmp, "wb") as f:
                np.savez(f, data=seq.data, mask=seq.mask, info=json.dumps(info))
        return seq


def plain_meta(meta: dict) -> dict:
    """The JSON-ready part of a recording's ``meta`` (strings and numbers)."""
    return {k: (v.item() if isinstance(v, np.generic) else v) for k, v in meta.items() if isinstance(v, (str, int, float, bool, np.generic))}
