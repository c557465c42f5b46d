"""From parsed HamNoSys movements to timed segments of wrist displacement and hand change."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ..hamnosys.parser import HandConfig, Movement
from .geometry import direction, suffix

STEP = 0.15  # metres of a plain straight movement
FRAMES = 12  # frames of one movement at 25 fps, before tempo and speed modifiers
SIZE = {"hamsmallmod": 0.5, "hamlargemod": 1.6}
SPEED = {"hamfast": 0.6, "hamslow": 1.6, "hamtense": 1.3}
_ARC = {"hamarcl": "l", "hamarcu": "u", "hamarcr": "r", "hamarcd": "d"}

Path = Callable[[np.ndarray], np.ndarray]  # s (n,) in [0, 1] -> displacement (n, 3)


def _zero(s: np.ndarray) -> np.ndarray:
    return np.zeros((len(s), 3))


@dataclass
class Segment:
    """``frames`` frames during which the wrist moves along ``path`` (relative to where it started),
    the hand may change to ``target`` and may play its fingers or rotate."""

    frames: int
    path: Path = _zero
    target: HandConfig | None = None
    fingerplay: float = 0.0
    rotate: tuple[str, float] | None = None  # (hand axis "a"/"b"/"c", amplitude in radians)
    other: list["Segment"] = field(default_factory=list)  # what the non-dominant hand does meanwhile


def _perp(d: np.ndarray) -> np.ndarray:
    p = np.cross(d, [0.0, 0.0, 1.0]) if abs(d[2]) < 0.9 else np.cross(d, [0.0, 1.0, 0.0])
    return p / np.linalg.norm(p)


def _straight(d: np.ndarray, length: float, mods: list[str]) -> Path:
    arc = next((direction(_ARC[m]) for m in mods if m in _ARC), None)
    wavy, zigzag = "hamwavy" in mods, "hamzigzag" in mods
    side = _perp(d)

    def path(s):
        p = np.outer(s, d) * length
        if arc is not None:
            p += np.outer(np.sin(np.pi * s), arc) * 0.3 * length
        if wavy:
            p += np.outer(np.sin(6 * np.pi * s), side) * 0.025
        if zigzag:
            p += np.outer(2 / np.pi * np.arcsin(np.sin(6 * np.pi * s)), side) * 0.025
        return p

    return path


def _circle(axis: np.ndarray, radius: float) -> Path:
    e1 = _perp(axis)
    e2 = np.cross(axis, e1)
    return lambda s: np.outer(np.cos(2 * np.pi * s) - 1, e1) * radius + np.outer(np.sin(2 * np.pi * s), e2) * radius


def _scale(mods: list[str]) -> tuple[float, float]:
    size = np.prod([SIZE.get(m, 1.0) for m in mods])
    speed = np.prod([SPEED.get(m, 1.0) for m in mods])
    return float(size), float(speed)


def plan(moves: list[Movement], tempo: float = 1.0) -> list[Segment]:
    """Segments of the dominant hand (each may carry what the other hand does meanwhile)."""
    out: list[Segment] = []
    pending_mods: list[str] = []
    for m in moves:
        size, speed = _scale(m.modifiers + pending_mods)
        n = max(3, int(round(FRAMES * speed / tempo)))
        if m.kind == "straight":
            d = direction(suffix(m.symbols[0], "hammove"))
            out.append(Segment(n, _straight(d, STEP * size, m.modifiers)))
        elif m.kind in ("circle", "clock", "ellipse"):
            letters = suffix(m.symbols[0], "hamcircle") or "o"
            out.append(Segment(int(n * 1.4), _circle(direction(letters), 0.06 * size)))
        elif m.kind in ("arc", "wave"):
            d = direction(_ARC.get(m.symbols[0], "r"))
            out.append(Segment(n, _straight(d, STEP * size, m.symbols + m.modifiers)))
        elif m.kind == "action":
            name = m.symbols[0]
            if name == "hamfingerplay":
                out.append(Segment(n, fingerplay=1.0))
            elif name in ("hamstircw", "hamstirccw"):
                out.append(Segment(n, _circle(direction("u"), 0.03 * size)))
            else:
                axis = {"hamtwisting": "a", "hamnodding": "b", "hamswinging": "c"}[name]
                out.append(Segment(n, rotate=(axis, 0.7 * size)))
        elif m.kind == "nomotion":
            out.append(Segment(n))
        elif m.kind == "replace":
            target = m.target or _first_config(m.children)
            out.append(Segment(n, target=target))
        elif m.kind == "repeat":
            out.extend(_repeat(m.symbols[0], out))
        elif m.kind in ("seq",):
            out.extend(plan(m.children, tempo))
        elif m.kind in ("par", "fusion"):
            out.append(_parallel(m.children, tempo))
        elif m.kind == "alt":
            first = [c for c in m.children if not (c.kind == "marker" and c.symbols == ["hammetaalt"])]
            out.extend(plan(first[:1], tempo))
        elif m.kind == "modifier":
            pending_mods += m.symbols
            continue
        pending_mods = []
    return out


def _first_config(children: list[Movement]) -> HandConfig | None:
    return next((c.target for c in children if c.target is not None), None)


def _repeat(name: str, done: list[Segment]) -> list[Segment]:
    """Repetition of what was done so far in this group."""
    if not done:
        return []
    times = 2 if name.endswith("several") else 1
    back = Segment(max(3, sum(s.frames for s in done) // 2), _return_path(done))
    if name.startswith("hamrepeatfromstart"):
        return ([back] + [Segment(s.frames, s.path, s.target, s.fingerplay, s.rotate, s.other) for s in done]) * times
    if name.startswith("hamrepeatcontinue"):
        return [Segment(s.frames, s.path, s.target, s.fingerplay, s.rotate, s.other) for s in done] * times
    if name == "hamrepeatreverse":
        return [Segment(s.frames, (lambda p: lambda x: p(1 - x) - p(np.ones(1)))(s.path), s.target, s.fingerplay, s.rotate) for s in reversed(done)]
    return []  # hamalternatingmotion is handled by the two-hand timing


def _return_path(done: list[Segment]) -> Path:
    end = sum(s.path(np.ones(1))[0] for s in done)
    return lambda s: -np.outer(s, end)


def _parallel(children: list[Movement], tempo: float) -> Segment:
    """Simultaneous movements; a ``hamplus`` inside splits the dominant hand's part from the other hand's."""
    parts: list[list[Movement]] = [[]]
    for c in children:
        if c.kind == "joiner" and c.symbols == ["hamplus"]:
            parts.append([])
        else:
            parts[-1].append(c)
    dom = plan(parts[0], tempo)
    other = plan(parts[1], tempo) if len(parts) > 1 else []
    if len(parts) == 1 and len(dom) > 1:  # e.g. a movement and a handshape change at once
        merged = Segment(max(s.frames for s in dom), _sum_paths(dom), next((s.target for s in dom if s.target), None),
                         max(s.fingerplay for s in dom), next((s.rotate for s in dom if s.rotate), None))  # fmt: skip
        return merged
    seg = dom[0] if len(dom) == 1 else Segment(max([s.frames for s in dom] + [3]), _sum_paths(dom))
    seg.other = other
    return seg


def _sum_paths(segs: list[Segment]) -> Path:
    return lambda s: sum(seg.path(s) for seg in segs) if segs else _zero(s)
