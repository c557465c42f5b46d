"""The HamNoSys 4 symbol table: code point, canonical name (as in SiGML tags and ``hamnosys_text``), category.

Written from the published notation (the HamNoSys 4 font layout in the Unicode private-use
area U+E000–U+E0F1) and checked against the real lexicon in ``../shared/data``. Directions use
the notation's letters: u(p), d(own), l(eft), r(ight), o(ut, away from the body), i(n, towards it).
"""

from __future__ import annotations

from dataclasses import dataclass

# categories
HANDSHAPE = "handshape"
THUMB = "thumb_modifier"
BENDING = "bending_modifier"
EXTFINGER = "extended_finger_direction"
PALM = "palm_orientation"
LOCATION = "location"
HAND_PART = "hand_part"
LOC_MODIFIER = "location_modifier"
CONTACT = "contact"
STRAIGHT = "movement_straight"
CIRCLE = "movement_circle"
ACTION = "movement_action"
CLOCK = "movement_clock"
ARC = "movement_arc"
WAVE = "movement_wave"
ELLIPSE = "movement_ellipse"
SIZE = "size_modifier"
SPEED = "speed_modifier"
TIMING = "timing_modifier"
REPEAT = "repetition"
BRACKET = "bracket"
JOINER = "joiner"
SYMMETRY = "symmetry"
NONDOMINANT = "nondominant"
META = "meta"
SPACE = "space"
OBSOLETE = "obsolete"

_DIRS18 = ["u", "ur", "r", "dr", "d", "dl", "l", "ul", "ol", "o", "or", "il", "i", "ir", "ui", "di", "do", "uo"]
_CIRCLE18 = ["o", "i", "d", "u", "l", "r", "ul", "dr", "ur", "dl", "ol", "ir", "or", "il", "ui", "do", "uo", "di"]
_DIRS8 = ["u", "ur", "r", "dr", "d", "dl", "l", "ul"]

