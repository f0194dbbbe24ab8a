"""IDS alerts as an address's activity and as search hits, from its ``ALERTED`` edges (review U2, task SRCH #1).

A network sensor's alert (Suricata EVE ``alert``, a Zeek notice) names two addresses and no host: the
projection keeps it as ``ip ALERTED ip`` (``host ALERTED ip`` when the IP map knows the source's
host), counted, with its signatures (:attr:`graphsiem.model.Relation.signatures`).  It is no
sighting, so the entity page of the Slips capture's target 192.168.1.129 said "hosts 0, count 0"
beside 91 ``ALERTED`` edges, and a search for "ET SCAN" found nothing: search compares entities'
values, keys and searched properties, and a signature is an edge's.

* :func:`alert_activity`: the alerts an address (or host) raised or drew, the distinct other ends,
  the first named, and their dates, for its prevalence.  ``hosts`` stays what it means for every
  entity (distinct fleet hosts whose own telemetry saw it): 0 for an address only a sensor saw.
* :func:`signature_hits`: the ends of the ``ALERTED`` edges one of whose signatures contains the
  query, as search hits (``matched`` ``signature``, the signature its snippet).  The store matches
  the edges (:meth:`~graphsiem.store.base.GraphStore.alerted_by_signature`: on Neo4j in the query)
  and gives at most :data:`SIGNATURE_EDGE_LIMIT`, the most alerted, with how many matched: a
  search no longer streams every ``ALERTED`` edge of the store to compare it in Python.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from graphsiem.api.schemas_entities import EntityHit
from graphsiem.api.services.user_activity import ends_named, relations_span
from graphsiem.model import EntityKey
from graphsiem.store.base import GraphStore, Neighbor
from graphsiem.store.search_match import signature_containing

ALERTED = "ALERTED"

ALERT_ACTIVITY_LIMIT = 1000
"""``ALERTED`` edges read per entity (the most alerted first): beyond, the figures say at least this many."""

SIGNATURE_EDGE_LIMIT = 1000
"""Matching ``ALERTED`` edges a signature search reads, the most alerted first: beyond, the hits are the
ends of those, and the search says it was cut (:func:`signature_hits`)."""


@dataclass(frozen=True, slots=True)
class AlertActivity:
    """An entity's IDS alerts: their number, distinct other ends (the first named), first and last (epoch s)."""

    alerts: int
    peers: int
    first_seen: float | None
    last_seen: float | None
    named: tuple[str, ...] = ()


def alert_activity(store: GraphStore, entity_type: str, key: str) -> AlertActivity:
    """The alerts ``key`` raised (source) or drew (target), summed over its ``ALERTED`` edges.

    Parameters
    ----------
    store : GraphStore
        Either store, read with :meth:`~graphsiem.store.base.GraphStore.neighbors`.
    entity_type : {"ip", "host"}
        The entity's type (a host is an alert's source when the IP map knew it).
    key : str
        The entity's key.

    Returns
    -------
    AlertActivity
        ``alerts`` 0 and no dates for an entity no alert names.
    """
    found: Sequence[Neighbor] = store.neighbors(entity_type, key, direction="both", relation_types=(ALERTED,),
                                                limit=ALERT_ACTIVITY_LIMIT)
    peers, first, last = relations_span(found)
    return AlertActivity(sum(n.relation.count for n in found), peers, first, last, ends_named(found))


def signature_hits(
    store: GraphStore, needle: str, *, entity_type: str | None, limit: int,
) -> tuple[list[EntityHit], bool]:
    """The ends of ``ALERTED`` edges with a signature containing ``needle`` (lower-cased), most alerts first.

    Both ends of each edge (the alert's source and target), once each, at most ``limit + 1``
    (the caller says whether there were more); an entity's snippet is its most alerted
    matching signature (``ET SCAN Nmap (sid 2009582, severity 1)``), text as the sensor wrote it.
    Read from the :data:`SIGNATURE_EDGE_LIMIT` most alerted matching edges; the second value
    says whether more edges matched than were read (the hits are then of those read).
    """
    needle = needle.lower()
    alerts: dict[EntityKey, int] = {}
    shown: dict[EntityKey, tuple[str, int]] = {}
    edges, matched = store.alerted_by_signature(needle, limit=SIGNATURE_EDGE_LIMIT)
    for relation in edges:
        found = signature_containing(relation.signatures, needle)
        if found is None:
            continue
        for end in (relation.dst, relation.src):
            if entity_type is not None and end[0] != entity_type:
                continue
            alerts[end] = alerts.get(end, 0) + found[1]
            if end not in shown or found[1] > shown[end][1]:
                shown[end] = found
    ranked = sorted(alerts, key=lambda end: (-alerts[end], end))[: limit + 1]
    hits = []
    for end in ranked:
        entity = store.get_entity(*end)
        value = entity.value if entity is not None else end[1]
        hits.append(EntityHit(type=end[0], key=end[1], value=value, matched="signature", snippet=shown[end][0]))
    return hits, matched > len(edges)
