"""RDP brute force and spray against a member server that validates no NTLM are findings (task SPRAY2 item 2).

The server logs each refusal as its own 4625 (logon type 10, the attacker's address, the name its
client wrote) and no ``VALIDATED_AT`` edge names it, so only validators were searched and nothing was
found.  Real ingest through the pipeline into a real journal, on both stores.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from analytics.detect import detect
from graphsiem.store.base import GraphStore
from tests.analytics.test_credential_spray import BASE, credential, ingest, iso


def refused(ts: float, user: str, address: str, record: int, logon_type: str = "10") -> dict[str, Any]:
    """A Winlogbeat 8 Security 4625 of the member server FILES01 (a wrong password)."""
    return {"@timestamp": iso(ts), "agent": {"type": "winlogbeat", "version": "8.11.0"},
            "host": {"name": "files01"},
            "winlog": {"computer_name": "FILES01.corp.example", "event_id": "4625", "channel": "Security",
                       "record_id": record,
                       "event_data": {"TargetUserName": user, "TargetDomainName": "FILES01", "LogonType": logon_type,
                                      "IpAddress": address, "IpPort": "51234", "WorkstationName": "kali",
                                      "Status": "0xc000006d", "SubStatus": "0xc000006a"}},
            "message": "An account failed to log on."}


def test_an_rdp_brute_force_on_a_member_server_is_found(store: GraphStore, tmp_path: Path) -> None:
    records = [refused(BASE + 20 * n, "administrator", "203.0.113.7", 10 + n) for n in range(30)]
    journal = ingest(store, tmp_path, records)

    result = detect(store, journal=journal)

    found = credential(result)
    assert len(found) == 1, result.stats
    record = found[0].credential
    assert record["validator"] == "files01" and record["pattern"] == "brute_force"
    assert [row["label"] for row in record["source_ips"]] == ["203.0.113.7"]
    assert found[0].hosts == ["files01"]
    assert result.stats["credential_failed_logon_hosts"] == 1


def test_an_smb_spray_on_a_member_server_is_found_and_a_few_typos_are_not(store: GraphStore, tmp_path: Path) -> None:
    records = [refused(BASE + 20 * n, f"user{n:02d}", "198.51.100.4", 10 + n, "3") for n in range(15)]
    # another server's three mistyped RDP passwords: below any pattern, no finding
    records += [{**r, "winlog": {**r["winlog"], "computer_name": "APP02.corp.example"}, "host": {"name": "app02"}}
                for r in (refused(BASE + 100 * n, "bob", "10.0.0.8", 900 + n) for n in range(3))]
    journal = ingest(store, tmp_path, records)

    result = detect(store, journal=journal)

    found = credential(result)
    assert [(c.credential["validator"], c.credential["pattern"]) for c in found] == [("files01", "password_spray")]
