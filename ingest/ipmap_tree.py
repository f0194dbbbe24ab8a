"""One address's intervals in the IP -> host map: a treap ordered by start (:class:`Intervals`).

Each node knows the latest end in its subtree (``reach``), so learning a lease
or an observation, or a lookup, costs O(log n) for an address held n times
(plus the intervals it cuts or passes that overlap it), not a scan of all n: a
pool address leased 80,000 times in turn costs no more a lease than one leased
once.  The rules (which interval a lookup prefers, what a new lease cuts) are
:mod:`ingest.ipmap`'s; this module only keeps the intervals in their order.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

_priorities = random.Random(0x1F5).random
"""Treap priorities: any random order balances the tree; seeded so that its shape (not its answers) repeats."""


class IntervalNode:
    """An interval in an address's treap, keyed by ``(start, seq)``; ``reach`` is the latest end in its subtree."""

    __slots__ = ("start", "end", "host", "source", "seq", "priority", "left", "right", "reach")

    def __init__(self, start: float, end: float, host: str, source: str, seq: int) -> None:
        self.start, self.end, self.host, self.source, self.seq = start, end, host, source, seq
        self.priority = _priorities()
        self.left: IntervalNode | None = None
        self.right: IntervalNode | None = None
        self.reach = end


def _before(node: IntervalNode, start: float, seq: int) -> bool:
    """Whether ``node``'s key comes before ``(start, seq)``."""
    return node.start < start or (node.start == start and node.seq < seq)


def _fix(node: IntervalNode) -> None:
    """Recompute ``node.reach`` from its end and its children's reach."""
    reach = node.end
    left, right = node.left, node.right
    if left is not None and left.reach > reach:
        reach = left.reach
    if right is not None and right.reach > reach:
        reach = right.reach
    node.reach = reach


def _split(node: IntervalNode | None, start: float, seq: int) -> tuple[IntervalNode | None, IntervalNode | None]:
    """The subtree of keys before ``(start, seq)`` and the one of the others."""
    if node is None:
        return None, None
    if _before(node, start, seq):
        node.right, after = _split(node.right, start, seq)
        _fix(node)
        return node, after
    before, node.left = _split(node.left, start, seq)
    _fix(node)
    return before, node


def _join(first: IntervalNode | None, second: IntervalNode | None) -> IntervalNode | None:
    """One subtree of two whose keys are all in ``first`` before all in ``second``."""
    if first is None:
        return second
    if second is None:
        return first
    if first.priority > second.priority:
        first.right = _join(first.right, second)
        _fix(first)
        return first
    second.left = _join(first, second.left)
    _fix(second)
    return second


def _insert(node: IntervalNode | None, new: IntervalNode) -> IntervalNode:
    """The subtree ``node`` with ``new`` (no children yet) in it, by key and priority."""
    if node is None:
        return new
    if new.priority > node.priority:
        new.left, new.right = _split(node, new.start, new.seq)
        _fix(new)
        return new
    if _before(new, node.start, node.seq):
        node.left = _insert(node.left, new)
    else:
        node.right = _insert(node.right, new)
    if new.reach > node.reach:
        node.reach = new.reach
    return node


def _remove(node: IntervalNode | None, target: IntervalNode) -> IntervalNode | None:
    """The subtree ``node`` without ``target``, whose key must be as when it was inserted."""
    if node is None:
        return None  # not in the tree (cannot happen: callers remove their own nodes)
    if node is target:
        return _join(node.left, node.right)
    if _before(target, node.start, node.seq):
        node.left = _remove(node.left, target)
    else:
        node.right = _remove(node.right, target)
    _fix(node)
    return node


def _extend(node: IntervalNode, target: IntervalNode, end: float) -> None:
    """Give ``target``, below ``node``, the later ``end``: the reach of the path down to it grows with it."""
    start, seq = target.start, target.seq
    target.end = end
    while True:
        if end > node.reach:
            node.reach = end
        if node is target:
            return
        node = node.left if start < node.start or (start == node.start and seq < node.seq) else node.right  # type: ignore[assignment]


