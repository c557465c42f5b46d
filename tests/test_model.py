"""Model pieces: masking, focal loss, 12 heads, save/load in a fresh process, callbacks and the run result."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import keras
import numpy as np
import pytest

from hamrec.model.builder import PRESETS, ModelConfig, build_model, compile_model
from hamrec.contract import ModelContract
from hamrec.features import FeatureSpec, Normalizer
from hamrec.training.callbacks import StopAtThreshold, Warmup
from hamrec.training.run import RunConfig, train_run

TINY = ModelConfig(dim=24, heads=12, blocks=("conv", "attn"))


def inputs(n=4, t=16, f=6, valid=10, seed=0):
    rng = np.random.default_rng(seed)
    mask = np.zeros((n, t), np.float32)
    mask[:, :valid] = 1
    return {"features": rng.normal(size=(n, t, f)).astype(np.float32) * mask[..., None], "mask": mask}


def test_padded_frames_change_nothing():
    model = build_model(16, 6, 5, TINY)
    x = inputs()
    garbage = {"features": x["features"].copy(), "mask": x["mask"]}
    garbage["features"][:, 10:] = 1e3
    np.testing.assert_allclose(model.predict(x, verbose=0), model.predict(garbage, verbose=0), atol=1e-6)


def test_default_attention_has_12_heads():
    assert PRESETS["tiny"].heads == 12 and ModelConfig().heads == 12
    model = build_model(8, 4, 3)
    heads = [layer.attn.num_heads for layer in model.layers if hasattr(layer, "attn")]
    assert heads and all(h == 12 for h in heads)


def test_every_drop_path_draws_its_own_samples_and_the_seed_reaches_them():
    from hamrec.model.layers import DropPath

    def masks(seed):
        keras.utils.set_random_seed(seed)
        model = build_model(16, 6, 3, replace(TINY, drop_path=0.5, blocks=("conv", "attn", "conv")))
        drops = [layer for layer in model._flatten_layers() if isinstance(layer, DropPath)]
        ones = np.ones((256, 1, 1), np.float32)
        return [keras.ops.convert_to_numpy(d(ones, training=True)).ravel() > 0 for d in drops]

    first = masks(0)
    assert len(first) == 4  # one per residual branch: conv 1, attn 2, conv 1
    assert all((a != b).any() for i, a in enumerate(first) for b in first[i + 1 :])  # no two blocks drop the same samples
    assert all((a == b).all() for a, b in zip(first, masks(0)))  # reproducible from the seed
    assert any((a != b).any() for a, b in zip(first, masks(1)))  # and --seed changes them


def test_focal_loss_equals_cross_entropy_at_gamma_zero():
    y = np.eye(4)[[0, 2, 3]].astype(np.float32)
    p = np.array([[0.7, 0.1, 0.1, 0.1], [0.2, 0.2, 0.5, 0.1], [0.1, 0.6, 0.1, 0.2]], np.float32)
    focal = keras.losses.CategoricalFocalCrossentropy(alpha=1.0, gamma=0.0)
    ce = keras.losses.CategoricalCrossentropy()
    assert float(focal(y, p)) == pytest.approx(float(ce(y, p)), rel=1e-5)
    assert float(keras.losses.CategoricalFocalCrossentropy(alpha=1.0, gamma=2.0)(y, p)) < float(ce(y, p))


def contract_for(classes: list[str], features: int = 6, **info) -> ModelContract:
    return ModelContract(classes, {}, FeatureSpec("array", features, 1, seq_len=16, velocity=False, centred=False), Normalizer([0] * features, [1] * features),
                         info=info)  # fmt: skip


def test_save_load_round_trip_in_a_fresh_process(tmp_path):
    model = build_model(16, 6, 5, TINY)
    x = inputs()
    expected = model.predict(x, verbose=0)
    path = tmp_path / "m.keras"
    contract_for(list("abcde"), note="kept").save(model, path)
    np.save(tmp_path / "x_features.npy", x["features"])
    np.save(tmp_path / "x_mask.npy", x["mask"])
    code = f"""
