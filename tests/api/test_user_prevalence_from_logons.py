"""A user seen only in network telemetry is dated by its logons (review U1 #6).

On the Brim corpus ``kramer\\guest`` has four NTLM logons (17:22-17:29Z) to addresses no host maps,
and its entity showed "fleet hosts 0, first seen —, last seen —": the prevalence counted host
sightings only.  Its logons and credential validations now date it, and ``logon_targets`` counts
the machines it logged on to or was validated at.  Real Zeek NTLM records and a DC's 4776 through
the ingest pipeline, on both stores.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ingest.journal import Journal
from ingest.pipeline import ingest_records
from tests.api.conftest import Api


def _ntlm(uid: str, ts: float, server: str) -> dict[str, Any]:
    return {"_path": "ntlm", "ts": ts, "uid": uid, "id.orig_h": "172.20.0.25", "id.orig_p": 49419,
            "id.resp_h": server, "id.resp_p": 445, "username": "guest", "domainname": "KRAMER",
            "hostname": "AIdqOuDhHrkCN8Hy", "server_nb_computer_name": "KRAMER", "success": True}


def test_a_user_with_logons_to_unmapped_addresses_has_a_first_and_last_seen(api: Api, tmp_path: Path) -> None:
    records = [_ntlm("C1", 1521912155.0, "172.20.0.2"), _ntlm("C2", 1521912600.0, "172.20.0.2"),
               _ntlm("C3", 1521912575.0, "172.20.0.3")]
    with Journal(tmp_path / "data" / "journal.sqlite") as journal:  # the API's data directory
        ingest_records(records, store=api.ctx.store, journal=journal, origin="api")
    api.ctx.store.flush()

    entity = api.get("/v1/entities/user/kramer\\guest", role="analyst").json()

    assert entity["hosts"] == []
    assert entity["prevalence"]["hosts"] == 0
    assert entity["prevalence"]["first_seen"] == "2018-03-24T17:22:35.000Z"
    assert entity["prevalence"]["last_seen"] == "2018-03-24T17:30:00.000Z"
    assert entity["prevalence"]["logon_targets"] == 2


def test_other_entities_have_no_logon_targets(api: Api, tmp_path: Path) -> None:
    with Journal(tmp_path / "data" / "journal.sqlite") as journal:  # the API's data directory
        ingest_records([_ntlm("C1", 1521912155.0, "172.20.0.2")], store=api.ctx.store, journal=journal,
                       origin="api")
    api.ctx.store.flush()
    assert "logon_targets" not in api.get("/v1/entities/ip/172.20.0.2", role="analyst").json()["prevalence"]


def test_the_machines_a_user_logged_on_to_are_named_with_their_count(api: Api, tmp_path: Path) -> None:
    # task PAGE3 #1: the page showed "12 machines" and no name
    servers = [f"172.20.0.{n}" for n in range(30, 18, -1)]
    records = [_ntlm(f"C{i}", 1521912155.0 + i, server) for i, server in enumerate(servers)]
    with Journal(tmp_path / "data" / "journal.sqlite") as journal:
        ingest_records(records, store=api.ctx.store, journal=journal, origin="api")
    api.ctx.store.flush()

    prevalence = api.get("/v1/entities/user/kramer\\guest", role="analyst").json()["prevalence"]

    assert prevalence["logon_targets"] == 12
    assert prevalence["logon_target_names"] == sorted(servers)[:10]
    assert prevalence["logon_target_names_truncated"] is True


def test_a_user_with_few_logon_machines_names_them_all(api: Api, tmp_path: Path) -> None:
    records = [_ntlm("C1", 1521912155.0, "172.20.0.3"), _ntlm("C2", 1521912600.0, "172.20.0.2")]
    with Journal(tmp_path / "data" / "journal.sqlite") as journal:
        ingest_records(records, store=api.ctx.store, journal=journal, origin="api")
    api.ctx.store.flush()
    prevalence = api.get("/v1/entities/user/kramer\\guest", role="analyst").json()["prevalence"]
    assert prevalence["logon_target_names"] == ["172.20.0.2", "172.20.0.3"]
    assert prevalence["logon_target_names_truncated"] is False
