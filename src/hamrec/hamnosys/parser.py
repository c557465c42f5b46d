"""Parse a HamNoSys string into a structure a program can use.

The notation is read in the order it is written: a head (symmetry operator with its modifiers,
non-dominant markers), the initial hand configuration (handshape with thumb and bending
modifiers, extended finger direction, palm orientation — for one hand, or for two hands
joined by ``hamplus``), the location (body or hand locations, ``hamlrat``/``hamlrbeside``,
contact), then the actions: movements with their modifiers, grouped sequentially
(``hamseqbegin``…), in parallel (``hamparbegin``…), fused, or as alternatives; replacements
(``hamreplace`` + new configuration); contacts and target locations; repetitions.

Strict where the notation is unambiguous — unknown code points, unbalanced or crossed
brackets, a modifier with nothing to modify, a ``hamreplace`` or joiner with nothing after it —
and tolerant of the orders real transcribers use. Errors carry the position and the symbol.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

from . import symbols as S


class HamNoSysError(ValueError):
    """Malformed HamNoSys; ``position`` is the 0-based index of the offending character."""

    def __init__(self, message: str, position: int | None = None, symbol: str | None = None):
        where = f" at position {position}" if position is not None else ""
        what = f" ({symbol})" if symbol else ""
        super().__init__(f"{message}{where}{what}")
        self.position, self.symbol = position, symbol


@dataclass(frozen=True)
class Token:
    pos: int
    char: str
    name: str
    category: str


@dataclass
class Group:
    """A bracketed group: ``seq``, ``par``, ``fusion`` or ``alt``; ``items`` are Tokens and Groups."""

    kind: str
    pos: int
    items: list["Item"] = field(default_factory=list)


Item = Union[Token, Group]
_GROUP_KIND = {"hamseqbegin": "seq", "hamparbegin": "par", "hamfusionbegin": "fusion", "hamaltbegin": "alt"}
_CLOSERS = {v: k for k, v in S.BRACKET_PAIRS.items()}


@dataclass
class HandConfig:
    """One hand's configuration (initially, or as a ``hamreplace`` target)."""

    handshape: str | None = None
    thumb: list[str] = field(default_factory=list)
    bending: list[str] = field(default_factory=list)
    fingers: list[str] = field(default_factory=list)  # finger / hand-part selections inside the handshape
    between: list[str] = field(default_factory=list)  # handshapes after hambetween (an intermediate shape)
    extended_finger: list[str] = field(default_factory=list)
    palm: list[str] = field(default_factory=list)
    relative_orientation: bool = False


@dataclass
class Movement:
    """One action. ``kind``: straight, circle, arc, wave, clock, ellipse, action, nomotion, replace,
    contact, location, config, repeat, joiner, seq, par, fusion or alt."""

    kind: str
    symbols: list[str] = field(default_factory=list)
    modifiers: list[str] = field(default_factory=list)
    children: list["Movement"] = field(default_factory=list)
    target: HandConfig | None = None


@dataclass
class Sign:
    names: list[str]
    meta: list[str] = field(default_factory=list)
    symmetry: str | None = None
    symmetry_modifiers: list[str] = field(default_factory=list)
    nondominant_markers: list[str] = field(default_factory=list)
    dominant: HandConfig | None = None
    nondominant: HandConfig | None = None
    locations: list[str] = field(default_factory=list)
    location_modifiers: list[str] = field(default_factory=list)
    contacts: list[str] = field(default_factory=list)
    movements: list[Movement] = field(default_factory=list)
    repetitions: list[str] = field(default_factory=list)

    @property
    def two_handed(self) -> bool:
        return self.symmetry is not None or self.nondominant is not None


