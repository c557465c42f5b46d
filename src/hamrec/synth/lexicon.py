"""The built-in lexicon: HamNoSys strings written for this project, in families that differ in one parameter.

Each family keeps everything but one parameter fixed — handshape, location, movement, orientation,
two-handedness, or repetition/size/speed — so a recognizer trained on it must attend to each.
"""

from __future__ import annotations

from ..hamnosys import from_names


def _sign(*names: str) -> str:
    return from_names(list(names))


def builtin_lexicon() -> list[tuple[str, str]]:
    """(gloss, HamNoSys) pairs: 55 signs in six families, every notation different."""
    out: list[tuple[str, str]] = []
    # handshape family: same orientation, place and movement
    for hs in ["hamfist", "hamflathand", "hamfinger2", "hamfinger23", "hamfinger23spread", "hamfinger2345", "hampinch12", "hampinchall",
               "hamcee12", "hamceeall"]:  # fmt: skip
        out.append((f"HS-{hs[3:].upper()}", _sign(hs, "hamextfingeru", "hampalml", "hamchest", "hammoveo")))
    out.append(("HS-FINGER2-BENT", _sign("hamfinger2", "hamfingerbendmod", "hamextfingeru", "hampalml", "hamchest", "hammoveo")))
    out.append(("HS-FLAT-THUMBOUT", _sign("hamflathand", "hamthumboutmod", "hamextfingeru", "hampalml", "hamchest", "hammoveo")))
    # location family: same hand, contact and movement
    for loc in ["hamforehead", "hamnose", "hamchin", "hamcheek", "hamear", "hamneck", "hamshoulders", "hamchest", "hamstomach",
                "hamneutralspace"]:  # fmt: skip
        out.append((f"LOC-{loc[3:].upper()}", _sign("hamflathand", "hamextfingeru", "hampalml", loc, "hamclose", "hammovedo", "hamsmallmod")))
    # movement family: same hand at the same place
    base = ["hamfinger2", "hamextfingeru", "hampalmd", "hamneutralspace"]
    for name, moves in [("UP", ["hammoveu"]), ("DOWN", ["hammoved"]), ("LEFT", ["hammovel"]), ("RIGHT", ["hammover"]), ("OUT", ["hammoveo"]),
                        ("IN", ["hammovei"]), ("CIRCLE-O", ["hamcircleo"]), ("CIRCLE-U", ["hamcircleu"]), ("ARC", ["hammover", "hamarcu"]),
                        ("WAVY", ["hammover", "hamwavy"]), ("ZIGZAG", ["hammover", "hamzigzag"]), ("FINGERPLAY", ["hamfingerplay"]),
                        ("TWIST", ["hamtwisting"]), ("DIAGONAL", ["hammoveur"])]:  # fmt: skip
        out.append((f"MOV-{name}", _sign(*base, *moves)))
    # orientation family: extended finger direction and palm (u/l is HS-FLATHAND above)
    for ext, palm in [("u", "d"), ("u", "r"), ("o", "d"), ("o", "u"), ("l", "d"), ("ol", "l"), ("d", "l")]:
        out.append((f"ORI-{ext.upper()}-{palm.upper()}", _sign("hamflathand", f"hamextfinger{ext}", f"hampalm{palm}", "hamchest", "hammoveo")))
    # two hands: symmetry and the non-dominant hand
    for name, names in [("SYMMLR-OUT", ["hamsymmlr", "hamflathand", "hamextfingeru", "hampalml", "hamchest", "hammoveo"]),
                        ("SYMMLR-APART", ["hamsymmlr", "hamflathand", "hamextfingeru", "hampalml", "hamchest", "hammover"]),
                        ("SYMMPAR-DOWN", ["hamsymmpar", "hamflathand", "hamextfingeru", "hampalml", "hamchest", "hammoved"]),
                        ("SYMMLR-CIRCLE", ["hamsymmlr", "hamfinger2", "hamextfingeru", "hampalml", "hamneutralspace", "hamcircleo"]),
                        ("SYMMLR-ALT", ["hamsymmlr", "hamalternatingmotion", "hamflathand", "hamextfingeru", "hampalml", "hamchest", "hammoveo"]),
                        ("TWO-HAND-BASE", ["hamparbegin", "hamfinger2", "hamextfingeru", "hampalml", "hamplus", "hamflathand", "hamextfingerr",
                                           "hampalmd", "hamparend", "hamchest", "hammoved"])]:  # fmt: skip
        out.append((f"TWO-{name}", _sign(*names)))
    # repetition, size and speed of one sign
    base = ["hamfinger2", "hamextfingeru", "hampalml", "hamchest", "hammoveo"]
    for name, extra in [("REPEAT", ["hamrepeatfromstart"]), ("REPEAT-SEVERAL", ["hamrepeatfromstartseveral"]), ("SMALL", ["hamsmallmod"]),
                        ("LARGE", ["hamlargemod"]), ("FAST", ["hamfast"]), ("BACK", ["hamrepeatreverse"])]:  # fmt: skip
        out.append((f"REP-{name}", _sign(*base, *extra)))
    return out
