"""A password spray spread over member servers, each under every per-host count (task CRED6 item 2).

Forty accounts tried from one address against twelve member servers, three or four on each, with no
network sensor and no DC log: every server's 4625s stayed under ``spray_min_accounts`` (and under the
count a member server is read at), and nothing was found.  Real ingests of Winlogbeat 4625s through the
pipeline into a real journal and store; detection as the CLI runs it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from analytics.config import ConfigError, DetectionConfig
from analytics.detect import detect
from graphsiem.store.base import GraphStore
from graphsiem.store.embedded import EmbeddedStore
from tests.analytics.test_credential_spray import BASE, credential, ingest, iso

SPRAYER = "10.20.30.40"
SERVERS = [f"SRV{n:02d}" for n in range(12)]


def refused(ts: float, server: str, user: str, address: str, record: int, workstation: str = "-",
            logon_type: str = "3") -> dict[str, Any]:
    """A Winlogbeat 8 Security 4625 (a wrong password, NTLM over SMB) of ``server``."""
    return {"@timestamp": iso(ts), "agent": {"type": "winlogbeat", "version": "8.11.0"},
            "winlog": {"computer_name": f"{server}.corp.example", "event_id": "4625", "channel": "Security",
                       "record_id": record,
                       "event_data": {"TargetUserName": user, "TargetDomainName": "CORP", "LogonType": logon_type,
                                      "IpAddress": address, "IpPort": "51234", "WorkstationName": workstation,
                                      "Status": "0xc000006d", "SubStatus": "0xc000006a",
                                      "LogonProcessName": "NtLmSsp ", "AuthenticationPackageName": "NTLM"}},
            "message": "An account failed to log on."}


def logged_on(ts: float, server: str, user: str, address: str, record: int) -> dict[str, Any]:
    """A Winlogbeat 8 Security 4624 of ``server`` (the user got it right)."""
    event = refused(ts, server, user, address, record)
    event["winlog"]["event_id"] = "4624"
    data = event["winlog"]["event_data"]
    del data["Status"], data["SubStatus"]
    event["message"] = "An account was successfully logged on."
    return event


def spread_spray(start: float, address: str = SPRAYER, workstation: str = "-") -> list[dict[str, Any]]:
    """40 accounts, one wrong password each, round-robin over the twelve servers, 20 s apart."""
    return [refused(start + 20 * n, SERVERS[n % len(SERVERS)], f"user{n:02d}", address, 100 + n, workstation)
            for n in range(40)]


def run(store: GraphStore, tmp_path: Path, records: list[dict[str, Any]],
        config: DetectionConfig | None = None) -> Any:
    with ingest(store, tmp_path, records) as journal:
        return detect(store, journal=journal, config=config or DetectionConfig())


def test_a_spray_spread_over_member_servers_is_one_finding_naming_them(store: GraphStore, tmp_path: Path) -> None:
    result = run(store, tmp_path, spread_spray(BASE + 3600))
    found = credential(result)
    assert len(found) == 1, result.stats  # was none: at most four accounts failed on any one server
    record = found[0].credential
    assert record["pattern"] == "password_spray" and record["accounts_total"] == 40
    assert sorted(record["validators"]) == sorted(name.lower() for name in SERVERS)
    assert sorted(found[0].hosts) == sorted(name.lower() for name in SERVERS)
    assert [row["label"] for row in record["source_ips"]] == [SPRAYER]
    assert [ground["ground"] for ground in record["merged_by"]] == ["shared_source"]
    assert result.stats["credential_spread_hosts"] == 12


def test_a_spray_naming_only_its_workstation_is_read_by_that_name(tmp_path: Path) -> None:
    """No address in the 4625 (a relayed or proxied log-on writes ``-``): the claimed name is the source."""
    result = run(EmbeddedStore(tmp_path / "graph"), tmp_path, spread_spray(BASE + 3600, address="-",
                                                                           workstation="KALI"))
    [found] = credential(result)
    assert [row["label"] for row in found.credential["workstations"]] == ["kali"]
    assert len(found.credential["validators"]) == 12


def test_a_listed_vulnerability_scanner_makes_no_spread_finding(tmp_path: Path) -> None:
    config = DetectionConfig(credential_known_scanners=("10.20.30.0/24",))
    result = run(EmbeddedStore(tmp_path / "graph"), tmp_path, spread_spray(BASE + 3600), config)
    assert credential(result) == [], result.stats


def test_a_service_retrying_one_account_on_many_servers_is_no_spray(tmp_path: Path) -> None:
    """A batch host whose service account's password changed: 5 retries on each of twelve servers, an hour."""
    records = [refused(BASE + 3600 + 60 * n, SERVERS[n % len(SERVERS)], "svc-backup", "10.0.5.5", 100 + n)
               for n in range(60)]
    result = run(EmbeddedStore(tmp_path / "graph"), tmp_path, records)
    assert credential(result) == [], result.stats


def test_a_users_stale_password_on_their_own_devices_is_no_spray(tmp_path: Path) -> None:
    """bob's phone, laptop and desktop keep the old password against three servers: one account."""
    records = [refused(BASE + 3600 + 120 * n, SERVERS[n % 3], "bob", f"10.0.9.{n % 3 + 1}", 100 + n)
               for n in range(30)]
    result = run(EmbeddedStore(tmp_path / "graph"), tmp_path, records)
    assert credential(result) == [], result.stats


def test_users_mistyping_from_one_jump_host_and_logging_on_are_no_spray(tmp_path: Path) -> None:
    """Twelve admins on one jump host each mistype once on a server and log on a minute later."""
    jump = "10.0.7.7"
    records: list[dict[str, Any]] = []
    for n in range(12):
        ts = BASE + 3600 + 240 * n
        records.append(refused(ts, SERVERS[n], f"admin{n:02d}", jump, 100 + 2 * n))
        records.append(logged_on(ts + 40, SERVERS[n], f"admin{n:02d}", jump, 101 + 2 * n))
    result = run(EmbeddedStore(tmp_path / "graph"), tmp_path, records)
    assert credential(result) == [], result.stats


def test_a_spray_on_two_servers_only_is_left_to_the_per_host_counts(tmp_path: Path) -> None:
    """Two hosts are what a user's two machines give: under :data:`SPREAD_MIN_HOSTS`."""
    records = [refused(BASE + 3600 + 20 * n, SERVERS[n % 2], f"user{n:02d}", SPRAYER, 100 + n) for n in range(12)]
    result = run(EmbeddedStore(tmp_path / "graph"), tmp_path, records)
    assert credential(result) == [], result.stats


def test_a_scanner_that_is_no_address_is_refused_by_name() -> None:
    with pytest.raises(ConfigError, match="credential_known_scanners"):
        DetectionConfig(credential_known_scanners=("scanner01",))
    assert DetectionConfig(credential_known_scanners=("10.20.30.40",)).credential_known_scanners == ("10.20.30.40/32",)
