"""Projection rules: which entities, relations and sightings each event kind yields."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from graphsiem.model import Event, stable_hash
from ingest import projection as projection_module
from ingest import projection_endpoint, projection_network, projection_state
from ingest.ipmap import IpHostMap
from ingest.normalize import normalize_command_line
from ingest.parsers.base import ParseContext
from ingest.parsers.suricata import SuricataEveParser
from ingest.parsers.zeek import ZeekParser
from ingest.projection import Projector, project_events

PS = "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe"
PS_CMD = "powershell.exe -nop -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAKQA="


def ev(kind: str, host: str | None = "ws-1", ts: float = 100.0, event_id: str = "e1", **fields) -> Event:
    return Event(id=event_id, kind=kind, ts=ts, host=host, source="test",
                 fields={k.replace("__", "."): v for k, v in fields.items()})


def process_key(image: str, cmd: str) -> str:
    return stable_hash(image.lower(), normalize_command_line(cmd))


def dumped(projection) -> tuple[list[str], list[str], list[str]]:
    """Every entity, relation and sighting of ``projection``, in a comparable form."""
    return (sorted(map(repr, projection.entities)), sorted(map(repr, projection.relations)),
            sorted(map(repr, projection.sightings)))


def edges(projection) -> set[tuple[str, str, str]]:
    return {(r.src[0], r.type, r.dst[0]) for r in projection.relations}


CASES = [
    (
        ev("sysmon:process_create", process__executable=PS, process__command_line=PS_CMD,
           process__parent__executable="C:\\Windows\\System32\\wscript.exe",
           process__parent__command_line="wscript.exe a.vbs", user__name="corp\\bob"),
        {("host", "RAN", "process"), ("process", "SPAWNED", "process"), ("process", "RUN_AS", "user")},
    ),
    (
        ev("sysmon:network_connect", process__executable=PS, destination__ip="203.0.113.7",
           source__ip="10.0.0.5", destination__domain="cdn.example"),
        {("process", "CONNECTED", "ip"), ("host", "CONNECTED", "ip"), ("domain", "RESOLVES_TO", "ip")},
    ),
    (
        ev("sysmon:dns_query", process__executable=PS, dns__question__name="cdn.example",
           dns__answers=["203.0.113.7", "cname.example"]),
        {("process", "RESOLVED", "domain"), ("host", "RESOLVED", "domain"), ("domain", "RESOLVES_TO", "ip"),
         ("domain", "RESOLVES_TO", "domain")},  # the CNAME
    ),
    (
        ev("sysmon:file_create", process__executable=PS, file__path="C:\\Temp\\Logo.PNG"),
        {("process", "WROTE", "file")},
    ),
    (
        ev("sysmon:image_load", process__executable=PS, file__path="C:\\x.dll", file__hash__sha256="ab" * 32),
        {("process", "LOADED", "file")},
    ),
    (
        ev("sysmon:process_access", process__executable="C:\\m\\mimikatz.exe",
           target__process__executable="C:\\Windows\\System32\\lsass.exe", target__granted_access="0x1010"),
        {("process", "ACCESSED", "process")},
    ),
    (
        ev("sysmon:remote_thread", process__executable="C:\\a.exe", target__process__executable="C:\\b.exe"),
        {("process", "INJECTED", "process")},
    ),
    (
        ev("sysmon:registry_set", process__executable="C:\\a.exe", registry__path="HKLM\\Run\\x"),
        {("process", "MODIFIED", "file")},
    ),
    (ev("winsec:logon", user__name="corp\\bob", source__ip="10.0.0.9"),
     {("user", "LOGGED_ON", "host"), ("ip", "LOGGED_ON", "host")}),  # the account, and where it came from
    (ev("powershell:script_block", powershell__script_block_text="Write-Host  hi"), {("host", "EXECUTED", "script")}),
    (
        ev("ecs:event", url__full="http://cdn.example/a.png", url__domain="cdn.example",
           file__hash__sha256="cd" * 32, destination__ip="203.0.113.7"),
        {("host", "REQUESTED", "url"), ("url", "ON", "domain"), ("host", "DOWNLOADED", "file"),
         ("file", "SERVED_BY", "url"), ("host", "CONNECTED", "ip")},
    ),
]


@pytest.mark.parametrize(("event", "expected"), CASES, ids=[c[0].kind for c in CASES])
def test_event_kinds_yield_their_relations(event, expected):
    projection = project_events([event])
    assert edges(projection) == expected
    assert all(r.evidence == ["e1"] and r.count == 1 for r in projection.relations)


def test_process_identity_is_image_and_normalised_command_line():
    a = ev("sysmon:process_create", process__executable=PS, process__command_line=PS_CMD)
    b = ev("sysmon:process_create", host="ws-2", event_id="e2",
           process__executable=PS.upper(), process__command_line="  " + PS_CMD.upper().replace(" ", "   "))
    projection = project_events([a, b])
    (process,) = [e for e in projection.entities if e.type == "process"]
    assert process.key == process_key(PS, PS_CMD)
    # one entity for both spellings; it shows the last one, as the stores keep the
    # last value across batches: the same wherever batches are cut
    assert process.value == b.fields["process.command_line"]
    assert process.props["image"] == PS.upper() and process.props["command_line"] == process.value
    assert process.props["decoded_command"] == "IEX (New-Object)"  # from the first (the payload's case matters)
    assert process.props["name"] == "powershell.exe"
    hosts = sorted(s.host for s in projection.sightings if s.entity == ("process", process.key))
    assert hosts == ["ws-1", "ws-2"]


def test_process_spellings_do_not_depend_on_where_batches_are_cut(tmp_path):
    from graphsiem.store import open_store
    from ingest.replay import ProjectionSummary, project_batch

    a = ev("sysmon:process_create", process__executable=PS, process__command_line=PS_CMD)
    b = ev("sysmon:process_create", host="ws-2", event_id="e2",
           process__executable=PS.upper(), process__command_line=PS_CMD.upper())
    seen = []
    for batches in ([[a, b]], [[a], [b]]):
        store = open_store("embedded", data_dir=tmp_path / str(len(batches)))
        projector = Projector()
        for batch in batches:
            project_batch(projector, store, batch, ProjectionSummary())
        (process,) = store.iter_entities("process")
        seen.append((process.value, process.props["image"], process.props["command_line"]))
        store.close()
    assert seen[0] == seen[1] == (PS_CMD.upper(), PS.upper(), PS_CMD.upper())


def test_relations_are_aggregated_per_batch_with_all_evidence():
    events = [ev("sysmon:process_create", ts=t, event_id=f"e{t}", process__executable=PS,
                 process__command_line=PS_CMD) for t in (5.0, 1.0, 9.0)]
    (ran,) = project_events(events).relations
    assert (ran.count, ran.first_seen, ran.last_seen) == (3, 1.0, 9.0)
    assert ran.evidence == ["e5.0", "e1.0", "e9.0"]


def test_later_events_of_a_process_resolve_to_its_full_identity_by_guid():
    create = ev("sysmon:process_create", process__executable=PS, process__command_line=PS_CMD,
                process__guid="abc", process__pid=42)
    connect = ev("sysmon:network_connect", event_id="e2", process__executable=PS, process__guid="abc",
                 destination__ip="203.0.113.7")
    script = ev("powershell:script_block", event_id="e3", process__pid=42,
                powershell__script_block_text="IEX (New-Object Net.WebClient)")
    projection = Projector().project([create, connect, script])
    full = ("process", process_key(PS, PS_CMD))
    assert {(r.src, r.type) for r in projection.relations} >= {(full, "CONNECTED"), (full, "EXECUTED")}


def test_script_identity_collapses_whitespace_and_keeps_text():
    a = ev("powershell:script_block", powershell__script_block_text="Get-Process |\n   Select  Name")
    b = ev("powershell:script_block", event_id="e2", powershell__script_block_text="Get-Process | Select Name")
    scripts = [e for e in project_events([a, b]).entities if e.type == "script"]
    assert len(scripts) == 1 and scripts[0].key == stable_hash("Get-Process | Select Name")
    assert scripts[0].props["text"].startswith("Get-Process")


def test_file_identity_prefers_sha256_then_lower_path():
    hashed = ev("sysmon:file_create", process__executable=PS, file__path="C:\\A.exe", file__hash__sha256="ab" * 32)
    plain = ev("sysmon:file_create", event_id="e2", process__executable=PS, file__path="C:\\B.EXE")
    keys = sorted(e.key for e in project_events([hashed, plain]).entities if e.type == "file")
    assert keys == ["ab" * 32, "c:\\b.exe"]


def test_domains_carry_their_registered_domain():
    event = ev("sysmon:dns_query", dns__question__name="a.b.cdn.example.co.uk")
    (domain,) = [e for e in project_events([event]).entities if e.type == "domain"]
    assert domain.props["registered_domain"] == "example.co.uk"


def test_sensor_events_reach_hosts_through_the_time_aware_ip_map():
    ipmap = IpHostMap()
    ipmap.add_lease("192.168.1.41", "mkt01", 1000.0, 3600.0)
    conn = ev("zeek:http", host=None, ts=1500.0, source__ip="192.168.1.41", destination__ip="10.0.5.13",
              url__full="http://10.0.5.13:8080/x", zeek__resp_fuids=["F1"])
    early = ev("zeek:conn", host=None, ts=500.0, event_id="e2", source__ip="192.168.1.41",
               destination__ip="10.0.5.13")
    projection = Projector(ipmap).project([conn, early])
    rels = {(r.src, r.type, r.dst) for r in projection.relations}
    assert (("host", "mkt01"), "CONNECTED", ("ip", "10.0.5.13")) in rels
    assert (("host", "mkt01"), "REQUESTED", ("url", "http://10.0.5.13:8080/x")) in rels
    # before the lease the address is not the host's: the IP stays the actor
    assert (("ip", "192.168.1.41"), "CONNECTED", ("ip", "10.0.5.13")) in rels
    sighted = {(s.host, s.entity) for s in projection.sightings}
    assert ("mkt01", ("url", "http://10.0.5.13:8080/x")) in sighted
    assert all(s.host == "mkt01" for s in projection.sightings)


def test_zeek_files_join_http_by_file_id_in_either_order():
    http = ev("zeek:http", host=None, event_id="h", source__ip="10.0.0.5", destination__ip="198.51.100.1",
              url__full="http://dl.example/p.exe", url__domain="dl.example", zeek__resp_fuids=["Fx"])
    files = ev("zeek:files", host=None, event_id="f", source__ip="198.51.100.1", destination__ip="10.0.0.5",
               file__hash__sha256="ef" * 32, zeek__fuid="Fx")
    for order in ([http, files], [files, http]):
        ipmap = IpHostMap()
        ipmap.add_lease("10.0.0.5", "ws-5", 0.0, 1000.0)
        rels = {(r.src[0], r.type, r.dst[0]) for r in Projector(ipmap).project(order).relations}
        assert {("file", "SERVED_BY", "url"), ("file", "SERVED_BY", "domain"),
                ("host", "DOWNLOADED", "file")} <= rels


def test_ip_in_the_host_slot_is_not_a_host_name():
    event = ev("syslog:message", host="10.9.9.9", message="hello")
    assert not [e for e in project_events([event]).entities if e.type == "host"]


def test_alerts_link_source_to_destination():
    event = ev("suricata:alert", host=None, source__ip="198.51.100.2", destination__ip="10.0.0.5",
               rule__name="ET SCAN")
    assert edges(project_events([event])) == {("ip", "ALERTED", "ip")}


def test_file_props_keep_every_digest_and_the_mime_type():
    event = ev("sysmon:file_create", process__executable=PS, file__path="C:\\A.exe",
               file__hash__sha1="11" * 20, file__hash__md5="22" * 16, file__mime_type="application/x-dosexec")
    (file,) = [e for e in project_events([event]).entities if e.type == "file"]
    assert file.key == "11" * 20  # the strongest digest, not the path
    assert file.props == {"sha1": "11" * 20, "md5": "22" * 16, "path": "C:\\A.exe", "name": "a.exe",
                          "mime_type": "application/x-dosexec"}
    assert list(file.props) == ["sha1", "md5", "path", "name", "mime_type"]


def test_a_recurring_process_keeps_its_first_props_and_gains_the_ones_it_lacked():
    first = ev("sysmon:process_create", process__executable=PS, process__command_line=PS_CMD,
               process__name="first-name.exe")
    later = ev("sysmon:process_create", event_id="e2", process__executable=PS, process__command_line=PS_CMD,
               process__name="other.exe", process__hash__sha256="ab" * 32)
    (process,) = [e for e in project_events([first, later]).entities if e.type == "process"]
    assert process.props == {"image": PS, "name": "first-name.exe", "command_line": PS_CMD,
                             "decoded_command": "IEX (New-Object)", "sha256": "ab" * 32}
    assert list(process.props) == ["image", "name", "command_line", "decoded_command", "sha256"]


def test_a_recurring_file_keeps_its_first_props_and_gains_the_ones_it_lacked():
    first = ev("sysmon:image_load", process__executable=PS, file__path="C:\\A.dll", file__hash__sha256="ab" * 32)
    later = ev("sysmon:image_load", event_id="e2", process__executable=PS, file__path="C:\\B.dll",
               file__name="b.dll", file__hash__sha256="ab" * 32, file__hash__md5="22" * 16)
    (file,) = [e for e in project_events([first, later]).entities if e.type == "file"]
    assert (file.key, file.value) == ("ab" * 32, "C:\\A.dll")
    assert file.props == {"sha256": "ab" * 32, "path": "C:\\A.dll", "name": "a.dll", "md5": "22" * 16}
    assert list(file.props) == ["sha256", "path", "name", "md5"]


def test_an_unmapped_event_naming_a_known_process_by_guid_is_tied_to_it():
    create = ev("sysmon:process_create", process__executable=PS, process__command_line=PS_CMD,
                process__guid="abc")
    other = ev("windows:other", event_id="e2", process__guid="abc", event__code="4663")
    relations = Projector().project([create, other]).relations
    (ran,) = [r for r in relations if r.type == "RAN"]
    assert ran.dst == ("process", process_key(PS, PS_CMD)) and ran.evidence == ["e1", "e2"]


def _documented_fields() -> list[str]:
    """Every field name in the tables of docs/fields.md."""
    text = (Path(__file__).parents[2] / "docs" / "fields.md").read_text()
    names = set()
    for line in text.splitlines():
        if line.startswith("| `"):
            names.update(name for name in re.findall(r"`([a-z][a-z0-9_.<>-]*)`", line.split("|")[1]))
    return sorted(name for name in names if "<" not in name)


@pytest.mark.parametrize("name", _documented_fields())
def test_the_generic_rule_skips_only_events_it_has_nothing_to_read_in(name, monkeypatch):
    """The early exit of the generic rule (no field it reads) changes no projection."""
    known = ev("sysmon:process_create", process__executable=PS, process__command_line=PS_CMD,
               process__guid="abc", process__pid=42)
    values = {"dns.answers": ["203.0.113.7"], "process.pid": 42, "process.guid": "abc"}
    event = Event(id="e2", kind="windows:other", ts=100.0, host="ws-1", source="test",
                  fields={name: values.get(name, "203.0.113.7" if name.endswith(".ip") else "x")})

    def project():
        return dumped(Projector().project([known, event]))

    fast = project()
    monkeypatch.setattr(projection_module, "GENERIC_KEYS", frozenset(_documented_fields()))
    assert project() == fast


@pytest.mark.parametrize("is_mapped", [True, False], ids=["mapped", "unmapped"])
@pytest.mark.parametrize("name", _documented_fields())
def test_the_sensor_rule_skips_only_events_it_has_nothing_to_read_in(name, is_mapped, monkeypatch):
    """The early exits of the sensor rule (IPs and ports only; also no host) change no projection."""
    ipmap = IpHostMap()
    if is_mapped:
        ipmap.add_lease("10.0.0.5", "ws-1", 0.0, 1000.0)
    http = ev("zeek:http", host=None, event_id="e1", source__ip="10.0.0.5", destination__ip="203.0.113.7",
              url__full="http://cdn.example/a.png", url__domain="cdn.example", zeek__resp_fuids=["F1"])
    values = {"dns.answers": ["203.0.113.7"], "zeek.fuid": "F1", "zeek.resp_fuids": ["F1"],
              "dhcp.lease_seconds": 60, "dhcp.hostname": "ws-2"}
    fields = {"source.ip": "10.0.0.5", "destination.ip": "203.0.113.7"}
    fields[name] = values.get(name, "203.0.113.9" if name.endswith(".ip") else "x")
    event = Event(id="e2", kind="zeek:files", ts=100.0, host=None, source="test", fields=fields)

    def project():
        return dumped(Projector(ipmap).project([http, event]))

    fast = project()
    monkeypatch.setattr(projection_network, "_SENSOR_KEYS", frozenset(_documented_fields()))
    assert project() == fast


@pytest.mark.parametrize("name", _documented_fields())
def test_the_generic_rule_skips_a_parent_or_file_only_when_it_has_none_of_their_fields(name, monkeypatch):
    """Skipping the parent and file rules (none of their identity fields) changes no projection."""
    known = ev("sysmon:process_create", event_id="e0", process__executable="C:\\p.exe",
               process__command_line="p.exe -x", process__guid="x")
    values = {"dns.answers": ["203.0.113.7"], "process.pid": 42, "process.parent.guid": "x"}
    event = Event(id="e2", kind="sysmon:registry_event", ts=100.0, host="ws-1", source="test",
                  fields={"process.executable": PS, "process.guid": "abc",
                          name: values.get(name, "203.0.113.7" if name.endswith(".ip") else "x")})

    def project():
        return dumped(Projector().project([known, event]))

    fast = project()
    monkeypatch.setattr(projection_endpoint, "_PARENT_IDENTITY", frozenset(_documented_fields()))
    monkeypatch.setattr(projection_endpoint, "_FILE_IDENTITY", frozenset(_documented_fields()))
    assert project() == fast


def test_an_ip_in_the_host_slot_is_mapped_at_each_event_time():
    """The projector remembers that a host slot holds an IP, not which host it mapped to."""
    ipmap = IpHostMap()
    ipmap.add_lease("10.9.9.9", "ws-a", 0.0, 100.0)
    ipmap.add_lease("10.9.9.9", "ws-b", 200.0, 100.0)
    events = [ev("sysmon:process_terminate", host="10.9.9.9", ts=ts, event_id=f"e{ts}", process__executable=PS,
                 process__command_line=PS_CMD) for ts in (50.0, 250.0)]
    sightings = Projector(ipmap).project(events).sightings
    assert sorted((s.host, s.first_seen) for s in sightings) == [("ws-a", 50.0), ("ws-b", 250.0)]


def test_an_event_a_rule_fails_on_is_counted_and_sights_nothing():
    """A failing rule's event is counted in errors; the next event does not sight what it touched."""
    bad = ev("sysmon:dns_query", event_id="bad", process__executable=PS, dns__question__name="cdn.example",
             dns__answers=5)
    good = ev("sysmon:process_terminate", event_id="good", process__executable="C:\\a.exe",
              process__command_line="a.exe")
    projector = Projector()

    projection = projector.project([bad, good])

    assert (projector.errors, projector.failed) == (1, ["bad"])
    assert [s.entity[0] for s in projection.sightings] == ["process"]
    assert [s.entity[1] for s in projection.sightings] == [process_key("C:\\a.exe", "a.exe")]


