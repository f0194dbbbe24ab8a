"""What an analyst should check next about a cluster, and what would make it benign.

An explanation says *why* a cluster scored high (:mod:`analytics.explain`);
triage needs the next step too: which record to open, which entity to look up,
and which finding rules the cluster out as ordinary fleet activity (a software
rollout, a driver update, an inventory script).  :func:`cluster_checks` writes
one :class:`~analytics.explain.Check` per feature that raised the risk
(contribution > 0), each naming the cluster's own values: its pivot, hosts,
times, decoded command, parent -> child pair, driver path and digest.  What the
hosts did (:data:`BEHAVIOUR_STEPS`: LSASS access, an encoded command, a
download, a parent -> child pair, a driver from outside the driver directory)
comes first, then timing, evidence kinds and repeats, each group most
contributing first: a behaviour is the more specific lead, and "look for a
deployment job" is what every synchronised cluster, benign or not, gets.  Steps
about the cluster as a whole follow: how its pivot was installed (a driver, a
service, a scheduled task) and, when the run had too few candidates or most
hosts no data from before the window, why the risk is uncertain.  A young and
spreading pivot (low and slow: seen by the fleet days before the window, on
new hosts inside it) gets a step to look at its earlier hosts first (patient
zero), ahead of those.

A check claims nothing the data cannot tell: a process seen only as the target
of an access (LSASS) is no new member, and without data from before the window
(``Explanation.history`` False) nothing is called "new".  Times and rates are the
pivot's on the cluster's hosts (:mod:`analytics.pivot_contacts`): the first-contact
period a deployment job is looked for in runs from the pivot's first contact on
them to its last (not from the earliest sighting of any member, an old account
included), and a contact interval is each host's first-to-last span over its
contacts (not the forest's contacts per calendar day).

Everything is derived from the data, deterministically.  Entity values are
attacker-controlled: each is quoted as plain text, on one line, at most
:data:`MAX_VALUE` characters (as the summary does).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from analytics.checks_cluster import low_confidence_step, ordinary_step, patient_zero_step
from analytics.checks_deployment import deployment_step
from analytics.checks_facts import (
    HOSTS_NAMED,
    MAX_VALUE,
    NAMES_SHOWN,
    Facts,
    hosts_text,
    quote,
)
from analytics.checks_install import WRITERS as INSTALL_WRITERS
from analytics.checks_install import installed_step
from analytics.checks_network import WRITERS as NETWORK_WRITERS
from analytics.checks_process import OS_HOSTS, script_argument
from analytics.checks_process import WRITERS as PROCESS_WRITERS
from analytics.explain import Check, Explanation
from analytics.renamed_binaries import masquerade_checks
from graphsiem.model import Entity

MAX_CHECKS = 6
"""At most this many steps per cluster: a short list gets read."""
BEHAVIOUR_STEPS = frozenset({
    "lsass_access", "encoded_command", "download_from_new_domain", "remote_thread",
    "interpreter_lineage", "driver_outside_drivers_dir", "lookalike_domain",
})
"""Features whose steps come first: what the hosts did, not when or how often."""

_SYNC = ("first_contact_spread_min", "burst_hosts")
_DRIVER_STEP = "driver_outside_drivers_dir"
_WRITERS = {**NETWORK_WRITERS, **PROCESS_WRITERS, **INSTALL_WRITERS}
"""The step writer of each scored feature: the writers live by subject (:mod:`analytics.checks_process`,
:mod:`analytics.checks_network`, :mod:`analytics.checks_install`); whole-cluster steps in
:mod:`analytics.checks_cluster`."""


def cluster_checks(
    explanation: Explanation,
    *,
    pivot: Entity,
    entities: Sequence[Entity],
    hosts: Sequence[str],
    first_seen: float,
    features: Mapping[str, float],
) -> tuple[Check, ...]:
    """The ordered next steps of one cluster.

    Parameters
    ----------
    explanation : Explanation
        Its features (contributions), new lineage pairs, new members and candidate count.
    pivot : Entity
        The entity the cluster grew from.
    entities : sequence of Entity
        Members, pivot first (processes carry their props: ``decoded_command``...).
    hosts : sequence of str
        The cluster's hosts.
    first_seen : float
        Epoch seconds of the first sighting of a member on a cluster host.
    features : mapping
        Raw feature values and context (``first_contact_range_min``, ``repeat_contacts_raw``...).

    Returns
    -------
    tuple of Check
        At most :data:`MAX_CHECKS`; one per contributing feature (spread and burst
        share one: both measure the synchronised first contact), behaviours
        (:data:`BEHAVIOUR_STEPS`) first, then the others, each most contributing
        first; then the installation and low-confidence steps.  A cluster no
        feature sets apart gets one step about its pivot instead.
    """
    facts = Facts(explanation, pivot, list(entities), list(hosts), first_seen, features)
    steps: list[Check] = []
    done: set[str] = set()
    order = sorted(explanation.features, key=lambda r: (r.name not in BEHAVIOUR_STEPS, -r.contribution, r.name))
    for row in order:
        if row.contribution <= 0 or row.name in done:
            continue
        writer = _WRITERS.get(row.name)
        if writer is None:
            continue
        done |= set(_SYNC) if row.name in _SYNC else {row.name}
        step = writer(facts, row.name)
        if step is not None:
            steps.append(step)
    if not steps:
        steps.append(ordinary_step(facts))
    # The driver step names the driver's path, digest and service names: the installation step would repeat it.
    installed = None if _DRIVER_STEP in done else installed_step(facts)
    # a renamed copy of powershell.exe, an svchost.exe spelled with a Greek o: findings whatever scored
    # (analytics.renamed_binaries), of members or of the one-host processes credited to them
    masquerades = masquerade_checks(facts.entities, hosts_text(facts.hosts), facts.explanation.credited)
    # a managed deployment says why its synchrony was not scored (analytics.managed_installs)
    extras = [*masquerades, *(c for c in (deployment_step(facts), patient_zero_step(facts), installed,
                                           low_confidence_step(facts)) if c is not None)]
    return tuple(steps[: MAX_CHECKS - len(extras)] + extras)


__all__ = [
    "BEHAVIOUR_STEPS", "HOSTS_NAMED", "MAX_CHECKS", "MAX_VALUE", "NAMES_SHOWN", "OS_HOSTS",
    "cluster_checks", "hosts_text", "quote", "script_argument",
]
