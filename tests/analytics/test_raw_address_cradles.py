"""Per-host cradles fetching from a new raw address lend it the download (review T7 #4, G2's follow-up).

A stager fetched from ``http://203.0.113.7/a.png`` has no domain: the cluster
pivots on the address.  When every host ran its own cradle (its own ``-enc``
token), the cradles are one host each and never members; what they did is
credited to the pivot they reached (:mod:`analytics.linked_processes`).  The
download was credited only to a *domain* pivot, so the raw-address campaign
lost ``download_from_new_domain`` (which counts a new external address as a
new domain).  An internal address (a file server in 10/8) lends no download:
fetching from the fleet's own server is no download from the internet.  Each
test runs on [embedded] and [neo4j].
"""

from __future__ import annotations

from analytics.config import DetectionConfig
from analytics.detect import detect
from graphsiem.model import Entity, Relation, Sighting

H = 3600.0
DAY = 24 * H
START = 1_780_000_000.0  # 2026-05-28
END = START + 2 * DAY
CONFIG = DetectionConfig(evidence_top=0)
CAMPAIGN_HOSTS = [f"ws-{i:03d}" for i in range(8)]


def _rel(src, kind, dst, t):
    return Relation(src, kind, dst, t, t + 60, 1, [f"ev-{src[1]}-{kind}-{dst[1]}"])


def _fleet(store, address: str) -> None:
    """40 hosts for two days; on 8, 36 h in, a per-host cradle connects to ``address`` and the
    host downloads a per-host payload served by it."""
    store.clear()
    hosts = [f"ws-{i:03d}" for i in range(40)]
    ip = ("ip", address)
    entities = [Entity("host", h, h) for h in hosts]
    entities += [Entity("process", "explorer", "C:\\Windows\\explorer.exe"), Entity(*ip, address)]
    sightings = [Sighting(h, ("process", "explorer"), START + 60 * i, END, 50) for i, h in enumerate(hosts)]
    relations = []
    for i, h in enumerate(CAMPAIGN_HOSTS):
        t = START + 1.5 * DAY + 60 * i
        cradle, payload = ("process", f"cradle-{i}"), ("file", f"{i:064x}")
        entities += [Entity(*cradle, f"powershell.exe -nop -w hidden -enc SQBFAFgA{i:04x}AIAAoAE4AZQB3AC0ATwBi"),
                     Entity(*payload, f"C:\\Users\\u{i}\\AppData\\Local\\Temp\\{i:04x}.png")]
        sightings += [Sighting(h, e, t, t + 600, 2) for e in (cradle, payload, ip)]
        relations += [_rel(("process", "explorer"), "SPAWNED", cradle, t), _rel(cradle, "CONNECTED", ip, t),
                      _rel(cradle, "WROTE", payload, t), _rel(payload, "SERVED_BY", ip, t)]
    store.upsert_entities(entities)
    store.upsert_sightings(sightings)
    store.upsert_relations(relations)
    store.flush()


def _features_of(result, address: str) -> dict[str, float]:
    found = [c for c in result.clusters if ("ip", address) in [e.ref for e in c.entities]]
    assert found, f"no cluster holds {address}"
    return {f.name: f.value for f in found[0].explanation.features}


def test_per_host_cradles_lend_a_new_external_address_its_download(store):
    _fleet(store, "203.0.113.7")

    features = _features_of(detect(store, config=CONFIG), "203.0.113.7")

    assert features["encoded_command"] == 1.0
    assert features["download_from_new_domain"] == 1.0


def test_an_internal_file_server_lends_no_download(store):
    _fleet(store, "10.20.30.40")

    result = detect(store, config=CONFIG)

    clusters = [c for c in result.clusters if ("ip", "10.20.30.40") in [e.ref for e in c.entities]]
    assert all({f.name: f.value for f in c.explanation.features}["download_from_new_domain"] == 0.0
               for c in clusters)
