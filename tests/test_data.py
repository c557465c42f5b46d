"""Dataset scanning, leakage-free splits, the class plan, features, augmentation and the cache."""

from __future__ import annotations

import collections
import json

import numpy as np
import pytest

from hamrec.contract import ModelContract
from hamrec.data.augment import AugmentConfig, augment, channel_spread, gain, mirror, offset
from hamrec.data.cache import RecordingCache
from hamrec.data.datasets import DatasetError, resolve, scan
from hamrec.data.formats import keypoints as kp
from hamrec.data.index import build_index, check_no_leak, class_batches, make_split
from hamrec.data.sequence import SignSequence
from hamrec.features import FeatureSpec, Normalizer, fix_length, prepare
from hamrec.training.pipeline import AugmentedSampler

from .conftest import AUSLAN, POSE_SAMPLES, need, write_array_dataset

N = len(kp.BODY_HAND_POINTS)  # keypoints whose body-normalised positions open the feature vector


def quiet(*_):
    pass


def test_manifest_dataset(array_dataset):
    samples, skipped = scan("tiny", array_dataset)
    assert len(samples) == 3 * 4 * 3 and not skipped
    s = samples[0]
    assert s.label == "sign0" and s.gloss == "SIGN0" and s.hamnosys == "\ue001\ue020" and s.group == "signer0"


def test_parsed_notation_travels_with_the_label(array_dataset):
    idx = build_index([str(array_dataset)], "unused", RecordingCache(None), log=quiet)
    assert idx.label_info["sign0"] == {"gloss": "SIGN0", "hamnosys": "\ue001\ue020", "hamnosys_names": ["hamflathand", "hamextfingeru"]}
    assert idx.label_info["sign1"] == {"gloss": "SIGN1", "hamnosys": None}


def test_unknown_dataset_name(tmp_path):
    with pytest.raises(DatasetError, match=r"'nope' is neither a folder under --data-root .*known dataset names: .*auslan"):
        resolve("nope", tmp_path)


def test_empty_folder(tmp_path):
    with pytest.raises(DatasetError, match="no recordings found"):
        scan("x", tmp_path)


def test_bad_files_are_skipped_and_listed(array_dataset):
    np.save(array_dataset / "s0" / "c0_0.npy", np.full((10, 4), np.nan))  # all missing
    (array_dataset / "s1" / "c1_1.npy").write_bytes(b"garbage")  # corrupt
    with open(array_dataset / "manifest.csv", "a") as f:
        f.write("s9/missing.npy,sign0,,,signer9\ns0/c0_1.npy,,,,signer0\n")
    idx = build_index([str(array_dataset)], "unused", RecordingCache(None), log=quiet)
    reasons = {s["file"].split("tiny/")[-1]: s["reason"] for s in idx.skipped}
    assert "every value is missing" in reasons["s0/c0_0.npy"]
    assert "cannot read as array" in reasons["s1/c1_1.npy"]
    assert "file not found" in reasons["s9/missing.npy"]
    assert any("no label" in r for r in reasons.values())
    assert len(idx.samples) == 36 - 2


def test_mixed_layouts_are_refused(tmp_path, array_dataset):
    other = tmp_path / "kp"
    other.mkdir()
    np.savez(other / "a-1.npz", data=np.ones((10, 51, 3)), layout="keypoints")
    with pytest.raises(DatasetError, match=r"cannot be trained together.*layout '(keypoints|array)'.*layout '(keypoints|array)'"):
        build_index([str(array_dataset), str(other)], "unused", RecordingCache(None), log=quiet)


def test_split_keeps_groups_apart_and_is_deterministic(array_dataset):
    idx = build_index([str(array_dataset)], "unused", RecordingCache(None), log=quiet)
    split = make_split(idx.samples, seed=3)
    check_no_leak(idx.samples, split)
    assert set(split.values()) == {"train", "val", "test"}
    assert split == make_split(idx.samples, seed=3)
    groups = collections.defaultdict(set)
    for s in idx.samples:
        groups[split[s.path]].add(s.group)
    assert not (groups["train"] & groups["test"]) and not (groups["train"] & groups["val"])


