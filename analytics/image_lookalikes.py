"""Image names that imitate a Windows binary with look-alike characters (MITRE ATT&CK T1036.005).

A program saved as ``C:\\Users\\Public\\svchοst.exe`` with a Greek ``ο`` (U+03BF), or
``pоwershell.exe`` with a Cyrillic ``о``, reads as the real binary in a process list, a triage
screen and a hunt query typed by a person, while every rule that matches ``svchost.exe`` by
name misses it.  The image name is the field that matters: it is what the analyst reads.

The PE ``OriginalFileName`` is not folded into the binary it imitates
(:mod:`analytics.original_names`): whoever edits a version resource can write any name, so a
look-alike one gains them nothing over another name, and folding it would only risk reading
some other binary as ``powershell.exe``.  A resource written to *read* as a watched binary's is
still evidence of an edit (no vendor writes look-alike letters), so it is reported
(:func:`imitated_original`), never used to read the process as that binary.

A name imitates a binary of :data:`IMITATED` when it is not that name (in any case) but reads
as it once look-alike characters are folded (:func:`analytics.confusables.name_readings`:
Unicode's confusables, UTS #39, so Cyrillic, Greek, Armenian, Lisu letters and small capitals
drawn like Latin ones, marked letters, full-width forms, invisible characters, ``0`` and ``1``
for ``o`` and ``l``, a capital ``I`` for an ``l`` (``Isass.exe``), ``rn`` for ``m``).  The
characters that differ are then the look-alike ones: every other character reads as itself.
Only the whole name counts: a localized tool (``Проводник.exe``, ``Éditeur.exe``) reads as no
Windows binary and is left alone, and so is an ASCII name with a capital ``I`` that reads as
no binary's under either reading (``IE.exe``, ``Install.exe``).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from analytics.confusables import Substitution, fold_char, fold_name, name_readings, substitutions
from analytics.image_typosquats import Edit, misspelled_binary
from analytics.misplaced_binaries import HOME_FOLDERS
from analytics.original_names import CHECK_ONLY, WATCHED, OriginalName, read_original

EVERYDAY_PROGRAMS = frozenset({
    "msmpeng.exe", "winword.exe", "excel.exe", "outlook.exe", "iexplore.exe", "msedge.exe", "chrome.exe",
    "notepad.exe",
})
"""Programs with no fixed folder that malware is named after too: Defender's engine, Office, browsers."""
SYSTEM_BINARIES = frozenset(HOME_FOLDERS) | EVERYDAY_PROGRAMS
"""Windows processes (and the everyday programs next to them) malware is named after to pass
for one in a process list: MITRE ATT&CK T1036.005's examples.  Windows' core processes and
System32-only tools are :data:`analytics.misplaced_binaries.HOME_FOLDERS`' (one list, so a
binary watched where it runs is watched for its spelling too)."""
IMITATED = WATCHED | CHECK_ONLY | SYSTEM_BINARIES
"""Binaries whose look-alike image name is a check step (lower-case canonical file names)."""


@lru_cache(maxsize=1)
def _by_reading() -> dict[str, str]:
    """What each imitated name reads as -> the name (no two read alike: a test says so)."""
    return {fold_name(name): name for name in sorted(IMITATED)}


@dataclass(frozen=True, slots=True)
class Imitation:
    """A name that reads as ``imitates`` through ``substitutions`` (or a letter pair: ``pairs``), and
    one misspelling when ``edit`` is set (:mod:`analytics.image_typosquats`: ``scvhost.exe``).

    ``written`` is the name as given (attacker text: quote it as plain text).
    """

    written: str
    imitates: str
    substitutions: tuple[Substitution, ...]
    pairs: bool
    edit: Edit | None = None

    @property
    def two_letters(self) -> bool:
        """Whether the name rests on a two-letter misspelling (``scvhosts.exe``): weaker evidence
        than a look-alike character or one letter, so it is named last (:mod:`analytics.letter_edits`).

        Examples
        --------
        >>> imitated_binary("scvhosts.exe").two_letters, imitated_binary("scvhost.exe").two_letters
        (True, False)
        """
        return self.edit is not None and self.edit.second is not None

    @property
    def means(self) -> str:
        """How the name imitates the binary, for a step: ``look-alike characters``, ``a one-letter misspelling`` or both.

        Examples
        --------
        >>> imitated_binary("svch\\u03bfst.exe").means, imitated_binary("scvhost.exe").means
        ('look-alike characters', 'a one-letter misspelling')
        >>> imitated_binary("scvh\\u03bfst.exe").means
        'look-alike characters and a one-letter misspelling'
        """
        if self.edit is None:
            return "look-alike characters"
        if self.substitutions or self.pairs:
            means = self.edit.means  # "x and y" already: a list of three
            return f"look-alike characters{', ' if ' and ' in means else ' and '}{means}"
        return self.edit.means  # a one-letter misspelling, an appended suffix, another extension

    def characters(self, limit: int = 3) -> str:
        """The characters that read as others, by code point and name, for a person to see.

        Examples
        --------
        >>> imitated_binary("svch\\u03bfst.exe").characters()
        "'ο' U+03BF GREEK SMALL LETTER OMICRON for 'o'"
        >>> imitated_binary("svc\\u200bhost.exe").characters(), imitated_binary("netl.exe").characters()
        ('an invisible U+200B ZERO WIDTH SPACE', "'l' where net1.exe has '1'")
        >>> imitated_binary("scvhost.exe").characters(), imitated_binary("scvh0st.exe").characters()
        ('letters c and v swapped', "'0' U+0030 DIGIT ZERO for 'o', letters c and v swapped")
        """
        said = []
        for sub in self.substitutions[:limit]:
            kind = unicodedata.category(sub.char)
            if kind == "Zs":
                said.append(f"a space ({sub.code})")
            elif kind == "Mn":
                said.append(f"a mark on the letter before it ({sub.code})")
            elif not sub.shown:
                said.append(f"an invisible {sub.code}")
            elif kind[0] in "LNPS":
                said.append(f"'{sub.char}' {sub.code} for '{sub.shown}'")
            else:
                said.append(f"{sub.code} for '{sub.shown}'")
        if len(self.substitutions) > limit:
            said.append(f"{len(self.substitutions) - limit} more")
        if self.pairs:
            said.append("two letters drawn as one ('rn' for 'm' or 'vv' for 'w')")
        if self.edit is not None:
            return ", ".join([*said, self.edit.describe()])
        if not said:  # the confusable is the real name's (net1.exe has a '1', netl.exe an 'l')
            said = [f"'{mine}' where {self.imitates} has '{theirs}'"
                    for mine, theirs in zip(self.written.lower(), self.imitates, strict=False) if mine != theirs][:limit]
        return ", ".join(said)

    def spelled(self, limit: int = 80) -> str:
        """The name in ASCII with each other character as its code point: ``svch[U+03BF]st.exe``.

        Examples
        --------
        >>> imitated_binary("p\\u043ewershell.exe").spelled()
        'p[U+043E]wershell.exe'
        """
        text = "".join(ch if ch.isascii() and ch.isprintable() and ch != " " else f"[U+{ord(ch):04X}]"
                       for ch in self.written)
        return text if len(text) <= limit else text[: limit - 1] + "…"


