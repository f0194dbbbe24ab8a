"""Red team T16's switched payload, simulated and ingested: the file's cluster names the old cradle's LSASS read.

``benchmarks/scenarios/switch_poison.yaml`` runs the campaign's exact ``powershell -enc`` cradle on 80 % of the
workstations on day one, fetching a harmless ``b.png``; ``switch.yaml`` runs it again on the last day on the
campaign's hosts, where the same URL serves a credential dumper (another SHA-256) and the cradle reads LSASS.
The new file's cluster said only "N hosts first got file b.png" (no behaviour), and the LSASS reads were a
separate host finding.  Now the cradle, an old process still fetching the file's known source right at each
host's download, lends the cluster the LSASS read (:mod:`analytics.known_source_downloads`, switch links), and
its reads on those hosts are the cluster's, not a second finding (:mod:`analytics.host_finding_words`).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from analytics.detect import detect
from graphsiem.simulator import DEFAULT_SCENARIOS
from graphsiem.simulator.engine import simulate
from graphsiem.store.embedded import EmbeddedStore
from ingest.journal import Journal
from ingest.pipeline import ingest_paths

SCENARIOS = Path(__file__).resolve().parents[2] / "benchmarks" / "scenarios"
SOURCE = ("domain", "img-banner-cdn.example")


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    """100 hosts over two days (seed 7): the default scenarios, the poisoning run and the switch."""
    root = tmp_path_factory.mktemp("switch")
    simulate(root / "telemetry", hosts=100, days=2, seed=7, density=0.3,
             scenarios=[*DEFAULT_SCENARIOS, str(SCENARIOS / "switch_poison.yaml"), str(SCENARIOS / "switch.yaml")])
    store = EmbeddedStore(root / "graph")
    journal = Journal(root / "journal.sqlite")
    ingest_paths([root / "telemetry" / "endpoint", root / "telemetry" / "network"], store=store,
                 journal=journal, progress=False)
    truth = json.loads((root / "telemetry" / "ground_truth.json").read_text(encoding="utf-8"))
    hosts = next(s["hosts"] for s in truth["scenarios"] if s["name"] == "switch_campaign")
    yield detect(store, journal=journal), sorted(hosts)
    journal.close()
    store.close()


def test_the_switched_files_cluster_is_lent_the_old_cradles_lsass_read(fleet):
    result, hosts = fleet
    (cluster,) = [c for c in result.clusters if c.pivot.value.endswith("b.png") and set(c.hosts) == set(hosts)]
    assert cluster.features["lsass_access"] == 1.0
    (lent,) = [c for c in cluster.explanation.credited if c.behaviour == "lsass_access"]
    assert lent.source == SOURCE and lent.images == ("powershell.exe",)
    assert "LSASS memory accessed" in cluster.explanation.summary


def test_the_cradles_lsass_reads_on_the_campaign_hosts_are_no_second_finding(fleet):
    result, hosts = fleet
    findings = [c for c in result.clusters if c.host_finding is not None and set(c.hosts) & set(hosts)]
    assert not [c for c in findings if c.features.get("hits_lsass_read")], [c.explanation.summary for c in findings]
