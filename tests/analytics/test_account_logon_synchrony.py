"""One person's logon is no fan-out (task DAY1, review U3): a user pivot's synchrony on a few hosts.

On the first day of data every account is new; an account seen by its workstation, a jump host
and the domain controller within a minute took ``burst_hosts`` and ``first_contact_spread_min``
as a campaign would and ranked at risk 97 above lateral movement at 3,000 hosts.  A user pivot
on at most ``ACCOUNT_HOSTS_AT_ONCE`` cluster hosts is scored as not synchronised; its summary
still says how fast it was; any other pivot, and an account on more hosts at once, keep theirs.
"""

from __future__ import annotations

import numpy as np

from analytics.entity_stats import Window, entity_stats
from analytics.features import (
    ACCOUNT_HOSTS_AT_ONCE,
    SPREAD_CAP_MIN,
    FeatureContext,
    cluster_features,
)
from analytics.incidence import build_incidence
from graphsiem.store.base import HostSighting

DAY = 86400.0
END = 30 * DAY
OLD = ("process", "explorer")
USER = ("user", "corp\\goran.scott07")
DOMAIN = ("domain", "cdn.example")


def _features(pivot: tuple[str, str], hosts: list[str]) -> tuple[dict[str, float], dict[str, float]]:
    """Scored features and context of ``pivot`` first seen on ``hosts`` 10 s apart, in the last hour."""
    sightings = [HostSighting(h, OLD, END - 5 * DAY, END, 9) for h in hosts]  # a history before the window
    sightings += [HostSighting(h, pivot, END - 3600 + 10 * i, END - 600, 1) for i, h in enumerate(hosts)]
    incidence = build_incidence(sightings)
    stats = entity_stats(incidence, [], window=Window(END - DAY, END), n_hosts=len(hosts))
    column = incidence.column_index()[pivot]
    facts = cluster_features(FeatureContext(incidence, stats), column, np.array([column]), np.arange(len(hosts)))
    return facts.features, facts.context


def test_an_account_on_its_workstation_a_jump_host_and_the_dc_within_a_minute_is_not_a_burst():
    features, context = _features(USER, ["ws-0107", "jump-01", "dc01"])
    assert features["burst_hosts"] == 0.0
    assert features["first_contact_spread_min"] == SPREAD_CAP_MIN
    # the summary's facts stay what happened: 20 s from the first host to the last
    assert context["first_contact_range_min"] == round(20 / 60, 3)


def test_an_account_on_as_many_hosts_as_one_logon_reaches_is_not_a_burst():
    hosts = [f"h-{i}" for i in range(ACCOUNT_HOSTS_AT_ONCE)]
    assert _features(USER, hosts)[0]["burst_hosts"] == 0.0


def test_an_account_on_more_hosts_at_once_than_a_person_reaches_keeps_its_burst():
    """A script logging one account on to a dozen hosts in two minutes is a fan-out."""
    hosts = [f"ws-{i:02d}" for i in range(12)]
    features, _ = _features(USER, hosts)
    assert features["burst_hosts"] == 12.0
    assert features["first_contact_spread_min"] < 2.0


def test_a_domain_three_hosts_reached_within_a_minute_keeps_its_burst():
    """Only an account's synchrony is a logon's: a new destination's is the fan-out it looks like."""
    features, _ = _features(DOMAIN, ["ws-01", "ws-02", "ws-03"])
    assert features["burst_hosts"] == 3.0
    assert features["first_contact_spread_min"] < 1.0
