"""The cluster summary escapes each piece of attacker text once (analytics.cluster_summary).

The pivot's value was made visible to be cut to length, then the whole line was made
visible again, the value with it: two passes over the same text (review, near-copies).
Each part is now escaped once, where it is made, and the line still shows every
steering character as its code, in the pivot, a lineage pair and a look-alike.
"""

from __future__ import annotations

import pytest

from analytics import cluster_summary
from analytics.features import ClusterFacts
from analytics.lineage import LineagePair
from analytics.lookalike import Lookalike
from graphsiem.visible_text import visible

PIVOT = "C:\\Users\\Public\\invoice\u202egnp.exe --url http://evil.example/"
PARENT = "wscript\u200b.exe"
TRUSTED = "micro\u2066soft.com"


def _facts() -> ClusterFacts:
    facts = ClusterFacts(
        {"first_contact_spread_min": 3.0}, [LineagePair(PARENT, "powershell.exe", 5, 0.0)], [],
        ["lsass_access", "lookalike_domain"], [],
    )
    facts.lookalikes = [Lookalike("rnicrosoft.com", TRUSTED, 40, "edit", "one letter changed")]
    return facts


@pytest.fixture
def escaped(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The texts summarize hands to ``visible``, in order."""
    seen: list[str] = []

    def recording(value: object) -> str:
        seen.append(str(value))
        return visible(value)

    monkeypatch.setattr(cluster_summary, "visible", recording)
    return seen


def _summary() -> str:
    return cluster_summary.summarize(
        _facts(), pivot_type="process", pivot_value=PIVOT, host_count=5, pivot_is_new=True,
    )


def test_no_text_is_escaped_twice(escaped: list[str]) -> None:
    _summary()
    codes = ("\\u202e", "\\u200b", "\\u2066")
    twice = [text for text in escaped if any(code in text for code in codes)]
    assert twice == []


def test_every_steering_character_is_still_shown_as_its_code(escaped: list[str]) -> None:
    line = _summary()
    assert "invoice\\u202egnp.exe" in line
    assert "wscript\\u200b.exe" in line
    assert "micro\\u2066soft.com" in line
    assert line == visible(line)  # one line, nothing left to escape
