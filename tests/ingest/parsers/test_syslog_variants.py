"""Syslog device variants the audit of 2026-11-29 found lost (M6-M11, a guard for L10): into the graph.

Cisco ASA layouts, LEEF 1.0/2.0 payloads, sshd's own log-on lines, CEF
``dhost`` without ``dst``, endpoint CEF processes and scheme-less ``request``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graphsiem.model import Event
from ingest.journal import Journal
from ingest.parsers.base import ParseContext, ParseError
from ingest.parsers.syslog import SyslogParser
from ingest.parsers.syslog_leef import leef_time, split_leef
from ingest.pipeline import ingest_paths

PARSER = SyslogParser()
CONTEXT = ParseContext(origin="t:1", reference_year=2024)
ASA_BUILT = "%ASA-6-302013: Built outbound TCP connection 7 for outside:198.51.100.7/443 to inside:10.1.2.42/50000"


def _epoch(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def parse(line: str, context: ParseContext = CONTEXT) -> Event:
    assert PARSER.sniff(line)
    (event,) = PARSER.parse(line, context)
    return event


def ingest(tmp_path: Path, journal: Journal, graph, *lines: str, received_at: float | None = None):
    """Ingest ``lines`` as one syslog file of 2024; the report and the journaled events."""
    path = tmp_path / "device.log"
    path.write_text("".join(line + "\n" for line in lines), "utf-8")
    report = ingest_paths([path], store=graph, journal=journal, progress=False, reference_year=2024,
                          received_at=received_at)
    return report, [item.event for item in journal.iter_events()]


def relations(graph, relation: str) -> set:
    return {(r.src, r.dst) for r in graph.iter_relations(relation)}


# -- M6: Cisco ASA layouts ------------------------------------------------------------------------


@pytest.mark.parametrize(("line", "host"), [
    (f"<166>Mar 05 2024 10:15:33: {ASA_BUILT}", None),  # logging timestamp, no device-id
    (f"<166>Mar 05 2024 10:15:33 fw01 : {ASA_BUILT}", "fw01"),  # logging device-id hostname
    (f"Mar 05 2024 10:15:33 fw01 : {ASA_BUILT}", "fw01"),  # as a syslog server wrote it, no PRI
    (f"<166>Mar 05 10:15:33 fw01 {ASA_BUILT}", "fw01"),  # a relay's RFC 3164 header
])
def test_cisco_asa_layouts_are_read_with_the_message_id_as_event_code(line: str, host: str | None) -> None:
    event = parse(line)
    # a Built connection is the firewall's view of other machines (syslog_asa): the firewall is the observer
    assert (event.kind, event.host, event.ts) == ("syslog:message", None, _epoch("2024-03-05T10:15:33"))
    assert event.fields.get("observer.name") == host
    assert event.fields["event.code"] == "302013"
    assert (event.fields["observer.vendor"], event.fields["observer.product"]) == ("Cisco", "ASA")
    assert "log.syslog.appname" not in event.fields  # %ASA-6-302013 is no program name
    assert event.fields["log.syslog.severity"] == "info"
    assert event.fields["message"].startswith("Built outbound TCP connection 7")


def test_a_cisco_line_without_timestamp_in_a_file_is_rejected_naming_the_rule(tmp_path, journal, graph) -> None:
    report, events = ingest(tmp_path, journal, graph, f"<166>{ASA_BUILT}", f"<166>fw01 : {ASA_BUILT}",
                            f"<166>Mar 05 2024 10:15:33: {ASA_BUILT}")
    assert (report.total.received, report.total.accepted, report.total.rejected) == (3, 1, 2)
    reasons = [row.reason for row in journal.rejected()]
    assert all("Cisco line has no timestamp" in reason and "receipt time" in reason for reason in reasons), reasons
    assert [e.fields["event.code"] for e in events] == ["302013"]


def test_a_cisco_line_without_timestamp_from_the_listener_takes_its_receipt_time(tmp_path, journal, graph) -> None:
    received = _epoch("2024-03-05T10:15:40")
    report, events = ingest(tmp_path, journal, graph, f"<166>fw01 : {ASA_BUILT}", received_at=received)
    assert report.total.accepted == 1
    (event,) = events
    assert (event.ts, event.fields["observer.name"], event.fields["log.syslog.time_source"]) == (
        received, "fw01", "receipt")


# -- M7: LEEF 1.0 and 2.0 -------------------------------------------------------------------------

LEEF_1 = ("<13>Mar  5 10:15:34 fw02 LEEF:1.0|Microsoft|MSExchange|4.0|15345|src=10.50.1.1\tdst=198.51.100.7\t"
          "srcPort=50000\tdstPort=443\tusrName=CORP\\bob\turl=https://mail.example.com/owa\t"
          "devTime=Mar 05 2024 10:15:30")


@pytest.mark.parametrize("line", [
    LEEF_1,
    LEEF_1.replace("\t", "#011"),  # rsyslog's escape of a tab
    LEEF_1.replace("LEEF:1.0", "LEEF:2.0").replace("15345|", "15345|^|").replace("\t", "^"),
    LEEF_1.replace("LEEF:1.0", "LEEF:2.0").replace("15345|", "15345|0x7C|").replace("\t", "|"),  # "|" by hex
    LEEF_1.replace("LEEF:1.0", "LEEF:2.0").replace("15345|", "15345|x09|"),
    LEEF_1.replace("LEEF:1.0", "LEEF:2.0"),  # 2.0 without the optional delimiter field: tabs
])
def test_leef_payloads_give_the_fields_cef_payloads_give(line: str) -> None:
    event = parse(line)
    assert (event.kind, event.host, event.ts) == ("leef:event", None, _epoch("2024-03-05T10:15:30"))
    expected = {
        "source.ip": "10.50.1.1", "destination.ip": "198.51.100.7", "source.port": 50000,
        "destination.port": 443, "user.name": "corp\\bob", "url.full": "https://mail.example.com/owa",
        "url.domain": "mail.example.com", "event.code": "15345", "observer.vendor": "Microsoft",
        "observer.product": "MSExchange", "observer.name": "fw02",
    }
    assert {key: event.fields.get(key) for key in expected} == expected


@pytest.mark.parametrize(("attributes", "moment"), [
    ({"devTime": "1709633730000"}, "2024-03-05T10:15:30"),
    ({"devTime": "2024-03-05 11:15:30.5 +0100", "devTimeFormat": "yyyy-MM-dd HH:mm:ss.SSS Z"}, "2024-03-05T10:15:30.5"),
    ({"devTime": "05/03/2024 10:15:30", "devTimeFormat": "dd/MM/yyyy HH:mm:ss"}, "2024-03-05T10:15:30"),
    ({"devTime": "Mar 05 2024 10:15:30", "devTimeFormat": "MMM dd yyyy HH:mm:ss"}, "2024-03-05T10:15:30"),
])
def test_leef_dev_time_reads_in_its_format(attributes: dict, moment: str) -> None:
    assert leef_time(attributes, CONTEXT) == (_epoch(moment), [])


def test_an_unreadable_leef_dev_time_gives_way_to_the_header_time() -> None:
    event = parse("<13>Mar  5 10:15:34 fw02 LEEF:1.0|V|P|1|7|src=10.0.0.5\tdevTime=later\tdevTimeFormat=yyyy")
    assert (event.ts, event.fields["log.syslog.time_source"]) == (_epoch("2024-03-05T10:15:34"), "header")
    assert event.fields["leef.devTime"] == "later"


@pytest.mark.parametrize(("line", "reason"), [
    ("LEEF:1.0|V|P|1", "LEEF header"),
    ("LEEF:1.0|V|P|1|7|src=10.0.0.5", "without devTime"),
])
def test_bad_leef_lines_are_rejected_with_a_reason(line: str, reason: str) -> None:
    with pytest.raises(ParseError, match=reason):
        parse(line)


def test_a_leef_identity_event_maps_its_address_and_the_flow_reaches_the_host(tmp_path, journal, graph) -> None:
    identity = ("LEEF:2.0|Vendor|Identity|1.0|login|^|identSrc=10.0.0.5^identHostName=WS-0042.corp.example^"
                "usrName=jdoe^devTime=1709633730000")
    flow = "<13>Mar  5 10:15:34 fw02 LEEF:1.0|V|Firewall|1|allow|src=10.0.0.5\tdst=198.51.100.7\tdstPort=443"
    report, events = ingest(tmp_path, journal, graph, identity, flow)
    assert report.total.accepted == 2
    assert events[0].fields["source.hostname"] == "ws-0042"
    assert (("host", "ws-0042"), ("ip", "198.51.100.7")) in relations(graph, "CONNECTED")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60), st.sampled_from(["\t", "^", "#011", " "]))
# random LEEF payloads through the parser: test_syslog.py (with CEF's)
def test_split_leef_never_raises_anything_but_parse_error(body: str, delimiter: str) -> None:
    try:
        header, attributes = split_leef(f"LEEF:2.0|V|P|1|7|{delimiter}|" + body.replace(",", delimiter))
    except ParseError:
        return
    assert len(header) == 5 and all(isinstance(value, str) for value in attributes.values())


# -- M8: sshd's own lines -------------------------------------------------------------------------


@pytest.mark.parametrize(("message", "user", "port", "outcome"), [
    ("Accepted password for jdoe from 192.0.2.66 port 52311 ssh2", "jdoe", 52311, "success"),
    ("Accepted publickey for jdoe from 192.0.2.66 port 52311 ssh2: RSA SHA256:abc", "jdoe", 52311, "success"),
    ("Failed password for invalid user admin from 192.0.2.66 port 52311 ssh2", "admin", 52311, "failure"),
    ("Failed password for root from 192.0.2.66 port 52311 ssh2", "root", 52311, "failure"),
    ("Invalid user admin from 192.0.2.66 port 52311", "admin", 52311, "failure"),
    ("Invalid user admin from 192.0.2.66", "admin", None, "failure"),
])
def test_sshd_log_on_lines_name_the_user_the_client_and_the_outcome(message, user, port, outcome) -> None:
    fields = parse(f"<38>Mar  5 10:00:12 web-01 sshd[4250]: {message}").fields
    assert (fields["user.name"], fields["source.ip"], fields.get("source.port"), fields["event.outcome"]) == (
        user, "192.0.2.66", port, outcome)


def test_the_sshd_user_is_an_entity_seen_on_the_server(tmp_path, journal, graph) -> None:
    ingest(tmp_path, journal, graph, "<38>Mar  5 10:00:12 web-01 sshd[4250]: Accepted password for jdoe "
                                     "from 192.0.2.66 port 52311 ssh2")
    assert graph.get_entity("user", "jdoe") is not None
    assert ("web-01", ("user", "jdoe")) in {(s.host, s.entity) for s in graph.iter_sightings()}


# -- M9: CEF dhost without dst --------------------------------------------------------------------

ARCSIGHT_4625 = ("<13>Mar  5 10:00:08 conn01 CEF:0|Microsoft|Microsoft Windows||Microsoft-Windows-Security-"
                 "Auditing:4625|An account failed to log on.|Low|dhost=DC01.corp.example.com src=192.0.2.66 "
                 "duser=jdoe rt=1709632808000")


def test_a_dhost_without_dst_is_the_destination_host_not_a_dns_name(tmp_path, journal, graph) -> None:
    _, (event,) = ingest(tmp_path, journal, graph, ARCSIGHT_4625)
    assert event.fields["destination.hostname"] == "dc01"
    assert event.fields["cef.dhost"] == "DC01.corp.example.com"
    assert "destination.domain" not in event.fields
    assert not relations(graph, "RESOLVED")  # no DNS resolution happened
    assert graph.get_entity("domain", "dc01.corp.example.com") is None


def test_a_name_without_an_address_makes_no_host_entity(tmp_path, journal, graph) -> None:
    # dhost cut to its first label is a field only: as an entity, every site's "www" would be
    # one fleet host (the review of 141d74c, which related the source to it)
    line = ("<13>Mar  5 10:00:08 proxy01 CEF:0|Zscaler|NSSWeb|5.0|Blocked|Blocked|5|act=Blocked "
            "src=10.1.2.3 dhost=www.evil-site.example request=http://www.evil-site.example/a rt=1709632808000")
    ingest(tmp_path, journal, graph, line)
    assert graph.get_entity("host", "www") is None
    assert all(("host", "www") not in pair for rel in ("CONNECTED", "RESOLVED") for pair in relations(graph, rel))


def test_a_dhost_that_is_the_reporting_computer_makes_it_the_events_host(tmp_path, journal, graph) -> None:
    # ArcSight's Windows connector names the computer as dvchost too: the event is that computer's
    _, (event,) = ingest(tmp_path, journal, graph, ARCSIGHT_4625.replace("dhost=", "dvchost=DC01.corp.example.com dhost="))
    assert (event.host, event.fields["host.name.original"]) == ("dc01", "DC01.corp.example.com")
    assert graph.get_entity("host", "dc01") is not None and not relations(graph, "RESOLVED")


# -- M10: endpoint CEF processes ------------------------------------------------------------------

EDR = ("<13>Mar  5 10:00:08 conn01 CEF:0|Example|EDR|1|7|Process started|5|dvchost=WS-0042.corp.example "
       "sproc=C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\PowerShell.exe spid=0x10c2 "
       "cs1Label=CommandLine cs1=powershell.exe -nop -enc SQBFAFgA "
       "cs2Label=ParentProcessName cs2=C:\\Windows\\System32\\wscript.exe cs3Label=Parent Command Line "
       "cs3=wscript.exe invoice.vbs dproc=C:\\Windows\\System32\\lsass.exe dpid=640 rt=1709632808000")


def test_endpoint_cef_processes_become_process_entities(tmp_path, journal, graph) -> None:
    _, (event,) = ingest(tmp_path, journal, graph, EDR)
    fields = event.fields
    assert fields["process.executable"] == "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\PowerShell.exe"
    assert (fields["process.name"], fields["process.pid"]) == ("powershell.exe", 0x10C2)
    assert fields["process.command_line"] == "powershell.exe -nop -enc SQBFAFgA"
    assert fields["process.command_line_decoded"] == "IEX"
    assert (fields["process.parent.name"], fields["process.parent.command_line"]) == (
        "wscript.exe", "wscript.exe invoice.vbs")
    assert (fields["target.process.name"], fields["target.process.pid"]) == ("lsass.exe", 640)
    assert "cef.CommandLine" not in fields
    assert fields["process.parent.executable"] == "C:\\Windows\\System32\\wscript.exe"
    # the event is the endpoint's (dvchost), the connector only relayed it
    assert (event.host, fields["host.name.original"], fields["log.syslog.hostname"]) == (
        "ws-0042", "WS-0042.corp.example", "conn01")
    ran = {graph.get_entity(*process).props.get("command_line") for host, process in relations(graph, "RAN")
           if host == ("host", "ws-0042")}
    assert ran == {"powershell.exe -nop -enc SQBFAFgA", "wscript.exe invoice.vbs"}  # its parent ran there too
    assert any(graph.get_entity(*parent).props.get("command_line") == "wscript.exe invoice.vbs"
               for parent, _ in relations(graph, "SPAWNED"))


# -- M11: CEF request without a scheme ------------------------------------------------------------

PAN_URL = ("<14>Mar  5 10:00:09 pa01 CEF:0|Palo Alto Networks|PAN-OS|10.1|url|THREAT|1|src=10.0.0.5 "
           "dst=198.51.100.7 {port}request=\"cdn.example/img/logo.png\" rt=1709632809000")


def test_a_request_without_scheme_gives_the_url_when_the_port_tells_the_scheme(tmp_path, journal, graph) -> None:
    _, (event,) = ingest(tmp_path, journal, graph, PAN_URL.format(port="dpt=443 "))
    assert event.fields["url.full"] == "https://cdn.example/img/logo.png"
    assert (event.fields["url.domain"], event.fields["url.path"]) == ("cdn.example", "/img/logo.png")
    url = ("url", "https://cdn.example/img/logo.png")
    assert (("ip", "10.0.0.5"), url) in relations(graph, "REQUESTED")
    assert (url, ("domain", "cdn.example")) in relations(graph, "ON")


def test_a_request_without_scheme_or_port_gives_the_domain_only(tmp_path, journal, graph) -> None:
    _, (event,) = ingest(tmp_path, journal, graph, PAN_URL.format(port=""))
    assert "url.full" not in event.fields  # http:// or https://: a guess would key a URL apart
    assert event.fields["url.domain"] == "cdn.example"
    assert (("ip", "10.0.0.5"), ("domain", "cdn.example")) in relations(graph, "RESOLVED")


def test_a_parent_written_as_a_bare_name_is_a_name_not_an_executable_path() -> None:
    fields = parse("CEF:0|V|EDR|1|7|p|1|dvchost=ws1 sproc=cmd.exe cs2Label=Parent Process Name cs2=Explorer.EXE "
                   "cs3Label=ParentProcessId cs3=0x1a2b rt=1709632809000").fields
    assert (fields["process.name"], fields["process.parent.name"], fields["process.parent.pid"]) == (
        "cmd.exe", "explorer.exe", 0x1A2B)
    assert "process.executable" not in fields and "process.parent.executable" not in fields


@pytest.mark.parametrize(("request_value", "expected"), [
    ('"http://cdn.example/a b"', "http://cdn.example/a b"),
    ("'https://x.example/'", "https://x.example/"),
])
def test_a_quoted_request_is_read_without_its_quotes(request_value: str, expected: str) -> None:
    event = parse(f"CEF:0|V|Proxy|1|7|req|1|src=10.0.0.5 request={request_value} rt=1709632809000")
    assert event.fields["url.full"] == expected


@pytest.mark.parametrize("request_value", ["not a url", "/only/a/path", "localhost/x"])
def test_a_request_that_is_no_host_and_path_stays_as_written(request_value: str) -> None:
    fields = parse(f"CEF:0|V|Proxy|1|7|req|1|src=10.0.0.5 request={request_value} rt=1709632809000").fields
    assert fields["url.original"] == request_value and "url.domain" not in fields


# -- L10: a HOSTNAME written as an address --------------------------------------------------------


def test_a_hostname_written_as_an_address_reaches_the_host_the_map_knows(tmp_path, journal, graph) -> None:
    # a guard, not a fix of this parser: the projection maps an event host that is an IP (it did before)
    lease = tmp_path / "dhcp.json"
    lease.write_text('{"_path":"dhcp","ts":"2024-03-05T09:00:00Z","mac":"aa:aa:aa:aa:aa:01","host_name":"WS-0300",'
                     '"assigned_addr":"10.1.2.42","lease_time":86400.0,"msg_types":["REQUEST","ACK"]}\n')
    ingest_paths([lease], store=graph, journal=journal, progress=False)
    _, events = ingest(tmp_path, journal, graph, "<38>Mar  5 10:00:12 10.1.2.42 sshd[4250]: Accepted password "
                                                 "for jdoe from 192.0.2.66 port 52311 ssh2")
    assert events[-1].host == "10.1.2.42"  # the journal keeps what the line said
    assert ("ws-0300", ("user", "jdoe")) in {(s.host, s.entity) for s in graph.iter_sightings()}
    assert graph.get_entity("host", "10.1.2.42") is None


def test_leef_items_without_a_key_belong_to_the_value_before_them() -> None:
    # joined once per key now (re-joining the growing value per item was quadratic: a 1 MB
    # line took 4 CPU-s); the value is the same
    _, attributes = split_leef("LEEF:2.0|V|P|1|1|^|a=b ^ x^y ^c= d^ z")
    assert attributes == {"a": "b^ x^y", "c": "d^ z"}


def test_a_leef_time_layout_repeating_a_field_falls_back_to_the_header_time() -> None:
    line = "<13>Mar  5 10:15:30 q LEEF:2.0|V|P|1|41|^|src=10.0.1.8^devTime=2024 2024^devTimeFormat=yyyy yyyy"
    event = parse(line)
    assert event.fields["leef.devTime"] == "2024 2024"
    assert event.fields["log.syslog.time_source"] == "header"
