"""Where a training job's lines go, through the standard ``logging`` module.

Every line goes to the console (or the caller's ``echo``) and, while a run trains, to that
run's ``logs/<run>.log``. Lines logged with ``extra=MAIN`` — one or two per run, and the final
summary — also go to ``--log-file``. Files get a time stamp; the console does not. Other code
can listen on the ``hamrec`` logger like on any other.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

log = logging.getLogger("hamrec.training")
MAIN = {"main": True}  # extra= for the lines that also go to --log-file
_STAMPED = logging.Formatter("%(asctime)s %(message)s", "%Y-%m-%d %H:%M:%S")


class _Echo(logging.Handler):
    def __init__(self, echo: Callable[[str], None]):
        super().__init__()
        self.echo = echo

    def emit(self, record: logging.LogRecord) -> None:
        self.echo(record.getMessage())


def _file(path: Path, main_only: bool = False) -> logging.Handler:
    path.parent.mkdir(parents=True, exist_ok=True)
    h = logging.FileHandler(path, encoding="utf-8")
    h.setFormatter(_STAMPED)
    if main_only:
        h.addFilter(lambda record: getattr(record, "main", False))
    return h


@contextmanager
def job_logging(log_file: Path, echo: Callable[[str], None] | None = None) -> Iterator[logging.Logger]:
    """Send the job's lines to ``echo`` (default: print) and its main lines to ``log_file``, for the ``with`` block."""
    handlers = [_Echo(echo or (lambda line: print(line, flush=True))), _file(Path(log_file), main_only=True)]
    level, propagate = log.level, log.propagate
    log.setLevel(logging.INFO)
    log.propagate = False  # our console handler already prints; a root handler would print every line twice
    for h in handlers:
        log.addHandler(h)
    try:
        yield log
    finally:
        for h in handlers:
            log.removeHandler(h)
            h.close()
        log.setLevel(level)
        log.propagate = propagate


@contextmanager
def run_logging(path: Path) -> Iterator[None]:
    """Also write every line to one run's log file, for the ``with`` block."""
    h = _file(path)
    log.addHandler(h)
    try:
        yield
    finally:
        log.removeHandler(h)
        h.close()
