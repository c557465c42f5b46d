"""HamNoSys recognition (issue 17): parameters from the notation, phonological heads, explained answers, signs found by their notation."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from hamrec.contract import ModelContract
from hamrec.data.cache import RecordingCache
from hamrec.features import FeatureSpec, Normalizer
from hamrec.hamnosys import from_names
from hamrec.hamnosys.parameters import VOCABULARIES, parameters
from hamrec.training.pipeline import Targets

from .conftest import ROOT, write_array_dataset


def sign(*names: str) -> str:
    return from_names(list(names))


def test_every_parameter_takes_one_value_of_its_vocabulary():
    one = parameters(sign("hamfinger2", "hamextfingeru", "hampalml", "hamforehead", "hamclose", "hammovedo", "hamrepeatfromstart"))
    assert one == {"handshape": "hamfinger2", "extended_finger": "hamextfingeru", "palm": "hampalml", "nondominant_handshape": "none",
                   "location": "hamforehead", "movement": "straight", "symmetry": "one_hand", "repetition": "hamrepeatfromstart"}  # fmt: skip
    two = parameters(sign("hamsymmlr", "hamflathand", "hamextfingeru", "hampalml", "hamchest", "hamcircleo"))
    assert two["symmetry"] == "hamsymmlr" and two["movement"] == "circle" and two["location"] == "hamchest" and two["repetition"] == "none"
    for values in (one, two):
        assert all(v in VOCABULARIES[p] for p, v in values.items())


def test_a_label_without_notation_trains_the_class_output_only():
    labels = {"a": {"parameters": parameters(sign("hamfist", "hamextfingeru", "hampalml", "hamchest", "hammoveo"))}, "b": {}}
    contract = ModelContract(["a", "b"], labels, FeatureSpec("array", 1, 1), Normalizer([0], [1]), info={"parameters": VOCABULARIES})
    y = Targets({"a": 0, "b": 1}, contract)(["a", "b"])
    assert y["classes"].tolist() == [[1, 0], [0, 1]]
    for p, values in VOCABULARIES.items():
        assert y[f"param_{p}"].shape == (2, len(values))
        assert y[f"param_{p}"][0].sum() == 1 and y[f"param_{p}"][1].sum() == 0  # b: no target, so no loss and no accuracy
    assert y["param_handshape"][0, VOCABULARIES["handshape"].index("hamfist")] == 1
    no_heads = ModelContract(["a", "b"], labels, FeatureSpec("array", 1, 1), Normalizer([0], [1]))
    assert isinstance(Targets({"a": 0, "b": 1}, no_heads)(["a"]), np.ndarray)


def test_heads_only_where_the_labels_carry_notation(tmp_path):
    from hamrec.training.loop import LoopConfig, prepare_job

    def job(data, **kw):
        cfg = LoopConfig(include_datasets=(str(data),), cache_dir=None, seq_len=16, **kw)
        return prepare_job(cfg, tmp_path / f"job-{data.name}-{len(kw)}", lambda s: None)

    mixed = write_array_dataset(tmp_path / "mixed")  # sign0 has notation, sign1 and sign2 have none
    contract = job(mixed).contract
    assert list(contract.info["parameters"]) == list(VOCABULARIES)
    assert "parameters" in contract.labels["sign0"] and "parameters" not in contract.labels["sign1"]
    assert "parameters" not in job(mixed, parameter_weight=0.0).contract.info  # --parameter-weight 0: classes only
    plain = write_array_dataset(tmp_path / "plain")
    rows = list(csv.DictReader(open(plain / "manifest.csv")))
    with open(plain / "manifest.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows({**r, "hamnosys": ""} for r in rows)
    assert "parameters" not in job(plain).contract.info  # no notation anywhere (Auslan, dgs11): no heads


def test_the_hand_heads_read_the_hands_relative_to_their_wrists_and_the_location_head_the_positions():
    from hamrec.data.formats import keypoints as kp
    from hamrec.data.sequence import SequenceBatch, SignSequence
    from hamrec.features import prepare_batch

    spec = FeatureSpec(kp.LAYOUT, kp.NUM_POINTS, 3, seq_len=16, centred=True, dominant_right=True)
    groups = spec.parameter_groups()
    hands, positions = set(groups["hands"][1]), set(groups["positions"][1])
    assert "handshape" in groups["hands"][0] and groups["positions"][0] == ["location"]
    assert not hands & positions and len(hands | positions) == spec.num_features
    rng = np.random.default_rng(0)
    data = rng.normal(0, 0.2, (20, kp.NUM_POINTS, 3)).astype(np.float32)
    data[:, kp.FACE] = np.nan
    elsewhere = data.copy()
    elsewhere[:, kp.RIGHT_HAND] += np.float32([0.5, -0.3, 0.1])  # the same handshape at another place
    other_shape = data.copy()
    other_shape[:, kp.RIGHT_HAND.start + 8] += np.float32([0.1, 0.2, 0.0])  # the index fingertip elsewhere, the wrist where it was
    seqs = [SignSequence(d, ~np.isnan(d[..., 0]), 25.0, kp.LAYOUT, kp.POINTS) for d in (data, elsewhere, other_shape)]
    x, _ = prepare_batch(SequenceBatch.of(seqs), spec)
    differs = lambda a, b: set(np.flatnonzero(~np.isclose(a, b, atol=1e-5).all(axis=0)).tolist())  # noqa: E731
    assert differs(x[0], x[1]) and differs(x[0], x[1]) <= positions  # where the hand is: positions only
    assert differs(x[0], x[2]) & hands  # its shape: the hands' columns
    assert not FeatureSpec("array", 4, 1).parameter_groups()  # other layouts: every head reads the classifier's features


def test_pathways_are_saved_with_the_model_and_switched_off_by_the_flag(tmp_path):
    import keras

    from hamrec.data.formats import keypoints as kp
    from hamrec.model.builder import build_model

    spec = FeatureSpec(kp.LAYOUT, kp.NUM_POINTS, 3, seq_len=8, centred=True)
    heads = {p: len(v) for p, v in VOCABULARIES.items()}
    model = build_model(8, spec.num_features, 3, parameters=heads, groups=spec.parameter_groups())
    names = {layer.name for layer in model.layers}
    assert {"hands_columns", "positions_columns"} <= names
    model.save(tmp_path / "m.keras")
    again = keras.saving.load_model(tmp_path / "m.keras", compile=False)
    x = {"features": np.random.default_rng(0).normal(size=(2, 8, spec.num_features)).astype("float32"), "mask": np.ones((2, 8), "float32")}
    for name in ("param_handshape", "param_location", "param_movement", "classes"):
        np.testing.assert_allclose(keras.ops.convert_to_numpy(again(x)[name]), keras.ops.convert_to_numpy(model(x)[name]), atol=1e-6)
    plain = build_model(8, spec.num_features, 3, parameters=heads)  # --no-parameter-pathways
    assert not {"hands_columns", "positions_columns"} & {layer.name for layer in plain.layers}


# A handshape family and a location family; B combines a handshape of one with a location of the
# other, so no training recording shows it, while each of its parameters is in several signs.
A = [(f"HS-{hs}", sign(hs, "hamextfingeru", "hampalml", "hamchest", "hammoveo")) for hs in ("hamfist", "hamflathand", "hamfinger2", "hamfinger2345")]
A += [(f"LOC-{loc}", sign("hamflathand", "hamextfingeru", "hampalml", loc, "hamclose", "hammovedo")) for loc in ("hamforehead", "hamchin", "hamstomach")]
B = [("NEW-FINGER2-FOREHEAD", sign("hamfinger2", "hamextfingeru", "hampalml", "hamforehead", "hamclose", "hammovedo"))]


@pytest.fixture(scope="module")
def notation_model(tmp_path_factory):
    """A model trained through the CLI on renderings of A only: (model path, folder of B's renderings, lexicon CSV of A and B)."""
    from hamrec.synth import write_dataset

    tmp = tmp_path_factory.mktemp("notation")
    write_dataset(tmp / "a", A, signers=5, repetitions=3, seed=0)
    write_dataset(tmp / "b", B, signers=5, repetitions=2, seed=0)
    with open(tmp / "lexicon.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["gloss", "hamnosys"])
        w.writerows(A + B)
    cmd = [sys.executable, str(ROOT / "automated_training.py"), "--include-datasets", str(tmp / "a"), "--model-dir", str(tmp / "model"),
           "--log-file", str(tmp / "log.txt"), "--cache-dir", str(tmp / "cache"), "--max-classes-per-batch", "0", "--epochs", "60",
           "--patience", "15", "--seq-len", "32", "--no-refit", "--no-run-inference"]  # fmt: skip
    subprocess.run(cmd, check=True, capture_output=True, env={**os.environ, "KERAS_BACKEND": "torch"})
    return tmp / "model" / "best_model.keras", tmp / "b", tmp / "lexicon.csv"


def test_heads_are_trained_reported_and_saved_with_the_model(notation_model):
    from hamrec.inference.predict import Recognizer

    model_path, _, _ = notation_model
    summary = json.loads((model_path.parent / "training_summary.json").read_text())
    run = summary["training_runs"][0]
    assert set(run["val_parameters"]) == set(VOCABULARIES) and summary["final"]["parameters"]["handshape"] > 0.5
    rec = Recognizer.load(model_path)  # a fresh load keeps the heads
    assert list(rec.parameters) == list(VOCABULARIES)
    seq = RecordingCache(None).load(rec.contract.split["val"][0]["path"])
    probs, params, _ = rec.outputs([seq, seq])
    assert probs.shape == (2, len(A)) and set(params) == set(VOCABULARIES)
    np.testing.assert_allclose(params["handshape"].sum(axis=1), 1, atol=1e-5)


def test_inference_explains_and_finds_a_never_trained_sign_by_its_notation(notation_model):
    model_path, b_folder, lexicon = notation_model
    files = sorted(str(p) for p in b_folder.rglob("*.pose"))
    out = subprocess.run([sys.executable, str(ROOT / "inference_hamnosys.py"), "--model-path", str(model_path), "--input", *files,
                          "--lexicon", str(lexicon), "--top-k", "3", "--json"], capture_output=True, text=True,
                         env={**os.environ, "KERAS_BACKEND": "torch"})  # fmt: skip
    assert out.returncode == 0, out.stderr
    results = json.loads(out.stdout)["results"]
    assert len(results) == len(files)
    for r in results:
        assert set(r["parameters"]) == set(VOCABULARIES) and 0 < r["parameters"]["handshape"]["probability"] <= 1
        assert "differences" in r and all(len(v) == 2 for v in r["differences"].values())
        assert len(r["lexicon"]) == 3 and all(isinstance(c["seen_in_training"], bool) for c in r["lexicon"])
    found = [r["lexicon"][0]["gloss"] == B[0][0] for r in results]
    assert np.mean(found) >= 0.5, [r["lexicon"][0]["gloss"] for r in results]
    assert all(not c["seen_in_training"] for r in results for c in r["lexicon"] if c["gloss"] == B[0][0])
    assert all(c["seen_in_training"] for r in results for c in r["lexicon"] if c["gloss"] != B[0][0])


def test_lexicon_needs_a_model_with_heads(trained, tmp_path):
    model_path, _, _ = trained
    (tmp_path / "lex.csv").write_text("gloss,hamnosys\nX," + sign("hamfist", "hamchest") + "\n", encoding="utf-8")
    from hamrec.inference.lexicon import Lexicon

    assert len(Lexicon.read(tmp_path / "lex.csv")) == 1
    with pytest.raises(ValueError, match="gloss,hamnosys"):
        (tmp_path / "bad.csv").write_text("name,notation\nX,Y\n")
        Lexicon.read(tmp_path / "bad.csv")


def test_a_recording_of_a_gloss_with_variants_is_right_about_a_parameter_of_any_of_them():
    """The label names the gloss, not which of its lexicon entries (variants) the recording shows."""
    from hamrec.inference.lexicon import Lexicon, accuracy

    lexicon = Lexicon(["A", "A", "B"], ["a1", "a2", "b"], {"handshape": ["flat", "fist", "fist"]}, [])
    vocabularies = {"handshape": ["flat", "fist"]}
    predicted = {"handshape": np.array([[0.1, 0.9], [0.8, 0.2]])}  # A shown as its second variant's fist; B as flat, which it is not
    assert accuracy(lexicon, predicted, vocabularies, ["A", "B"])["parameters"] == {"handshape": 0.5}
