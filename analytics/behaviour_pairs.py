"""Which pairs of behaviour facts make a host show a signature, and which hosts pivot together.

A host shows a signature (:mod:`analytics.behaviour_pivots`) when two facts of two
different kinds on it are **linked**: they happened within ``cooccurrence_minutes`` of
each other, or their processes are one process tree
(:class:`analytics.behaviour_lineage.Lineage`) and they happened within
:data:`analytics.behaviour_lineage.LINEAGE_HOURS`.

The hosts that show a pair of kinds are grouped by the pair's **shape**
(:class:`analytics.behaviour_shapes.Shapes`): each shape on ``min_hosts`` hosts or more
is a group of its own (a benign product's, a campaign's).  A pair of no such shape (a
campaign that varies its folders per host, or a host's campaign dropper next to a
product's PowerShell) joins the kinds' **rest** group, unshaped, unless one of its two
facts is already in a pair of a shared shape on that host: that fact is explained by
the product it belongs to, so a product's LSASS read and a second product's encoded
PowerShell on one host (two products, each its own group) make no rest of them.

Cost (review T10, finding 3): pairs are never enumerated.  Per host, the facts of
each kind and process shape are indexed by time, once as they are and once per tree
member (and per process a fact's walk reaches); each fact then asks each index of the
other kinds whether it holds a linked partner (a bisection), so one host's work is
about facts x shapes x tree members, not facts squared.  Per host and group only the
earliest completion and the set of facts in the group's pairs are kept.  A host keeps
at most :data:`MAX_FACTS_PER_KIND` facts of one kind (its earliest) and
:data:`MAX_SHAPES_PER_KIND` process shapes of one kind; the facts cut are counted
(:attr:`PairWork.capped`): one host starting thousands of encoded commands is one
host, and its first ones already show the signature.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

from analytics.behaviour_lineage import LINEAGE_HOURS, Lineage

if TYPE_CHECKING:
    from analytics.behaviour_pivots import Fact
    from analytics.behaviour_shapes import Shapes

__all__ = ["MAX_FACTS_PER_KIND", "MAX_SHAPES_PER_KIND", "Completion", "Group", "Host", "HostPairs", "PairWork",
           "completion_days", "shape_groups"]

MAX_FACTS_PER_KIND = 500
"""Most facts of one kind one host keeps (its earliest): bounds one host's pairing work."""
MAX_SHAPES_PER_KIND = 32
"""Most process shapes of one kind one host keeps (facts of further shapes are cut, counted)."""

Completion = tuple[float, "Fact", "Fact"]
"""When a pair completed (the later fact's time), its earlier fact and its later one."""
Host = TypeVar("Host", bound=Hashable)
"""A host: its incidence row (the window's facts) or its name (the history's)."""
_Entry = tuple[float, "Fact"]


@dataclass(slots=True)
class HostPairs:
    """One host's pairs of one group: its earliest completion and the facts in the group's pairs there."""

    first: Completion
    facts: set[Fact] = field(default_factory=set)


Group = tuple[str | None, dict[Host, HostPairs]]
"""A group's shape text (``None``: the rest) and its hosts' pairs."""


@dataclass(slots=True)
class PairWork:
    """What pairing cost: partner look-ups made and facts cut by the per-host caps."""

    lookups: int = 0
    """Index look-ups (one bisection each) made to find linked partners."""
    capped: int = 0
    """Facts left out by :data:`MAX_FACTS_PER_KIND` or :data:`MAX_SHAPES_PER_KIND`."""


def _capped(found: Iterable[Fact], classify: Callable[[Fact], str], work: PairWork) -> list[Fact]:
    """The host's facts in time order, at most the caps' of each kind."""
    kept: list[Fact] = []
    per_kind: dict[str, int] = defaultdict(int)
    shapes: dict[str, set[str]] = defaultdict(set)
    for fact in sorted(found, key=lambda f: (f.at, f.kind, f.process)):
        cls = classify(fact)
        known = shapes[fact.kind]
        if per_kind[fact.kind] >= MAX_FACTS_PER_KIND or (cls not in known and len(known) >= MAX_SHAPES_PER_KIND):
            work.capped += 1
            continue
        known.add(cls)
        per_kind[fact.kind] += 1
        kept.append(fact)
    return kept


