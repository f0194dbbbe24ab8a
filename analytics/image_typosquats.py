"""Image names one edit away from a Windows binary's (MITRE ATT&CK T1036.005): ``scvhost.exe``, ``lsas.exe``.

Malware named ``scvhost.exe`` (two letters swapped), ``svchosts.exe`` (a letter added),
``svhost.exe`` (one missing) or ``lsasa.exe`` (one changed) passes for the real binary in a
process list as well as a Greek ``ο`` does (:mod:`analytics.image_lookalikes`), and every rule
that matches ``svchost.exe`` by name misses it.  A name is *misspelled* when its stem (the name
without its extension) is one Damerau edit from the stem of a binary of
:data:`analytics.image_lookalikes.IMITATED`: one character inserted, deleted, substituted, or two
neighbours swapped.  It is compared as written (lower case, so ``svchost1.exe`` has an extra
``1``), and else under each of its look-alike readings (:func:`analytics.confusables.name_readings`:
``scvh0st.exe`` is ``scvhost`` misspelled, with a ``0`` for the ``o``).

Three cheap dressings are read through as well: any extension Windows runs as a program
(:data:`EXTENSIONS`: ``svchost.com``, ``scvhost.scr``; a doubled ``svchost.exe.exe``, which reads
as ``svchost.exe`` where Explorer hides extensions), and a number or architecture appended to the
name (:data:`SUFFIX`: ``svchost32.exe``, ``lsass64.exe``, ``svchost-x64.exe``), with the name
below it the binary's or one edit from it.  A suffix is only read when the name is no
misspelling as written (``svchost1.exe`` has an extra ``1``).  A binary whose name already ends
in its architecture (``rundll32.exe``, ``regsvr32.exe``) is also compared with that number
swapped for another or left out (:data:`ARCHITECTURE_NUMBERS`: ``rundll64.exe``, ``regsvr64.exe``,
``rundll.exe``), the rest of the name exactly the binary's.

A name no one edit or dressing reads is compared last with two edits of a hand-made form
(:mod:`analytics.letter_edits`: ``scvhosts.exe`` is two letters swapped and a plural ``s``), for
binaries of seven letters or more and with no dressing: a two-letter misspelling is weaker
evidence, said so in its step (:attr:`Edit.second` set) and named after any stronger one.

Real programs are one edit from each other too, so three guards keep the check to disguises:

* binaries with a stem shorter than :data:`MIN_STEM` letters get no letter edit (``sc.exe`` is one
  edit from ``fc.exe`` and ``sfc.exe``, ``msdt.exe`` from ``msdtc.exe``, ``lsm.exe`` from ``ism.exe``,
  ``net.exe`` from ``net1.exe``): a short name needs an exact look-alike, or its own letters
  dressed (``cmd64.exe``, ``sc32.exe``, ``wmic1.exe``, ``cmd.scr``, ``net.exe.exe``);
* a name that is itself a binary of the watched set is never a misspelling of another
  (``wscript.exe`` and ``cscript.exe``, ``taskhost.exe`` and ``taskhostw.exe``);
* :data:`KNOWN_NEIGHBOURS` lists real programs one edit (or two of a hand-made form) from a watched
  binary (a Windows binary or a widespread vendor program), and :data:`SHIPPED_SUFFIXED` the names a watched tool
  ships under with a suffix (``PsExec64.exe``).  Windows' own 640 System32 executable names hold
  none beyond the short ones above.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from analytics.confusables import name_readings
from analytics.letter_edits import LetterEdit, letter_edit, nearest_two_edits

MIN_STEM = 5
"""Fewest letters of a binary's stem that a letter edit is read against (``lsass``, ``csrss``, ``mshta``).
Shorter stems (``sc``, ``net``, ``cmd``, ``reg``, ``lsm``, ``dwm``, ``smss``, ``wmic``, ``msdt``)
are one edit from other real Windows binaries (``fc``, ``sfc``, ``ism``, ``msdtc``) or from
ordinary words: for them only an exact look-alike counts, or their own letters with a dressing
(a suffix or another extension: ``cmd64.exe``, ``sc32.exe``), which no real name showed (session
20: none among the corpus's, the simulator fleets' and the known Windows and vendor names)."""

KNOWN_NEIGHBOURS = frozenset({
    "notepad2.exe", "notepad3.exe", "notepad4.exe",  # Notepad2 and its forks Notepad3 and Notepad4: editors named after notepad.exe
    "notepads.exe",  # the Notepads app (Microsoft Store editor): notepad.exe with a plural 's'
    "paexec.exe", "csexec.exe",  # PAExec and CSExec: remote-execution tools of their own, not renamed PsExec
    "wininst.exe",  # Python's distutils installer stub, one letter from wininit.exe
    "xplorer2.exe",  # the xplorer² file manager: explorer.exe without its 'e' and a '2' appended
    # two edits of a hand-made form (analytics.letter_edits), measured in session 21
    "xyplorer.exe",  # the XYplorer file manager: explorer.exe with 'e' and 'x' swapped and a 'y' for the 'e'
    "scshost.exe",  # Windows Server's Security Compliance Scanner host: svchost.exe with 'v' and 'c' swapped, an 's' for the 'v'
})
"""Real programs one edit, or two edits of a hand-made form, from a watched binary: never read as its
misspelling.  (``service.exe``, one letter from ``services.exe``, is none: no corpus holds a real
one, and an attacker may pick it.)"""

SHIPPED_SUFFIXED = frozenset({
    "psexec64.exe", "psexec64a.exe", "procdump64.exe", "procdump64a.exe", "mavinject32.exe", "mavinject64.exe",
})
"""Names a watched binary ships under with an architecture suffix (Sysinternals' 64-bit and ARM64
builds, Windows' ``mavinject32.exe``): never read as a suffix added to disguise it."""

EXTENSIONS = (".exe", ".com", ".scr", ".pif", ".cpl")
"""Extensions Windows runs as a program (a ``.scr`` or ``.pif`` holds an ordinary executable, a
``.cpl`` one run by ``control.exe``); only such a name is compared (``svchost.exe.mui`` is a
language resource).  Scripts (``.bat``, ``.cmd``, ``.vbs``) are left out: their process is the
interpreter's, so no process image bears their name."""

EXTENSION = ".exe"
"""The extension of every watched binary; any other of :data:`EXTENSIONS` is a dressing."""

SUFFIX = re.compile(r"(?:[-_.]?(?:x64|x86|x32|amd64|arm64|win64|win32|64|32)|[-_]?[0-9]{1,2})$")
"""A number or architecture appended to a name (``64``, ``-x64``, ``_amd64``, ``2``), read away
before the edit test."""

ARCHITECTURE_NUMBERS = ("32", "64")
"""Numbers a binary's own name may end in (``rundll32``): a name with another (``rundll64``) or
none (``rundll``) in their place is read as that binary with its number swapped or left out."""

_KIND_ORDER = {"none": 0, "swapped": 1, "missing": 2, "extra": 3, "changed": 4}
"""When a name is one edit from two binaries, the likelier reading comes first: two letters
swapped, then a letter left out (``svhost.exe`` is ``svchost.exe`` without its ``c`` before it
is ``sihost.exe`` with a ``v``), then one added, then one changed."""


def _shown(char: str) -> str:
    """A character of a name as a person can read it in a step (attacker text: never raw)."""
    if char.isascii() and char.isprintable() and char != " ":
        return char
    return f"U+{ord(char):04X} {unicodedata.name(char, 'UNNAMED CHARACTER')}"


@dataclass(frozen=True, slots=True)
class Edit:
    """One Damerau edit that turns a binary's stem into the name's: its ``kind`` and characters.

    ``kind`` is ``swapped`` (``written`` holds the two characters in the name's order), ``extra``
    (``written`` is the added character), ``missing`` (``expected`` is the character left out) or
    ``changed`` (``written`` stands where the binary has ``expected``), or ``none`` when the
    letters are the binary's and only a dressing differs.  ``suffix`` is a number or architecture
    appended to the name (``64``), ``extension`` the name's extension when it is not ``.exe``
    (``.scr``, ``.exe.exe``).  ``replaced`` is the architecture number ending the binary's own name
    that the name swapped for ``suffix`` (``rundll64.exe``) or, with no ``suffix``, left out
    (``rundll.exe``).
    """

    kind: str
    written: str = ""
    expected: str = ""
    suffix: str = ""
    extension: str = ""
    replaced: str = ""
    second: LetterEdit | None = None
    """A second letter edit, made after the first (:func:`analytics.letter_edits.two_edits`): a
    two-letter misspelling, weaker evidence than one (``scvhosts.exe``)."""

    @property
    def means(self) -> str:
        """What kind of misspelling this is, for a step: ``a one-letter misspelling``, ``an appended suffix``...

        Examples
        --------
        >>> Edit("swapped", "cv").means, Edit("none", suffix="64").means, Edit("none", extension=".scr").means
        ('a one-letter misspelling', 'an appended suffix', 'another extension')
        >>> Edit("missing", expected="c", suffix="32", extension=".com").means
        'a one-letter misspelling, an appended suffix and another extension'
        >>> Edit("none", suffix="64", replaced="32").means, Edit("none", replaced="32").means
        ('another architecture number', 'the architecture number left out')
        >>> Edit("swapped", "cv", second=LetterEdit("extra", "s")).means
        'a two-letter misspelling'
        """
        said = [] if self.kind == "none" else ["a two-letter misspelling" if self.second else "a one-letter misspelling"]
        if self.replaced:
            said.append("another architecture number" if self.suffix else "the architecture number left out")
        elif self.suffix:
            said.append("an appended suffix")
        said += ["another extension"] if self.extension else []
        return said[0] if len(said) == 1 else ", ".join(said[:-1]) + " and " + said[-1]

    def describe(self) -> str:
        """The edit in words: ``letters c and v swapped``, ``an extra 's'``, ``the 'c' missing``.

        Examples
        --------
        >>> Edit("swapped", "cv").describe(), Edit("extra", "s").describe(), Edit("missing", expected="c").describe()
        ('letters c and v swapped', "an extra 's'", "the 'c' missing")
        >>> Edit("changed", "a", "s").describe(), Edit("extra", "\\u0441").describe()
        ("'a' for 's'", 'an extra U+0441 CYRILLIC SMALL LETTER ES')
        >>> Edit("none", suffix="-x64", extension=".exe.exe").describe()
        "'-x64' appended to the name, the extension '.exe.exe' for '.exe'"
        >>> Edit("none", suffix="64", replaced="32").describe(), Edit("none", replaced="32").describe()
        ("'64' for '32' at the end of the name", "the '32' at the end of the name left out")
        >>> Edit("swapped", "cv", second=LetterEdit("extra", "s")).describe()
        "letters c and v swapped, then an extra 's'"
        """
        said = [] if self.kind == "none" else [self._letters()]
        suffix = "".join(map(_shown, self.suffix))
        if self.replaced:
            said.append(f"'{suffix}' for '{self.replaced}' at the end of the name" if suffix
                        else f"the '{self.replaced}' at the end of the name left out")
        elif self.suffix:
            said.append(f"'{suffix}' appended to the name")
        if self.extension:
            said.append(f"the extension '{''.join(map(_shown, self.extension))}' for '{EXTENSION}'")
        return ", ".join(said)

    def _letters(self) -> str:
        """The letter edit (or two) in words."""
        first = _letter_words(self.kind, self.written, self.expected)
        return first if self.second is None else f"{first}, then {_letter_words(*self.second)}"


def _letter_words(kind: str, written: str, expected: str) -> str:
    """One letter edit in words (attacker characters named by code point)."""
    if kind == "swapped":
        first, second = (_shown(c) for c in written)
        return f"letters {first} and {second} swapped"
    if kind == "extra":
        shown = _shown(written)
        return f"an extra '{shown}'" if len(shown) == 1 else f"an extra {shown}"
    if kind == "missing":
        return f"the '{expected}' missing"
    shown = _shown(written)
    return f"'{shown}' for '{expected}'" if len(shown) == 1 else f"{shown} for '{expected}'"


def one_edit(stem: str, binary: str) -> Edit | None:
    """The one Damerau edit that turns ``binary`` into ``stem``, else ``None`` (equal, or further apart).

    Examples
    --------
    >>> [one_edit(s, b).describe() for s, b in (("scvhost", "svchost"), ("svhost", "svchost"), ("lsasss", "lsass"))]
    ['letters c and v swapped', "the 'c' missing", "an extra 's'"]
    >>> one_edit("lsasa", "lsass") == Edit("changed", "a", "s"), one_edit("svchost", "svchost"), one_edit("svcsoht", "svchost")
    (True, None, None)
    """
    found = letter_edit(stem, binary)
    return None if found is None else Edit(*found)


@dataclass(frozen=True, slots=True)
class Misspelling:
    """A name that reads as ``binary`` but for one ``edit``.  When the edit was found under the
    name's look-alike ``reading`` (else ``None``: as written), ``chosen`` is its reading per character."""

    binary: str
    edit: Edit
    reading: str | None = None
    chosen: tuple[str, ...] | None = None


def misspelled_binary(file_name: str, binaries: frozenset[str]) -> Misspelling | None:
    """The binary of ``binaries`` that ``file_name`` misspells by one edit (else two), else ``None`` (see the module text).

    Parameters
    ----------
    file_name : str
        An image's file name (no path), as written.
    binaries : frozenset of str
        Lower-case canonical file names (``svchost.exe``) that count; a name among them is no misspelling.

    Examples
    --------
    >>> from analytics.image_lookalikes import IMITATED
    >>> [misspelled_binary(n, IMITATED).binary for n in ("scvhost.exe", "SVCHOSTS.EXE", "lsas.exe", "scvh0st.exe")]
    ['svchost.exe', 'svchost.exe', 'lsass.exe', 'svchost.exe']
    >>> [misspelled_binary(n, IMITATED).edit.describe() for n in ("svchost64.exe", "svchost.com", "scvhost.exe.exe")]
    ["'64' appended to the name", "the extension '.com' for '.exe'", "letters c and v swapped, the extension '.exe.exe' for '.exe'"]
    >>> [misspelled_binary(n, IMITATED) for n in ("wscript.exe", "sfc.exe", "notepad2.exe", "svchost.exe.mui", "PsExec64.exe")]
    [None, None, None, None, None]
    >>> found = misspelled_binary("scvhosts.exe", IMITATED)
    >>> found.binary, found.edit.means, found.edit.describe()
    ('svchost.exe', 'a two-letter misspelling', "letters c and v swapped, then an extra 's'")
    """
    if not isinstance(file_name, str):
        return None
    return _misspelled(file_name, binaries)


@lru_cache(maxsize=8192)  # a fleet's processes repeat a few thousand image names
def _misspelled(file_name: str, binaries: frozenset[str]) -> Misspelling | None:
    written = file_name.lower()
    if written in binaries or written in KNOWN_NEIGHBOURS or written in SHIPPED_SUFFIXED:
        return None
    readings = [(reading, chosen) for reading, chosen in name_readings(file_name)
                if reading != written and reading not in binaries and reading not in KNOWN_NEIGHBOURS]
    # one edit (or a dressing) as written, then under a look-alike reading; two edits last:
    # the weaker evidence is only read when no stronger one is there
    for nearest in (_nearest, _nearest_two):
        found = nearest(written, binaries)
        if found is not None:
            return Misspelling(*found)
        for reading, chosen in readings:
            found = nearest(reading, binaries)
            if found is not None:
                return Misspelling(*found, reading=reading, chosen=chosen)
    return None


def _split(name: str) -> tuple[str, str] | None:
    """A lower-case name's stem and extension (``.exe.exe`` for a doubled one), else ``None`` (no program's name)."""
    extension = next((e for e in EXTENSIONS if name.endswith(e)), None)
    if extension is None:
        return None
    stem = name[: -len(extension)]
    if stem.endswith(EXTENSION):  # svchost.exe.exe, svchost.exe.scr: read as svchost.exe
        stem, extension = stem[: -len(EXTENSION)], EXTENSION + extension
    return stem, extension


def _nearest(name: str, binaries: frozenset[str]) -> tuple[str, Edit] | None:
    """The binary ``name`` is one edit (or one dressing) from (an undressed name, then the likelier edit, then by name), else ``None``."""
    split = _split(name)
    if split is None:
        return None
    stem, extension = split
    dressed = "" if extension == EXTENSION else extension
    suffix = SUFFIX.search(stem)
    below = stem[: suffix.start()] if suffix is not None and suffix.start() > 0 else None
    candidates = []
    for binary in binaries:
        binary_stem = binary[: -len(EXTENSION)] if binary.endswith(EXTENSION) else None
        if binary_stem is None:
            continue
        # a short stem's letter edit is another real name too often (sc -> sfc, msdt -> msdtc): only its dressings
        lettered = len(binary_stem) >= MIN_STEM
        edit = _edit(stem, binary_stem, "", dressed, lettered)
        if edit is None and below is not None:
            edit = _edit(below, binary_stem, stem[len(below):], dressed, lettered)
        if edit is None:
            edit = _renumbered(stem, below, binary_stem, dressed)
        if edit is not None:
            candidates.append((bool(edit.suffix), _KIND_ORDER[edit.kind], binary, edit))
    if not candidates:
        return None
    *_, binary, edit = min(candidates, key=lambda c: c[:3])
    return binary, edit


def _nearest_two(name: str, binaries: frozenset[str]) -> tuple[str, Edit] | None:
    """The binary ``name`` is two edits of a hand-made form from (:func:`analytics.letter_edits.two_edits`;
    an ``.exe`` with no dressing: two weak signs do not add up to a strong one), else ``None``."""
    if not name.endswith(EXTENSION) or name.endswith(EXTENSION + EXTENSION):
        return None
    found = nearest_two_edits(name[: -len(EXTENSION)], _stems(binaries))
    if found is None:
        return None
    binary_stem, first, second = found
    return binary_stem + EXTENSION, Edit(*first, second=second)


@lru_cache(maxsize=8)
def _stems(binaries: frozenset[str]) -> frozenset[str]:
    """The stems of the ``.exe`` names among ``binaries``."""
    return frozenset(b[: -len(EXTENSION)] for b in binaries if b.endswith(EXTENSION))


def _edit(stem: str, binary_stem: str, suffix: str, extension: str, lettered: bool = True) -> Edit | None:
    """The edit from ``binary_stem`` to ``stem`` with its dressings, else ``None`` (the same name, or further
    apart; or a letter edit when ``lettered`` is false: only the dressings are read)."""
    if stem == binary_stem:
        return Edit("none", suffix=suffix, extension=extension) if suffix or extension else None
    edit = one_edit(stem, binary_stem) if lettered else None
    if edit is None:
        return None
    return Edit(edit.kind, edit.written, edit.expected, suffix, extension)


def _renumbered(stem: str, below: str | None, binary_stem: str, extension: str) -> Edit | None:
    """The binary's own architecture number swapped (``rundll64``) or left out (``rundll``) in ``stem``, else ``None``.

    ``below`` is ``stem`` without its appended number or architecture (``None``: it has none).
    The rest of the name must be the binary's exactly, and at least :data:`MIN_STEM` letters:
    a number is a cheap change, so no letter edit is read on top of it.
    """
    number = binary_stem[-2:]
    base = binary_stem[:-2]
    if number not in ARCHITECTURE_NUMBERS or len(base) < MIN_STEM:
        return None
    if stem == base:
        return Edit("none", extension=extension, replaced=number)
    if below == base:
        return Edit("none", suffix=stem[len(base):], extension=extension, replaced=number)
    return None
