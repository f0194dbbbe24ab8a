"""What a triage note may hold: text in any script with line breaks, no other control character.

Used by :class:`graphsiem.api.schemas.TriagePatch`.  An assignee follows the
rule of API key names (:func:`graphsiem.api.services.keys.key_name_problem`):
no control, format (bidi override) or separator character at all.
"""

from __future__ import annotations

import unicodedata


def control_character(text: str, *, allowed: str = "") -> str | None:
    r"""The first control character (category Cc) of ``text`` not in ``allowed``, described; else None.

    Examples
    --------
    >>> control_character("line one\nline two", allowed="\n\t") is None
    True
    >>> control_character("ok\x1b[2K", allowed="\n\t")
    'a control character (U+001B at position 2)'
    """
    for position, char in enumerate(text):
        if char not in allowed and unicodedata.category(char) == "Cc":
            return f"a control character (U+{ord(char):04X} at position {position})"
    return None