def imitated_binary(file_name: str, imitated: frozenset[str] = IMITATED, *, misspellings: bool = True) -> Imitation | None:
    """The binary of ``imitated`` that ``file_name`` imitates with look-alike characters, else ``None``.

    A name that reads as no binary exactly but as one with a single misspelling (``scvhost.exe``,
    ``lsas.exe``: :func:`analytics.image_typosquats.misspelled_binary`) imitates it too, its
    :attr:`Imitation.edit` set, unless ``misspellings`` is false.

    Parameters
    ----------
    file_name : str
        An image's file name (no path), as written (case and all).
    imitated : frozenset of str
        Lower-case canonical names that count (default :data:`IMITATED`).
    misspellings : bool
        Whether a name one edit from a binary's counts (default true).

    Examples
    --------
    >>> imitated_binary("svch\\u03bfst.exe").imitates, imitated_binary("SVCH\\u039fST.EXE").imitates
    ('svchost.exe', 'svchost.exe')
    >>> imitated_binary("svchost.exe"), imitated_binary("SVCHOST.EXE"), imitated_binary("\\u041f\\u0440\\u043e\\u0432\\u043e\\u0434\\u043d\\u0438\\u043a.exe")
    (None, None, None)
    >>> imitated_binary("scvhost.exe").imitates, imitated_binary("scvhost.exe", misspellings=False)
    ('svchost.exe', None)
    """
    if not isinstance(file_name, str) or file_name.lower() in imitated:
        return None
    by_reading = _by_reading()
    for reads_as, chosen in name_readings(file_name):
        canonical = by_reading.get(reads_as)
        if canonical is not None and canonical in imitated:
            return Imitation(file_name, canonical, substitutions(file_name, chosen),
                             pairs="".join(chosen) != "".join(map(fold_char, canonical)))
    misspelled = misspelled_binary(file_name, imitated) if misspellings else None
    if misspelled is None:
        return None
    picked = misspelled.chosen  # None: misspelled as written, no character read as another
    return Imitation(file_name, misspelled.binary, substitutions(file_name, picked) if picked is not None else (),
                     pairs=picked is not None and misspelled.reading != "".join(picked), edit=misspelled.edit)


def imitated_original(value: object) -> tuple[OriginalName, Imitation] | None:
    """A PE ``OriginalFileName`` written with look-alike letters to read as a watched binary's, else ``None``.

    Only non-ASCII look-alikes count (an ASCII ``0`` in a vendor's resource is a version, not a
    disguise), and the binary is only reported: the process is still read under its name on disk.

    Examples
    --------
    >>> read, imitation = imitated_original("Pow\\u0435rShell.EXE")
    >>> imitation.imitates, read.written
    ('powershell.exe', 'PowеrShell.EXE')
    >>> imitated_original("PowerShell.EXE"), imitated_original("\\u0421\\u0435\\u0442\\u044c.exe")
    (None, None)
    """
    read = read_original(value)
    if read is None or read.written.isascii():
        return None
    name = read.written[:-4] if read.written.lower().endswith(".mui") else read.written
    watched = WATCHED | CHECK_ONLY
    # only look-alike letters: an edited resource proves nothing a misspelt one would not
    imitation = imitated_binary(name, watched, misspellings=False)
    if imitation is None and "." not in name:  # a bare PowеrShell names powershell.exe
        imitation = imitated_binary(f"{name}.exe", watched, misspellings=False)
    return None if imitation is None else (read, imitation)
