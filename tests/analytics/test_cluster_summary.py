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


def test_a_build_pivot_is_a_new_build_of_its_path_shown_visibly_and_without_a_usual_build_when_none() -> None:
    """Task T16C: a build a process ran (a file keyed by its digest) reads as a new build of the path it ran
    as; a path's steering character is its code; a new program's build has no usual build to name."""
    from analytics.image_builds import NewBuild

    facts = ClusterFacts({"first_contact_spread_min": 1.0}, [], [], [], [])
    digest = "e7" * 32
    alone = cluster_summary.summarize(facts, pivot_type="file", pivot_value=PIVOT, pivot_key=digest, host_count=5,
                                      pivot_is_new=True, new_build=NewBuild(PIVOT, digest))
    assert alone.startswith(f"5 hosts first ran a new build of {visible(PIVOT)} (sha256 e7e7e7e7…)")
    assert "\u202e" not in alone and "usual build" not in alone
    usual = cluster_summary.summarize(facts, pivot_type="file", pivot_value=PIVOT, pivot_key=digest, host_count=5,
                                      pivot_is_new=True, new_build=NewBuild(PIVOT, digest, "a1" * 32, 1))
    assert usual.endswith("; the fleet's usual build is a1a1a1a1… on 1 host")
