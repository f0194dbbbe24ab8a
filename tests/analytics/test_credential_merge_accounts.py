"""One account list tried on many hosts in the same minutes is one sprayer (task CRED3 item 1).

A sprayer writing a different claimed workstation name to each target, with no address in the 4776,
shares no source between the targets' findings: it made one finding per target.  Its account list
is what it cannot hide.  Findings on different validators whose failing accounts overlap strongly
within the burst window are now one finding that says why (``merged_by``); two unrelated brute forces
in the same hour, two sprays of different lists, the same list a day apart and a month of mistypes on
two DCs are not joined.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from analytics.config import DetectionConfig
from analytics.credential_attempts import Attempt
from analytics.credential_merge import merge_findings
from analytics.credential_spray import (
    BRUTE_FORCE,
    SPRAY,
    CredentialFinding,
    Thresholds,
    find_credential_attacks,
)
from analytics.credential_words import record_lines
from analytics.detect import detect
from graphsiem.api.schemas_clusters import CredentialRecord
from graphsiem.store.embedded import EmbeddedStore
from ingest.journal import Journal
from ingest.pipeline import ingest_paths
from tests.analytics.test_credential_spray import BASE, DAY, credential, mistypes, validation

TARGETS = [f"SRV-{n:02d}" for n in range(6)]


def forged_name_spray(start: float, accounts: int = 12) -> list[dict[str, Any]]:
    """Each target's own 4776 of ``accounts`` made-up accounts, the client claiming a new random name on
    each target (a tool's per-session name) and no address."""
    rng = random.Random(3)
    records = []
    for k, target in enumerate(TARGETS):
        name = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(15)).upper()
        for u in range(accounts):
            record = validation(start + 90 * k + 4 * u, f"svc{u:02d}", name, "0xc0000064", 5000 + 100 * k + u)
            record["winlog"]["computer_name"] = f"{target}.corp.example"
            records.append(record)
    return records


def detect_records(tmp_path: Path, records: list[dict[str, Any]]) -> Any:
    store = EmbeddedStore(tmp_path / "graph")
    path = tmp_path / "records.ndjson"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    with Journal(tmp_path / "journal.sqlite") as journal:
        report = ingest_paths([path], store=store, journal=journal, progress=False)
        assert report.total.rejected == 0
        store.flush()
        return detect(store, journal=journal, config=DetectionConfig(history_days=0))


def test_one_account_list_on_six_servers_under_six_claimed_names_is_one_finding_that_says_why(tmp_path: Path) -> None:
    result = detect_records(tmp_path, forged_name_spray(BASE))
    found = credential(result)
    assert len(found) == 1, [c.hosts for c in found]  # was 6: no shared source between the targets
    assert result.stats["credential_validator_findings"] == 6
    [spray] = found
    assert sorted(spray.hosts) == sorted(t.lower() for t in TARGETS)
    record = spray.to_contract()["credential"]
    assert record["pattern"] == SPRAY and record["validators_total"] == 6 and record["workstations_total"] == 6
    [ground] = record["merged_by"]
    assert ground["ground"] == "shared_accounts" and ground["total"] == 12
    assert ground["values"] == [f"svc{u:02d}" for u in range(12)]
    assert ground["start"].startswith("2026-10-26T") and ground["start"] < ground["end"]
    # said in the summary, the checks, the CLI's lines and the API's typed record
    assert "merged from 6 hosts because the same 12 accounts (svc00, svc01, svc02, ...) failed on each" \
        in spray.explanation.summary
    assert any("because the same 12 accounts" in step.check for step in spray.explanation.checks)
    assert any(line.startswith("    merged by shared accounts (12): svc00") for line in record_lines(record))
    assert CredentialRecord.model_validate(record).merged_by[0].ground == "shared_accounts"


def finding(validator: str, accounts: list[str], start: float, tries: int, source: str) -> CredentialFinding:
    attempts = [Attempt(start + 10 * (n * len(accounts) + i), account, "failure 0xc000006a", source, None,
                        f"{validator}-{n}-{i}", "winsec:credential_validation")
                for n in range(tries) for i, account in enumerate(accounts)]
    found = find_credential_attacks(validator, attempts, Thresholds())
    assert found is not None
    return found


def test_two_unrelated_brute_forces_in_the_same_hour_stay_two() -> None:
    first = finding("dc01", ["corp\\admin"], BASE, 25, "kali")
    second = finding("srv02", ["srv02\\svc_sql"], BASE + 600, 25, "10.0.0.7")
    both = merge_findings([first, second])
    assert [(f.validator, f.worst) for f in both] == [("dc01", BRUTE_FORCE), ("srv02", BRUTE_FORCE)]


def test_two_brute_forces_of_one_common_account_by_two_clients_stay_two() -> None:
    """One shared account is no list: administrator is everyone's first guess."""
    both = merge_findings([finding("dc01", ["administrator"], BASE, 25, "kali"),
                           finding("srv02", ["administrator"], BASE + 300, 25, "parrot")])
    assert len(both) == 2 and all(not f.merged_by for f in both)


def test_sprays_of_lists_sharing_too_few_accounts_stay_two() -> None:
    """Two sprays in the same hour sharing 6 of their 12 accounts (under spray_min_accounts, 10)."""
    first = finding("srv00", [f"u{n:02d}" for n in range(12)], BASE, 1, "aaaa")
    second = finding("srv01", [f"u{n:02d}" for n in range(6, 18)], BASE + 60, 1, "bbbb")
    assert len(merge_findings([first, second])) == 2


def test_a_small_list_inside_a_large_one_is_joined_and_a_tenth_of_it_is_not() -> None:
    """12 accounts all in a 40-account spray: one list (12 shared, all of the smaller); 10 shared of
    a 30-account and a 40-account spray are under half of either: two."""
    big = [f"u{n:02d}" for n in range(40)]
    assert len(merge_findings([finding("srv00", big, BASE, 1, "aaaa"),
                               finding("srv01", big[:12], BASE + 60, 1, "bbbb")])) == 1
    other = big[:10] + [f"x{n:02d}" for n in range(20)]
    assert len(merge_findings([finding("srv00", big, BASE, 1, "aaaa"),
                               finding("srv01", other, BASE + 60, 1, "bbbb")])) == 2


def test_the_same_list_a_day_later_is_another_spray() -> None:
    accounts = [f"u{n:02d}" for n in range(12)]
    assert len(merge_findings([finding("srv00", accounts, BASE, 1, "aaaa"),
                               finding("srv01", accounts, BASE + DAY, 1, "bbbb")])) == 2


def test_a_month_of_mistypes_on_two_dcs_stays_quiet(tmp_path: Path) -> None:
    """500 users mistyping once a day and logging on a minute later, each user's DC one of two."""
    records = mistypes()
    for n, record in enumerate(records):
        if (n // 2) % 2:
            record["winlog"]["computer_name"] = "DC02.corp.example"
    result = detect_records(tmp_path, records)
    assert credential(result) == []
    assert result.stats["credential_validator_findings"] == 0 and result.stats["credential_attempts"] > 900
