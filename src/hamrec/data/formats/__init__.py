"""One module per recording format; each exposes ``load_<format>(path) -> SignSequence``.

:func:`load_recording` picks the reader from the file name, so a dataset, a manifest and the
inference command all read files the same way.
"""

from __future__ import annotations

from pathlib import Path

from ..sequence import RecordingError, SignSequence

#: file suffix -> human name, for messages and format detection
SUFFIXES = {".pose": "pose", ".tsd": "auslan", ".pkl": "signavatars", ".npy": "array", ".npz": "array"}
SUFFIXES.update(dict.fromkeys((".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v"), "video"))  # keypoints extracted with MediaPipe


def load_recording(path: str | Path) -> SignSequence:
    """Read any supported recording and check that it is usable.

    Raises:
        RecordingError: unknown suffix, unreadable, corrupt, empty or all-missing file.
    """
    path = Path(path)
    kind = SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise RecordingError(f"{path}: unknown recording format {path.suffix!r}; expected one of {sorted(SUFFIXES)}")
    if not path.is_file():
        raise RecordingError(f"{path}: file not found")
    if kind == "pose":
        from .pose import load_pose as loader
    elif kind == "auslan":
        from .auslan import load_tsd as loader
    elif kind == "signavatars":
        from .signavatars import load_signavatars as loader
    elif kind == "video":
        from .video import load_video as loader
    else:
        from .arrays import load_array as loader
    try:
        seq = loader(path)
    except RecordingError:
        raise
    except Exception as e:  # corrupt/truncated files raise anything from struct.error to EOFError
        raise RecordingError(f"{path}: cannot read as {kind}: {type(e).__name__}: {e}") from e
    seq.check_usable()
    return seq
