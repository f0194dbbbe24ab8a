"""Whether a suppressed pivot's benign verdict holds for it: the hosts it was given on.

Moved out of :mod:`analytics.clusters` (which still exports every name here).  A
suppression that recorded the hosts of the cluster it was given on (a behaviour
pivot's) covers a pivot only when it is mostly on those hosts
(:func:`covers_hosts`); :func:`analytics.clusters.fan_out_clusters` applies the
rule and :func:`analytics.pivot_selection.pivot_census` counts it
(:func:`suppression_holds`).
"""

from __future__ import annotations

from analytics.incidence import Incidence

SUPPRESSED_HOST_SHARE = 0.8
"""Least share of a pivot's window hosts that must be among the hosts a suppression recorded
(:func:`covers_hosts`) for the suppression to cover it: ``min_overlap``'s default, the share that
makes a member a twin, so a later episode is the judged one only when it is nearly all on the
machines the analyst looked at (the same hosts again, or a few more)."""

HOST_TYPE = "host"
"""The type of the ``(type, name)`` keys by which a suppression records the hosts it was given on."""


def suppression_holds(incidence: Incidence, column: int, covered: frozenset[tuple[str, str]] | None) -> bool:
    """Whether a suppressed pivot's verdict holds for it in this window: one whose ``covered``
    keys (the members and hosts of the cluster it was given on) are unknown, or cover the
    pivot's window hosts (:func:`covers_hosts`).

    The one rule :func:`fan_out_clusters` applies and :func:`pivot_census` counts.
    """
    if covered is None:
        return True
    return covers_hosts(covered, [incidence.hosts[int(r)] for r in incidence.hosts_of(column)])


def covers_hosts(covered: frozenset[tuple[str, str]], hosts: list[str], *,
                 share: float = SUPPRESSED_HOST_SHARE) -> bool:
    """Whether a suppression's covered keys cover a pivot seen on ``hosts``.

    A suppression that recorded no ``("host", name)`` keys covers any host set (an entity
    pivot's benign verdict stands for that entity wherever it goes).  One that did (a
    behaviour pivot's, :meth:`graphsiem.api.state.StateStore.update_triage`) covers a pivot
    only when at least ``share`` of its hosts are among them: the same behaviour on other
    machines is a new episode nobody judged (red-team T8, finding 1).

    Examples
    --------
    >>> judged = frozenset({("process", "p"), ("host", "a"), ("host", "b"), ("host", "c")})
    >>> covers_hosts(judged, ["a", "b", "c"]), covers_hosts(judged, ["x", "y", "z"])
    (True, False)
    >>> covers_hosts(frozenset({("process", "p")}), ["x", "y", "z"])  # no hosts recorded
    True
    """
    judged = {name for kind, name in covered if kind == HOST_TYPE}
    if not judged:
        return True
    return sum(h in judged for h in hosts) >= share * max(len(hosts), 1)