def test_a_registry_key_already_projected_keeps_its_props_and_gains_the_ones_it_lacked():
    file = ev("sysmon:file_create", event_id="e0", process__executable=PS, file__path="HKLM\\Run\\X")
    first = ev("sysmon:registry_set", event_id="e1", process__executable=PS, registry__path="HKLM\\Run\\x")
    again = ev("sysmon:registry_set", event_id="e2", process__executable=PS, registry__path="HKLM\\RUN\\x")
    (key,) = [e for e in project_events([file, first, again]).entities if e.type == "file"]
    assert (key.key, key.value) == ("hklm\\run\\x", "HKLM\\Run\\X")
    assert key.props == {"path": "HKLM\\Run\\X", "name": "x", "registry": True}
    (alone,) = [e for e in project_events([first, again]).entities if e.type == "file"]
    assert (alone.value, alone.props) == ("HKLM\\Run\\x", {"path": "HKLM\\Run\\x", "registry": True})


# -- network sensors: one case per Zeek log and EVE event type, through the real parsers ----------

_PARSER_FIXTURES = Path(__file__).parent / "parsers" / "fixtures"
ZEEK_RECORDS = json.loads((_PARSER_FIXTURES / "zeek" / "records.json").read_text())
EVE_RECORDS = json.loads((_PARSER_FIXTURES / "suricata" / "records.json").read_text())
FILE_SHA256 = "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb"


