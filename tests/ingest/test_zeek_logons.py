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
        "domainname": "JERRY", "hostname": "KALI", "server_nb_computer_name": "PC-HELEN",
        "server_dns_computer_name": "PC-helen.jerry.land", "server_tree_name": "jerry.land", "success": True}
AS_REQUEST = {"_path": "kerberos", "ts": 1500.0, "uid": "C2", "id.orig_h": "192.168.1.41", "id.orig_p": 50000,
              "id.resp_h": "192.168.1.4", "id.resp_p": 88, "request_type": "AS",
              "client": "stevie.marie/PANDALAB.COM", "service": "krbtgt/PANDALAB.COM", "success": True}
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
        ("ip", "10.164.94.120", "ip", "10.47.21.82"),  # the client's address (task G4)
    }
    # the claimed name is tied to the address that sent it (task G4)
    assert {(r.src, r.dst) for r in projection.relations if r.type == "CLAIMED_AT"} == {
        (("host", "kali"), ("ip", "10.164.94.120"))}
    # a placeholder workstation, or a tool's default, names no machine
    for hostname in ("NULL", "WORKSTATION"):
        projection = Projector().project(zeek_events({**NTLM, "hostname": hostname}))
        assert logged_on(projection) == {("user", "jerry\\administrator", "ip", "10.47.21.82"),
                                         ("ip", "10.164.94.120", "ip", "10.47.21.82")}


def test_a_refused_or_unsaid_ntlm_logon_is_no_logon_but_the_user_is_kept() -> None:
    refused = {**NTLM, "success": False}
    unsaid = {key: value for key, value in NTLM.items() if key != "success"}
    old_refused = {**unsaid, "status": "STATUS_LOGON_FAILURE"}
    for record in (refused, unsaid, old_refused):
        projection = Projector().project(zeek_events(record))
        assert logged_on(projection) == set(), record
        assert ("user", "jerry\\administrator") in {e.ref for e in projection.entities}, record


def test_kerberos_client_is_the_user_of_its_whole_realm_and_an_as_request_logs_on_at_the_kdc() -> None:
    ipmap = IpHostMap()
    ipmap.add_lease("192.168.1.4", "dc01", 0.0, 1e9)
    projection = Projector(ipmap).project(zeek_events(AS_REQUEST, {**AS_REQUEST, "client": "bob/PANDALAB.COM",
                                                                   "success": False}))
    assert logged_on(projection) == {("user", "pandalab.com\\stevie.marie", "host", "dc01"),
                                     ("ip", "192.168.1.41", "host", "dc01")}
    assert ("user", "pandalab.com\\bob") in {e.ref for e in projection.entities}


def test_a_4624_and_an_ntlm_logon_to_a_server_of_its_domain_are_one_user_node() -> None:
    windows = {"EventTime": "2024-03-05 05:00:09", "Hostname": "DC01.pandalab.com", "EventID": 4624,
               "Channel": "Security", "TargetUserName": "stevie.marie", "TargetDomainName": "PANDALAB",
               "LogonType": "3", "IpAddress": "192.168.1.41", "IpPort": "50123", "WorkstationName": "MKT01"}
    (event,) = default_registry().detect(windows).parse(windows, ParseContext())
    event.id = "w1"
    ntlm = {**NTLM, "username": "Stevie.Marie", "domainname": "PANDALAB", "server_nb_computer_name": "FS01",
            "server_dns_computer_name": "fs01.pandalab.com", "server_tree_name": "pandalab.com"}
    projection = Projector().project([event, *zeek_events(ntlm)])
    users = {(r.src, r.dst) for r in projection.relations if r.type == "LOGGED_ON" and r.src[0] == "user"}
    assert {src for src, _ in users} == {("user", "pandalab\\stevie.marie")}
    assert len(users) == 2  # dc01 (4624) and the NTLM server's address


def test_lsass_campaign_kerberos_users_log_on_at_the_kdc(samples_dir: Path) -> None:
    path = samples_dir / "otrf-security-datasets" / "LSASS_campaign_01_zeek" / "kerberos.log"
    events = []
    with path.open("rb") as stream:
        for number, item in enumerate(ZeekTsvReader().read(stream, str(path))):
            for event in ZeekParser().parse(item.record, ParseContext(path_hint="kerberos")):
                event.id = f"k{number}"
                events.append(event)
    # request_type is unset in this log: a krbtgt/ service is an AS request (task L: only those log on;
    # mkt01$ asked service tickets only, and is sighted)
    projection = Projector().project(events)
    assert {row for row in logged_on(projection) if row[0] == "user"} == {
        ("user", "pandalab.com\\stevie.marie", "ip", "192.168.1.4"),
        ("user", "pandalab.com\\pedro.gustavo", "ip", "192.168.1.4"),
    }
    assert ("user", "pandalab.com\\mkt01$") in {e.ref for e in projection.entities}


