"""A check's contact interval is each host's first-to-last span over its contacts (task F27, review T2 #4).

The repeat-contacts step turned the forest's rate (contacts per host per
calendar day the pivot was active, :mod:`analytics.features`) into "about every
1440/rate minutes": an agent polling every 5 minutes for 14 hours read "about
every 9 minutes".  It now says how many contacts over how long and the median
host's interval (:mod:`analytics.pivot_contacts`).  The forest's feature is left
as it is.  The detection test runs on [embedded] and [neo4j].
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import numpy as np

from analytics.checks import cluster_checks
from analytics.detect import detect
from analytics.incidence import build_incidence
from analytics.pivot_contacts import pivot_contacts
from graphsiem.model import Entity, Relation, Sighting
from graphsiem.store.base import HostSighting
from tests.analytics.small_fleet import browsed_sites, cluster_of, write_fleet

H = 3600.0
DAY = 24 * H
START = datetime(2026, 5, 28, tzinfo=UTC).timestamp()
END = START + 2 * DAY
HOSTS = [f"ws-{i:03d}" for i in range(40)]
AGENT_HOSTS = HOSTS[:6]
DOMAIN = ("domain", "ingest.telemetry-agent.example")
POLLS = 14 * 12 + 1  # every 5 minutes for 14 hours
FIRST = START + DAY + 7 * H  # 07:00-21:00Z on day 2: one calendar day


def _fleet(store) -> None:
    """40 hosts for two days; on 6 of them a new agent polls its domain every 5 minutes from 07:00 to 21:00."""
    store.clear()
    entities = [Entity("host", h, h) for h in HOSTS]
    entities += [Entity(*DOMAIN, DOMAIN[1]), Entity("process", "explorer", "explorer.exe")]
    sightings = [Sighting(h, ("process", "explorer"), START, END, 50) for h in HOSTS]
    relations = []
    for i, h in enumerate(AGENT_HOSTS):
        first = FIRST + 20 * i
        last = first + (POLLS - 1) * 300
        sightings.append(Sighting(h, DOMAIN, first, last, POLLS))
        relations.append(Relation(("host", h), "RESOLVED", DOMAIN, first, last, POLLS, [f"ev-{h}"]))
    others = browsed_sites(HOSTS[8:], FIRST)  # other candidates
    write_fleet(store, entities + others[0], sightings + others[1], relations + others[2])


def _repeat_step(cluster):
    """The repeat-contacts step of ``cluster`` (written as if that feature alone raised the risk)."""
    rows = tuple(replace(r, contribution=0.3 if r.name == "repeat_contacts" else 0.0)
                 for r in cluster.explanation.features)
    (step, *_) = cluster_checks(replace(cluster.explanation, features=rows), pivot=cluster.pivot,
                                entities=cluster.entities, hosts=cluster.hosts,
                                first_seen=cluster.first_seen, features=cluster.features)
    assert step.feature == "repeat_contacts"
    return step.check


def test_an_agent_polling_every_5_minutes_for_14_hours_is_said_to(store):
    _fleet(store)

    cluster = cluster_of(detect(store), DOMAIN)

    assert sorted(cluster.hosts) == AGENT_HOSTS
    text = _repeat_step(cluster)
    assert f"about {POLLS} times over 14 hours, about every 5 minutes" in text, text
    assert "every 9 minutes" not in text


def test_the_interval_is_the_median_hosts():
    t = START + DAY
    rates = {"a": 300.0, "b": 300.0, "c": 600.0, "d": 60.0, "e": 300.0}  # seconds between contacts
    sightings = [HostSighting(h, DOMAIN, t, t + 100 * every, 101) for h, every in rates.items()]
    sightings.append(HostSighting("f", DOMAIN, t, t, 1))  # one contact: no interval to measure
    inc = build_incidence(sightings)

    found = pivot_contacts(inc, 0, np.arange(6))

    assert (found.hosts, found.interval_min, found.contacts, found.span_min) == (6, 5.0, 101.0, 500.0)


def test_each_contact_counts_once():
    t = START + DAY
    # two sensors logged every contact: 2 x 101 events for 101 contacts, 5 minutes apart
    inc = build_incidence([HostSighting(h, DOMAIN, t, t + 100 * 300, 202) for h in "abc"])

    assert pivot_contacts(inc, 0, np.arange(3), share=0.5).interval_min == 5.0
