"""A check's "look for a deployment job ... at <time>" is the pivot's first-contact period (task F27, review T2 #5).

The step took its start from the cluster's ``first_seen``: the earliest sighting
of *any* member on its hosts, old ones included.  In review T2 an EDR rollout
whose hosts first reached its domain at 09:00-09:59 was sent to 03:00 (another
rollout's), a process seen since 11-30 03:00 to 11-27 00:33 (three days before
the window), and the beacon to 00:49 for 01:15.  It now runs from the pivot's
first contact on the cluster's hosts to the last (:mod:`analytics.pivot_contacts`).
Each detection test runs on [embedded] and [neo4j].
"""

from __future__ import annotations

from datetime import UTC, datetime

from analytics.config import DetectionConfig
from analytics.detect import detect
from graphsiem.model import Entity, Relation, Sighting
from tests.analytics.small_fleet import browsed_sites, cluster_of, write_fleet

H = 3600.0
DAY = 24 * H
START = datetime(2026, 5, 28, tzinfo=UTC).timestamp()
END = START + 2 * DAY
HOSTS = [f"srv-{i:02d}" for i in range(40)]
SERVERS = HOSTS[:8]
DOMAIN = ("domain", "telemetry.sentry-edr.example")
AGENT = ("process", "sentry-agent")
ACCOUNT = ("user", "corp\\svc-backup")
FIRST_CONTACT = START + DAY + 9 * H  # 2026-05-29 09:00Z, 08:20 + 5 min a host after
CONFIG = DetectionConfig(evidence_top=0)


def _rel(src, kind, dst, t):
    return Relation(src, kind, dst, t, t + 60, 1, [f"ev-{src[1]}-{kind}-{dst[1]}"])


def _fleet(store) -> None:
    """40 servers for two days; on 8 of them a backup account (seen there since the data began) and,
    on day 2 from 09:00 to 09:35, a new EDR agent (one command line) that reaches its new domain."""
    store.clear()
    entities = [Entity("host", h, h) for h in HOSTS]
    entities += [Entity("process", "explorer", "C:\\Windows\\explorer.exe"), Entity(*DOMAIN, DOMAIN[1]),
                 Entity(*AGENT, "\"C:\\Program Files\\Sentry\\SentryAgent.exe\" --service"),
                 Entity(*ACCOUNT, ACCOUNT[1])]
    sightings = [Sighting(h, ("process", "explorer"), START + 60 * i, END, 50) for i, h in enumerate(HOSTS)]
    relations = []
    for i, h in enumerate(SERVERS):
        t = FIRST_CONTACT + 300 * i
        sightings.append(Sighting(h, ACCOUNT, START + 600 + 60 * i, END, 20))
        sightings += [Sighting(h, AGENT, t, t + 1800, 4), Sighting(h, DOMAIN, t, t + 1800, 4)]
        relations.append(_rel(AGENT, "RESOLVED", DOMAIN, t))
    others = browsed_sites(HOSTS[10:], START + DAY)
    write_fleet(store, entities + others[0], sightings + others[1], relations + others[2])


def _edr(result):
    return cluster_of(result, DOMAIN)


def test_the_deployment_step_names_the_pivots_first_contacts(store):
    _fleet(store)

    cluster = _edr(detect(store, config=CONFIG))

    assert sorted(cluster.hosts) == SERVERS
    assert ACCOUNT in [e.ref for e in cluster.entities]
    assert cluster.first_seen < START + H  # the account's: what the step started from
    step = next(c.check for c in cluster.explanation.checks if "deployment job" in c.check)
    assert "2026-05-29 09:00–09:35Z" in step, step  # 8 hosts, 5 minutes apart, from 09:00
    # the account's first sighting is named as what it is, not as the time to search (review U5B #1)
    labelled = "(2026-05-28 00:10Z, the cluster's first sighting, is the earliest of any member"
    assert labelled in step
    assert "2026-05-28" not in step.replace(labelled, "")


def test_the_period_is_the_pivots_contacts_not_its_members():
    """The contacts are measured on the pivot's column alone, whatever else the cluster holds."""
    import numpy as np

    from analytics.incidence import build_incidence
    from analytics.pivot_contacts import pivot_contacts
    from graphsiem.store.base import HostSighting

    inc = build_incidence([HostSighting(h, ACCOUNT, START, END, 20) for h in SERVERS[:3]]
                          + [HostSighting(h, DOMAIN, FIRST_CONTACT + 60 * i, END, 4) for i, h in enumerate(SERVERS[:3])]
                          + [HostSighting("srv-39", DOMAIN, START, END, 4)])  # not a cluster host
    column = inc.entities.index(DOMAIN)
    rows = np.array([inc.hosts.index(h) for h in SERVERS[:3]])

    contacts = pivot_contacts(inc, column, rows)

    assert (contacts.first, contacts.last_first, contacts.hosts) == (FIRST_CONTACT, FIRST_CONTACT + 120, 3)
