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
  that an Office application (:data:`OFFICE`) started.

One fact happens benignly (an admin's encoded PowerShell, a per-host tool), so a
host shows a **signature** only when *two* facts of two different kinds, by two
different processes, happened on it within ``cooccurrence_minutes`` of each other;
the signature is the pair of kinds.  A signature on at least ``min_hosts`` hosts
of the window becomes one extra incidence column, as a rollup does
(:meth:`analytics.registered_domains.Rollups.extend`): key
:func:`behaviour_key`, a process key no real process can have (a real one is a
hex digest, :func:`graphsiem.model.stable_hash`), on the hosts that showed it;
per host, its first sighting is when the pair completed (the later of its two
facts), its count the facts of its two kinds, its last sighting the latest of
them.  Its prevalence row holds those hosts only: its facts are new by
definition (each process on fewer than ``min_hosts`` hosts ever), so the
signature is new in the window.

The processes behind the facts are no cluster members (one host each); they are
handed to :func:`analytics.linked_processes.credit_to_pivots` as the pivot's
linked processes (:attr:`BehaviourPivots.links`), so the cluster shows their
behaviours and names them with their hosts, and the pivot's shown value carries
one host's example (:func:`describe`).  Nothing is written: the pivot lives in
one detection's incidence, never in the graph store.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from itertools import combinations

import numpy as np

from analytics.clusters import COOCCURRENCE_MINUTES
from analytics.config import DetectionConfig
from analytics.credited_words import plain
from analytics.features import Window
from analytics.incidence import Incidence, build_incidence
from analytics.lineage import behaviour_index, image_name, is_encoded_command
from analytics.linked_processes import CreditedProcesses
from analytics.registered_domains import Rollup, Rollups
from graphsiem.model import Entity, EntityKey, EntityType, Relation
from graphsiem.store.base import EntityPrevalence, GraphStore

OFFICE = frozenset({"winword.exe", "excel.exe", "outlook.exe", "powerpnt.exe", "msaccess.exe", "mspub.exe",
                    "onenote.exe"})
"""Office applications: one starting a script host is a document's macro at work."""
SCRIPT_HOSTS = frozenset({"wscript.exe", "cscript.exe", "mshta.exe", "powershell.exe", "pwsh.exe"})
"""Script hosts a document's macro starts."""
MAX_LINKED = 500
"""Most processes handed to the credit per signature (its hosts' first facts first)."""
MAX_READ = 5000
"""Most fact-carrying processes whose sightings :func:`read_behaviour` reads."""

FACT_WORDS: dict[str, str] = {
    "encoded_powershell": "encoded powershell",
    "lsass_access": "lsass access",
    "office_script_host": "office spawning a script host",
    "remote_thread": "remote thread",
}
"""How a fact kind is named in a signature's key and text."""
_DID: dict[str, str] = {
    "encoded_powershell": "ran an encoded PowerShell command",
    "lsass_access": "opened lsass.exe",
    "office_script_host": "was started by Office",
    "remote_thread": "injected a thread",
}
_PROCESS = EntityType.PROCESS.value
_PREFIX = "behaviour ("
_SUFFIX = " by new per-host processes)"
_VALUE = re.compile(r"^(?P<words>[a-z +]+) by new per-host processes on each host within (?P<minutes>\d+) min"
                    r"(?: \((?P<example>e\.g\. .*)\))?$", re.DOTALL)


def behaviour_key(kinds: tuple[str, str]) -> EntityKey:
    """The incidence key of the signature ``kinds``: a process key no real process has.

    Examples
    --------
    >>> behaviour_key(("encoded_powershell", "lsass_access"))
    ('process', 'behaviour (encoded powershell + lsass access by new per-host processes)')
    >>> is_behaviour(behaviour_key(("encoded_powershell", "lsass_access"))), is_behaviour(("process", "ab12"))
    (True, False)
    """
    return (_PROCESS, f"{_PREFIX}{' + '.join(FACT_WORDS[k] for k in kinds)}{_SUFFIX}")


def is_behaviour(key: EntityKey) -> bool:
    """True for a behaviour pivot's key (:func:`behaviour_key`), never for a real process's."""
    return key[0] == _PROCESS and key[1].startswith(_PREFIX) and key[1].endswith(_SUFFIX)


def behaviour_name(pivot_type: str, pivot_value: str) -> str | None:
    """``behaviour <its two facts>`` when the pivot is a behaviour pivot (by its shown value), else ``None``.

    Examples
    --------
    >>> behaviour_name("process", "lsass access + encoded powershell by new per-host processes on each host "
    ...                "within 30 min (e.g. on ws-1: x)")
    'behaviour lsass access + encoded powershell'
    >>> behaviour_name("process", "cmd.exe /c x") is None
    True
    """
    found = _match(pivot_type, pivot_value)
    return None if found is None else f"behaviour {found['words']}"


def summary_words(pivot_type: str, pivot_value: str) -> tuple[str, str, str] | None:
    """``(verb, type, value)`` for a summary's head when the pivot is a behaviour pivot, else ``None``.

    Examples
    --------
    >>> verb, kind, value = summary_words("process", "lsass access + encoded powershell by new per-host "
    ...                                   "processes on each host within 30 min (e.g. on ws-1: x)")
    >>> f"54 hosts first {verb} {kind} {value}"
    '54 hosts first showed behaviour lsass access + encoded powershell (a behaviour cluster: two facts within 30 minutes on each host, by new per-host processes; e.g. on ws-1: x)'
    >>> summary_words("process", "cmd.exe /c x") is None
    True
    """
    found = _match(pivot_type, pivot_value)
    if found is None:
        return None
    example = f"; {found['example']}" if found["example"] else ""
    return ("showed", "behaviour",
            f"{found['words']} (a behaviour cluster: two facts within {found['minutes']} minutes on each host, "
            f"by new per-host processes{example})")


def name_credits(credited: Iterable[CreditedProcesses], pivot: Entity) -> tuple[CreditedProcesses, ...]:
    """``credited`` with the processes behind a behaviour pivot saying they showed it, not "reached process …"."""
    said = reached_words(pivot.type, pivot.value) if is_behaviour(pivot.ref) else None
    return tuple(replace(c, reached=said) if said is not None and c.pivot == pivot.ref else c for c in credited)


def _match(pivot_type: str, pivot_value: str) -> re.Match[str] | None:
    """The shown value's parts when it is a behaviour pivot's (its words all fact kinds' words)."""
    found = _VALUE.match(pivot_value) if pivot_type == _PROCESS else None
    if found is None or not set(found["words"].split(" + ")) <= set(FACT_WORDS.values()):
        return None
    return found


def behaviour_kinds(entity_type: str, text: str) -> tuple[str, str] | None:
    """The two fact kinds a behaviour pivot's key or shown value names, else ``None``.

    Examples
    --------
    >>> behaviour_kinds(*behaviour_key(("encoded_powershell", "lsass_access")))
    ('encoded_powershell', 'lsass_access')
    >>> behaviour_kinds("process", "lsass access + remote thread by new per-host processes on each host within 30 min")
    ('lsass_access', 'remote_thread')
    >>> behaviour_kinds("process", "behaviour (lsass access + lsass access by new per-host processes)") is None
    True
    """
    if entity_type != _PROCESS:
        return None
    words = None
    if is_behaviour((entity_type, text)):
        words = text[len(_PREFIX) : -len(_SUFFIX)]
    elif (found := _match(entity_type, text)) is not None:
        words = found["words"]
    kind_of = {w: k for k, w in FACT_WORDS.items()}
    kinds = tuple(sorted(kind_of.get(w, "") for w in (words or "").split(" + ")))
    if len(kinds) != 2 or "" in kinds or kinds[0] == kinds[1]:
        return None
    return kinds[0], kinds[1]


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
        At most the one pivot (none when fewer than ``min_hosts`` hosts show it).
    truncated : bool
        More processes carried such facts than were read.
    """
    processes = {e.ref: e for e in store.iter_entities(_PROCESS)}
    images = {ref: image_name(e.value, e.props) for ref, e in processes.items()}
    encoded = frozenset(r for r, e in processes.items() if is_encoded_command(e.value, e.props)) \
        if "encoded_powershell" in kinds else frozenset()
    spawned = list(store.iter_relations("SPAWNED")) if "office_script_host" in kinds else []
    accessed = list(store.iter_relations("ACCESSED")) if "lsass_access" in kinds else []
    injected = list(store.iter_relations("INJECTED")) if "remote_thread" in kinds else []
    behaviours = behaviour_index(accessed, injected, images)
    carriers = sorted(
        {p for p, found in behaviours.items() if set(found) & set(kinds)} | set(encoded)
        | {r.dst for r in spawned if images.get(r.src) in OFFICE and images.get(r.dst) in SCRIPT_HOSTS}
    )
    sightings = [s for p in carriers[:limit] for s in store.hosts_of(*p)]
    incidence = build_incidence(sightings)
    fleet_hosts = dict(zip(incidence.entities, incidence.host_counts().tolist(), strict=True))
    facts = behaviour_facts(incidence, Window(-np.inf, np.inf), processes=processes, images=images, encoded=encoded,
                            spawned=spawned, behaviours=behaviours, fleet_hosts=fleet_hosts, min_hosts=min_hosts)
    found = behaviour_pivots(incidence, [f for f in facts if f.kind in kinds], processes=processes, images=images,
                             min_hosts=min_hosts, cooccurrence_minutes=cooccurrence_minutes)
    return found, len(carriers) > limit


def reached_words(pivot_type: str, pivot_value: str) -> str | None:
    """How a credited process's ``reached`` names a behaviour pivot (``None`` for another pivot).

    Examples
    --------
    >>> reached_words("process", "lsass access + encoded powershell by new per-host processes on each host within 30 min")
    'behaviour pivot lsass access + encoded powershell'
    """
    found = _match(pivot_type, pivot_value)
    if found is None:
        return None
    return f"behaviour pivot {found['words']}"


@dataclass(slots=True, frozen=True)
class Fact:
    """One suspicious act on one host by a new process on fewer than ``min_hosts`` hosts."""

    kind: str
    process: EntityKey
    host_row: int
    at: float


@dataclass(slots=True)
class BehaviourPivots:
    """The behaviour pivots of one detection: their incidence columns and the processes behind them."""

    columns: Rollups = field(default_factory=Rollups)
    """One :class:`~analytics.registered_domains.Rollup` per signature (``registered``: its words;
    no subdomains), extended into the incidence as rollups are."""
    links: dict[EntityKey, dict[EntityKey, float]] = field(default_factory=dict)
    """Pivot -> the processes behind its facts -> the fact's time (credited as linked processes)."""

    def __bool__(self) -> bool:
        return bool(self.columns.items)


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
) -> BehaviourPivots:
    """The behaviour pivots of one detection (none when ``config.behaviour_pivots`` is off).

    ``incidence`` is the window's whole incidence (one-host processes included); the
    relations are those read by ``now``; ``fleet_hosts`` each process's hosts over all
    time (processes on two hosts or more).  The co-occurrence window is
    ``config.cooccurrence_minutes`` (:data:`analytics.clusters.COOCCURRENCE_MINUTES` when 0).
    """
    if not config.behaviour_pivots:
        return BehaviourPivots()
    facts = behaviour_facts(
        incidence, window, processes=processes, images=images, encoded=encoded, spawned=spawned,
        behaviours=behaviour_index(accessed, injected, images),  # each process's own earliest times
        fleet_hosts=fleet_hosts, min_hosts=config.min_hosts,
    )
    return behaviour_pivots(incidence, facts, processes=processes, images=images, min_hosts=config.min_hosts,
                            cooccurrence_minutes=config.cooccurrence_minutes or COOCCURRENCE_MINUTES)


