"""Videos -> MediaPipe Holistic keypoints, through pose-format (the optional ``video`` extra).

pose-format already reads video frames (PyAV, through ``simple_video_utils``) and runs MediaPipe
Holistic (``pose_format.utils.holistic.load_holistic``); this module only adds what a dataset
needs around them: a clear error when MediaPipe is missing, unreadable or empty videos as
:class:`RecordingError` (skipped and listed like any bad file), and ``.pose`` files written
atomically, so a folder of videos is converted once and then trains like any keypoint dataset.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..sequence import RecordingError
from . import EXPECTED, SUFFIXES

#: file suffixes read as video
VIDEO_SUFFIXES = tuple(s for s, kind in SUFFIXES.items() if kind == "video")
INSTALL_HINT = 'reading videos needs the optional extra: pip install "hamrec[video]" (or pip install -e ".[video]" in a checkout)'


class VideoSupportMissing(RecordingError):
    """MediaPipe (the ``video`` extra) is not installed."""


def _holistic():
    try:
        import mediapipe  # noqa: F401  (load_holistic imports it lazily; fail here, with the hint)
        from pose_format.utils.holistic import load_holistic
    except ImportError as e:
        raise VideoSupportMissing(f"{INSTALL_HINT} ({e})") from None
    return load_holistic


def video_to_pose(path: str | Path, progress: bool = False):
    """Run MediaPipe Holistic over every frame of a video: a ``pose_format.Pose`` (543 points, XYZC).

    Raises:
        VideoSupportMissing: the extra is not installed.
        RecordingError: the file cannot be decoded or has no frames.
    """
    load_holistic = _holistic()
    from simple_video_utils.frames import read_frames_exact
    from simple_video_utils.metadata import video_metadata

    path = Path(path)
    if not path.is_file():
        raise RecordingError(f"{path}: file not found")
    try:
        meta = video_metadata(str(path))
        frames = list(read_frames_exact(str(path)))  # (H, W, 3) RGB each
    except Exception as e:  # PyAV raises its own errors for corrupt or non-video files
        raise RecordingError(f"{path}: cannot read as a video ({type(e).__name__}: {str(e)[:200]}); expected {EXPECTED['video']}") from e
    if not frames:
        raise RecordingError(f"{path}: the video has no frames")
    return load_holistic(frames, fps=meta.fps or 30.0, width=meta.width, height=meta.height, progress=progress,
                         additional_holistic_config={"model_complexity": 1})  # fmt: skip


def find_videos(inputs: list[str | Path]) -> list[tuple[Path, Path]]:
    """(video, path relative to its input) for every video file given or inside a given folder."""
    found = []
    for item in map(Path, inputs):
        if item.is_dir():
            for d, _, names in sorted(os.walk(item, followlinks=True)):
                for n in sorted(names):
                    if Path(n).suffix.lower() in VIDEO_SUFFIXES:
                        found.append((Path(d) / n, (Path(d) / n).relative_to(item)))
        else:
            found.append((item, Path(item.name)))
    return found


def convert(inputs: list[str | Path], out_dir: str | Path, progress: bool = True) -> dict:
    """Write ``out_dir/<relative path>.pose`` for every video; existing outputs are kept.

    Returns ``{"written": [...], "existing": [...], "skipped": [{"file", "reason"}]}``; a
    video that cannot be read is skipped with its reason and never stops the others. Folder
    structure is kept, so ``videos/<label>/<clip>.mp4`` becomes a ``<label>/<file>`` dataset.
    """
    from ...atomic import atomic_path

    _holistic()  # the extra is missing: say so once, before anything else
    out_dir = Path(out_dir)
    report: dict = {"written": [], "existing": [], "skipped": []}
    videos = find_videos(inputs)
    try:
        from tqdm import tqdm
    except ImportError:  # progress bars are a nicety
        tqdm = None
    bar = tqdm(videos, unit="video", disable=not progress) if tqdm else videos
    for video, rel in bar:
        target = out_dir / rel.with_suffix(".pose")
        if target.is_file():
            report["existing"].append(str(target))
            continue
        if video.suffix.lower() not in VIDEO_SUFFIXES:
            report["skipped"].append({"file": str(video), "reason": f"not a video: expected one of {', '.join(VIDEO_SUFFIXES)}"})
            continue
        try:
            pose = video_to_pose(video, progress=progress)
        except RecordingError as e:
            report["skipped"].append({"file": str(video), "reason": str(e)})
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(target) as tmp:
            with open(tmp, "wb") as f:
                pose.write(f)
        report["written"].append(str(target))
    return report


def load_video(path: str | Path):
    """A video as a keypoint :class:`~hamrec.data.sequence.SignSequence` (Holistic, then the canonical layout)."""
    from .pose import pose_to_sequence

    return pose_to_sequence(video_to_pose(path), path)
