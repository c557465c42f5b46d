"""A HamNoSys-driven motion synthesizer: pose sequences with exact notation ground truth.

``synthesize(text, signer, rng)`` parses the notation and renders (T, 51, 3) keypoints in the
canonical layout: handshape (with thumb and bending modifiers) -> finger joints; extended finger
direction and palm orientation -> hand rotation; location and contact -> where the hand is on
the body; movements (straight, circles, arcs, wavy/zigzag, size and speed, repetition, parallel
and sequential groups, replacements) -> trajectories; symmetry -> the second hand. Signers vary
in proportions, tempo, holds, tremor, keypoint noise, viewpoint and missed hand detections.

``write_dataset`` writes real ``.pose`` files and a manifest, so synthetic data takes the same
reading path as user data.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from ..atomic import atomic_path
from ..data.formats import keypoints as kp
from ..hamnosys import parse
from ..hamnosys.parser import HandConfig, Sign
from .body import Signer, body_points, elbow, location_point
from .geometry import hand_points, hand_rotation, suffix
from .motion import Segment, plan

FPS = 25.0
REST_LEFT = np.array([0.16, 0.45, 0.12])  # where an unused non-dominant hand rests
TWO_HAND_GAP = 0.09  # metres each hand sits off the midline in two-handed signs


def _axis_letters(cfg: HandConfig) -> tuple[str, str]:
    ext = next((suffix(n, "hamextfinger") for n in cfg.extended_finger if n != "hamorirelative"), "u")
    palm = next((suffix(n, "hampalm") for n in cfg.palm), "l")
    return ext, palm


def _merge(base: HandConfig, change: HandConfig | None) -> HandConfig:
    """A replacement changes only what it names."""
    if change is None:
        return base
    return HandConfig(
        handshape=change.handshape or base.handshape,
        thumb=change.thumb if change.handshape or change.thumb else base.thumb,
        bending=change.bending if change.handshape or change.bending else base.bending,
        extended_finger=change.extended_finger or base.extended_finger,
        palm=change.palm or base.palm,
    )


def _mirror(cfg: HandConfig) -> HandConfig:
    """The same configuration for the other hand, mirrored left<->right (hamsymmlr)."""
    swap = str.maketrans("lr", "rl")
    return HandConfig(cfg.handshape, list(cfg.thumb), list(cfg.bending), [], [], [n[:12] + n[12:].translate(swap) for n in cfg.extended_finger],
                      [n[:7] + n[7:].translate(swap) for n in cfg.palm])  # fmt: skip


def _hand(cfg: HandConfig, wrist: np.ndarray, right: bool, signer: Signer, play: float = 0.0, rot=None) -> np.ndarray:
    """(21, 3) hand points in body coordinates."""
    local = hand_points(cfg.handshape or "hamflathand", cfg.thumb, cfg.bending, play) * signer.hand_scale
    R = hand_rotation(*_axis_letters(cfg), right=right)
    if rot is not None:
        axis, angle = rot
        c, s = np.cos(angle), np.sin(angle)
        i, j = {"a": (1, 2), "b": (0, 2), "c": (0, 1)}[axis]
        spin = np.eye(3)
        spin[[i, i, j, j], [i, j, i, j]] = [c, -s, s, c]
        R = R @ spin
    return wrist + local @ R.T


def _render_hand(cfg0: HandConfig, start: np.ndarray, segments: list[Segment], right: bool, signer: Signer, holds: tuple[int, int],
                 mirror_x: bool = False) -> np.ndarray:  # fmt: skip
    """(T, 21, 3) for one hand following its segments, with holds before and after."""
    frames = []
    pos, cfg = start.copy(), cfg0
    for _ in range(holds[0]):
        frames.append(_hand(cfg, pos, right, signer))
    for seg in segments:
        s = np.linspace(0, 1, seg.frames)
        path = seg.path(s)
        if mirror_x:
            path = path * [-1, 1, 1]
        target = _merge(cfg, seg.target)
        for k in range(seg.frames):
            wrist = pos + path[k]
            play = seg.fingerplay * s[k]
            rot = (seg.rotate[0], seg.rotate[1] * np.sin(2 * np.pi * s[k])) if seg.rotate else None
            a = _hand(cfg, wrist, right, signer, play, rot)
            if seg.target is not None:
                a = (1 - s[k]) * a + s[k] * _hand(target, wrist, right, signer, play, rot)
            frames.append(a)
        pos, cfg = pos + path[-1], target
    for _ in range(holds[1]):
        frames.append(_hand(cfg, pos, right, signer))
    return np.stack(frames)


def synthesize(text: str, signer: Signer | None = None, rng: np.random.Generator | None = None) -> np.ndarray:
    """(T, 51, 3) canonical keypoints (metres, body frame; NaN = not detected) for a HamNoSys string."""
    sign: Sign = parse(text)
    signer = signer or Signer()
    rng = rng or np.random.default_rng(0)
    dom_cfg = sign.dominant or HandConfig(handshape="hamflathand", extended_finger=["hamextfingeru"], palm=["hampalml"])
    segments = plan(sign.movements, signer.tempo) or [Segment(8)]
    holds = (int(rng.integers(2, 7)), int(rng.integers(2, 7)))
    start = location_point(sign.locations, sign.contacts, signer, right=True)
    two_hands = sign.symmetry is not None or sign.nondominant is not None or any(seg.other for seg in segments)
    if two_hands and abs(start[0]) < 0.05:  # two hands at a central location sit side by side, not in one place
        start[0] -= TWO_HAND_GAP
    right = _render_hand(dom_cfg, start, segments, True, signer, holds)
    T = len(right)
    # the non-dominant hand: symmetric, its own configuration held, doing its own part, or resting
    if sign.symmetry:
        lr = sign.symmetry == "hamsymmlr"
        cfg = sign.nondominant or (_mirror(dom_cfg) if lr else dom_cfg)
        lstart = location_point(sign.locations, sign.contacts, signer, right=False)
        lstart[0] = -start[0]
        alternating = "hamalternatingmotion" in sign.symmetry_modifiers + sign.repetitions
        delay = segments[0].frames // 2 if alternating else 0  # the other hand starts half a movement later
        left = _render_hand(cfg, lstart, segments, False, signer, (holds[0] + delay, holds[1]), mirror_x=lr)[:T]
    elif sign.nondominant is not None or any(s.other for s in segments):
        cfg = sign.nondominant or dom_cfg
        lstart = location_point(sign.locations, sign.contacts, signer, right=False)
        lstart[0] = -start[0]
        other = [o for s in segments for o in s.other]
        left = _render_hand(cfg, lstart, other, False, signer, (holds[0], 0))
    else:
        rest = HandConfig("hamflathand", extended_finger=["hamextfingerdo"], palm=["hampalmr"])
        left = _render_hand(rest, REST_LEFT * [signer.shoulder_width / 0.36, 1, 1], [], False, signer, (T, 0))
    if len(left) < T:
        left = np.concatenate([left, np.repeat(left[-1:], T - len(left), axis=0)])
    left = left[:T]

    data = np.full((T, kp.NUM_POINTS, 3), np.nan)
    body = body_points(signer)
    for name, p in body.items():
        data[:, kp.INDEX[name]] = p
    data[:, kp.RIGHT_HAND] = right
    data[:, kp.LEFT_HAND] = left
    data[:, kp.INDEX["RIGHT_WRIST"]] = right[:, 0]
    data[:, kp.INDEX["LEFT_WRIST"]] = left[:, 0]
    for t in range(T):
        data[t, kp.INDEX["RIGHT_ELBOW"]] = elbow(body["RIGHT_SHOULDER"], right[t, 0])
        data[t, kp.INDEX["LEFT_ELBOW"]] = elbow(body["LEFT_SHOULDER"], left[t, 0])
    # tremor and noise, camera viewpoint, missed hand detections
    data += rng.normal(0, signer.tremor, size=(T, 1, 3)).cumsum(0) * 0.3
    data += rng.normal(0, signer.noise, size=data.shape)
    a = np.deg2rad(signer.viewpoint_deg)
    rot = np.array([[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]])
    data = data @ rot.T
    for part in (kp.LEFT_HAND, kp.RIGHT_HAND):
        data[rng.random(T) < signer.dropout, part] = np.nan
    return data.astype(np.float32)


def to_pixels(data: np.ndarray, width: int = 500, height: int = 500) -> np.ndarray:
    """Body-frame metres -> image-like coordinates (x right, y down, in pixels; z scaled alike)."""
    scale = width / 1.2
    return data * scale + np.array([width / 2, height * 0.35, 0.0])


def write_dataset(folder: str | Path, lexicon: list[tuple[str, str]], signers: int = 6, repetitions: int = 3, seed: int = 0) -> Path:
    """Write ``<folder>/signerN/<gloss>-<r>.pose`` for every (gloss, HamNoSys) entry plus ``manifest.csv``.

    Deterministic from ``seed``; groups (for splitting) are signers.
    """
    from ..data.formats.pose import write_pose

    folder = Path(folder)
    rows = []
    for si in range(signers):
        signer = Signer.sample(np.random.default_rng([seed, si]))
        for ci, (gloss, text) in enumerate(lexicon):
            for r in range(repetitions):
                rng = np.random.default_rng([seed, si, ci, r])
                tempo = Signer(**{**signer.__dict__, "tempo": signer.tempo * rng.uniform(0.9, 1.1)})
                rel = f"signer{si + 1}/{gloss}-{r + 1}.pose"
                write_pose(folder / rel, to_pixels(synthesize(text, tempo, rng)), FPS)
                rows.append({"path": rel, "label": gloss, "gloss": gloss, "hamnosys": text, "signer": f"signer{si + 1}"})
    with atomic_path(folder / "manifest.csv") as tmp:
        with open(tmp, "w", newline="", encoding="utf-8") as f:
            w = csv.DictWriter(f, fieldnames=["path", "label", "gloss", "hamnosys", "signer"])
            w.writeheader()
            w.writerows(rows)
    return folder
