"""The phonological parameters of a sign, one value each, from its notation: what a model's extra heads predict.

:mod:`.features` describes a sign by every (slot, symbol) pair it uses; a classifier head
needs one value per parameter instead. Each parameter here takes exactly one value per sign:
the dominant hand's initial handshape, extended-finger direction and palm orientation, the
non-dominant hand's handshape, the first location, the kind of the first movement, the
symmetry (or one/two hands) and the first repetition — "none" where the notation has none.
Every vocabulary is the whole symbol category from the symbol table, not the values some
dataset happens to use, so a model's heads can score signs it never saw (recognition by
notation) and vocabularies are the same across datasets and versions.
"""

from __future__ import annotations

from . import symbols as S
from .parser import Movement, parse

NONE = "none"
_PRIMITIVE = {"straight", "circle", "arc", "wave", "clock", "ellipse", "action", "nomotion"}

#: parameter -> its values, in output order
VOCABULARIES: dict[str, list[str]] = {
    "handshape": [NONE] + S.names_in(S.HANDSHAPE),
    "extended_finger": [NONE] + S.names_in(S.EXTFINGER),
    "palm": [NONE] + S.names_in(S.PALM),
    "nondominant_handshape": [NONE] + S.names_in(S.HANDSHAPE),
    "location": [NONE] + S.names_in(S.LOCATION) + S.names_in(S.HAND_PART),
    "movement": [NONE] + sorted(_PRIMITIVE),
    "symmetry": ["one_hand", "two_hands"] + S.names_in(S.SYMMETRY),
    "repetition": [NONE] + S.names_in(S.REPEAT),
}
PARAMETERS = list(VOCABULARIES)


def _first_movement(moves: list[Movement]) -> str:
    """The kind of the first primitive movement, looking inside sequences and parallel groups."""
    for m in moves:
        if m.kind in _PRIMITIVE:
            return m.kind
        inner = _first_movement(m.children)
        if inner != NONE:
            return inner
    return NONE


def parameters(text: str) -> dict[str, str]:
    """parameter -> value of one notation (raises HamNoSysError on malformed input)."""
    sign = parse(text)
    dom, nondom = sign.dominant, sign.nondominant

    def first(values: list[str], parameter: str) -> str:
        return next((v for v in values if v in VOCABULARIES[parameter]), NONE)

    values = {
        "handshape": (dom.handshape if dom and dom.handshape else NONE),
        "extended_finger": first(dom.extended_finger if dom else [], "extended_finger"),
        "palm": first(dom.palm if dom else [], "palm"),
        "nondominant_handshape": (nondom.handshape if nondom and nondom.handshape else NONE),
        "location": first(sign.locations, "location"),
        "movement": _first_movement(sign.movements),
        "symmetry": sign.symmetry or ("two_hands" if sign.two_handed else "one_hand"),
        "repetition": first(sign.repetitions + [s for m in sign.movements if m.kind == "repeat" for s in m.symbols], "repetition"),
    }
    return {p: (v if v in VOCABULARIES[p] else NONE) for p, v in values.items()}