def behaviour_facts(
    incidence: Incidence,
    window: Window,
    *,
    processes: Mapping[EntityKey, Entity],
    images: Mapping[EntityKey, str],
    encoded: Collection[EntityKey],
    spawned: Iterable[Relation],
    behaviours: Mapping[EntityKey, Mapping[str, float]],
    fleet_hosts: Mapping[EntityKey, int],
    min_hosts: int,
) -> list[Fact]:
    """The window's behaviour facts, per host.

    Parameters
    ----------
    incidence : Incidence
        The window's whole incidence (one-host processes included): which hosts ran each process, when first.
    window : Window
    processes, images, encoded
        The process entities, their image names and the encoded commands among them.
    spawned : iterable of Relation
        ``process SPAWNED process`` (an Office parent makes its child's ``office_script_host``).
    behaviours : mapping
        :func:`analytics.lineage.behaviour_index` with ``novelty_hosts`` = 1: each process's
        ``lsass_access`` / ``remote_thread`` with its earliest time.
    fleet_hosts : mapping
        Each process's hosts over all time (missing: one).
    min_hosts : int
        A process on this many hosts or more carries no fact: it is shared, a pivot of its own.
    """
    kinds: dict[EntityKey, dict[str, float]] = defaultdict(dict)
    for process, found in behaviours.items():
        for name in ("lsass_access", "remote_thread"):
            if name in found:
                kinds[process][name] = float(found[name])
    for process in encoded:
        kinds[process]["encoded_powershell"] = -np.inf  # at its own first sighting on each host
    for rel in spawned:
        if images.get(rel.src) in OFFICE and images.get(rel.dst) in SCRIPT_HOSTS:
            kinds[rel.dst]["office_script_host"] = min(kinds[rel.dst].get("office_script_host", np.inf), rel.first_seen)
    facts: list[Fact] = []
    for process in sorted(kinds):
        if fleet_hosts.get(process, 1) >= min_hosts or process not in processes:
            continue
        column = _column(incidence, process)
        if column is None:
            continue  # not run in the window
        for row, first in zip(incidence.hosts_of(column), incidence.first_seen_of(column), strict=True):
            for kind, t in sorted(kinds[process].items()):
                at = max(float(first), t)  # not before the process ran on this host
                if window.start <= at <= window.end:
                    facts.append(Fact(kind, process, int(row), at))
    return facts


