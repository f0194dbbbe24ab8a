"""Prevalence features of entities and of fan-out clusters, time-aware.

Time is split in two: the **detection window** (default: the last 24 h of data)
and the **baseline** (everything before).  An entity is *new* when the fleet
first saw it inside the window.

Every function here is pure: arrays, mappings and relations in, arrays and
dictionaries out, so each is unit-tested on hand-built data.  The store is read
once, by :mod:`analytics.inputs`.

Cluster features fed to the scorer (:data:`SCORED_FEATURES`) are chosen so that
what is *unusual among clusters* is what is suspicious: benign fleet activity
(software seen for days, browsing spread over the day, admin tools) sits in the
dense middle, and a campaign that is new, synchronised, confined to its hosts,
active on the hosts and reaching an external destination, and showing attack
behaviour is isolated along several features at once.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

from analytics.column_names import ColumnNames
from analytics.driver_paths import outside_driver_directory
from analytics.entity_stats import EntityStats
from analytics.external_addresses import is_external_ip
from analytics.first_contacts import (
    CHANCE_BURST_LEVEL,
    burst_chance,
    burst_size,
    first_contact_spread_minutes,
)
from analytics.history import fleet_has_history
from analytics.incidence import Incidence
from analytics.internal_origins import all_from_old_internal_servers
from analytics.lineage import INTERPRETERS, LineagePair
from analytics.lookalike import Lookalike, LookalikeIndex, trusted_domains
from analytics.managed_installs import (
    ManagedInstalls,
    builds_explain_download,
    is_managed_deployment,
)
from analytics.repeat_rates import REPEAT_CAP_PER_DAY, busiest_destination, repeat_rate
from graphsiem.model import EntityKey, EntityType, Relation

SCORED_FEATURES = ColumnNames((  # not a tuple: frame[SCORED_FEATURES] selects the columns
    "first_contact_spread_min",
    "burst_hosts",
    "interpreter_lineage",
    "source_kinds",
    "lsass_access",
    "encoded_command",
    "download_from_new_domain",
    "remote_thread",
    "driver_outside_drivers_dir",
    "lookalike_domain",
    "repeat_contacts",
))
"""Cluster features the scorer sees, in column order.

``exclusivity`` is not one of them: a member is admitted only when at least
``min_overlap`` of its fleet hosts are the pivot's, so the share of the new
members' hosts inside the cluster is at least ``min_overlap`` by construction,
its median over the candidates is 1, and the one-sided clip made it the same
value for every cluster (contribution 0 on every simulated fleet, for
``min_overlap`` 0.5 to 0.95).  It is kept as context, not scored."""

SPREAD_CAP_MIN = 60.0
"""First contacts spread over more than an hour are not a synchronised fan-out."""
REPEAT_FLOOR_PER_DAY = 24.0
"""Contact up to hourly is ordinary (updaters, browsing); only more often counts."""
ACCOUNT_HOSTS_AT_ONCE = 5
"""Most hosts one person's logon reaches at once: a user pivot on this many cluster hosts or fewer
is not scored as synchronised (:func:`is_one_persons_logon`).

