"""Explanations claim only what the data can tell (task F8), on a simulated fleet with one day of data.

simulate (60 hosts x 1 day, seed 3) -> ingest -> detect.  The store holds nothing from before
the detection window, so nothing can be called "new in the fleet": every explanation is low
confidence and says why.  On that fleet too: LSASS, which the seed campaign's PowerShell opens,
is a member but no new member (it is only the target), and the checks of the seed campaign and
the vulnerable driver start with what the hosts did, not with "look for a deployment job".
"""

from __future__ import annotations

import re

import pytest

from analytics.checks import BEHAVIOUR_STEPS
from analytics.explain import NO_HISTORY
from analytics.lineage import image_name
from tests.analytics.simulated import simulated_detection

_SYNC = ("first_contact_spread_min", "burst_hosts")


@pytest.fixture(scope="module")
def one_day(tmp_path_factory):
    result, truth = simulated_detection(tmp_path_factory.mktemp("fleet-one-day"), hosts=60, days=1, seed=3, density=0.3)
    return result.clusters, {t.name: t for t in truth}


def _cluster(clusters, truth, name):
    entry = truth[name]
    return next(c for c in clusters if set(c.hosts) == entry.hosts and c.pivot.ref in entry.indicators)


def test_without_data_before_the_window_every_explanation_is_low_confidence_and_says_why(one_day):
    clusters, _ = one_day
    assert clusters
    for cluster in clusters:
        explanation = cluster.explanation
        assert explanation.confidence == "low"
        assert cluster.to_contract()["score_confidence"] == "low"
        assert explanation.summary.endswith(NO_HISTORY)
        assert "new in the fleet" not in explanation.summary.replace(NO_HISTORY, "")
        last = explanation.checks[-1]
        assert last.feature is None and "data from before the detection window" in last.check
        for check in explanation.checks[:-1]:  # no step calls anything new
            assert "new " not in check.check.lower(), check.check


def test_the_seed_campaign_summary_keeps_its_facts_without_calling_them_new(one_day):
    clusters, truth = one_day
    summary = _cluster(clusters, truth, "seed_campaign").explanation.summary
    # the lure's pair is a fact of the window (a one-day fleet cannot call it new); since projection 15
    # the wscript.exe build the lure ran is a member too, so its own pair may be listed beside it
    seen = re.search(r"; ([^;]*) (?:was|were) seen in the window", summary)
    assert seen is not None, summary
    assert "powershell.exe spawned by wscript.exe" in seen.group(1).split(", ")
    assert "encoded PowerShell command" in summary and "LSASS memory accessed" in summary
    assert "download from a new domain" not in summary


def test_lsass_is_a_member_of_the_seed_campaign_but_no_new_member(one_day):
    clusters, truth = one_day
    cluster = _cluster(clusters, truth, "seed_campaign")
    lsass = [e for e in cluster.entities if e.type == "process" and image_name(e.value, e.props) == "lsass.exe"]
    assert lsass, "the seed campaign's LSASS access makes lsass.exe a member"
    assert lsass[0].ref not in cluster.explanation.new_members  # only the target of the access
    assert not any("lsass.exe" in check.check for check in cluster.explanation.checks)


@pytest.mark.parametrize("name", ["seed_campaign", "byovd"])
def test_what_the_hosts_did_comes_before_look_for_a_deployment_job(one_day, name):
    clusters, truth = one_day
    checks = _cluster(clusters, truth, name).explanation.checks
    features = [c.feature for c in checks]
    assert features[0] in BEHAVIOUR_STEPS
    sync = next(i for i, f in enumerate(features) if f in _SYNC)
    assert all(f in BEHAVIOUR_STEPS for f in features[:sync])
    assert "look for a deployment job" in checks[sync].check