def _column(incidence: Incidence, key: EntityKey) -> int | None:
    i = bisect_left(incidence.entities, key)
    return i if i < len(incidence.entities) and incidence.entities[i] == key else None


def behaviour_pivots(
    incidence: Incidence,
    facts: Iterable[Fact],
    *,
    processes: Mapping[EntityKey, Entity],
    images: Mapping[EntityKey, str],
    min_hosts: int,
    cooccurrence_minutes: float,
) -> BehaviourPivots:
    """The signatures on at least ``min_hosts`` hosts, each as an incidence column.

    A host shows the signature ``(a, b)`` (two fact kinds, sorted) when a fact of kind
    ``a`` and one of kind ``b``, by two different processes, happened within
    ``cooccurrence_minutes`` of each other; it completed at the later of the two (the
    earliest such completion counts).

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
    [('behaviour (encoded powershell + lsass access by new per-host processes)', [120.0, 220.0, 320.0])]
    >>> far = [Fact(f.kind, f.process, f.host_row, f.at * (60 if f.kind == "lsass_access" else 1)) for f in facts]
    >>> bool(behaviour_pivots(inc, far, processes={}, images={}, min_hosts=3, cooccurrence_minutes=1))
    False
    """
    by_host: dict[int, list[Fact]] = defaultdict(list)
    for fact in facts:
        by_host[fact.host_row].append(fact)
    window_s = cooccurrence_minutes * 60.0
    # signature -> host row -> (completion time, the two facts that completed it)
    completed: dict[tuple[str, str], dict[int, tuple[float, Fact, Fact]]] = defaultdict(dict)
    for row, found in by_host.items():
        found.sort(key=lambda f: (f.at, f.kind, f.process))
        for a, b in combinations(found, 2):
            if a.kind == b.kind or a.process == b.process or abs(a.at - b.at) > window_s:
                continue
            kinds = (a.kind, b.kind) if a.kind < b.kind else (b.kind, a.kind)
            done = max(a.at, b.at)
            if row not in completed[kinds] or done < completed[kinds][row][0]:
                completed[kinds][row] = (done, a, b)
    pivots = BehaviourPivots()
    for kinds, hosts in sorted(completed.items()):
        if len(hosts) < min_hosts:
            continue
        rows = np.array(sorted(hosts), dtype=np.int64)
        first = np.array([hosts[int(r)][0] for r in rows])
        # per host, the facts of the two kinds near the pair that completed it (an admin's encoded
        # command hours later is another matter): the cells' counts and the processes credited
        mine = [[f for f in by_host[int(r)] if f.kind in kinds and abs(f.at - hosts[int(r)][0]) <= window_s]
                for r in rows]
        count = np.array([float(len(f)) for f in mine])
        last = np.array([max(f.at for f in found) for found in mine])
        key = behaviour_key(kinds)
        example_row = int(rows[int(np.argmin(first))])
        value = describe(kinds, hosts[example_row], host=incidence.hosts[example_row], processes=processes,
                         images=images, minutes=cooccurrence_minutes)
        prevalence = EntityPrevalence(
            entity=key, value=value, hosts=len(rows), first_seen=float(first.min()), last_seen=float(last.max()),
            count=int(count.sum()), host_first_seen=tuple(sorted(first.tolist())),
        )
        words = " + ".join(FACT_WORDS[k] for k in kinds)
        pivots.columns.items[key] = Rollup(key, words, (), (), rows, first, count, last, prevalence)
        linked: dict[EntityKey, float] = {}
        for fact in sorted((f for found in mine for f in found), key=lambda f: (f.at, f.process)):
            if len(linked) >= MAX_LINKED:
                break
            linked.setdefault(fact.process, fact.at)
        pivots.links[key] = linked
    return pivots


