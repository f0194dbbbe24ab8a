"""Attacker text in checks and credited-process sentences carries no bidi or zero-width characters.

A per-host command line holding U+202E (right-to-left override), cut short
inside a check's sentence, left the override unterminated and turned the rest
of the sentence around on the analyst's screen (review RV6, finding 7); only
control characters were removed.  Format characters are shown as a space too.
"""

from __future__ import annotations

import unicodedata

import pytest

from analytics.checks import quote

HIDDEN = ["\u202e", "\u202d", "\u2066", "\u2069", "\u200b", "\u200e", "\ufeff", "\u2028"]


@pytest.mark.parametrize("char", HIDDEN)
def test_quoted_values_drop_format_and_control_characters(char: str) -> None:
    shown = quote(f"C:\\Users\\Public\\invoice{char}fdp.exe -enc {char}SQBFAFgA")
    assert char not in shown
    assert not any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in shown)
    assert "invoice" in shown and "fdp.exe" in shown
