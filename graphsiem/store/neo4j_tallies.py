"""An edge's tallies in Neo4j: a ``VALIDATED_AT`` edge's outcomes and claimed workstations.

:class:`~graphsiem.model.Relation` keeps ``tallies`` (tally name -> label -> count, at most
:data:`~graphsiem.model.TALLY_CAP` labels a tally, the most counted; the API shows
:data:`~graphsiem.model.TALLY_SHOWN` of them) and ``tallies_dropped`` (tally name -> observations not
counted under a kept label).  A relationship property holds no map, so each tally is three properties, as an
``ALERTED`` edge's signatures are (:func:`graphsiem.store.neo4j_queries.merge_counts`): ``<name>``
(the labels), ``<name>_counts`` (each label's count, same order) and ``<name>_dropped``.  The name is one
of :data:`~graphsiem.model.TALLY_NAMES`, a fixed set, so it may be part of the query's text; labels and
counts are parameters (a claimed workstation name is whatever the client wrote: data, never Cypher).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from graphsiem.model import TALLY_NAMES
from graphsiem.store.neo4j_queries import merge_counts

__all__ = ["merge_tally", "relation_tallies", "tally_attrs"]


def _tally_name(name: str) -> str:
    """``name`` when it is a tally of :data:`~graphsiem.model.TALLY_NAMES` (it becomes property names)."""
    if name not in TALLY_NAMES:
        raise ValueError(f"unknown tally {name!r}: one of {', '.join(TALLY_NAMES)}")
    return name


@cache
def merge_tally(src_type: str, relation_type: str, dst_type: str, name: str) -> str:
    """Add one tally to relations written just before, given as columns ``$a, $src, $b, $dst, $names
    (the labels), $counts, $dropped``, at most ``$cap`` labels kept: the rule of
    :func:`graphsiem.model.add_tally` (:func:`~graphsiem.store.neo4j_queries.merge_counts`).

    Examples
    --------
    >>> "SET r.outcomes = m.names, r.outcomes_counts = m.counts" in merge_tally("user", "VALIDATED_AT",
    ...                                                                          "host", "outcomes")
    True
    """
    tally = _tally_name(name)
    return merge_counts(src_type, relation_type, dst_type, (tally, f"{tally}_counts", f"{tally}_dropped"))


def relation_tallies(props: dict[str, Any]) -> tuple[dict[str, dict[str, int]] | None, dict[str, int] | None]:
    """A stored relationship's ``(tallies, tallies_dropped)`` as :class:`~graphsiem.model.Relation` holds them.

    Examples
    --------
    >>> relation_tallies({"outcomes": ["success", "failure 0xc000006a"], "outcomes_counts": [3, 9],
    ...                   "outcomes_dropped": 0, "count": 12})
    ({'outcomes': {'success': 3, 'failure 0xc000006a': 9}}, None)
    >>> relation_tallies({"count": 1})
    (None, None)
    """
    tallies: dict[str, dict[str, int]] = {}
    dropped: dict[str, int] = {}
    for name in TALLY_NAMES:
        labels = props.get(name)
        if labels is None:
            continue
        counts = props.get(name + "_counts") or [0] * len(labels)
        tallies[name] = {str(label): int(count) for label, count in zip(labels, counts, strict=False)}
        if props.get(name + "_dropped"):
            dropped[name] = int(props[name + "_dropped"])
    return (tallies or None), (dropped or None)


def tally_attrs(props: dict[str, Any]) -> dict[str, Any]:
    """A relationship's tallies as subgraph edge attributes (as the embedded store's); {} without any."""
    tallies, dropped = relation_tallies(props)
    if tallies is None:
        return {}
    return {"tallies": tallies, "tallies_dropped": dropped or {}}
