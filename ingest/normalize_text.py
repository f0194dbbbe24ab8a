"""Absent markers, integers and command lines: the plainest values records hold.

Part of :mod:`ingest.normalize` (which re-exports every public name): the
markers that mean "absent" are tested by every other normaliser.
"""

from __future__ import annotations

UNSET_TEXT = frozenset(("", "-", "(empty)"))
"""The strings that mean "absent" in the sources (hot paths test membership directly)."""


def is_unset(value: object) -> bool:
    """True for values that mean "absent" in the sources (``-``, ``(empty)``, ``""``)."""
    return value is None or (isinstance(value, str) and value in UNSET_TEXT)


def parse_int(value: object) -> int | None:
    """An int from an int, a whole float, a decimal string or a hex string (``"0x2730"``).

    Raises ``ValueError`` for anything else, a float with a fraction included.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        # 4242.0 is an integer written by a JSON encoder; 12.5 is no pid or port, not 12
        if not value.is_integer():
            raise ValueError(f"not an integer: {value!r}")
        return int(value)
    text = str(value).strip()
    if is_unset(text):
        return None
    # int() also reads other scripts' digits ("٣") and underscores ("1_000"); a log's
    # numbers are ASCII, so those are damaged or crafted values, not numbers
    if text.isascii() and "_" not in text:
        try:
            if text.lower().startswith("0x"):
                return int(text, 16)
            return int(text)
        except ValueError:
            pass
    raise ValueError(f"not an integer: {text[:32]!r}")


def normalize_command_line(command_line: str) -> str:
    """Case-folded command line with runs of whitespace collapsed, for identity keys."""
    return " ".join(command_line.split()).lower()
