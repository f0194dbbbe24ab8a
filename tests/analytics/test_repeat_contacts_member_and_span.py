"""``repeat_contacts`` on a payload-pivoted cluster, and over each host's own span (reviews T7 #4, T2).

* A stager fetched from a raw address pivots on its payload's hash (a file ranks before an
  address as a pivot), and its hosts then beacon to that address every 10 minutes.  The file's
  sightings are no contacts, so the feature took its floor and the cluster lost its beacon; the
  cluster's most contacted new destination member is measured instead, and the check names it.
* The rate was contacts per *calendar* day: a beacon that began 6 hours before the window
  closed read as 37 a day, under a 5-minute heartbeat's 168 over 14 hours.  Each host's rate is
  now over its own first-to-last span (at least 6 hours, so 2 contacts 30 seconds apart are no
  "every 30 seconds" beacon), and every 15 minutes or more often is one value: the heartbeat
  and the beacon tie on this feature, as they do in truth (both repeat; the incidence keeps no
  contact times to tell a beacon's jitter from a heartbeat's).

Hand-built sightings; the check on the explanation detect builds from them.
"""

from __future__ import annotations

import pytest

from analytics.features import REPEAT_FLOOR_PER_DAY
from analytics.pivot_contacts import cluster_contacts
from analytics.repeat_rates import REPEAT_CAP_PER_DAY
from graphsiem.model import Entity
from graphsiem.store.base import HostSighting
from tests.analytics.contact_download_fleet import END, HOSTS, cluster_of, filler, first_step

ADDRESS = ("ip", "203.0.113.7")
PAYLOAD = ("file", "a" * 64)


def _stager(beacon_contacts: int):
    """8 hosts fetch a payload from ADDRESS at 04:00 and contact it ``beacon_contacts`` times until 23:50."""
    out = filler()
    for i, h in enumerate(HOSTS[:8]):
        t = END - 20 * 3600 + 60 * i
        out += [HostSighting(h, PAYLOAD, t, t + 1, 1), HostSighting(h, ("url", "http://203.0.113.7/a.png"), t, t + 1, 1),
                HostSighting(h, ("process", "rundll32 a.dll"), t, t + 2, 1)]
        last = t + (beacon_contacts - 1) * 600 if beacon_contacts > 1 else t
        # each contact logged by Sysmon 3 and Zeek conn.log: twice the events, share 0.5
        out.append(HostSighting(h, ADDRESS, t, last, 2 * beacon_contacts))
    return cluster_of(out, PAYLOAD, shares={ADDRESS: 0.5})


def test_a_payload_pivot_carries_its_hosts_beacon_to_a_new_address():
    inc, cluster, facts = _stager(beacon_contacts=118)  # every 10 minutes for 19.5 hours
    assert inc.entities[cluster.pivot] == PAYLOAD
    assert facts.repeat_column is not None and inc.entities[facts.repeat_column] == ADDRESS
    assert facts.context["repeat_contacts_raw"] == pytest.approx(144.0, rel=0.01)  # each contact once
    assert facts.features["repeat_contacts"] == REPEAT_CAP_PER_DAY
    # the same cluster whose hosts contacted the address once (the download) takes the floor
    _, _, once = _stager(beacon_contacts=1)
    assert once.features["repeat_contacts"] == REPEAT_FLOOR_PER_DAY
    assert once.context["repeat_contacts_raw"] == 0.0


def test_the_check_names_the_address_the_hosts_beaconed_to_not_the_payload():
    inc, cluster, facts = _stager(beacon_contacts=118)
    contacts = cluster_contacts(inc, cluster.pivot, cluster.hosts, facts.repeat_column, {ADDRESS: 0.5})
    assert contacts is not None and contacts.destination == ADDRESS
    assert contacts.interval_min == pytest.approx(10.0)
    assert contacts.first == END - 20 * 3600  # the first-contact period stays the payload's
    members = [Entity(*inc.entities[j], inc.entities[j][1]) for j in cluster.members]
    step = first_step("repeat_contacts", members, features=facts.context, contacts=contacts)
    assert "Each host contacted ip 203.0.113.7 about 118 times over 20 hours, about every 10 minutes" in step.check


def _destination(name: str, first: float, contacts: int, every_s: float, hosts: list[str]) -> list[HostSighting]:
    return [HostSighting(h, ("domain", name), first + 30 * i, first + 30 * i + (contacts - 1) * every_s, contacts)
            for i, h in enumerate(hosts)]


def _rate(sightings, name):
    return cluster_of(filler() + sightings, ("domain", name))[2]


def test_a_beacon_that_began_six_hours_before_the_end_reads_at_its_period():
    facts = _rate(_destination("late.example", END - 6 * 3600, 37, 600.0, HOSTS[:6]), "late.example")
    assert facts.context["repeat_contacts_raw"] == pytest.approx(144.0, rel=0.01)  # per calendar day: 37
    assert facts.features["repeat_contacts"] == REPEAT_CAP_PER_DAY


def test_a_burst_of_two_contacts_is_no_beacon():
    facts = _rate(_destination("burst.example", END - 3 * 3600, 2, 30.0, HOSTS[:6]), "burst.example")
    assert facts.context["repeat_contacts_raw"] == pytest.approx(4.0)  # 1 interval over the 6-hour minimum span
    assert facts.features["repeat_contacts"] == REPEAT_FLOOR_PER_DAY


def test_a_heartbeat_every_5_minutes_no_longer_outranks_a_beacon_every_10_on_repeats():
    heartbeat = _rate(_destination("hb.vendor.example", END - 16 * 3600, 169, 300.0, HOSTS[:20]), "hb.vendor.example")
    beacon = _rate(_destination("c2.example", END - 23 * 3600, 138, 600.0, HOSTS[20:26]), "c2.example")
    assert heartbeat.context["repeat_contacts_raw"] > beacon.context["repeat_contacts_raw"]  # it is more frequent
    assert heartbeat.features["repeat_contacts"] == beacon.features["repeat_contacts"] == REPEAT_CAP_PER_DAY


def test_the_median_host_decides_not_the_busiest():
    busy = _destination("cdn.example", END - 20 * 3600, 400, 60.0, HOSTS[:1])
    calm = _destination("cdn.example", END - 20 * 3600, 3, 3600.0, HOSTS[1:6])
    facts = _rate(busy + calm, "cdn.example")
    assert facts.context["repeat_contacts_raw"] == pytest.approx(8.0)  # 2 contacts over 6 hours, per day
    assert facts.features["repeat_contacts"] == REPEAT_FLOOR_PER_DAY
