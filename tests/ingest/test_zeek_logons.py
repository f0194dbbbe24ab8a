"""Zeek NTLM and Kerberos accounts are users, logged on where the server accepted them (task G, item 2)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from graphsiem.model import Event, Projection
from ingest.ipmap import IpHostMap
from ingest.parsers.base import ParseContext
from ingest.parsers.zeek import ZeekParser
from ingest.projection import Projector
from ingest.readers.zeek_tsv import ZeekTsvReader
from ingest.registry import default_registry

NTLM = {"_path": "ntlm", "ts": "2018-03-24T17:15:21.608646Z", "uid": "C1", "id.orig_h": "10.164.94.120",
        "id.orig_p": 36315, "id.resp_h": "10.47.21.82", "id.resp_p": 445, "username": "Administrator",
        "domainname": "JERRY", "hostname": "KALI", "server_nb_computer_name": "PC-HELEN", "success": True}
KERBEROS = {"_path": "kerberos", "ts": 1500.0, "uid": "C2", "id.orig_h": "192.168.1.41", "id.orig_p": 50000,
            "id.resp_h": "192.168.1.4", "id.resp_p": 88, "request_type": "TGS",
            "client": "stevie.marie/PANDALAB.COM", "service": "cifs/DC01.pandalab.com", "success": True}


def zeek_events(*records: dict[str, Any]) -> list[Event]:
    events = []
    for number, record in enumerate(records):
        for event in ZeekParser().parse(dict(record), ParseContext()):
            event.id = f"z{number}"
            events.append(event)
    return events


def logged_on(projection: Projection) -> set[tuple[str, str, str, str]]:
    return {(*r.src, *r.dst) for r in projection.relations if r.type == "LOGGED_ON"}


def test_an_accepted_ntlm_logon_is_the_user_and_the_claimed_workstation_logged_on_the_server() -> None:
    projection = Projector().project(zeek_events(NTLM))
    assert logged_on(projection) == {
        ("user", "jerry\\administrator", "ip", "10.47.21.82"),
        ("host", "kali", "ip", "10.47.21.82"),
    }
    # a placeholder workstation names no machine
    projection = Projector().project(zeek_events({**NTLM, "hostname": "NULL"}))
    assert logged_on(projection) == {("user", "jerry\\administrator", "ip", "10.47.21.82")}


def test_a_refused_or_unsaid_ntlm_logon_is_no_logon_but_the_user_is_kept() -> None:
    refused = {**NTLM, "success": False}
    unsaid = {key: value for key, value in NTLM.items() if key != "success"}
    old_refused = {**unsaid, "status": "STATUS_LOGON_FAILURE"}
    for record in (refused, unsaid, old_refused):
        projection = Projector().project(zeek_events(record))
        assert logged_on(projection) == set(), record
        assert ("user", "jerry\\administrator") in {e.ref for e in projection.entities}, record


def test_kerberos_client_is_the_windows_user_of_the_realm_and_logs_on_at_the_kdc() -> None:
    ipmap = IpHostMap()
    ipmap.add_lease("192.168.1.4", "dc01", 0.0, 1e9)
    projection = Projector(ipmap).project(zeek_events(KERBEROS, {**KERBEROS, "client": "bob/PANDALAB.COM",
                                                                 "success": False}))
    assert logged_on(projection) == {("user", "pandalab\\stevie.marie", "host", "dc01")}
    assert ("user", "pandalab\\bob") in {e.ref for e in projection.entities}


def test_a_4624_and_a_zeek_logon_of_one_account_are_one_user_node() -> None:
    windows = {"EventTime": "2024-03-05 05:00:09", "Hostname": "DC01.pandalab.com", "EventID": 4624,
               "Channel": "Security", "TargetUserName": "stevie.marie", "TargetDomainName": "PANDALAB",
               "LogonType": "3", "IpAddress": "192.168.1.41", "IpPort": "50123", "WorkstationName": "MKT01"}
    (event,) = default_registry().detect(windows).parse(windows, ParseContext())
    event.id = "w1"
    events = [event, *zeek_events(KERBEROS, {**NTLM, "username": "Stevie.Marie", "domainname": "PANDALAB"})]
    projection = Projector().project(events)
    users = {(r.src, r.dst) for r in projection.relations if r.type == "LOGGED_ON" and r.src[0] == "user"}
    assert {src for src, _ in users} == {("user", "pandalab\\stevie.marie")}
    assert len(users) == 3  # dc01 (4624), the KDC's and the NTLM server's addresses


def test_lsass_campaign_kerberos_users_log_on_at_the_kdc(samples_dir: Path) -> None:
    path = samples_dir / "otrf-security-datasets" / "LSASS_campaign_01_zeek" / "kerberos.log"
    events = []
    with path.open("rb") as stream:
        for number, item in enumerate(ZeekTsvReader().read(stream, str(path))):
            for event in ZeekParser().parse(item.record, ParseContext(path_hint="kerberos")):
                event.id = f"k{number}"
                events.append(event)
    assert logged_on(Projector().project(events)) == {
        ("user", "pandalab\\stevie.marie", "ip", "192.168.1.4"),
        ("user", "pandalab\\pedro.gustavo", "ip", "192.168.1.4"),
        ("user", "pandalab\\mkt01$", "ip", "192.168.1.4"),
    }