def test_explicit_groups(array_dataset):
    idx = build_index([str(array_dataset)], "unused", RecordingCache(None), log=quiet)
    split = make_split(idx.samples, 0, test_groups=["signer3"], val_groups=["signer2"])
    assert {s.group for s in idx.samples if split[s.path] == "test"} == {"signer3"}
    assert {s.group for s in idx.samples if split[s.path] == "val"} == {"signer2"}
    with pytest.raises(ValueError, match=r"--test-groups: \['signer7'\] not found"):
        make_split(idx.samples, 0, test_groups=["signer7"])


def test_per_file_groups_are_stratified(tmp_path):
    folder = tmp_path / "files"
    for c in range(4):
        for r in range(10):
            (folder / f"cls{c}").mkdir(parents=True, exist_ok=True)
            np.save(folder / f"cls{c}" / f"{r}.npy", np.ones((5, 2)) * c)
    idx = build_index([str(folder)], "unused", RecordingCache(None), log=quiet)
    split = make_split(idx.samples, 0)
    per = collections.Counter((s.label, split[s.path]) for s in idx.samples)
    assert all(per[(f"cls{c}", "test")] >= 1 and per[(f"cls{c}", "train")] >= 6 for c in range(4))


def test_augmentation_only_draws_training_recordings(array_dataset):
    """Leak test with augmentation on: every augmented draw comes from a training-split recording."""
    idx = build_index([str(array_dataset)], "unused", RecordingCache(None), log=quiet)
    split = make_split(idx.samples, 0)
    train = [s for s in idx.samples if split[s.path] == "train"]
    spec = FeatureSpec(*idx.layout, seq_len=16)
    xs, ms = zip(*(prepare(idx.sequences[s.path], spec) for s in train))
    norm = Normalizer.fit(list(xs), list(ms))
    sampler = AugmentedSampler([idx.sequences[s.path] for s in train], [s.label for s in train], {c: i for i, c in enumerate(idx.classes)},
                               ModelContract([], {}, spec, norm), batch_size=8, augment_factor=15, seed=1)  # fmt: skip
    assert {seq.source for seq in sampler.seqs} == {s.path for s in train}
    assert not {seq.source for seq in sampler.seqs} & {p for p, sp in split.items() if sp != "train"}
    (x, y) = sampler[0]
    assert x["features"].shape == (8, 16, 8) and y.shape == (8, 3)
    x2, _ = sampler[0]
    np.testing.assert_array_equal(x["features"], x2["features"])  # same (seed, epoch, batch) -> same batch


def test_balanced_sampler_draws_classes_equally():
    seqs = [SignSequence(np.ones((5, 1, 1)), np.ones((5, 1), bool), 30, "array", ["a"], f"f{i}") for i in range(12)]
    labels = ["big"] * 10 + ["small"] * 2
    spec = FeatureSpec("array", 1, 1, seq_len=4, velocity=False)
    sampler = AugmentedSampler(seqs, labels, {"big": 0, "small": 1}, ModelContract([], {}, spec, Normalizer([0], [1])), batch_size=2000, augment_factor=0, seed=0)
    sampler.draws = 2000
    _, y = sampler[0]
    assert abs(y[:, 1].mean() - 0.5) < 0.05


def test_unbalanced_drawing_weights_rare_classes_by_frequency():
    seqs = [SignSequence(np.ones((5, 1, 1)), np.ones((5, 1), bool), 30, "array", ["a"], f"f{i}") for i in range(12)]
    labels = ["big"] * 9 + ["small"] * 3
    spec = FeatureSpec("array", 1, 1, seq_len=4, velocity=False)
    ids = {"big": 0, "small": 1}
    balanced = AugmentedSampler(seqs, labels, ids, ModelContract([], {}, spec, Normalizer([0], [1])), batch_size=12, augment_factor=0, seed=0)
    assert len(balanced[0]) == 2  # no weights: balance already equalises the classes
    sampler = AugmentedSampler(seqs, labels, ids, ModelContract([], {}, spec, Normalizer([0], [1])), batch_size=12, augment_factor=0, balance=False, seed=0)
    _, y, w = sampler[0]
    np.testing.assert_allclose(w[y[:, 0] == 1], 12 / (2 * 9))  # alpha_c = N / (K n_c)
    np.testing.assert_allclose(w[y[:, 1] == 1], 12 / (2 * 3))


