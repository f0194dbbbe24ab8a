"""Which stored cluster a new one continues: the same case under another pivot.

A cluster's id is a hash of its pivot (:func:`analytics.result.cluster_id`), so
when a later detection grows the same hosts and members from another member
(a rollout's ``.exe`` after its ``.msi``), the case comes back under a new id.
:meth:`graphsiem.api.state.StateStore.save_clusters` uses :func:`match_predecessors`
to find the cluster a new one continues, so that the new id names it in
``previous_ids`` and carries what is safe of its triage
(:func:`graphsiem.api.state_lineage.continue_case`: everything when the new
cluster adds no member, else never "closed" or "benign").

The rule, :func:`is_same_case`: the host sets overlap with a Jaccard index of
at least :data:`SAME_CASE_HOST_JACCARD` **and** their member sets with one of
at least :data:`SAME_CASE_MEMBER_JACCARD`.  Both are required: a host overlap
alone matches two unrelated campaigns on the same machines, and a shared
member alone matches a common tool seen elsewhere.  Half the members, not one
shared member, so that a new attack on the same hosts that reuses one tool of
a closed case does not inherit its "closed, benign"; a case that grew by up
to as many members again still continues (one that more than doubled is
triaged afresh).  Pure functions, no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

SAME_CASE_HOST_JACCARD = 0.8
"""Smallest host-set Jaccard index for two clusters to be the same case."""

SAME_CASE_MEMBER_JACCARD = 0.5
"""Smallest member-set Jaccard index for two clusters to be the same case."""

MemberKey = tuple[str, str]


@dataclass(slots=True, frozen=True)
class StoredCluster:
    """What the match needs of a stored cluster (a candidate predecessor).

    Attributes
    ----------
    id : str
        Its cluster id.
    hosts : frozenset of str
        Its hosts.
    members : frozenset of (type, key)
        Its member entities.
    previous_ids : tuple of str
        The ids it itself continued (oldest first).
    was_active : bool
        Whether the latest detection produced it.
    """

    id: str
    hosts: frozenset[str]
    members: frozenset[MemberKey]
    previous_ids: tuple[str, ...] = ()
    was_active: bool = False


def member_keys(data: Mapping[str, Any]) -> frozenset[MemberKey]:
    """The ``(type, key)`` of a stored cluster's members (``members``, else ``entity_keys``)."""
    members = data.get("members") or data.get("entity_keys") or []
    return frozenset((str(m["type"]), str(m["key"])) for m in members
                     if isinstance(m, Mapping) and "type" in m and "key" in m)


def stored_cluster(cluster_id: str, data: Mapping[str, Any], *, was_active: bool) -> StoredCluster:
    """A :class:`StoredCluster` from a cluster's stored contract dict."""
    return StoredCluster(
        id=cluster_id, hosts=frozenset(str(h) for h in data.get("hosts") or []),
        members=member_keys(data),
        previous_ids=tuple(str(i) for i in data.get("previous_ids") or []),
        was_active=was_active,
    )


def jaccard(a: frozenset[Any], b: frozenset[Any]) -> float:
    """``|a ∩ b| / |a ∪ b|``; 0 for two empty sets.

    Examples
    --------
    >>> jaccard(frozenset("abcde"), frozenset("abcd"))
    0.8
    """
    union = len(a | b)
    return len(a & b) / union if union else 0.0


def is_same_case(new: StoredCluster, old: StoredCluster) -> bool:
    """Host-set and member-set Jaccard both at their thresholds (see the module docstring)."""
    return (jaccard(new.hosts, old.hosts) >= SAME_CASE_HOST_JACCARD
            and jaccard(new.members, old.members) >= SAME_CASE_MEMBER_JACCARD)


def match_predecessors(new: Sequence[StoredCluster],
                       candidates: Iterable[StoredCluster]) -> dict[str, StoredCluster]:
    """The predecessor of each new cluster that continues a stored one.

    One to one: the pairs that are the same case are taken by decreasing host
    Jaccard, then member Jaccard, then a previously active candidate first, so
    a case that split or merged continues into its closest match only.  A
    candidate with the id of a new cluster is left out: that case came back
    under its own id.

    Parameters
    ----------
    new : sequence of StoredCluster
        The clusters of the detection being stored.
    candidates : iterable of StoredCluster
        Stored clusters that may be continued (the previously active ones and
        the triaged ones).

    Returns
    -------
    dict
        New cluster id to the stored cluster it continues.
    """
    new_ids = {c.id for c in new}
    olds = [c for c in candidates if c.id not in new_ids]
    pairs = []
    for n in new:
        for o in olds:
            if is_same_case(n, o):
                pairs.append((-jaccard(n.hosts, o.hosts), -jaccard(n.members, o.members),
                              not o.was_active, n.id, o.id, n, o))
    pairs.sort(key=lambda p: p[:5])
    matched: dict[str, StoredCluster] = {}
    taken: set[str] = set()
    for *_, n, o in pairs:
        if n.id in matched or o.id in taken:
            continue
        matched[n.id] = o
        taken.add(o.id)
    return matched


def lineage(own: Iterable[str], predecessor: StoredCluster | None, cluster_id: str) -> list[str]:
    """``previous_ids`` of a cluster: what it continued before, then its predecessor's lineage.

    Examples
    --------
    >>> old = StoredCluster("b", frozenset(), frozenset(), previous_ids=("a",))
    >>> lineage([], old, "c")
    ['a', 'b']
    >>> lineage(["b"], old, "a")  # the pivot flipped back: a continues b, never itself
    ['b']
    """
    ids = list(own)
    if predecessor is not None:
        ids += [*predecessor.previous_ids, predecessor.id]
    seen: list[str] = []
    for i in ids:
        if i != cluster_id and i not in seen:
            seen.append(i)
    return seen
