"""HamNoSys: symbol table, conversions, parser structure, malformed input, features, the real lexicon."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from hamrec import hamnosys as H
from hamrec.hamnosys import symbols as S

from .conftest import LEXICON, need


def ham(names: str) -> str:
    return H.from_names(names)


@pytest.mark.parametrize("char,name,category", [
    ("\ue000", "hamfist", S.HANDSHAPE), ("\ue001", "hamflathand", S.HANDSHAPE), ("\ue00d", "hamthumbacrossmod", S.THUMB),
    ("\ue012", "hamfingerhookmod", S.BENDING), ("\ue020", "hamextfingeru", S.EXTFINGER), ("\ue03e", "hampalml", S.PALM),
    ("\ue052", "hamchest", S.LOCATION), ("\ue059", "hamlrat", S.LOC_MODIFIER), ("\ue075", "hamfingertip", S.HAND_PART),
    ("\ue0d1", "hamtouch", S.CONTACT), ("\ue089", "hammoveo", S.STRAIGHT), ("\ue093", "hamcirclei", S.CIRCLE),
    ("\ue0ba", "hamarcu", S.ARC), ("\ue0bd", "hamwavy", S.WAVE), ("\ue0be", "hamzigzag", S.WAVE), ("\ue0c6", "hamsmallmod", S.SIZE),
    ("\ue0c8", "hamfast", S.SPEED), ("\ue0d8", "hamrepeatfromstart", S.REPEAT), ("\ue0e2", "hamparbegin", S.BRACKET),
    ("\ue0e9", "hamsymmlr", S.SYMMETRY), ("\ue0ea", "hamnondominant", S.NONDOMINANT), ("\ue0aa", "hamreplace", S.ACTION),
    ("\ue0f1", "hamversion40", S.META), (" ", "space", S.SPACE),
])  # fmt: skip
def test_symbol_table(char, name, category):
    sym = S.SYMBOLS[char]
    assert (sym.name, sym.category) == (name, category)
    assert S.BY_NAME[name].char == char


def test_table_is_unique_and_in_range():
    pua = [c for c in S.SYMBOLS if 0xE000 <= ord(c) <= 0xE0F1]
    assert len(pua) == 201 and len(S.BY_NAME) == len(S.SYMBOLS)
    assert S.lookup_name("hampalmud").name == "hampalmd"  # spelling found in real data


def test_round_trips():
    text = ham("hamsymmlr,hamflathand,hamthumboutmod,hamextfingeru,hampalml,hamchest,hamparbegin,hammoveo,hamplus,hammovei,hamparend,hamrepeatfromstart")
    names = H.to_names(text)
    assert H.from_names(names) == text and H.from_names(",".join(names)) == text
    assert H.from_text(text) == text and H.from_text(",".join(names)) == text  # what a user may type: either form
    sigml = H.to_sigml(text, "TEST")
    assert sigml.startswith('<sigml><hns_sign gloss="TEST">') and "<hamflathand/>" in sigml
    assert H.from_sigml(sigml) == [("TEST", text)]


def test_structure_of_a_one_handed_sign():
    s = H.parse(ham("hamfinger2,hamthumbacrossmod,hamfingerbendmod,hamextfingerol,hampalml,hamchin,hamtouch,hammoveo,hamsmallmod,hamfast,hamrepeatfromstart"))
    assert s.dominant.handshape == "hamfinger2" and s.dominant.thumb == ["hamthumbacrossmod"] and s.dominant.bending == ["hamfingerbendmod"]
    assert s.dominant.extended_finger == ["hamextfingerol"] and s.dominant.palm == ["hampalml"]
    assert s.locations == ["hamchin"] and s.contacts == ["hamtouch"] and not s.two_handed
    move = s.movements[0]
    assert (move.kind, move.symbols, move.modifiers) == ("straight", ["hammoveo"], ["hamsmallmod", "hamfast"])
    assert s.repetitions == ["hamrepeatfromstart"]


def test_symmetry_two_hands_groups_and_replacement():
    s = H.parse(ham("hamsymmpar,hamalternatingmotion,hamparbegin,hamflathand,hamextfingeru,hampalml,hamplus,hamfist,hamextfingero,hampalmd,"
                    "hamparend,hamneutralspace,hamseqbegin,hammoveu,hamarcl,hamcirclei,hamseqend,hamreplace,hampinchall,hamextfingerd"))  # fmt: skip
    assert s.symmetry == "hamsymmpar" and s.symmetry_modifiers == ["hamalternatingmotion"] and s.two_handed
    assert s.dominant.handshape == "hamflathand" and s.nondominant.handshape == "hamfist" and s.nondominant.palm == ["hampalmd"]
    seq, replace = s.movements
    assert seq.kind == "seq" and [(m.kind, m.symbols, m.modifiers) for m in seq.children] == [("straight", ["hammoveu"], ["hamarcl"]), ("circle", ["hamcirclei"], [])]
    assert replace.kind == "replace" and replace.target.handshape == "hampinchall" and replace.target.extended_finger == ["hamextfingerd"]


def test_wavy_zigzag_parallel():
    s = H.parse(ham("hamflathand,hamextfingeru,hampalml,hamparbegin,hammover,hamwavy,hamplus,hammovel,hamzigzag,hamparend"))
    par = s.movements[0]
    assert par.kind == "par" and [m.modifiers for m in par.children if m.kind == "straight"] == [["hamwavy"], ["hamzigzag"]]


@pytest.mark.parametrize("text,match", [
    ("hamflathand,hamparbegin,hammoveo", r"hamparbegin is never closed at position 1 \(hamparbegin\)"),
    ("hamflathand,hammoveo,hamparend", r"hamparend closes nothing at position 2"),
    ("hamflathand,hamparbegin,hammoveo,hamseqend", r"hamseqend does not match hamparbegin \(opened at 1\) at position 3"),
    ("hamthumbacrossmod,hamflathand", r"handshape modifier with no handshape before it at position 0 \(hamthumbacrossmod\)"),
    ("hamsmallmod,hamflathand,hammoveo", r"movement modifier with nothing to modify at position 0"),
    ("hamflathand,hamextfingeru,hamreplace", r"hamreplace with nothing after it at position 2"),
])  # fmt: skip
def test_malformed_input_names_position_and_symbol(text, match):
    with pytest.raises(H.HamNoSysError, match=match):
        H.parse(ham(text))


def test_unknown_code_point_is_reported_not_dropped():
    with pytest.raises(H.HamNoSysError, match=r"unknown code point U\+E0FF.* at position 1"):
        H.parse("\ue001\ue0ff\ue020")
    with pytest.raises(H.HamNoSysError, match=r"unknown code point U\+0041"):
        H.to_names("\ue001A")
    with pytest.raises(H.HamNoSysError, match=r"unknown symbol name 'hamflat'"):
        H.from_names("hamflat,hamextfingeru")
    with pytest.raises(H.HamNoSysError, match="empty"):
        H.parse("")


def test_features_are_stable_and_similarity_ranks_one_parameter_changes():
    base = ham("hamflathand,hamextfingeru,hampalml,hamchest,hammoveo")
    vec = H.features(base)
    assert len(vec) == len(H.VOCABULARY) and set(vec) == {0.0, 1.0}
    on = {H.VOCABULARY[i] for i, v in enumerate(vec) if v}
    assert on == {("handshape", "hamflathand"), ("extended_finger", "hamextfingeru"), ("palm", "hampalml"), ("location", "hamchest"),
                  ("movement", "hammoveo"), ("hands", "one")}  # fmt: skip
    location_changed = ham("hamflathand,hamextfingeru,hampalml,hamchin,hammoveo")
    shape_changed = ham("hamfist,hamextfingeru,hampalml,hamchest,hammoveo")
    unrelated = ham("hamsymmlr,hampinchall,hamextfingerd,hampalmu,hamhead,hamcirclei,hamrepeatfromstart")
    assert H.similarity(base, base) == 1.0
    assert 0.7 < H.similarity(base, location_changed) < 1 and 0.7 < H.similarity(base, shape_changed) < 1
    assert H.similarity(base, unrelated) < 0.3


def test_real_lexicon_coverage():
    entries = json.loads(need(LEXICON).read_text(encoding="utf-8"))
    texts = {k: v["hamnosys"] for k, v in entries.items() if v.get("hamnosys")}
    failed = {}
    for k, t in texts.items():
        try:
            H.parse(t)
        except H.HamNoSysError as e:
            failed[k] = str(e)
    assert len(texts) == 5752
    # the two failures are real bracket errors in the lexicon, reported with their positions
    assert failed == {"31004": "hamseqend does not match hamparbegin (opened at 14) at position 19 (hamseqend)",
                      "pjm_3460": "hamparbegin is never closed at position 9 (hamparbegin)"}  # fmt: skip
    with_names = {k: v["hamnosys_text"] for k, v in entries.items() if v.get("hamnosys_text") not in (None, "None")}
    assert len(with_names) == 5712 and all(H.from_names(n) == entries[k]["hamnosys"] for k, n in with_names.items())


def test_cli_validate_and_show(tmp_path):
    lexicon = tmp_path / "data.json"
    lexicon.write_text(json.dumps({"a": {"hamnosys": ham("hamflathand,hamextfingeru,hampalml"), "hamnosys_text": "hamflathand,hamextfingeru,hampalml"},
                                   "b": {"hamnosys": ham("hamflathand,hamparbegin"), "hamnosys_text": "hamfist"}}))  # fmt: skip
    out = subprocess.run([sys.executable, "-m", "hamrec.cli.main", "hamnosys", "validate", str(lexicon)], capture_output=True, text=True)
    assert out.returncode == 1 and "2 entries with HamNoSys; parsed 1" in out.stdout
    assert "FAILED b: hamparbegin is never closed" in out.stdout and "NAMES DISAGREE b: hamfist" in out.stdout
    out = subprocess.run([sys.executable, "-m", "hamrec.cli.main", "hamnosys", "show", "hamfist,hamextfingeru,hampalmd,hamchest"],
                         capture_output=True, text=True)  # fmt: skip
    assert out.returncode == 0 and '"handshape": "hamfist"' in out.stdout and "<hamfist/>" in out.stdout
