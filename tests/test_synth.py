"""The synthesizer: each HamNoSys parameter changes the motion where it should; output is valid .pose."""

from __future__ import annotations

import numpy as np
import pytest

from hamrec.data.formats import keypoints as kp
from hamrec.data.formats import load_recording
from hamrec.hamnosys import from_names
from hamrec.synth import synthesize, write_dataset
from hamrec.synth.body import Signer
from hamrec.synth.lexicon import builtin_lexicon

STILL = Signer(tremor=0.0, noise=0.0, dropout=0.0, viewpoint_deg=0.0)  # no randomness in the body: effects are exact


def synth(names: str, signer: Signer = STILL) -> np.ndarray:
    return synthesize(from_names(names), signer, np.random.default_rng(0))


def right_wrist(d):
    return d[:, kp.INDEX["RIGHT_WRIST"]]


def test_location_moves_the_hand_to_that_body_region():
    forehead = right_wrist(synth("hamflathand,hamextfingeru,hampalml,hamforehead,hamnomotion")).mean(0)
    chin = right_wrist(synth("hamflathand,hamextfingeru,hampalml,hamchin,hamnomotion")).mean(0)
    stomach = right_wrist(synth("hamflathand,hamextfingeru,hampalml,hamstomach,hamnomotion")).mean(0)
    shoulders_y = 0.0
    assert forehead[1] < chin[1] < shoulders_y < stomach[1]  # y grows downwards
    tip = synth("hamflathand,hamextfingeru,hampalml,hamforehead,hamtouch,hamnomotion")[:, kp.RIGHT_HAND.start + 12].mean(0)
    assert tip[1] < -0.2  # with contact, the fingertips reach the forehead (above the nose at y = -0.22)


def test_handshape_changes_finger_geometry():
    def spread(names):
        d = synth(names)
        hand = d[:, kp.RIGHT_HAND]
        return np.linalg.norm(hand[:, [8, 12, 16, 20]] - hand[:, [0]], axis=-1).mean(0)  # wrist to each fingertip

    flat = spread("hamflathand,hamextfingeru,hampalml,hamchest,hamnomotion")
    fist = spread("hamfist,hamextfingeru,hampalml,hamchest,hamnomotion")
    index = spread("hamfinger2,hamextfingeru,hampalml,hamchest,hamnomotion")
    assert (flat > fist + 0.05).all()
    assert index[0] > fist[0] + 0.05 and np.allclose(index[1:], fist[1:], atol=0.01)  # only the index finger is extended


def test_orientation_turns_the_hand():
    up = synth("hamflathand,hamextfingeru,hampalml,hamchest,hamnomotion")[0, kp.RIGHT_HAND]
    out = synth("hamflathand,hamextfingero,hampalmd,hamchest,hamnomotion")[0, kp.RIGHT_HAND]
    fingers_up, fingers_out = up[12] - up[0], out[12] - out[0]
    assert fingers_up[1] < -0.1 and abs(fingers_up[2]) < 0.03
    assert fingers_out[2] > 0.1 and abs(fingers_out[1]) < 0.03


def test_symmetry_produces_a_mirrored_second_hand():
    d = synth("hamsymmlr,hamflathand,hamextfingeru,hampalml,hamchest,hammover")
    right, left = d[:, kp.RIGHT_HAND], d[:, kp.LEFT_HAND]
    np.testing.assert_allclose(left * [-1, 1, 1], right, atol=1e-4)
    assert right_wrist(d)[-1, 0] < right_wrist(d)[0, 0] - 0.1  # the right hand moves to the signer's right
    one = synth("hamflathand,hamextfingeru,hampalml,hamchest,hammover")
    assert np.ptp(one[:, kp.LEFT_HAND.start, 1]) < 1e-6  # without symmetry the other hand rests