def parsed(record: dict, event_id: str = "e1") -> Event:
    """The one event the Zeek or EVE parser makes of ``record``, with ``event_id``."""
    parser = SuricataEveParser() if "event_type" in record else ZeekParser()
    (event,) = parser.parse(record, ParseContext(origin="fixture:1"))
    event.id = event_id
    return event


def graph(projection) -> tuple[set, set]:
    """``({(type, key)}, {(src, type, dst)})`` of a projection: what the graph gains."""
    return ({(e.type, e.key) for e in projection.entities},
            {(r.src, r.type, r.dst) for r in projection.relations})


def ip(value: str) -> tuple[str, str]:
    return ("ip", value)


def domain(value: str) -> tuple[str, str]:
    return ("domain", value)


def one_link(src: str, type_: str, dst: str) -> tuple[set, set]:
    """The graph of an event that only links two addresses."""
    return {ip(src), ip(dst)}, {(ip(src), type_, ip(dst))}


URL_TOOL = ("url", "http://updates.example.com:8080/dl/Tool.EXE")
SENSOR_CASES = [
    (  # the client resolved the name; its A answer is an IP (CNAME and TXT answers are not)
        "zeek:dns", ZEEK_RECORDS["dns_answers"],
        {ip("192.0.2.11"), ip("198.51.100.53"), domain("rare-cdn.example.com"), ip("203.0.113.9"),
         domain("edge.example.net")},
        {(ip("192.0.2.11"), "CONNECTED", ip("198.51.100.53")),
         (ip("192.0.2.11"), "RESOLVED", domain("rare-cdn.example.com")),
         (domain("rare-cdn.example.com"), "RESOLVES_TO", ip("203.0.113.9")),
         (domain("rare-cdn.example.com"), "RESOLVES_TO", domain("edge.example.net")),  # the CNAME chain
         (domain("edge.example.net"), "RESOLVES_TO", ip("203.0.113.9"))},
    ),
    (  # SNI: the name the client asked for, claimed (by the client) at the responder
        "zeek:ssl", ZEEK_RECORDS["ssl_sni"],
        {ip("192.0.2.10"), ip("203.0.113.7"), domain("login.example.org")},
        {(ip("192.0.2.10"), "CONNECTED", ip("203.0.113.7")),
         (ip("192.0.2.10"), "RESOLVED", domain("login.example.org")),
         (domain("login.example.org"), "CLAIMED_AT", ip("203.0.113.7"))},
    ),
    (  # a certificate alone names no server: nothing yet (its names wait for their ssl record)
        "zeek:x509", ZEEK_RECORDS["x509_cert"], set(), set(),
    ),
    ("zeek:dhcp", ZEEK_RECORDS["dhcp_lease"], *one_link("192.0.2.50", "CONNECTED", "192.0.2.1")),
    ("zeek:notice", ZEEK_RECORDS["notice_scan"], *one_link("192.0.2.66", "ALERTED", "192.0.2.10")),
    (  # an answer packet (the server is its source): the client still resolves and connects
        "suricata:dns", EVE_RECORDS["dns_v2_answers"],
        {ip("192.0.2.11"), ip("198.51.100.53"), domain("www.example.org"), ip("203.0.113.10"),
         domain("edge.example.net")},
        {(ip("192.0.2.11"), "CONNECTED", ip("198.51.100.53")),
         (ip("192.0.2.11"), "RESOLVED", domain("www.example.org")),
         (domain("www.example.org"), "RESOLVES_TO", ip("203.0.113.10")),
         (domain("www.example.org"), "RESOLVES_TO", domain("edge.example.net")),  # the CNAME chain
         (domain("edge.example.net"), "RESOLVES_TO", ip("203.0.113.10"))},
    ),
    (  # SNI (the client's claim) and the certificate's CN (the server's own statement)
        "suricata:tls", EVE_RECORDS["tls_sni"],
        {ip("192.0.2.10"), ip("203.0.113.11"), domain("login.example.org")},
        {(ip("192.0.2.10"), "CONNECTED", ip("203.0.113.11")),
         (ip("192.0.2.10"), "RESOLVED", domain("login.example.org")),
         (domain("login.example.org"), "CLAIMED_AT", ip("203.0.113.11")),
         (domain("login.example.org"), "RESOLVES_TO", ip("203.0.113.11"))},
    ),
    (  # the file travels server -> client: the client (the destination) requested the URL
        "suricata:fileinfo", EVE_RECORDS["fileinfo_exe"],
        {ip("192.0.2.10"), ip("203.0.113.7"), URL_TOOL, domain("updates.example.com"), ("file", FILE_SHA256)},
        {(ip("192.0.2.10"), "CONNECTED", ip("203.0.113.7")),
         (ip("192.0.2.10"), "REQUESTED", URL_TOOL),
         (URL_TOOL, "ON", domain("updates.example.com")),
         (("file", FILE_SHA256), "SERVED_BY", URL_TOOL),
         (("file", FILE_SHA256), "SERVED_BY", domain("updates.example.com"))},
    ),
    ("suricata:anomaly", EVE_RECORDS["anomaly_applayer"], *one_link("198.51.100.200", "CONNECTED", "192.168.1.129")),
    ("suricata:flow", EVE_RECORDS["flow_logged_late"], *one_link("192.0.2.10", "CONNECTED", "203.0.113.7")),
]


