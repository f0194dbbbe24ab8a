"""Which build a process node holds: its earliest creation's, wherever batches are cut (HOSTF3 #2).

A process node is keyed by image and command line, so every host's run of one updater is one node,
and the runs' builds (``sha256``) can differ: a trojan dropped at the updater's path and run with its
command line.  Props otherwise merge in order (:mod:`graphsiem.store.merge`), which made the node's
build the first one of the last batch: a live collector cutting by records and a replay cutting by
events built different graphs from one journal, and a trojan ingested last became the build.

So the projection stamps the build with its event's time and id (:data:`BUILD_SEEN`, from
:func:`build_seen`) and every merge (the projection's own, :func:`~graphsiem.store.merge.coalesce_entities`,
the embedded store's and the Neo4j store's Cypher) keeps the smallest stamp's build: the earliest
creation by event time, ties by event id.  A build without a stamp (written by something other than
the projection) never replaces a stamped one; two without stamps merge in order, as every other prop.
"""

from __future__ import annotations

from typing import Any

__all__ = ["BUILD", "BUILD_SEEN", "build_seen", "earliest_build_props", "is_earlier_build", "split_build"]

BUILD = "sha256"
BUILD_SEEN = "sha256_seen"
"""The prop stamping a node's ``sha256`` with its event (:func:`build_seen`): compared as text."""


def build_seen(ts: float, event_id: str) -> str:
    """The stamp of a build seen at ``ts`` (epoch seconds) in event ``event_id``, ordered as text.

    Parameters
    ----------
    ts : float
        The event's time; a time before the epoch counts as the epoch (no Windows log holds one).
    event_id : str
        The event's id: orders two builds seen at one instant.

    Returns
    -------
    str
        Fixed-width seconds, then the id, so that text order is time order, then id order.

    Examples
    --------
    >>> build_seen(100.5, "e-2") < build_seen(100.5, "e-3") < build_seen(1_700_000_000.0, "e-1")
    True
    """
    return f"{max(ts, 0.0):020.6f}|{event_id}"


def is_earlier_build(incoming: str | None, stored: str | None) -> bool:
    """Whether a build stamped ``incoming`` replaces one stamped ``stored`` (``None``: no stamp).

    A stamped build replaces an unstamped one and a later stamped one; an unstamped build replaces only
    an unstamped one (in order, as other props merge); a tie keeps what is stored.
    """
    if incoming is None:
        return stored is None
    return stored is None or incoming < stored


def earliest_build_props(stored: dict[str, Any], incoming: dict[str, Any]) -> dict[str, Any]:
    """The props of ``incoming`` to merge into ``stored``: without its build when that is not the earlier.

    Parameters
    ----------
    stored : dict
        The props held (a node's, or an earlier row's of the batch).
    incoming : dict
        The props being merged; never modified.

    Returns
    -------
    dict
        ``incoming`` itself, or a copy without :data:`BUILD` and :data:`BUILD_SEEN` when ``stored``
        holds a build ``incoming``'s does not replace.
    """
    if BUILD not in incoming or BUILD not in stored:
        return incoming
    if is_earlier_build(incoming.get(BUILD_SEEN), stored.get(BUILD_SEEN)):
        return incoming
    return {name: value for name, value in incoming.items() if name != BUILD and name != BUILD_SEEN}


def split_build(props: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """``props`` without the build, and the build with its stamp (None: no build): the Neo4j store merges
    the build apart (``neo4j_queries.EARLIEST_BUILD``), since ``SET n += props`` keeps the last."""
    if BUILD not in props:
        return props, None
    rest = {name: value for name, value in props.items() if name != BUILD and name != BUILD_SEEN}
    return rest, {name: props[name] for name in (BUILD, BUILD_SEEN) if name in props}
