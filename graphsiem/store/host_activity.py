"""A host's own telemetry in the graph: what it was seen with, and when.

The entity detail of a host (``GET /v1/entities/host/{name}``) needs the
host's figures, not the entity's prevalence: a host is the subject of its
sightings (``(:Host)-[:SEEN]->(entity)``), rarely their object.  One read per
store, added beside the :class:`~graphsiem.store.base.GraphStore` protocol
rather than into it (the stores' read modules have other owners):

* Neo4j: one aggregate over the host's ``SEEN`` relationships, found through
  the host key's unique constraint (parameters only).
* Embedded: a scan of the in-memory sightings map, one dictionary look-up per
  sighted entity.
* Any other store: :meth:`~graphsiem.store.base.GraphStore.iter_sightings`
  filtered to the host (correct, reads everything).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphsiem.model import EntityType
from graphsiem.store.base import GraphStore


@dataclass(slots=True, frozen=True)
class HostActivity:
    """Aggregate of one host's sightings.

    Attributes
    ----------
    entities : int
        Distinct entities the host was seen with (its sightings).
    count : int
        Contacts over those sightings (the sum of their counts).
    first_seen, last_seen : float or None
        Epoch seconds of its earliest and latest sighting; ``None`` without any.
    """

    entities: int = 0
    count: int = 0
    first_seen: float | None = None
    last_seen: float | None = None


def _neo4j_query() -> str:
    label = EntityType("host").label
    return (f"MATCH (h:{label} {{key: $key}})-[s:SEEN]->() "
            "RETURN count(s) AS entities, sum(s.count) AS count, "
            "min(s.first_seen) AS first_seen, max(s.last_seen) AS last_seen")


def _from_neo4j(store: Any, host: str) -> HostActivity:
    from graphsiem.store.neo4j_rows import index_key

    records = store._read(_neo4j_query(), key=index_key(host)[0])
    row = records[0] if records else None
    if row is None or not row["entities"]:
        return HostActivity()
    return HostActivity(int(row["entities"]), int(row["count"] or 0), row["first_seen"],
                        row["last_seen"])


def _from_sightings(rows: Any) -> HostActivity:
    entities = count = 0
    first: float | None = None
    last: float | None = None
    for first_seen, last_seen, seen in rows:
        entities += 1
        count += int(seen)
        first = first_seen if first is None else min(first, first_seen)
        last = last_seen if last is None else max(last, last_seen)
    return HostActivity(entities, count, first, last)


def host_activity(store: GraphStore, host: str) -> HostActivity:
    """The sightings of ``host`` (its normalised key) aggregated.

    Parameters
    ----------
    store : GraphStore
        Read under the caller's store guard.
    host : str
        The host entity's key.

    Returns
    -------
    HostActivity
        Zero counts and ``None`` times for a host with no sightings of its
        own (one only named by another machine's events).
    """
    if getattr(store, "name", "") == "neo4j":
        return _from_neo4j(store, host)
    if isinstance(getattr(store, "_sightings", None), dict) and hasattr(store, "_refresh"):
        # Pick up another process's flush first, as the store's own reads do:
        # it replaces the map.
        store._refresh()
        sightings: dict[str, dict[str, Any]] = getattr(store, "_sightings")  # noqa: B009
        found = (hosts.get(host) for hosts in sightings.values())
        return _from_sightings((s[0], s[1], s[2]) for s in found if s is not None)
    return _from_sightings((s.first_seen, s.last_seen, s.count)
                           for s in store.iter_sightings() if s.host == host)
