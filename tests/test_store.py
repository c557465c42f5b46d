"""The training store on disk: recordings come back as they went in, statistics over chunks equal those over
everything, and a training job streaming from the store ends exactly as one holding everything in memory."""

from __future__ import annotations

import json

import numpy as np

from hamrec.data.augment import channel_spread
from hamrec.data.cache import RecordingCache
from hamrec.data.index import build_index
from hamrec.data.sequence import SignSequence
from hamrec.data.store import RecordingStore, RecordingView, StoreWriter
from hamrec.features import FeatureSpec, Normalizer, prepare, prepare_chunks
from hamrec.nanstats import RunningStats
from hamrec.training.loop import LoopConfig, run_loop

from .conftest import write_array_dataset


def recordings(n: int = 7, seed: int = 0) -> list[SignSequence]:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        data = rng.normal(size=(int(rng.integers(3, 30)), 5, 2)).astype(np.float32)
        data[rng.random(data.shape[:2]) < 0.2] = np.nan
        mask = ~np.isnan(data).any(-1) & (rng.random(data.shape[:2]) < 0.9)  # some points seen but not confident
        out.append(SignSequence(data, mask, 25.0 + i, "array", [f"c{k}" for k in range(5)], f"rec{i}.npy", {"signer": f"s{i % 3}", "take": i}))
    return out


def test_a_stored_recording_comes_back_bit_for_bit(tmp_path):
    seqs = recordings()
    writer = StoreWriter(tmp_path / "store")
    for s in seqs:
        writer[s.source] = s
    store = writer.finish()
    again = RecordingStore(tmp_path / "store")  # another process opening it
    assert len(store) == len(again) == len(seqs) and list(again) == [s.source for s in seqs]
    for s in seqs:
        back = again[s.source]
        assert back.data.tobytes() == s.data.tobytes() and np.array_equal(back.mask, s.mask)
        assert (back.fps, back.layout, back.points, back.source, back.meta) == (s.fps, s.layout, s.points, s.source, s.meta)
    view = RecordingView(again, [s.source for s in seqs[::-1]])
    assert list(view.lengths) == [s.num_frames for s in seqs[::-1]] == list(RecordingView(dict(zip(view.paths, seqs[::-1])), view.paths).lengths)
    assert [v.source for v in view[1:3]] == [seqs[-2].source, seqs[-3].source] and view[0].source == seqs[-1].source


def test_statistics_over_chunks_are_those_over_everything(tmp_path):
    seqs = recordings(40, seed=1)
    frames = np.concatenate([np.where(s.mask[..., None], s.data, np.nan) for s in seqs])
    with np.errstate(invalid="ignore"):
        np.testing.assert_allclose(channel_spread(seqs, chunk=7), np.nan_to_num(np.nanstd(frames, 0)), rtol=1e-5, atol=1e-6)
    stats = RunningStats()
    for i in range(0, len(frames), 33):
        stats.update(frames[i : i + 33])
    np.testing.assert_allclose(stats.result()[0], np.nanmean(frames, 0), rtol=1e-5, atol=1e-6)

    spec = FeatureSpec("array", 5, 2, seq_len=12)
    x, mask = prepare(seqs, spec)
    whole = Normalizer.fit(x, mask)
    chunked = Normalizer.fit_chunks((xs, ms) for _, xs, ms in prepare_chunks(seqs, spec, chunk=6))
    np.testing.assert_allclose(chunked.mean, whole.mean, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(chunked.std, whole.std, rtol=1e-5, atol=1e-6)


def test_build_index_into_a_store_holds_the_same_recordings(tmp_path):
    data = write_array_dataset(tmp_path / "d")
    in_memory = build_index([str(data)], tmp_path, RecordingCache(None), log=lambda _: None)
    stored = build_index([str(data)], tmp_path, RecordingCache(None), log=lambda _: None, store=StoreWriter(tmp_path / "store"))
    assert isinstance(stored.sequences, RecordingStore) and [s.path for s in stored.samples] == [s.path for s in in_memory.samples]
    for s in in_memory.samples:
        a, b = in_memory.sequences[s.path], stored.sequences[s.path]
        assert a.data.tobytes() == b.data.tobytes() and np.array_equal(a.mask, b.mask) and a.fps == b.fps


def test_a_job_streaming_from_disk_ends_exactly_as_one_in_memory(tmp_path):
    data = write_array_dataset(tmp_path / "d", classes=3, signers=5, reps=4, noise=0.8, seed=3)
    outcomes = []
    for stream in (True, False):
        model_dir = tmp_path / f"stream-{stream}"
        cfg = LoopConfig(include_datasets=(str(data),), model_dir=str(model_dir), log_file=str(tmp_path / "log.txt"), cache_dir=None, seq_len=16,
                         max_classes_per_batch=2, run_inference=False, epochs=6, patience=3, batch_size=16, stream=stream)  # fmt: skip
        summary = run_loop(cfg, lambda line: None)
        runs = [{k: r[k] for k in ("run_id", "outcome", "epochs_run", "best_epoch", "val_top1", "val_loss")} for r in summary["training_runs"]]
        outcomes.append((runs, summary["final"], summary.get("open_set")))
        assert not (model_dir / ".resume").exists()  # the store goes with the rest of the resume state
    assert outcomes[0] == outcomes[1]
    assert json.dumps(outcomes[0]).count("batch") >= 3  # two class batches and the refit: more than one run compared
