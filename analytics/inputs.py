"""Read what a detection needs from a store, once, with bounded queries.

* fleet-wide prevalence: :meth:`GraphStore.entity_prevalence` (a Cypher
  aggregation on Neo4j, entities on at least two hosts);
* the window incidence: :meth:`GraphStore.iter_sightings` with ``since`` = the
  window start (only sightings active in the window leave the database);
* without ``now``, the window ends at the fleet's newest event
  (:func:`analytics.window_end.default_window_end`: hosts whose clock runs
  ahead of the fleet's, and events dated past this machine's clock, do not
  move it), and that end is ``now`` for everything below; hosts hours ahead of
  the rest move the window's start back instead, so the fleet's last window
  stays in it;
* ``now`` bounds everything read: sightings, prevalence and the fleet size are
  read as of ``now`` (``until``, :func:`graphsiem.store.base.sighting_as_of`)
  and relations first seen after it are left out, so a backtest at ``now``
  sees what a store holding only the data up to ``now`` holds (hosts and first
  sightings exactly; counts and last sightings of what went on past ``now``
  estimated, as a store keeps one aggregate per host and entity);
* entities naming no remote machine (loopback, link-local, multicast and
  broadcast addresses) are left out of the incidence, so out of pivots and
  members (:func:`names_no_remote_machine`); they stay in the graph;
* process metadata and three relation types (``SPAWNED``, ``ACCESSED``,
  ``INJECTED``) for lineage and behaviour features; ``INSTALLED`` and a host's
  ``LOADED`` files for the kernel drivers;
* the processes that reached each candidate pivot in the window, one
  neighbour read per pivot (:mod:`analytics.linked_processes`): their
  behaviours count for the pivot even when each process is on one host only
  (a per-host random command line), while the incidence keeps only entities
  on two hosts or more.

The whole graph is never pulled: no host-to-entity relation is read here.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from analytics.agent_caches import AgentFetches
from analytics.behaviour_pivots import find_behaviour_pivots
from analytics.config import DetectionConfig
from analytics.contact_counts import read_contact_shares
from analytics.contact_regularity import read_contact_times
from analytics.credited_processes import CreditedProcesses
from analytics.entity_stats import EntityStats, Window, entity_stats
from analytics.features import FeatureContext, access_targets
from analytics.image_builds import NewBuild, image_builds, new_builds
from analytics.incidence import Incidence, build_incidence
from analytics.internal_origins import InternalServers
from analytics.known_source_downloads import add_known_source_fetches, read_known_source_fetches
from analytics.lineage import behaviour_index, image_name, is_encoded_command, lineage_index
from analytics.linked_processes import (
    candidate_pivots,
    credit_to_pivots,
    read_pivot_links,
    window_process_hosts,
)
from analytics.managed_installs import managed_installs
from analytics.masquerade_credits import add_masquerade_credits
from analytics.registered_domains import registered_domain_rollups
from analytics.switch_credit import behaviour_events, common_hosts
from analytics.system_roots import learn_incidence_drives, mark_hosts_drive
from analytics.window_end import WindowEnd, default_window_end
from graphsiem.addresses import names_no_other_machine
from graphsiem.model import Entity, EntityKey, EntityType, Relation, RelationType
from graphsiem.store.base import GraphStore

_PREVALENCE_TYPES = [t.value for t in EntityType if t is not EntityType.HOST]


@dataclass(slots=True)
class DetectionInputs:
    """The arrays and indexes a detection works on."""

    window: Window
    incidence: Incidence
    stats: EntityStats
    context: FeatureContext
    processes: dict[EntityKey, Entity] = field(default_factory=dict)
    drivers: dict[EntityKey, Entity] = field(default_factory=dict)
    """The files hosts installed as drivers (``host INSTALLED file``), with their props (service names)."""
    timings: dict[str, Any] = field(default_factory=dict)
    """Phase timings and counts (and ``verdicts_carried``'s records): the detection's stats start from them."""
    window_end: WindowEnd | None = None
    """How the default end was set (``None`` when ``now`` was given)."""
    credited: dict[EntityKey, dict[str, CreditedProcesses]] = field(default_factory=dict)
    """Candidate pivot -> behaviour -> the one-host processes that lent it (:mod:`analytics.linked_processes`)."""
    scripts: dict[EntityKey, Entity] = field(default_factory=dict)
    """The scripts hosts installed (``host INSTALLED script``: a WMI script consumer's), with their props."""
    contact_times: dict[EntityKey, dict[str, tuple[float, ...]]] = field(default_factory=dict)
    """Destination candidate pivot -> host -> its kept contact times (:mod:`analytics.contact_regularity`)."""
    new_builds: dict[EntityKey, NewBuild] = field(default_factory=dict)
    """Build pivot -> the path it ran as and the fleet's usual build there (:func:`analytics.image_builds.new_builds`)."""


def load_inputs(
    store: GraphStore, config: DetectionConfig, *, now: float | None = None
) -> DetectionInputs | None:
    """Read prevalence, window incidence and process context from ``store``.

    Parameters
    ----------
    store : GraphStore
    config : DetectionConfig
    now : float, optional
        End of the detection window, and of everything read: nothing first
        seen after ``now`` is read.  Default the fleet's newest event
        (:func:`analytics.window_end.default_window_end`): the store's newest
        sighting, so that nothing is cut, unless some hosts' clocks run ahead
        of the fleet's.

    Returns
    -------
    DetectionInputs or None
        ``None`` when the store holds no shared entity at all.
    """
    timings: dict[str, Any] = {}
    default_end = None
    if now is None:
        t = time.perf_counter()
        default_end = default_window_end(store, min_hosts=config.min_hosts, window_hours=config.window_hours)
        timings["window_end_s"] = time.perf_counter() - t
        if default_end is None:
            return None
        now = default_end.end
    t = time.perf_counter()
    prevalence = list(store.entity_prevalence(entity_types=_PREVALENCE_TYPES, min_hosts=2, until=now))
    timings["prevalence_s"] = time.perf_counter() - t
    if not prevalence:
        return None
    window_s = config.window_hours * 3600.0
    # hosts that lead the fleet by hours move the start back, not the fleet's data out (rule 3)
    window = Window(default_end.window_start(window_s), now) if default_end is not None else Window.ending_at(now, window_s)

    t = time.perf_counter()
    incidence = build_incidence(store.iter_sightings(since=window.start, until=now))
    shared = incidence.host_counts() >= 2
    shared &= ~np.array([names_no_remote_machine(key) for key in incidence.entities], dtype=bool)
    # the one-host processes leave the incidence: keep which host each ran on, so a credited
    # process is named with its host (analytics.linked_processes)
    process_hosts_in_window = window_process_hosts(incidence)
    # per-host subdomains of one new registered domain are one pivot (analytics.registered_domains)
    rollups = registered_domain_rollups(store, incidence, window, min_hosts=config.min_hosts, now=now,
                                        young_hours=config.young_hours)
    timings["incidence_s"] = time.perf_counter() - t

    t = time.perf_counter()
    processes = {e.ref: e for e in store.iter_entities(EntityType.PROCESS.value)}
    spawned = list(_relations(store, RelationType.SPAWNED, now))
    # each host's system drive from its boot processes' paths (and a lone one's parents), read before
    # the incidence keeps only shared entities: D:\Windows\System32 is home on a D: host (analytics.system_roots)
    system_drives = learn_incidence_drives(incidence, processes, spawned)
    timings["system_drives_learnt"] = len(system_drives.learnt)
    timings["system_drives_learnt_alone"] = len(system_drives.alone)  # from one boot process (its parent)
    timings["processes_on_hosts_drive"] = mark_hosts_drive(incidence, processes, system_drives)
    images = {ref: image_name(e.value, e.props) for ref, e in processes.items()}
    encoded = frozenset(ref for ref, e in processes.items() if is_encoded_command(e.value, e.props))
    process_hosts = {p.entity: p.hosts for p in prevalence if p.entity[0] == EntityType.PROCESS}
    process_firsts = {p.entity: p.host_first_seen for p in prevalence if p.entity[0] == EntityType.PROCESS}
    accessed = list(_relations(store, RelationType.ACCESSED, now))
    injected = list(_relations(store, RelationType.INJECTED, now))
    timings["processes_s"] = time.perf_counter() - t
    t = time.perf_counter()
    # a campaign that varies every entity per host shares what its processes did
    # (analytics.behaviour_pivots): one column per signature, next to the rollups
    behaviour = find_behaviour_pivots(
        incidence, window, config, processes=processes, images=images, encoded=encoded, spawned=spawned,
        accessed=accessed, injected=injected, fleet_hosts=process_hosts, store=store,
    )
    # why a daily benign pair made no pivot: the signatures dated before the window (counts, in the stats)
    timings["behaviour_signatures_recurring"] = behaviour.recurring
    timings["behaviour_hosts_routine"] = behaviour.routine_hosts  # hosts dropped from a signature as routine
    timings["behaviour_history_reads"] = behaviour.history_reads
    timings["behaviour_pair_lookups"] = behaviour.pair_lookups  # the pairing's work (near-linear in facts)
    timings["behaviour_facts_capped"] = behaviour.facts_capped  # facts past a host's per-kind cap, not paired
    timings["verdicts_carried"] = behaviour.carried  # benign verdicts carried to a new build: for the analyst to confirm
    timings["verdicts_refused"] = behaviour.refused  # carries the new build's signer stopped (analytics.build_signers)
    incidence = incidence.select(np.flatnonzero(shared))
    incidence, prevalence = rollups.extend(incidence, prevalence)
    incidence, prevalence = behaviour.columns.extend(incidence, prevalence)
    timings["behaviour_pivots_s"] = time.perf_counter() - t

    # the fleet is the hosts that sent telemetry, not every host entity: a name a client wrote
    # into a logon (WorkstationName) is a host node too, and 500 such names made a 20-host
    # fleet look like 520, shrinking every fleet fraction
    n_hosts = store.sighting_hosts(until=now)
    # "new" = fewer than min_hosts hosts saw it before the window (analytics.novelty): one host
    # whose clock runs behind must not make a campaign, its lineage or its behaviours old
    stats = entity_stats(
        incidence, prevalence, window=window, n_hosts=n_hosts, novelty_hosts=config.min_hosts,
        young_hours=config.young_hours,  # low and slow: young and spreading counts as new
    )
    # the new builds a process ran and nothing else brought name a cluster after its process (T16B)
    stats.image_builds = image_builds(store, candidate_pivots(
        incidence.entities, stats.window_hosts, stats.is_novel, min_hosts=config.min_hosts))
    columns = incidence.column_index() if stats.image_builds else {}
    builds = new_builds(store, stats.image_builds,
                        lambda ref: int(stats.total_hosts[columns[ref]]) if ref in columns else None)

    t = time.perf_counter()
    lineage = lineage_index(
        spawned,
        images,
        process_hosts,
        n_hosts=stats.n_hosts,
        host_first_seen=process_firsts,
        novelty_hosts=config.min_hosts,
        processes=processes,  # each pair's example parent command line (what a script host ran)
    )
    # msiexec run by a service from a package on a share, and what it deployed (analytics.managed_installs)
    managed = managed_installs(processes, spawned, images, _installed_runs(store, now))
    # what the agents among them fetched into their caches is the install's download (analytics.agent_caches)
    # (on the hosts where they installed from it: one agent node serves the whole fleet)
    managed = replace(managed, fetched=AgentFetches(store, window, managed.agents, managed.agent_installers))
    del spawned
    behaviours = behaviour_index(
        accessed, injected, images, host_first_seen=process_firsts, novelty_hosts=config.min_hosts
    )
    # a campaign that gives each host its own command line leaves its processes out of the
    # incidence (one host each): credit their behaviours to the candidate pivots they reached
    linked_t = time.perf_counter()
    pivots = candidate_pivots(incidence.entities, stats.window_hosts, stats.is_novel, min_hosts=config.min_hosts)
    real_pivots = [key for key in rollups.real(pivots) if key not in behaviour.columns.items]
    links = rollups.add_links(store, read_pivot_links(store, real_pivots, window), window)
    # a new payload fetched from a source the fleet knew: the processes that fetched it (T8 #5)
    add_known_source_fetches(links, read_known_source_fetches(
        store, real_pivots, window, hosts=process_hosts_in_window, candidates=set(pivots), min_hosts=config.min_hosts))
    links.processes.update(behaviour.links)  # the processes behind a behaviour pivot's facts
    behaviours, lineage, credited = credit_to_pivots(
        links, behaviours=behaviours, lineage=lineage, encoded=encoded, images=images,
        shared_processes=process_hosts.keys(), novelty_hosts=config.min_hosts,
        processes=processes, hosts=process_hosts_in_window,
        # an old process's behaviours first shown right after it reached a pivot (a switched payload)
        window_start=window.start,
        shared_hosts=common_hosts(incidence, process_firsts, before=window.start, novelty_hosts=config.min_hosts,
                                  events=behaviour_events([*accessed, *injected], images)),
    )
    # the renamed copies and look-alike images among them: a step of the cluster, members or not
    add_masquerade_credits(credited, links, processes, shared_processes=process_hosts.keys(), hosts=process_hosts_in_window,
                           system_drives=system_drives)
    del process_hosts_in_window
    timings["linked_processes_s"] = time.perf_counter() - linked_t
    drivers = _installed(store, now, EntityType.FILE)
    kernel_drivers = frozenset(drivers) | _loaded_drivers(store, now)
    targets = access_targets(accessed, injected, lineage)
    timings["context_s"] = time.perf_counter() - t
    # a beacon's contacts once, not once per sensor that logged them (analytics.contact_counts),
    # of the same candidate pivots (it keeps the destinations among them)
    shares = rollups.add_contact_shares(store, read_contact_shares(store, real_pivots))
    context = FeatureContext(incidence, stats, lineage, behaviours, encoded, kernel_drivers, targets, contact_shares=shares,
                             managed=managed, internal_server=InternalServers(store, window))
    # a behaviour pivot's cluster carries its entity: what this detection made of it, which the API serves
    processes.update(behaviour.entities)
    return DetectionInputs(window, incidence, stats, context, processes, drivers, timings, default_end, credited,
                           scripts=_installed(store, now, EntityType.SCRIPT),
                           contact_times=read_contact_times(store, real_pivots),
                           new_builds=builds)  # how regularly, for the checks


def names_no_remote_machine(key: EntityKey) -> bool:
    """True for an IP entity that names no other machine: loopback, link-local,
    multicast, broadcast, unspecified (``::1``, ``127.0.0.1``, ``169.254.x``,
    ``ff02::fb``, ``239.255.255.250``, ``255.255.255.255``, ``0.0.0.0``).

    Many hosts "share" such an address only because every host has one (its own
    loopback, mDNS/SSDP groups), so it would pivot a cluster of hosts with
    nothing in common.  It stays in the graph; analytics leave it out of pivots
    and members.  An IPv4-mapped IPv6 address is judged as its IPv4 address;
    a zone (``fe80::1%eth0``) is ignored.

    Examples
    --------
    >>> [names_no_remote_machine(("ip", a)) for a in ("::1", "ff02::c", "169.254.3.4", "10.0.0.5", "8.8.8.8")]
    [True, True, True, False, False]
    >>> names_no_remote_machine(("domain", "localhost"))
    False
    """
    return key[0] == EntityType.IP and names_no_other_machine(key[1])


def _relations(store: GraphStore, relation_type: RelationType, now: float | None) -> Iterator[Relation]:
    """The relations of one type first seen by ``now`` (all without it): a backtest at ``now``
    must not learn of a process tree or an LSASS read that came later."""
    for relation in store.iter_relations(relation_type.value):
        if now is None or relation.first_seen <= now:
            yield relation


def _installed(store: GraphStore, now: float | None, kind: EntityType) -> dict[EntityKey, Entity]:
    """The entities of type ``kind`` hosts installed by ``now``, with their props, so a cluster
    pivoting on one says so: driver files (``host INSTALLED file``: few, one per driver), WMI
    consumers' scripts (``host INSTALLED script``)."""
    keys = {r.dst for r in _relations(store, RelationType.INSTALLED, now) if r.dst[0] == kind}
    installed = {}
    for key in sorted(keys):
        entity = store.get_entity(*key)
        if entity is not None:
            installed[key] = entity
    return installed


def _installed_runs(store: GraphStore, now: float | None) -> frozenset[EntityKey]:
    """The processes hosts installed by ``now`` as a service, scheduled task or WMI consumer's command
    (``host INSTALLED process``): such a run is started by services.exe or the Task Scheduler, whoever installed it."""
    return frozenset(r.dst for r in _relations(store, RelationType.INSTALLED, now) if r.dst[0] == EntityType.PROCESS)


def _loaded_drivers(store: GraphStore, now: float | None) -> frozenset[EntityKey]:
    """The files the kernel loaded by ``now`` (Sysmon 6, ``host LOADED file``; a process's
    ``LOADED`` is an image load, not a driver)."""
    return frozenset(
        r.dst for r in _relations(store, RelationType.LOADED, now)
        if r.src[0] == EntityType.HOST and r.dst[0] == EntityType.FILE
    )
