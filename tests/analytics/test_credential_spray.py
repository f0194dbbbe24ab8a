"""Password spraying, brute force and a success after failures are findings (task SPRAY).

Session 19 projected NTLM validations (4776) as ``user VALIDATED_AT <dc>`` with tallies, but nothing
scored them: ``detect`` showed nothing of a spray.  Now one cluster per validator carries the pattern,
the accounts, the claimed workstations (claims, never hosts), the outcomes with their meaning and the
compromised accounts, ranked by the pattern's risk.  Real ingests through the pipeline into a real
journal, on both stores (the Neo4j case against the server the test session starts); the Brim
WRCCDC syslog is the corpus case.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from analytics.config import ConfigError, DetectionConfig
from analytics.detect import detect
from graphsiem.cli.detect_cmd import render_table
from graphsiem.store.base import GraphStore
from graphsiem.store.embedded import EmbeddedStore
from ingest.journal import Journal
from ingest.pipeline import ingest_paths

DAY = 86400
BASE = 1_793_000_000  # 2026-10-26, a Monday 08:53 UTC
HOSTILE = "x'}) MATCH (n) DETACH DELETE n //"


def iso(ts: float) -> str:
    import time
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(ts))


def validation(ts: float, user: str, workstation: str, status: str, record: int) -> dict[str, Any]:
    """A Winlogbeat 8 Security 4776 of DC01."""
    return {"@timestamp": iso(ts), "agent": {"type": "winlogbeat", "version": "8.11.0"},
            "host": {"name": "collector01"},
            "winlog": {"computer_name": "DC01.corp.example", "event_id": "4776", "channel": "Security",
                       "record_id": record,
                       "event_data": {"PackageName": "MICROSOFT_AUTHENTICATION_PACKAGE_V1_0",
                                      "TargetUserName": user, "Workstation": workstation, "Status": status}},
            "message": "The computer attempted to validate the credentials for an account."}


def ingest(store: GraphStore, tmp_path: Path, records: list[dict[str, Any]]) -> Journal:
    path = tmp_path / "dc.ndjson"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    journal = Journal(tmp_path / "journal.sqlite")
    report = ingest_paths([path], store=store, journal=journal, progress=False)
    assert report.total.rejected == 0 and report.total.accepted == len(records)
    store.flush()
    return journal


def credential(result: Any) -> list[Any]:
    return [c for c in result.clusters if c.credential is not None]


def spray_records(start: float) -> list[dict[str, Any]]:
    """30 accounts, 2 tries each, random claimed names, over 9 minutes; carol's second try succeeds
    from the sprayer's name of her first try (the sprayer found her password)."""
    rng = random.Random(5)
    records = []
    for n in range(30):
        user = "carol" if n == 7 else f"user{n:02d}"
        name = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(16))
        status = "0xc0000064" if n % 10 == 9 else "0xc000006a"
        records.append(validation(start + 9 * n, user, name, status, 1000 + 2 * n))
        second = "0x0" if user == "carol" else status
        records.append(validation(start + 9 * n + 300, user, name, second, 1001 + 2 * n))
    return records


def test_a_spray_with_a_found_password_is_the_top_finding_and_explained(store: GraphStore, tmp_path: Path) -> None:
    records = spray_records(BASE + 3600)
    records.append(validation(BASE, "dave", HOSTILE, "0x0", 1))  # a claim that is data, never Cypher
    with ingest(store, tmp_path, records) as journal:
        result = detect(store, journal=journal)
    found = credential(result)
    assert len(found) == 1
    cluster = found[0]
    assert result.clusters[0] is cluster and cluster.score == 95.0  # a compromise is the highest severity
    record = cluster.to_contract()["credential"]
    assert record["pattern"] == "likely_compromise"
    assert len(record["patterns"]["password_spray"]) == 29 and record["patterns"]["likely_compromise"] == ["carol"]
    assert record["validator"] == "dc01" and cluster.hosts == ["dc01"]
    assert record["accounts_total"] == 30 and record["workstations_total"] == 30
    assert [c["account"] for c in record["compromised"]] == ["carol"]
    meanings = {o["label"]: o["meaning"] for o in record["outcomes"]}
    assert meanings == {"failure 0xc000006a": "wrong password", "failure 0xc0000064": "no such user",
                        "success": "succeeded"}
    summary = cluster.explanation.summary
    assert summary.startswith("Likely compromise: 30 claimed workstations tried 30 accounts on dc01 between ")
    assert "failed with 'wrong password'" in summary and "then a log-on as carol from claimed workstation " in summary
    assert cluster.explanation.checks and "carol" in cluster.explanation.checks[0].check
    # claimed names stay claims: no host of that name, and the cluster's hosts are the DC alone
    for name in (w["label"] for w in record["workstations"]):
        assert store.get_entity("host", name) is None
    assert len(cluster.evidence) == 20 and cluster.evidence[0]["source"] == "winlogbeat"
    assert result.stats["credential_findings"] == 1


def test_one_account_failing_many_times_is_a_brute_force(store: GraphStore, tmp_path: Path) -> None:
    records = [validation(BASE + 30 * n, "admin", "kali", "0xc000006a", 10 + n) for n in range(25)]
    with ingest(store, tmp_path, records) as journal:
        found = credential(detect(store, journal=journal))
    assert len(found) == 1
    record = found[0].credential
    assert record is not None and record["pattern"] == "brute_force" and found[0].score == 80.0
    assert record["accounts"] == [{"account": "admin", "attempts": 25, "failures": 25, "successes": 0,
                                   "compromised": False}]
    assert found[0].explanation.summary.startswith("Brute force: 1 claimed workstation tried 1 account on dc01")


