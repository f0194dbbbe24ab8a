"""What a name reads as: Unicode's confusables (UTS #39), shared by look-alike domains and file names.

A reader (and a rule written for ASCII) takes ``svchοst.exe`` with a Greek ``ο`` (U+03BF) for
``svchost.exe``, ``Isass.exe`` with a capital ``I`` for ``lsass.exe`` and ``аpple.com`` with a
Cyrillic ``а`` for ``apple.com``.  Each character is folded to the Latin letters it is drawn
like by Unicode's own confusables list (:data:`analytics.uts39_confusables.PROTOTYPES`, UTS #39
version 18.0.0: Cyrillic, Greek, Armenian, Cherokee, Coptic, Lisu, small capitals, mathematical and
full-width forms...), not a hand-picked table (review T10, finding 7: the hand table missed
``օ``, ``ɑ``, ``ꜱ``, ``ʜ``, ``ǀ``, ``ꓢ`` and the capital ``I``); :data:`CONFUSABLE_PAIRS` folds
two letters that read as one (``rn`` -> ``m``).  :func:`analytics.lookalike.skeleton` folds
domains with :func:`fold_char`; :func:`name_readings` folds a file name.

A file name is read the way it is shown, so each character is folded *before* the name is
lowered: a capital Greek ``Ν`` is drawn as a Latin ``N``, not as the ``v`` its lower case
resembles, and a capital ``I`` reads as an ``l``.  But Windows names ignore case and
``WINLOGON.EXE`` is the real binary, whose ``I`` is an ``i``: a capital drawn as an ``I``
therefore reads both ways (:func:`char_readings`), and a name is compared under each reading
(:func:`name_readings`).  A Latin letter with any combining mark is its bare letter
(``svchōst``), and characters no reader sees (zero-width, bidi controls, spaces) are dropped.
"""

from __future__ import annotations

import itertools
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from analytics.uts39_confusables import PROTOTYPES

CONFUSABLE_PAIRS = (("rn", "m"), ("vv", "w"))
"""Two characters that read as one."""
ASCII_READINGS = {"0": "o", "1": "l", "|": "l"}
"""UTS #39's ASCII entries that are one letter (``0`` -> ``O``, ``1`` and ``|`` -> ``l``), in
lower case; its ``m`` -> ``rn`` is :data:`CONFUSABLE_PAIRS`' other direction."""
EXTRA_READINGS = {"\u04cf": ("l", "i")}
"""Readings beside UTS #39's: the small Cyrillic palochka ``ӏ`` is drawn as a stroke like an ``l``
(its capital ``Ӏ`` is UTS #39's ``l``), where the data reads it as a dotless ``i``."""
MAX_AMBIGUOUS = 6
"""Characters of one name read both ways (a capital ``I``: ``i`` or ``l``) at most; any further
ones are read as their first reading (64 readings a name at most; no binary has more ``i``/``l``)."""

_INVISIBLE = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp"})
"""Categories no reader sees as part of a name: controls, format characters (zero-width, bidi) and spaces."""


@dataclass(frozen=True, slots=True)
class Substitution:
    """One character of a name that reads as something else: ``shown`` is what it passes for
    (``""`` for an invisible character), ``code`` its code point and Unicode name."""

    char: str
    shown: str

    @property
    def code(self) -> str:
        """``U+03BF GREEK SMALL LETTER OMICRON``."""
        return f"U+{ord(self.char):04X} {unicodedata.name(self.char, 'UNNAMED CHARACTER')}"


def _point_readings(part: str) -> tuple[str, ...]:
    """The readings of one (NFKC-normalised) code point, in lower case; the first is the usual one."""
    if unicodedata.category(part) in _INVISIBLE or unicodedata.category(part) == "Mn":
        return ("",)
    if part in EXTRA_READINGS:
        return EXTRA_READINGS[part]
    if part.isascii():
        return ("i", "l") if part == "I" else (ASCII_READINGS.get(part, part.lower()),)
    # a letter under any combining mark reads as its bare letter (svchōst, svchơst, svchӧst)
    bare = "".join(c for c in unicodedata.normalize("NFD", part) if unicodedata.category(c) != "Mn")
    if bare and bare != part:
        return _combined([_point_readings(c) for c in bare])
    prototype = PROTOTYPES.get(part)
    if prototype is None and part.lower() != part:
        prototype = PROTOTYPES.get(part.lower())  # a capital only its small letter is listed for (Һ, һ)
    if prototype == "l" and part.isupper():
        return ("i", "l")  # drawn as a capital I: the i of a name in capitals, or an l
    return (prototype.lower() if prototype is not None else part.lower(),)


def _combined(options: list[tuple[str, ...]]) -> tuple[str, ...]:
    """Every concatenation of one reading per part, the first readings' first (at most 4)."""
    if all(len(o) == 1 for o in options):
        return ("".join(o[0] for o in options),)
    return tuple(dict.fromkeys("".join(p) for p in itertools.islice(itertools.product(*options), 4)))