import os; os.environ.setdefault('KERAS_BACKEND', 'torch')
import keras, numpy as np, zipfile, json
m = keras.saving.load_model(r'{path}', compile=False)  # no custom_objects: our layers are registered on import
x = {{'features': np.load(r'{tmp_path}/x_features.npy'), 'mask': np.load(r'{tmp_path}/x_mask.npy')}}
np.save(r'{tmp_path}/out.npy', m.predict(x, verbose=0))
"""
    # a user's script: importing the package registers the layers
    code = "import hamrec.model\n" + code
    subprocess.run([sys.executable, "-c", code], check=True)
    np.testing.assert_allclose(np.load(tmp_path / "out.npy"), expected, atol=1e-6)
    read = ModelContract.read(path)
    assert read.classes == list("abcde") and read.info == {"note": "kept"} and read.spec == contract_for([]).spec
    loaded, contract = ModelContract.load(path)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), expected, atol=1e-6)
    assert contract.to_dict() == read.to_dict()


def test_a_model_of_another_schema_is_refused_with_what_to_do(tmp_path):
    import json
    import zipfile

    model = build_model(4, 2, 2, TINY)
    contract_for(["a", "b"], 2).save(model, tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as z:
        d = json.loads(z.read("hamrec.json"))
    with pytest.raises(ValueError, match=r"written as 'hamrec-model/99'; this hamrec reads 'hamrec-model/1'.*train the model again"):
        ModelContract.from_dict({**d, "format": "hamrec-model/99"}, "m.keras")
    with pytest.raises(ValueError, match=r"m.keras has no normalizer in its hamrec.json"):
        ModelContract.from_dict({k: v for k, v in d.items() if k != "normalizer"}, "m.keras")


def test_a_model_from_a_newer_keras_is_refused_with_what_to_do(tmp_path):
    """A model saved by a newer Keras than this environment's (trained on Python 3.11+, loaded on 3.10,
    where Keras stops at 3.12) fails inside Keras; the error says which versions and what to do."""
    import zipfile

    contract_for(["a", "b"], 2).save(build_model(4, 2, 2, TINY), tmp_path / "m.keras")

    def archive(version: str) -> Path:
        """m.keras as a Keras ``version`` would write it, with an option this Keras does not know in one layer."""
        with zipfile.ZipFile(tmp_path / "m.keras") as z:
            entries = {n: z.read(n) for n in z.namelist()}
        config = json.loads(entries["config.json"])
        layers = [c for c in _dicts(config) if c.get("class_name") == "Dense"]
        layers[0]["config"]["option_from_the_future"] = None
        entries["config.json"] = json.dumps(config).encode()
        entries["metadata.json"] = json.dumps({**json.loads(entries["metadata.json"]), "keras_version": version}).encode()
        out = tmp_path / f"keras-{version}.keras"
        with zipfile.ZipFile(out, "w") as z:
            for name, data in entries.items():
                z.writestr(name, data)
        return out

    with pytest.raises(ValueError, match=r"saved by Keras 99\.0\.0, and this environment's Keras .* cannot read it "
                                         r"\(.*option_from_the_future.*\); expected Keras 99\.0\.0 or newer.*hamrec\.runtime"):  # fmt: skip
        ModelContract.load(archive("99.0.0"))
    with pytest.raises(Exception) as same:  # the same damage from this very version is not a version problem: Keras' own error
        ModelContract.load(archive(keras.__version__))
    assert "saved by Keras" not in str(same.value)


def _dicts(x):
    """Every dict nested in ``x`` (JSON-like)."""
    if isinstance(x, dict):
        yield x
        x = list(x.values())
    if isinstance(x, list):
        for v in x:
            yield from _dicts(v)


def test_read_errors_name_the_file(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        ModelContract.read(tmp_path / "none.keras")
    (tmp_path / "bad.keras").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="is not a hamrec .keras model"):
        ModelContract.read(tmp_path / "bad.keras")


def _separable(n=60, t=12, f=4, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, classes, n)
    x = rng.normal(0, 0.3, (n, t, f)).astype(np.float32)
    x[np.arange(n), :, y % f] += 2.0
    return {"features": x, "mask": np.ones((n, t), np.float32)}, np.eye(classes, dtype=np.float32)[y]


class ArrayData(keras.utils.PyDataset):
    def __init__(self, x, y, bs=16):
        super().__init__()
        self.x, self.y, self.bs = x, y, bs

    def __len__(self):
        return int(np.ceil(len(self.y) / self.bs))

    def __getitem__(self, i):
        sl = slice(i * self.bs, (i + 1) * self.bs)
        return {k: v[sl] for k, v in self.x.items()}, self.y[sl]


def test_train_run_returns_structured_result_and_writes_csv(tmp_path):
    keras.utils.set_random_seed(0)
    x, y = _separable()
    model = build_model(12, 4, 3, TINY)
    compile_model(model, 3e-3)
    saved = []
    res = train_run(model, ArrayData(x, y), ArrayData(x, y, 256), RunConfig(epochs=40, patience=3, lr=3e-3, warmup_epochs=1, stop_at=1.0),
                    tmp_path / "run.csv", tmp_path / "backup", tmp_path / "latest.keras", lambda m, p: saved.append(p), log=lambda s: None)  # fmt: skip
    assert res.outcome in ("threshold_reached", "early_stopped") and res.val_top1 is not None
    assert 0 <= res.val_top1 <= res.val_top2 <= res.val_top3 <= 1
    assert res.epochs_run >= 1 and res.best_epoch is not None and res.wall_time > 0
    rows = (tmp_path / "run.csv").read_text().strip().splitlines()
    assert rows[0].startswith("epoch") and len(rows) == res.epochs_run + 1
    assert 1 <= len(saved) <= res.epochs_run  # the latest model: after the first epoch, then at most every 30 s, and at the end


def test_every_epoch_logs_how_long_the_model_waited_for_data(tmp_path):
    import csv
    import re
    import time

    class Slow(ArrayData):  # 60 recordings in 4 batches, each taking 50 ms to draw
        def __getitem__(self, i):
            time.sleep(0.05)
            return super().__getitem__(i)

    x, y = _separable()
    model = build_model(12, 4, 3, TINY)
    compile_model(model, 1e-3)
    lines: list[str] = []
    train_run(model, Slow(x, y), ArrayData(x, y, 256), RunConfig(epochs=2, patience=5, warmup_epochs=0), tmp_path / "r.csv", tmp_path / "b", log=lines.append)
    with open(tmp_path / "r.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 2
    for r in rows:
        train, steps = float(r["train_seconds"]), float(r["step_seconds"])
        assert steps > 0 and train - steps >= 4 * 0.05  # the draws are waiting for data, not steps
    assert all(re.search(r"\(\d+s, data \d+%\)$", line) for line in lines if " epoch " in line), lines


def test_the_latest_model_holds_the_last_epoch_not_the_best_one_and_is_not_rewritten_every_epoch(tmp_path):
    keras.utils.set_random_seed(0)
    x, y = _separable()
    model = build_model(12, 4, 3, TINY)
    compile_model(model, 3e-3)
    saved = []  # the weights of each save of the latest model
    res = train_run(model, ArrayData(x, y), ArrayData(x, y, 256), RunConfig(epochs=40, patience=4, lr=3e-3, warmup_epochs=0),
                    tmp_path / "run.csv", tmp_path / "backup", tmp_path / "latest.keras", lambda m, p: saved.append(m.get_weights()),
                    log=lambda s: None)  # fmt: skip
    assert res.outcome == "early_stopped" and res.best_epoch < res.epochs_run, res
    assert len(saved) == 2  # the first epoch and the end: the run takes well under the 30 s between saves
    best = model.get_weights()  # early stopping put the best epoch's weights back
    assert any(not np.array_equal(a, b) for a, b in zip(saved[-1], best))  # the end's save holds the last epoch's weights


def test_a_resumed_run_draws_the_data_of_the_epoch_it_resumes_at(tmp_path):
    class Recording(ArrayData):
        epoch = 0

        def __getitem__(self, i):
            drawn.append(self.epoch)
            return super().__getitem__(i)

    x, y = _separable()
    model = build_model(12, 4, 3, TINY)
    compile_model(model, 1e-3)
    drawn: list[int] = []
    cfg = RunConfig(epochs=2, patience=50, lr=1e-3, warmup_epochs=0)
    train_run(model, Recording(x, y), ArrayData(x, y, 256), cfg, tmp_path / "r.csv", tmp_path / "backup", log=lambda s: None)
    assert sorted(set(drawn)) == [0, 1]
    drawn.clear()  # a new process would start here: same backup folder, more epochs
    train_run(model, Recording(x, y), ArrayData(x, y, 256), replace(cfg, epochs=4), tmp_path / "r.csv", tmp_path / "backup", log=lambda s: None)
    assert sorted(set(drawn)) == [2, 3]  # continued at epoch 2 with epoch 2's random stream, not epoch 0's


def test_averaged_weights_are_validated_kept_and_delivered_and_a_resumed_run_goes_on_exactly(tmp_path):
    """--average-epochs: validation, early stopping's best and the end of a run see the optimizer's moving average
    of the weights, while the backup holds the weights themselves, so a run resumed in a new process ends exactly
    as the uninterrupted one."""
    import csv

    x, y = _separable()

    def run(name: str, epochs: int, seed: int | None = 0, average_steps: int = 4):
        if seed is not None:
            keras.utils.set_random_seed(seed)
        model = build_model(12, 4, 3, TINY)
        compile_model(model, 3e-3, average_steps=average_steps)  # 4 batches an epoch: about one epoch
        cfg = RunConfig(epochs=epochs, patience=50, plateau_patience=50, lr=3e-3, warmup_epochs=0)
        res = train_run(model, ArrayData(x, y), ArrayData(x, y, 256), cfg, tmp_path / f"{name}.csv", tmp_path / name, log=lambda s: None)
        return model, res

    whole, res = run("whole", 6)
    with open(tmp_path / "whole.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    # the weights kept as best are the weights validation scored at that epoch
    assert float(rows[res.best_epoch - 1]["val_loss"]) == pytest.approx(res.val_loss, rel=1e-5)

    def backed_up(name: str) -> list:
        model = build_model(12, 4, 3, TINY)
        model.load_weights(tmp_path / name / json.loads((tmp_path / name / "training_metadata.json").read_text())["weights"])
        return model.get_weights()

    # what is trained is the weights themselves, exactly as without averaging; the backup holds them, not their average
    run("plain", 6, average_steps=0)
    assert all(np.allclose(a, b, atol=1e-6) for a, b in zip(backed_up("whole"), backed_up("plain")))
    assert any(not np.allclose(a, b, atol=1e-3) for a, b in zip(backed_up("whole"), whole.get_weights()))

    run("resumed", 3)  # killed after three epochs, then a new process with a model of other initial weights goes on
    resumed, again = run("resumed", 6, seed=None)
    assert again.best_epoch == res.best_epoch and again.val_loss == pytest.approx(res.val_loss, rel=1e-6)
    assert all(np.allclose(a, b, atol=1e-6) for a, b in zip(resumed.get_weights(), whole.get_weights()))


def test_two_classes_train(tmp_path):
    x, y = _separable()
    keep = y.argmax(1) < 2
    x2, y2 = {k: v[keep] for k, v in x.items()}, y[keep][:, :2]
    model = build_model(12, 4, 2, TINY)
    compile_model(model, 1e-3)  # top-3 of two classes: every class, not an error
    res = train_run(model, ArrayData(x2, y2), ArrayData(x2, y2, 256), RunConfig(epochs=2, patience=5), tmp_path / "r.csv", tmp_path / "b", log=lambda s: None)
    assert res.outcome != "failed", res.error
    assert res.val_top3 == 1.0


def test_train_run_early_stopping_fires_on_a_stall(tmp_path):
    rng = np.random.default_rng(0)
    x = {"features": rng.normal(size=(40, 8, 3)).astype(np.float32), "mask": np.ones((40, 8), np.float32)}
    y = np.eye(4, dtype=np.float32)[rng.integers(0, 4, 40)]  # labels are noise: val accuracy cannot keep improving
    model = build_model(8, 3, 4, TINY)
    compile_model(model, 1e-3)
    res = train_run(model, ArrayData(x, y), ArrayData(x, y, 256), RunConfig(epochs=60, patience=2, lr=1e-3, warmup_epochs=0),
                    tmp_path / "r.csv", tmp_path / "b", log=lambda s: None)  # fmt: skip
    assert res.early_stopped and res.outcome == "early_stopped" and res.epochs_run < 60


def test_train_run_failure_is_a_failed_result(tmp_path):
    x, y = _separable()
    model = build_model(12, 4, 3, TINY)
    compile_model(model, 1e-3)
    bad = ArrayData(x, y[:, :2])  # wrong label width: fit raises
    res = train_run(model, bad, ArrayData(x, y, 256), RunConfig(epochs=2, patience=1), tmp_path / "r.csv", tmp_path / "b", log=lambda s: None)
    assert res.outcome == "failed" and res.val_top1 is None and res.error


def test_stop_at_threshold_and_warmup_callbacks():
    cb = StopAtThreshold(0.9)
    cb.set_model(build_model(4, 2, 2, TINY))
    cb.model.stop_training = False  # fit() sets this before the first epoch
    cb.on_train_begin()
    cb.on_epoch_end(0, {"val_top1": 0.5})
    assert not cb.model.stop_training
    cb.on_epoch_end(1, {"val_top1": 0.95})
    assert cb.model.stop_training and cb.reached_epoch == 1
    model = build_model(4, 2, 2, TINY)
    compile_model(model, 1e-3)
    w = Warmup(1e-3, 3)
    w.set_model(model)
    w.on_epoch_begin(0)
    assert float(keras.ops.convert_to_numpy(model.optimizer.learning_rate)) == pytest.approx(2.5e-4)
    w.on_epoch_begin(3)
    assert float(keras.ops.convert_to_numpy(model.optimizer.learning_rate)) == pytest.approx(1e-3)


def test_attention_dropout_is_its_own_setting_and_older_models_keep_theirs():
    from hamrec.model.layers import TransformerBlock

    model = build_model(16, 6, 3, replace(TINY, attention_dropout=0.0))
    blocks = [layer for layer in model.layers if isinstance(layer, TransformerBlock)]
    assert blocks and all(b.attn.dropout == 0.0 and b.dropout == TINY.dropout for b in blocks)
    saved = {k: v for k, v in blocks[0].get_config().items() if k != "attention_dropout"}  # a block saved before the setting existed
    assert TransformerBlock.from_config({**saved, "dropout": 0.2}).attn.dropout == 0.2


def test_small_validation_splits_are_encoded_once():
    from hamrec.data.sequence import SignSequence
    from hamrec.training.pipeline import EncodedBatches

    contract = contract_for(["a", "b"], features=1)
    seqs = [SignSequence(np.full((5, 1, 1), i, np.float32), np.ones((5, 1), bool), 30, "array", ["c"], f"f{i}") for i in range(10)]
    encoded = []
    encode = contract.encode
    contract.encode = lambda s: encoded.append(len(s)) or encode(s)
    labels = ["a", "b"] * 5
    kept = EncodedBatches(seqs, labels, {"a": 0, "b": 1}, contract, batch_size=4)
    first = [kept[i] for i in range(len(kept))]
    again = [kept[i] for i in range(len(kept))]
    assert encoded == [4, 4, 2] and all(a is b for a, b in zip(first, again))  # the second epoch encodes nothing
    encoded.clear()
    large = EncodedBatches(seqs, labels, {"a": 0, "b": 1}, contract, batch_size=4, keep_bytes=0)  # a split above the limit
    for _ in range(2):
        [large[i] for i in range(len(large))]
    assert encoded == [4, 4, 2] * 2
    np.testing.assert_array_equal(first[1][0]["features"], large[1][0]["features"])


def test_a_backup_torn_by_a_kill_resumes_from_the_epoch_before(tmp_path):
    """A process killed while the next epoch's weights were being written leaves the backup of the epoch before intact."""
    from hamrec.training.callbacks import AtomicBackup

    x, y = _separable()
    model = build_model(12, 4, 3, TINY)
    compile_model(model, 1e-3)
    model.fit(ArrayData(x, y), epochs=2, verbose=0, callbacks=[AtomicBackup(str(tmp_path / "backup"), save_freq="epoch", delete_checkpoint=False)])
    after_two = model.get_weights()
    (tmp_path / "backup" / "epoch-3.weights.h5").write_bytes(b"\x89HDF\r\n")  # the kill: epoch 3's file half written, not yet named
    resumed = build_model(12, 4, 3, TINY)
    compile_model(resumed, 1e-3)
    backup = AtomicBackup(str(tmp_path / "backup"), save_freq="epoch", delete_checkpoint=False)
    backup.set_model(resumed)
    backup.on_train_begin()
    assert resumed._initial_epoch == 2
    assert all(np.array_equal(a, b) for a, b in zip(resumed.get_weights(), after_two))
    assert sorted(p.name for p in (tmp_path / "backup").glob("*.weights.h5")) == ["epoch-2.weights.h5", "epoch-3.weights.h5"]
