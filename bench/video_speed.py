"""How fast ``hamrec data from-video`` turns video into keypoints, per second of video.

    python -m venv .bench/video && . .bench/video/bin/activate && pip install -e ".[video]"
    python bench/video_speed.py ../shared/data/videos/*.mp4

Runs the command itself (a subprocess per video, into an empty folder each time, so nothing is
reused) and reports the median wall time of --repeats runs against the video's duration. The
first run of a process also loads MediaPipe's models, which is part of what a user waits for.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from timing import median_time  # bench/timing.py

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("videos", nargs="+")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    from simple_video_utils.frames import read_frames_exact
    from simple_video_utils.metadata import video_metadata

    print("| video | size | frames | seconds of video | from-video wall time (median) | x real time |")
    print("| --- | --- | --- | --- | --- | --- |")
    for video in map(Path, args.videos):
        meta = video_metadata(str(video))
        frames = sum(1 for _ in read_frames_exact(str(video)))
        seconds = frames / meta.fps

        def convert(video=video):
            with tempfile.TemporaryDirectory() as out:  # a fresh folder each time: nothing is reused
                subprocess.run([sys.executable, "-m", "hamrec.cli.main", "data", "from-video", str(video), "--out", out, "--no-progress"],
                               check=True, capture_output=True, cwd=ROOT)  # fmt: skip

        wall = median_time(convert, args.repeats)
        print(f"| {video.name} | {meta.width}x{meta.height} | {frames} | {seconds:.2f} | {wall:.2f} s | {seconds / wall:.2f} |", flush=True)


if __name__ == "__main__":
    main()
