"""One rule for attacker text shown to a person: characters that steer or hide are written as codes.

A command line, a file or a host name can carry characters that steer how the text
around them is drawn: a right-to-left override (U+202E turns ``gnp.exe`` into
``exe.png``), a zero-width space that splits a word without a trace, a line separator,
a terminal escape.  Deleting them hides that the attacker used one; replacing them by
U+FFFD loses which one it was.  So each such character is written as its code instead,
in one of two notations, by one function (:func:`escape_hidden`):

* ``"code"``: ``\\u202e`` (``\\UXXXXXXXX`` beyond U+FFFF), for text the server makes from
  data (a cluster's summary, its checks, a timeline row), as the page's ``visibleText``
  (``web/static/js/dom.js``) writes what it is sent, so the analyst reads the same thing
  in the summary, the checks, the timeline and the CLI (review U1 #11).  :func:`visible`
  also makes the text one line first: each line break (LF, CR or CRLF) becomes :data:`LINE_MARK`
  and a space, as the page marks one, so an analyst sees that a command line had a second
  line (a hidden second command); a ``⏎`` in the data itself is written as its code
  (``\\u23ce``), so every mark in a server text is one the server drew; tab runs become a space.
* ``"repr"``: Python's escapes (``\\x1b``, ``\\n``, ``\\u202e``), for terminal output
  (:func:`ingest.report.printable`: file names, origins, rejection reasons).

The characters (one rule for both notations; they were two, review PAGE3 #4): every
character Python does not call printable (categories Cc controls, Cf format: bidi marks,
overrides and isolates, zero-width and invisible characters, tag characters; Cs lone
surrogates, which no UTF-8 output can carry; Co private use and Cn unassigned, drawn as
nothing or a box; Zl and Zp line and paragraph separators; Zs spaces other than the
ASCII space, which read as one), except ZWNJ and ZWJ (U+200C, U+200D), which scripts
and emoji sequences need.
"""

from __future__ import annotations

import re
from typing import Literal

Notation = Literal["code", "repr"]
"""How :func:`escape_hidden` writes a character: ``\\u202e`` (``code``) or Python's ``repr`` escape."""

_KEPT = frozenset(("\u200c", "\u200d"))
_SPACES = re.compile(r"[\t\x0b\x0c]+")
_BREAK = re.compile(r"\r\n|[\r\n]")

LINE_MARK = "\u23ce"
"""The mark of a line break in one-line text (``⏎``), the page's ``LINE_MARK`` (``web/static/js/dom.js``)."""


def code_of(char: str) -> str:
    """``char`` as ``\\uXXXX`` (lower-case hex), ``\\UXXXXXXXX`` beyond U+FFFF.

    Examples
    --------
    >>> print(code_of("\\u202e"), code_of("\\U000e0041"))
    \\u202e \\U000e0041
    """
    code = ord(char)
    return f"\\U{code:08x}" if code > 0xFFFF else f"\\u{code:04x}"


def _repr_of(char: str) -> str:
    """``char`` as Python writes it in a string literal (``\\x1b``, ``\\n``, ``\\u202e``, ``\\ud800``)."""
    return repr(char)[1:-1]


_WRITERS = {"code": code_of, "repr": _repr_of}


def is_hidden(char: str) -> bool:
    """Whether ``char`` steers or hides text when shown (the module's rule), so it is written as a code.

    Examples
    --------
    >>> [is_hidden(c) for c in ("a", " ", "\\u202e", "\\u200d", "\\xa0", "\\ud800")]
    [False, False, True, False, True, True]
    """
    return not char.isprintable() and char not in _KEPT


def escape_hidden(value: object, *, notation: Notation = "code") -> str:
    """``value`` as text with every character that steers or hides (:func:`is_hidden`) written as its code.

    Parameters
    ----------
    value : object
        Anything; made text with ``str``.
    notation : {"code", "repr"}
        ``code``: ``\\u202e``, ``\\u001b``, ``\\U000e0041`` (the page's and the server's text);
        ``repr``: Python's escapes, ``\\u202e``, ``\\x1b``, ``\\n`` (terminal output).

    Returns
    -------
    str
        The text, unchanged when nothing in it is hidden.

    Examples
    --------
    >>> print(escape_hidden("a\\u202eb\\x1b[2J\\n"))
    a\\u202eb\\u001b[2J\\u000a
    >>> print(escape_hidden("a\\u202eb\\x1b[2J\\n", notation="repr"))
    a\\u202eb\\x1b[2J\\n
    """
    text = str(value)
    if text.isprintable():  # the common value: one C-speed pass, no copy
        return text
    write = _WRITERS[notation]
    return "".join(write(ch) if is_hidden(ch) else ch for ch in text)


def visible(value: object) -> str:
    """``value`` as one line of text with every display-steering character written as its code.

    Each line break (LF, CR or CRLF) becomes :data:`LINE_MARK` and a space, never a real
    break: a text made here is one line, yet an analyst still sees that a command line went
    on to a second line (review U5, as the page shows it); a ``⏎`` in the value itself is
    written ``\\u23ce``, so a mark is always the server's.  Tab runs become one space; every
    other hidden character (:func:`is_hidden`) becomes ``\\uXXXX``.

    Examples
    --------
    >>> print(visible("invoice\\u202efdp.exe \\u200bx\\n\\tend\\x1b[2J"))
    invoice\\u202efdp.exe \\u200bx⏎  end\\u001b[2J
    >>> print(visible("a\\r\\nb \\u23ce c"))
    a⏎ b \\u23ce c
    >>> visible("plain ascii")
    'plain ascii'
    """
    text = str(value)
    if text.isprintable() and LINE_MARK not in text:  # the common value: no copy
        return text
    text = _SPACES.sub(" ", text.replace(LINE_MARK, code_of(LINE_MARK)))
    return escape_hidden(_BREAK.sub(LINE_MARK + " ", text))