def test_repetition_repeats():
    once = right_wrist(synth("hamfinger2,hamextfingeru,hampalml,hamchest,hammoveo"))[:, 2]
    twice = right_wrist(synth("hamfinger2,hamextfingeru,hampalml,hamchest,hammoveo,hamrepeatfromstart"))[:, 2]
    thrice = right_wrist(synth("hamfinger2,hamextfingeru,hampalml,hamchest,hammoveo,hamrepeatfromstartseveral"))[:, 2]

    def strokes(z):  # outward strokes: the wrist crosses the middle of its range going out
        mid = (z.min() + z.max()) / 2
        return int(((z[:-1] < mid) & (z[1:] >= mid)).sum())

    assert (strokes(once), strokes(twice), strokes(thrice)) == (1, 2, 3)


def test_movement_size_and_speed():
    plain = right_wrist(synth("hamfinger2,hamextfingeru,hampalml,hamchest,hammoveo"))
    large = right_wrist(synth("hamfinger2,hamextfingeru,hampalml,hamchest,hammoveo,hamlargemod"))
    fast = right_wrist(synth("hamfinger2,hamextfingeru,hampalml,hamchest,hammoveo,hamfast"))
    assert np.ptp(large[:, 2]) > 1.4 * np.ptp(plain[:, 2])
    assert len(fast) < len(plain)


def test_circle_returns_and_replacement_changes_the_handshape():
    circle = right_wrist(synth("hamfinger2,hamextfingeru,hampalmd,hamneutralspace,hamcircleo"))
    holds_end = circle[-1]
    assert np.linalg.norm(holds_end - circle[0]) < 0.01 and np.ptp(circle[:, 0]) > 0.05
    d = synth("hamflathand,hamextfingeru,hampalml,hamchest,hamreplace,hamfist")
    tips = np.linalg.norm(d[:, kp.RIGHT_HAND.start + 12] - d[:, kp.RIGHT_HAND.start], axis=-1)
    assert tips[0] > tips[-1] + 0.05  # opens as a flat hand, ends as a fist


def test_lexicon_has_families_and_distinct_notations():
    lex = builtin_lexicon()
    assert len(lex) >= 50 and len({t for _, t in lex}) == len(lex) and len({g for g, _ in lex}) == len(lex)
    families = {g.split("-")[0] for g, _ in lex}
    assert families == {"HS", "LOC", "MOV", "ORI", "TWO", "REP"}


def test_written_files_are_valid_pose_and_deterministic(tmp_path):
    from pose_format import Pose

    lex = builtin_lexicon()[:3]
    a = write_dataset(tmp_path / "a", lex, signers=2, repetitions=1, seed=7)
    b = write_dataset(tmp_path / "b", lex, signers=2, repetitions=1, seed=7)
    files = sorted(p.relative_to(a) for p in a.rglob("*.pose"))
    assert len(files) == 6
    for rel in files:
        assert (a / rel).read_bytes() == (b / rel).read_bytes()
        pose = Pose.read((a / rel).read_bytes())
        assert pose.body.data.shape[1:] == (1, 51, 3) and pose.body.fps == 25
        seq = load_recording(a / rel)
        assert seq.layout == kp.LAYOUT and seq.mask[:, kp.RIGHT_HAND].any()
    manifest = (a / "manifest.csv").read_text().splitlines()
    assert manifest[0] == "path,label,gloss,hamnosys,signer" and len(manifest) == 7


@pytest.mark.parametrize("seed", [0, 1])
def test_signers_differ(seed):
    a = synthesize(builtin_lexicon()[0][1], Signer.sample(np.random.default_rng([seed, 0])), np.random.default_rng(1))
    b = synthesize(builtin_lexicon()[0][1], Signer.sample(np.random.default_rng([seed, 1])), np.random.default_rng(1))
    assert a.shape[1:] == b.shape[1:] and not np.allclose(a[: min(len(a), len(b))], b[: min(len(a), len(b))], equal_nan=True)