@pytest.mark.parametrize(("kind", "record", "entities", "relations"), SENSOR_CASES,
                         ids=[case[0] for case in SENSOR_CASES])
def test_each_sensor_kind_yields_exactly_its_entities_and_relations(kind, record, entities, relations):
    event = parsed(record)
    assert event.kind == kind
    projection = Projector().project([event])
    assert graph(projection) == (entities, relations)
    assert all(r.evidence == ["e1"] for r in projection.relations)
    assert projection.sightings == []  # no address is mapped to a host


def _lease(ip_text: str, host: str) -> IpHostMap:
    ipmap = IpHostMap()
    ipmap.add_lease(ip_text, host, 0.0, 2e9)
    return ipmap


def test_a_mapped_dhcp_client_connects_and_sights_its_lease():
    projection = Projector(_lease("192.0.2.50", "ws-0042")).project([parsed(ZEEK_RECORDS["dhcp_lease"])])
    assert graph(projection) == ({("host", "ws-0042"), ip("192.0.2.1"), ip("192.0.2.50")},
                                 {(("host", "ws-0042"), "CONNECTED", ip("192.0.2.1"))})
    assert {(s.host, s.entity) for s in projection.sightings} == {("ws-0042", ip("192.0.2.1")),
                                                                  ("ws-0042", ip("192.0.2.50"))}