def tokenize(text: str) -> list[Token]:
    """Characters -> tokens; every code point must be a HamNoSys symbol."""
    if not isinstance(text, str):
        raise HamNoSysError(f"expected a string, got {type(text).__name__}")
    tokens = []
    for i, ch in enumerate(text):
        sym = S.SYMBOLS.get(ch)
        if sym is None:
            raise HamNoSysError(f"unknown code point U+{ord(ch):04X}; HamNoSys uses U+E000-U+E0F1 and a few ASCII signs", i, repr(ch))
        if sym.category != S.SPACE:
            tokens.append(Token(i, ch, sym.name, sym.category))
    return tokens


def group(tokens: list[Token]) -> list[Item]:
    """Nest bracketed tokens into Groups; unbalanced or crossed brackets raise."""
    root: list[Item] = []
    stack: list[tuple[Token, Group]] = []
    for t in tokens:
        if t.name in _GROUP_KIND:
            g = Group(_GROUP_KIND[t.name], t.pos)
            (stack[-1][1].items if stack else root).append(g)
            stack.append((t, g))
        elif t.name in _CLOSERS:
            if not stack:
                raise HamNoSysError(f"{t.name} closes nothing", t.pos, t.name)
            opener, _ = stack[-1]
            if S.BRACKET_PAIRS[opener.name] != t.name:
                raise HamNoSysError(f"{t.name} does not match {opener.name} (opened at {opener.pos})", t.pos, t.name)
            stack.pop()
        else:
            (stack[-1][1].items if stack else root).append(t)
    if stack:
        opener, _ = stack[-1]
        raise HamNoSysError(f"{opener.name} is never closed", opener.pos, opener.name)
    return root


_CONFIG_CATS = {S.HANDSHAPE, S.THUMB, S.BENDING, S.HAND_PART, S.EXTFINGER, S.PALM}
_LOCATION_CATS = {S.LOCATION, S.HAND_PART, S.LOC_MODIFIER, S.CONTACT, S.OBSOLETE}
_PATH_CATS = {S.STRAIGHT, S.CIRCLE}
_PATH_MODS = {S.ARC, S.WAVE, S.CLOCK, S.ELLIPSE, S.SIZE, S.SPEED, S.TIMING}


def _first_token(item: Item) -> Token | None:
    while isinstance(item, Group):
        if not item.items:
            return None
        item = item.items[0]
    return item


def _tokens_of(items: list[Item]) -> list[Token]:
    out = []
    for it in items:
        out.extend(_tokens_of(it.items) if isinstance(it, Group) else [it])
    return out


def _config(items: list[Item], i: int, allow_handshape: bool = True) -> tuple[HandConfig, int]:
    """Read a hand configuration from items[i:]; returns it and the index after it."""
    cfg = HandConfig()
    seen_shape = False
    while i < len(items) and isinstance(items[i], Token):
        t = items[i]
        if t.category == S.HANDSHAPE and allow_handshape and not seen_shape:
            cfg.handshape, seen_shape = t.name, True
        elif t.category == S.THUMB and seen_shape:
            cfg.thumb.append(t.name)
        elif t.category == S.BENDING and seen_shape:
            cfg.bending.append(t.name)
        elif t.category == S.HAND_PART and seen_shape and not cfg.extended_finger:
            cfg.fingers.append(t.name)
        elif t.name == "hambetween" and i + 1 < len(items) and isinstance(items[i + 1], Token) and items[i + 1].category in (S.HANDSHAPE, S.EXTFINGER, S.PALM):
            nxt = items[i + 1]
            (cfg.between if nxt.category == S.HANDSHAPE else cfg.extended_finger if nxt.category == S.EXTFINGER else cfg.palm).append(nxt.name)
            i += 1
            if nxt.category == S.HANDSHAPE:  # modifiers after an intermediate shape belong to it
                while i + 1 < len(items) and isinstance(items[i + 1], Token) and items[i + 1].category in (S.THUMB, S.BENDING, S.HAND_PART):
                    i += 1
                    cfg.between.append(items[i].name)
        elif t.name == "hamorirelative":
            cfg.relative_orientation = True
        elif t.category == S.EXTFINGER and not cfg.palm:
            cfg.extended_finger.append(t.name)
        elif t.category == S.PALM:
            cfg.palm.append(t.name)
        else:
            break
        i += 1
    return cfg, i


