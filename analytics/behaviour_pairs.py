"""Which pairs of behaviour facts make a host show a signature, and which hosts pivot together.

A host shows a signature (:mod:`analytics.behaviour_pivots`) when two facts of two
different kinds on it are **linked**: they happened within ``cooccurrence_minutes`` of
each other, or their processes are one process tree and they happened within
:data:`analytics.behaviour_lineage.LINEAGE_HOURS` (:func:`pairs`).

The hosts that show a pair of kinds are grouped by the pair's **shape**
(:class:`analytics.behaviour_shapes.Shapes`): each shape on ``min_hosts`` hosts or more
is a group of its own (a benign product's, a campaign's).  A pair of no such shape (a
campaign that varies its folders per host, or a host's campaign dropper next to a
product's PowerShell) joins the kinds' **rest** group, unshaped, unless one of its two
facts is already in a pair of a shared shape on that host: that fact is explained by
the product it belongs to, so a product's LSASS read and a second product's encoded
PowerShell on one host (two products, each its own group) make no rest of them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterator, Mapping
from typing import TYPE_CHECKING, TypeVar

from analytics.behaviour_lineage import LINEAGE_HOURS
from graphsiem.model import EntityKey

if TYPE_CHECKING:
    from analytics.behaviour_pivots import Fact
    from analytics.behaviour_shapes import Shapes

__all__ = ["Completion", "Host", "completion_days", "pairs", "shape_groups"]

Linked = Callable[[EntityKey, EntityKey], bool]
"""Whether two processes are one process tree (:func:`analytics.behaviour_lineage.one_tree`)."""
Completion = tuple[float, "Fact", "Fact"]
"""When a pair completed (the later fact's time), its earlier fact and its later one."""
Host = TypeVar("Host", bound=Hashable)
"""A host: its incidence row (the window's facts) or its name (the history's)."""


def pairs(found: list[Fact], window_s: float, linked: Linked | None = None
          ) -> Iterator[tuple[tuple[str, str], Fact, Fact]]:
    """Each linked pair of facts of two kinds: (its sorted kinds, the earlier fact, the later one).

    Linked: at most ``window_s`` apart, or (with ``linked``) one process tree at most
    :data:`~analytics.behaviour_lineage.LINEAGE_HOURS` apart.  The two facts may be one
    process's (one process showing two kinds is the signature at its strongest).
    ``found`` is sorted in place by time.
    """
    found.sort(key=lambda f: (f.at, f.kind, f.process))
    reach = max(window_s, LINEAGE_HOURS * 3600.0) if linked is not None else window_s
    for i, a in enumerate(found):
        for b in found[i + 1 :]:
            apart = b.at - a.at
            if apart > reach:
                break  # sorted by time: every later fact is farther still
            if a.kind != b.kind and (apart <= window_s or (linked is not None and linked(a.process, b.process))):
                yield ((a.kind, b.kind) if a.kind < b.kind else (b.kind, a.kind)), a, b


def completion_days(by_host: Mapping[Host, list[Fact]], window_s: float, linked: Linked | None = None
                    ) -> dict[tuple[str, str], dict[Host, set[int]]]:
    """Signature -> host -> the UTC days (days since the epoch) on which a pair of it completed there."""
    days: dict[tuple[str, str], dict[Host, set[int]]] = defaultdict(lambda: defaultdict(set))
    for host, found in by_host.items():
        for kinds, _, b in pairs(found, window_s, linked):
            days[kinds][host].add(int(b.at // 86400))
    return days


def shape_groups(
    by_host: Mapping[Host, list[Fact]], window_s: float, shapes: Shapes, *, min_hosts: int,
    linked: Linked | None = None,
) -> dict[tuple[tuple[str, str], str | None], tuple[str | None, dict[Host, list[Completion]]]]:
    """The hosts of each signature, grouped by shape: ``(kinds, shape id)`` -> (shape text, host -> pairs).

    A shape on ``min_hosts`` hosts or more is its own group; the pairs of the others whose
    two facts are in no such group's pair on their host form the kinds' rest
    (``(kinds, None)``).  Each group: its shape text (``None``: the rest) and per host its
    pairs, earliest completion first.  Groups of fewer than ``min_hosts`` hosts are returned
    too (the caller counts and drops them).
    """
    shaped: dict[tuple[tuple[str, str], str], dict[Host, list[Completion]]] = defaultdict(lambda: defaultdict(list))
    texts: dict[tuple[tuple[str, str], str], str] = {}
    for host, found in by_host.items():
        for kinds, a, b in pairs(found, window_s, linked):
            shape, text = shapes.of_pair(kinds, a, b)
            texts[(kinds, shape)] = text
            shaped[(kinds, shape)][host].append((b.at, a, b))
    shared = {group for group, hosts in shaped.items() if len(hosts) >= min_hosts}
    explained = {(host, fact) for group in shared for host, found in shaped[group].items()
                 for _, a, b in found for fact in (a, b)}
    groups: dict[tuple[tuple[str, str], str | None], tuple[str | None, dict[Host, list[Completion]]]] = {
        group: (texts[group], dict(shaped[group])) for group in shared}
    rest: dict[tuple[str, str], dict[Host, list[Completion]]] = defaultdict(lambda: defaultdict(list))
    for (kinds, shape), hosts in shaped.items():
        if (kinds, shape) in shared:
            continue
        for host, completions in hosts.items():
            rest[kinds][host] += [(t, a, b) for t, a, b in completions
                                  if (host, a) not in explained and (host, b) not in explained]
    for kinds, hosts in rest.items():
        kept = {host: completions for host, completions in hosts.items() if completions}
        if kept:
            groups[(kinds, None)] = (None, kept)
    for _, hosts in groups.values():
        for completions in hosts.values():
            completions.sort(key=lambda c: (c[0], c[1].at, c[1].kind, c[1].process, c[2].kind, c[2].process))
    return groups
