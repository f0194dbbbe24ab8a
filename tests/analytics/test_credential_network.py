"""A network sensor's authentication failures are credential attempts (task CRED3 item 2).

Zeek's ``ntlm.log`` and ``kerberos.log`` were projected (a success is a log-on) but their failures fed
no finding: a sensor watching a DC saw a spray the endpoints never logged, and ``detect`` said
nothing.  Now each refused NTLM authentication and each refused Kerberos pre-authentication is an
attempt on its target (the host the IP map gives ``id.resp_h``, else the address), judged by the same
patterns, and one the DC logged too counts once.  Real ingests through the pipeline into a real
journal; the Brim WRCCDC logs are the corpus case.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson

from analytics.config import DetectionConfig
from analytics.credential_network import sensor_attempt
from analytics.detect import detect
from graphsiem.store.base import GraphStore
from graphsiem.store.embedded import EmbeddedStore
from ingest.journal import Journal
from ingest.pipeline import ingest_paths
from tests.analytics.test_credential_spray import BASE, validation

SPRAYER = "10.9.9.9"
DC_IP = "10.0.0.10"


def ntlm(ts: float, user: str, success: bool | None, n: int, workstation: str = "KALI") -> dict[str, Any]:
    """A Zeek 5 ntlm.log record of the sprayer's NTLM authentication to DC01 over SMB."""
    record = {"_path": "ntlm", "ts": ts, "uid": f"C{n:06d}", "id.orig_h": SPRAYER, "id.orig_p": 40000 + n,
              "id.resp_h": DC_IP, "id.resp_p": 445, "username": user, "hostname": workstation,
              "domainname": "CORP", "server_nb_computer_name": "DC01",
              "server_dns_computer_name": "dc01.corp.example", "server_tree_name": "corp.example"}
    if success is not None:
        record["success"] = success
    return record


def kerberos(ts: float, user: str, error: str | None, n: int) -> dict[str, Any]:
    """A Zeek kerberos.log AS request of ``user`` to DC01, refused with ``error`` (None: granted)."""
    return {"_path": "kerberos", "ts": ts, "uid": f"K{n:06d}", "id.orig_h": SPRAYER, "id.orig_p": 50000 + n,
            "id.resp_h": DC_IP, "id.resp_p": 88, "request_type": "AS", "client": f"{user}/CORP.EXAMPLE",
            "service": "krbtgt/CORP.EXAMPLE", "success": error is None, **({"error_msg": error} if error else {})}


def dhcp_lease() -> dict[str, Any]:
    """DC01 holds 10.0.0.10 for the day (the IP map's evidence)."""
    return {"_path": "dhcp", "ts": BASE - 600, "uids": ["D1"], "client_addr": DC_IP, "server_addr": "10.0.0.1",
            "mac": "00:11:22:33:44:55", "host_name": "DC01", "assigned_addr": DC_IP, "lease_time": 86400.0,
            "msg_types": ["REQUEST", "ACK"]}


def run(store: GraphStore, tmp_path: Path, records: list[dict[str, Any]]) -> Any:
    path = tmp_path / "logs.ndjson"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    with Journal(tmp_path / "journal.sqlite") as journal:
        report = ingest_paths([path], store=store, journal=journal, progress=False)
        assert report.total.rejected == 0 and report.total.accepted == len(records)
        store.flush()
        return detect(store, journal=journal, config=DetectionConfig(history_days=0))


def credential(result: Any) -> list[Any]:
    return [c for c in result.clusters if c.credential is not None]


def ntlm_spray(start: float) -> list[dict[str, Any]]:
    """Fourteen accounts, two wrong passwords each, a few seconds apart."""
    return [ntlm(start + 20 * u + 300 * k, f"user{u:02d}", False, 100 * k + u) for k in range(2) for u in range(14)]


def test_a_spray_only_the_sensor_saw_is_a_finding_on_the_mapped_dc(store: GraphStore, tmp_path: Path) -> None:
    found = credential(run(store, tmp_path, [dhcp_lease(), *ntlm_spray(BASE)]))
    assert len(found) == 1  # was none: the sensor's failures were no attempts
    record = found[0].credential
    assert record is not None and record["pattern"] == "password_spray" and found[0].hosts == ["dc01"]
    assert record["accounts_total"] == 14 and all(row["failures"] >= 1 for row in record["accounts"])
    assert [row["label"] for row in record["source_ips"]] == [SPRAYER]
    assert [row["label"] for row in record["workstations"]] == ["kali"]
    assert [row["label"] for row in record["outcomes"]] == ["failure"]
    assert found[0].evidence and found[0].evidence[0]["source"] == "zeek"


def test_an_unmapped_server_is_named_by_its_address(tmp_path: Path) -> None:
    found = credential(run(EmbeddedStore(tmp_path / "graph"), tmp_path, ntlm_spray(BASE)))
    assert [c.hosts for c in found] == [[DC_IP]]
    assert found[0].pivot.ref == ("ip", DC_IP)  # an address, not a host named like one


