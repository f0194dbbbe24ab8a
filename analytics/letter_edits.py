"""Letter edits between a name and a Windows binary's: one Damerau edit, and the two-edit forms attackers type (T1036.005).

:mod:`analytics.image_typosquats` reads names one edit from a watched binary's (``scvhost.exe``,
``svchosts.exe``: :func:`letter_edit`).  Malware named with two edits passes a reader just as
well (``scvhosts.exe``: two letters swapped *and* a plural ``s``; ``svcchots.exe``: a doubled
``c`` and two letters swapped), but any two edits are too many: real programs sit two plain
edits from Windows names (``explorer++.exe``, ``notepad++.exe``: two characters added;
``taskhostex.exe``: two letters added; ``xplorer2.exe``: one dropped, one added).  Of 50 real
names close to a watched one, a plain edit-distance-2 rule flagged those four (session 20).

So a second edit is read only on top of one of the edits a hand makes when it retypes a name it
knows (:func:`attacker_forms`): two neighbours swapped (``scvhost``), a letter doubled
(``svcchost``) or a doubled letter written once (``powershel``), or a plural ``s`` at the end
(``svchosts``).  The other edit may be any one (a letter added, missing, changed, or two
neighbours swapped).  Two plain insertions (``++``, ``ex``), two plain substitutions, or a letter
dropped and another added stay quiet.  Only binaries whose stem has at least
:data:`MIN_TWO_EDIT_STEM` letters are read so (``svchost``, ``wininit``, ``explorer``,
``services``): two edits are a large share of a short name, so ``lsass``, ``csrss``, ``mshta``,
``sihost`` keep the one-edit rule alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from typing import NamedTuple

MIN_TWO_EDIT_STEM = 7
"""Fewest letters of a binary's stem that two edits are read against (``svchost``, ``wininit``,
``explorer``; not ``lsass``, ``csrss``, ``sihost``, ``ctfmon``: see the module text)."""


class LetterEdit(NamedTuple):
    """One edit: ``kind`` is ``swapped`` (``written`` holds the two characters in the edited name's
    order, ``expected`` in the original's), ``extra`` (``written`` is the added character),
    ``missing`` (``expected`` is the character left out) or ``changed`` (``written`` stands where
    the original has ``expected``)."""

    kind: str
    written: str = ""
    expected: str = ""


def letter_edit(stem: str, other: str) -> LetterEdit | None:
    """The one Damerau edit that turns ``other`` into ``stem``, else ``None`` (equal, or further apart).

    Examples
    --------
    >>> letter_edit("scvhost", "svchost"), letter_edit("svhost", "svchost")
    (LetterEdit(kind='swapped', written='cv', expected='vc'), LetterEdit(kind='missing', written='', expected='c'))
    >>> letter_edit("svchost", "svchost"), letter_edit("svcsoht", "svchost")
    (None, None)
    """
    if stem == other or abs(len(stem) - len(other)) > 1:
        return None
    i = 0
    while i < min(len(stem), len(other)) and stem[i] == other[i]:
        i += 1  # the first place they differ
    if len(stem) == len(other):
        if stem[i + 1:] == other[i + 1:]:
            return LetterEdit("changed", stem[i], other[i])
        swapped = i + 1 < len(stem) and stem[i] == other[i + 1] and stem[i + 1] == other[i]
        return LetterEdit("swapped", stem[i:i + 2], other[i:i + 2]) if swapped and stem[i + 2:] == other[i + 2:] else None
    if len(stem) > len(other):
        return LetterEdit("extra", stem[i]) if stem[i + 1:] == other[i:] else None
    return LetterEdit("missing", expected=other[i]) if stem[i:] == other[i + 1:] else None


def attacker_forms(stem: str) -> Iterator[tuple[str, LetterEdit]]:
    """The names one hand-made edit from ``stem``, each with its edit: two neighbours swapped, a
    letter doubled or a doubled one written once, a plural ``s`` (each name once).

    Examples
    --------
    >>> sorted(name for name, _ in attacker_forms("abb"))
    ['aabb', 'ab', 'abbb', 'abbs', 'bab']
    """
    seen = {stem}

    def new(name: str) -> bool:
        fresh = name not in seen
        seen.add(name)
        return fresh

    for i in range(len(stem) - 1):
        if stem[i] != stem[i + 1]:
            swapped = stem[:i] + stem[i + 1] + stem[i] + stem[i + 2:]
            if new(swapped):
                yield swapped, LetterEdit("swapped", swapped[i:i + 2], stem[i:i + 2])
        elif new(once := stem[:i] + stem[i + 1:]):
            yield once, LetterEdit("missing", expected=stem[i])
    for i, letter in enumerate(stem):
        if new(doubled := stem[:i + 1] + letter + stem[i + 1:]):
            yield doubled, LetterEdit("extra", letter)
    if new(plural := stem + "s"):
        yield plural, LetterEdit("extra", "s")


def two_edits(stem: str, binary_stem: str) -> tuple[LetterEdit, LetterEdit] | None:
    """The two edits that turn ``binary_stem`` into ``stem``, the first a hand-made one
    (:func:`attacker_forms`), the second from that form; else ``None``: the same name, one edit
    apart, further apart, a binary stem shorter than :data:`MIN_TWO_EDIT_STEM`, or two edits of
    no hand-made form.

    Examples
    --------
    >>> [e.kind for e in two_edits("scvhosts", "svchost")], [e.kind for e in two_edits("svcchots", "svchost")]
    (['swapped', 'extra'], ['swapped', 'extra'])
    >>> two_edits("notepad++", "notepad"), two_edits("taskhostex", "taskhost"), two_edits("scvhost", "svchost")
    (None, None, None)
    """
    found = nearest_two_edits(stem, frozenset({binary_stem}))
    return None if found is None else found[1:]


def nearest_two_edits(stem: str, binary_stems: frozenset[str]) -> tuple[str, LetterEdit, LetterEdit] | None:
    """The binary stem of ``binary_stems`` that ``stem`` is two edits from (:func:`two_edits`), with
    the two edits; the first by name when several are.  Not one that ``stem`` is, or is one edit from.

    Every hand-made form of every binary is indexed once by itself and its one-letter deletions
    (two words one edit apart share one of those: SymSpell's deletion index), so a name is
    compared with the few forms that share one, not with all of them.

    Examples
    --------
    >>> nearest_two_edits("svhosts", frozenset({"svchost", "sihost"}))[0]
    'svchost'
    """
    if stem in binary_stems:
        return None
    index = _form_index(binary_stems)
    found = []
    for key in _deletions(stem):
        for order, (binary_stem, formed, first) in index.get(key, ()):
            if abs(len(stem) - len(binary_stem)) <= 2 and letter_edit(stem, binary_stem) is None:
                second = letter_edit(stem, formed)
                if second is not None:
                    found.append((binary_stem, order, first, second))
    if not found:
        return None
    binary_stem, _, first, second = min(found)
    return binary_stem, first, second


def _deletions(word: str) -> set[str]:
    """``word`` and each word one letter shorter."""
    return {word} | {word[:i] + word[i + 1:] for i in range(len(word))}


@lru_cache(maxsize=8)
def _form_index(binary_stems: frozenset[str]) -> dict[str, tuple[tuple[int, tuple[str, str, LetterEdit]], ...]]:
    """Each key of :func:`_deletions` of each hand-made form -> ``(order, (binary stem, form, edit))``."""
    index: dict[str, list[tuple[int, tuple[str, str, LetterEdit]]]] = {}
    for binary_stem in binary_stems:
        if len(binary_stem) < MIN_TWO_EDIT_STEM:
            continue
        for order, (formed, first) in enumerate(attacker_forms(binary_stem)):
            for key in _deletions(formed):
                index.setdefault(key, []).append((order, (binary_stem, formed, first)))
    return {key: tuple(entries) for key, entries in index.items()}