An account is first seen where it logs on, and one logon is seen by several hosts within
seconds by design: the workstation, the domain controller that validates it (4776, 4624 on
the DC; a domain has two or more), the jump host or server an RDP hop reaches, a shared kiosk,
a roaming profile's file server.  Workstation, two hops and two controllers is five hosts.
On the first day of data every account is new, and at 3,000 hosts (review U3) a few dozen
accounts seen on a workstation, a second machine and the DC within minutes took burst and
spread as a campaign would: 8 of the top 12 clusters at risk 97, above lateral movement.
An account on more hosts than that at once is a script, not a person, and keeps its synchrony.
"""

FEATURE_DESCRIPTIONS: dict[str, str] = {
    "new_member_fraction": "share of member entities first seen by the fleet inside the window (context, not scored)",
    "first_contact_spread_min": "inter-quartile range of the hosts' first contact with a new pivot, minutes, capped at 60 (slower is not synchronised; a pivot known before the window, a user on ACCOUNT_HOSTS_AT_ONCE cluster hosts or fewer, or a managed deployment (analytics.managed_installs), takes the cap)",
    "burst_hosts": "cluster hosts whose first contact with a new pivot fell within one 10-minute span, when they are at least half the cluster and random first contacts over the window would make such a burst at most 1 % of the time (CHANCE_BURST_LEVEL: never 2 hosts in a day's window; else 0; 0 for a user on ACCOUNT_HOSTS_AT_ONCE cluster hosts or fewer: one person's logon; 0 for a managed deployment: msiexec run by a service from a package on a share, analytics.managed_installs)",
    "exclusivity": "share of the new members' fleet hosts that are cluster hosts (context, not scored: at least min_overlap by the membership rule; 0 without new members)",
    "interpreter_lineage": "new parent -> child pairs whose child is a script host or living-off-the-land binary",
    "source_kinds": "kinds of evidence among new members: endpoint (process (not a managed deployment's, analytics.managed_installs), script, user, a driver the hosts installed or loaded) and external network destinations (domain, ip, url; not counted when every member IP is internal); any other file counts for neither (which sensor saw it is not recorded)",
    "lsass_access": "1 when a new member process first opened LSASS inside the window",
    "encoded_command": "1 when a new member process carries an encoded PowerShell command",
    "download_from_new_domain": "1 when the cluster downloads from a new domain or a new external address (no DNS name: http://203.0.113.7/a.png) and runs something new (not when every new URL is on an internal server the fleet saw before the window, a deployment's distribution point: analytics.internal_origins), or when script hosts or living-off-the-land binaries, one per host on at least min_hosts hosts, fetched a new file or URL from an external source the fleet contacted before the window, but its script hosts did not fetch from min_hosts times (analytics.known_source_downloads; name kept for compatibility)",
    "remote_thread": "1 when a new member process first injected a remote thread inside the window",
    "driver_outside_drivers_dir": "1 when a new member is a kernel driver (installed as a driver service or loaded by the kernel) from outside the Windows driver directory (System32\\drivers, the DriverStore)",
    "lookalike_domain": "1 when a new member domain looks like a domain the fleet used widely before the window (one or two characters apart, look-alike characters, or the trusted name inside another domain; the trusted domain's own subdomains excluded)",
    "repeat_contacts": "contacts per day with a new destination (domain, ip, url) of the median cluster host, over that host's own first-to-last span (at least 6 hours; each contact once, analytics.contact_counts; analytics.repeat_rates): the pivot when it is a destination, else the cluster's most contacted new destination member; floored at 24 (only contact more often than hourly counts: beacons repeat; a pivot known before the window, a cluster without a new destination, or a managed deployment's agent checking in, takes the floor) and capped at 96 (every 15 minutes or more often is one value: a heartbeat is no more a beacon for being faster)",
}

SUSPICIOUS_DIRECTION: dict[str, int] = {
    "first_contact_spread_min": -1,  # synchronised first contacts: a fan-out, not a rollout
    "burst_hosts": +1,
    "interpreter_lineage": +1,
    "source_kinds": +1,  # seen by endpoint and external network evidence alike
    "lsass_access": +1,
    "encoded_command": +1,
    "download_from_new_domain": +1,
    "remote_thread": +1,
    "driver_outside_drivers_dir": +1,
    "lookalike_domain": +1,
    "repeat_contacts": +1,  # beacons repeat
}
"""Which way each scored feature is suspicious: +1 higher, -1 lower.

