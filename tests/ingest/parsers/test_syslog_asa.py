"""Cisco ASA messages read into the traffic they name (ingest/parsers/syslog_asa.py), into the graph.

The common connection, access-list, URL and NAT messages give the source and
destination fields other network parsers give; such a line is the firewall's
view of other machines, so it has no host and the firewall is its observer.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from graphsiem.model import Event
from ingest.journal import Journal
from ingest.parsers.base import ParseContext
from ingest.parsers.syslog import SyslogParser
from ingest.pipeline import ingest_paths

PARSER = SyslogParser()
CONTEXT = ParseContext(origin="t:1", reference_year=2024)
HEAD = "<166>Mar 05 2024 10:15:33 fw01 : "
LEASE = ('{"_path":"dhcp","ts":"2024-03-05T09:00:00Z","mac":"aa:aa:aa:aa:aa:01","host_name":"WS-0300",'
         '"assigned_addr":"10.1.2.3","lease_time":86400.0,"msg_types":["REQUEST","ACK"]}\n')
"""ws-0300 holds 10.1.2.3 all day."""


def parse(message: str) -> Event:
    line = HEAD + message
    assert PARSER.sniff(line)
    (event,) = PARSER.parse(line, CONTEXT)
    return event


def ingest(tmp_path: Path, journal: Journal, graph, *messages: str) -> list[Event]:
    """A DHCP lease for 10.1.2.3, then ``messages`` as one ASA log file of 2024, in one call."""
    (tmp_path / "dhcp.json").write_text(LEASE)
    (tmp_path / "asa.log").write_text("".join(HEAD + message + "\n" for message in messages))
    report = ingest_paths([tmp_path / "asa.log", tmp_path / "dhcp.json"], store=graph, journal=journal,
                          progress=False, reference_year=2024)
    assert report.total.accepted == len(messages) + 1
    return [item.event for item in journal.iter_events()]


def relations(graph, relation: str) -> set:
    return {(r.src, r.dst) for r in graph.iter_relations(relation)}


# -- the fields of each message --------------------------------------------------------------------


@pytest.mark.parametrize(("message", "expected"), [
    ("%ASA-6-302013: Built outbound TCP connection 123 for outside:203.0.113.5/443 (203.0.113.5/443) "
     "to inside:10.1.2.3/51234 (198.51.100.7/51234)",
     {"source.ip": "10.1.2.3", "source.port": 51234, "source.nat.ip": "198.51.100.7", "source.nat.port": 51234,
      "destination.ip": "203.0.113.5", "destination.port": 443, "network.transport": "tcp",
      "network.direction": "outbound", "event.action": "connection-built",
      "observer.ingress.interface.name": "inside", "observer.egress.interface.name": "outside"}),
    ("%ASA-6-302013: Built inbound TCP connection 456 for outside:198.51.100.9/51000 (198.51.100.9/51000) "
     "to dmz:10.2.0.5/443 (203.0.113.80/443)",  # the outside opened it; the server is behind a static NAT
     {"source.ip": "198.51.100.9", "source.port": 51000, "destination.ip": "10.2.0.5", "destination.port": 443,
      "destination.nat.ip": "203.0.113.80", "destination.nat.port": 443, "network.transport": "tcp",
      "network.direction": "inbound", "event.action": "connection-built",
      "observer.ingress.interface.name": "outside", "observer.egress.interface.name": "dmz"}),
    ("%ASA-6-302015: Built outbound UDP connection 77 for outside:198.51.100.53/53 (198.51.100.53/53) "
     "to inside:10.1.2.3/53000 (10.1.2.3/53000)",
     {"source.ip": "10.1.2.3", "source.port": 53000, "destination.ip": "198.51.100.53", "destination.port": 53,
      "network.transport": "udp", "network.direction": "outbound", "event.action": "connection-built",
      "observer.ingress.interface.name": "inside", "observer.egress.interface.name": "outside"}),
    ("%ASA-6-302013: Built outbound TCP connection 8 for outside:2001:db8::5/443 (2001:db8::5/443) "
     "to inside:2001:db8:1::3/50000 (2001:db8:1::3/50000)(LOCAL\\jdoe)",
     {"source.ip": "2001:db8:1::3", "source.port": 50000, "destination.ip": "2001:db8::5", "destination.port": 443,
      "network.transport": "tcp", "network.direction": "outbound", "event.action": "connection-built",
      "observer.ingress.interface.name": "inside", "observer.egress.interface.name": "outside"}),
    ('%ASA-4-106023: Deny tcp src outside:198.51.100.9/51000 dst inside:10.1.2.3/445 by access-group '
     '"outside_access_in" [0x0, 0x0]',
     {"source.ip": "198.51.100.9", "source.port": 51000, "destination.ip": "10.1.2.3", "destination.port": 445,
      "network.transport": "tcp", "event.action": "deny", "rule.name": "outside_access_in",
      "observer.ingress.interface.name": "outside", "observer.egress.interface.name": "inside"}),
    ('%ASA-4-106023: Deny icmp src outside:198.51.100.9 dst inside:10.1.2.3 (type 8, code 0) by access-group '
     '"outside_access_in" [0x0, 0x0]',
     {"source.ip": "198.51.100.9", "destination.ip": "10.1.2.3", "network.transport": "icmp",
      "event.action": "deny", "rule.name": "outside_access_in",
      "observer.ingress.interface.name": "outside", "observer.egress.interface.name": "inside"}),
    ("%ASA-6-106100: access-list inside_access_in permitted tcp inside/10.1.2.3(51234) -> "
     "outside/203.0.113.5(443) hit-cnt 1 first hit [0x1, 0x0]",
     {"source.ip": "10.1.2.3", "source.port": 51234, "destination.ip": "203.0.113.5", "destination.port": 443,
      "network.transport": "tcp", "event.action": "permitted", "rule.name": "inside_access_in",
      "observer.ingress.interface.name": "inside", "observer.egress.interface.name": "outside"}),
    ("%ASA-2-106001: Inbound TCP connection denied from 198.51.100.9/51000 to 10.1.2.3/22 flags SYN  on "
     "interface outside",
     {"source.ip": "198.51.100.9", "source.port": 51000, "destination.ip": "10.1.2.3", "destination.port": 22,
      "network.transport": "tcp", "event.action": "deny"}),
    ("%ASA-6-106015: Deny TCP (no connection) from 10.1.2.3/51234 to 203.0.113.5/443 flags RST  on interface inside",
     {"source.ip": "10.1.2.3", "source.port": 51234, "destination.ip": "203.0.113.5", "destination.port": 443,
      "network.transport": "tcp", "event.action": "deny"}),
    ("%ASA-5-304001: 10.1.2.3 Accessed URL 203.0.113.5:http://example.com/x",
     {"source.ip": "10.1.2.3", "destination.ip": "203.0.113.5", "url.full": "http://example.com/x",
      "url.domain": "example.com", "event.action": "url-accessed"}),
    ("%ASA-5-304001: jdoe@10.1.2.3 Accessed JAVA URL 203.0.113.5:/applet/a.jar",  # a path: the server's address
     {"source.ip": "10.1.2.3", "destination.ip": "203.0.113.5", "url.full": "http://203.0.113.5/applet/a.jar",
      "user.name": "jdoe", "event.action": "url-accessed"}),
    ("%ASA-6-305011: Built dynamic TCP translation from inside:10.1.2.3/51234 to outside:198.51.100.7/51234",
     {"source.ip": "10.1.2.3", "source.port": 51234, "source.nat.ip": "198.51.100.7", "source.nat.port": 51234,
      "network.transport": "tcp", "event.action": "translation-built",
      "observer.ingress.interface.name": "inside", "observer.egress.interface.name": "outside"}),
], ids=["302013-out", "302013-in-nat", "302015", "302013-ipv6", "106023", "106023-icmp", "106100", "106001",
        "106015", "304001", "304001-path", "305011"])
def test_an_asa_traffic_message_gives_the_network_fields(message: str, expected: dict) -> None:
    event = parse(message)
    assert {key: event.fields[key] for key in expected if key in event.fields} == expected
    keys = ("source.", "destination.", "network.", "event.action", "rule.", "observer.ingress", "observer.egress",
            "url.", "user.")
    assert {key for key in event.fields if key.startswith(keys)} == set(expected)
    # the firewall's view of other machines: no host, the firewall is the observer
    assert (event.kind, event.host, event.fields["observer.name"]) == ("syslog:message", None, "fw01")
    assert "host.name.original" not in event.fields and event.fields["log.syslog.hostname"] == "fw01"
    assert event.fields["event.code"] == message[7:13]


@pytest.mark.parametrize("message", [
    "%ASA-6-302014: Teardown TCP connection 123 for outside:203.0.113.5/443 to inside:10.1.2.3/51234 "
    "duration 0:00:30 bytes 1234 TCP FINs",  # which side opened it is not said
    "%ASA-5-111008: User 'enable_15' executed the 'configure terminal' command.",
    "%ASA-6-302013: Built outbound TCP connection 1 for outside:999.1.1.1/443 to inside:10.1.2.3/5",  # no address
    "%ASA-6-302013: Built outbound TCP connection, cut short",
])
def test_other_asa_messages_stay_the_firewalls_text(message: str) -> None:
    event = parse(message)
    assert (event.host, event.fields["message"]) == ("fw01", message.split(": ", 1)[1])
    assert not any(key.startswith(("source.", "destination.")) for key in event.fields)


# -- into the graph --------------------------------------------------------------------------------


def test_an_outbound_connection_is_the_mapped_clients(tmp_path, journal, graph) -> None:
    ingest(tmp_path, journal, graph, "%ASA-6-302013: Built outbound TCP connection 123 for outside:203.0.113.5/443 "
                                     "(203.0.113.5/443) to inside:10.1.2.3/51234 (198.51.100.7/51234)")
    assert relations(graph, "CONNECTED") == {(("host", "ws-0300"), ("ip", "203.0.113.5"))}
    assert graph.get_entity("host", "fw01") is None  # the firewall logged it; it is no party


def test_an_inbound_deny_reaches_the_mapped_host(tmp_path, journal, graph) -> None:
    ingest(tmp_path, journal, graph, '%ASA-4-106023: Deny tcp src outside:198.51.100.9/51000 dst inside:10.1.2.3/445 '
                                     'by access-group "outside_access_in" [0x0, 0x0]')
    assert relations(graph, "CONNECTED") == {(("ip", "198.51.100.9"), ("host", "ws-0300"))}


def test_a_url_accessed_is_requested_by_the_mapped_client(tmp_path, journal, graph) -> None:
    ingest(tmp_path, journal, graph, "%ASA-5-304001: 10.1.2.3 Accessed URL 203.0.113.5:http://example.com/x")
    url = ("url", "http://example.com/x")
    assert relations(graph, "REQUESTED") == {(("host", "ws-0300"), url)}
    assert relations(graph, "ON") == {(url, ("domain", "example.com"))}
    assert ("ws-0300", url) in {(s.host, s.entity) for s in graph.iter_sightings()}


BUILT = ("Built outbound TCP connection 3 for outside:203.0.113.7/443 (203.0.113.7/443) "
         "to inside:10.1.2.42/51238 (10.1.2.42/51238)")


@pytest.mark.parametrize("line", [
    "<166>1 2024-03-05T10:15:49.000Z fw01 %ASA-6-302013 - - " + BUILT,  # the tag as APP-NAME
    "<166>1 2024-03-05T10:15:49.000Z fw01 - - - %ASA-6-302013: " + BUILT,  # the tag at the head of MSG
])
def test_rfc5424_relayed_asa_line_reads_as_the_rfc3164_layout(line: str) -> None:
    (relayed,) = PARSER.parse(line, CONTEXT)
    (direct,) = PARSER.parse("<166>Mar 05 2024 10:15:49 fw01 : %ASA-6-302013: " + BUILT, CONTEXT)
    assert relayed.host is None
    assert relayed.fields == direct.fields
    assert relayed.fields["event.code"] == "302013"
    assert relayed.fields["observer.name"] == "fw01"
    assert relayed.fields["observer.product"] == "ASA"
    assert (relayed.fields["source.ip"], relayed.fields["destination.port"]) == ("10.1.2.42", 443)
    assert relayed.ts == direct.ts


def test_rfc5424_other_app_name_keeps_a_cisco_looking_message() -> None:
    """Only a NIL APP-NAME or a Cisco tag as APP-NAME is read as Cisco's: a program's text stays its own."""
    (event,) = PARSER.parse("<166>1 2024-03-05T10:15:49.000Z web01 myapp - - %ASA-6-302013: " + BUILT, CONTEXT)
    assert event.fields["log.syslog.appname"] == "myapp"
    assert "event.code" not in event.fields and event.host == "web01"
