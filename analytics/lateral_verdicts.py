"""A benign verdict that holds only when the act comes from a known administrator's host.

PsExec from an IT workstation to most of the fleet is one cluster (the same PSEXESVC service and
process on every target), often an administrator's planned work, and a ransomware precursor when
anyone else does it.  A plain benign verdict suppresses the cluster's pivot whoever did it: a later
episode of the same act from another machine (the pivot's address handed to another host by DHCP,
an attacker replaying the admin's command) would be hidden as well.

An analyst can instead judge it *benign when the source is* one host the cluster's log-ons came
from (:mod:`analytics.lateral_sources` names it through the IP map).  The verdict then records that
host with the members it covered, as a ``("lateral_source", host)`` key
(:func:`source_scope`, stored by :meth:`graphsiem.api.state.StateStore.update_triage`).  Detection
still scores the suppressed cluster with the rest; before leaving it out it names the episode's
sources the same way, and leaves it out only when every named source is one the verdict recorded
(:func:`reopen_other_sources`).  An episode from another host, or whose source the IP map cannot
name, is shown, its summary and a check naming the new source and the one judged.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from analytics.evidence import EventLookup
from analytics.explain import Check
from analytics.lateral_sources import LateralSource, lateral_sources

SOURCE_KEY_TYPE = "lateral_source"
"""The type of the ``(type, host)`` keys by which a benign verdict records the source hosts it holds for."""

EntityKey = tuple[str, str]


class SourceNotNamed(ValueError):
    """A source a verdict was asked to hold for that the cluster's log-ons do not name."""


def named_sources(records: Iterable[Mapping[str, Any]] | None) -> list[str]:
    """The hosts a cluster's ``lateral_sources`` records name (the IP map placed their address), sorted."""
    return sorted({str(r["host"]) for r in records or () if isinstance(r, Mapping) and r.get("host")})


def source_scope(
    records: Iterable[Mapping[str, Any]] | None, host: str, *, held: Iterable[str] = (),
) -> list[EntityKey]:
    """The keys recording that a benign verdict on a cluster holds only when it comes from ``host``.

    Parameters
    ----------
    records : iterable of dict
        The judged cluster's ``lateral_sources`` (its contract field).
    host : str
        The source the analyst named (a host name; case and domain suffix do not matter).
    held : iterable of str
        The hosts the cluster's benign verdict holds for already: each may be kept though a
        later detection's log-ons no longer name it (it was seen when it was judged).

    Returns
    -------
    list of (type, key)
        ``[("lateral_source", host)]``, the host as the records name it.

    Raises
    ------
    SourceNotNamed
        When the cluster's log-ons name no such source: a verdict cannot hold for a machine the
        analyst did not see doing it.

    Examples
    --------
    >>> source_scope([{"ip": "10.32.1.42", "host": "it-0005"}], "IT-0005.corp.example")
    [('lateral_source', 'it-0005')]
    >>> source_scope([{"ip": "10.32.1.42", "host": "it-0005"}], "it-0002", held=["it-0002"])
    [('lateral_source', 'it-0002')]
    """
    wanted = host.strip().split(".", 1)[0].lower()
    named = named_sources(records)
    if wanted not in named and wanted not in held:
        known = ", ".join(named) if named else "none: the IP map named no host for its log-ons"
        raise SourceNotNamed(f"{host!r} is not a source this cluster's log-ons came from (named: {known})")
    return [(SOURCE_KEY_TYPE, wanted)]


def judged_sources(covered: Iterable[EntityKey] | None) -> frozenset[str]:
    """The source hosts a verdict's covered keys hold for; empty for a verdict that names none (any source)."""
    return frozenset(name for kind, name in covered or () if kind == SOURCE_KEY_TYPE)


@dataclass(frozen=True, slots=True)
class SourceComparison:
    """What an episode's sources are against the ones a verdict was given for."""

    judged: frozenset[str]
    named: frozenset[str]
    unnamed: tuple[str, ...]
    """The addresses whose log-ons the IP map placed on no host (or not on one)."""

    @property
    def holds(self) -> bool:
        """The verdict holds: some source named, every one of them judged, none left unnamed."""
        return bool(self.named) and self.named <= self.judged and not self.unnamed

    @property
    def new(self) -> list[str]:
        """The named sources the verdict was not given for."""
        return sorted(self.named - self.judged)