class _HostIndex:
    """One host's facts by (kind, process shape), by time: as they are and per tree key."""

    def __init__(self, found: list[Fact], classify: Callable[[Fact], str], window_s: float,
                 lineage: Lineage | None, work: PairWork) -> None:
        self.window_s = window_s
        self.lineage = lineage
        self.work = work
        self.classes: dict[str, list[str]] = defaultdict(list)
        self.near: dict[tuple[str, str], list[_Entry]] = defaultdict(list)
        self.tree: dict[tuple[str, str, object], list[_Entry]] = defaultdict(list)
        self.keys: dict[Fact, tuple[frozenset[object], frozenset[object]]] = {}
        on_host = frozenset(f.process for f in found)
        for fact in found:  # in time order: every list is sorted
            cls = classify(fact)
            if cls not in self.classes[fact.kind]:
                self.classes[fact.kind].append(cls)
            self.near[(fact.kind, cls)].append((fact.at, fact))
            if lineage is None:
                continue
            # linked when one's members meet the other's members or what its walk reached (either way round)
            members = lineage.members(fact.process)
            reach = members | lineage.reached(fact.process, on_host)
            self.keys[fact] = (frozenset(members), frozenset(reach))
            for key in {("m", m) for m in members} | {("r", r) for r in reach}:
                self.tree[(fact.kind, cls, key)].append((fact.at, fact))

    def partner(self, fact: Fact, kind: str, cls: str) -> tuple[bool, Fact | None]:
        """Whether ``fact`` has a linked partner of ``kind`` and shape ``cls``, and its latest one not after it."""
        found = False
        best: Fact | None = None
        spans: list[tuple[list[_Entry], float]] = [(self.near.get((kind, cls), []), self.window_s)]
        if self.lineage is not None and fact in self.keys:
            members, reach = self.keys[fact]
            reach_s = LINEAGE_HOURS * 3600.0
            spans += [(self.tree.get((kind, cls, ("r", m)), []), reach_s) for m in members]
            spans += [(self.tree.get((kind, cls, ("m", r)), []), reach_s) for r in reach]
        for entries, span in spans:
            if not entries:
                continue
            self.work.lookups += 1
            lo = bisect_left(entries, fact.at - span, key=lambda e: e[0])
            hi = bisect_right(entries, fact.at + span, key=lambda e: e[0])
            if lo >= hi:
                continue
            found = True
            before = bisect_right(entries, fact.at, lo, hi, key=lambda e: e[0]) - 1
            if before >= lo and (best is None or entries[before][0] > best.at):
                best = entries[before][1]
        return found, best


def _host_pairs(found: list[Fact], classify: Callable[[Fact], str], window_s: float, lineage: Lineage | None,
                work: PairWork) -> Iterable[tuple[tuple[str, str], str, str, Fact, Fact | None]]:
    """Per fact and partner shape: (kinds, the fact's shape, the partner's, the fact, its partner not after it)."""
    index = _HostIndex(found, classify, window_s, lineage, work)
    for fact in found:
        mine = classify(fact)
        for kind, classes in index.classes.items():
            if kind == fact.kind:
                continue
            kinds = (fact.kind, kind) if fact.kind < kind else (kind, fact.kind)
            for cls in classes:
                linked, earlier = index.partner(fact, kind, cls)
                if linked:
                    yield kinds, mine, cls, fact, earlier


