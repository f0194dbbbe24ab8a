"""A new domain that looks like one the fleet trusts is a behaviour (task F14).

The S3 review's look-alike campaign: on the last day, hosts run a script named like the
inventory script that fetches a payload from ``api.driverhub-update.com``, one character
from the driver vendor's ``api.driverhub-updates.com`` the fleet polls every day.  Through
the real path (simulate -> ingest -> embedded store -> detect) with three more last-day
fan-outs of the same shape: an IDN look-alike of the same vendor (Cyrillic ``е``, keyed
``xn--…`` as the resolver writes it), the vendor's own new CDN subdomain, and a new
domain like no other.  Attacker strings are data: they come from the scenario files.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from analytics.lookalike import LookalikeIndex, skeleton, trusted_domains
from graphsiem.simulator import DEFAULT_SCENARIOS
from tests.analytics.simulated import simulated_detection

VENDOR = "api.driverhub-updates.com"
TYPO = "api.driverhub-update.com"
IDN = "api." + "driverhub-updatеs.com".encode("idna").decode("ascii")  # Cyrillic е (U+0435)
SUBDOMAIN = "cdn.driverhub-updates.com"
UNRELATED = "api.quietmeadow-sync.com"

_SCENARIO = """\
name: {name}
label: {name}
kind: {kind}
hosts: {{group: workstations, fraction: 0.15, min: 5, max: 40}}
pivot: {{type: domain, value: {domain}}}
activities:
  - schedule: {{every: once, day: last, at: "{at}", spread_minutes: 15}}
    steps:
      - action: process
        parent: schedule
        user: system
        image: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe'
        command_line: '"C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe" -NoProfile -File "C:\\ProgramData\\{name}\\Collect.ps1"'
      - {{action: download, url: 'http://{domain}/v3/{name}.exe', content: {name} payload, size: 300000, save_to: 'C:\\ProgramData\\{name}\\{name}.exe'}}
      - {{action: process, image: 'C:\\ProgramData\\{name}\\{name}.exe', command_line: '"C:\\ProgramData\\{name}\\{name}.exe"'}}
      - {{action: connect, domain: {domain}, port: 443}}
"""
CASES = {
    "typo": ("attack", TYPO, "09:30"),
    "idn": ("attack", IDN, "11:30"),
    "vendorcdn": ("benign", SUBDOMAIN, "13:30"),
    "unrelated": ("attack", UNRELATED, "15:30"),
}


@pytest.fixture(scope="module")
def clusters(tmp_path_factory):
    root: Path = tmp_path_factory.mktemp("lookalike")
    extra = []
    for name, (kind, domain, at) in CASES.items():
        path = root / f"{name}.yaml"
        path.write_text(_SCENARIO.format(name=name, kind=kind, domain=domain, at=at), encoding="utf-8")
        extra.append(str(path))
    result, _ = simulated_detection(root, hosts=120, days=2, seed=7, density=0.2, scenarios=[*DEFAULT_SCENARIOS, *extra])
    return {c.pivot.value: c for c in result.clusters}


def test_the_typosquat_campaign_gets_the_column_and_its_check_names_the_vendor_domain(clusters):
    cluster = clusters[TYPO]
    assert cluster.features["lookalike_domain"] == 1.0
    assert f"look-alike of {VENDOR}" in cluster.explanation.summary
    step = next(c for c in cluster.explanation.checks if c.feature == "lookalike_domain")
    assert TYPO in step.check and VENDOR in step.check
    assert "one character removed ('s'" in step.check
    # a behaviour, so its step comes before the timing steps
    timing = [i for i, c in enumerate(cluster.explanation.checks) if c.feature in ("burst_hosts", "first_contact_spread_min")]
    assert all(cluster.explanation.checks.index(step) < i for i in timing)


def test_an_idn_homoglyph_of_the_vendor_domain_gets_the_column(clusters):
    cluster = clusters[IDN]
    assert cluster.features["lookalike_domain"] == 1.0
    step = next(c for c in cluster.explanation.checks if c.feature == "lookalike_domain")
    assert VENDOR in step.check and "driverhub-updatеs.com" in step.check  # decoded, as it is shown to users


def test_the_vendors_own_subdomain_and_an_unrelated_new_domain_do_not(clusters):
    for domain in (SUBDOMAIN, UNRELATED):
        cluster = clusters[domain]
        assert cluster.features["lookalike_domain"] == 0.0, domain
        assert "look-alike" not in cluster.explanation.summary
        assert all(c.feature != "lookalike_domain" for c in cluster.explanation.checks)


def test_the_column_lifts_the_typosquat_above_the_unrelated_campaign_of_the_same_shape(clusters):
    assert clusters[TYPO].score > clusters[UNRELATED].score


# -- the matcher, on names alone ---------------------------------------------------------------

TRUSTED = LookalikeIndex({
    "driverhub-updates.com": (VENDOR, 110),
    "microsoft.com": ("teams.microsoft.com", 184),
    "office365.com": ("outlook.office365.com", 184),
    "google.com": ("www.google.com", 115),
})


@pytest.mark.parametrize(("domain", "trusted", "kind"), [
    ("api.driverhub-update.com", VENDOR, "edit"),
    ("driverhub-updaets.com", VENDOR, "edit"),  # two neighbours swapped: one edit
    ("api.drivrhub-updaets.com", VENDOR, "edit"),  # a long name: two edits
    ("login.rnicrosoft.com", "teams.microsoft.com", "homoglyph"),  # rn reads as m
    ("g00gle.com", "www.google.com", "homoglyph"),
    ("outlook." + "оffice365.com".encode("idna").decode("ascii"), "outlook.office365.com", "homoglyph"),  # Cyrillic о
    ("driverhub-updates.com.cdn-edge.example", VENDOR, "embedded"),
    ("driverhub-updates-com.evil.example", VENDOR, "embedded"),
])
def test_near_misses_of_trusted_domains(domain, trusted, kind):
    found = TRUSTED.match(domain)
    assert found is not None and (found.trusted, found.kind) == (trusted, kind)


@pytest.mark.parametrize("domain", [
    "cdn.driverhub-updates.com",  # the vendor's own
    "driverhub-updates.com",
    "www.example.org",
    "api.quietmeadow-sync.com",
    "goggle.io",  # a short name one edit away is chance, not a look-alike (google.com: 3 edits here anyway)
    "drivers.com",
])
def test_the_trusted_names_own_subdomains_and_unrelated_names_are_no_lookalikes(domain):
    assert TRUSTED.match(domain) is None


def test_short_names_are_not_compared_by_edits():
    index = LookalikeIndex({"bing.com": ("www.bing.com", 50)})
    assert index.match("www.bong.com") is None  # 'bing' and 'bong': short names sit one edit apart by chance


def test_only_domains_known_before_the_window_on_a_tenth_of_the_fleet_are_trusted():
    index = trusted_domains([
        (VENDOR, False, 55.0), ("cdn.driverhub-updates.com", False, 80.0),  # one entry per registered domain
        ("new-and-wide.com", True, 200.0), ("browsing-tail.com", False, 6.0),
    ], n_hosts=200)
    assert index.trusted == {"driverhub-updates.com": ("cdn.driverhub-updates.com", 80)}


def test_skeleton_decodes_punycode_and_folds_cyrillic():
    assert skeleton("xn--driverhub-updats-ngn.com") == skeleton("driverhub-updates.com")
    assert skeleton("xn--driverhub-updats-ngn.com") != skeleton("driverhub-updats.com")
