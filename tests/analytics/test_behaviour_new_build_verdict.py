"""A benign verdict on a vendor job carries to the job's new build on the same hosts, not to a swap on some (task TREE).

The vendor's weekly job (30 hosts, days 1 and 8) runs ``memdiag.exe``, whose SHA-256 the telemetry
carries, so its shape holds the build's digest.  The analyst marks week 1's cluster benign.  On day 8
the vendor has updated ``memdiag.exe`` on all 30 hosts: a new shape, key and cluster, shown again
(the verdict was on the old build).  Now the new build on at least the judged hosts inherits the
verdict (:mod:`analytics.behaviour_verdicts`); a campaign that replaces ``memdiag.exe`` with its own
build on 10 of the 30 hosts does not (its shape is the judged one's but for the digest too, on a
subset), and is shown while the untouched 20 stay suppressed.

End to end (store -> detect -> state -> detect), on [embedded] and [neo4j].
"""

from __future__ import annotations

from tests.analytics.vendor_fleet import PRODUCT_HOSTS, Fleet, found_on_day, judged_config

OLD_BUILD, NEW_BUILD, CAMPAIGN_BUILD = "ab" * 32, "cd" * 32, "ef" * 32


def test_the_vendors_new_build_on_the_judged_hosts_inherits_the_benign_verdict(store, tmp_path):
    fleet = Fleet(days=9)
    fleet.weekly_job(1, digest=OLD_BUILD)
    fleet.weekly_job(8, digest=NEW_BUILD)
    fleet.write(store)
    config, job = judged_config(store, tmp_path / "state.sqlite")

    found, result = found_on_day(store, 8, config)

    assert found == [], [(c.pivot.value[-200:], hosts) for hosts, c in found]  # was: the 30 hosts again
    assert result.stats["suppressions_applied"] == [list(job.pivot.ref)]
    # a carry is weaker than a verdict given (a trojanised update on the same hosts looks the same): it is said
    assert result.stats["verdicts_carried"] == [{
        "pivot": list(job.pivot.ref), "judged_build": f"sha256 {OLD_BUILD}", "build": f"sha256 {NEW_BUILD}",
        "hosts": len(PRODUCT_HOSTS), "judged_hosts": len(PRODUCT_HOSTS)}]


def test_a_campaign_swapping_the_vendors_binary_on_some_hosts_does_not_inherit_it(store, tmp_path):
    fleet = Fleet(days=9)
    fleet.weekly_job(1, digest=OLD_BUILD)
    swapped = PRODUCT_HOSTS[:10]
    fleet.weekly_job(8, digest=CAMPAIGN_BUILD, hosts=swapped)
    fleet.weekly_job(8, digest=OLD_BUILD, hosts=PRODUCT_HOSTS[10:])
    fleet.write(store)
    config, _ = judged_config(store, tmp_path / "state.sqlite")

    found, _ = found_on_day(store, 8, config)

    assert [hosts for hosts, _ in found] == [swapped]
    assert f"(sha256 {CAMPAIGN_BUILD[:12]})" in found[0][1].pivot.value
