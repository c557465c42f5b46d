"""Directions and the hand: HamNoSys letters as vectors, handshapes as finger joints, orientation as a rotation.

Body frame (metres): x towards the signer's left (image right), y down, z out of the body towards
the camera. HamNoSys letters: u(p) d(own) l(eft) r(ight) o(ut) i(n); the dominant hand is the right.
"""

from __future__ import annotations

import numpy as np

LETTERS = {"u": (0, -1, 0), "d": (0, 1, 0), "l": (1, 0, 0), "r": (-1, 0, 0), "o": (0, 0, 1), "i": (0, 0, -1)}


def direction(code: str) -> np.ndarray:
    """``"ul"`` -> unit vector up-left."""
    v = np.sum([LETTERS[c] for c in code], axis=0).astype(float)
    return v / np.linalg.norm(v)


def suffix(name: str, prefix: str) -> str:
    return name[len(prefix):] if name.startswith(prefix) else ""


# --- the hand, in its own frame: a = along the fingers, b = towards the thumb side, c = out of the palm ---
_KNUCKLES_B = {"index": 0.025, "middle": 0.005, "ring": -0.015, "pinky": -0.033}
_FINGER_LEN = {"index": 0.075, "middle": 0.082, "ring": 0.077, "pinky": 0.062}
_PALM_LEN = 0.09
FINGERS = ("index", "middle", "ring", "pinky")

#: base handshapes: which fingers are extended, the thumb's default, and a pinch/cee form
HANDSHAPES = {
    "hamfist": ({}, "across", None),
    "hamflathand": ({f: "straight" for f in FINGERS}, "adjacent", None),
    "hamfinger2": ({"index": "straight"}, "across", None),
    "hamfinger23": ({"index": "straight", "middle": "straight"}, "across", None),
    "hamfinger23spread": ({"index": "straight", "middle": "straight"}, "across", "spread"),
    "hamfinger2345": ({f: "straight" for f in FINGERS}, "adjacent", "spread"),
    "hampinch12": ({"middle": "straight", "ring": "straight", "pinky": "straight"}, "pinch", "pinch_index"),
    "hampinchall": ({}, "pinch", "pinch_all"),
    "hampinch12open": ({"middle": "straight", "ring": "straight", "pinky": "straight"}, "open", "cee_index"),
    "hamcee12": ({}, "open", "cee_index"),
    "hamceeall": ({}, "open", "cee_all"),
    "hamceeopen": ({}, "out", "cee_all_open"),
}
# joint flexion (radians) at base, middle, distal joint for each finger state
_FLEX = {"straight": (0.0, 0.0, 0.0), "bend": (1.5, 0.0, 0.0), "hook": (0.0, 1.5, 1.2), "doublebent": (1.3, 1.3, 0.4),
         "doublehooked": (0.3, 1.6, 1.6), "curled": (1.5, 1.7, 1.2), "cee": (0.5, 0.6, 0.4), "cee_open": (0.3, 0.35, 0.2),
         "pinch": (0.9, 0.7, 0.5)}  # fmt: skip
_BENDING = {"hamfingerstraightmod": "straight", "hamfingerbendmod": "bend", "hamfingerhookmod": "hook", "hamdoublebent": "doublebent",
            "hamdoublehooked": "doublehooked"}  # fmt: skip
_THUMB_MOD = {"hamthumboutmod": "out", "hamthumbacrossmod": "across", "hamthumbopenmod": "open"}


def _finger(base: np.ndarray, length: float, flex: tuple[float, float, float], splay: float) -> list[np.ndarray]:
    """Four points (knuckle, middle, distal, tip) of a finger curling towards the palm side (+c)."""
    seg = np.array([0.45, 0.3, 0.25]) * length
    pts = [base]
    angle = 0.0
    for s, f in zip(seg, flex):
        angle += f
        step = np.array([np.cos(angle) * np.cos(splay), np.sin(splay) * np.cos(angle), np.sin(angle)]) * s
        pts.append(pts[-1] + step)
    return pts


def hand_points(shape: str, thumb_mods: list[str] = (), bending: list[str] = (), fingerplay: float = 0.0) -> np.ndarray:
    """(21, 3) MediaPipe-order hand points in the hand frame (a, b, c) for a HamNoSys handshape.

    ``fingerplay`` in [0, 1] adds a wiggle (used by hamfingerplay).
    """
    extended, thumb, form = HANDSHAPES.get(shape, HANDSHAPES["hamflathand"])
    state = {f: extended.get(f, "curled") for f in FINGERS}
    for b in bending:  # a bending modifier changes the extended fingers
        state = {f: (_BENDING[b] if s != "curled" else s) for f, s in state.items()}
    if form in ("cee_index", "pinch_index"):
        state["index"] = "cee" if form == "cee_index" else "pinch"
    elif form in ("cee_all", "cee_all_open", "pinch_all"):
        state = {f: {"cee_all": "cee", "cee_all_open": "cee_open", "pinch_all": "pinch"}[form] for f in FINGERS}
    for m in thumb_mods:
        thumb = _THUMB_MOD.get(m, thumb)
    pts = np.zeros((21, 3))
    spread = form == "spread"
    for k, f in enumerate(FINGERS):
        base = np.array([_PALM_LEN * (1 - 0.08 * abs(k - 1.5)), _KNUCKLES_B[f], 0.0])
        splay = (0.18 * (1.5 - k)) if spread and state[f] == "straight" else 0.0
        flex = np.array(_FLEX[state[f]]) + fingerplay * 0.5 * np.sin(np.pi * (k / 2 + fingerplay * 4))
        for j, p in enumerate(_finger(base, _FINGER_LEN[f], tuple(flex), splay)):
            pts[5 + 4 * k + j] = p
    # thumb: CMC near the wrist on the thumb side, then three segments by its state
    cmc = np.array([0.025, 0.03, 0.01])
    tdir = {"adjacent": (0.9, 0.35, 0.1), "out": (0.4, 0.9, 0.0), "open": (0.65, 0.65, 0.4), "across": (0.55, -0.45, 0.65),
            "pinch": (0.7, -0.05, 0.7)}[thumb]  # fmt: skip
    tdir = np.array(tdir) / np.linalg.norm(tdir)
    pts[1] = cmc
    for j in range(2, 5):
        pts[j] = pts[j - 1] + tdir * (0.035 if j == 2 else 0.028)
    if thumb == "pinch":  # thumb tip meets the pinching fingertip(s)
        target = pts[8] if form == "pinch_index" else pts[[8, 12, 16, 20]].mean(0)
        pts[4] = target + np.array([0, 0.004, 0.0])
        pts[3] = (pts[2] + pts[4]) / 2 + np.array([0, 0.0, 0.01])
    return pts


def hand_rotation(extended_finger: str, palm: str, right: bool = True) -> np.ndarray:
    """3x3 matrix whose columns are the hand frame (a, b, c) in body coordinates.

    ``extended_finger`` and ``palm`` are direction letters ("u", "ol", ...); the palm normal is
    made orthogonal to the finger direction, as the notation's two symbols together intend.
    """
    a = direction(extended_finger or "u")
    c = direction(palm or "l")
    c = c - a * (a @ c)
    if np.linalg.norm(c) < 1e-6:  # palm letter parallel to the fingers: pick a perpendicular one
        c = np.cross(a, [0.0, 0.0, 1.0]) if abs(a[2]) < 0.9 else np.cross(a, [0.0, 1.0, 0.0])
    c /= np.linalg.norm(c)
    b = np.cross(a, c) if right else np.cross(c, a)  # thumb side
    return np.stack([a, b, c], axis=1)
