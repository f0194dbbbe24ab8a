"""A domain controller's Kerberos events (Security 4768, 4769, 4771) give the graph Zeek's kerberos.log gives
the same authentication: the user ``realm\\name`` with the realm whole, a TGT issued is a log-on at the KDC,
a service ticket only sights the user, a refusal is a failure as 4625 is (task N).

The records follow the event schemas Microsoft documents for these events (the corpus holds none).
"""

from __future__ import annotations

from typing import Any

import pytest

from graphsiem.model import Event, Projection
from ingest.ipmap import IpHostMap
from ingest.parsers.base import ParseContext
from ingest.parsers.windows_kv import WindowsKvParser
from ingest.projection import Projector
from tests.ingest.parsers.test_windows_corpus import _parse_file
from tests.ingest.parsers.windows_kv_cases import SECURITY_HEADER, kv_text
from tests.ingest.test_sid_principals import BY_SID, SID, _record, _run_as, _task, ingest  # noqa: F401
from tests.ingest.test_windows_audit_events import evtx_record, parse
from tests.ingest.test_zeek_logons import AS_REQUEST, KERBEROS, zeek_events

DC = "dc01.pandalab.com"
TGT = {"TargetUserName": "stevie.marie", "TargetDomainName": "PANDALAB.COM", "TargetSid": SID,
       "ServiceName": "krbtgt", "ServiceSid": "S-1-5-21-3623811015-3361044348-30300820-502",
       "TicketOptions": "0x40810010", "Status": "0x0", "TicketEncryptionType": "0x12", "PreAuthType": "2",
       "IpAddress": "::ffff:192.168.1.41", "IpPort": "50000"}
SERVICE_TICKET = {"TargetUserName": "stevie.marie@PANDALAB.COM", "TargetDomainName": "PANDALAB.COM",
                  "ServiceName": "MSSQLSvc$", "ServiceSid": "S-1-5-21-3623811015-3361044348-30300820-1110",
                  "TicketOptions": "0x40810000", "TicketEncryptionType": "0x17", "IpAddress": "::ffff:192.168.1.41",
                  "IpPort": "50001", "Status": "0x0", "LogonGuid": "{00000000-0000-0000-0000-000000000000}"}
PREAUTH_FAILED = {"TargetUserName": "stevie.marie", "TargetSid": SID, "ServiceName": "krbtgt/PANDALAB.COM",
                  "TicketOptions": "0x40810010", "Status": "0x18", "PreAuthType": "2",
                  "IpAddress": "::ffff:192.168.1.41", "IpPort": "50002"}
USER = ("user", "pandalab.com\\stevie.marie")
KDC = ("host", "dc01")
CLIENT = ("ip", "192.168.1.41")


def windows_events(*records: dict[str, Any]) -> list[Event]:
    events = []
    for number, record in enumerate(records):
        event = parse(record)
        event.id = f"w{number}"
        events.append(event)
    return events


def dc_event(event_id: int, data: dict[str, Any]) -> dict[str, Any]:
    return evtx_record(event_id, data, computer=DC)


def edges(projection: Projection) -> set[tuple[tuple[str, str], str, tuple[str, str]]]:
    return {(r.src, r.type, r.dst) for r in projection.relations}


def test_a_tgt_issued_is_the_user_and_its_client_logged_on_the_kdc() -> None:
    (event,) = windows_events(dc_event(4768, TGT))
    assert event.kind == "winsec:kerberos_logon"
    assert event.fields["user.name"] == USER[1]
    assert event.fields["event.outcome"] == "success"
    assert event.fields["source.ip"] == "192.168.1.41"  # ::ffff:192.168.1.41, canonical
    assert event.fields["source.port"] == 50000
    assert (event.fields["kerberos.request_type"], event.fields["kerberos.status"],
            event.fields["kerberos.ticket_encryption"], event.fields["kerberos.pre_auth_type"]) == ("AS", "0x0",
                                                                                                    "0x12", "2")
    assert edges(Projector().project([event])) == {(USER, "LOGGED_ON", KDC), (CLIENT, "LOGGED_ON", KDC)}


@pytest.mark.parametrize(("event_id", "data"), [
    (4768, {**TGT, "Status": "0x6", "TicketEncryptionType": "0xffffffff"}),  # no such principal
    (4771, PREAUTH_FAILED),  # a wrong password
])
def test_a_refused_tgt_or_a_failed_pre_authentication_is_a_failure_as_4625_is(event_id: int,
                                                                              data: dict[str, Any]) -> None:
    (event,) = windows_events(dc_event(event_id, data))
    assert event.kind == "winsec:kerberos_logon_failed"
    assert event.fields["event.outcome"] == "failure"
    assert event.fields["user.name"] == USER[1]  # 4771's realm is its krbtgt/REALM service's
    assert event.fields["kerberos.status"] == data["Status"]
    projection = Projector().project([event])
    assert edges(projection) == {(CLIENT, "CONNECTED", KDC)}
    assert USER in {e.ref for e in projection.entities}


