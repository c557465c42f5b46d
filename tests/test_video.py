"""Videos -> keypoints (the optional ``video`` extra) on the real videos of ../shared/data/videos."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from hamrec.cli.data import main as data_main
from hamrec.data.formats import load_recording
from hamrec.data.formats import keypoints as kp
from hamrec.data.sequence import RecordingError

from .conftest import ROOT, SHARED, need

VIDEOS = SHARED / "videos"
#: frames in each real video's header (data/README.md); FOOTBALL's last two do not decode (PyAV and OpenCV agree)
FRAMES = {"sample_video": 9, "FOOTBALL": 64, "SOUP": 41}


def need_mediapipe():
    if importlib.util.find_spec("mediapipe") is None:
        pytest.skip('MediaPipe is not installed: pip install -e ".[video]" runs these tests')


def test_without_the_extra_the_command_says_what_to_install(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "mediapipe", None)  # as if not installed: importing it raises ImportError
    (tmp_path / "clip.mp4").write_bytes(b"\x00" * 64)
    assert data_main(["from-video", str(tmp_path / "clip.mp4"), "--out", str(tmp_path / "out")]) == 2
    assert 'pip install "hamrec[video]"' in capsys.readouterr().err
    with pytest.raises(RecordingError, match=r"hamrec\[video\]"):
        load_recording(tmp_path / "clip.mp4")  # the same hint where a dataset or --input meets a video


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    need(VIDEOS)
    need_mediapipe()
    src = tmp_path_factory.mktemp("videos")
    for name in FRAMES:
        shutil.copy(VIDEOS / f"{name}.mp4", src / f"{name}.mp4")
    (src / "broken.mp4").write_bytes(b"this is not a video")
    out = tmp_path_factory.mktemp("poses")
    code = data_main(["from-video", str(src), "--out", str(out), "--no-progress"])
    return src, out, code


def test_real_videos_become_pose_files_with_hands(converted, capsys):
    src, out, code = converted
    assert code == 1  # one video skipped
    from simple_video_utils.frames import read_frames_exact

    for name, frames in FRAMES.items():
        seq = load_recording(out / f"{name}.pose")
        decoded = sum(1 for _ in read_frames_exact(str(src / f"{name}.mp4")))
        assert seq.layout == kp.LAYOUT and len(seq.data) == decoded >= frames - 2  # one pose per decoded frame
        assert seq.mask[:, kp.INDEX["NOSE"]].mean() > 0.5  # the signer's face was found
        assert seq.mask[:, kp.FACE].all(axis=1).mean() > 0.5  # with its lips, eyes, brows and nose (the face mesh)
    hands = [load_recording(out / f"{n}.pose").mask[:, kp.LEFT_HAND.start : kp.RIGHT_HAND.stop].any(axis=1).mean() for n in ("FOOTBALL", "SOUP")]
    assert min(hands) > 0.3  # MediaPipe found a hand in a good part of the frames of both signs
    assert not (out / "broken.pose").exists()


def test_broken_video_is_listed_and_existing_outputs_are_kept(converted, capsys):
    src, out, _ = converted
    before = {p.name: p.stat().st_mtime_ns for p in out.glob("*.pose")}
    assert data_main(["from-video", str(src), "--out", str(out), "--no-progress"]) == 1
    text = capsys.readouterr().out
    assert "0 written, 3 already there, 1 skipped" in text and "broken.mp4" in text and "cannot read as a video" in text
    assert {p.name: p.stat().st_mtime_ns for p in out.glob("*.pose")} == before  # nothing recomputed


@pytest.mark.slow
def test_converted_videos_train_and_a_video_is_recognised_directly(converted, tmp_path):
    src, out, _ = converted
    data = tmp_path / "data"
    for name in ("FOOTBALL", "SOUP"):
        (data / name.lower()).mkdir(parents=True)
        for i in range(4):  # one recording each: copies give the split something in every part
            shutil.copy(out / f"{name}.pose", data / name.lower() / f"{name}{i}.pose")
    model_dir = tmp_path / "model"
    env = {**os.environ, "KERAS_BACKEND": "torch"}
    train = subprocess.run([sys.executable, str(ROOT / "automated_training.py"), "--include-datasets", str(data), "--model-dir", str(model_dir),
                            "--log-file", str(tmp_path / "log.txt"), "--epochs", "30", "--patience", "5", "--no-run-inference",
                            "--cache-dir", str(tmp_path / "cache")], capture_output=True, text=True, env=env)  # fmt: skip
    assert train.returncode == 0, train.stdout[-2000:] + train.stderr[-2000:]
    infer = subprocess.run([sys.executable, str(ROOT / "inference_hamnosys.py"), "--model-path", str(model_dir / "best_model.keras"),
                            "--input", str(src / "SOUP.mp4"), "--json"], capture_output=True, text=True, env=env)  # fmt: skip
    assert infer.returncode == 0, infer.stderr[-2000:]
    result = json.loads(infer.stdout)["results"][0]
    assert result["file"].endswith("SOUP.mp4") and result["top_k"][0]["label"] == "soup"
    assert result["face_seen"] > 0.5  # the model reads the face (the videos have one), and the answer says how much of it was seen
    assert np.isclose(sum(c["probability"] for c in result["top_k"]), 1.0, atol=1e-3)
