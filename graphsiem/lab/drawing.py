"""Drawing store subgraphs with matplotlib (nodes coloured by entity type)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import networkx as nx
import numpy as np

from graphsiem.lab.optional import pyplot

LABEL_CHARS = 28
TYPE_COLOURS = {
    "host": "#4c72b0", "process": "#dd8452", "script": "#c44e52", "file": "#8172b3",
    "domain": "#55a868", "ip": "#937860", "url": "#64b5cd", "user": "#da8bc3",
}


def node_label(data: Mapping[str, Any]) -> str:
    """A node's value, shortened, as literal matplotlib text."""
    text = str(data.get("value") or data.get("key") or "")
    text = text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1] + "…"
    # Values are attacker-controlled: '$' would switch matplotlib to mathtext.
    return text.replace("$", r"\$")


def draw_subgraph(
    graph: nx.MultiDiGraph, ax: Any = None, *, highlight: Sequence[str] = (), seed: int = 0
) -> Any:
    """Draw a store subgraph with matplotlib, nodes coloured by entity type.

    Parameters
    ----------
    graph : networkx.MultiDiGraph
        A store subgraph (nodes ``type:key`` with ``type`` and ``value``).
    ax : matplotlib axes, optional
        Default a new 10 x 7 inch figure.
    highlight : sequence of str
        Node ids drawn large and labelled (e.g. a cluster's members); without
        it every non-host node is labelled.
    seed : int
        Seed of the spring layout.

    Returns
    -------
    matplotlib axes
    """
    plt = pyplot()
    if ax is None:
        _, ax = plt.subplots(figsize=(10, 7))
    simple = nx.Graph(graph)
    pos = nx.spring_layout(simple, seed=seed, k=1.5 / max(np.sqrt(len(simple)), 1.0))
    marked = set(highlight)
    for entity_type in sorted({str(d.get("type", "?")) for _, d in graph.nodes(data=True)}):
        nodes = [n for n, d in graph.nodes(data=True) if d.get("type") == entity_type]
        sizes = [260 if n in marked else (40 if entity_type == "host" else 90) for n in nodes]
        nx.draw_networkx_nodes(
            simple, pos, nodelist=nodes, ax=ax, node_size=sizes,
            node_color=TYPE_COLOURS.get(entity_type, "#999999"), label=entity_type,
            edgecolors=["black" if n in marked else "none" for n in nodes],
        )
    nx.draw_networkx_edges(simple, pos, ax=ax, alpha=0.2, width=0.6)
    named = marked or {n for n, d in graph.nodes(data=True) if d.get("type") != "host"}
    labels = {n: node_label(d) for n, d in graph.nodes(data=True) if n in named}
    nx.draw_networkx_labels(simple, pos, labels=labels, ax=ax, font_size=8)
    ax.legend(loc="best", fontsize=8, markerscale=0.6)
    ax.set_axis_off()
    return ax
