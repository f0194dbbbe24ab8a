"""One rule for attacker text made into words on the server: steering characters shown as codes.

A command line, a file or a host name can carry characters that steer how the text
around them is drawn: a right-to-left override (U+202E turns ``gnp.exe`` into
``exe.png``), a zero-width space that splits a word without a trace, a line separator,
a terminal escape.  Deleting them hides that the attacker used one; replacing them by
U+FFFD loses which one it was.  Every text the server makes from data (a cluster's
summary, its checks, a timeline row) writes each such character as its code instead,
``\\u202e``, as the page's ``visibleText`` (``web/static/js/dom.js``) does with what it
is sent, so the analyst reads the same thing in the summary, the checks, the timeline
and the CLI (review U1 #11).

The characters: Unicode categories Cc (controls), Cf (format: bidi marks, overrides and
isolates, zero-width and invisible characters, tag characters), Zl and Zp (line and
paragraph separators), except ZWNJ and ZWJ (U+200C, U+200D), which scripts and emoji
sequences need.
"""

from __future__ import annotations

import re
import unicodedata

_STEERING = frozenset(("Cc", "Cf", "Zl", "Zp"))
_KEPT = frozenset(("\u200c", "\u200d"))
_WHITE = re.compile(r"[\t\n\r\x0b\x0c]+")


def code_of(char: str) -> str:
    """``char`` as ``\\uXXXX`` (lower-case hex), ``\\UXXXXXXXX`` beyond U+FFFF.

    Examples
    --------
    >>> print(code_of("\\u202e"), code_of("\\U000e0041"))
    \\u202e \\U000e0041
    """
    code = ord(char)
    return f"\\U{code:08x}" if code > 0xFFFF else f"\\u{code:04x}"


def visible(value: object) -> str:
    """``value`` as text with every display-steering character written as its code.

    Tabs and line breaks become one space each run (a text made here is one line);
    every other control, format or separator character becomes ``\\uXXXX``.

    Examples
    --------
    >>> print(visible("invoice\\u202efdp.exe \\u200bx\\n\\tend\\x1b[2J"))
    invoice\\u202efdp.exe \\u200bx end\\u001b[2J
    >>> visible("plain ascii")
    'plain ascii'
    """
    text = _WHITE.sub(" ", str(value))
    if text.isascii() and text.isprintable():
        return text
    return "".join(code_of(ch) if ch not in _KEPT and unicodedata.category(ch) in _STEERING else ch
                   for ch in text)
