"""One training process per model directory.

``filelock`` holds an OS-level lock on ``.lock`` (``flock`` on POSIX, ``msvcrt`` on Windows,
always the same byte), which the OS releases when the process dies, even by SIGKILL, so a crash
never leaves a stale lock behind. The lock file itself is never deleted: deleting it on release
would let a second process lock a new file of the same name while a third still waits on the old
one. Who holds the lock is written beside it, for the error message.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

from filelock import FileLock, Timeout


class DirectoryLocked(RuntimeError):
    pass


class DirLock:
    """``with DirLock(model_dir):`` — raises :class:`DirectoryLocked` at once if another process holds it."""

    def __init__(self, model_dir: Path):
        self.dir = Path(model_dir)
        self.path = self.dir / ".lock"
        self.owner = self.dir / ".lock.owner"
        self.lock = FileLock(str(self.path), timeout=0, thread_local=False)

    def __enter__(self) -> "DirLock":
        self.dir.mkdir(parents=True, exist_ok=True)
        try:
            self.lock.acquire()
        except Timeout:
            try:
                holder = self.owner.read_text(encoding="utf-8").strip()
            except OSError:
                holder = ""
            raise DirectoryLocked(
                f"{self.dir} is in use by {holder or 'another process'}; wait for it to finish or use another --model-dir"
            ) from None
        self.owner.write_text(f"pid {os.getpid()} on {socket.gethostname()}", encoding="utf-8")
        return self

    def __exit__(self, *exc) -> None:
        self.owner.unlink(missing_ok=True)
        self.lock.release()
