"""Evidence references of a cluster: the events behind its member relations.

The references come from the aggregated relations between members and between
members and the cluster's hosts (every relation keeps the ids of the events
behind it), kept to the events on the cluster's hosts in the detection window
(:func:`evidence_ids`).  They are taken round-robin over relation types, so an analyst sees
the download, the execution and the LSASS access rather than 20 DNS queries.
With a journal, each id is resolved to the source (parser) that produced it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from itertools import zip_longest
from typing import Any, Protocol

import networkx as nx
import numpy as np

from analytics.entity_stats import EntityStats
from analytics.evidence_addresses import AddressHolders, address_holders
from analytics.incidence import Incidence
from graphsiem.model import EntityKey, entity_uid


class EventLookup(Protocol):
    """Anything with the journal's ``get(ids) -> list[Event]``."""

    def get(self, ids: Iterable[str]) -> list: ...


def evidence_ids(
    graph: nx.MultiDiGraph,
    members: Iterable[EntityKey],
    hosts: Iterable[str],
    *,
    limit: int,
    shared: Iterable[EntityKey] = (),
    window: tuple[float, float] | None = None,
    journal: EventLookup | None = None,
) -> list[tuple[str, str]]:
    """``(relation type, event id)`` pairs behind the edges of the members, on the cluster's hosts.

    A relation is aggregated over the whole fleet and all time: the events
    behind ``procexp64.exe ACCESSED lsass.exe`` come from every host where an
    admin tool read LSASS.  So a relation counts only where its events are
    bound to the cluster's hosts: one end is a cluster host, or one end is a
    member that no other host saw (not in ``shared``).  A relation that touches
    only shared members (and no cluster host) is left out, unless the journal
    can tell event by event.  With a ``journal``, every event is also checked:
    an event on another host, or outside ``window``, is left out, and an event
    without a host (a network sensor's) is kept from a bound relation, or when
    its source or destination address was a cluster host's at the event's time
    (the journal's IP map, :mod:`analytics.evidence_addresses`): the sensor's
    log-on at a cluster server whose address the projection could not map then
    (``user LOGGED_ON ip:10.1.10.117``) is the cluster's.
    Without one, a relation entirely outside ``window`` is left out.

    Parameters
    ----------
    graph : networkx.MultiDiGraph
        A store subgraph around the members.
    members : iterable of (type, key)
    hosts : iterable of str
        Host names of the cluster.
    limit : int
        Most pairs returned.
    shared : iterable of (type, key), optional
        Members also seen on hosts outside the cluster
        (:func:`members_seen_outside`); default none.
    window : (start, end), optional
        The detection window, epoch seconds.
    journal : object with ``get(ids)``, optional
        Resolves ids to events, to check each event's host and time.

    Examples
    --------
    >>> g = nx.MultiDiGraph()
    >>> g.add_edge("host:a", "domain:x", key="RESOLVED", type="RESOLVED", evidence=["e1", "e2"])
    'RESOLVED'
    >>> g.add_edge("process:admin", "process:lsass", key="ACCESSED", type="ACCESSED", evidence=["e3"])
    'ACCESSED'
    >>> evidence_ids(g, [("domain", "x"), ("process", "lsass")], ["a"], limit=5, shared=[("process", "lsass")])
    [('RESOLVED', 'e1'), ('RESOLVED', 'e2')]
    """
    cluster_hosts = {entity_uid("host", h) for h in hosts}
    member_uids = {entity_uid(t, k) for t, k in members}
    confined = member_uids - {entity_uid(t, k) for t, k in shared}

    by_type: dict[str, list[tuple[str, bool]]] = defaultdict(list)
    for src, dst, data in sorted(graph.edges(data=True), key=lambda e: (e[0], e[1])):
        if not ({src, dst} & member_uids):
            continue
        if any(uid.startswith("host:") and uid not in cluster_hosts for uid in (src, dst)):
            continue  # an outside host's events say nothing about the cluster
        if window is not None and not _overlaps(data, window):
            continue
        bound = bool({src, dst} & (cluster_hosts | confined))
        if not bound and journal is None:
            continue  # a shared member's relation: its events may be anyone's
        rel = str(data.get("type", ""))
        by_type[rel].extend((str(i), bound) for i in data.get("evidence", ()) or ())

    candidates: list[tuple[str, str, bool]] = []
    seen: set[str] = set()
    for row in zip_longest(*(by_type[t] for t in sorted(by_type)), fillvalue=None):
        for rel, item in zip(sorted(by_type), row, strict=True):
            if item is not None and item[0] not in seen:
                seen.add(item[0])
                candidates.append((rel, item[0], item[1]))
    if journal is None:
        return [(rel, i) for rel, i, _ in candidates[:limit]]
    host_names = {uid.split(":", 1)[1] for uid in cluster_hosts}
    addresses = address_holders(journal)
    out: list[tuple[str, str]] = []
    # In batches: most candidates pass, so a few journal reads reach ``limit``.
    for at in range(0, len(candidates), 4 * limit):
        batch = candidates[at : at + 4 * limit]
        events = {e.id: e for e in journal.get([i for _, i, _ in batch])}
        for rel, event_id, bound in batch:
            if _on_cluster(events.get(event_id), bound, host_names, window, addresses):
                out.append((rel, event_id))
                if len(out) >= limit:
                    return out
    return out


