"""Rules for API key names, shared by ``/v1/keys`` and ``graphsiem keys``."""

from __future__ import annotations

import unicodedata

_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
"""Control, format (BiDi and zero-width marks), surrogate, private-use, unassigned,
line and paragraph separators: characters a terminal or a page does not show as
themselves."""


def key_name_problem(name: str) -> str | None:
    r"""Why ``name`` may not name an API key, or None when it may.

    A key's name is printed in ``graphsiem keys list`` and the audit trail; a
    name holding ``\r`` and an erase-line escape, or a right-to-left override,
    would hide or disguise a row of the operator's listing.

    Parameters
    ----------
    name : str
        The name asked for.

    Returns
    -------
    str or None
        The reason, naming the first offending character by its code point.

    Examples
    --------
    >>> key_name_problem("alice (laptop)") is None
    True
    >>> key_name_problem("x\r\x1b[2K")
    'the name holds a control or format character (U+000D at position 1)'
    """
    for position, char in enumerate(name):
        if unicodedata.category(char) in _HIDDEN_CATEGORIES:
            return (f"the name holds a control or format character "
                    f"(U+{ord(char):04X} at position {position})")
    return None