def completion_days(by_host: Mapping[Host, list[Fact]], window_s: float, shapes: Shapes,
                    lineage: Lineage | None = None, work: PairWork | None = None,
                    ) -> dict[tuple[tuple[str, str], str], dict[Host, set[int]]]:
    """``(kinds, shape id)`` -> host -> the UTC days (days since the epoch) on which a pair of it completed there."""
    work = work if work is not None else PairWork()
    days: dict[tuple[tuple[str, str], str], dict[Host, set[int]]] = defaultdict(lambda: defaultdict(set))
    for host, found in by_host.items():
        def classify(fact: Fact, host: Host = host) -> str:
            """The shape of the process behind ``fact`` on this host (:meth:`Shapes.of_fact`).

            Parameters
            ----------
            fact : Fact
                A fact of ``host``.
            host : Host
                Bound to the loop's host (a default, so each host's function keeps its own):
                a parent's history is read on this host, so a parent new here is marked so.

            Returns
            -------
            str
                The shape id; a host that is no name (a row) reads no history.
            """
            return shapes.of_fact(fact, host if isinstance(host, str) else None)
        kept = _capped(found, classify, work)
        for kinds, mine, cls, fact, earlier in _host_pairs(kept, classify, window_s, lineage, work):
            if earlier is not None:  # the pair completed at this fact
                shape, _ = shapes.of_classes(kinds, {fact.kind: mine, _other(kinds, fact.kind): cls})
                days[(kinds, shape)][host].add(int(fact.at // 86400))
    return days


def _other(kinds: tuple[str, str], kind: str) -> str:
    return kinds[1] if kinds[0] == kind else kinds[0]


def _add(hosts: dict[Host, HostPairs], host: Host, fact: Fact, earlier: Fact | None) -> None:
    """Count ``fact`` in a group's pairs on ``host``; with ``earlier``, a pair of the group completed at it."""
    pairs = hosts.get(host)
    if earlier is not None:
        completion = (fact.at, earlier, fact)
        if pairs is None:
            pairs = hosts[host] = HostPairs(completion)
        elif _order(completion) < _order(pairs.first):
            pairs.first = completion
        pairs.facts.update((earlier, fact))
    elif pairs is None:
        # its partner is later: the group's completion is found from the partner's side
        hosts[host] = HostPairs((float("inf"), fact, fact), {fact})
    else:
        pairs.facts.add(fact)


def _order(c: Completion) -> tuple[float, float, str, tuple[str, str], str, tuple[str, str]]:
    return c[0], c[1].at, c[1].kind, c[1].process, c[2].kind, c[2].process


def shape_groups(
    by_host: Mapping[Host, list[Fact]], window_s: float, shapes: Shapes, *, min_hosts: int,
    lineage: Lineage | None = None, work: PairWork | None = None,
) -> dict[tuple[tuple[str, str], str | None], Group]:
    """The hosts of each signature, grouped by shape: ``(kinds, shape id)`` -> (shape text, host -> its pairs).

    A shape on ``min_hosts`` hosts or more is its own group; the pairs of the others whose
    two facts are in no such group's pair on their host form the kinds' rest
    (``(kinds, None)``).  Each group: its shape text (``None``: the rest) and per host its
    earliest completion and the facts of the group's pairs (:class:`HostPairs`).  Groups of
    fewer than ``min_hosts`` hosts are returned too (the caller counts and drops them).
    ``work`` counts the look-ups made and the facts cut by the caps.
    """
    work = work if work is not None else PairWork()
    shaped: dict[tuple[tuple[str, str], str], dict[Host, HostPairs]] = defaultdict(dict)
    texts: dict[tuple[tuple[str, str], str], str] = {}
    kept_by_host = {host: _capped(found, shapes.of_fact, work) for host, found in by_host.items()}
    for host, kept in kept_by_host.items():
        for kinds, mine, cls, fact, earlier in _host_pairs(kept, shapes.of_fact, window_s, lineage, work):
            shape, text = shapes.of_classes(kinds, {fact.kind: mine, _other(kinds, fact.kind): cls})
            texts[(kinds, shape)] = text
            _add(shaped[(kinds, shape)], host, fact, earlier)
    shared = {group for group, hosts in shaped.items() if len(hosts) >= min_hosts}
    explained = {(host, fact) for group in shared for host, pairs in shaped[group].items() for fact in pairs.facts}
    groups: dict[tuple[tuple[str, str], str | None], Group] = {group: (texts[group], shaped[group]) for group in shared}
    # the rest: every linked pair of two facts no shared shape explains (such a pair's shape is unshared)
    rest: dict[tuple[str, str], dict[Host, HostPairs]] = defaultdict(dict)
    for host, kept in kept_by_host.items():
        left = [f for f in kept if (host, f) not in explained]
        for kinds, _, _, fact, earlier in _host_pairs(left, _unshaped, window_s, lineage, work):
            _add(rest[kinds], host, fact, earlier)
    for kinds, hosts in rest.items():
        if hosts:
            groups[(kinds, None)] = (None, hosts)
    return groups


def _unshaped(fact: Fact) -> str:
    return ""