def compare_sources(judged: frozenset[str], records: Iterable[LateralSource]) -> SourceComparison:
    """Compare an episode's lateral sources with a verdict's judged ones.

    Examples
    --------
    >>> rec = LateralSource(ip="10.1.1.5", host="it-0005", first_seen=0.0, last_seen=1.0, targets=["ws-1"])
    >>> compare_sources(frozenset({"it-0005"}), [rec]).holds
    True
    >>> other = replace(rec, host="ws-0099")
    >>> compare_sources(frozenset({"it-0005"}), [other]).new
    ['ws-0099']
    """
    records = list(records)
    return SourceComparison(judged=judged, named=frozenset(r.host for r in records if r.host),
                            unnamed=tuple(sorted(r.ip for r in records if not r.host)))


def reopened_words(comparison: SourceComparison, records: Iterable[LateralSource]) -> tuple[str, Check]:
    """The summary clause and the check of an episode a source-scoped verdict does not cover."""
    judged = ", ".join(sorted(comparison.judged))
    by_host = {r.host: r.ip for r in records if r.host}
    if comparison.new:
        came = ", ".join(f"{h} ({by_host[h]})" for h in comparison.new)
        clause = f"judged benign only when from {judged}; this time from {came}"
        check = (f"A benign verdict on this act holds only when it comes from {judged}; these log-ons came from "
                 f"{came}: check who used {comparison.new[0]} then and whether it is an administrator's "
                 f"machine doing planned work")
        benign_if = (f"{comparison.new[0]} is another administrator's host in the same planned work (then judge "
                     f"it benign when from {comparison.new[0]} too)")
    else:
        unnamed = ", ".join(comparison.unnamed) or "its log-ons"
        clause = f"judged benign only when from {judged}; the IP map named no source host for {unnamed} this time"
        check = (f"A benign verdict on this act holds only when it comes from {judged}; the IP map placed {unnamed} "
                 f"on no single host at the log-ons' time: find the machine that held it (DHCP, the sensor's "
                 f"records) before closing")
        benign_if = f"the address was {judged}'s then (a lease the map did not see)"
    return clause, Check(feature=None, check=check, benign_if=benign_if)


def reopen_other_sources(
    store: Any,
    clusters: Iterable[Any],
    hidden: set[str],
    suppressed_members: Mapping[EntityKey, frozenset[EntityKey]],
    *,
    window: tuple[float, float],
    journal: EventLookup | None,
) -> list[Any]:
    """The suppressed clusters whose verdict holds only for other sources than this episode's: shown again.

    Parameters
    ----------
    store : GraphStore
        Read for each cluster's subgraph and its source hosts' processes.
    clusters : iterable of Cluster
        The scored clusters, suppressed ones included.
    hidden : set of str
        The ids of the clusters a suppression left out; a reopened cluster's id is removed from it.
    suppressed_members : mapping
        Each suppressed pivot -> the keys its verdict covered (``DetectionConfig.suppressed_members``).
    window : (start, end)
        The detection window, epoch seconds.
    journal : object with ``get(ids)`` and a ``connection``, optional
        The log-ons' times and the IP map (:func:`analytics.lateral_sources.lateral_sources`); without
        it no source is named, so a source-scoped verdict never holds.

    Returns
    -------
    list of Cluster
        The reopened clusters, their summary and checks saying which source was judged and which came.
    """
    reopened = []
    for cluster in clusters:
        if cluster.id not in hidden:
            continue
        judged = judged_sources(suppressed_members.get((cluster.pivot.type, cluster.pivot.key)))
        if not judged:  # a verdict for any source: hidden as before
            continue
        graph = cluster.subgraph(store, radius=1, limit=5000)
        records = lateral_sources(store, graph, [e.ref for e in cluster.entities], cluster.hosts,
                                  window=window, journal=journal)
        comparison = compare_sources(judged, records)
        if comparison.holds:
            continue
        clause, check = reopened_words(comparison, records)
        explanation = cluster.explanation
        summary = f"{explanation.summary}; {clause}" if explanation.summary else clause
        cluster.explanation = replace(explanation, summary=summary, checks=(check, *explanation.checks))
        hidden.discard(cluster.id)
        reopened.append(cluster)
    return reopened