def describe(
    kinds: tuple[str, str], completion: tuple[float, Fact, Fact], *, host: str,
    processes: Mapping[EntityKey, Entity], images: Mapping[EntityKey, str], minutes: float,
) -> str:
    """A signature's shown value, with one host's two facts as its example (attacker text kept plain).

    ``lsass access + encoded powershell by new per-host processes on each host within 30 min (e.g. on
    ws-0012: C:\\Users\\Public\\upd7731.exe opened lsass.exe at 10:02, powershell.exe ran an encoded
    PowerShell command at 10:04)``
    """
    _, a, b = completion
    said = ", ".join(f"{_image_path(f.process, processes, images)} {_DID[f.kind]} at {_clock(f.at)}"
                     for f in sorted((a, b), key=lambda f: (f.at, f.kind)))
    words = " + ".join(FACT_WORDS[k] for k in kinds)
    return f"{words} by new per-host processes on each host within {round(minutes):d} min (e.g. on {plain(host, 60)}: {said})"


def _image_path(process: EntityKey, processes: Mapping[EntityKey, Entity], images: Mapping[EntityKey, str]) -> str:
    entity = processes.get(process)
    path = entity.props.get("image") if entity is not None else None
    return plain(path if isinstance(path, str) and path else images.get(process, "?"), 80)


def _clock(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%H:%M")