def _check_modifiers(tokens: list[Token]) -> None:
    """A modifier needs something to modify before it."""
    manual_seen = False
    for k, t in enumerate(tokens):
        if t.category in (S.META, S.NONDOMINANT):
            continue
        if not manual_seen and t.category in (S.THUMB, S.BENDING):
            raise HamNoSysError(f"{t.name} is a handshape modifier with no handshape before it", t.pos, t.name)
        if not manual_seen and t.category in (S.SIZE, S.SPEED, S.TIMING, S.ARC, S.WAVE, S.CLOCK, S.ELLIPSE):
            raise HamNoSysError(f"{t.name} is a movement modifier with nothing to modify", t.pos, t.name)
        if t.name in ("hamreplace", "hambetween", "hamplus") and (k + 1 == len(tokens) or tokens[k + 1].name in _CLOSERS):
            raise HamNoSysError(f"{t.name} with nothing after it", t.pos, t.name)
        manual_seen = True


def _actions(items: list[Item], sign: Sign) -> list[Movement]:
    out: list[Movement] = []
    i = 0
    while i < len(items):
        it = items[i]
        i += 1
        if isinstance(it, Group):
            out.append(Movement(it.kind, children=_actions(it.items, sign)))
            continue
        c = it.category
        if c in _PATH_CATS or (c in (S.ARC, S.WAVE, S.CLOCK, S.ELLIPSE) and not (out and out[-1].kind in ("straight", "circle"))):
            kind = {S.STRAIGHT: "straight", S.CIRCLE: "circle", S.ARC: "arc", S.WAVE: "wave", S.CLOCK: "clock", S.ELLIPSE: "ellipse"}[c]
            out.append(Movement(kind, [it.name]))
        elif c in _PATH_MODS or c in (S.THUMB, S.BENDING):
            if out:
                out[-1].modifiers.append(it.name)
            else:  # first in its group: it modifies the group (e.g. a size for a whole parallel movement)
                out.append(Movement("modifier", [it.name]))
        elif it.name == "hamreplace":
            nxt = items[i] if i < len(items) else None
            if isinstance(nxt, Group):
                out.append(Movement("replace", [it.name], children=_actions(nxt.items, sign)))
                i += 1
            else:
                target, j = _config(items, i)
                if j == i:  # nothing configuration-like follows: a replacement of location/contact etc.
                    out.append(Movement("replace", [it.name]))
                else:
                    out.append(Movement("replace", [it.name], target=target))
                    i = j
        elif it.name == "hamnomotion":
            out.append(Movement("nomotion", [it.name]))
        elif c == S.ACTION:
            out.append(Movement("action", [it.name]))
        elif c == S.REPEAT:
            sign.repetitions.append(it.name)
            out.append(Movement("repeat", [it.name]))
        elif c == S.CONTACT:
            sign.contacts.append(it.name)
            out.append(Movement("contact", [it.name]))
        elif c in _LOCATION_CATS:
            out.append(Movement("location", [it.name]))
        elif c in (S.HANDSHAPE, S.EXTFINGER, S.PALM):
            target, i = _config(items, i - 1)
            out.append(Movement("config", target=target))
        else:  # joiners, symmetry/non-dominant markers inside groups, meta signs
            out.append(Movement("joiner" if c == S.JOINER else "marker", [it.name]))
    return out


