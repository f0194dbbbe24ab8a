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


def test_a_line_break_in_a_credited_command_line_is_the_servers_mark_not_its_code() -> None:
    """Review R25: ``plain`` marks a break with ⏎ (PAGE), and the credited clause was made visible
    again, which writes a ⏎ as ``\\u23ce``: the code that says the data itself held a ⏎."""
    from analytics.credited_processes import CreditedProcesses

    credit = CreditedProcesses("lsass_access", ("process", "p"), 3, 3, ("rundll32.exe",), 3,
                               reached="process rundll32.exe comsvcs.dll\r\nMiniDump 624 x.dmp full")
    facts = ClusterFacts({"first_contact_spread_min": 1.0}, [], [], ["lsass_access"], [])
    line = cluster_summary.summarize(facts, pivot_type="domain", pivot_value="evil.example", host_count=3,
                                     pivot_is_new=True, credited=(credit,))
    assert "comsvcs.dll\u23ce MiniDump" in line
    assert "\\u23ce" not in line


def test_a_line_break_in_a_behaviour_pivots_example_is_the_servers_mark_not_its_code() -> None:
    """The behaviour pivot's shown value is server text already (``behaviour_words.describe`` keeps
    attacker text plain, its breaks marked): the summary keeps its marks."""
    from analytics.behaviour_words import behaviour_key
    from analytics.credited_words import plain

    kinds = ("encoded_powershell", "lsass_access")
    example = plain("cmd.exe /c whoami\nnet user", 80)
    value = (f"encoded powershell + lsass access by new per-host processes on each host within 30 min "
             f"(e.g. on ws-1: {example} ran at 10:02)")
    line = cluster_summary.summarize(ClusterFacts({"first_contact_spread_min": 1.0}, [], [], [], []),
                                     pivot_type="process", pivot_value=value, pivot_key=behaviour_key(kinds)[1],
                                     host_count=5, pivot_is_new=True)
    assert "showed behaviour" in line and "whoami\u23ce net user" in line
    assert "\\u23ce" not in line
