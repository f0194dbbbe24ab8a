"""The graph drawn for a cluster: its members' neighbourhood, without other hosts' activity.

A store's subgraph around a cluster's members (:meth:`GraphStore.subgraph`) is
aggregated over the whole fleet: ``procexp64.exe ACCESSED lsass.exe`` is one
relation for every IT host where the admin tool read LSASS, and LSASS, a member
of the campaign's cluster, pulls it in.  The page then drew the admin tool in
the attack's graph and listed its events as the cluster's evidence (review R4,
finding 2).  :func:`cluster_view` keeps what the cluster's hosts did, with the
same rule as :func:`analytics.evidence.evidence_ids`: an edge to a host outside
the cluster is left out, and an edge between two other nodes keeps only the
events the journal places on a cluster host (or on no host: a network sensor's,
or one the journal does not hold); an edge left with none is dropped, and so is
a node left without edges that is neither a member nor a cluster host.
"""

from __future__ import annotations

from collections.abc import Iterable

import networkx as nx

from analytics.evidence import EventLookup
from graphsiem.model import EntityKey, entity_uid


def cluster_view(
    graph: nx.MultiDiGraph,
    members: Iterable[EntityKey],
    hosts: Iterable[str],
    *,
    journal: EventLookup | None = None,
) -> nx.MultiDiGraph:
    """``graph`` restricted to what the cluster's hosts did (a new graph; ``graph`` is not changed).

    Parameters
    ----------
    graph : networkx.MultiDiGraph
        A store subgraph around the members (edges carry ``evidence`` ids).
    members : iterable of (type, key)
    hosts : iterable of str
        The cluster's host names.
    journal : object with ``get(ids)``, optional
        Resolves evidence ids to events (their host).  Without it only edges to
        outside hosts are left out: nothing tells whose events the others carry.

    Returns
    -------
    networkx.MultiDiGraph

    Examples
    --------
    >>> g = nx.MultiDiGraph()
    >>> g.add_edge("host:a", "process:lsass", key="RAN", type="RAN", evidence=["e1"])
    'RAN'
    >>> g.add_edge("host:it-1", "process:lsass", key="RAN", type="RAN", evidence=["e2"])
    'RAN'
    >>> sorted(cluster_view(g, [("process", "lsass")], ["a"]).nodes)
    ['host:a', 'process:lsass']
    """
    cluster_hosts = {entity_uid("host", h) for h in hosts}
    host_names = {uid.split(":", 1)[1] for uid in cluster_hosts}
    keep_nodes = cluster_hosts | {entity_uid(t, k) for t, k in members}
    edges = list(graph.edges(keys=True, data=True))
    unbound = [
        (src, dst, key, data) for src, dst, key, data in edges
        if not ({src, dst} & cluster_hosts) and not _outside_host(src, dst, cluster_hosts)
    ]
    placed = _event_hosts(journal, unbound)

    view = nx.MultiDiGraph()
    for src, dst, key, data in edges:
        if _outside_host(src, dst, cluster_hosts):
            continue
        attrs = dict(data)
        if journal is not None and not ({src, dst} & cluster_hosts):
            evidence = [str(i) for i in data.get("evidence", ()) or ()]
            # not journaled, or host-less (a network sensor's): nothing says it is another host's
            kept = [i for i in evidence if i not in placed or placed[i] is None or placed[i] in host_names]
            if evidence and not kept:
                continue  # every event behind it is another host's
            attrs["evidence"] = kept
        for node in (src, dst):
            if node not in view:
                view.add_node(node, **graph.nodes[node])
        view.add_edge(src, dst, key=key, **attrs)
    for node in keep_nodes & set(graph.nodes):
        if node not in view:
            view.add_node(node, **graph.nodes[node])
    return view


def _outside_host(src: str, dst: str, cluster_hosts: set[str]) -> bool:
    """Whether one end of the edge is a host outside the cluster."""
    return any(uid.startswith("host:") and uid not in cluster_hosts for uid in (src, dst))


def _event_hosts(journal: EventLookup | None, edges: list) -> dict[str, str | None]:
    """Event id -> its host (``None``: a host-less event) for the evidence of ``edges``."""
    if journal is None:
        return {}
    ids = sorted({str(i) for _, _, _, data in edges for i in data.get("evidence", ()) or ()})
    found: dict[str, str | None] = {}
    for at in range(0, len(ids), 500):
        for event in journal.get(ids[at : at + 500]):
            found[event.id] = None if event.host is None else str(event.host)
    return found
