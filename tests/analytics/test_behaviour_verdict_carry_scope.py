"""A benign verdict carries to a new build only on hosts that ran the judged build, and says so (task VERDFIX).

Red team T13, finding 7: the vendor's weekly job was judged benign on 25 of its 30 hosts; on day 8
an attacker's build (another SHA-256, the job's path and parent) ran on all 30, 5 of which never ran
the judged build.  The carry (:mod:`analytics.behaviour_verdicts`) asked only that the judged hosts
be among the new build's, and the 80% host share let the 5 in: the campaign was suppressed whole.
An upgrade replaces a build the host had, so now every host of the new build must have run the
judged one before the window.

A trojanised update pushed to exactly the judged hosts cannot be told from the vendor's (no signer
on the processes): it still carries, and the detection's stats list the carry (``verdicts_carried``)
with both builds, for the analyst to confirm (tests.analytics.test_behaviour_new_build_verdict).

End to end (store -> detect -> state -> detect), on [embedded] and [neo4j].
"""

from __future__ import annotations

from tests.analytics.vendor_fleet import PRODUCT_HOSTS, Fleet, found_on_day, judged_config

OLD_BUILD, NEW_BUILD, CAMPAIGN_BUILD = "ab" * 32, "cd" * 32, "ef" * 32


def test_a_build_on_hosts_that_never_ran_the_judged_one_keeps_its_own_cluster(store, tmp_path):
    judged_hosts = PRODUCT_HOSTS[:25]
    fleet = Fleet(days=9)
    fleet.weekly_job(1, digest=OLD_BUILD, hosts=judged_hosts)
    fleet.weekly_job(8, digest=CAMPAIGN_BUILD)  # the 25 judged hosts and 5 that never ran the product
    fleet.write(store)
    config, _ = judged_config(store, tmp_path / "state.sqlite", judged_hosts)

    found, result = found_on_day(store, 8, config)

    # was: [] (suppressions_applied held the judged shape); the 5 extra hosts are not re-admitted either
    assert [hosts for hosts, _ in found] == [sorted(PRODUCT_HOSTS)]
    assert f"(sha256 {CAMPAIGN_BUILD[:12]})" in found[0][1].pivot.value
    assert "judged_build" not in found[0][1].pivot.props
    assert result.stats["suppressions_applied"] == []
    assert result.stats["verdicts_carried"] == []

