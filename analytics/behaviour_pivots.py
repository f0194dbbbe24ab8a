"""Behaviour pivots: a campaign that varies every entity per host is still one campaign.

A fan-out cluster pivots on one entity shared by ``min_hosts`` hosts
(:func:`analytics.clusters.fan_out_clusters`), and registered-domain rollups
(:mod:`analytics.registered_domains`) join per-host subdomains.  A campaign that
varies *everything* per host (a DGA domain per host, a per-host URL on a cloud
domain the fleet already uses, a dropper renamed and rebuilt per host, a random
script per host) shares no new entity: review T7 found no cluster for it, only
the fleet-wide ``lsass.exe`` in common.  What its hosts share is what their
processes *did*.

A **behaviour fact** is one suspicious act on one host by a process that is new
to the fleet and on fewer than ``min_hosts`` hosts (the per-host-varying part:
an antivirus reading LSASS is one command line on many hosts, so never a fact):

* ``lsass_access``: the process opened LSASS with rights over its memory
  (:func:`analytics.lineage.behaviour_index`);
* ``remote_thread``: the process injected a thread into another;
* ``encoded_powershell``: the process is an encoded PowerShell command
  (:func:`analytics.lineage.is_encoded_command`);
* ``office_script_host``: the process is a script host (:data:`SCRIPT_HOSTS`)
  that an Office application (:data:`OFFICE`) started;
* ``script_host_shell``: the process is PowerShell or ``cmd.exe`` that a script
  file's host (``wscript``, ``cscript``, ``mshta``) started: a lure's stager;
* ``download_cradle``: the process is PowerShell whose logged command line
  downloads code and runs it or names its URL
  (:func:`analytics.stager_chains.is_download_cradle`).

One fact happens benignly (an admin's encoded PowerShell, a per-host tool), so a
host shows a **signature** only when *two* facts of two different kinds happened on
it within ``cooccurrence_minutes`` of each other, or up to a day apart when their
processes are one process tree (a dropper and its child, two children of one per-host
dropper: :mod:`analytics.behaviour_lineage`; a campaign that spaces its steps, review
T8 v2); the signature is the pair of kinds, and each **shape** of the processes behind
it (:mod:`analytics.behaviour_shapes`: their image paths with per-host parts
generalised, and their parents') that ``min_hosts`` hosts share pivots on its own, so a
benign product and a campaign of one pair of kinds are two pivots (review T8 fp2); the
hosts of no shared shape pivot together on the pair alone
(:func:`analytics.behaviour_pairs.shape_groups`).
The two facts may be one process's: an encoded PowerShell that itself reads LSASS, or
one that Word started, is the strongest form of the signature, not a lesser one
(review T8 found such a campaign in no cluster when two processes were required).  A signature on at least ``min_hosts`` hosts
of the window becomes one extra incidence column, as a rollup does
(:meth:`analytics.registered_domains.Rollups.extend`): key
:func:`behaviour_key` (the pair and its shape's id), a process key no real process can have (a real one is a
hex digest, :func:`graphsiem.model.stable_hash`), on the hosts that showed it;
per host, its first sighting is when the pair completed (the later of its two
facts), its count the facts of its two kinds, its last sighting the latest of
them.  Its prevalence row holds those hosts only: its facts are new by
definition (each process on fewer than ``min_hosts`` hosts ever), but the *pair*
may not be: a per-host EDR updater or installer that reads LSASS and runs an
encoded PowerShell command under a new temporary name each day shows the same
signature on the same hosts every day.  So a signature is dated per host, as
:mod:`analytics.novelty` dates an entity and :mod:`analytics.registered_domains`
dates a rollup by its subdomains' earlier sightings: the same facts are found
before the window (:func:`earlier_facts`: what the store held before the window
start; nothing after the window end is read, so a backtest's ``now`` sees what
it saw then), and a host that completed the pair on at least :data:`ROUTINE_DAYS`
distinct UTC days before the window, the first of them :data:`ROUTINE_SPAN_DAYS` days or
more before its window day, does it routinely and leaves the signature.  The span (task
TREE): a campaign repeated on the same hosts on three separate days had two earlier days on
its third and was routine there; a new daily vendor job has the same days, and is a cluster
in its first week, every day under its first day's key on the same hosts, so one benign
verdict covers the week.
Two days, not one: one earlier occurrence is an event (an install), not a routine,
and were once enough an attacker could blind hosts by staging the pair on them a
day ahead; two separate days doubles that work.  However many hosts completed the
pair on that one earlier day: a campaign's own first wave is just such a day, and
counting it as a fleet job hid the campaign's second wave on the same hosts
(red-team T12, finding 1: 40 hosts found on day 1, none on day 2).  A product's
weekly job is new in its first two weeks by this rule; the analyst's benign
verdict on its first cluster covers the second, whose key is the same (one per
pair of kinds and shape, :func:`behaviour_key`) on the same hosts
(:func:`analytics.clusters.covers_hosts`).  The hosts so dropped are counted in the detection's stats
(``behaviour_hosts_routine``).  The signature pivots on the hosts left, when
they are ``min_hosts`` or more; one that had
``min_hosts`` window hosts and no longer has is **recurring**, counted in the
detection's stats (``behaviour_signatures_recurring``).  The host, not the
signature, is dropped: a fleet-wide "established" pair of kinds would otherwise
hide any campaign of the same two kinds on other hosts.  And a host is routine
for a pair's **shape**, not its kinds (:func:`analytics.behaviour_pairs.completion_days`
dates ``(kinds, shape)``; review T10, finding 2): a benign product's daily pair
does not hide a campaign of the same two kinds but another shape on the
product's hosts.  The rest's hosts (no shared shape) are dated by the shape of
their own earliest pair.  The first day of a
store has no history, its second one day of it: a daily benign pair pivots on
those two days (as any entity new on the first day would), never after.

The processes behind the facts are no cluster members (one host each); they are
handed to :func:`analytics.linked_processes.credit_to_pivots` as the pivot's
linked processes (:attr:`BehaviourPivots.links`), so the cluster shows their
behaviours and names them with their hosts, and the pivot's shown value carries
one host's example (:func:`describe`).  Nothing is written: the pivot lives in
one detection's incidence, never in the graph store.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping

import numpy as np

from analytics.behaviour_columns import (  # re-exported, as before the split
    MAX_LINKED,
    BehaviourPivots,
    add_pivot,
)
from analytics.behaviour_established import ParentHistory
from analytics.behaviour_facts import (  # re-exported: the tests, the words and the API name them here
    MAX_READ,
    OFFICE,
    SCRIPT_HOSTS,
    Fact,
    behaviour_facts,
    chain_carriers,
    earlier_facts,
    fact_kinds,
)
from analytics.behaviour_installs import (
    has_runs,
    installed_runs,
    with_installers,
    without_installers_copies,
)
from analytics.behaviour_lineage import Lineage, parents_of
from analytics.behaviour_pairs import PairWork, completion_days, shape_groups
from analytics.behaviour_routine import (  # the constants re-exported, as before the split
    ROUTINE_DAYS,
    ROUTINE_SPAN_DAYS,
    completion_day,
    earliest_shape,
    is_routine,
)
from analytics.behaviour_shapes import Shapes, image_digest, image_path
from analytics.behaviour_verdicts import carried_shape, carry_record
from analytics.behaviour_words import (  # the names, re-exported: checks, explain, detect and the API use them
    FACT_WORDS,
    MAX_RECORDED_HOSTS,
    PIVOT_RECORD,
    behaviour_key,
    behaviour_kinds,
    behaviour_name,
    behaviour_ref,
    behaviour_shape,
    describe,
    is_behaviour,
    name_credits,
    pivot_record,
    reached_words,
    summary_words,
)
from analytics.build_signers import SignerLookup, signer_lookup
from analytics.clusters import COOCCURRENCE_MINUTES
from analytics.config import DetectionConfig
from analytics.entity_stats import Window
from analytics.incidence import Incidence, build_incidence
from analytics.lineage import behaviour_index, image_name, is_encoded_command
from graphsiem.model import Entity, EntityKey, EntityType, Relation
from graphsiem.store.base import GraphStore

__all__ = [
    "FACT_WORDS", "MAX_LINKED", "MAX_READ", "MAX_RECORDED_HOSTS", "OFFICE", "PIVOT_RECORD", "ROUTINE_DAYS", "ROUTINE_SPAN_DAYS",
    "SCRIPT_HOSTS", "BehaviourPivots", "Fact",
    "behaviour_facts", "behaviour_key", "behaviour_kinds", "behaviour_name", "behaviour_pivots", "behaviour_ref",
    "behaviour_shape", "describe",
    "earlier_facts", "fact_kinds", "find_behaviour_pivots", "is_behaviour", "name_credits", "pivot_record",
    "reached_words", "read_behaviour", "summary_words",
]
_PROCESS = EntityType.PROCESS.value


def read_behaviour(
    store: GraphStore, kinds: tuple[str, str], *, min_hosts: int, cooccurrence_minutes: float,
    limit: int = MAX_READ,
) -> tuple[BehaviourPivots, bool]:
    """The behaviour pivot ``kinds`` over all of ``store`` (no window), rebuilt for an explorer.

    Reads every process entity and the relations its two kinds need (as a detection does),
    then the sightings of at most ``limit`` processes that carry a fact of those kinds
    (one :meth:`GraphStore.hosts_of` each, smallest keys first).

    Returns
    -------
    pivots : BehaviourPivots
        The pivots of ``kinds``: one per shape on ``min_hosts`` hosts and the rest's
        (:func:`behaviour_pivots`; none when fewer than ``min_hosts`` hosts show it).
    truncated : bool
        More processes carried such facts than were read.
    """
    processes = {e.ref: e for e in store.iter_entities(_PROCESS)}
    images = {ref: image_name(e.value, e.props) for ref, e in processes.items()}
    encoded = frozenset(r for r, e in processes.items() if is_encoded_command(e.value, e.props)) \
        if "encoded_powershell" in kinds else frozenset()
    spawned = list(store.iter_relations("SPAWNED"))  # Office's children, and the process trees and shapes
    accessed = list(store.iter_relations("ACCESSED")) if "lsass_access" in kinds else []
    injected = list(store.iter_relations("INJECTED")) if "remote_thread" in kinds else []
    behaviours = behaviour_index(accessed, injected, images)
    carriers = sorted(
        {p for p, found in behaviours.items() if set(found) & set(kinds)} | set(encoded)
        | {r.dst for r in spawned if images.get(r.src) in OFFICE and images.get(r.dst) in SCRIPT_HOSTS}
        | (chain_carriers(spawned, images, processes) if {"script_host_shell", "download_cradle"} & set(kinds) else set())
    )
    sightings = [s for p in carriers[:limit] for s in store.hosts_of(*p)]
    incidence = build_incidence(sightings)
    fleet_hosts = dict(zip(incidence.entities, incidence.host_counts().tolist(), strict=True))
    facts = behaviour_facts(incidence, Window(-np.inf, np.inf), processes=processes, images=images, encoded=encoded,
                            spawned=spawned, behaviours=behaviours, fleet_hosts=fleet_hosts, min_hosts=min_hosts)
    facts = [f for f in facts if f.kind in kinds]
    parents = parents_of(spawned)
    # as a detection does: a payload run by persistence is tied to its installer (the same shape and key)
    installs = list(store.iter_relations("INSTALLED")) \
        if has_runs((f.process for f in facts), processes, parents) else []
    found = behaviour_pivots(incidence, facts, processes=processes, images=images,
                             min_hosts=min_hosts, cooccurrence_minutes=cooccurrence_minutes,
                             parents=parents, fleet_hosts=fleet_hosts, installs=installs)
    return found, len(carriers) > limit


def find_behaviour_pivots(
    incidence: Incidence,
    window: Window,
    config: DetectionConfig,
    *,
    processes: Mapping[EntityKey, Entity],
    images: Mapping[EntityKey, str],
    encoded: Collection[EntityKey],
    spawned: Iterable[Relation],
    accessed: Iterable[Relation],
    injected: Iterable[Relation],
    fleet_hosts: Mapping[EntityKey, int],
    store: GraphStore | None = None,
) -> BehaviourPivots:
    """The behaviour pivots of one detection (none when ``config.behaviour_pivots`` is off).

    ``incidence`` is the window's whole incidence (one-host processes included); the
    relations are those read by ``now``; ``fleet_hosts`` each process's hosts over all
    time (processes on two hosts or more).  The co-occurrence window is
    ``config.cooccurrence_minutes`` (:data:`analytics.clusters.COOCCURRENCE_MINUTES` when 0).
    ``store`` is read for the sightings before the window of fact-carrying processes the
    window does not hold (:func:`earlier_facts`); without it, only the window's
    incidence dates a signature.
    """
    if not config.behaviour_pivots:
        return BehaviourPivots()
    spawned = list(spawned)
    behaviours = behaviour_index(accessed, injected, images)  # each process's own earliest times
    kinds = fact_kinds(behaviours, encoded, spawned, images, processes)
    facts = behaviour_facts(
        incidence, window, processes=processes, images=images, encoded=encoded, spawned=(),
        behaviours={}, fleet_hosts=fleet_hosts, min_hosts=config.min_hosts, kinds=kinds,
    )
    earlier, reads, truncated = earlier_facts(store, incidence, window, kinds, processes=processes,
                                              fleet_hosts=fleet_hosts, min_hosts=config.min_hosts)
    parents = parents_of(spawned)
    # a payload run by WMI, a task or a service: its install (read only then) ties it to its installer
    installs = [r for r in store.iter_relations("INSTALLED") if r.first_seen <= window.end] \
        if store is not None and has_runs((f.process for f in facts), processes, parents) else []
    # a build's signer: an ECS process's own, else its image's file (read only for a carry's two digests)
    signers = signer_lookup(processes, image_digest,
                            None if store is None else lambda digest: store.get_entity("file", digest))
    found = behaviour_pivots(incidence, facts, processes=processes, images=images, min_hosts=config.min_hosts,
                             cooccurrence_minutes=config.cooccurrence_minutes or COOCCURRENCE_MINUTES,
                             earlier=earlier, parents=parents, fleet_hosts=fleet_hosts, installs=installs,
                             suppressed=config.suppressed, suppressed_members=config.suppressed_members,
                             signers=signers)
    found.history_reads, found.history_truncated = reads, truncated
    return found


def behaviour_pivots(
    incidence: Incidence,
    facts: Iterable[Fact],
    *,
    processes: Mapping[EntityKey, Entity],
    images: Mapping[EntityKey, str],
    min_hosts: int,
    cooccurrence_minutes: float,
    earlier: Mapping[str, Iterable[Fact]] | None = None,
    parents: Mapping[EntityKey, Collection[EntityKey]] | None = None,
    fleet_hosts: Mapping[EntityKey, int] | None = None,
    installs: Iterable[Relation] = (),
    suppressed: Collection[EntityKey] = frozenset(),
    suppressed_members: Mapping[EntityKey, frozenset[EntityKey]] | None = None,
    signers: SignerLookup | None = None,
) -> BehaviourPivots:
    """The signatures on at least ``min_hosts`` hosts, each shape's as an incidence column.

    A host shows the signature ``(a, b)`` (two fact kinds, sorted) when a fact of kind
    ``a`` and one of kind ``b`` (by one process or two) happened within
    ``cooccurrence_minutes`` of each other, or up to
    :data:`analytics.behaviour_lineage.LINEAGE_HOURS` apart when their processes are one
    process tree (``parents``: child -> parent processes; ``fleet_hosts``: each process's
    hosts, missing one); it completed at the later of the two (the earliest such
    completion counts).  Its hosts are grouped by the shape of the processes behind the
    pair (:func:`analytics.behaviour_pairs.shape_groups`): each shape on ``min_hosts``
    hosts is its own pivot (key :func:`behaviour_key` with the shape's id), the hosts of
    no shared shape one more (the kinds' key alone).

    ``earlier`` (host name -> facts before ``window_start``, :func:`earlier_facts`) dates
    each signature's shape per host: a host that completed a pair of that shape on :data:`ROUTINE_DAYS` distinct
    UTC days before the window shows a routine of its own (a daily updater) and leaves
    it (counted in :attr:`BehaviourPivots.routine_hosts`); one earlier day is an event,
    not a routine, on however many hosts (a campaign's first wave).  The
    shapes mark a shared parent image new on the fact's host (``processes`` and the
    incidence say when each image first ran there: :mod:`analytics.behaviour_established`).
    The signature pivots on the hosts left, when they are ``min_hosts``
    or more.  One that had ``min_hosts`` window hosts and loses them so is recurring
    (:attr:`BehaviourPivots.recurring`).  ``installs`` (``host INSTALLED process``) tie a
    payload run by WMI, a task or a service to the process that installed it on its host
    (:mod:`analytics.behaviour_installs`): one tree, and a shape that names the installer.
    ``suppressed`` and ``suppressed_members`` (the detection's benign verdicts): a shape that is a
    judged one's but for a per-host image's digest, on at least the judged hosts (a product's new
    build), takes the judged shape's key (:mod:`analytics.behaviour_verdicts`).

    Examples
    --------
    >>> from analytics.incidence import build_incidence
    >>> from graphsiem.store.base import HostSighting
    >>> inc = build_incidence([HostSighting(f"ws-{i}", ("host", f"ws-{i}"), 0.0, 0.0, 1) for i in range(3)],
    ...                       exclude_types=())
    >>> facts = [Fact(kind, ("process", f"{kind}{i}"), i, 100.0 * i + dt)
    ...          for i in range(3) for kind, dt in (("lsass_access", 0.0), ("encoded_powershell", 120.0))]
    >>> found = behaviour_pivots(inc, facts, processes={}, images={}, min_hosts=3, cooccurrence_minutes=30)
    >>> [(r.key[1], r.first.tolist()) for r in found.columns.items.values()]
    [('behaviour (encoded powershell + lsass access by new per-host processes, shape a3c1a496e9d2)', [120.0, 220.0, 320.0])]
    >>> far = [Fact(f.kind, f.process, f.host_row, f.at * (60 if f.kind == "lsass_access" else 1)) for f in facts]
    >>> bool(behaviour_pivots(inc, far, processes={}, images={}, min_hosts=3, cooccurrence_minutes=1))
    False
    """
    facts = list(facts)
    runs = installed_runs(((f.process, incidence.hosts[f.host_row], f.at) for f in facts), installs, incidence,
                          processes, parents or {})
    facts = without_installers_copies(facts, runs)  # the payload's act is told once, at its run
    by_host: dict[int, list[Fact]] = defaultdict(list)
    for fact in facts:
        by_host[fact.host_row].append(fact)
    window_s = cooccurrence_minutes * 60.0
    history = {host: list(found) for host, found in (earlier or {}).items()}
    lineage = Lineage(with_installers(parents or {}, runs), fleet_hosts or {}, min_hosts=min_hosts)
    shapes = Shapes(facts, processes, parents or {}, min_hosts=min_hosts, host_names=incidence.hosts,
                    history=ParentHistory(incidence, processes, image_path, min_hosts=min_hosts), installs=runs)
    work = PairWork()
    groups = shape_groups(by_host, window_s, shapes, min_hosts=min_hosts, lineage=lineage, work=work)
    # dated per shape, not per pair of kinds: a benign product's daily pair must not make a campaign of the
    # same two kinds but another shape routine on the product's hosts (review T10, finding 2)
    routine_days = completion_days(history, window_s, shapes, lineage, work)
    # the runs before the window are not linked to their installers (analytics.behaviour_installs): a
    # linked run's host is also routine by its shape without the installer, as before the link (a GPO task)
    plain = Shapes(facts, processes, parents or {}, min_hosts=min_hosts, host_names=incidence.hosts,
                   history=shapes.history) if runs else None
    pivots = BehaviourPivots(pair_lookups=work.lookups, facts_capped=work.capped)
    for (kinds, shape), (shape_text, hosts) in sorted(groups.items(), key=lambda g: (g[0][0], g[0][1] or "")):
        if len(hosts) < min_hosts:
            continue
        # a host that showed the pair before the window on ROUTINE_DAYS distinct days does it routinely (a
        # daily updater under a new temporary name each day): not new there.  Once is no routine (a one-time
        # upgrade, an attacker staging the pair to blind the host, or a campaign's first wave on as many
        # hosts as it likes: review T12, finding 1).  Dropping the host, not the signature, keeps a campaign
        # of the same two kinds on other hosts visible (the fleet's routine must be no hiding place).
        kept = {row: found for row, found in hosts.items()
                if not is_routine(routine_days, kinds,
                                  shape if shape is not None else earliest_shape(shapes, kinds, found),
                                  incidence.hosts[row], completion_day(found))
                and not (plain is not None and is_routine(routine_days, kinds, earliest_shape(plain, kinds, found),
                                                          incidence.hosts[row], completion_day(found)))}
        pivots.routine_hosts += len(hosts) - len(kept)
        if len(kept) < min_hosts:
            pivots.recurring += 1
            continue
        carried = None if shape is None or not suppressed else carried_shape(
            kinds, shape_text or "", [incidence.hosts[r] for r in kept],
            {f.process for found in kept.values() for f in found.facts},
            {host: [f.process for f in found] for host, found in history.items()}, processes,
            suppressed=suppressed, suppressed_members=suppressed_members or {}, signers=signers)
        if carried is not None and (kinds, carried[0]) in groups:
            carried = None  # the judged build is in the window too (a rolling upgrade): each keeps its own key
        refusal = None if carried is None else carried.refused
        if carried is not None and refusal is not None:  # the signer changed: shown, said why (stats, carry_refused)
            pivots.refused.append(carry_record(kinds, carried, [incidence.hosts[r] for r in kept]))
            carried = None
        # a product's new build on the judged hosts keeps the judged key: its verdict applies
        add_pivot(pivots, incidence, kinds, None if shape is None else (carried[0] if carried else shape,
                                                                         shape_text or ""), kept,
                   processes=processes, images=images, minutes=cooccurrence_minutes)
        if carried is not None:  # said on the pivot: the judged build's digest, whose key it took
            pivots.entities[behaviour_key(kinds, carried.shape)].props["judged_build"] = carried.judged_build
            pivots.carried.append(carry_record(kinds, carried, [incidence.hosts[r] for r in kept]))
        elif refusal is not None and shape is not None:
            pivots.entities[behaviour_key(kinds, shape)].props["carry_refused"] = refusal
    return pivots
