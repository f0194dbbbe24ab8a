"""``cooccurrence_minutes`` set in a detection's config reaches the clustering (review T2, finding 1).

The setting was checked on load and honoured by ``fan_out_clusters``, but
``detect`` did not pass it on: every detection ran with the default whatever
the config said.  The two fleet-wide rollouts of
``test_rollouts_do_not_merge`` written into a real embedded store: with the
default the office updater is a cluster of its own; with the gate off (0, the
rule before) it is absorbed into the EDR rollout's cluster, as it was.
"""

from __future__ import annotations

from analytics.config import DetectionConfig
from analytics.detect import detect
from graphsiem.model import Entity, Sighting
from graphsiem.store.embedded import EmbeddedStore
from tests.analytics.test_rollouts_do_not_merge import EDR, END, OFFICE, _fleet


def _store(path) -> EmbeddedStore:
    store = EmbeddedStore(path)
    sightings = _fleet()
    store.upsert_entities([Entity("host", h, h) for h in sorted({s.host for s in sightings})]
                          + [Entity(t, k, k, {}) for t, k in sorted({s.entity for s in sightings})])
    store.upsert_sightings([Sighting(s.host, s.entity, s.first_seen, s.last_seen, s.count) for s in sightings])
    store.flush()
    return store


def _cluster_of(result, entity):
    return next((c for c in result.clusters if entity in {e.ref for e in c.entities}), None)


def test_the_config_gate_decides_whether_the_rollouts_merge(tmp_path):
    store = _store(tmp_path / "graph")
    try:
        gated = detect(store, config=DetectionConfig(), now=END)
        plain = detect(store, config=DetectionConfig(cooccurrence_minutes=0), now=END)
    finally:
        store.close()
    edr, office = _cluster_of(gated, EDR[0]), _cluster_of(gated, OFFICE[0])
    assert edr is not None and office is not None and edr is not office
    merged = _cluster_of(plain, EDR[0])
    assert merged is not None
    assert set(OFFICE) <= {e.ref for e in merged.entities}