def _overlaps(data: dict, window: tuple[float, float]) -> bool:
    """Whether a relation was active in ``window`` (a relation without times is kept)."""
    first, last = data.get("first_seen"), data.get("last_seen")
    if first is None or last is None:
        return True
    return float(last) >= window[0] and float(first) <= window[1]


def _on_cluster(
    event: Any, bound: bool, hosts: set[str], window: tuple[float, float] | None,
    addresses: AddressHolders | None = None,
) -> bool:
    """Whether a journaled event is evidence of the cluster (on its hosts, in its window)."""
    if event is None:  # not journaled: only the relation can vouch for it
        return bound
    if window is not None and not window[0] <= float(event.ts) <= window[1]:
        return False
    if event.host is None:  # a network sensor's event: its relation, or its ends' hosts then
        return bound or _between_cluster_hosts(event, hosts, addresses)
    return str(event.host) in hosts


_ADDRESS_FIELDS = ("destination.ip", "source.ip")
"""A sensor event's ends (the responder first): either one on a cluster host makes it the cluster's."""


def _between_cluster_hosts(event: Any, hosts: set[str], addresses: AddressHolders | None) -> bool:
    """Whether a host-less event's source or destination address was a cluster host's at its time."""
    if addresses is None:
        return False
    fields = getattr(event, "fields", None) or {}
    for name in _ADDRESS_FIELDS:
        ip = fields.get(name)
        if ip and addresses.holder(str(ip), float(event.ts)) in hosts:
            return True
    return False


def members_seen_outside(
    incidence: Incidence, stats: EntityStats, members: Iterable[EntityKey], hosts: Iterable[str]
) -> frozenset[EntityKey]:
    """The members that some host outside ``hosts`` saw (at any time), for :func:`evidence_ids`.

    A member counts as confined when the fleet's hosts that ever saw it
    (``stats.total_hosts``) are no more than the cluster hosts that saw it in the window.
    """
    columns = incidence.column_index()
    rows = {h: r for r, h in enumerate(incidence.hosts)}
    host_rows = np.array([rows[h] for h in hosts if h in rows], dtype=np.int64)
    out = set()
    for key in members:
        j = columns.get(key)
        if j is None:
            out.add(key)  # not in the window's incidence: nothing says it is confined
            continue
        inside = float(incidence.seen[:, j][host_rows].sum()) if len(host_rows) else 0.0
        if stats.total_hosts[j] > inside:
            out.add(key)
    return frozenset(out)


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