def latest_started(node: IntervalNode | None, ts: float) -> IntervalNode | None:
    """The interval with the latest key among those starting by ``ts``, holding it or not (one walk down).

    Most often it still holds ``ts`` (the address's holder then), so a lookup tries it
    before :func:`latest_holding`.
    """
    latest = None
    while node is not None:
        if node.start <= ts:
            latest, node = node, node.right
        else:
            node = node.left
    return latest


def latest_holding(node: IntervalNode | None, ts: float) -> IntervalNode | None:
    """The interval with the latest key among those holding ``ts``.

    Keys descending: a subtree that reaches no later than ``ts`` is passed
    over, and one that starts after ``ts`` only on its left.
    """
    later: list[IntervalNode] = []  # nodes starting by ts whose right subtree is being searched
    while True:
        while node is not None and node.reach >= ts:
            if node.start <= ts:
                later.append(node)
                node = node.right
            else:
                node = node.left
        if not later:
            return None
        node = later.pop()
        if node.end >= ts:
            return node
        node = node.left


def latest_where(node: IntervalNode | None, ts: float, after: float, host: str, source: str,
                 of_source: bool) -> IntervalNode | None:
    """The interval with the latest key holding ``ts``, ending after ``after``, of a host other than ``host``,
    whose source is ``source`` (``of_source`` True) or is not (False).

    :func:`latest_holding`'s walk, passing over subtrees that reach no later than ``after`` too.  The lookup's
    two overrides (:mod:`ingest.ipmap_sightings`): a lease's, ``(lease start + slack, lease host, "endpoint",
    True)``, pays only where another host's sightings reach past the lease's first hour; a device claim's,
    ``(-inf, "", "device", False)``, finds the lease or sighting holding the time.  Inline, not a generator
    of candidates: one cost the fleet benchmark's lookups a quarter of their rate.
    """
    bound = ts if ts > after else after
    later: list[IntervalNode] = []
    while True:
        while node is not None and node.reach >= bound:
            if node.start <= ts:
                later.append(node)
                node = node.right
            else:
                node = node.left
        if not later:
            return None
        node = later.pop()
        if node.end >= ts and node.end > after and (node.source == source) is of_source and node.host != host:
            return node
        node = node.left


def latest_keyed(node: IntervalNode | None, start: float, host: str) -> IntervalNode | None:
    """The interval learnt last (latest ``seq``) among those of ``host`` starting at ``start``, or None.

    The journal keeps one row per ``(start, host)``, this one's: a save of a changed key reads it here,
    in O(log n) and the intervals starting at ``start``, without listing the address's intervals.
    """
    return latest_by_host(node, start).get(host)


def latest_by_host(node: IntervalNode | None, start: float) -> dict[str, IntervalNode]:
    """Per host, the interval learnt last among those below ``node`` starting at ``start`` (the journal's
    rows of that start: :func:`latest_keyed`), in O(log n) and the intervals starting then."""
    found: dict[str, IntervalNode] = {}
    pending: list[IntervalNode] = []  # subtrees that may hold more intervals starting at ``start``
    while True:
        while node is not None:
            if node.start < start:
                node = node.right
            elif node.start > start:
                node = node.left
            else:
                known = found.get(node.host)
                if known is None or node.seq > known.seq:
                    found[node.host] = node
                if node.left is not None:
                    pending.append(node.left)
                node = node.right
        if not pending:
            return found
        node = pending.pop()


def _holding(node: IntervalNode | None, ts: float, out: list[IntervalNode]) -> list[IntervalNode]:
    """``out`` with the intervals below ``node`` holding ``ts`` appended (only NetBIOS names need them all)."""
    while node is not None and node.reach >= ts:
        _holding(node.left, ts, out)
        if node.start > ts:
            break
        if node.end >= ts:
            out.append(node)
        node = node.right
    return out