def test_class_plan_covers_each_class_once_without_wrapping():
    classes = [f"c{i:02d}" for i in range(37)]
    plan = class_batches(classes, 15)
    assert [len(b) for b in plan] == [15, 15, 7]
    assert sorted(c for b in plan for c in b) == classes
    assert class_batches(classes, 0) == [classes]
    with pytest.raises(ValueError, match="--max-classes-per-batch"):
        class_batches(classes, -1)


def test_min_samples_drops_rare_classes(tmp_path):
    folder = write_array_dataset(tmp_path / "d", classes=2, signers=2, reps=2)
    with open(folder / "manifest.csv", "a") as f:
        f.write("s0/c0_0.npy,rare,,,signer0\n")
    idx = build_index([str(folder)], "unused", RecordingCache(None), min_samples=2, log=quiet)
    assert "rare" not in idx.classes
    rare = next(s for s in idx.skipped if s["file"] == "class rare")
    assert rare["reason"].startswith("1 recordings (") and "c0_0.npy" in rare["reason"] and "--min-samples is 2" in rare["reason"]
    with pytest.raises(DatasetError, match="--min-samples 100"):
        build_index([str(folder)], "unused", RecordingCache(None), min_samples=100, log=quiet)


def test_a_label_folder_wins_over_a_name_ending_in_digits(tmp_path):
    for name in ("0a1b-532692340931.npy", "plain.npy"):
        (tmp_path / "hallo").mkdir(exist_ok=True)
        np.save(tmp_path / "hallo" / name, np.zeros((5, 2, 1), np.float32))
    samples, _ = scan("uuid", tmp_path)
    assert sorted(s.label for s in samples) == ["hallo", "hallo"]
    assert {s.label_from for s in samples} == {"folder <label>/<file>"}  # hamrec data inspect shows this


def test_keypoints_normalised_by_shoulders():
    data = np.zeros((3, kp.NUM_POINTS, 3), np.float32)
    data[:, kp.INDEX["LEFT_SHOULDER"]] = [300, 100, 0]
    data[:, kp.INDEX["RIGHT_SHOULDER"]] = [100, 100, 0]
    data[:, kp.RIGHT_HAND] = [150, 300, 0]
    seq = SignSequence(data, np.ones((3, kp.NUM_POINTS), bool), 25, kp.LAYOUT, kp.POINTS)
    spec = FeatureSpec(kp.LAYOUT, kp.NUM_POINTS, 3, seq_len=3, velocity=False)
    x, m = prepare(seq, spec)
    pos = x[0, : N * 3].reshape(N, 3)
    np.testing.assert_allclose(pos[kp.INDEX["LEFT_SHOULDER"]], [0.5, 0, 0])
    np.testing.assert_allclose(pos[kp.RIGHT_HAND.start], [-0.25, 1.0, 0])
    assert spec.num_features == x.shape[1] == (N + 42) * 3


def test_keypoints_without_a_body_are_centred_on_the_face_and_scaled_by_the_hand():
    # a webcam crop: face centre and one hand, no shoulders (as in dgs11)
    rng = np.random.default_rng(0)
    data = np.full((6, kp.NUM_POINTS, 3), np.nan, np.float32)
    mask = np.zeros((6, kp.NUM_POINTS), bool)
    data[:, kp.INDEX["NOSE"]] = [0.5, 0.3, 0]
    data[:, kp.RIGHT_HAND] = rng.uniform(0.4, 0.7, (6, 21, 3))
    data[:, kp.RIGHT_HAND.start + 9, :2] = data[:, kp.RIGHT_HAND.start, :2] + [0, -0.05]  # hand length 0.05
    mask[:, kp.INDEX["NOSE"]] = mask[:, kp.RIGHT_HAND] = True
    spec = FeatureSpec(kp.LAYOUT, kp.NUM_POINTS, 3, seq_len=6, velocity=False)
    x, _ = prepare(SignSequence(data, mask, 30, kp.LAYOUT, kp.POINTS), spec)
    pos = x[:, : N * 3].reshape(6, N, 3)
    np.testing.assert_allclose(pos[:, kp.INDEX["NOSE"]], 0, atol=1e-6)  # centred on the face
    np.testing.assert_allclose(pos[:, kp.RIGHT_HAND.start, :2], (data[:, kp.RIGHT_HAND.start, :2] - [0.5, 0.3]) / 0.2, rtol=1e-4)
    # the same person further from the camera (half the size) and elsewhere in the frame: the same features
    moved = np.where(mask[..., None], data * 0.5 + [0.2, 0.1, 0], np.nan).astype(np.float32)
    y, _ = prepare(SignSequence(moved, mask, 30, kp.LAYOUT, kp.POINTS), spec)
    np.testing.assert_allclose(y[:, : N * 3], x[:, : N * 3], atol=1e-4)