def test_a_server_to_client_file_is_requested_and_downloaded_by_the_client_host():
    """The fileinfo packet goes server -> client: the host at the destination requested the URL."""
    projection = Projector(_lease("192.0.2.10", "ws-10")).project([parsed(EVE_RECORDS["fileinfo_exe"])])
    _, relations = graph(projection)
    host = ("host", "ws-10")
    assert {(host, "CONNECTED", ip("203.0.113.7")), (host, "REQUESTED", URL_TOOL),
            (host, "DOWNLOADED", ("file", FILE_SHA256))} <= relations
    assert not {r for r in relations if r[0] == ip("203.0.113.7")}  # the server requested nothing


def test_an_unhashed_unnamed_zeek_download_without_a_url_is_a_file_known_by_sender_type_and_size():
    """Zeek files without digests, a name or a URL (a transfer outside HTTP): the client host
    downloaded it, and two such transfers of one type and size from one server are one file.
    (HTTP downloads are known by their URL: tests/ingest/test_projection_transfers.py.)"""
    # 512 bytes of application/x-dosexec, responder -> originator
    record = {**ZEEK_RECORDS["files_is_orig"], "source": "FTP_DATA"}
    again = {**record, "fuid": "FJ3", "uid": "CJ70", "id.orig_h": "192.0.2.11"}
    ipmap = _lease("192.0.2.10", "ws-10")
    ipmap.add_lease("192.0.2.11", "ws-11", 1767607000.0, 3600.0)
    projection = Projector(ipmap).project([parsed(record, "f1"), parsed(again, "f2")])
    entities, relations = graph(projection)
    (file,) = [ref for ref in entities if ref[0] == "file"]
    assert {(("host", "ws-10"), "DOWNLOADED", file), (("host", "ws-11"), "DOWNLOADED", file),
            # the receiver is the connection's client: it connected to the sender, not the reverse
            (("host", "ws-10"), "CONNECTED", ip("203.0.113.7"))} <= relations
    assert not {r for r in relations if r[0] == ip("203.0.113.7")}
    (entity,) = [e for e in projection.entities if e.type == "file"]
    assert entity.props == {"mime_type": "application/x-dosexec", "size": 512, "sender": "203.0.113.7"}
    other_size = Projector(ipmap).project([parsed({**record, "seen_bytes": 513}, "f3")])
    assert {e.key for e in other_size.entities if e.type == "file"} != {file[1]}


