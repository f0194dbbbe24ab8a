"""Turn a networkx ``MultiDiGraph`` from a store into the API's nodes/edges JSON."""

from __future__ import annotations

from typing import Any

import networkx as nx

from analytics.credential_statuses import tally_meaning
from graphsiem.api.schemas import EdgeSignature, EdgeTallyEntry, GraphEdge, GraphNode, GraphOut
from graphsiem.model import TALLY_SHOWN, epoch_to_iso, split_uid

_NODE_FIELDS = {"type", "key", "value"}


def _scalar_props(attrs: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in attrs.items() if k not in _NODE_FIELDS
            and isinstance(v, str | int | float | bool | list | type(None))}


def graph_to_json(graph: nx.MultiDiGraph, *, max_edges: int | None = None,
                  truncated: bool = False) -> GraphOut:
    """Nodes (id, type, key, value, props) and edges (source, target, type, count, ...).

    ``truncated`` in the result is true when the caller says the graph is
    incomplete (``truncated``: it stopped at a neighbour limit) or when more
    than ``max_edges`` edges were left out here.
    """
    nodes = []
    for node_id, attrs in graph.nodes(data=True):
        node_type, node_key = split_uid(str(node_id))
        nodes.append(GraphNode(
            id=str(node_id), type=str(attrs.get("type", node_type)),
            key=str(attrs.get("key", node_key)), value=str(attrs.get("value", node_key)),
            props=_scalar_props(attrs),
        ))
    edges = []
    for src, dst, rel_type, attrs in graph.edges(keys=True, data=True):
        if max_edges is not None and len(edges) >= max_edges:
            truncated = True
            break
        edges.append(GraphEdge(
            source=str(src), target=str(dst), type=str(attrs.get("type", rel_type)),
            count=int(attrs.get("count", 1)),
            first_seen=epoch_to_iso(attrs.get("first_seen")),
            last_seen=epoch_to_iso(attrs.get("last_seen")),
            evidence=[str(e) for e in attrs.get("evidence", [])],
            **_signatures_out(attrs), **_tallies_out(attrs),
        ))
    return GraphOut(nodes=nodes, edges=edges, truncated=truncated)


def _most_counted(counts: dict[str, int], dropped: int) -> tuple[list[tuple[str, int]], int]:
    """The :data:`~graphsiem.model.TALLY_SHOWN` most counted of a stored tally's ``counts`` (most first,
    then by label) and ``dropped`` plus the counts of the labels not shown, so shown + dropped = total.

    The store keeps up to :data:`~graphsiem.model.TALLY_CAPACITY` labels so that heavy labels survive
    many light ones (:func:`graphsiem.model.add_counts`); an analyst reads the top of the list.

    Examples
    --------
    >>> _most_counted({"b": 1, "a": 1, "c": 5}, 2)
    ([('c', 5), ('a', 1), ('b', 1)], 2)
    """
    ordered = sorted(counts.items(), key=lambda item: (-int(item[1]), str(item[0])))
    shown = ordered[:TALLY_SHOWN]
    return ([(str(label), int(count)) for label, count in shown],
            int(dropped) + sum(int(count) for _, count in ordered[TALLY_SHOWN:]))


def _lower_bound(stored_dropped: Any) -> bool | None:
    """True when a stored record's kept counts are lower bounds (None: exact, left out of the JSON).

    The store drops observations only when a label came to a full record
    (:func:`graphsiem.model.add_counts`, more than :data:`~graphsiem.model.TALLY_CAPACITY` labels), and
    each such step takes counts off the labels it keeps; until then every kept count is exact.  Labels
    past the :data:`~graphsiem.model.TALLY_SHOWN` shown are the API's cut, not the store's: they leave
    the shown counts exact.

    >>> _lower_bound(0), _lower_bound(201)
    (None, True)
    """
    return True if int(stored_dropped or 0) > 0 else None


def _signatures_out(attrs: dict[str, Any]) -> dict[str, Any]:
    """An ``ALERTED`` edge's signatures (the most alerted :data:`~graphsiem.model.TALLY_SHOWN`, most alerts
    first, then by text) and the alerts not listed; {} for other edges."""
    signatures = attrs.get("signatures")
    if not signatures:
        return {}
    stored_dropped = int(attrs.get("signatures_dropped") or 0)
    shown, dropped = _most_counted(signatures, stored_dropped)
    at_least = _lower_bound(stored_dropped)
    return {"signatures": [EdgeSignature(signature=name, alerts=count, at_least=at_least) for name, count in shown],
            "signatures_dropped": dropped}


def _tallies_out(attrs: dict[str, Any]) -> dict[str, Any]:
    """A ``VALIDATED_AT`` edge's tallies (each its most counted :data:`~graphsiem.model.TALLY_SHOWN`, most
    first, then by label) and the observations not listed, by tally; {} for other edges."""
    tallies = attrs.get("tallies")
    if not tallies:
        return {}
    stored_dropped = attrs.get("tallies_dropped") or {}
    entries: dict[str, list[EdgeTallyEntry]] = {}
    dropped: dict[str, int] = {name: int(count) for name, count in stored_dropped.items()}
    for name, counts in tallies.items():
        shown, not_shown = _most_counted(counts, stored_dropped.get(name, 0))
        at_least = _lower_bound(stored_dropped.get(name, 0))
        entries[name] = [EdgeTallyEntry(label=label, count=count, at_least=at_least,
                                        meaning=tally_meaning(name, label)) for label, count in shown]
        if not_shown or name in stored_dropped:
            dropped[name] = not_shown
    return {"tallies": entries, "tallies_dropped": dropped}