def test_centred_features_ignore_a_constant_offset_per_channel():
    rng = np.random.default_rng(1)
    data = rng.normal(size=(20, 4, 1)).astype(np.float32)
    shifted = data + rng.normal(size=(1, 4, 1)).astype(np.float32) * 3  # a glove calibrated on another day
    spec = FeatureSpec("auslan_glove", 4, 1, seq_len=16, velocity=True, centred=True)
    (x, m), (y, _) = (prepare(SignSequence(d, np.ones((20, 4), bool), 100, "auslan_glove", list("abcd")), spec) for d in (data, shifted))
    assert spec.num_features == x.shape[1] == 12 and m.all()
    assert not np.allclose(x[:, :4], y[:, :4])  # absolute values move with the calibration
    np.testing.assert_allclose(x[:, 4:], y[:, 4:], atol=1e-5)  # velocity and centred values do not
    np.testing.assert_allclose(x[:, 8:].mean(axis=0), 0, atol=1e-6)
    only = FeatureSpec("auslan_glove", 4, 1, seq_len=16, centred=True, absolute=False)
    assert only.num_features == prepare(SignSequence(data, np.ones((20, 4), bool), 100, "auslan_glove", list("abcd")), only)[0].shape[1] == 8


def test_normaliser_does_not_magnify_a_feature_that_barely_varies():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(50, 4)).astype(np.float32)
    x[:, 3] = rng.normal(scale=1e-5, size=50)  # like MediaPipe's wrist z
    norm = Normalizer.fit([x], [np.ones(50, bool)])
    np.testing.assert_allclose(norm.std[:3], x[:, :3].std(axis=0), rtol=1e-4)
    assert norm.std[3] >= 0.005  # floored: 0.001 of noise stays small instead of becoming 100 standard deviations
    noisy = x + np.float32(0.001)
    assert np.abs(norm(noisy, np.ones(50, bool)) - norm(x, np.ones(50, bool))).max() < 0.5


def test_missing_points_are_interpolated():
    data = np.arange(5, dtype=np.float32).reshape(5, 1, 1).repeat(2, 1)
    mask = np.ones((5, 2), bool)
    mask[2, 0] = False
    seq = SignSequence(data, mask, 30, "array", ["a", "b"])
    x, _ = prepare(seq, FeatureSpec("array", 2, 1, seq_len=5, velocity=False))
    np.testing.assert_allclose(x[:, 0], [0, 1, 2, 3, 4])


def test_fix_length_pads_with_mask_and_resamples():
    x, m = fix_length(np.ones((3, 2)), 5)
    assert m.tolist() == [True, True, True, False, False] and (x[3:] == 0).all()
    x, m = fix_length(np.arange(10, dtype=float)[:, None], 4)
    assert m.all() and x[0, 0] == 0 and x[-1, 0] == 9


def test_augment_is_reproducible_and_changes_data():
    seq = SignSequence(np.random.default_rng(0).normal(size=(30, kp.NUM_POINTS, 3)), np.ones((30, kp.NUM_POINTS), bool), 25, kp.LAYOUT, kp.POINTS)
    a = augment(seq, np.random.default_rng(5), AugmentConfig(rotate=1, noise=1))
    b = augment(seq, np.random.default_rng(5), AugmentConfig(rotate=1, noise=1))
    np.testing.assert_array_equal(a.data, b.data)
    assert not np.allclose(a.data[: min(len(a.data), 30)], seq.data[: len(a.data)])