def test_a_server_to_client_alert_keeps_its_packet_direction_but_the_client_requests():
    """WRCCDC 2018: an alert on the response from hax.lol to 10.47.23.82."""
    record = {**EVE_RECORDS["alert_scan"], "src_ip": "206.251.244.225", "src_port": 80,
              "dest_ip": "10.47.23.82", "dest_port": 50317, "app_proto": "http",
              "http": {"hostname": "hax.lol", "url": "/lol.js", "http_method": "GET", "status": 200}}
    projection = Projector(_lease("10.47.23.82", "ws-82")).project([parsed(record)])
    url = ("url", "http://hax.lol/lol.js")
    assert graph(projection)[1] == {
        (ip("206.251.244.225"), "ALERTED", ip("10.47.23.82")),
        (("host", "ws-82"), "REQUESTED", url),
        (url, "ON", domain("hax.lol")),
    }
    assert {(s.host, s.entity) for s in projection.sightings} == {
        ("ws-82", url), ("ws-82", domain("hax.lol")), ("ws-82", ip("206.251.244.225")),
        ("ws-82", ip("10.47.23.82")),
    }


X509 = {**ZEEK_RECORDS["x509_cert"], "san.dns": ["Portal.Example.org", "*.example.org"]}
SSL = {**ZEEK_RECORDS["ssl_sni"], "cert_chain_fps": ["ab12", "cd34"]}


@pytest.mark.parametrize("x509_first", [True, False], ids=["x509-first", "ssl-first"])
def test_zeek_certificate_names_reach_the_server_of_the_ssl_record_that_presented_them(x509_first):
    """x509 (no IPs) joins ssl by the first fingerprint of its chain, in either order and batch."""
    x509, ssl = parsed(X509, "x"), parsed(SSL, "s")
    projector = Projector(_lease("192.0.2.10", "ws-10"))
    first, second = (x509, ssl) if x509_first else (ssl, x509)
    projections = [projector.project([first]), projector.project([second])]
    relations = {(r.src, r.type, r.dst): r.evidence for p in projections for r in p.relations}
    # the certificate's SAN (not its wildcard), related by the event that completed the join
    assert relations[(domain("portal.example.org"), "RESOLVES_TO", ip("203.0.113.7"))] == [second.id]
    assert not [key for key in relations if "*" in key[0][1]]
    # the client host saw the certificate's names
    sighted = {(s.host, s.entity) for p in projections for s in p.sightings}
    assert ("ws-10", domain("portal.example.org")) in sighted