#: (first code point, category, names of consecutive code points)
_RUNS: list[tuple[int, str, list[str]]] = [
    (0xE000, HANDSHAPE, ["hamfist", "hamflathand", "hamfinger2", "hamfinger23", "hamfinger23spread", "hamfinger2345", "hampinch12",
                         "hampinchall", "hampinch12open", "hamcee12", "hamceeall", "hamceeopen"]),
    (0xE00C, THUMB, ["hamthumboutmod", "hamthumbacrossmod", "hamthumbopenmod"]),
    (0xE010, BENDING, ["hamfingerstraightmod", "hamfingerbendmod", "hamfingerhookmod", "hamdoublebent", "hamdoublehooked"]),
    (0xE020, EXTFINGER, [f"hamextfinger{d}" for d in _DIRS18]),
    (0xE038, PALM, [f"hampalm{d}" for d in _DIRS8]),
    (0xE040, LOCATION, ["hamhead", "hamheadtop", "hamforehead", "hameyebrows", "hameyes", "hamnose", "hamnostrils", "hamear", "hamearlobe",
                        "hamcheek", "hamlips", "hamtongue", "hamteeth", "hamchin", "hamunderchin", "hamneck", "hamshouldertop",
                        "hamshoulders", "hamchest", "hamstomach", "hambelowstomach"]),
    (0xE058, LOC_MODIFIER, ["hamlrbeside", "hamlrat", "hamcoreftag", "hamcorefref"]),
    (0xE05F, LOCATION, ["hamneutralspace", "hamupperarm", "hamelbow", "hamelbowinside", "hamlowerarm", "hamwristback", "hamwristpulse"]),
    (0xE066, HAND_PART, ["hamthumbball", "hampalm", "hamhandback", "hamthumbside", "hampinkyside"]),
    (0xE070, HAND_PART, ["hamthumb", "hamindexfinger", "hammiddlefinger", "hamringfinger", "hampinky", "hamfingertip", "hamfingernail",
                         "hamfingerpad", "hamfingermidjoint", "hamfingerbase", "hamfingerside"]),
    (0xE07C, OBSOLETE, ["hamwristtopulse", "hamwristtoback", "hamwristtothumb", "hamwristtopinky"]),
    (0xE080, STRAIGHT, [f"hammove{d}" for d in _DIRS18]),
    (0xE092, CIRCLE, [f"hamcircle{d}" for d in _CIRCLE18]),
    (0xE0A4, ACTION, ["hamfingerplay", "hamnodding", "hamswinging", "hamtwisting", "hamstircw", "hamstirccw", "hamreplace"]),
    (0xE0AD, OBSOLETE, ["hammovecross", "hammoveX"]),
    (0xE0AF, ACTION, ["hamnomotion"]),
    (0xE0B0, CLOCK, ["hamclocku", "hamclockul", "hamclockl", "hamclockdl", "hamclockd", "hamclockdr", "hamclockr", "hamclockur", "hamclockfull"]),
    (0xE0B9, ARC, ["hamarcl", "hamarcu", "hamarcr", "hamarcd"]),
    (0xE0BD, WAVE, ["hamwavy", "hamzigzag"]),
    (0xE0C0, ELLIPSE, ["hamellipseh", "hamellipseur", "hamellipsev", "hamellipseul"]),
    (0xE0C4, SIZE, ["hamincreasing", "hamdecreasing", "hamsmallmod", "hamlargemod"]),
    (0xE0C8, SPEED, ["hamfast", "hamslow", "hamtense"]),
    (0xE0CB, TIMING, ["hamrest", "hamhalt"]),
    (0xE0D0, CONTACT, ["hamclose", "hamtouch", "haminterlock", "hamcross", "hamarmextended", "hambehind", "hambrushing"]),
    (0xE0D8, REPEAT, ["hamrepeatfromstart", "hamrepeatfromstartseveral", "hamrepeatcontinue", "hamrepeatcontinueseveral",
                      "hamrepeatreverse", "hamalternatingmotion"]),
    (0xE0E0, BRACKET, ["hamseqbegin", "hamseqend", "hamparbegin", "hamparend", "hamfusionbegin", "hamfusionend"]),
    (0xE0E6, JOINER, ["hambetween", "hamplus"]),
    (0xE0E8, SYMMETRY, ["hamsymmpar", "hamsymmlr"]),
    (0xE0EA, NONDOMINANT, ["hamnondominant", "hamnonipsi"]),
    (0xE0EC, JOINER, ["hametc"]),
    (0xE0ED, EXTFINGER, ["hamorirelative"]),
    (0xE0F0, META, ["hammime", "hamversion40"]),
    (0x0020, SPACE, ["space"]),
    (0x0021, META, ["hamexclaim"]),
    (0x002C, META, ["hamcomma"]),
    (0x002E, META, ["hamfullstop"]),
    (0x003F, META, ["hamquery"]),
    (0x007B, BRACKET, ["hamaltbegin", "hammetaalt", "hamaltend"]),
]  # fmt: skip

#: other spellings found in real data -> canonical name
ALIASES = {"hampalmud": "hampalmd", "hammoveudl": "hammovedl", "hamspace": "space", "hamceeonetwo": "hamcee12"}

BRACKET_PAIRS = {"hamseqbegin": "hamseqend", "hamparbegin": "hamparend", "hamfusionbegin": "hamfusionend", "hamaltbegin": "hamaltend"}


@dataclass(frozen=True)
class Symbol:
    char: str
    name: str
    category: str

    @property
    def code(self) -> str:
        return f"U+{ord(self.char):04X}"


SYMBOLS: dict[str, Symbol] = {}
for _start, _cat, _names in _RUNS:
    for _i, _name in enumerate(_names):
        SYMBOLS[chr(_start + _i)] = Symbol(chr(_start + _i), _name, _cat)
BY_NAME: dict[str, Symbol] = {s.name: s for s in SYMBOLS.values()}


def lookup_name(name: str) -> Symbol | None:
    """The symbol for a canonical or alias name (case-insensitive), or None."""
    name = name.strip().lower()
    return BY_NAME.get(ALIASES.get(name, name)) or next((s for n, s in BY_NAME.items() if n.lower() == name), None)


def names_in(category: str) -> list[str]:
    return [s.name for s in SYMBOLS.values() if s.category == category]
