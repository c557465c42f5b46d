"""The signer's body: skeleton in the canonical layout, and where HamNoSys locations are on it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Signer:
    """Body proportions and habits of one synthetic signer (all lengths in metres)."""

    shoulder_width: float = 0.36
    height_scale: float = 1.0  # scales vertical distances (neck, face)
    hand_scale: float = 1.0
    tempo: float = 1.0  # > 1 signs faster
    viewpoint_deg: float = 0.0  # camera turned about the vertical axis
    tremor: float = 0.002
    noise: float = 0.003  # keypoint noise (metres)
    dropout: float = 0.04  # chance that a hand is not detected in a frame

    @classmethod
    def sample(cls, rng: np.random.Generator) -> "Signer":
        return cls(
            shoulder_width=rng.uniform(0.31, 0.42), height_scale=rng.uniform(0.88, 1.12), hand_scale=rng.uniform(0.88, 1.12),
            tempo=rng.uniform(0.8, 1.25), viewpoint_deg=rng.uniform(-15, 15), tremor=rng.uniform(0.001, 0.004),
            noise=rng.uniform(0.002, 0.005), dropout=rng.uniform(0.0, 0.08),
        )  # fmt: skip


#: location name -> point on the body (x to the signer's left, y down, z out), shoulders' midpoint at 0, for a 0.36 m wide signer
LOCATIONS = {
    "hamhead": (0.0, -0.25, 0.09), "hamheadtop": (0.0, -0.36, 0.02), "hamforehead": (0.0, -0.31, 0.10), "hameyebrows": (0.0, -0.28, 0.10),
    "hameyes": (0.0, -0.26, 0.10), "hamnose": (0.0, -0.22, 0.12), "hamnostrils": (0.0, -0.21, 0.12), "hamear": (-0.08, -0.23, 0.0),
    "hamearlobe": (-0.08, -0.20, 0.0), "hamcheek": (-0.05, -0.20, 0.08), "hamlips": (0.0, -0.17, 0.11), "hamtongue": (0.0, -0.17, 0.12),
    "hamteeth": (0.0, -0.17, 0.11), "hamchin": (0.0, -0.13, 0.10), "hamunderchin": (0.0, -0.11, 0.07), "hamneck": (0.0, -0.06, 0.05),
    "hamshouldertop": (-0.17, -0.02, 0.0), "hamshoulders": (0.0, 0.0, 0.08), "hamchest": (0.0, 0.10, 0.12), "hamstomach": (0.0, 0.25, 0.12),
    "hambelowstomach": (0.0, 0.35, 0.10), "hamneutralspace": (0.0, 0.15, 0.30),
    # on the non-dominant (left) arm
    "hamupperarm": (0.2, 0.12, 0.03), "hamelbow": (0.22, 0.26, 0.0), "hamelbowinside": (0.2, 0.26, 0.05), "hamlowerarm": (0.15, 0.30, 0.12),
    "hamwristback": (0.08, 0.30, 0.2), "hamwristpulse": (0.08, 0.31, 0.2),
}  # fmt: skip
HAND_PART_LOCATION = (0.04, 0.25, 0.28)  # a location on the other hand: in front of the body, towards the left
#: distance of the hand in front of its location, by contact
CONTACT_DISTANCE = {"hamtouch": 0.02, "hambrushing": 0.02, "haminterlock": 0.0, "hamcross": 0.0, "hamclose": 0.06, None: 0.2}


def location_point(names: list[str], contacts: list[str], signer: Signer, right: bool = True) -> np.ndarray:
    """Where the wrist is for a location (plus lr modifiers and contact), in body coordinates."""
    body = [n for n in names if n in LOCATIONS]
    if body:
        p = np.array(LOCATIONS[body[0]], float)
        distance = CONTACT_DISTANCE.get(contacts[0] if contacts else None, 0.2)
    elif any(n.startswith("ham") for n in names):  # a hand part: the other hand
        p = np.array(HAND_PART_LOCATION)
        distance = 0.02 if contacts else 0.08
    else:
        p = np.array(LOCATIONS["hamneutralspace"])
        distance = 0.0
    p = p * [signer.shoulder_width / 0.36, signer.height_scale, 1.0]
    if "hamlrbeside" in names:
        p[0] -= 0.12
    elif "hamlrat" in names and body and abs(p[0]) < 0.02:
        p[0] -= 0.05
    p[2] += distance
    p[1] += 0.12  # the wrist is below the fingertips that touch the location
    if not right:
        p[0] = -p[0]
    return p


def body_points(signer: Signer) -> dict[str, np.ndarray]:
    w = signer.shoulder_width / 2
    return {
        "NOSE": np.array([0.0, -0.22 * signer.height_scale, 0.12]),
        "LEFT_SHOULDER": np.array([w, 0.0, 0.0]),
        "RIGHT_SHOULDER": np.array([-w, 0.0, 0.0]),
        "LEFT_HIP": np.array([w * 0.75, 0.52, 0.0]),
        "RIGHT_HIP": np.array([-w * 0.75, 0.52, 0.0]),
    }


def elbow(shoulder: np.ndarray, wrist: np.ndarray, upper: float = 0.29, fore: float = 0.26) -> np.ndarray:
    """A plausible elbow for a shoulder and wrist: two-bone IK, elbow pointing down and out."""
    d = wrist - shoulder
    dist = np.clip(np.linalg.norm(d), 1e-3, upper + fore - 1e-3)
    u = d / np.linalg.norm(d)
    a = (upper**2 - fore**2 + dist**2) / (2 * dist)
    h = np.sqrt(max(upper**2 - a**2, 0.0))
    pole = np.array([np.sign(shoulder[0]) * 0.4, 1.0, -0.2])
    pole = pole - u * (pole @ u)
    pole /= np.linalg.norm(pole) + 1e-9
    return shoulder + u * a + pole * h