def _ntlm_user(record: dict[str, Any]) -> str | None:
    (event,) = zeek_events(record)
    return event.fields.get("user.name")


def test_an_ntlm_domain_is_trusted_only_when_it_is_the_servers_own() -> None:
    """Task L item 2: domainname is typed by the client; a server takes an unknown domain's account as its own."""
    standalone = {**NTLM, "domainname": "PANDALAB", "username": "administrator", "hostname": "DC01",
                  "server_nb_computer_name": "WEB7", "server_dns_computer_name": "WEB7"}
    del standalone["server_tree_name"]
    projection = Projector().project(zeek_events(standalone))
    assert logged_on(projection) == {("user", "web7\\administrator", "ip", "10.47.21.82"),
                                     ("host", "dc01", "ip", "10.47.21.82"), ("ip", "10.164.94.120", "ip", "10.47.21.82")}
    assert ("user", "pandalab\\administrator") not in {e.ref for e in projection.entities}
    # a member of jerry.land: JERRY is its domain (its DC checked the password); another claim is local
    assert _ntlm_user(NTLM) == "jerry\\administrator"
    assert _ntlm_user({**NTLM, "domainname": "PANDALAB"}) == "pc-helen\\administrator"
    assert _ntlm_user({**NTLM, "domainname": "jerry.land"}) == "jerry\\administrator"
    assert _ntlm_user({**NTLM, "domainname": "", "username": "Administrator@JERRY.LAND"}) == "jerry\\administrator"
    # a domain written into the user name is the same claim, never a way round the check
    assert _ntlm_user({**NTLM, "domainname": "JERRY", "username": "PANDALAB\\Administrator"}) == (
        "pc-helen\\administrator")
    # only the tree name known: its first label is the domain
    tree_only = {key: value for key, value in NTLM.items() if key != "server_dns_computer_name"}
    assert _ntlm_user(tree_only) == "jerry\\administrator"


def test_an_ntlm_claim_to_a_server_of_unknown_name_stays_out_of_the_user_key() -> None:
    unknown = {key: value for key, value in NTLM.items() if not key.startswith("server_")}
    assert _ntlm_user({**unknown, "domainname": "PANDALAB"}) == "administrator"
    (event,) = zeek_events({**unknown, "domainname": "PANDALAB"})
    assert event.fields["zeek.domainname"] == "PANDALAB"  # the claim is kept as data
    # a bare name cannot hold a domain either
    assert _ntlm_user({**unknown, "username": "PANDALAB\\x\\administrator"}) is None


def test_kerberos_realms_are_kept_whole_so_two_realms_never_merge() -> None:
    """Task L item 3: CORP.EXAMPLE.COM and CORP.PARTNER.NET were one 'corp'."""
    projection = Projector().project(zeek_events(
        {**AS_REQUEST, "client": "bob/CORP.EXAMPLE.COM"}, {**AS_REQUEST, "uid": "C3", "client": "bob/CORP.PARTNER.NET"},
        {**AS_REQUEST, "uid": "C4", "client": "amy/AD.CONTOSO.COM"},
        {**AS_REQUEST, "uid": "C5", "client": "CORP\\admin/EVIL.EXAMPLE"}))
    assert {r.src[1] for r in projection.relations if r.type == "LOGGED_ON" and r.src[0] == "user"} == {
        "corp.example.com\\bob", "corp.partner.net\\bob", "ad.contoso.com\\amy", "evil.example\\corp\\admin"}


def test_only_a_kerberos_as_request_is_a_logon_at_the_kdc() -> None:
    """Task L item 4: each service ticket was one more LOGGED_ON; a TGS only sights its user."""
    projection = Projector().project(zeek_events(KERBEROS, {**KERBEROS, "uid": "C3", "request_type": "-",
                                                            "service": "HTTP/web.pandalab.com"}))
    assert logged_on(projection) == set()
    assert ("user", "pandalab.com\\stevie.marie") in {e.ref for e in projection.entities}
    assert logged_on(Projector().project(zeek_events(AS_REQUEST))) == {
        ("user", "pandalab.com\\stevie.marie", "ip", "192.168.1.4"), ("ip", "192.168.1.41", "ip", "192.168.1.4")}
