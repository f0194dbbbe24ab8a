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

The build is every prop one creation says of its image (:data:`BUILD_PROPS`: the digests and the PE's
original file name), kept or replaced together (HOSTF4 #2): the weak digests and the name followed the
batch's first event that said them, so a node could pair one run's SHA-256 with another's MD5.  A build
naming a SHA-256 ranks before one naming none (the stamp's first character), so a run whose Sysmon
hashes nothing never takes the digest away from the node.
"""

from __future__ import annotations

from typing import Any

__all__ = ["BUILD", "BUILD_PROPS", "BUILD_SEEN", "build_seen", "is_earlier_build", "merge_props", "split_build"]

BUILD = "sha256"
BUILD_PROPS = (BUILD, "sha1", "md5", "imphash", "original_file_name")
"""The props of one build: a creation's digests of its image and the PE's original file name."""
BUILD_SEEN = "sha256_seen"
"""The prop stamping a node's build (:data:`BUILD_PROPS`) with its event (:func:`build_seen`): compared as
text.  Its name is the one projection 14 gave it, when the build was the SHA-256 alone."""


def build_seen(ts: float, event_id: str, *, names_sha256: bool = True) -> str:
    """The stamp of a build seen at ``ts`` (epoch seconds) in event ``event_id``, ordered as text.

    Parameters
    ----------
    ts : float
        The event's time; a time before the epoch counts as the epoch (no Windows log holds one).
    event_id : str
        The event's id: orders two builds seen at one instant.
    names_sha256 : bool
        Whether the build says a SHA-256: such a build ranks before every build that does not.

    Returns
    -------
    str
        A rank digit, fixed-width seconds, then the id, so that text order is rank, time, then id order.

    Examples
    --------
    >>> build_seen(100.5, "e-2") < build_seen(100.5, "e-3") < build_seen(1_700_000_000.0, "e-1")
    True
    >>> build_seen(1_700_000_000.0, "e-9") < build_seen(100.5, "e-1", names_sha256=False)
    True
    """
    return f"{0 if names_sha256 else 1}{max(ts, 0.0):020.6f}|{event_id}"


_BUILD_AND_STAMP = frozenset((*BUILD_PROPS, BUILD_SEEN))


def is_earlier_build(incoming: str | None, stored: str | None) -> bool:
    """Whether a build stamped ``incoming`` replaces one stamped ``stored`` (``None``: no stamp).

    A stamped build replaces an unstamped one and a later stamped one; an unstamped build replaces only
    an unstamped one (in order, as other props merge); a tie keeps what is stored.
    """
    if incoming is None:
        return stored is None
    return stored is None or incoming < stored


def merge_props(stored: dict[str, Any], incoming: dict[str, Any]) -> None:
    """Merge ``incoming`` into ``stored`` in place: every prop in order, the build as one, the earlier's.

    Parameters
    ----------
    stored : dict
        The props held (a node's, or an earlier row's of the batch); updated.
    incoming : dict
        The props being merged; never modified.

    Notes
    -----
    When either side's build is stamped, the build of the earlier stamp (:func:`is_earlier_build`) is
    kept whole: an earlier one replaces every prop of :data:`BUILD_PROPS` (a digest it does not say is
    dropped, not left from the later run), a later one is ignored.  Two unstamped builds (files, a writer
    other than the projection) merge prop by prop in order, as every other prop.

    Examples
    --------
    >>> node = {"image": "u.exe", "sha256": "b", "md5": "mb", "sha256_seen": build_seen(200.0, "e2")}
    >>> merge_props(node, {"image": "U.exe", "sha256": "a", "sha256_seen": build_seen(100.0, "e1")})
    >>> node["image"], node["sha256"], "md5" in node
    ('U.exe', 'a', False)
    """
    seen = incoming.get(BUILD_SEEN)
    held = stored.get(BUILD_SEEN)
    if seen is None and held is None:
        stored.update(incoming)
        return
    if seen is not None and is_earlier_build(seen, held):
        for name in BUILD_PROPS:
            if name not in incoming:
                stored.pop(name, None)
        stored.update(incoming)
        return
    stored.update({name: value for name, value in incoming.items() if name not in _BUILD_AND_STAMP})


def split_build(props: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """``props`` without the build, and the build (None: no build prop, no stamp): the Neo4j store merges
    it apart (``neo4j_queries.EARLIEST_BUILD``) as :func:`merge_props` does, since ``SET n += props`` keeps
    the last.  A stamped build's map names every prop of :data:`BUILD_PROPS`, null where the creation said
    none, so that replacing a node's build drops the later run's (``SET n += {md5: null}`` removes md5);
    an unstamped one's only the props it holds (merged in order when the node's is unstamped too)."""
    if BUILD_SEEN in props:
        build = {name: props.get(name) for name in BUILD_PROPS}
        build[BUILD_SEEN] = props[BUILD_SEEN]
    else:
        build = {name: props[name] for name in BUILD_PROPS if name in props}
        if not build:
            return props, None
    return {name: value for name, value in props.items() if name not in _BUILD_AND_STAMP}, build
