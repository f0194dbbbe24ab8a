"""The scorer's columns: which cluster features it sees, what each means, which way is suspicious.

Split from :mod:`analytics.features` (which computes the values and re-exports these names,
so ``analytics.features.SCORED_FEATURES`` still works): the catalogue of columns and their
caps is read by the scorer, the explanations, the lab and the candidate history, none of
which computes a feature.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np

from analytics.column_names import ColumnNames

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
is not scored as synchronised (:func:`analytics.features.is_one_persons_logon`).

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


def feature_matrix(rows: Iterable[Mapping[str, float]]) -> np.ndarray:
    """Stack feature dictionaries into an ``(n, len(SCORED_FEATURES))`` array."""
    data = [[float(r[name]) for name in SCORED_FEATURES] for r in rows]
    return np.asarray(data, dtype=np.float64).reshape(len(data), len(SCORED_FEATURES))
