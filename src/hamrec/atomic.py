"""Write files so that a crash never leaves a half-written one.

Models and summaries are written to a temporary file in the same directory, flushed to disk
and renamed over the target with :func:`os.replace`, which is atomic on POSIX and Windows.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Iterator


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success rename it over ``target``.

    The temporary name keeps the target's suffix (Keras checks ``.keras``) and starts with a
    dot so that it never looks like a finished output.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=f".tmp{target.suffix}", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp_path, 0o666 & ~umask)  # mkstemp makes 0600; outputs get the usual permissions
    try:
        yield tmp_path
        flush_to_disk(tmp_path)
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def flush_to_disk(path: str | os.PathLike) -> None:
    """Make sure a written file's contents are on disk before anything points to it."""
    with open(path, "rb+") as f:
        os.fsync(f.fileno())


def write_json(target: str | os.PathLike, data: Any) -> None:
    """Atomically write ``data`` as indented UTF-8 JSON."""
    with atomic_path(target) as tmp:
        tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=_jsonable), encoding="utf-8")


def _jsonable(obj: Any) -> Any:
    import numpy as np

    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")
