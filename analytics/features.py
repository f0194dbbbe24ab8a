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

import numpy as np

from analytics.agent_caches import agents_delivered, fetched_on_hosts, fetches_explain_download
from analytics.driver_paths import outside_driver_directory
from analytics.external_addresses import is_external_ip
from analytics.feature_context import (
    ClusterFacts,
    FeatureContext,
    access_targets,
    trusted_domain_index,
)
from analytics.first_contacts import (
    CHANCE_BURST_LEVEL,
    burst_chance,
    burst_size,
    first_contact_spread_minutes,
)
from analytics.internal_origins import all_from_old_internal_servers
from analytics.lineage import INTERPRETERS, LineagePair
from analytics.managed_installs import builds_explain_download, is_managed_deployment
from analytics.repeat_rates import REPEAT_CAP_PER_DAY, busiest_destination, repeat_rate
from analytics.scored_features import (
    ACCOUNT_HOSTS_AT_ONCE,
    BEHAVIOURS,
    FEATURE_DESCRIPTIONS,
    REPEAT_FLOOR_PER_DAY,
    SCORED_FEATURES,
    SPREAD_CAP_MIN,
    SUSPICIOUS_DIRECTION,
    feature_matrix,
    scored_directions,
)
from graphsiem.model import EntityKey, EntityType

# The catalogue of columns (analytics.scored_features) and the context and facts
# (analytics.feature_context) were split out at 517 lines; their names stay importable
# from here, where callers and notebooks have always found them.
__all__ = [
    "ACCOUNT_HOSTS_AT_ONCE",
    "BEHAVIOURS",
    "CHANCE_BURST_LEVEL",
    "DESTINATION_TYPES",
    "ENDPOINT_TYPES",
    "FEATURE_DESCRIPTIONS",
    "NETWORK_TYPES",
    "REPEAT_FLOOR_PER_DAY",
    "SCORED_FEATURES",
    "SPREAD_CAP_MIN",
    "SUSPICIOUS_DIRECTION",
    "ClusterFacts",
    "FeatureContext",
    "access_targets",
    "burst_chance",
    "burst_size",
    "cluster_features",
    "feature_matrix",
    "first_contact_spread_minutes",
    "is_one_persons_logon",
    "is_private_ip",
    "scored_directions",
    "trusted_domain_index",
]

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
    # So is a package a management agent fetched into its own cache (analytics.agent_caches: Intune's IMECache).
    # Only on hosts where an agent installed from its cache: its node is one for the fleet (BEN2).
    agent_fetched = fetched_on_hosts(context.managed.fetched, (inc.hosts[row] for row in host_rows))
    fetched = fetches_explain_download(behaviours, new_keys, stats.image_builds, agent_fetched)
    built = builds_explain_download(behaviours, new_keys, stats.image_builds)
    explained = {"download_from_new_domain"} if fetched or built else set()
    managed = is_managed_deployment(context.managed, new_keys, behaviours=behaviours - explained,
                                    interpreters=len(interpreters),
                                    fetched_by_agents=agents_delivered(new_keys, agent_fetched))
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