def test_an_intermediate_certificate_does_not_name_the_server():
    """Only the host certificate (first of the chain) is joined to the server."""
    intermediate = {**X509, "fingerprint": "cd34", "san.dns": ["ca.example.net"]}
    projection = Projector().project([parsed(SSL, "s"), parsed(intermediate, "x")])
    assert domain("ca.example.net") not in graph(projection)[0]


def test_old_zeek_x509_joins_ssl_by_file_id():
    """Zeek < 4.2: x509 ``id`` is the certificate's file id, listed in ssl ``cert_chain_fuids``."""
    x509 = {key: value for key, value in X509.items() if key != "fingerprint"} | {"id": "FX1"}
    ssl = {**ZEEK_RECORDS["ssl_sni"], "cert_chain_fuids": ["FX1"]}
    relations = graph(Projector().project([parsed(ssl, "s"), parsed(x509, "x")]))[1]
    assert (domain("portal.example.org"), "RESOLVES_TO", ip("203.0.113.7")) in relations


def test_a_lone_address_without_a_counterpart_is_no_entity():
    """software.log names one IP and nothing it relates to: the graph gains nothing."""
    software = {"_path": "software", "ts": 1767607214.0, "host": "192.0.2.30", "host_p": 22,
                "software_type": "SSH::SERVER", "name": "OpenSSH", "unparsed_version": "OpenSSH_8.9"}
    assert graph(Projector().project([parsed(software)])) == (set(), set())
    mapped = Projector(_lease("192.0.2.30", "srv-30")).project([parsed(software)])
    assert graph(mapped) == ({("host", "srv-30")}, set())


@pytest.mark.parametrize("chain", [5, True, 1.5, [], ""])
def test_a_damaged_certificate_chain_joins_nothing_and_fails_nothing(chain):
    """A scalar or empty ``cert_chain_fps`` names no certificate: the event still projects."""
    projector = Projector()
    projection = projector.project([parsed({**ZEEK_RECORDS["ssl_sni"], "cert_chain_fps": chain}, "s")])
    assert projector.errors == 0 and projector.failed == []
    assert projection.relations  # the connection and the SNI are still there


# -- join state carried across ingest calls --------------------------------------------------------

def _taught_projector() -> Projector:
    """A projector that has learnt one of each join: process GUID and pid, file id, certificate and server."""
    projector = Projector(_lease("192.0.2.10", "ws-10"))
    projector.project([
        ev("sysmon:process_create", process__executable=PS, process__command_line=PS_CMD,
           process__guid="g-1", process__pid=4242),
        ev("zeek:http", host=None, event_id="h", source__ip="192.0.2.10", destination__ip="198.51.100.1",
           url__full="http://dl.example/p.exe", url__domain="dl.example", zeek__resp_fuids=["Fx"]),
        ev("zeek:files", host=None, event_id="f", source__ip="198.51.100.1", destination__ip="192.0.2.10",
           file__hash__sha256="ef" * 32, zeek__fuid="Fy"),
        parsed(ZEEK_RECORDS["files_is_orig"], "w"),  # an HTTP download waiting for its http record
        parsed(SSL, "s"),
        parsed({**X509, "fingerprint": "99"}, "x"),
        # the first of two parts of a long PowerShell block, waiting for the second
        ev("powershell:script_block", event_id="b1", process__pid=4242, powershell__script_block_text="IEX (New-",
           powershell__script_block_id="blk-1", powershell__message_number=1, powershell__message_total=2),
    ])
    return projector


def test_a_restored_join_state_is_the_state_it_was_taken_from():
    taught = _taught_projector()
    fresh = Projector()
    assert fresh.restore_join_state(taught.join_state())
    for name in projection_state.JOINS:
        assert getattr(fresh, name) == getattr(taught, name), name
        assert getattr(taught, name), f"{name} was not taught: the test would prove nothing"
    assert fresh.join_state() == taught.join_state()


def test_a_restored_projector_joins_what_the_one_it_came_from_would():
    """Later events get the same graph from the original and from a projector restored from its state."""
    later = [
        ev("sysmon:network_connect", event_id="n", process__executable=PS, process__guid="g-1",
           destination__ip="203.0.113.5"),
        ev("powershell:script_block", event_id="p", process__pid=4242, powershell__script_block_text="IEX x"),
        ev("powershell:script_block", event_id="b2", process__pid=4242, powershell__script_block_text="Object)",
           powershell__script_block_id="blk-1", powershell__message_number=2, powershell__message_total=2),
        ev("zeek:files", host=None, event_id="f2", source__ip="198.51.100.1", destination__ip="192.0.2.10",
           file__hash__sha256="ab" * 32, zeek__fuid="Fx"),
        ev("zeek:http", host=None, event_id="h2", source__ip="192.0.2.10", destination__ip="198.51.100.1",
           url__full="http://dl.example/q.exe", url__domain="dl.example", zeek__resp_fuids=["Fy"]),
        parsed(X509, "x2"),
        parsed({**SSL, "cert_chain_fps": ["99"]}, "s2"),
        # names the URL of the download that waited for it (FJ2)
        ev("zeek:http", host=None, event_id="h3", source__ip="192.0.2.10", destination__ip="203.0.113.7",
           url__full="http://dl.example/r.exe", url__domain="dl.example", zeek__resp_fuids=["FJ2"]),
    ]
    restored = Projector(_lease("192.0.2.10", "ws-10"))
    assert restored.restore_join_state(_taught_projector().join_state())
    expected = graph(_taught_projector().project(later))
    assert graph(restored.project(later)) == expected
    assert graph(Projector(_lease("192.0.2.10", "ws-10")).project(later)) != expected  # the state matters


