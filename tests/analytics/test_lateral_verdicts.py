"""A benign verdict held only for one source host (analytics/lateral_verdicts.py), on a simulated fleet.

The seed-3 fleet of ``test_evidence_network_logons.py``: its lateral movement runs from it-0002 to five
servers, and the cluster names it-0002 as its source through the IP map.  A verdict judged "benign when
from it-0002" keeps the cluster out; the same verdict given for another host (the act now coming from a
machine nobody judged) shows it, naming both.
"""

from __future__ import annotations

import pytest

from analytics.config import DetectionConfig
from analytics.detect import detect
from analytics.lateral_verdicts import SOURCE_KEY_TYPE, SourceNotNamed, judged_sources, source_scope
from graphsiem.store.embedded import EmbeddedStore
from ingest.journal import Journal
from tests.analytics.simulated import ingest_simulated


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    """The ingested fleet (store, journal) and its first detection's lateral-movement cluster."""
    root = tmp_path_factory.mktemp("lateral-verdict")
    store = EmbeddedStore(root / "graph")
    with Journal(ingest_simulated(root, store, hosts=120, days=2, seed=3, density=0.3)) as journal:
        result = detect(store, journal=journal)
        (lateral,) = [c for c in result.clusters if c.lateral_sources and c.lateral_sources[0]["host"]]
        yield store, journal, lateral
    store.close()


def _verdict(cluster, *scope) -> DetectionConfig:
    pivot = (cluster.pivot.type, cluster.pivot.key)
    members = frozenset((e.type, e.key) for e in cluster.entities) | frozenset(scope)
    return DetectionConfig(suppressed=frozenset({pivot}), suppressed_members={pivot: members})


def test_the_fleet_names_the_lateral_movement_source(fleet):
    _, _, lateral = fleet
    assert [s["host"] for s in lateral.lateral_sources] == ["it-0002"]


def test_a_verdict_for_the_source_the_act_came_from_keeps_it_out(fleet):
    store, journal, lateral = fleet
    result = detect(store, journal=journal, config=_verdict(lateral, (SOURCE_KEY_TYPE, "it-0002")))
    assert lateral.id not in {c.id for c in result.clusters}
    assert [lateral.pivot.type, lateral.pivot.key] in result.stats["suppressions_applied"]
    assert "source_verdicts_reopened" not in result.stats


def test_a_verdict_for_another_source_shows_the_act_naming_the_new_source(fleet):
    """Was: any benign verdict on the pivot hid every later episode, whichever host it came from."""
    store, journal, lateral = fleet
    result = detect(store, journal=journal, config=_verdict(lateral, (SOURCE_KEY_TYPE, "it-0005")))
    (shown,) = [c for c in result.clusters if c.id == lateral.id]
    assert shown.score == pytest.approx(lateral.score)  # scored as before: the verdict moves no risk
    source_ip = lateral.lateral_sources[0]["ip"]
    assert f"judged benign only when from it-0005; this time from it-0002 ({source_ip})" in shown.explanation.summary
    first = shown.explanation.checks[0]
    assert first.check.startswith("A benign verdict on this act holds only when it comes from it-0005")
    assert "it-0002" in first.benign_if
    assert result.stats["source_verdicts_reopened"] == [lateral.id]
    assert [lateral.pivot.type, lateral.pivot.key] not in result.stats["suppressions_applied"]


def test_a_verdict_for_any_source_still_keeps_it_out(fleet):
    store, journal, lateral = fleet
    result = detect(store, journal=journal, config=_verdict(lateral))
    assert lateral.id not in {c.id for c in result.clusters}


def test_without_the_journal_no_source_is_named_so_a_source_verdict_shows_the_act(fleet):
    """No IP map, no named source: the verdict cannot be known to hold, so the act is shown."""
    store, _, lateral = fleet
    result = detect(store, config=_verdict(lateral, (SOURCE_KEY_TYPE, "it-0002")))
    (shown,) = [c for c in result.clusters if c.id == lateral.id]
    assert "judged benign only when from it-0002; the IP map named no source host" in shown.explanation.summary


@pytest.mark.parametrize(("records", "host", "scope"), [
    ([{"ip": "10.32.1.42", "host": "it-0005"}], "it-0005", [(SOURCE_KEY_TYPE, "it-0005")]),
    ([{"ip": "10.32.1.42", "host": "it-0005"}], "IT-0005.corp.example", [(SOURCE_KEY_TYPE, "it-0005")]),
    ([{"ip": "10.32.1.42", "host": "it-0005"}], "ws-0001", None),
    ([{"ip": "10.32.1.42", "host": None}], "it-0005", None),
    (None, "it-0005", None),
])
def test_a_verdict_holds_only_for_a_source_the_cluster_named(records, host, scope):
    if scope is None:
        with pytest.raises(SourceNotNamed, match="not a source this cluster's log-ons came from"):
            source_scope(records, host)
    else:
        assert source_scope(records, host) == scope
        assert judged_sources([("process", "p"), *scope]) == {"it-0005"}
