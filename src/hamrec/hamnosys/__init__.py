"""HamNoSys notation: symbol table, parser, SiGML, phonological features. No ML dependencies.

    >>> from hamrec import hamnosys
    >>> hamnosys.to_names("\\ue001\\ue020\\ue038")
    ['hamflathand', 'hamextfingeru', 'hampalmu']
"""

from .convert import from_names, from_sigml, from_text, to_names, to_sigml
from .features import VOCABULARY, features, similarity
from .parser import HamNoSysError, HandConfig, Movement, Sign, parse
from .symbols import SYMBOLS, Symbol

__all__ = ["parse", "to_names", "from_names", "from_text", "to_sigml", "from_sigml", "features", "similarity", "VOCABULARY", "HamNoSysError",
           "Sign", "HandConfig", "Movement", "SYMBOLS", "Symbol"]  # fmt: skip
