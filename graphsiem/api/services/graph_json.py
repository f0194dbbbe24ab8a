"""Turn a networkx ``MultiDiGraph`` from a store into the API's nodes/edges JSON."""

from __future__ import annotations

from typing import Any

import networkx as nx

from graphsiem.api.schemas import EdgeSignature, EdgeTallyEntry, GraphEdge, GraphNode, GraphOut
from graphsiem.model import epoch_to_iso, split_uid

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


def _signatures_out(attrs: dict[str, Any]) -> dict[str, Any]:
    """An ``ALERTED`` edge's signatures (most alerts first, then by text) and dropped alerts; {} for others."""
    signatures = attrs.get("signatures")
    if not signatures:
        return {}
    ordered = sorted(signatures.items(), key=lambda item: (-item[1], item[0]))
    return {"signatures": [EdgeSignature(signature=str(name), alerts=int(count)) for name, count in ordered],
            "signatures_dropped": int(attrs.get("signatures_dropped", 0))}


def _tallies_out(attrs: dict[str, Any]) -> dict[str, Any]:
    """A ``VALIDATED_AT`` edge's tallies (each most first, then by label) and dropped counts; {} for others."""
    tallies = attrs.get("tallies")
    if not tallies:
        return {}
    return {"tallies": {name: [EdgeTallyEntry(label=str(label), count=int(count))
                               for label, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))]
                        for name, counts in tallies.items()},
            "tallies_dropped": {name: int(count) for name, count in (attrs.get("tallies_dropped") or {}).items()}}