The scorer clips every feature to this side of its fleet baseline (the median
cluster), so a value on the benign side cannot add risk
(:class:`analytics.scoring.ClusterScorer`, ``directions``)."""


def scored_directions() -> tuple[int, ...]:
    """:data:`SUSPICIOUS_DIRECTION` in :data:`SCORED_FEATURES` order (the scorer's ``directions``)."""
    return tuple(SUSPICIOUS_DIRECTION[name] for name in SCORED_FEATURES)


BEHAVIOURS: tuple[str, ...] = (
    "lsass_access", "encoded_command", "download_from_new_domain", "remote_thread", "driver_outside_drivers_dir",
    "lookalike_domain",
)
"""Attack behaviours, each a scored 0/1 feature."""

# Which sensor saw a file (Sysmon's FileCreate, a Zone.Identifier, Zeek's files log) is not in
# the graph: relations and sightings carry no sensor, only evidence ids the journal resolves,
# and detect does not read the journal.  Counting every file as network evidence gave a driver
# installed on hosts, with no traffic at all, the "endpoint and network" kinds of a campaign;
# counting every file as endpoint evidence gave a download only Zeek saw (a file and its URL)
# the same two kinds.  So a file is endpoint evidence only when an endpoint event names it in a
# relation detect reads: installed as a driver (7045, 4697) or loaded by the kernel (Sysmon 6),
# the kernel drivers of FeatureContext.drivers; any other file counts for neither kind.
# Domains, IPs and URLs name a remote machine whichever sensor reported them: the network side.
ENDPOINT_TYPES = frozenset({EntityType.PROCESS, EntityType.SCRIPT, EntityType.USER})
NETWORK_TYPES = frozenset({EntityType.DOMAIN, EntityType.IP, EntityType.URL})
DESTINATION_TYPES = NETWORK_TYPES
"""Entities a host contacts: the only ones ``repeat_contacts`` is measured on."""


def is_one_persons_logon(pivot_type: str, cluster_hosts: int) -> bool:
    """Whether a pivot's synchronised first sightings are one person's logon, not a fan-out.

    A user (account) pivot on at most :data:`ACCOUNT_HOSTS_AT_ONCE` cluster hosts: its
    workstation, the domain controllers that validate it and the machines an RDP hop
    reaches all see it within seconds of each other, which is how a logon works.

    Examples
    --------
    >>> is_one_persons_logon("user", 3)  # a workstation, a jump host, the DC
    True
    >>> is_one_persons_logon("user", 40)  # an account on 40 hosts at once: a script
    False
    >>> is_one_persons_logon("domain", 3)
    False
    """
    return pivot_type == EntityType.USER and cluster_hosts <= ACCOUNT_HOSTS_AT_ONCE


def is_private_ip(value: str) -> bool:
    """True for an IP address that is no machine outside the fleet (an internal server, loopback,
    link-local...): any address but an external one (:func:`analytics.external_addresses.is_external_ip`).
    False for text that is no address.

    Examples
    --------
    >>> is_private_ip("10.1.2.3"), is_private_ip("100.64.0.9"), is_private_ip("203.0.113.7"), is_private_ip("x")
    (True, True, False, False)
    """
    try:
        ipaddress.ip_address(value.split("%", 1)[0].strip("[]"))
    except ValueError:
        return False
    return not is_external_ip(value)


# -- cluster features ------------------------------------------------------------


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


def _from_old_internal_servers(context: FeatureContext, new_keys: list[EntityKey]) -> bool:
    """Whether the cluster's new URLs (one at least) are all on internal servers the fleet saw before the window."""
    if context.internal_server is None:
        return False
    columns = context.column_index()
    stats = context.stats

    def known_before_window(host: str) -> bool:
        column = columns.get((EntityType.DOMAIN, host), columns.get((EntityType.IP, host)))
        return column is not None and stats.first_seen[column] < stats.window.start

    urls = [k for t, k in new_keys if t == EntityType.URL]
    return all_from_old_internal_servers(urls, known_before_window=known_before_window,
                                         is_internal=context.internal_server)


def cluster_features(
    context: FeatureContext, pivot: int, members: np.ndarray, host_rows: np.ndarray
) -> ClusterFacts:
    """Features of the cluster ``pivot`` + ``members`` (columns) over ``host_rows``.

    Novelty gates every feature ("new" here: new in the window, or young and
    spreading, :mod:`analytics.novelty`): spread, burst and repeat contacts are measured
    on a *new* pivot only (a pivot known before the window takes the cap, 0 and
    the floor), and exclusivity, lineage, source kinds, member types and
    behaviours on the *new* members only.  Software the fleet ran before the
    window (an admin tool that opens LSASS on IT hosts, an hourly updater) then
    looks like the rest of the fleet's history, and only fresh activity can
    stand out.  A process seen only as the target of an access or injection
    (``context.targets``: LSASS) is no new member, and a new kernel driver
    (``context.drivers``) from outside the Windows driver directory
    (:func:`outside_driver_directory`) is the ``driver_outside_drivers_dir``
    behaviour.

    Parameters
    ----------
    context : FeatureContext
    pivot : int
        Column of the pivot entity.
    members : ndarray of int
        Columns of all member entities (the pivot included).
    host_rows : ndarray of int
        Rows of the cluster's hosts.
    """
    inc, stats = context.incidence, context.stats
    # A young pivot (low and slow, analytics.novelty) counts lineage and behaviours the
    # fleet showed since its young horizon began, as a new one does since the window start.
    start = stats.novel_since(pivot)
    history = bool(context.history)
    keys = [inc.entities[j] for j in members]
    # A process that is only the target of an access (LSASS) is a new node, not new activity.
    is_new = stats.is_novel[members] & np.array([k not in context.targets for k in keys], dtype=bool)
    new_keys = [k for k, n in zip(keys, is_new, strict=True) if n]
    new_cols = members[is_new]
    drivers = [
        inc.entities[j] for j in new_cols
        if inc.entities[j] in context.drivers and outside_driver_directory(stats.values[j])
    ]
    # Columns first: slicing a CSC matrix by column touches only those columns.
    inside = np.asarray(inc.seen[:, new_cols][host_rows].sum(axis=0)).ravel()
    total = stats.total_hosts[new_cols]
    exclusivity = float(inside.sum() / total.sum()) if len(new_cols) else 0.0

    n_cluster = len(host_rows)
    new_pairs: dict[str, LineagePair] = {}
    rare_pairs: dict[str, LineagePair] = {}
    behaviours: set[str] = set()
    for key in new_keys:
        for pair in context.lineage.get(key, ()):
            if pair.is_new_since(start):
                new_pairs[str(pair)] = pair
                if pair.hosts <= n_cluster:
                    rare_pairs[str(pair)] = pair
        behaviours |= {b for b, t in context.behaviours.get(key, {}).items() if t >= start}
        if key in context.encoded:
            behaviours.add("encoded_command")
    if drivers:
        behaviours.add("driver_outside_drivers_dir")
    # A new domain one slip from a name the whole fleet trusts borrows that trust (a typosquat).
    index = context.lookalikes
    lookalikes = [
        found for t, k in new_keys
        if t == EntityType.DOMAIN and index is not None and (found := index.match(k)) is not None
    ]
    if lookalikes:
        behaviours.add("lookalike_domain")
    new_types = {t for t, _ in new_keys}
    ips = [k for t, k in keys if t == EntityType.IP]
    is_external = not ips or not all(is_private_ip(ip) for ip in ips)
    executes = bool(new_types & {EntityType.PROCESS, EntityType.SCRIPT})
    downloads = bool(new_types & {EntityType.FILE, EntityType.URL})
    # A stager fetched from a raw address (http://203.0.113.7/a.png) names no domain: a new
    # external address is where it came from as a new domain is (review T7 #4), or a campaign
    # moving to raw IPs would lose the behaviour.  An internal one is a deployment server.
    new_origin = EntityType.DOMAIN in new_types or any(t == EntityType.IP and is_external_ip(k) for t, k in new_keys)
    # ... but a package every new URL of which is on an internal server the fleet knew before the window
    # (a ConfigMgr distribution point) came from the deployment system, not from the new domain (FP2).
    if new_origin and downloads and executes and is_external and not _from_old_internal_servers(context, new_keys):
        behaviours.add("download_from_new_domain")
    interpreters = [p for p in new_pairs.values() if p.child in INTERPRETERS]
    # A managed deployment (analytics.managed_installs: msiexec run by a service from a package on a
    # share, and only the programs it deployed; the vendor agent rollout was rank 5) is software the
    # organisation installed: its processes are no endpoint evidence, its first contacts the job's
    # schedule and its check-ins the product working.  Its own builds are files, which read as a
    # download from the new domain: the install brought them.
    explained = {"download_from_new_domain"} if builds_explain_download(behaviours, new_keys, stats.image_builds) else set()
    managed = is_managed_deployment(context.managed, new_keys, behaviours=behaviours - explained,
                                    interpreters=len(interpreters))
    if managed:
        behaviours -= explained
    # A new internal server (every member IP private) is managed infrastructure:
    # only egress to the outside counts as network-side support.
    endpoint_types = ENDPOINT_TYPES - {EntityType.PROCESS} if managed else ENDPOINT_TYPES
    on_hosts = bool(new_types & endpoint_types) or any(k in context.drivers for k in new_keys)
    kinds = int(on_hosts) + int(bool(new_types & NETWORK_TYPES) and is_external)

    in_cluster = np.isin(inc.hosts_of(pivot), host_rows)
    if stats.is_novel[pivot]:
        contacts = inc.first_seen_of(pivot)[in_cluster]
        spread = first_contact_spread_minutes(contacts)
        # The full range too: the IQR is the time of the middle half of the hosts
        # only, and the summary must not present it as the time for all of them.
        full_range = float(np.ptp(contacts)) / 60.0 if len(contacts) else 0.0
        burst = burst_size(contacts)
        # A fan-out is one burst; a rollout that happens to reach 8 of its 110
        # hosts in some 10 minutes is not, so a minority burst counts as none;
        # nor does one that random first contacts over the window make often (2 of 3).
        majority = burst >= 0.5 * max(len(contacts), 1)
        chance = burst_chance(burst, len(contacts), stats.window.end - start)
        burst = burst if majority and chance <= CHANCE_BURST_LEVEL else 0
    else:
        spread, burst = (stats.window.end - start) / 60.0, 0
        full_range = spread
    # One person's logon is seen by a few hosts at once (ACCOUNT_HOSTS_AT_ONCE): no fan-out.
    # The raw spread and range stay in the context, so the summary still says how fast it was.
    scored_spread, scored_burst = spread, burst
    if is_one_persons_logon(inc.entities[pivot][0], n_cluster) or managed:
        scored_spread, scored_burst = SPREAD_CAP_MIN, 0
    repeat_column, repeats = _repeats(context, pivot, new_cols, host_rows)
    # Newness, as for spread and burst: an updater the fleet polled before the
    # window (new_pivots_only=False) is its baseline, not a beacon.  Without this
    # the driver-updater decoy (0.7 days old) scored 69.4, rank 4, on repeats alone.
    # A deployed agent checking in with its vendor is the product working (the old agent's heartbeat
    # makes no cluster at all); the raw rate stays in the context and the checks.
    repeat_feature = repeats if stats.is_novel[pivot] and not managed else 0.0
    features = {
        # One-sided clips: the benign side of a feature collapses onto one value,
        # so the forest can only find a cluster unusual in the suspicious direction.
        # These fixed caps are the floor; the scorer also clips each feature to the
        # suspicious side of the fleet's median cluster (SUSPICIOUS_DIRECTION).
        "first_contact_spread_min": min(scored_spread, SPREAD_CAP_MIN),
        "burst_hosts": float(scored_burst),
        "interpreter_lineage": float(len(interpreters)),
        "source_kinds": float(kinds),
        # One column per behaviour, not a count: each is independent evidence,
        # and the forest isolates a cluster faster the more columns single it out.
        **{name: float(name in behaviours) for name in BEHAVIOURS},
        "repeat_contacts": min(max(repeat_feature, REPEAT_FLOOR_PER_DAY), REPEAT_CAP_PER_DAY),
    }
    context_values = {
        "exclusivity": round(exclusivity, 4),
        "new_member_fraction": float(is_new.mean()),
        "first_contact_spread_raw_min": round(spread, 3),
        "first_contact_range_min": round(full_range, 3),
        "repeat_contacts_raw": round(repeats, 3),
        "new_lineage": float(len(new_pairs)),
        "rare_lineage": float(len(rare_pairs)),
        "member_types": float(len({t for t, _ in keys})),
        "suspicious_behaviours": float(len(behaviours)),
        "managed_deployment": float(managed),
    }
    return ClusterFacts(
        features=features,
        new_pairs=sorted(new_pairs.values(), key=str),
        rare_pairs=sorted(rare_pairs.values(), key=str),
        behaviours=sorted(behaviours),
        new_members=new_keys,
        context=context_values,
        drivers=drivers,
        history=history,
        lookalikes=lookalikes,
        repeat_column=repeat_column,
        download_from_known_source="download_from_new_domain" in behaviours and not new_origin,
    )


def _repeats(context: FeatureContext, pivot: int, new_cols: np.ndarray, host_rows: np.ndarray) -> tuple[int | None, float]:
    """The destination ``repeat_contacts`` is measured on, and its rate (:mod:`analytics.repeat_rates`).

    Only a destination is contacted: a process pivot's sightings are its own events (every
    connection a new long-running process made), not contacts with it, and read as "contacted
    334 times a day" they made explorer.exe on 32 servers a beacon (review T2, 80.4, rank 3).
    A pivot that is no destination (a payload's hash) measures the cluster's new destination
    members instead, the most contacted: a stager from a raw address pivots on its file, and
    its hosts' beacon to that address is the cluster's (review T7 #4).
    """
    inc, stats = context.incidence, context.stats
    # Sightings count events, and an endpoint and a network sensor log the same contact twice
    # (Sysmon 22 and Zeek dns.log): each contact once (analytics.contact_counts).
    if inc.entities[pivot][0] in DESTINATION_TYPES:
        share = context.contact_shares.get(inc.entities[pivot], 1.0)
        return pivot, repeat_rate(inc, pivot, host_rows, share=share, fallback_days=float(stats.active_days[pivot]))
    destinations = [int(j) for j in new_cols if inc.entities[j][0] in DESTINATION_TYPES]
    return busiest_destination(
        inc, destinations, host_rows, shares=context.contact_shares,
        fallback_days={j: float(stats.active_days[j]) for j in destinations},
    )


def feature_matrix(rows: Iterable[Mapping[str, float]]) -> np.ndarray:
    """Stack feature dictionaries into an ``(n, len(SCORED_FEATURES))`` array."""
    data = [[float(r[name]) for name in SCORED_FEATURES] for r in rows]
    return np.asarray(data, dtype=np.float64).reshape(len(data), len(SCORED_FEATURES))


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