def test_sensor_calibration_moves_each_channel_by_its_own_spread():
    """Glove channels differ in scale 100-fold: offsets and gains must follow each channel's spread."""
    t = np.linspace(0, 1, 50)
    data = np.stack([np.sin(6 * t), 100 * np.cos(6 * t)], axis=1)[:, :, None].astype(np.float32)  # (T, 2 channels, 1)
    spread = data.std(axis=0)[:, 0]
    moved = [offset(data, None, np.random.default_rng(s))[0] - data for s in range(20)]
    per_channel = np.array([m[0, :, 0] for m in moved])  # (20, 2): the constant added to each channel
    for m in moved:
        np.testing.assert_allclose(m - m[:1], 0, atol=1e-3)  # constant over time
    assert (np.abs(per_channel) <= spread + 1e-3).all() and (np.abs(per_channel).max(axis=0) > 0.4 * spread).all()
    # a hand at rest (constant channel) still gets calibration offsets in units of the training set's spread
    rest = np.concatenate([data, np.full((50, 1, 1), 3.0, np.float32)], axis=1)
    other = SignSequence(rest + 1, np.ones((50, 3), bool), 25, "auslan_glove", ["a", "b", "c"])
    train_spread = channel_spread([SignSequence(rest, np.ones((50, 3), bool), 25, "auslan_glove", ["a", "b", "c"]), other])
    np.testing.assert_allclose(train_spread, np.concatenate([rest, rest + 1]).std(axis=0), rtol=1e-3)
    assert train_spread[2, 0] == 0.5  # the channel constant within each recording
    assert offset(rest, None, np.random.default_rng(0))[0][:, 2].std() == 0 and offset(rest, None, np.random.default_rng(0))[0][0, 2] == 3.0
    shifted = offset(rest, None, np.random.default_rng(0), spread=train_spread)[0][:, 2]
    assert shifted[0] != 3.0 and abs(shifted[0] - 3.0) <= 0.5
    scaled, _ = gain(data, None, np.random.default_rng(0))
    np.testing.assert_allclose(scaled.mean(axis=0), data.mean(axis=0), atol=1e-3)  # about the mean
    ratio = scaled.std(axis=0)[:, 0] / spread
    assert not np.allclose(ratio, 1) and ((ratio > 0.3) & (ratio < 3)).all()
    glove = SignSequence(data, np.ones((50, 2), bool), 25, "auslan_glove", ["a", "b"])
    assert not np.allclose(augment(glove, np.random.default_rng(1), AugmentConfig(**{f: 0 for f in _PROBS}, gain=1)).data, data)
    keypoints = SignSequence(np.random.default_rng(0).normal(size=(30, kp.NUM_POINTS, 3)), np.ones((30, kp.NUM_POINTS), bool), 25, kp.LAYOUT, kp.POINTS)
    only_gain = augment(keypoints, np.random.default_rng(1), AugmentConfig(**{f: 0 for f in _PROBS}, gain=1))
    np.testing.assert_array_equal(only_gain.data, keypoints.data)  # body geometry is scaled by scale_shear, not per channel


_PROBS = [f for f in AugmentConfig.__dataclass_fields__ if f != "gain"]


def test_sampler_offsets_glove_channels_in_training_set_units():
    rng = np.random.default_rng(0)
    seqs = [SignSequence(rng.normal(size=(20, 2, 1)) * [[10.0], [0.1]], np.ones((20, 2), bool), 25, "auslan_glove", ["a", "b"]) for _ in range(4)]
    sampler = AugmentedSampler(seqs, ["x", "y", "x", "y"], {"x": 0, "y": 1}, ModelContract([], {}, FeatureSpec("auslan_glove", 2, 1, seq_len=8), Normalizer([0] * 4, [1] * 4)),
                               batch_size=4, augment_factor=1, seed=0)  # fmt: skip
    np.testing.assert_allclose(sampler.spread, channel_spread(seqs))
    assert sampler.spread[0, 0] > 50 * sampler.spread[1, 0]
    points = SignSequence(rng.normal(size=(20, kp.NUM_POINTS, 3)), np.ones((20, kp.NUM_POINTS), bool), 25, kp.LAYOUT, kp.POINTS)
    spec = FeatureSpec(kp.LAYOUT, kp.NUM_POINTS, 3, seq_len=8)
    assert AugmentedSampler([points], ["x"], {"x": 0}, ModelContract([], {}, spec, Normalizer([0], [1])), augment_factor=1).spread is None  # keypoints: camera shift


def test_mirror_swaps_hands():
    data = np.zeros((2, kp.NUM_POINTS, 3), np.float32)
    data[:, kp.LEFT_HAND] = [10, 0, 0]
    data[:, kp.RIGHT_HAND] = [-10, 5, 0]
    out, _ = mirror(data, np.ones((2, kp.NUM_POINTS), bool), np.random.default_rng(0))
    c = np.mean(data[..., 0])
    np.testing.assert_allclose(out[:, kp.LEFT_HAND][..., 1], 5)
    np.testing.assert_allclose(out[:, kp.RIGHT_HAND][..., 0], 2 * c - 10)