@pytest.mark.parametrize("state", [
    b"", b"not json", b"[]", b'{"version": 99}', b'{"version": 1}',
    b'{"version": 1, "_processes": [[{"a": 1}, 2]], "_fuid_file": [], "_fuid_url": [],'
    b' "_cert_names": [], "_cert_servers": []}',
])
def test_a_join_state_that_cannot_be_read_changes_nothing(state):
    projector = _taught_projector()
    before = projector.join_state()
    assert projector.restore_join_state(state) is False
    assert projector.join_state() == before


# -- pids are reused: a script block belongs to the process that held its pid at its time ---------

NOTEPAD = "C:\\Windows\\System32\\notepad.exe"


def _create(pid: int, ts: float, image: str, cmd: str, event_id: str) -> Event:
    return ev("sysmon:process_create", ts=ts, event_id=event_id, process__executable=image,
              process__command_line=cmd, process__pid=pid)


def _runner_of_script(at: float) -> set:
    """Who EXECUTED a script block of pid 4242 at ``at``, after PowerShell (10:00) and then notepad
    (12:00) held that pid, both projected before the block."""
    projector = Projector()
    projector.project([_create(4242, 36000.0, PS, PS_CMD, "ps"),
                       _create(4242, 43200.0, NOTEPAD, "notepad.exe report.txt", "np")])
    block = ev("powershell:script_block", ts=at, event_id="sb", process__pid="4242",
               powershell__script_block_text="Invoke-Mimikatz -DumpCreds")
    return {r.src for r in projector.project([block]).relations if r.type == "EXECUTED"}


def test_a_script_block_belongs_to_the_process_holding_its_pid_at_its_time():
    powershell = ("process", process_key(PS, PS_CMD))
    notepad = ("process", process_key(NOTEPAD, "notepad.exe report.txt"))
    assert _runner_of_script(36300.0) == {powershell}  # 10:05, before notepad took the pid
    assert _runner_of_script(45000.0) == {notepad}  # 12:30
    assert _runner_of_script(30000.0) == {("host", "ws-1")}  # before any known holder: the host


def test_a_process_seen_again_keeps_the_earliest_time_it_held_its_pid():
    projector = Projector()
    later, earlier = _create(7, 500.0, PS, PS_CMD, "a"), _create(7, 100.0, PS, PS_CMD, "b")
    projector.project([later, earlier])  # projected out of time order
    assert projector._pids[("ws-1", "7")] == ((100.0, ("process", process_key(PS, PS_CMD)), "powershell.exe"),)


def test_a_full_cache_drops_its_older_half_not_everything():
    cache: dict[int, int] = {}
    for n in range(11):
        Projector._remember(cache, n, n, limit=10)
    Projector._remember(cache, 11, 11, limit=10)
    assert list(cache) == [*range(5, 12)]  # of 11 entries the older 5 went; then the new one


@pytest.mark.parametrize(("local", "peer"), [
    ("172.18.39.5", "172.18.39.106"),  # the local side written as source (HFDC01, port 135)
    ("172.18.39.106", "172.18.39.5"),  # as destination
    (None, "172.18.39.5"),  # not told: an inbound event's source, as Sysmon documents it
])
def test_an_inbound_connection_is_to_the_side_that_is_not_the_local_one(local, peer):
    fields = {"process__executable": "C:\\Windows\\System32\\svchost.exe", "network__direction": "inbound",
              "source__ip": "172.18.39.5", "source__port": 135,
              "destination__ip": "172.18.39.106", "destination__port": 53118}
    if local is not None:
        fields["host__ip"] = local
    relations = Projector().project([ev("sysmon:network_connect", host="hfdc01", **fields)]).relations
    # the peer connected to this host and its process, not the other way round
    assert {(r.src, r.dst[0]) for r in relations if r.type == "CONNECTED"} == {
        (("ip", peer), "host"), (("ip", peer), "process")}


def test_a_proxy_download_is_downloaded_by_the_client_host_and_sights_its_user():
    """A proxy's or firewall's record names client (source) and server: the file went to the client."""
    proxy = ev("cef:proxy_request", host=None, ts=1200.0, source__ip="10.0.0.5", destination__ip="198.51.100.7",
               url__full="http://cdn-img.example/x.png", url__domain="cdn-img.example",
               file__name="x.png", user__name="corp\\bob")
    ipmap = IpHostMap()
    ipmap.add_lease("10.0.0.5", "ws-0042", 1000.0, 600.0)
    projection = Projector(ipmap).project([proxy])
    _, relations = graph(projection)
    host = ("host", "ws-0042")
    assert {(host, "DOWNLOADED", ("file", "x.png")), (host, "REQUESTED", ("url", "http://cdn-img.example/x.png")),
            (("file", "x.png"), "SERVED_BY", ("url", "http://cdn-img.example/x.png"))} <= relations
    assert ("ws-0042", ("user", "corp\\bob")) in {(s.host, s.entity) for s in projection.sightings}
