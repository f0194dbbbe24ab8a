"""Registered-domain pivots: a campaign that gives each host its own subdomain is one campaign.

The window incidence keeps only entities on two hosts or more
(:func:`analytics.inputs.load_inputs`), and a cluster pivots on one exact
entity (:func:`analytics.clusters.fan_out_clusters`).  A campaign whose hosts
each reach their own subdomain of one registered domain (``a1b2.evil-cdn.com``,
one per host, each with its own address) leaves every domain, URL and address
out, and with them the processes that lend a pivot its behaviours: review T7
found such a seed campaign on 54 hosts only through its payload's hash, at rank
4 (73.9), with no behaviour, and a summary that named no domain.

This module rolls such subdomains up by the registered domain the projection
stores on each domain (``registered_domain``, Public Suffix List aware, private
section included: ``x.duckdns.org`` is its own registered domain).  A registered
domain becomes a **candidate pivot** when

* at least ``min_hosts`` window hosts reached it through subdomains that are each
  on *fewer* than ``min_hosts`` window hosts (a subdomain on more is a pivot of its
  own; a registered domain whose hosts come from one shared subdomain adds
  nothing), the bare registered domain itself not counting as a subdomain;
* it is new, or young and spreading, by the rules an entity follows
  (:mod:`analytics.novelty`), its per-host first sightings being the earliest of
  *all* its subdomains' on that host, those seen only before the window too (one
  :meth:`GraphStore.hosts_of` read each, at most :data:`MAX_SUBDOMAINS`).  So a
  registered domain the fleet knew before the window (a CDN it uses, a SaaS
  platform's per-tenant names) is no pivot, however many new subdomains it shows.

Each candidate becomes one extra incidence column, a *rollup* with a key no real
domain can have (:func:`rollup_key`: a space and parentheses, which
:func:`ingest.normalize_urls.normalize_domain` refuses), on the hosts that reached
it through those subdomains: per host, its first sighting is the earliest of the
registered domain's subdomains, its count their contacts summed (so the beacon's
repeats are counted on the subdomains), its last sighting the latest.  A
synthetic prevalence row carries its fleet-wide first sightings to
:func:`analytics.entity_stats.entity_stats`.  The rollup is a domain: it pivots before
a file on the same hosts, and its processes are the union of its subdomains'
linked processes (:meth:`Rollups.add_links`), its contact share their contacts'
(:meth:`Rollups.add_contact_shares`).  Nothing is written: the rollup lives in
one detection's incidence, never in the graph store.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from analytics.contact_counts import read_contact_shares
from analytics.entity_stats import Window
from analytics.incidence import Incidence
from analytics.linked_processes import PivotLinks, read_pivot_links
from analytics.lookalike import registrable
from analytics.novelty import established_at
from graphsiem.model import EntityKey, EntityType
from graphsiem.store.base import EntityPrevalence, GraphStore

MAX_SUBDOMAINS = 1000
"""Most subdomains read per candidate registered domain (first sightings before the window,
linked processes, contacts).  One with more subdomains seen only before the window is a
platform the fleet knew by many names: not new, no pivot."""

_ROLLUP_SUFFIX = " (per-host subdomains)"
_DOMAIN = EntityType.DOMAIN.value
_VALUE = re.compile(r"^\*\.(?P<registered>\S+) \((?P<count>\d+) subdomains?\)$")


def rollup_key(registered: str) -> EntityKey:
    """The incidence key of ``registered``'s rollup: one no real domain entity can have.

    A domain key is a normalised name (letters, digits, ``-``, ``_``, ``*`` and dots:
    :func:`ingest.normalize_urls.normalize_domain`); the space and the parentheses
    are none of those.

    Examples
    --------
    >>> rollup_key("evil-cdn.com")
    ('domain', '*.evil-cdn.com (per-host subdomains)')
    >>> is_rollup(rollup_key("evil-cdn.com")), is_rollup(("domain", "*.evil-cdn.com"))
    (True, False)
    """
    return (_DOMAIN, f"*.{registered}{_ROLLUP_SUFFIX}")


def is_rollup(key: EntityKey) -> bool:
    """True for a registered-domain rollup's key (:func:`rollup_key`), never for a real entity's."""
    return key[0] == _DOMAIN and key[1].endswith(_ROLLUP_SUFFIX)


def rollup_registered(entity_type: str, text: str) -> str | None:
    """The registered domain a rollup's key or shown value names, else ``None``.

    Examples
    --------
    >>> rollup_registered(*rollup_key("evil-cdn.com"))
    'evil-cdn.com'
    >>> rollup_registered("domain", rollup_value("evil-cdn.com", 54))
    'evil-cdn.com'
    >>> rollup_registered("domain", "a1.evil-cdn.com") is None
    True
    """
    if entity_type != _DOMAIN or not text.startswith("*."):
        return None
    if text.endswith(_ROLLUP_SUFFIX):
        registered = text[2 : -len(_ROLLUP_SUFFIX)]
        return registered if registered and " " not in registered else None
    found = _VALUE.match(text)
    return found["registered"] if found is not None else None


def rollup_value(registered: str, subdomains: int) -> str:
    """How a rollup is shown: ``*.evil-cdn.com (54 subdomains)``."""
    return f"*.{registered} ({subdomains} subdomain{'s' if subdomains != 1 else ''})"


def summary_words(pivot_type: str, pivot_value: str) -> tuple[str, str, str] | None:
    """``(verb, type, value)`` for a summary's head when the pivot is a rollup, else ``None``.

    The head reads ``"<n> hosts first <verb> <type> <value>"``.

    Examples
    --------
    >>> verb, kind, value = summary_words("domain", rollup_value("evil-cdn.com", 54))
    >>> f"54 hosts first {verb} {kind} {value}"
    '54 hosts first contacted their own subdomain of evil-cdn.com (54 subdomains)'
    >>> summary_words("domain", "evil-cdn.com") is None
    True
    """
    found = _VALUE.match(pivot_value) if pivot_type == _DOMAIN else None
    if found is None:
        return None
    count = int(found["count"])
    return "contacted their own", "subdomain of", f"{found['registered']} ({count} subdomain{'s' if count != 1 else ''})"


@dataclass(slots=True, frozen=True)
class Rollup:
    """One registered domain that qualifies as a candidate pivot.

    Attributes
    ----------
    key : EntityKey
        :func:`rollup_key`.
    registered : str
    subdomains : tuple of EntityKey
        The window's subdomains on fewer than ``min_hosts`` hosts that gave it its hosts.
    events : tuple of float
        Their sightings' counts (each subdomain's events, all hosts).
    rows : ndarray of int
        The hosts (incidence rows) that reached those subdomains in the window.
    first, count, last : ndarray of float
        Per row: the earliest first sighting of any of its subdomains, the window's
        subdomains' counts summed, their latest last sighting.
    prevalence : EntityPrevalence
        Its fleet-wide prevalence (all its subdomains, before the window too).
    """

    key: EntityKey
    registered: str
    subdomains: tuple[EntityKey, ...]
    events: tuple[float, ...]
    rows: np.ndarray
    first: np.ndarray
    count: np.ndarray
    last: np.ndarray
    prevalence: EntityPrevalence


@dataclass(slots=True)
class Rollups:
    """The rollups of one detection, and the hooks that make each a pivot like any other."""

    items: dict[EntityKey, Rollup] = field(default_factory=dict)

    def real(self, keys: Iterable[EntityKey]) -> list[EntityKey]:
        """``keys`` without the rollups (nothing to read for them in the store)."""
        return [k for k in keys if k not in self.items]

    def extend(
        self, incidence: Incidence, prevalence: list[EntityPrevalence]
    ) -> tuple[Incidence, list[EntityPrevalence]]:
        """``incidence`` with one column per rollup (columns kept sorted), and ``prevalence`` with their rows."""
        if not self.items:
            return incidence, prevalence
        n_rows = len(incidence.hosts)
        rollups = sorted(self.items.values(), key=lambda r: r.key)

        def block(values: Callable[[Rollup], np.ndarray]) -> sp.csc_matrix:
            rows = np.concatenate([r.rows for r in rollups])
            cols = np.concatenate([np.full(len(r.rows), i) for i, r in enumerate(rollups)])
            data = np.concatenate([values(r) for r in rollups])
            m = sp.csc_matrix((data, (rows, cols)), shape=(n_rows, len(rollups)))
            m.sort_indices()
            return m

        entities = [*incidence.entities, *(r.key for r in rollups)]
        order = np.array(sorted(range(len(entities)), key=entities.__getitem__), dtype=np.int64)

        def joined(matrix: sp.csc_matrix, extra: sp.csc_matrix) -> sp.csc_matrix:
            out = sp.hstack([matrix, extra.astype(matrix.dtype)], format="csc")[:, order]
            out.sort_indices()
            return out.tocsc()

        last = incidence.last_seen
        extended = Incidence(
            hosts=incidence.hosts,
            entities=[entities[j] for j in order],
            seen=joined(incidence.seen, block(lambda r: np.ones(len(r.rows), dtype=np.float32))),
            first_seen=joined(incidence.first_seen, block(lambda r: r.first)),
            count=joined(incidence.count, block(lambda r: r.count)),
            last_seen=None if last is None else joined(last, block(lambda r: r.last)),
        )
        return extended, [*prevalence, *(r.prevalence for r in rollups)]

    def add_links(self, store: GraphStore, links: PivotLinks, window: Window) -> PivotLinks:
        """``links`` with each rollup's: the processes that reached any of its subdomains, and its downloads."""
        for rollup in self.items.values():
            found = read_pivot_links(store, rollup.subdomains, window)
            processes: dict[EntityKey, float] = {}
            for linked in found.processes.values():
                for process, t in linked.items():
                    processes[process] = min(processes.get(process, t), t)
            if processes:
                links.processes[rollup.key] = processes
            if found.downloads:
                links.downloads[rollup.key] = min(found.downloads.values())
        return links

    def add_contact_shares(self, store: GraphStore, shares: dict[EntityKey, float]) -> dict[EntityKey, float]:
        """``shares`` with each rollup's share of events that are distinct contacts: its subdomains'
        shares (:func:`analytics.contact_counts.read_contact_shares`) weighted by their events."""
        for rollup in self.items.values():
            found = read_contact_shares(store, rollup.subdomains)
            total = float(sum(rollup.events))
            contacts = sum(found.get(s, 1.0) * n for s, n in zip(rollup.subdomains, rollup.events, strict=True))
            shares[rollup.key] = contacts / total if total > 0 else 1.0
        return shares