def test_cache_reuses_and_invalidates(tmp_path):
    f = tmp_path / "x-1.npy"
    np.save(f, np.ones((4, 2)))
    cache = RecordingCache(tmp_path / "cache")
    assert cache.load(f).data.sum() == 8
    entries = list((tmp_path / "cache").iterdir())
    assert len(entries) == 1
    np.save(f, np.full((4, 2), 2.0))  # changed content -> new entry, new values
    assert cache.load(f).data.sum() == 16
    assert len(list((tmp_path / "cache").iterdir())) == 2


def test_real_auslan_index_split_by_session():
    idx = build_index([str(need(AUSLAN))], "unused", RecordingCache(None), log=quiet)
    assert len(idx.samples) == 1710 and len(idx.classes) == 95 and "his_hers" in idx.classes and "her" not in idx.classes
    split = make_split(idx.samples, 0)
    check_no_leak(idx.samples, split)
    sessions = {sp: {s.group for s in idx.samples if split[s.path] == sp} for sp in ("train", "val", "test")}
    assert len(sessions["test"]) == 1 and len(sessions["val"]) == 1 and len(sessions["train"]) == 4


def test_real_pose_samples_through_a_manifest(tmp_path):
    need(POSE_SAMPLES)
    rows = ["path,label,signer"] + [f"{POSE_SAMPLES / n},{lab},{sig}" for n, lab, sig in
            [("mediapipe.pose", "a", "s1"), ("mediapipe_long.pose", "b", "s2"), ("openpose.pose", "a", "s3")]]  # fmt: skip
    (tmp_path / "manifest.csv").write_text("\n".join(rows))
    idx = build_index([str(tmp_path)], "unused", RecordingCache(None), log=quiet)
    assert idx.layout == ("keypoints", kp.NUM_POINTS, 3) and len(idx.samples) == 3


def test_skipped_report_is_json_serialisable(array_dataset):
    (array_dataset / "s1" / "c1_1.npy").write_bytes(b"garbage")
    idx = build_index([str(array_dataset)], "unused", RecordingCache(None), log=quiet)
    assert json.loads(json.dumps(idx.skipped))[0]["file"].endswith("c1_1.npy")


def test_dominant_right_gives_a_recording_and_its_mirror_image_the_same_features_and_answer(tmp_path):
    """Real recordings (dgs11 webcam, a MediaPipe .pose) and their mirror images — a left-handed signer's version of the same sign."""
    import dataclasses

    from hamrec.features import FeatureSpec, prepare
    from hamrec.inference.predict import Recognizer

    from .conftest import SHARED
    from .test_inference import _model_for

    files = sorted(need(SHARED / "dgs11").glob("hallo/*.pose"))[:4] + [need(POSE_SAMPLES) / "mediapipe.pose"]
    cache = RecordingCache(None)
    canonical = FeatureSpec(kp.LAYOUT, kp.NUM_POINTS, 3, seq_len=32, centred=True, dominant_right=True, face=True)  # mediapipe.pose has a face
    as_recorded = dataclasses.replace(canonical, dominant_right=False)
    model_path = _model_for(tmp_path, kp.LAYOUT, kp.NUM_POINTS, 3)
    rec = Recognizer.load(model_path)
    for f in files:
        seq = cache.load(f)
        data, m = mirror(seq.data, seq.mask, np.random.default_rng(0))
        mirrored = dataclasses.replace(seq, data=data, mask=m)
        x, mask = prepare(seq, canonical)
        xm, mask_m = prepare(mirrored, canonical)
        assert (mask == mask_m).all()
        np.testing.assert_allclose(np.nan_to_num(xm), np.nan_to_num(x), atol=1e-4, err_msg=str(f))
        assert not np.allclose(np.nan_to_num(prepare(mirrored, as_recorded)[0]), np.nan_to_num(prepare(seq, as_recorded)[0]), atol=1e-3)
        rec.contract.spec = rec.spec = dataclasses.replace(rec.spec, dominant_right=True)  # the model's own spec: no face
        p, pm = rec.probabilities([seq]), rec.probabilities([mirrored])
        assert p.argmax() == pm.argmax() and np.abs(p - pm).max() < 1e-4