def test_refused_preauthentication_is_a_brute_force_and_the_preauth_request_leg_is_nothing(tmp_path: Path) -> None:
    records = [kerberos(BASE + 30 * n, "admin", "KDC_ERR_PREAUTH_FAILED", n) for n in range(22)]
    # every ordinary Kerberos log-on starts with KDC_ERR_PREAUTH_REQUIRED; a wrong realm checks no password
    records += [kerberos(BASE + 5 * n, f"user{n:02d}", "KDC_ERR_PREAUTH_REQUIRED", 100 + n) for n in range(40)]
    records += [kerberos(BASE + 7 * n, f"user{n:02d}", "KDC_ERR_WRONG_REALM", 200 + n) for n in range(40)]
    result = run(EmbeddedStore(tmp_path / "graph"), tmp_path, records)
    [found] = credential(result)
    record = found.credential
    assert record is not None and record["patterns"] == {"brute_force": ["corp.example\\admin"]}
    assert record["outcomes"] == [{"label": "failure kerberos 0x18", "count": 22,
                                   "meaning": "wrong password (Kerberos pre-authentication)"}]
    assert result.stats["credential_network_attempts"] == 22


def test_an_exchange_without_a_stated_outcome_is_no_attempt() -> None:
    assert sensor_attempt("z", "zeek:ntlm", 1.0, {"user.name": "bob", "source.ip": SPRAYER}) is None
    failed = sensor_attempt("z", "zeek:ntlm", 1.0, {"user.name": "bob", "event.outcome": "failure",
                                                     "zeek.status": "STATUS_WRONG_PASSWORD"})
    assert failed is not None and failed.outcome == "failure 0xc000006a"


def test_an_attempt_the_dc_and_the_sensor_both_saw_counts_once(tmp_path: Path) -> None:
    """The sensor's record of each 4776 is dropped (same account, outcome, claimed name, 1 s apart); the
    sensor's try of user14, which the DC's log lacks, is kept."""
    records: list[dict[str, Any]] = [dhcp_lease()]
    for k in range(2):
        for u in range(14):
            ts = BASE + 20 * u + 300 * k
            records.append(validation(ts + 1, f"user{u:02d}", "KALI", "0xc000006a", 1000 + 100 * k + u))
            records.append(ntlm(ts, f"user{u:02d}", False, 100 * k + u))
    records.append(ntlm(BASE + 900, "user14", False, 900))
    result = run(EmbeddedStore(tmp_path / "graph"), tmp_path, records)
    [found] = credential(result)
    record = found.credential
    assert record is not None and found.hosts == ["dc01"]
    failures = {row["account"].rpartition("\\")[2]: row["failures"] for row in record["accounts"]}
    assert failures == {f"user{u:02d}": 1 if u == 14 else 2 for u in range(15)}  # not 4 each: no double count
    assert result.stats["credential_network_attempts"] == 1


def brim_records(samples_dir: Path, name: str) -> list[dict[str, Any]]:
    path = samples_dir / "brimdata-zed-sample-data" / "zeek-json" / name
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]


def test_the_brim_sensor_logs_hold_no_refused_attempt(samples_dir: Path, tmp_path: Path) -> None:
    """WRCCDC's ntlm.log: 10.150.0.20 sent 13 'name:password' strings to five servers, but Zeek saw no
    answer to any (``success`` unset, as for 216 of its 422 records; 206 succeeded, none failed): no
    outcome, no attempt.  Its kerberos.log refused one request,
    for a wrong realm: no password checked.  The DC's rotating names stay the one finding."""
    ntlm_log, kerberos_log = brim_records(samples_dir, "ntlm.json"), brim_records(samples_dir, "kerberos.json")
    assert len(ntlm_log) == 422 and len(kerberos_log) == 11
    assert sum(1 for r in ntlm_log if "success" not in r) == 216
    assert not any(r.get("success") is False for r in ntlm_log)
    assert [r.get("error_msg") for r in kerberos_log if r.get("success") is False] == ["KDC_ERR_WRONG_REALM"]
    store = EmbeddedStore(tmp_path / "graph")
    paths = [samples_dir / "brimdata-zed-sample-data" / "zeek-json" / name
             for name in ("ntlm.json", "kerberos.json", "syslog.json")]
    with Journal(tmp_path / "journal.sqlite") as journal:
        ingest_paths(paths, store=store, journal=journal, progress=False)
        store.flush()
        result = detect(store, journal=journal)
    assert result.stats["credential_network_attempts"] == 0
    assert [(c.hosts, c.credential["pattern"]) for c in credential(result) if c.credential] == \
        [(["kramer"], "rotating_workstations")]


def test_the_window_reads_the_sensor_logons_on_their_index(tmp_path: Path) -> None:
    """Sensor records have no host: without the partial index the window's would be a journal scan."""
    from analytics.credential_network import _SQL

    with Journal(tmp_path / "journal.sqlite") as journal:
        plan = journal.connection.execute("EXPLAIN QUERY PLAN " + _SQL, (BASE, BASE + 1.0)).fetchall()
    assert "USING INDEX sensor_logons_by_time" in " ".join(str(row[3]) for row in plan)
