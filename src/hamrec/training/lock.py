"""One training process per model directory.

An OS-level lock on ``.lock``: released by the OS when the process dies, even by SIGKILL,
so a crash never leaves a stale lock behind.
"""

from __future__ import annotations

import os
from pathlib import Path


class DirectoryLocked(RuntimeError):
    pass


class DirLock:
    def __init__(self, model_dir: Path):
        self.path = Path(model_dir) / ".lock"
        self.fh = None

    def __enter__(self) -> "DirLock":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.fh = open(self.path, "a+")
        try:
            if os.name == "nt":
                import msvcrt

                msvcrt.locking(self.fh.fileno(), msvcrt.LK_NBLCK, 1)
            else:
                import fcntl

                fcntl.flock(self.fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self.fh.seek(0)
            holder = self.fh.read().strip() or "another process"
            self.fh.close()
            raise DirectoryLocked(f"{self.path.parent} is in use by {holder}; wait for it to finish or use another --model-dir") from None
        self.fh.seek(0)
        self.fh.truncate()
        self.fh.write(f"pid {os.getpid()}")
        self.fh.flush()
        return self

    def __exit__(self, *exc) -> None:
        self.fh.close()
        self.path.unlink(missing_ok=True)
