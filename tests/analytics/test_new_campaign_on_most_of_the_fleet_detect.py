"""End to end: the seed campaign's tradecraft on 60 % of a simulated fleet, with a patch on 94 %.

simulate -> ingest (embedded store) -> detect.  With two days of data the window has a
baseline: the big campaign forms a cluster and ranks among the attacks, above every benign
decoy, the patch rollout included.  With one day there is no baseline, everything is new,
and ``max_fraction`` applies to everything as before: nothing on more than half the fleet
forms a cluster.  120 hosts, light background (a few seconds per fleet).
"""

from __future__ import annotations

import pytest

from analytics.detect import detect
from analytics.evaluate import evaluate, load_truth
from graphsiem.simulator import DEFAULT_SCENARIOS
from graphsiem.simulator.engine import simulate
from graphsiem.store.embedded import EmbeddedStore
from ingest.journal import Journal
from ingest.pipeline import ingest_paths
from tests.analytics.cradle_steps import cradle_steps

HOSTS = 120

BIG_CAMPAIGN = r"""
name: big_campaign
label: PNG cradle with LSASS access on 60% of hosts
kind: attack
hosts: {group: any, fraction: 0.6}
pivot: {type: domain, value: cdn-img-delivery2.example}
activities:
  - schedule: {every: once, day: last, at: "11:12", spread_minutes: 10}
    steps:
""" + cradle_steps("http://cdn-img-delivery2.example/img/b.png", script="Payslip.js", loader="b.png loader", size=734812)

PATCH = r"""
name: patch_all
label: Patch Tuesday ring 1 via SCCM (msi + service restart)
kind: benign
hosts: {group: any, fraction: 0.94}
pivot: {type: file}
activities:
  - schedule: {every: once, day: last, at: "19:00", spread_minutes: 30}
    steps:
      - {action: process, parent: services, user: system, image: 'C:\Windows\CCM\CcmExec.exe', command_line: 'C:\Windows\CCM\CcmExec.exe', indicator: false, long_running: true}
      - {action: download, url: 'http://download.windowsupdate.com/c/msdownload/update/software/updt/2026/11/kb5032190-x64.msi', content: kb5032190 msi, size: 9000000, user_agent: 'Microsoft BITS/7.8', save_to: 'C:\Windows\ccmcache\1a\kb5032190-x64.msi'}
      - {action: process, user: system, image: 'C:\Windows\System32\msiexec.exe', command_line: 'msiexec.exe /i "C:\Windows\ccmcache\1a\kb5032190-x64.msi" /qn /norestart'}
      - {action: process, parent: 'C:\Windows\CCM\CcmExec.exe', parent_command_line: 'C:\Windows\CCM\CcmExec.exe', user: system, image: 'C:\Windows\System32\cmd.exe', command_line: 'cmd.exe /c net stop Spooler && net start Spooler'}
"""


def _detect_on_simulated(root, days):
    scenarios = []
    for name, text in (("big_campaign", BIG_CAMPAIGN), ("patch_all", PATCH)):
        (root / f"{name}.yaml").write_text(text, encoding="utf-8")
        scenarios.append(str(root / f"{name}.yaml"))
    simulate(root / "telemetry", hosts=HOSTS, days=days, seed=3, density=0.3,
             scenarios=list(DEFAULT_SCENARIOS) + scenarios)
    store = EmbeddedStore(root / "graph")
    try:
        with Journal(root / "journal.sqlite") as journal:
            report = ingest_paths([root / "telemetry" / "endpoint", root / "telemetry" / "network"],
                                  store=store, journal=journal, progress=False)
        assert report.total.rejected == 0
        result = detect(store)
    finally:
        store.close()
    truth = load_truth(root / "telemetry" / "ground_truth.json")
    return result, evaluate([c.to_contract() for c in result.clusters], truth)


@pytest.fixture(scope="module")
def two_days(tmp_path_factory):
    return _detect_on_simulated(tmp_path_factory.mktemp("big-campaign-2d"), 2)


@pytest.fixture(scope="module")
def one_day(tmp_path_factory):
    return _detect_on_simulated(tmp_path_factory.mktemp("big-campaign-1d"), 1)


def test_with_a_baseline_the_big_campaign_ranks_among_the_attacks_above_every_decoy(two_days):
    result, evaluation = two_days
    big = evaluation.ranks["big_campaign"]
    assert big is not None and big <= 5
    cluster = result.clusters[big - 1]
    assert cluster.pivot.value == "cdn-img-delivery2.example"
    assert len(cluster.hosts) > 0.5 * HOSTS
    assert {"lsass_access", "encoded_command"} <= {f.name for f in cluster.explanation.features if f.value > 0}
    attacks = [r for n, r in evaluation.ranks.items() if evaluation.kinds[n] == "attack"]
    decoys = [r for n, r in evaluation.ranks.items() if evaluation.kinds[n] != "attack" and r is not None]
    assert None not in attacks and all(d > max(attacks) for d in decoys)
    patch = evaluation.ranks["patch_all"]
    assert patch is not None and result.clusters[patch - 1].score < cluster.score


def test_with_a_baseline_only_what_is_new_forms_a_cluster_on_most_of_the_fleet(two_days):
    result, _ = two_days
    wide = [c for c in result.clusters if len(c.hosts) > 0.5 * HOSTS]
    assert {c.pivot.value for c in wide} == {"cdn-img-delivery2.example", r"C:\Windows\ccmcache\1a\kb5032190-x64.msi"}
    assert all(c.features["pivot_age_days"] == 0 for c in wide)


def test_without_a_baseline_nothing_on_most_of_the_fleet_forms_a_cluster(one_day):
    # Everything is new in one day of data: the old rule, the campaign and the patch included.
    result, evaluation = one_day
    assert [c for c in result.clusters if len(c.hosts) > 0.5 * HOSTS] == []
    assert evaluation.ranks["big_campaign"] is None
    # the day's four default attacks are still the top four (their risks within a few points: BYOVD may lead)
    attacks = sorted(r for name, r in evaluation.ranks.items() if evaluation.kinds[name] == "attack" and name != "big_campaign")
    assert attacks == [1, 2, 3, 4]
