"""The one in-memory type that every format reader returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


class RecordingError(ValueError):
    """A recording cannot be used; the message names the file, what was wrong and what was expected."""


def describe_layout(key: tuple[str, int, int]) -> str:
    """A :attr:`SignSequence.layout_key` in words, for messages."""
    return f"layout {key[0]!r} with {key[1]} points x {key[2]} dims"


@dataclass
class SignSequence:
    """One recording of one sign, before feature extraction.

    Attributes:
        data: (T, P, D) float32 — frames, points, coordinate dims. Missing values are NaN.
        mask: (T, P) bool — True where the point was detected (confidence > 0, not NaN).
        fps: frames per second of the recording.
        layout: name of the point layout; sequences can only be trained together when their
            layouts agree (``keypoints`` is the canonical body+hands layout, ``auslan_glove``
            the 22 glove channels, ``smplx`` SMPL-X pose parameters, ``array`` anything else).
        points: names of the P points (or channels), for drawing and for error messages.
        source: the file it was read from.
        meta: anything else the reader knew (signer, session, original point count ...).
    """

    data: np.ndarray
    mask: np.ndarray
    fps: float
    layout: str
    points: list[str]
    source: str = ""
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.data = np.asarray(self.data, dtype=np.float32)
        if self.data.ndim != 3:
            raise RecordingError(f"{self.source}: expected data of shape (frames, points, dims), got {self.data.shape}")
        self.mask = np.asarray(self.mask, dtype=bool) & ~np.isnan(self.data).any(axis=-1)
        if self.mask.shape != self.data.shape[:2]:
            raise RecordingError(f"{self.source}: mask shape {self.mask.shape} does not match data {self.data.shape}")
        if len(self.points) != self.data.shape[1]:
            raise RecordingError(f"{self.source}: {len(self.points)} point names for {self.data.shape[1]} points")

    @property
    def num_frames(self) -> int:
        return int(self.data.shape[0])

    @property
    def layout_key(self) -> tuple[str, int, int]:
        """(layout, points, dims): what recordings must share to be trained on by one model."""
        return (self.layout, int(self.data.shape[1]), int(self.data.shape[2]))

    def check_usable(self) -> None:
        """Raise :class:`RecordingError` for an empty or entirely missing recording."""
        if self.num_frames == 0:
            raise RecordingError(f"{self.source}: the recording has no frames; expected at least one")
        if not self.mask.any():
            raise RecordingError(f"{self.source}: every value is missing (NaN or zero confidence); expected some detected points")


@dataclass
class SequenceBatch:
    """Recordings of one layout padded to the longest, so that augmentation and features work on
    the whole batch at once with array operations instead of a Python loop per recording.

    Attributes:
        data: (N, T, P, D) float32 — NaN where a point is missing and beyond each recording's end.
        mask: (N, T, P) bool — False there.
        lengths: (N,) int — frames of each recording.
        layout, points: as in :class:`SignSequence`, shared by all.
    """

    data: np.ndarray
    mask: np.ndarray
    lengths: np.ndarray
    layout: str
    points: list[str]

    @classmethod
    def of(cls, seqs: list[SignSequence]) -> "SequenceBatch":
        """Pad ``seqs`` (at least one, all of the layout of the first) to their longest."""
        lengths = np.array([s.num_frames for s in seqs], int)
        n, t, (p, d) = len(seqs), int(lengths.max()), seqs[0].data.shape[1:]
        data = np.full((n, t, p, d), np.nan, np.float32)
        mask = np.zeros((n, t, p), bool)
        for i, s in enumerate(seqs):
            data[i, : len(s.data)] = np.where(s.mask[..., None], s.data, np.nan)
            mask[i, : len(s.data)] = s.mask
        return cls(data, mask, lengths, seqs[0].layout, seqs[0].points)

    def __len__(self) -> int:
        return len(self.lengths)

    def take(self, rows: np.ndarray) -> "SequenceBatch":
        """The recordings ``rows`` (indices), padded only to the longest of them."""
        t = int(self.lengths[rows].max())
        return SequenceBatch(self.data[rows, :t], self.mask[rows, :t], self.lengths[rows], self.layout, self.points)


#: recordings that per-recording work on a padded batch handles at a time (:func:`length_groups`)
LENGTH_GROUP = 16


def length_groups(lengths: np.ndarray, size: int = LENGTH_GROUP) -> list[np.ndarray]:
    """(N,) frames of the recordings of a padded batch -> the indices of groups of ``size``
    recordings of similar length.

    Work that depends on each recording alone (its features) is done a group at a time,
    each padded only to its own longest (:meth:`SequenceBatch.take`): it then goes with the frames
    recorded, not with the batch's longest recording times the batch (a training batch of the
    built-in signs, median 21 frames, pads to about 70).
    """
    order = np.argsort(lengths, kind="stable")
    return [order[i : i + size] for i in range(0, len(lengths), size)]
