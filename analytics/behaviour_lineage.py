"""Which behaviour facts belong together although hours apart: one process tree.

Two behaviour facts (:mod:`analytics.behaviour_pivots`) on one host pair when they happened
within ``cooccurrence_minutes`` of each other.  A campaign that spaces its steps (a
dropper reads LSASS, its encoded PowerShell runs 35 minutes later: red-team T8, variant
v2) passes under any such window, and widening the window pairs unrelated benign facts
(an admin's encoded PowerShell in the morning, an EDR's LSASS read in the afternoon).
What ties a spaced campaign's facts is lineage: the second stage descends from the
first, or both from the dropper.  So two facts whose processes are in **one process
tree** pair up to :data:`LINEAGE_HOURS` apart; unrelated facts still need the
co-occurrence window.

One process tree: the two processes share a **tree member**, where a process's tree
members are itself and its ancestors (``SPAWNED`` relations, at most
:data:`MAX_DEPTH` generations up) reached through processes on fewer than
``min_hosts`` hosts (new or rare: per-host processes).  A process on ``min_hosts``
hosts or more (``services.exe``, ``explorer.exe``) ends the walk and is no member:
everything on a host descends from it, so sharing it says nothing, and the store's
relations are fleet-wide (an edge seen on one host), so walking through a shared
process would join processes of different hosts.  So a child and its parent dropper,
a grandchild and its grandparent through a per-host shell, or two children of one
per-host dropper are one tree; two children of ``services.exe`` are not.

A fleet-wide process *between* two facts does not break their tree (review T10,
finding 1): a dropper that starts a plain ``cmd.exe`` (one command line on every host)
which starts the encoded PowerShell is still one tree with the dropper.  Past a shared
process the walk goes on (:meth:`Lineage.reached`), but what it reaches counts only
when it is another **fact's process on the same host** (the host's own facts bound
it): the two facts are per-host processes of one host, so the fleet-wide edges of the
shared process cannot join two hosts, and two unrelated children of ``cmd.exe`` share
nothing but ``cmd.exe``.  A payload that a WMI subscription, a scheduled task or a
service runs (``WmiPrvSE.exe``, ``taskhostw.exe``, ``services.exe`` starting it) has its
installers as parents too, where its install names them
(:mod:`analytics.behaviour_installs`); a spoofed parent is not linked.

The relations are those a detection already read (:func:`analytics.inputs`'s
``SPAWNED``): nothing more is read from the store.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping

from graphsiem.model import EntityKey, Relation

__all__ = ["LINEAGE_HOURS", "MAX_DEPTH", "MAX_SHARED_WALK", "Lineage", "TreeMembers", "one_tree", "parents_of",
           "tree_members"]

LINEAGE_HOURS = 24.0
"""Most hours between two facts of one process tree that still pair (a detection's window is 24 h)."""
MAX_DEPTH = 8
"""Most generations walked up from a fact's process (a dropper's chain is a few deep; bounds a cycle's cost)."""

MAX_SHARED_WALK = 32
"""Most shared processes one walk passes through (a shared process's fleet-wide parents are many)."""

TreeMembers = Mapping[EntityKey, frozenset[EntityKey]]
"""Process -> its tree members (itself and its per-host ancestors)."""


def parents_of(spawned: Iterable[Relation]) -> dict[EntityKey, set[EntityKey]]:
    """Child process -> its parent processes (``process SPAWNED process``)."""
    parents: dict[EntityKey, set[EntityKey]] = defaultdict(set)
    for rel in spawned:
        parents[rel.dst].add(rel.src)
    return parents


def tree_members(
    processes: Collection[EntityKey],
    parents: Mapping[EntityKey, Collection[EntityKey]],
    fleet_hosts: Mapping[EntityKey, int],
    *,
    min_hosts: int,
) -> dict[EntityKey, frozenset[EntityKey]]:
    """Each of ``processes``: itself and its ancestors through processes on fewer than ``min_hosts`` hosts.

    Parameters
    ----------
    processes : collection of EntityKey
        The processes behind behaviour facts.
    parents : mapping
        :func:`parents_of` the detection's ``SPAWNED`` relations.
    fleet_hosts : mapping
        Each process's hosts over all time (missing: one host).
    min_hosts : int
        A process on this many hosts or more is shared: no tree member, and the walk stops there.

    Examples
    --------
    >>> parents = {("p", "ps"): {("p", "drop")}, ("p", "drop"): {("p", "explorer")},
    ...            ("p", "mdm"): {("p", "services")}}
    >>> found = tree_members([("p", "ps"), ("p", "mdm")], parents, {("p", "explorer"): 300,
    ...                      ("p", "services"): 300}, min_hosts=3)
    >>> sorted(found[("p", "ps")]), sorted(found[("p", "mdm")])
    ([('p', 'drop'), ('p', 'ps')], [('p', 'mdm')])
    """
    found: dict[EntityKey, frozenset[EntityKey]] = {}
    for process in processes:
        members = {process}
        frontier = [process]
        for _ in range(MAX_DEPTH):
            frontier = [p for child in frontier for p in parents.get(child, ())
                        if p not in members and fleet_hosts.get(p, 1) < min_hosts]
            if not frontier:
                break
            members.update(frontier)
        found[process] = frozenset(members)
    return found


def one_tree(members: TreeMembers, a: EntityKey, b: EntityKey) -> bool:
    """True when processes ``a`` and ``b`` share a tree member (one process tree on a host).

    Examples
    --------
    >>> members = {("p", "ps"): frozenset({("p", "ps"), ("p", "drop")}), ("p", "drop"): frozenset({("p", "drop")}),
    ...            ("p", "mdm"): frozenset({("p", "mdm")})}
    >>> one_tree(members, ("p", "drop"), ("p", "ps")), one_tree(members, ("p", "mdm"), ("p", "ps"))
    (True, False)
    """
    if a == b:
        return True
    mine, theirs = members.get(a), members.get(b)
    return mine is not None and theirs is not None and not mine.isdisjoint(theirs)


class Lineage:
    """The process trees of one detection: each process's tree members and what its walk reaches on a host.

    Parameters
    ----------
    parents : mapping
        :func:`parents_of` the detection's ``SPAWNED`` relations.
    fleet_hosts : mapping
        Each process's hosts over all time (missing: one host).
    min_hosts : int
        A process on this many hosts or more is shared.

    Examples
    --------
    >>> parents = {("p", "ps"): {("p", "cmd")}, ("p", "cmd"): {("p", "drop"), ("p", "other-host-drop")}}
    >>> lineage = Lineage(parents, {("p", "cmd"): 300}, min_hosts=3)
    >>> sorted(lineage.members(("p", "ps")))
    [('p', 'ps')]
    >>> sorted(lineage.reached(("p", "ps"), frozenset({("p", "ps"), ("p", "drop")})))
    [('p', 'drop')]
    """

    def __init__(self, parents: Mapping[EntityKey, Collection[EntityKey]], fleet_hosts: Mapping[EntityKey, int],
                 *, min_hosts: int) -> None:
        self._parents = parents
        self._fleet_hosts = fleet_hosts
        self._min_hosts = min_hosts
        self._members: dict[EntityKey, frozenset[EntityKey]] = {}
        self._shared_parents: dict[EntityKey, tuple[EntityKey, ...]] = {}

    def _shared(self, process: EntityKey) -> bool:
        return self._fleet_hosts.get(process, 1) >= self._min_hosts

    def members(self, process: EntityKey) -> frozenset[EntityKey]:
        """Itself and its ancestors through per-host processes (:func:`tree_members`)."""
        found = self._members.get(process)
        if found is None:
            found = tree_members([process], self._parents, self._fleet_hosts, min_hosts=self._min_hosts)[process]
            self._members[process] = found
        return found

    def reached(self, process: EntityKey, on_host: frozenset[EntityKey]) -> frozenset[EntityKey]:
        """The processes of ``on_host`` (one host's fact processes) that the walk up from ``process`` reaches.

        The walk goes through per-host ancestors and, past them, through shared processes
        (at most :data:`MAX_SHARED_WALK`, :data:`MAX_DEPTH` generations); a shared
        process's per-host parents count only when they are in ``on_host`` (its
        fleet-wide parents are other hosts' too), and the walk goes on from them.
        """
        found: set[EntityKey] = set()
        seen = set(self.members(process))
        frontier = list(seen)
        shared_walked = 0
        for _ in range(MAX_DEPTH):
            step: list[EntityKey] = []
            for child in frontier:
                if self._shared(child):
                    shared_walked += 1
                    if shared_walked > MAX_SHARED_WALK:
                        break
                    # the host's facts against the shared process's parents, whichever is fewer
                    parents = self._parents.get(child, ())
                    mine = [p for p in on_host if p in parents] if len(on_host) < len(parents) \
                        else [p for p in parents if p in on_host]
                    step += mine + list(self._shared_parents_of(child))
                else:
                    step += list(self._parents.get(child, ()))
            frontier = [p for p in dict.fromkeys(step) if p not in seen]
            if not frontier:
                break
            seen.update(frontier)
            found.update(p for p in frontier if p in on_host)
        found.discard(process)
        return frozenset(found)

    def _shared_parents_of(self, process: EntityKey) -> tuple[EntityKey, ...]:
        if process not in self._shared_parents:
            self._shared_parents[process] = tuple(sorted(p for p in self._parents.get(process, ()) if self._shared(p)))
        return self._shared_parents[process]
