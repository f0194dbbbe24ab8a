"""The store contract for every host's span of data in one read (task K4, item 1): [embedded] and [neo4j].

An empty detection lists each host's first and newest sighting
(:func:`graphsiem.detection_window_reads.host_spans`).  It asked the store once
per host: on Neo4j a 10 000-host fleet paid 10 000 round trips for a run that
found nothing.  :meth:`GraphStore.host_sighting_spans` answers for the fleet at
once, with the times :meth:`GraphStore.host_activity` gives each host.
"""

from __future__ import annotations

import pytest

from graphsiem.detection_window_reads import HostSpan, host_spans
from graphsiem.model import Entity, Sighting

DOMAIN = ("domain", "cdn-img-delivery.example")
PS = ("process", "p-powershell")
LONG_HOST = "ws-" + "x" * 3000  # longer than Neo4j's indexed key: stored hashed, read back whole
QUOTED_HOST = "ws-'q\"`}) RETURN 1 //"  # a host name is data, never Cypher


def _fleet(store):
    store.upsert_sightings([
        Sighting("ws-a", DOMAIN, 100.0, 200.0, 11),
        Sighting("ws-a", PS, 40.0, 130.0, 2),  # ws-a's first sighting is not its newest one's
        Sighting("ws-b", DOMAIN, 50.0, 60.0, 1),
        Sighting("ws-c", DOMAIN, 300.0, 4_102_444_800.0, 4),  # a clock in 2100
        Sighting(LONG_HOST, PS, 160.0, 170.0, 2),
        Sighting(QUOTED_HOST, DOMAIN, 10.0, 20.0, 1),
    ])
    # a host only named by another machine's event: no sightings of its own, so no span
    store.upsert_entities([Entity("host", "named-only", "named-only")])
    store.flush()


def test_every_host_first_and_newest_sighting_in_one_read(store):
    _fleet(store)

    assert store.host_sighting_spans() == {
        "ws-a": (40.0, 200.0), "ws-b": (50.0, 60.0), "ws-c": (300.0, 4_102_444_800.0),
        LONG_HOST: (160.0, 170.0), QUOTED_HOST: (10.0, 20.0)}
    # what an empty detection lists, as before: the newest-ending first
    assert host_spans(store) == [
        HostSpan("ws-c", 300.0, 4_102_444_800.0), HostSpan("ws-a", 40.0, 200.0),
        HostSpan(LONG_HOST, 160.0, 170.0), HostSpan("ws-b", 50.0, 60.0), HostSpan(QUOTED_HOST, 10.0, 20.0)]


def test_the_spans_are_each_host_activity_times(store):
    """The one read agrees with the per-host aggregate it replaces, host by host."""
    _fleet(store)

    spans = store.host_sighting_spans()

    assert set(spans) == set(store.host_newest_sightings())
    for host, (first, last) in spans.items():
        activity = store.host_activity(host)
        assert (activity.first_seen, activity.last_seen) == (first, last), host


def test_an_empty_store_has_no_spans(store):
    store.clear()

    assert store.host_sighting_spans() == {}
    assert host_spans(store) == []


@pytest.mark.neo4j
def test_host_spans_is_one_neo4j_query_whatever_the_fleet_size(neo4j_store, monkeypatch):
    """Every query the store sends goes through ``_read`` or ``_stream``: counted there, on the real server."""
    neo4j_store.upsert_sightings([Sighting(f"ws-{i:03d}", DOMAIN, float(i), float(i + 50), 1) for i in range(120)])
    neo4j_store.flush()
    sent: list[str] = []
    for name in ("_read", "_stream"):
        real = getattr(neo4j_store, name)

        def counted(query, _real=real, **params):
            sent.append(query)
            return _real(query, **params)

        monkeypatch.setattr(neo4j_store, name, counted)

    spans = host_spans(neo4j_store)

    assert len(spans) == 120 and spans[0] == HostSpan("ws-119", 119.0, 169.0)
    assert len(sent) == 1, f"{len(sent)} queries for 120 hosts"
