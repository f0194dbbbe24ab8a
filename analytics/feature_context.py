"""What cluster features are computed from, and what they return: :class:`FeatureContext` and :class:`ClusterFacts`.

Split from :mod:`analytics.features` (which re-exports these names): the context is built
once per detection (:mod:`analytics.inputs`), the facts are read by the explanations, the
checks and the summary; :func:`analytics.features.cluster_features` turns one into the other.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from analytics.entity_stats import EntityStats
from analytics.history import fleet_has_history
from analytics.incidence import Incidence
from analytics.lineage import LineagePair
from analytics.lookalike import Lookalike, LookalikeIndex, trusted_domains
from analytics.managed_installs import ManagedInstalls
from graphsiem.model import EntityKey, EntityType, Relation


@dataclass(slots=True)
class FeatureContext:
    """Everything cluster features are computed from (built once per detection).

    ``drivers`` are the kernel driver files (installed as a driver service, or loaded by
    the kernel: ``host INSTALLED file``, ``host LOADED file``); ``targets`` the processes
    seen only as the target of an access or injection (:func:`access_targets`), which are
    not new members even when their node is new.  ``history`` says whether the store holds
    the fleet's data from before the window (:func:`analytics.history.fleet_has_history`,
    computed from the incidence when not given): without it nothing can be told new.
    ``lookalikes`` indexes the domains the fleet used widely before the window
    (:func:`analytics.lookalike.trusted_domains`, built from ``stats`` when not given).
    """

    incidence: Incidence
    stats: EntityStats
    lineage: Mapping[EntityKey, list[LineagePair]] = field(default_factory=dict)
    behaviours: Mapping[EntityKey, Mapping[str, float]] = field(default_factory=dict)
    encoded: frozenset[EntityKey] = frozenset()
    drivers: frozenset[EntityKey] = frozenset()
    targets: frozenset[EntityKey] = frozenset()
    history: bool | None = None
    lookalikes: LookalikeIndex | None = None
    contact_shares: Mapping[EntityKey, float] = field(default_factory=dict)
    """Destination pivot -> the share of its events that are distinct contacts
    (:func:`analytics.contact_counts.read_contact_shares`; 1 when missing)."""
    managed: ManagedInstalls = field(default_factory=ManagedInstalls)
    """The fleet's managed installers and deployed programs (:mod:`analytics.managed_installs`)."""
    internal_server: Callable[[str], bool] | None = None
    """URL host -> whether it is one of the fleet's internal servers (:class:`analytics.internal_origins.InternalServers`);
    ``None``: none is (every download keeps ``download_from_new_domain``)."""
    _columns: dict[EntityKey, int] | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.history is None:
            self.history = fleet_has_history(self.incidence, self.stats.window.start)
        if self.lookalikes is None:
            self.lookalikes = trusted_domain_index(self.incidence, self.stats)

    def column_index(self) -> dict[EntityKey, int]:
        """The incidence's ``(type, key)`` -> column, built on first use."""
        if self._columns is None:
            self._columns = self.incidence.column_index()
        return self._columns


@dataclass(slots=True)
class ClusterFacts:
    """Features of one cluster plus the facts an explanation cites."""

    features: dict[str, float]
    new_pairs: list[LineagePair]
    rare_pairs: list[LineagePair]
    behaviours: list[str]
    new_members: list[EntityKey]
    context: dict[str, float] = field(default_factory=dict)
    drivers: list[EntityKey] = field(default_factory=list)
    """New kernel-driver members from outside the Windows driver directory."""
    history: bool = True
    """The store holds data from before the window: "new" can be told (:class:`FeatureContext`)."""
    lookalikes: list[Lookalike] = field(default_factory=list)
    """New member domains that look like a domain the fleet trusts, and which (:mod:`analytics.lookalike`)."""
    repeat_column: int | None = None
    """The destination ``repeat_contacts`` was measured on: the pivot, a new destination member
    (a pivot that is no destination), or ``None`` (no new destination in the cluster)."""
    download_from_known_source: bool = False
    """``download_from_new_domain`` is shown, and no new domain or external address is among the new
    members: the download is a new payload fetched from a source the fleet knew before the window
    (:mod:`analytics.known_source_downloads`), which the words must not call new."""


def trusted_domain_index(incidence: Incidence, stats: EntityStats) -> LookalikeIndex:
    """The domains of the window the fleet used widely before it (:func:`analytics.lookalike.trusted_domains`)."""
    is_new = stats.is_novel  # a young domain is not yet one the fleet trusts
    return trusted_domains(
        (
            (key, bool(is_new[j]), float(stats.total_hosts[j]))
            for j, (kind, key) in enumerate(incidence.entities) if kind == EntityType.DOMAIN
        ),
        stats.n_hosts,
    )


def access_targets(
    accessed: Iterable[Relation], injected: Iterable[Relation], children: Iterable[EntityKey]
) -> frozenset[EntityKey]:
    """Processes seen only as the target of a memory access or an injection.

    LSASS (or the process a thread was injected into) becomes a process node the first
    time a sensor names it as a target: it is "first seen" then, although it ran all along
    and did nothing new.  A target that opened or injected into something itself, or whose
    start was seen (a child in a ``SPAWNED`` relation), is left out: it acted.

    Parameters
    ----------
    accessed, injected : iterable of Relation
        ``process ACCESSED process`` and ``process INJECTED process`` relations.
    children : iterable of EntityKey
        Processes whose start was seen (the children of ``SPAWNED`` relations).

    Examples
    --------
    >>> r = Relation(("process", "mimi"), "ACCESSED", ("process", "lsass"), 0.0, 0.0)
    >>> sorted(access_targets([r], [], []))
    [('process', 'lsass')]
    """
    sources: set[EntityKey] = set()
    targets: set[EntityKey] = set()
    for relation in (*accessed, *injected):
        sources.add(relation.src)
        targets.add(relation.dst)
    return frozenset(targets - sources - set(children))
