"""Phonological features of a sign from its parsed notation, and a similarity between signs.

The vector is multi-hot over a fixed vocabulary of (slot, symbol) pairs — handshape,
thumb, bending, extended finger direction, palm orientation, location, contact, movement,
movement modifiers, symmetry, repetition, two-handedness — built from the symbol table, so it
is stable across runs and versions of the data.
"""

from __future__ import annotations

from . import symbols as S
from .parser import HandConfig, Movement, Sign, parse

SLOTS = ["handshape", "thumb", "bending", "extended_finger", "palm", "location", "contact", "movement", "movement_modifier",
         "symmetry", "repetition", "hands"]  # fmt: skip
_SLOT_CATEGORIES = {
    "handshape": [S.HANDSHAPE],
    "thumb": [S.THUMB],
    "bending": [S.BENDING],
    "extended_finger": [S.EXTFINGER],
    "palm": [S.PALM],
    "location": [S.LOCATION, S.HAND_PART, S.LOC_MODIFIER, S.OBSOLETE],
    "contact": [S.CONTACT],
    "movement": [S.STRAIGHT, S.CIRCLE, S.ACTION, S.ARC, S.WAVE, S.CLOCK, S.ELLIPSE],
    "movement_modifier": [S.SIZE, S.SPEED, S.TIMING],
    "symmetry": [S.SYMMETRY],
    "repetition": [S.REPEAT],
}
VOCABULARY: list[tuple[str, str]] = [(slot, n) for slot in SLOTS[:-1] for c in _SLOT_CATEGORIES[slot] for n in S.names_in(c)] + [
    ("hands", "one"), ("hands", "two")
]
_INDEX = {v: i for i, v in enumerate(VOCABULARY)}


def _config_pairs(cfg: HandConfig | None) -> list[tuple[str, str]]:
    if cfg is None:
        return []
    pairs = [("handshape", cfg.handshape)] if cfg.handshape else []
    pairs += [("handshape", n) for n in cfg.between if S.BY_NAME[n].category == S.HANDSHAPE]
    pairs += [("thumb", n) for n in cfg.thumb] + [("bending", n) for n in cfg.bending]
    pairs += [("extended_finger", n) for n in cfg.extended_finger if n != "hamorirelative"] + [("palm", n) for n in cfg.palm]
    return pairs


def _movement_pairs(moves: list[Movement]) -> list[tuple[str, str]]:
    pairs = []
    for m in moves:
        for n in m.symbols + m.modifiers:
            cat = S.BY_NAME[n].category
            slot = next((s for s, cats in _SLOT_CATEGORIES.items() if cat in cats), None)
            if slot and n != "hamreplace":
                pairs.append((slot, n))
        pairs += _config_pairs(m.target)
        pairs += _movement_pairs(m.children)
    return pairs


def pairs(sign: Sign) -> set[tuple[str, str]]:
    """The (slot, symbol) pairs present in a parsed sign."""
    out = _config_pairs(sign.dominant) + _config_pairs(sign.nondominant)
    out += [("location", n) for n in sign.locations + sign.location_modifiers] + [("contact", n) for n in sign.contacts]
    out += [("symmetry", sign.symmetry)] if sign.symmetry else []
    out += [("movement_modifier", n) for n in sign.symmetry_modifiers if S.BY_NAME[n].category in (S.SIZE, S.SPEED, S.TIMING)]
    out += _movement_pairs(sign.movements)
    out.append(("hands", "two" if sign.two_handed else "one"))
    return {p for p in out if p in _INDEX}


def features(text: str) -> list[float]:
    """Multi-hot phonological feature vector over :data:`VOCABULARY` (raises HamNoSysError on malformed input)."""
    vec = [0.0] * len(VOCABULARY)
    for p in pairs(parse(text)):
        vec[_INDEX[p]] = 1.0
    return vec


def similarity(a: str, b: str) -> float:
    """0..1: mean over slots used by either sign of the Jaccard overlap of their symbols in that slot.

    Identical notations give 1; signs differing in one parameter (say, only the location) give
    a high but lower value, so near-identical signs can be found and ranked.
    """
    pa, pb = pairs(parse(a)), pairs(parse(b))
    scores = []
    for slot in SLOTS:
        sa, sb = {n for s, n in pa if s == slot}, {n for s, n in pb if s == slot}
        if sa or sb:
            scores.append(len(sa & sb) / len(sa | sb))
    return sum(scores) / len(scores) if scores else 1.0
