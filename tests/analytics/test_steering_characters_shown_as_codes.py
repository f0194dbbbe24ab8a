"""One rule for control and bidi characters in every text the server makes (review U1 #11).

A process whose command line held U+202E was shown three ways: the cluster's
summary left the character raw (the page showed it as ``\\u202e``), its check
deleted it silently, and the host timeline showed U+FFFD.  Now the summary, the
checks and the timeline all write it as its code, so the analyst sees the same
``\\u202e`` everywhere, and sees that the attacker used one.
"""

from __future__ import annotations

import pytest

from analytics.checks import quote
from analytics.cluster_summary import summarize as cluster_summary
from analytics.features import ClusterFacts
from graphsiem.event_summary import summarize as timeline_summary

COMMAND = 'C:\\Users\\Public\\invoice{char}gnp.exe --url "http://evil.example/"'
CASES = [("\u202e", "\\u202e"), ("\u200b", "\\u200b"), ("\x1b", "\\u001b"), ("\u2066", "\\u2066"),
         ("\U000e0041", "\\U000e0041")]


def _texts(char: str) -> dict[str, str]:
    value = COMMAND.format(char=char)
    facts = ClusterFacts({"first_contact_spread_min": 3.0}, [], [], [], [])
    return {
        "summary": cluster_summary(facts, pivot_type="process", pivot_value=value, host_count=5,
                                   pivot_is_new=True),
        "check": quote(value, 200),
        "timeline": timeline_summary({"process.command_line": value}),
    }


@pytest.mark.parametrize(("char", "code"), CASES)
def test_summary_check_and_timeline_show_the_same_code(char: str, code: str) -> None:
    texts = _texts(char)
    for where, text in texts.items():
        assert char not in text, where
        assert "\ufffd" not in text, where
        assert f"invoice{code}gnp.exe" in text, (where, text)


def test_joiners_that_scripts_need_are_kept() -> None:
    texts = _texts("\u200d")
    for where, text in texts.items():
        assert "invoice\u200dgnp.exe" in text, where
