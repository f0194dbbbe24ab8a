"""A beacon's rate counts each contact once, not once per sensor (review R4, finding 1).

Six hosts query a new domain every 10 minutes for a day: 144 contacts each.
The endpoint (Sysmon 22: ``process RESOLVED domain`` and ``host RESOLVED
domain``) and the network sensor (Zeek dns.log: ``host RESOLVED domain``)
log every query, so each host's sighting count is 288 events.  The check
said "about 288 times a day (about every 5 minutes)", and the forest saw 288.
"""

from __future__ import annotations

from analytics.contact_counts import read_contact_shares
from analytics.detect import detect
from analytics.repeat_rates import REPEAT_CAP_PER_DAY
from graphsiem.model import Entity, Relation, Sighting

DAY = 86400.0
START = 1_790_000_000.0
END = START + 2 * DAY
HOSTS = [f"ws-{i:03d}" for i in range(40)]
BEACON_HOSTS = HOSTS[:6]
DOMAIN = ("domain", "api.metrics-sync-cloud.example")
BEACON = ("process", "netsvchost")
CONTACTS = 144
FIRST = END - DAY + 600


def _populate(store, *, network_sensor: bool = True) -> None:
    events_per_contact = 2 if network_sensor else 1
    entities = [Entity("host", h, h) for h in HOSTS]
    entities += [Entity(*DOMAIN, DOMAIN[1], {}), Entity(*BEACON, r"C:\ProgramData\netsvchost.exe -k netsvc", {}),
                 Entity("process", "explorer", "explorer.exe", {})]
    store.upsert_entities(entities)
    sightings = [Sighting(h, ("process", "explorer"), START, END, 50) for h in HOSTS]
    relations = []
    for i, h in enumerate(BEACON_HOSTS):
        first = FIRST + 30 * i
        last = first + (CONTACTS - 1) * 600
        sightings.append(Sighting(h, DOMAIN, first, last, CONTACTS * events_per_contact))
        sightings.append(Sighting(h, BEACON, first, last, CONTACTS))
        relations.append(Relation(("host", h), "RESOLVED", DOMAIN, first, last, CONTACTS * events_per_contact,
                                  [f"ev-{h}"]))
    relations.append(Relation(BEACON, "RESOLVED", DOMAIN, FIRST, END, CONTACTS * len(BEACON_HOSTS), ["ev-p"]))
    # ordinary new sites, browsed a few times by a few hosts over the day: what the beacon stands out from
    for site in range(12):
        name = ("domain", f"site{site}.example")
        store.upsert_entities([Entity(*name, name[1], {})])
        for k, h in enumerate(HOSTS[8 + site : 12 + site]):
            t = FIRST + 3600 * (k * 3 + site % 4)
            sightings.append(Sighting(h, name, t, t + 1800, 4))
            relations.append(Relation(("host", h), "RESOLVED", name, t, t + 1800, 4, [f"ev-{site}-{h}"]))
    store.upsert_sightings(sightings)
    store.upsert_relations(relations)
    store.flush()


def _beacon(store):
    return next(c for c in detect(store).clusters if c.pivot.ref == DOMAIN)


def test_the_share_of_distinct_contacts(store):
    _populate(store)
    assert read_contact_shares(store, [DOMAIN, BEACON]) == {DOMAIN: 0.5}


def test_the_rate_and_the_check_count_each_contact_once(store):
    _populate(store)
    cluster = _beacon(store)
    assert sorted(cluster.hosts) == BEACON_HOSTS
    assert abs(cluster.features["repeat_contacts_raw"] - CONTACTS) < 1.0
    # what the forest sees: the once-counted rate, clipped to the feature's ceiling (analytics.repeat_rates)
    assert cluster.features["repeat_contacts"] == min(CONTACTS, REPEAT_CAP_PER_DAY)
    text = next(c.check for c in cluster.explanation.checks if c.feature == "repeat_contacts")
    assert f"about {CONTACTS} times over 24 hours, about every 10 minutes" in text


def test_one_sensor_alone_is_counted_as_it_is(store):
    _populate(store, network_sensor=False)
    assert abs(_beacon(store).features["repeat_contacts_raw"] - CONTACTS) < 1.0


def test_the_interval_is_the_mean_rounded_not_rounded_up():
    # the demo's beacon: 137.3 contacts a day, a mean interval of 10.5 minutes (not "every 11 minutes")
    from analytics.checks import cluster_checks
    from analytics.explain import Explanation, FeatureContribution
    from analytics.features import SCORED_FEATURES

    rows = tuple(FeatureContribution(n, 1.0, 0.0, 0.3 if n == "repeat_contacts" else 0.0) for n in SCORED_FEATURES)
    domain = Entity(*DOMAIN, DOMAIN[1])
    (step,) = cluster_checks(Explanation("s", rows, "normal", candidates=40), pivot=domain, entities=[domain],
                             hosts=BEACON_HOSTS, first_seen=FIRST, features={"repeat_contacts_raw": 137.333})
    assert "about 137 times a day (about every 10 minutes)" in step.check
