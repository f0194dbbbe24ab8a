"""Red team T13 findings 3, 5 and 6 on credential findings (task SPRAYFIX).

* One endpoint trying made-up local accounts against thirty workstations is one spray, one finding
  listing the thirty hosts, not thirty findings burying a campaign.
* A spray in rounds more than the burst window apart still names the account its later round broke.
* A spray paced under the hourly threshold (one try every 401 s: 215 accounts a day) is found by the
  per-source daily count, with the password it found.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from analytics.config import ConfigError, DetectionConfig
from analytics.credential_attempts import Attempt
from analytics.credential_spray import COMPROMISE, SPRAY, Thresholds, find_credential_attacks
from analytics.credential_words import record_lines
from analytics.detect import detect
from graphsiem.store.embedded import EmbeddedStore
from ingest.journal import Journal
from ingest.pipeline import ingest_paths
from tests.analytics.behaviour_campaign import HOSTS, H
from tests.analytics.test_antivirus_corroboration import AT, NOW
from tests.analytics.test_credential_spray import iso
from tests.analytics.vendor_fleet import Fleet


def local_validation(host: str, ts: float, user: str, record: int) -> dict[str, Any]:
    """A workstation's own 4776: an unknown local account, the client claiming WS-039."""
    return {"@timestamp": iso(ts), "agent": {"type": "winlogbeat", "version": "8.11.0"},
            "winlog": {"computer_name": host, "event_id": "4776", "channel": "Security", "record_id": record,
                       "event_data": {"PackageName": "MICROSOFT_AUTHENTICATION_PACKAGE_V1_0", "TargetUserName": user,
                                      "Workstation": "WS-039", "Status": "0xc0000064"}},
            "message": "The computer attempted to validate the credentials for an account."}


def test_one_source_spraying_thirty_workstations_is_one_finding_below_which_the_campaign_ranks(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "graph")
    fleet = Fleet(days=2)
    agent = "C:\\Program Files\\Agent\\agentupd.exe"
    for i, host in enumerate(HOSTS[12:40]):
        fleet.process(host, "agentupd", f'"{agent}" /update', agent, AT + 240 * i, 300)
    fleet.dropper_campaign("dr", HOSTS[0:22], AT + 4 * H)
    fleet.write(store)
    records = [local_validation(host, AT + 5 * H + 120 * k + 5 * u, f"noone{u}", 1000 + u)
               for k, host in enumerate(HOSTS[:30]) for u in range(10)]
    path = tmp_path / "noise.ndjson"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    with Journal(tmp_path / "journal.sqlite") as journal:
        ingest_paths([path], store=store, journal=journal, progress=False)
        store.flush()
        result = detect(store, config=DetectionConfig(history_days=0), now=NOW, journal=journal)
    found = [c for c in result.clusters if c.credential is not None]
    assert len(found) == 1, [c.pivot.ref for c in found]  # was 30, one per workstation
    [spray] = found
    assert sorted(spray.hosts) == sorted(h.lower() for h in HOSTS[:30])
    record = spray.to_contract()["credential"]
    assert record["pattern"] == SPRAY and record["validators_total"] == 30
    assert record["validators"][0] == record["validator"] == spray.hosts[0]
    assert [w["label"] for w in record["workstations"]] == ["ws-039"]
    assert result.stats["credential_validator_findings"] == 30 and result.stats["credential_findings"] == 1
    assert "30 hosts" in spray.explanation.summary
    assert record_lines(record)[0].endswith("and 29 more hosts")
    # the campaign is the next case, not the 31st
    campaign = next(n for n, c in enumerate(result.clusters) if "behaviour" in c.pivot.ref[1])
    assert campaign == 1


def rounds(gap_minutes: float) -> dict[str, list[str]] | None:
    """30 accounts, one password a round, three rounds; corp\\u7's password is the second round's."""
    tries = []
    for r in range(3):
        for u in range(30):
            if r == 2 and u == 7:
                continue
            outcome = "success" if (r, u) == (1, 7) else "failure 0xc000006a"
            tries.append(Attempt(r * gap_minutes * 60 + 2 * u, f"corp\\u{u}", outcome, "kali", None,
                                 f"e{r}-{u}", "winsec:credential_validation"))
    finding = find_credential_attacks("dc01", sorted(tries, key=lambda a: a.ts), Thresholds())
    return None if finding is None else finding.patterns


@pytest.mark.parametrize("gap_minutes", [55, 65, 180])
def test_a_spray_in_rounds_an_hour_or_more_apart_names_the_account_it_broke(gap_minutes: float) -> None:
    patterns = rounds(gap_minutes)
    assert patterns is not None and patterns[COMPROMISE] == ["corp\\u7"]


def test_a_success_from_another_source_after_the_rounds_is_not_the_sprayers() -> None:
    """u7 logs on from her own machine two hours after the first round: she mistyped nothing the
    sprayer sent, so no compromise (the rounds rule asks for a spray source)."""
    tries = [Attempt(2.0 * u, f"corp\\u{u}", "failure 0xc000006a", "kali", None, f"e{u}", "x") for u in range(30)]
    tries.append(Attempt(7200.0, "corp\\u7", "success", "ws-0007", None, "own", "x"))
    finding = find_credential_attacks("dc01", tries, Thresholds())
    assert finding is not None and COMPROMISE not in finding.patterns


def slow_spray(gap: float, source_per_try: bool = False) -> list[Attempt]:
    """One account a try every ``gap`` seconds for a day, then a success of one of them."""
    tries = [Attempt(gap * i, f"corp\\u{i}", "failure 0xc000006a", f"ws-{i:04d}" if source_per_try else "kali",
                     None if source_per_try else "10.9.9.9", f"e{i}", "winsec:credential_validation")
             for i in range(int(86400 // gap))]
    tries.append(Attempt(tries[-1].ts + 30, "corp\\u100", "success", tries[100].workstation, tries[100].source_ip,
                         "ok", "winsec:credential_validation"))
    return tries


def test_a_spray_paced_under_the_hourly_threshold_is_found_by_its_source_daily_count() -> None:
    finding = find_credential_attacks("dc01", slow_spray(401), Thresholds())
    assert finding is not None  # was None: 9 accounts a sliding hour
    assert len(finding.patterns[SPRAY]) == 215 and finding.patterns[COMPROMISE] == ["corp\\u100"]


def test_the_daily_count_is_per_source_and_a_setting() -> None:
    # the same pace from 215 different machines is a day of users' mistypes, not one sprayer
    assert find_credential_attacks("dc01", slow_spray(401, source_per_try=True), Thresholds()) is None
    assert find_credential_attacks("dc01", slow_spray(401), Thresholds(daily_spray_min_accounts=300)) is None
    # never below the hourly threshold: raising spray_min_accounts raises the daily bar too
    assert find_credential_attacks("dc01", slow_spray(401), Thresholds(spray_min_accounts=216)) is None
    assert DetectionConfig(spray_daily_min_accounts=50).credential_thresholds().daily_spray_min_accounts == 50
    with pytest.raises(ConfigError, match="spray_daily_min_accounts must be an integer >= 1, got 0"):
        DetectionConfig(spray_daily_min_accounts=0)
