"""Evidence references of a cluster: the events behind its member relations.

The references come from the aggregated relations between members and between
members and the cluster's hosts (every relation keeps the ids of the events
behind it).  They are taken round-robin over relation types, so an analyst sees
the download, the execution and the LSASS access rather than 20 DNS queries.
With a journal, each id is resolved to the source (parser) that produced it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from itertools import zip_longest
from typing import Protocol

import networkx as nx

from graphsiem.model import EntityKey, entity_uid


class EventLookup(Protocol):
    """Anything with the journal's ``get(ids) -> list[Event]``."""

    def get(self, ids: Iterable[str]) -> list: ...


def evidence_ids(
    graph: nx.MultiDiGraph, members: Iterable[EntityKey], hosts: Iterable[str], *, limit: int
) -> list[tuple[str, str]]:
    """``(relation type, event id)`` pairs behind the edges of the members.

    Edges to hosts outside the cluster are left out.

    Parameters
    ----------
    graph : networkx.MultiDiGraph
        A store subgraph around the members.
    members : iterable of (type, key)
    hosts : iterable of str
        Host names of the cluster.
    limit : int
        Most pairs returned.

    Examples
    --------
    >>> g = nx.MultiDiGraph()
    >>> g.add_edge("host:a", "domain:x", key="RESOLVED", type="RESOLVED", evidence=["e1", "e2"])
    'RESOLVED'
    >>> evidence_ids(g, [("domain", "x")], ["a"], limit=5)
    [('RESOLVED', 'e1'), ('RESOLVED', 'e2')]
    """
    cluster_hosts = {entity_uid("host", h) for h in hosts}
    member_uids = {entity_uid(t, k) for t, k in members}

    def relevant(uid: str) -> bool:
        # Any neighbour of a member (a parent process, LSASS, an IP) except
        # hosts outside the cluster, whose events say nothing about it.
        return not uid.startswith("host:") or uid in cluster_hosts

    by_type: dict[str, list[str]] = defaultdict(list)
    for src, dst, data in sorted(graph.edges(data=True), key=lambda e: (e[0], e[1])):
        if (src in member_uids and relevant(dst)) or (dst in member_uids and relevant(src)):
            rel = str(data.get("type", ""))
            by_type[rel].extend(str(i) for i in data.get("evidence", ()) or ())
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    for row in zip_longest(*(by_type[t] for t in sorted(by_type)), fillvalue=None):
        for rel, event_id in zip(sorted(by_type), row, strict=True):
            if event_id is not None and event_id not in seen:
                seen.add(event_id)
                out.append((rel, event_id))
                if len(out) >= limit:
                    return out
    return out


def resolve_sources(pairs: list[tuple[str, str]], journal: EventLookup | None) -> list[dict[str, str]]:
    """``{"source", "event_id"}`` references; the source is the event's parser.

    Without a journal (or for an id the journal does not hold) the source
    falls back to ``"graph:<relation type>"`` so the reference still says where
    it came from.
    """
    sources: dict[str, str] = {}
    if journal is not None and pairs:
        sources = {e.id: e.source for e in journal.get([i for _, i in pairs])}
    return [{"source": sources.get(i, f"graph:{rel}"), "event_id": i} for rel, i in pairs]