def mistypes() -> list[dict[str, Any]]:
    """A month of 500 users each mistyping once a day, at a random time of the working day, and
    logging on from their own workstation a minute later: about 50 failing accounts an hour."""
    rng = random.Random(11)
    records: list[dict[str, Any]] = []
    for day in range(30):
        for n in range(500):
            ts = BASE + day * DAY + rng.uniform(0, 10 * 3600)
            records.append(validation(ts, f"user{n:03d}", f"ws-{n:04d}", "0xc000006a", len(records)))
            records.append(validation(ts + rng.uniform(5, 90), f"user{n:03d}", f"ws-{n:04d}", "0x0", len(records)))
    return records


def test_a_month_of_mistypes_by_500_users_is_not_a_spray(tmp_path: Path) -> None:
    records = mistypes()
    store = EmbeddedStore(tmp_path / "graph")
    with ingest(store, tmp_path, records) as journal:
        result = detect(store, journal=journal)
    assert credential(result) == []
    assert result.stats["credential_attempts"] > 900  # the window's day was read, and judged ordinary


def test_a_spray_among_the_mistypes_names_only_the_account_it_broke(tmp_path: Path) -> None:
    """Users who mistype during the spray and log on from their own machine (the edge's tally has known
    it for weeks) are not compromised; carol, who succeeded from the sprayer's name, is."""
    records = mistypes()
    for record in spray_records(BASE + 29 * DAY + 4 * 3600):
        record["winlog"]["record_id"] += 10**6
        records.append(record)
    store = EmbeddedStore(tmp_path / "graph")
    with ingest(store, tmp_path, records) as journal:
        [found] = credential(detect(store, journal=journal))
    assert found.credential is not None
    assert found.credential["patterns"]["likely_compromise"] == ["carol"]
    assert found.credential["patterns"]["password_spray"] == sorted(f"user{n:02d}" for n in range(30) if n != 7)


def test_without_a_journal_the_stats_say_why_nothing_was_looked_for(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "graph")
    ingest(store, tmp_path, spray_records(BASE)).close()
    result = detect(store)
    assert credential(result) == [] and result.stats["credential_attempts"] == "no journal"


def test_thresholds_are_settings_and_bad_values_are_refused(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "graph")
    with ingest(store, tmp_path, spray_records(BASE)) as journal:
        assert credential(detect(store, journal=journal, config=DetectionConfig(spray_min_accounts=40,
                                                                                compromise_min_failures=2))) == []
    with pytest.raises(ConfigError, match="spray_min_accounts must be an integer >= 1, got 0"):
        DetectionConfig(spray_min_accounts=0)
    with pytest.raises(ConfigError, match="credential_burst_minutes must be > 0"):
        DetectionConfig.from_dict({"credential_burst_minutes": -5})


def test_the_brim_dcs_rotating_claimed_workstations_are_found(samples_dir: Path, tmp_path: Path) -> None:
    """The Brim WRCCDC DC (kramer) validated jerry\\guest 192 times in 8 minutes from 15 random claimed
    names (``yygrhabrvpznn8lb``...) and ``workstation``: all succeeded, so no spray by failures, but
    the names are a tool's: the finding says so, and no name is a host."""
    store = EmbeddedStore(tmp_path / "graph")
    path = samples_dir / "brimdata-zed-sample-data" / "zeek-default" / "syslog.log"
    with Journal(tmp_path / "journal.sqlite") as journal:
        ingest_paths([path], store=store, journal=journal, progress=False)
        store.flush()
        result = detect(store, journal=journal)
    found = credential(result)
    assert [c.hosts for c in found] == [["kramer"]]
    record = found[0].credential
    assert record is not None and record["pattern"] == "rotating_workstations"
    assert record["patterns"] == {"rotating_workstations": ["jerry\\guest"]}
    names = {w["label"] for w in record["workstations"]}
    assert "yygrhabrvpznn8lb" in names and record["workstations_total"] >= 10
    # every claimed name stays a claim (two of the tool's names also came in 4624s with 10.150.0.20: since
    # task UFIX those are no hosts either)
    assert "5inhnfgcacbxct4a" in names and all(store.get_entity("host", name) is None for name in names)
    assert found[0].explanation.summary.startswith("Rotating claimed workstations: ")
    assert "on kramer between 16:06 and" in found[0].explanation.summary
    # the CLI's text prints the record, claims said to be claims
    text = render_table(result.to_contract()["clusters"], top=3, duration_s=0.1)
    assert "  credential: rotating_workstations on kramer" in text
    assert "    claimed workstations (claims, not hosts; 15): workstation x14, yygrhabrvpznn8lb x1" in text


def test_the_store_finds_the_relations_active_in_a_window(store: GraphStore, tmp_path: Path) -> None:
    """``relations_active``: the edges whose span meets the window, on both stores."""
    records = [validation(BASE, "old", "ws-1", "0x0", 1), validation(BASE + 10 * DAY, "old", "ws-1", "0x0", 2),
               validation(BASE + DAY, "early", "ws-2", "0x0", 3), validation(BASE + 20 * DAY, "late", "ws-3", "0x0", 4)]
    ingest(store, tmp_path, records).close()
    window = (BASE + 5 * DAY, BASE + 12 * DAY)
    active = store.relations_active("VALIDATED_AT", *window)
    assert [(r.src, r.dst, r.count) for r in active] == [(("user", "old"), ("host", "dc01"), 2)]
    assert active[0].tallies is not None and active[0].tallies["outcomes"] == {"success": 2}
    assert store.relations_active("LOGGED_ON", *window) == []
    with pytest.raises(ValueError):
        store.relations_active("NOT_A_RELATION", *window)
