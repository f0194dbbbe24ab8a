"""Failed log-ons on a simulated fleet: benign mistypes, a stale service password, the optional spray.

The domain controller writes 4776 (and 4625/4624 of log-ons to itself), members 4625; the spray is in
the ground truth, and detection over the journal finds it as one likely compromise and nothing else.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from analytics.detect import detect
from analytics.evaluate import evaluate, load_truth
from graphsiem.simulator import simulate
from graphsiem.store.embedded import EmbeddedStore
from ingest.journal import Journal
from ingest.pipeline import ingest_paths
from tests.graphsiem.simulator.conftest import (
    computer_name,
    event_data,
    event_id,
    read_ndjson,
    record_epoch,
)

HOSTS, DAYS, SEED = 30, 2, 11


@pytest.fixture(scope="module")
def spray_run(tmp_path_factory: pytest.TempPathFactory):
    """``(out_dir, truth, records)`` of a 30-host, 2-day run with the password spray added."""
    out = tmp_path_factory.mktemp("sim-spray")
    simulate(out, hosts=HOSTS, days=DAYS, seed=SEED, extra_scenarios=["password_spray"])
    records = []
    for path in sorted((out / "endpoint").glob("*.ndjson")):
        collector = path.name.split("-", 1)[0]
        records.extend((collector, r) for r in read_ndjson(path))
    return out, load_truth(out / "ground_truth.json"), records


def _short(collector: str, record: dict) -> str:
    return computer_name(collector, record).split(".")[0].lower()


def _digests(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_run_with_the_spray_is_byte_identical_per_seed(tmp_path):
    simulate(tmp_path / "a", hosts=20, days=1, seed=5, extra_scenarios=["password_spray"])
    simulate(tmp_path / "b", hosts=20, days=1, seed=5, extra_scenarios=["password_spray"])
    assert _digests(tmp_path / "a") == _digests(tmp_path / "b")


def test_the_dc_validates_and_members_refuse(spray_run):
    _, _, records = spray_run
    on_dc = Counter(event_id(c, r) for c, r in records if _short(c, r) == "dc-01")
    assert set(on_dc) == {4624, 4625, 4769, 4776}
    assert all(_short(c, r) == "dc-01" for c, r in records if event_id(c, r) == 4776)
    member_failures = [(c, r) for c, r in records if event_id(c, r) == 4625 and _short(c, r) != "dc-01"]
    reasons = {event_data(c, r)["SubStatus"] for c, r in member_failures}
    assert "0xC000006A" in reasons and reasons <= {"0xC000006A", "0xC0000071", "0xC0000224"}
    for collector, record in member_failures:
        if collector == "winlogbeat":
            assert record["winlog"]["keywords"] == ["Audit Failure"] and record["event"]["outcome"] == "failure"
        else:
            assert record["EventType"] == "AUDIT_FAILURE"


def test_the_dc_record_ids_follow_its_clock(spray_run):
    _, _, records = spray_run
    dc = sorted((int(r["winlog"]["record_id"]), record_epoch(c, r)) for c, r in records
                if _short(c, r) == "dc-01" and c == "winlogbeat")
    times = [ts for _, ts in dc]
    assert len(times) > 500 and times == sorted(times)


def test_most_mistypes_are_followed_by_a_success_on_the_dc(spray_run):
    _, truth, records = spray_run
    sprayer = next(iter(next(e for e in truth if e.name == "password_spray").hosts - {"dc-01"})).upper()
    checks: dict[tuple[str, str], list[tuple[float, str]]] = defaultdict(list)
    for collector, record in records:
        data = event_data(collector, record)
        # the users' own machines: not the stale service account's retries, not the sprayer's tries
        if (event_id(collector, record) == 4776 and data["TargetUserName"] != "svc-reporting"
                and data["Workstation"] != sprayer):
            checks[(data["TargetUserName"], data["Workstation"])].append((record_epoch(collector, record), data["Status"]))
    mistypes = recovered = 0
    for tries in checks.values():
        tries.sort()
        for i, (ts, status) in enumerate(tries):
            if status != "0xC000006A" or (i and tries[i - 1][1] == "0xC000006A" and ts - tries[i - 1][0] < 60):
                continue  # a second try of the same mistype is the same mistype
            mistypes += 1
            recovered += any(s == "0x0" and 0 < t - ts <= 120 for t, s in tries[i + 1:])
    assert mistypes > 50
    assert 0.85 <= recovered / mistypes < 1.0


def test_the_stale_service_account_fails_every_few_minutes_on_one_server(spray_run):
    _, truth, records = spray_run
    failures = [(c, r) for c, r in records if event_id(c, r) == 4625
                and event_data(c, r)["TargetUserName"] == "svc-reporting"]
    assert {_short(c, r) for c, r in failures} <= {h for e in truth if e.name == "stale_service_password" for h in e.hosts}
    assert len({_short(c, r) for c, r in failures}) == 1
    assert {event_data(c, r)["LogonType"] for c, r in failures} == {"5"}
    per_hour = Counter(int(record_epoch(c, r) // 3600) for c, r in failures)
    assert 9 <= sorted(per_hour.values())[len(per_hour) // 2] <= 15  # the median hour: about 12


def test_the_spray_is_in_the_truth_with_one_right_password(spray_run):
    _, truth, records = spray_run
    spray = next(e for e in truth if e.name == "password_spray")
    assert spray.kind == "attack" and "dc-01" in spray.hosts and len(spray.hosts) == 2
    sprayer = next(iter(spray.hosts - {"dc-01"})).upper()
    assert len(spray.indicators) == HOSTS - 1 and all(kind == "user" for kind, _ in spray.indicators)
    from_sprayer = [event_data(c, r) for c, r in records if event_id(c, r) == 4776
                    and event_data(c, r)["Workstation"] == sprayer]
    own_user = {event_data(c, r)["TargetUserName"] for c, r in records
                if event_id(c, r) == 4625 and _short(c, r) == sprayer.lower()}  # its user's mistypes
    right = [d for d in from_sprayer if d["Status"] == "0x0" and d["TargetUserName"] not in own_user]
    assert len(right) == 1
    assert sum(1 for d in from_sprayer if d["TargetUserName"] == right[0]["TargetUserName"]) == 2  # round 1, round 2
    assert f"corp\\{right[0]['TargetUserName']}" in {value for _, value in spray.indicators}


def test_detection_finds_the_spray_as_a_likely_compromise_and_no_other_credential_finding(spray_run, tmp_path):
    out, truth, records = spray_run
    sprayer = next(iter(next(e for e in truth if e.name == "password_spray").hosts - {"dc-01"})).upper()
    own_user = {event_data(c, r)["TargetUserName"] for c, r in records
                if event_id(c, r) == 4625 and _short(c, r) == sprayer.lower()}
    found = {event_data(c, r)["TargetUserName"] for c, r in records if event_id(c, r) == 4776
             and event_data(c, r)["Workstation"] == sprayer and event_data(c, r)["Status"] == "0x0"} - own_user
    store = EmbeddedStore(tmp_path / "graph")
    with Journal(tmp_path / "journal.sqlite") as journal:
        report = ingest_paths([out / "endpoint", out / "network"], store=store, journal=journal, progress=False)
        assert report.total.rejected == 0
        ranking = [c.to_contract() for c in detect(store, journal=journal).clusters]
    result = evaluate(ranking, truth)
    # the account the sprayer found, and none of the sprayed users who mistyped on their own machines meanwhile
    assert [row["account"] for row in ranking[0]["credential"]["compromised"]] == [f"corp\\{name}" for name in found]
    assert result.credential == [{"rank": 1, "pattern": "likely_compromise", "validator": "dc-01",
                                  "matched": "password_spray"}]
    assert result.ranks["password_spray"] == 1
    assert result.ranks["stale_service_password"] is None