def registered_domain_rollups(
    store: GraphStore,
    incidence: Incidence,
    window: Window,
    *,
    min_hosts: int,
    now: float,
    young_hours: float = 0.0,
) -> Rollups:
    """The registered domains that qualify as candidate pivots in ``incidence`` (the whole window's,
    before it keeps shared entities).

    Parameters
    ----------
    store : GraphStore
        Read for the domains' stored ``registered_domain`` (one entity stream of the
        domains) and, for a candidate only, the sightings of its subdomains not in the window.
    incidence : Incidence
        The window's whole incidence: one-host domains included.
    window : Window
    min_hosts : int
        ``k``: hosts a pivot needs; a subdomain on fewer is rolled up.
    now : float
        Sightings that began after ``now`` are not read (a backtest).
    young_hours : float
        The young horizon (:mod:`analytics.novelty`): a rollup established within it may be
        young and spreading; :func:`analytics.entity_stats.entity_stats` decides.

    Returns
    -------
    Rollups
    """
    lo = bisect_left(incidence.entities, (_DOMAIN, ""))
    hi = bisect_left(incidence.entities, (_DOMAIN + "\0", ""))
    if hi - lo < min_hosts:
        return Rollups()
    seen = incidence.seen
    window_hosts = np.diff(seen.indptr[lo : hi + 1])
    registered_of = _registered_domains(store)
    by_registered: dict[str, list[int]] = defaultdict(list)
    for j in range(lo, hi):
        key = incidence.entities[j][1]
        by_registered[registered_of.get(key) or registrable(key)].append(j)
    subdomains_of: dict[str, list[str]] | None = None
    rollups = Rollups()
    for registered, columns in sorted(by_registered.items()):
        small = [j for j in columns if window_hosts[j - lo] < min_hosts and incidence.entities[j][1] != registered]
        if not small:
            continue
        rows = np.unique(np.concatenate([incidence.hosts_of(j) for j in small]))
        if len(rows) < min_hosts:
            continue
        if subdomains_of is None:  # only when some registered domain may qualify
            subdomains_of = defaultdict(list)
            for key, reg in registered_of.items():
                subdomains_of[reg].append(key)
        rollup = _rollup(store, incidence, registered, columns, small, rows, subdomains_of.get(registered, []),
                         window=window, min_hosts=min_hosts, now=now, young_hours=young_hours)
        if rollup is not None:
            rollups.items[rollup.key] = rollup
    return rollups


