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
#: format -> what a readable file of it is, for the message when one cannot be read
EXPECTED = {
    "pose": "a .pose file written by pose-format (MediaPipe or OpenPose keypoints)",
    "auslan": "a UCI Auslan .tsd file: one frame per line, 22 tab-separated numbers",
    "signavatars": "a SignAvatars SMPL-X pickle",
    "array": "a NumPy .npy of numbers (frames, features) or (frames, points, dims), or a .npz holding one as 'data'",
    "video": "a video file that FFmpeg (PyAV) can decode, such as .mp4 or .webm",
}


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
        raise RecordingError(f"{path}: cannot read as {kind} ({type(e).__name__}: {str(e)[:200]}); expected {EXPECTED[kind]}") from e
    seq.check_usable()
    return seq
