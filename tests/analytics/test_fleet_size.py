"""The fleet's size is the hosts that sent telemetry, not every host node of the graph."""

from __future__ import annotations

from analytics.config import DetectionConfig
from analytics.detect import detect
from analytics.inputs import load_inputs
from graphsiem.model import Relation
from graphsiem.store.embedded import EmbeddedStore
from tests.analytics.fleet import END, populate


def _claim_workstations(store, count: int) -> None:
    """``count`` failed logons whose client wrote a random WorkstationName: each name is a host node."""
    store.upsert_relations([
        Relation(("host", f"claimed-{i:04d}"), "CONNECTED", ("host", "ws-001"), END - 600, END - 600, 1, [f"c{i}"])
        for i in range(count)
    ])
    store.flush()


def test_host_names_a_client_wrote_do_not_grow_the_fleet(tmp_path):
    with EmbeddedStore(tmp_path / "graph") as store:
        populate(store)
        store.flush()
        before = load_inputs(store, DetectionConfig())
        clusters_before = [(c.hosts, c.score) for c in detect(store).clusters]
        _claim_workstations(store, 500)
        after = load_inputs(store, DetectionConfig())
        clusters_after = [(c.hosts, c.score) for c in detect(store).clusters]
        host_nodes = store.counts()["entities"]["host"]

    assert host_nodes == 540
    assert before is not None and after is not None
    assert before.stats.n_hosts == after.stats.n_hosts == 40
    # every fleet fraction (pivots' share, max_fraction) is as before, so the same clusters score the same
    assert clusters_after == clusters_before
