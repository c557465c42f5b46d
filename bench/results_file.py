"""The one way bench scripts keep their results: a JSON list in a file, appended to."""

from __future__ import annotations

import json
from pathlib import Path


def append_results(path: str | Path, rows: list[dict]) -> None:
    """Add ``rows`` to the JSON list in ``path`` (made when missing)."""
    path = Path(path)
    old = json.loads(path.read_text()) if path.is_file() else []
    path.write_text(json.dumps(old + rows, indent=1, ensure_ascii=False))