def _registered_domains(store: GraphStore) -> dict[str, str]:
    """Each stored domain's ``registered_domain`` property (the PSL's registrable part when missing)."""
    return {
        e.key: str(e.props.get("registered_domain") or registrable(e.key))
        for e in store.iter_entities(_DOMAIN)
        if not is_rollup(e.ref)
    }


def _rollup(
    store: GraphStore,
    incidence: Incidence,
    registered: str,
    columns: Sequence[int],
    small: Sequence[int],
    rows: np.ndarray,
    known: Sequence[str],
    *,
    window: Window,
    min_hosts: int,
    now: float,
    young_hours: float,
) -> Rollup | None:
    """The :class:`Rollup` of ``registered``, or ``None`` when the fleet knew it before the window."""
    in_window = {incidence.entities[j][1] for j in columns}
    earlier = sorted(k for k in known if k not in in_window)
    if len(earlier) > MAX_SUBDOMAINS:
        return None  # a platform the fleet knew by many names
    # per host (by name): the earliest first sighting of any of its subdomains, the window's and earlier ones
    first_by_host: dict[str, float] = {}
    last_any = -np.inf
    count_any = 0.0
    for j in columns:
        for row, first in zip(incidence.hosts_of(j), incidence.first_seen_of(j), strict=True):
            host = incidence.hosts[int(row)]
            first_by_host[host] = min(first_by_host.get(host, np.inf), float(first))
    horizon = window.start - max(young_hours, 0.0) * 3600.0
    if sum(1 for t in first_by_host.values() if t < horizon) >= min_hosts:
        return None  # k hosts had it before the young horizon: old whatever else is read (a platform)
    for name in earlier:
        for s in store.hosts_of(_DOMAIN, name):
            if s.first_seen <= now:
                first_by_host[s.host] = min(first_by_host.get(s.host, np.inf), s.first_seen)
                last_any = max(last_any, min(s.last_seen, now))
                count_any += s.count
    host_first_seen = sorted(first_by_host.values())
    established = established_at(host_first_seen, min_hosts)
    inside = sum(1 for t in host_first_seen if t >= window.start)
    if established < window.start and not (established >= horizon and inside >= min_hosts):
        return None  # known before the window (not new, and not young and spreading)
    # the rollup's cells: on the hosts the small subdomains reached, summed over the window's subdomains
    position = {int(r): i for i, r in enumerate(rows)}
    count = np.zeros(len(rows))
    last = np.full(len(rows), -np.inf)
    lo_last = incidence.last_seen
    for j in columns:
        hosts = incidence.hosts_of(j)
        start, end = incidence.count.indptr[j], incidence.count.indptr[j + 1]
        counts = incidence.count.data[start:end]
        lasts = lo_last.data[start:end] if lo_last is not None else incidence.first_seen_of(j)
        for row, c, t in zip(hosts, counts, lasts, strict=True):
            i = position.get(int(row))
            if i is not None:
                count[i] += float(c)
                last[i] = max(last[i], float(t))
    first = np.array([first_by_host[incidence.hosts[int(r)]] for r in rows])
    shown = len(small)  # how many the text says; the reads below take the first MAX_SUBDOMAINS
    small = sorted(small, key=incidence.entities.__getitem__)[:MAX_SUBDOMAINS]
    subdomains = tuple(incidence.entities[j] for j in small)
    events = tuple(float(incidence.count[:, j].sum()) for j in small)
    key = rollup_key(registered)
    prevalence = EntityPrevalence(
        entity=key,
        value=rollup_value(registered, shown),
        hosts=len(host_first_seen),
        first_seen=host_first_seen[0],
        last_seen=float(max(last.max(), last_any)),
        count=int(round(float(incidence.count[:, list(columns)].sum()) + count_any)),
        host_first_seen=tuple(host_first_seen),
    )
    return Rollup(key, registered, subdomains, events, rows.astype(np.int64), first, count, last, prevalence)

