"""Unicode string <-> symbol names <-> SiGML."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from xml.sax.saxutils import quoteattr

from . import symbols as S
from .parser import HamNoSysError, tokenize


def to_names(text: str) -> list[str]:
    """``"\\ue001\\ue020"`` -> ``["hamflathand", "hamextfingeru"]`` (spaces kept as ``space``)."""
    tokenize(text)  # raises on unknown code points, with the position
    return [S.SYMBOLS[ch].name for ch in text]


def from_names(names: list[str] | str) -> str:
    """Symbol names (a list, or the comma-separated ``hamnosys_text`` form) -> Unicode string.

    Raises:
        HamNoSysError: an unknown name, with its index.
    """
    if isinstance(names, str):
        names = [n for n in names.split(",") if n.strip()]
    out = []
    for i, n in enumerate(names):
        sym = S.lookup_name(n)
        if sym is None:
            raise HamNoSysError(f"unknown symbol name {n.strip()!r}", i, n.strip())
        out.append(sym.char)
    return "".join(out)


def from_text(text: str) -> str:
    """What a user types -> Unicode string: HamNoSys characters as they are, or comma-separated
    symbol names (``"hamflathand,hamextfingeru"``) converted with :func:`from_names`."""
    if any(0xE000 <= ord(c) <= 0xE0F1 for c in text):  # the HamNoSys private-use area
        return text
    return from_names(text)


def to_sigml(text: str, gloss: str = "") -> str:
    """A SiGML document for one sign: ``<sigml><hns_sign gloss=…><hamnosys_manual><hamflathand/>…``."""
    tags = "".join(f"<{n}/>" for n in to_names(text) if n != "space")
    return (f"<sigml><hns_sign gloss={quoteattr(gloss)}><hamnosys_nonmanual></hamnosys_nonmanual>"
            f"<hamnosys_manual>{tags}</hamnosys_manual></hns_sign></sigml>")  # fmt: skip


def from_sigml(xml: str) -> list[tuple[str, str]]:
    """(gloss, HamNoSys string) of every ``hns_sign`` in a SiGML document."""
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as e:
        raise HamNoSysError(f"not well-formed SiGML: {e}") from e
    signs = [root] if root.tag == "hns_sign" else list(root.iter("hns_sign"))
    out = []
    for sign in signs:
        manual = sign.find("hamnosys_manual")
        names = [child.tag for child in manual] if manual is not None else []
        out.append((sign.get("gloss", ""), from_names(names)))
    return out
