"""A campaign repeated on the same hosts for days is not their routine; a vendor's daily job is, after a week (task TREE).

A host was routine for a behaviour shape when it completed the pair on two distinct UTC days before
the window (:data:`analytics.behaviour_pivots.ROUTINE_DAYS`): a campaign re-run on the same 10 hosts
on three separate days was a cluster on the first two and silent on the third (10 routine hosts).
Its history and a new daily job's are the same days; what a vendor's job has is time on the host.
Routine now also needs the host's first completion of the shape
:data:`~analytics.behaviour_pivots.ROUTINE_SPAN_DAYS` days or more before its window day, and a new
daily job's first-week clusters share one key on the same hosts, so one benign verdict covers them
(tests/analytics/test_behaviour_second_wave.py shows the verdict carrying).

End to end (store -> detect) on [embedded] and [neo4j]; the fleet is :mod:`tests.analytics.vendor_fleet`'s.
"""

from __future__ import annotations

from analytics.behaviour_pivots import ROUTINE_SPAN_DAYS
from tests.analytics.behaviour_campaign import DAY, HOSTS, START, H
from tests.analytics.vendor_fleet import PRODUCT_HOSTS, Fleet, found_on_day

CAMPAIGN = sorted(HOSTS[30:40])


def test_a_campaign_repeated_on_the_same_hosts_on_a_third_day_is_found_again(store):
    """Days 0, 1 and 2, the same dropper campaign on the same 10 hosts: day 2 is its cluster again
    (was: no cluster, 10 routine hosts)."""
    fleet = Fleet(days=3)
    for day in range(3):
        fleet.dropper_campaign(f"c{day}", CAMPAIGN, START + day * DAY + 12 * H)
    fleet.write(store)

    found, result = found_on_day(store, 2)

    assert [hosts for hosts, _ in found] == [CAMPAIGN]
    assert result.stats["behaviour_hosts_routine"] == 0


def test_a_vendors_daily_job_is_routine_once_its_hosts_have_a_week_of_it(store):
    """The vendor's daily updater on 30 hosts, days 0-7: a cluster on day 6 (six earlier days, within
    the week), routine on day 7 (its hosts' first run seven days before): no cluster, 30 routine hosts."""
    fleet = Fleet(days=ROUTINE_SPAN_DAYS + 1)
    for day in range(ROUTINE_SPAN_DAYS + 1):
        fleet.updater_pair(f"v{day}", PRODUCT_HOSTS, START + day * DAY + 3 * H)
    fleet.write(store)

    within, _ = found_on_day(store, ROUTINE_SPAN_DAYS - 1)
    after, result = found_on_day(store, ROUTINE_SPAN_DAYS)

    assert [hosts for hosts, _ in within] == [PRODUCT_HOSTS]
    assert after == []
    assert result.stats["behaviour_hosts_routine"] == len(PRODUCT_HOSTS)
