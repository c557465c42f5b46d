"""Argument types that reject bad values with a message naming the value and what is expected."""

from __future__ import annotations

import argparse


def positive_int(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"got {text!r}; expected a whole number") from None
    if v < 1:
        raise argparse.ArgumentTypeError(f"got {v}; expected a number of at least 1")
    return v


def non_negative_int(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"got {text!r}; expected a whole number") from None
    if v < 0:
        raise argparse.ArgumentTypeError(f"got {v}; expected 0 or more")
    return v


def positive_float(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"got {text!r}; expected a number") from None
    if not v > 0:
        raise argparse.ArgumentTypeError(f"got {v}; expected a number above 0")
    return v


def fraction(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"got {text!r}; expected a fraction such as 0.9") from None
    if not 0 < v <= 1:
        raise argparse.ArgumentTypeError(f"got {v}; expected a fraction above 0 and at most 1 (e.g. 0.9 for 90%)")
    return v


def non_negative_float(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"got {text!r}; expected a number") from None
    if v < 0:
        raise argparse.ArgumentTypeError(f"got {v}; expected 0 or more")
    return v


def rate(text: str) -> float:
    """A dropout rate: at least 0, below 1."""
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"got {text!r}; expected a rate such as 0.1") from None
    if not 0 <= v < 1:
        raise argparse.ArgumentTypeError(f"got {v}; expected a rate of at least 0 and below 1")
    return v