@lru_cache(maxsize=8192)  # names repeat a few thousand characters
def char_readings(char: str) -> tuple[str, ...]:
    """What one character of a name may read as, in lower case: usually one reading, ``("",)`` when invisible.

    Examples
    --------
    >>> char_readings("\\u03bf"), char_readings("\\u0585"), char_readings("\\u029c"), char_readings("\\u200b")
    (('o',), ('o',), ('h',), ('',))
    >>> char_readings("I"), char_readings("\\u0399"), char_readings("\\u039d"), char_readings("\\u00f5")
    (('i', 'l'), ('i', 'l'), ('n',), ('o',))
    >>> char_readings("\\u043f"), char_readings("\\u00df")  # a Cyrillic pe and a German sharp s stay themselves
    (('п',), ('ß',))
    """
    if unicodedata.category(char) in _INVISIBLE or unicodedata.category(char) == "Mn":
        return ("",)  # invisible, or a combining mark written apart from its letter (o + U+0301 reads as o)
    if char.isascii() or char in PROTOTYPES or char in EXTRA_READINGS:
        return _point_readings(char)  # UTS #39 reads the character itself (a lunate sigma is a c, not its NFKC sigma)
    return _combined([_point_readings(part) for part in unicodedata.normalize("NFKC", char)])


def fold_char(char: str) -> str:
    """What one character reads as, in lower case (its first reading: :func:`char_readings`).

    Examples
    --------
    >>> fold_char("\\u03bf"), fold_char("\\u039d"), fold_char("\\uff53"), fold_char("\\u200b"), fold_char("\\u0301")
    ('o', 'n', 's', '', '')
    """
    return char_readings(char)[0]


def _with_pairs(text: str) -> str:
    for pair, letter in CONFUSABLE_PAIRS:
        text = text.replace(pair, letter)
    return text


@lru_cache(maxsize=8192)  # a fleet's processes repeat a few thousand image names
def name_readings(name: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Each way ``name`` reads: the folded name (letter pairs too) and the reading chosen per character.

    The first is every character's first reading; a name with a capital ``I`` also reads with
    it as an ``l`` (:data:`MAX_AMBIGUOUS`).

    Examples
    --------
    >>> [reading for reading, _ in name_readings("Isass.exe")]
    ['isass.exe', 'lsass.exe']
    >>> [reading for reading, _ in name_readings("svch0st.exe")], [reading for reading, _ in name_readings("crnd.exe")]
    (['svchost.exe'], ['cmd.exe'])
    """
    options = [char_readings(ch) for ch in name]
    ambiguous = [i for i, o in enumerate(options) if len(o) > 1][:MAX_AMBIGUOUS]
    found: list[tuple[str, tuple[str, ...]]] = []
    for picks in itertools.product(*(options[i] for i in ambiguous)):
        chosen = [o[0] for o in options]
        for i, pick in zip(ambiguous, picks, strict=True):
            chosen[i] = pick
        found.append((_with_pairs("".join(chosen)), tuple(chosen)))
    return tuple(found)


def fold_name(name: str) -> str:
    """What a file name reads as, each character by its first reading (:func:`name_readings`' first).

    Examples
    --------
    >>> fold_name("SVCH\\u039fST.EXE"), fold_name("p\\u043ewershell.exe"), fold_name("lsa\\u0455s.exe ")
    ('svchost.exe', 'powershell.exe', 'lsass.exe')
    >>> fold_name("svch0st.exe"), fold_name("crnd.exe")
    ('svchost.exe', 'cmd.exe')
    """
    return name_readings(name)[0][0]


def substitutions(name: str, chosen: tuple[str, ...] | None = None) -> tuple[Substitution, ...]:
    """The characters of ``name`` that read as another (or as nothing), each once, in order.

    A character is listed when its reading (``chosen``, one per character as
    :func:`name_readings` gives them; else its first) is other than itself in lower case; a
    letter pair (``rn`` for ``m``) is the folding's, not a character's, and is not listed.

    Examples
    --------
    >>> [(s.shown, s.code) for s in substitutions("svch\\u03bfst.exe")]
    [('o', 'U+03BF GREEK SMALL LETTER OMICRON')]
    >>> [s.code for s in substitutions("svc\\u200bhost.exe")]
    ['U+200B ZERO WIDTH SPACE']
    >>> [(s.char, s.shown) for s in substitutions("Isass.exe", name_readings("Isass.exe")[1][1])]
    [('I', 'l')]
    """
    readings = chosen if chosen is not None and len(chosen) == len(name) else tuple(fold_char(ch) for ch in name)
    found: dict[str, Substitution] = {}
    for ch, folded in zip(name, readings, strict=True):
        if folded != ch.lower() and ch not in found:
            found[ch] = Substitution(ch, folded)
    return tuple(found.values())