def _cut(node: IntervalNode | None, at: float, host: str, source: str, out: list[tuple[IntervalNode, float]]) -> None:
    """End at ``at`` the intervals of ``source`` of hosts other than ``host`` that started before it and hold past it.

    Each one cut is appended to ``out`` with its end before the cut.
    """
    if node is None or node.reach <= at:
        return
    _cut(node.left, at, host, source, out)
    if node.start < at:
        if node.end > at and node.host != host and node.source == source:
            out.append((node, node.end))
            node.end = at
        _cut(node.right, at, host, source, out)
    _fix(node)


def first_touching(node: IntervalNode | None, start: float, end: float, host: str, source: str) -> IntervalNode | None:
    """The first interval by key of ``host`` and ``source`` that overlaps or touches ``[start, end]``.

    Keys ascending, a subtree that ends before ``start`` passed over; a loop with its own stack,
    not a call per node: this runs for every observation.
    """
    earlier: list[IntervalNode] = []
    while True:
        while node is not None and node.reach >= start:
            earlier.append(node)
            node = node.left
        if not earlier:
            return None
        node = earlier.pop()
        if node.start > end:
            return None
        if node.end >= start and node.host == host and node.source == source:
            return node
        node = node.right


class Intervals:
    """One address's intervals: a treap ordered by ``(start, seq)``, ``seq`` counting the intervals made.

    The order is the one lookups try, latest first: by start, then by which
    interval was learnt last (a renewal that moves a start counts as learnt
    when it moved: :meth:`widen`).
    """

    __slots__ = ("root", "size", "_seq")

    def __init__(self) -> None:
        self.root: IntervalNode | None = None
        self.size = 0
        self._seq = 0

    def __iter__(self) -> Iterator[IntervalNode]:
        return iter(self.ordered())

    def ordered(self) -> list[IntervalNode]:
        """The intervals by key (a list: no generator to resume per node)."""
        out: list[IntervalNode] = []
        stack: list[IntervalNode] = []
        node = self.root
        while stack or node is not None:
            while node is not None:
                stack.append(node)
                node = node.left
            node = stack.pop()
            out.append(node)
            node = node.right
        return out

    def add(self, start: float, end: float, host: str, source: str) -> IntervalNode:
        """Add the interval; returns its node."""
        self._seq += 1
        node = IntervalNode(start, end, host, source, self._seq)
        self.root = _insert(self.root, node)
        self.size += 1
        return node

    def widen(self, node: IntervalNode, start: float, end: float) -> None:
        """Give ``node`` a span that holds its own (a merge): moved in the tree when its start moves.

        A moved interval is learnt anew (a new ``seq``): among intervals starting at its new start it is
        the latest, as its row, written under a new key, is the latest in the journal
        (:mod:`ingest.ipmap_store`), so a reloaded map breaks the tie the same way.
        """
        if start != node.start:
            self.root = _remove(self.root, node)
            self._seq += 1
            node.left = node.right = None
            node.start, node.end, node.reach, node.seq = start, end, end, self._seq
            self.root = _insert(self.root, node)
        else:
            _extend(self.root, node, end)  # type: ignore[arg-type]

    def relearn(self, node: IntervalNode) -> None:
        """Make ``node`` the interval learnt last (a new ``seq``; its span unchanged).

        A save that reads another writer's rows takes their order in the journal
        for the intervals it holds at a shared start (:mod:`ingest.ipmap_store`).
        """
        self.root = _remove(self.root, node)
        self._seq += 1
        node.left = node.right = None
        node.seq, node.reach = self._seq, node.end
        self.root = _insert(self.root, node)

    def cut(self, at: float, host: str, source: str) -> list[tuple[IntervalNode, float]]:
        """:func:`_cut` on the whole tree."""
        out: list[tuple[IntervalNode, float]] = []
        _cut(self.root, at, host, source, out)
        return out

    def holding(self, ts: float) -> list[IntervalNode]:
        """The intervals holding ``ts``."""
        return _holding(self.root, ts, [])
