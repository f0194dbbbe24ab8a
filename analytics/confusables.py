"""Characters that pass for Latin letters: the table shared by look-alike domains and file names.

A reader (and a rule written for ASCII) takes ``svchοst.exe`` with a Greek ``ο`` (U+03BF) for
``svchost.exe``, and ``аpple.com`` with a Cyrillic ``а`` for ``apple.com``.  :data:`CONFUSABLES`
maps such a character to the Latin letter it passes for (a small, hand-picked subset of
Unicode's confusables: the Cyrillic and Greek letters drawn like Latin ones, Latin letters with
marks that vanish at a glance, and the digits ``0`` and ``1``); :data:`CONFUSABLE_PAIRS` two
characters that read as one (``rn`` -> ``m``).  :func:`analytics.lookalike.skeleton` folds
domains with them; :func:`fold_name` folds a file name, case and all.

A file name is read the way it is shown: a capital Greek ``Ν`` is drawn as a Latin ``N``, not as
the ``v`` its lower case resembles, so capitals are folded before the name is lowered
(:data:`UPPER_CONFUSABLES`), and a Latin letter with any combining mark is its bare letter.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

CONFUSABLES = {
    # Cyrillic letters drawn like Latin ones
    "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "х": "x", "у": "y", "і": "i", "ј": "j",
    "ѕ": "s", "ԁ": "d", "һ": "h", "ӏ": "l", "к": "k", "м": "m", "т": "t", "в": "b", "н": "h",
    "ԛ": "q", "ԝ": "w",
    # Greek
    "α": "a", "ο": "o", "ν": "v", "ρ": "p", "ι": "i", "κ": "k", "τ": "t", "ϲ": "c",
    # Latin with marks that vanish at a glance
    "à": "a", "á": "a", "â": "a", "ä": "a", "ã": "a", "å": "a", "è": "e", "é": "e", "ê": "e", "ë": "e",
    "ì": "i", "í": "i", "î": "i", "ï": "i", "ı": "i", "ò": "o", "ó": "o", "ô": "o", "ö": "o", "õ": "o",
    "ù": "u", "ú": "u", "û": "u", "ü": "u", "ç": "c", "ñ": "n", "ý": "y", "ÿ": "y", "ɡ": "g",
    # digits read as letters
    "0": "o", "1": "l",
}
"""One (lower-case) character -> the Latin letter it passes for."""
CONFUSABLE_PAIRS = (("rn", "m"), ("vv", "w"))
"""Two characters that read as one."""
UPPER_CONFUSABLES = {
    # Cyrillic capitals drawn like Latin ones
    "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C",
    "Т": "T", "Х": "X", "У": "Y", "І": "I", "Ј": "J", "Ѕ": "S", "Ԛ": "Q", "Ԝ": "W",
    # Greek capitals
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N",
    "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X", "Ϲ": "C",
}
"""Capitals that pass for a Latin capital whose lower-case letter is not in :data:`CONFUSABLES`'s
reading (Greek ``Ν`` is an ``N``, its ``ν`` a ``v``); folded before the name is lowered."""

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


def fold_char(char: str) -> str:
    """What one character of a file name reads as, in lower case (``""`` for an invisible one).

    Examples
    --------
    >>> fold_char("\\u03bf"), fold_char("\\u039d"), fold_char("\\uff53"), fold_char("\\u200b"), fold_char("\\u00f5"), fold_char("\\u0301")
    ('o', 'n', 's', '', 'o', '')
    >>> fold_char("\\u043f"), fold_char("\\u00df")  # a Cyrillic pe and a German sharp s stay themselves
    ('п', 'ß')
    """
    if unicodedata.category(char) in _INVISIBLE or unicodedata.category(char) == "Mn":
        return ""  # invisible, or a combining mark written apart from its letter (o + U+0301 reads as o)
    if char.isascii():
        return CONFUSABLES.get(char.lower(), char.lower())
    out = []
    for part in unicodedata.normalize("NFKC", char):  # full-width and compatibility forms
        if unicodedata.category(part) in _INVISIBLE:
            continue
        part = UPPER_CONFUSABLES.get(part, part).lower()
        folded = CONFUSABLES.get(part)
        if folded is None:
            # a Latin letter under any combining mark reads as the bare letter (svchōst)
            base = unicodedata.normalize("NFD", part)
            bare = "".join(c for c in base if unicodedata.category(c) != "Mn")
            folded = bare if bare.isascii() and bare.isalpha() and len(bare) == 1 else part
        out.append(folded)
    return "".join(out)


def fold_name(name: str) -> str:
    """What a file name reads as: each character folded (:func:`fold_char`), then letter pairs.

    Examples
    --------
    >>> fold_name("SVCH\\u039fST.EXE"), fold_name("p\\u043ewershell.exe"), fold_name("lsa\\u0455s.exe ")
    ('svchost.exe', 'powershell.exe', 'lsass.exe')
    >>> fold_name("svch0st.exe"), fold_name("crnd.exe")
    ('svchost.exe', 'cmd.exe')
    """
    text = "".join(fold_char(ch) for ch in name)
    for pair, letter in CONFUSABLE_PAIRS:
        text = text.replace(pair, letter)
    return text


def substitutions(name: str) -> tuple[Substitution, ...]:
    """The characters of ``name`` that read as another (or as nothing), each once, in order.

    A character is listed when :func:`fold_char` reads it as something other than itself in
    lower case; a letter pair (``rn`` for ``m``) is the folding's, not a character's, and is
    not listed.

    Examples
    --------
    >>> [(s.shown, s.code) for s in substitutions("svch\\u03bfst.exe")]
    [('o', 'U+03BF GREEK SMALL LETTER OMICRON')]
    >>> [s.code for s in substitutions("svc\\u200bhost.exe")]
    ['U+200B ZERO WIDTH SPACE']
    """
    found: dict[str, Substitution] = {}
    for ch in name:
        folded = fold_char(ch)
        if folded != ch.lower() and ch not in found:
            found[ch] = Substitution(ch, folded)
    return tuple(found.values())