def parse(text: str) -> Sign:
    """Parse a HamNoSys string.

    Raises:
        HamNoSysError: unknown code point, unbalanced brackets, a modifier with nothing to
            modify, a dangling hamreplace/hambetween/hamplus, or an empty string — with the
            position and the symbol.
    """
    tokens = tokenize(text)
    if not tokens:
        raise HamNoSysError("empty HamNoSys string; expected at least a handshape")
    items = group(tokens)
    _check_modifiers(tokens)
    sign = Sign(names=[t.name for t in tokens])
    i = 0
    # head: meta signs, non-dominant markers, symmetry operator and its modifiers
    while i < len(items) and isinstance(items[i], Token) and items[i].category in (S.META, S.NONDOMINANT, S.SYMMETRY):
        t = items[i]
        if t.category == S.SYMMETRY:
            sign.symmetry = t.name
            while i + 1 < len(items) and isinstance(items[i + 1], Token) and items[i + 1].category in (S.SIZE, S.SPEED, S.TIMING, S.REPEAT, S.BENDING, S.THUMB):
                i += 1
                sign.symmetry_modifiers.append(items[i].name)
        else:
            (sign.meta if t.category == S.META else sign.nondominant_markers).append(t.name)
        i += 1
    # initial hand configuration: one hand, or two hands in a group joined by hamplus
    first = _first_token(items[i]) if i < len(items) else None
    if i < len(items) and isinstance(items[i], Group) and first is not None and first.category in _CONFIG_CATS and any(
        isinstance(x, Token) and x.name == "hamplus" for x in items[i].items
    ):
        parts = _split_plus(items[i].items)
        sign.dominant = _config(parts[0], 0)[0]
        sign.nondominant = _config(parts[1], 0)[0] if len(parts) > 1 else None
        i += 1
    elif i < len(items) and isinstance(items[i], Token) and items[i].category in _CONFIG_CATS:
        sign.dominant, i = _config(items, i)
        # two-hand orientation in a group, or "config hamplus config" at the top level
        if i < len(items) and isinstance(items[i], Group) and (f := _first_token(items[i])) is not None and f.category in (S.EXTFINGER, S.PALM):
            parts = _split_plus(items[i].items)
            dom = _config(parts[0], 0, allow_handshape=False)[0]
            sign.dominant.extended_finger += dom.extended_finger
            sign.dominant.palm += dom.palm
            if len(parts) > 1:
                sign.nondominant = _config(parts[1], 0)[0]
            i += 1
        elif i + 1 < len(items) and isinstance(items[i], Token) and items[i].name == "hamplus" and isinstance(items[i + 1], Token) and items[i + 1].category in _CONFIG_CATS:
            sign.nondominant, i = _config(items, i + 1)
    # location: body/hand locations, lr modifiers, contact; or a group of them for two hands
    while i < len(items):
        it = items[i]
        if isinstance(it, Token) and (it.category in _LOCATION_CATS or (it.category in (S.SIZE,) and (sign.locations or sign.contacts))):
            if it.category in (S.LOCATION, S.HAND_PART, S.OBSOLETE):
                sign.locations.append(it.name)
            elif it.category == S.CONTACT:
                sign.contacts.append(it.name)
            else:
                sign.location_modifiers.append(it.name)
            i += 1
        elif isinstance(it, Group) and it.kind == "par" and all(
            t.category in _LOCATION_CATS | {S.JOINER, S.SIZE} or t.category in _CONFIG_CATS for t in _tokens_of(it.items)
        ) and any(t.category in _LOCATION_CATS for t in _tokens_of(it.items)):
            for t in _tokens_of(it.items):
                if t.category in (S.LOCATION, S.HAND_PART, S.OBSOLETE):
                    sign.locations.append(t.name)
                elif t.category == S.CONTACT:
                    sign.contacts.append(t.name)
            i += 1
        else:
            break
    sign.movements = _actions(items[i:], sign)
    return sign


def _split_plus(items: list[Item]) -> list[list[Item]]:
    parts: list[list[Item]] = [[]]
    for it in items:
        if isinstance(it, Token) and it.name == "hamplus":
            parts.append([])
        else:
            parts[-1].append(it)
    return parts
