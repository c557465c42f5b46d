"""The training store: every recording of a job in fixed-layout arrays on disk, read back a batch at a time.

Holding every recording in memory caps a job at what fits in RAM (a Kaggle-ISLR-sized
collection of keypoints is tens of GB). The store instead writes each recording once, as it is
read, into two flat files — the frames, (total frames, P, D) float32, and the mask, (total
frames, P) bool — and keeps only where each recording starts in memory; a training batch
reads its recordings back by offset, so the process holds one batch whatever the dataset's
size. It reads with ``os.pread`` rather than through a long-lived memory map: the pages of a
map that training has touched count as the process's own resident memory, so over an epoch
of random draws a mapped store would grow it to the store's whole size, while pages read with
``pread`` stay in the operating system's page cache, which it gives back under pressure.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from ..atomic import write_json
from .cache import plain_meta
from .sequence import SignSequence

FRAMES, MASK, INDEX = "frames.f32", "mask.bool", "index.json"


class StoreWriter:
    """Appends recordings of one point layout to a new store in ``folder`` (emptied first).

    ``writer[path] = seq`` as into a dict; :meth:`finish` then gives the readable store.
    """

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True)
        self._frames, self._mask = open(self.folder / FRAMES, "wb"), open(self.folder / MASK, "wb")
        self.entries: dict[str, dict] = {}
        self.shape: tuple[int, int] | None = None  # (P, D) of the first recording
        self.layout, self.points, self.total = "", [], 0

    def __setitem__(self, path: str, seq: SignSequence) -> None:
        if self.shape is None:
            self.shape, self.layout, self.points = seq.data.shape[1:], seq.layout, list(seq.points)
        if seq.data.shape[1:] != self.shape:  # build_index refuses mixed layouts; they are not stored
            return
        self._frames.write(np.ascontiguousarray(seq.data, np.float32).tobytes())
        self._mask.write(np.ascontiguousarray(seq.mask, bool).tobytes())
        self.entries[path] = {"start": self.total, "frames": seq.num_frames, "fps": seq.fps, "meta": plain_meta(seq.meta)}
        self.total += seq.num_frames

    def finish(self) -> "RecordingStore":
        self._frames.close()
        self._mask.close()
        p, d = self.shape or (0, 0)
        write_json(self.folder / INDEX, {"points": p, "dims": d, "layout": self.layout, "point_names": self.points, "frames": self.total,
                                         "recordings": self.entries})  # fmt: skip
        return RecordingStore(self.folder)


class RecordingStore(Mapping):
    """A finished store: path -> :class:`SignSequence`, read from disk on every access."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        info = json.loads((self.folder / INDEX).read_text())
        self.shape = (info["points"], info["dims"])
        self.layout, self.points = info["layout"], info["point_names"]
        self.entries: dict[str, dict] = info["recordings"]
        self._files = {}
        self._lock = threading.Lock()  # for platforms without os.pread (Windows): seek + read

    def __len__(self) -> int:
        return len(self.entries)

    def __iter__(self):
        return iter(self.entries)

    def num_frames(self, path: str) -> int:
        return self.entries[path]["frames"]

    def __getitem__(self, path: str) -> SignSequence:
        e = self.entries[path]
        p, d = self.shape
        data = np.frombuffer(self._read(FRAMES, e["start"] * p * d * 4, e["frames"] * p * d * 4), np.float32).reshape(e["frames"], p, d)
        mask = np.frombuffer(self._read(MASK, e["start"] * p, e["frames"] * p), bool).reshape(e["frames"], p)
        return SignSequence(data, mask, e["fps"], self.layout, self.points, path, dict(e["meta"]))

    def _read(self, name: str, offset: int, size: int) -> bytes:
        f = self._files.get(name) or self._files.setdefault(name, open(self.folder / name, "rb"))
        if hasattr(os, "pread"):
            return os.pread(f.fileno(), size, offset)
        with self._lock:
            f.seek(offset)
            return f.read(size)

    def __getstate__(self):  # a worker process opens its own files
        return {k: v for k, v in self.__dict__.items() if k not in ("_files", "_lock")}

    def __setstate__(self, state):
        self.__dict__.update(state, _files={}, _lock=threading.Lock())


class RecordingView(Sequence):
    """The recordings of ``paths``, in order, each read from ``source`` (a store or a dict) only when asked for.

    What the training stream and the validation batches hold instead of the recordings themselves.
    """

    def __init__(self, source: Mapping, paths: list[str]):
        self.source, self.paths = source, list(paths)

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self.source[p] for p in self.paths[i]]
        return self.source[self.paths[i]]

    @property
    def lengths(self) -> np.ndarray:
        """(N,) frames of each recording, without reading them from a store."""
        count = self.source.num_frames if isinstance(self.source, RecordingStore) else lambda p: self.source[p].num_frames
        return np.array([count(p) for p in self.paths], int)