def test_a_service_ticket_sights_the_user_and_keeps_the_encryption_kerberoasting_shows() -> None:
    (event,) = windows_events(dc_event(4769, SERVICE_TICKET))
    assert event.kind == "winsec:kerberos_service_ticket"
    assert event.fields["user.name"] == USER[1]  # stevie.marie@PANDALAB.COM, split
    assert (event.fields["kerberos.request_type"], event.fields["kerberos.service"],
            event.fields["kerberos.ticket_encryption"], event.fields["event.outcome"]) == ("TGS", "MSSQLSvc$",
                                                                                           "0x17", "success")
    projection = Projector().project([event])
    assert not any(r.type == "LOGGED_ON" for r in projection.relations)
    assert edges(projection) == {(CLIENT, "CONNECTED", KDC)}
    assert USER in {e.ref for e in projection.entities}


def test_the_kdc_and_zeek_name_one_user_for_the_same_account() -> None:
    ipmap = IpHostMap()
    ipmap.add_lease("192.168.1.4", "dc01", 0.0, 2e9)  # the KDC's address, as Zeek's records give it
    machine = {**TGT, "TargetUserName": "MKT01$", "TargetSid": "S-1-5-21-3623811015-3361044348-30300820-1105"}
    projection = Projector(ipmap).project([
        *windows_events(dc_event(4768, TGT), dc_event(4769, SERVICE_TICKET), dc_event(4768, machine)),
        *zeek_events(AS_REQUEST, KERBEROS, {**AS_REQUEST, "client": "MKT01$/PANDALAB.COM"}),
    ])
    users = {e.key for e in projection.entities if e.type == "user"}
    assert users == {"pandalab.com\\stevie.marie", "pandalab.com\\mkt01$"}
    assert {r.src for r in projection.relations if r.type == "LOGGED_ON" and r.dst == KDC} == {
        USER, ("user", "pandalab.com\\mkt01$"), CLIENT}


@pytest.mark.parametrize("address", ["-", "::1", "127.0.0.1"])
def test_a_request_from_the_kdc_itself_or_without_an_address_relates_no_client(address: str) -> None:
    (event,) = windows_events(dc_event(4768, {**TGT, "IpAddress": address}))
    assert event.kind == "winsec:kerberos_logon"
    assert edges(Projector().project([event])) == {(USER, "LOGGED_ON", KDC)}


def test_the_sid_of_a_4768_is_kept_but_teaches_no_name(ingest) -> None:  # noqa: F811 - the fixture
    got = ingest(_record(4768, TGT, 1, host="DC01"), _task(2))
    assert got.events[0].kind == "winsec:kerberos_logon"
    assert got.events[0].fields["user.id"] == SID
    # the task's principal stays its SID's node: the 4768's pandalab.com\stevie.marie is not learnt
    assert _run_as(got) == {BY_SID}


def test_the_classic_text_of_a_4768_gives_the_fields_its_event_data_gives() -> None:
    message = ("A Kerberos authentication ticket (TGT) was requested.\n\nAccount Information:\n"
               "\tAccount Name:\t\tstevie.marie\n\tSupplied Realm Name:\tPANDALAB.COM\n"
               "\tUser ID:\t\t\tPANDALAB\\stevie.marie\n\nService Information:\n\tService Name:\t\tkrbtgt\n"
               "\tService ID:\t\tPANDALAB\\krbtgt\n\nNetwork Information:\n\tClient Address:\t\t::ffff:192.168.1.41\n"
               "\tClient Port:\t\t50000\n\nAdditional Information:\n\tTicket Options:\t\t0x40810010\n"
               "\tResult Code:\t\t0x0\n\tTicket Encryption Type:\t0x12\n\tPre-Authentication Type:\t2\n\n"
               "Certificate Information:\n\tCertificate Issuer Name:\t\t\n\tCertificate Serial Number:\t\n"
               "\tCertificate Thumbprint:\t\t\n")
    text = kv_text(SECURITY_HEADER, 4768, "Kerberos Authentication Service", message, host=DC)
    (event,) = WindowsKvParser().parse(text, ParseContext(origin="t"))
    (xml_like,) = windows_events(dc_event(4768, {key: value for key, value in TGT.items() if key != "TargetSid"}))
    assert event.kind == "winsec:kerberos_logon"
    names = ("user.name", "source.ip", "source.port", "event.outcome", "kerberos.request_type", "kerberos.status",
             "kerberos.service", "kerberos.ticket_encryption", "kerberos.pre_auth_type")
    assert {name: event.fields.get(name) for name in names} == {name: xml_like.fields.get(name) for name in names}


def test_the_corpus_4769_is_the_dc_s_own_service_ticket_in_its_realm() -> None:
    # OTRF empire_enable_rdp: HFDC01 (the DC) asks itself a ticket for its own account, from ::1
    events, _, _ = _parse_file("empire_enable_rdp_2019-05-18203650.json")
    (ticket,) = [e for e in events if e.fields.get("event.code") == "4769"]
    assert ticket.kind == "winsec:kerberos_service_ticket"
    assert (ticket.host, ticket.fields["user.name"], ticket.fields["kerberos.service"]) == (
        "hfdc01", "shire.com\\hfdc01$", "HFDC01$")
    assert "source.ip" in ticket.fields  # ::1, kept as a field
    projection = Projector().project([ticket])
    assert ("user", "shire.com\\hfdc01$") in {e.ref for e in projection.entities}
    assert not {r for r in projection.relations if r.type in ("LOGGED_ON", "CONNECTED")}  # from itself
