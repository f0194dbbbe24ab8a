"""ECS variants the audit of 2026-11-29 found dropped (H4, M14): through the pipeline into the graph.

Auditbeat's argument vectors, Elastic Defend library, registry and network
records, user ids and PE headers, Filebeat's Zeek module, unmapped keys, and
DNS answers without data.
"""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from ingest.journal import Journal
from ingest.parsers.base import ParseContext
from ingest.parsers.ecs import REMAINDER_LIMIT, EcsParser, command_line
from ingest.parsers.zeek import ZeekParser
from ingest.pipeline import ingest_paths

T0 = "2024-03-05T10:00:00Z"
SHA256 = "aa" + "1" * 62
HOST = ("host", "ws-0042")


def ingest(tmp_path: Path, journal: Journal, graph, *records: dict) -> list:
    """Ingest ``records`` as one NDJSON file; the journaled events in order."""
    path = tmp_path / "records.ndjson"
    path.write_bytes(b"".join(orjson.dumps(record) + b"\n" for record in records))
    report = ingest_paths([path], store=graph, journal=journal, progress=False)
    assert report.total.accepted == report.total.received == len(records), journal.rejected()
    return [item.event for item in journal.iter_events()]


def relations(graph, relation: str) -> set:
    return {(r.src, r.dst) for r in graph.iter_relations(relation)}


def parse(record: dict):
    (event,) = EcsParser().parse(record, ParseContext(origin="t:1"))
    return event


def auditbeat(args: list[str], pid: int) -> dict:
    return {"@timestamp": T0, "agent": {"type": "auditbeat"}, "event": {"category": ["process"], "module": "auditd"},
            "host": {"name": "linux-01", "os": {"type": "linux"}},
            "process": {"pid": pid, "executable": "/usr/bin/wget", "args": args, "title": " ".join(args)},
            "user": {"name": "www-data", "id": "33"}}


# -- H4: process.args, process.title, user.id, process.pe.*, process.hash.* ------------------------


def test_argument_vectors_become_command_lines_so_each_run_is_its_own_process(tmp_path, journal, graph):
    events = ingest(tmp_path, journal, graph, auditbeat(["wget", "http://x.example/b"], 9001),
                    auditbeat(["wget", "-q", "http://y.example/a b"], 9002))
    assert [e.fields["process.command_line"] for e in events] == [
        "wget http://x.example/b", "wget -q 'http://y.example/a b'"]
    ran = {graph.get_entity(*process).props["command_line"] for host, process in relations(graph, "RAN")
           if host == ("host", "linux-01")}
    assert ran == {"wget http://x.example/b", "wget -q 'http://y.example/a b'"}


@pytest.mark.parametrize(("args", "is_windows", "expected"), [
    (["sh", "-c", "echo a b; id"], False, "sh -c 'echo a b; id'"),  # POSIX sh quoting (shlex.join)
    (["/bin/echo", "it's"], False, "/bin/echo 'it'\"'\"'s'"),
    (["C:\\Program Files\\x.exe", "/c", "a b", ""], True, '"C:\\Program Files\\x.exe" /c "a b" ""'),  # MS C runtime
    (["cmd.exe", 'say "hi"'], True, 'cmd.exe "say \\"hi\\""'),
    ("already one string", False, "already one string"),
    ([], False, None),
])
def test_command_line_joins_arguments_as_the_platform_splits_them(args, is_windows, expected):
    assert command_line(args, is_windows) == expected


@pytest.mark.parametrize(("process", "windows"), [
    ({"executable": "C:\\Windows\\System32\\cmd.exe", "args": ["cmd.exe", "/c", "echo a b"]}, True),
    ({"executable": "/usr/bin/env", "args": ["env", "a b"]}, False),
])
def test_the_platform_is_read_from_host_os_else_from_the_image_path(process, windows):
    joined = parse({"@timestamp": T0, "host": {"name": "h"}, "process": process}).fields["process.command_line"]
    assert joined.endswith('"echo a b"' if windows else "'a b'")
    on_linux = parse({"@timestamp": T0, "host": {"name": "h", "os": {"type": "linux"}}, "process": process})
    assert on_linux.fields["process.command_line"].endswith("'echo a b'" if windows else "'a b'")


def test_a_written_command_line_wins_over_the_argument_vector():
    event = parse({"@timestamp": T0, "host": {"name": "h"},
                   "process": {"command_line": "a.exe  -x", "args": ["a.exe", "-x"]}})
    assert event.fields["process.command_line"] == "a.exe  -x"


def test_title_user_id_pe_header_and_every_digest_are_kept():
    event = parse({"@timestamp": T0, "host": {"name": "ws-1"}, "user": {"id": "S-1-5-21-1-1001", "name": "bob"},
                   "process": {"executable": "C:\\a.exe", "title": "A tool",
                               "pe": {"original_file_name": "mimikatz.exe", "company": "gentilkiwi",
                                      "imphash": "CC" * 16},
                               "hash": {"sha512": "ab" * 64, "ssdeep": "3:abc:def"},
                               "parent": {"executable": "C:\\p.exe", "pe": {"original_file_name": "Cmd.Exe"}}}})
    fields = event.fields
    assert fields["process.title"] == "A tool" and fields["user.id"] == "S-1-5-21-1-1001"
    assert fields["process.pe.original_file_name"] == "mimikatz.exe" and fields["process.pe.company"] == "gentilkiwi"
    assert fields["process.hash.imphash"] == "cc" * 16 and fields["process.hash.sha512"] == "ab" * 64
    assert fields["process.parent.pe.original_file_name"] == "Cmd.Exe"
    assert fields["ecs.process.hash.ssdeep"] == "3:abc:def"  # no digest rule for it: kept as written


# -- H4: dll.* (library loads) and registry.* ------------------------------------------------------

LIBRARY = {"@timestamp": T0, "event": {"category": ["library"], "action": "load", "module": "endpoint"},
           "host": {"name": "WS-0042"}, "process": {"pid": 4242, "executable": "C:\\Windows\\System32\\rundll32.exe",
                                                    "command_line": "rundll32.exe C:\\Users\\Public\\evil.dll,Start"},
           "dll": {"path": "C:\\Users\\Public\\evil.dll", "name": "evil.dll", "hash": {"sha256": SHA256.upper()},
                   "pe": {"original_file_name": "loader.dll"}, "code_signature": {"exists": False}}}


def test_a_library_load_is_the_process_loading_the_dll_as_sysmon_7_gives_it(tmp_path, journal, graph):
    (event,) = ingest(tmp_path, journal, graph, LIBRARY)
    assert event.kind == "sysmon:image_load" and event.source == "ecs"
    assert event.fields["file.pe.original_file_name"] == "loader.dll"
    assert event.fields["ecs.dll.code_signature.exists"] is False
    ((process, loaded),) = relations(graph, "LOADED")
    assert loaded == ("file", SHA256)
    assert graph.get_entity(*loaded).props["path"] == "C:\\Users\\Public\\evil.dll"
    assert graph.get_entity(*process).props["command_line"] == "rundll32.exe C:\\Users\\Public\\evil.dll,Start"
    assert relations(graph, "WROTE") == set()  # a load is not a write


SYSMON_13 = {"@timestamp": T0, "winlog": {
    "channel": "Microsoft-Windows-Sysmon/Operational", "computer_name": "WS-0042", "event_id": 13, "record_id": 1,
    "event_data": {"EventType": "SetValue", "UtcTime": "2024-03-05 10:00:00.000", "ProcessId": "4242",
                   "Image": "C:\\Windows\\System32\\reg.exe",
                   "TargetObject": "HKU\\S-1-5-21-1-1-1-1001\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\\upd",
                   "Details": "C:\\Users\\Public\\u.exe"}}}
ECS_REGISTRY = {"@timestamp": T0, "event": {"category": ["registry"], "type": ["change"], "module": "endpoint"},
                "host": {"name": "WS-0042"}, "process": {"pid": 4242, "executable": "C:\\Windows\\System32\\reg.exe"},
                "registry": {"path": "HKEY_USERS\\S-1-5-21-1-1-1-1001\\Software\\Microsoft\\Windows\\CurrentVersion"
                                     "\\Run\\upd", "hive": "HKU", "value": "upd",
                             "data": {"strings": ["C:\\Users\\Public\\u.exe"], "type": "REG_SZ"}}}


def test_a_registry_write_is_the_same_key_entity_as_sysmon_13_writes(tmp_path, journal, graph):
    sysmon, ecs = ingest(tmp_path, journal, graph, SYSMON_13, ECS_REGISTRY)
    assert (ecs.kind, ecs.fields["registry.path"], ecs.fields["registry.value"]) == (
        sysmon.kind, sysmon.fields["registry.path"], sysmon.fields["registry.value"])
    assert ecs.fields["ecs.registry.value"] == "upd"  # ECS's value *name*, kept as written
    modified = relations(graph, "MODIFIED")
    assert {key for _, key in modified} == {("file", sysmon.fields["registry.path"].lower())}


def test_a_registry_key_without_data_is_a_registry_event():
    event = parse({**ECS_REGISTRY, "registry": {"hive": "HKLM", "key": "SOFTWARE\\Evil"}})
    assert (event.kind, event.fields["registry.path"]) == ("sysmon:registry_event", "HKLM\\SOFTWARE\\Evil")


# -- endpoint network records: the shape the IP -> host map learns from ----------------------------

def endpoint_connection(direction: str, source: str, destination: str, host_ips: list[str] | None = None) -> dict:
    host: dict = {"name": "WS-0042"}
    if host_ips is not None:
        host["ip"] = host_ips
    return {"@timestamp": T0, "event": {"category": ["network"], "module": "endpoint"}, "host": host,
            "network": {"direction": direction}, "process": {"pid": 7, "executable": "C:\\x.exe"},
            "source": {"ip": source, "port": 50000}, "destination": {"ip": destination, "port": 443}}


@pytest.mark.parametrize(("record", "own"), [
    (endpoint_connection("egress", "10.1.2.42", "203.0.113.9"), "10.1.2.42"),
    (endpoint_connection("ingress", "203.0.113.9", "10.1.2.42"), "10.1.2.42"),
    (endpoint_connection("unknown", "203.0.113.9", "10.1.2.42", ["10.1.2.42", "fe80::1"]), "10.1.2.42"),
    (endpoint_connection("unknown", "10.1.2.42", "203.0.113.9"), None),  # no side can be told
    (endpoint_connection("egress", "0.0.0.0", "203.0.113.9"), None),  # never a host's address
])
def test_endpoint_connections_name_the_host_s_own_end(record, own):
    event = parse(record)
    assert event.kind == "sysmon:network_connect"
    assert event.fields.get("host.ip") == own
    assert ("host.ip_unknown" in event.fields) == (own is None)


def test_an_endpoint_connection_maps_its_address_for_the_sensors(tmp_path, journal, graph):
    conn = {"_path": "conn", "ts": "2024-03-05T10:00:30Z", "uid": "C1", "id.orig_h": "10.1.2.42",
            "id.orig_p": 50001, "id.resp_h": "198.51.100.80", "id.resp_p": 80, "proto": "tcp"}
    ingest(tmp_path, journal, graph, endpoint_connection("egress", "10.1.2.42", "203.0.113.9"), conn)
    connected = relations(graph, "CONNECTED")
    assert (HOST, ("ip", "203.0.113.9")) in connected
    assert (HOST, ("ip", "198.51.100.80")) in connected  # the Zeek record, through the IP -> host map


# -- Filebeat's Zeek module ------------------------------------------------------------------------

FILEBEAT_DHCP = {"@timestamp": "2024-03-05T09:00:00.000Z", "agent": {"type": "filebeat"},
                 "event": {"module": "zeek", "dataset": "zeek.dhcp", "category": ["network"]},
                 "host": {"name": "zeek-sensor01"}, "source": {"ip": "10.1.5.5", "port": 68},
                 "destination": {"ip": "10.1.0.1", "port": 67},
                 "zeek": {"session_id": ["C1"], "dhcp": {
                     "hostname": "WS-0300", "lease_time": 86400, "msg_types": ["REQUEST", "ACK"],
                     "address": {"assigned": "10.1.5.5", "client": "10.1.5.5", "server": "10.1.0.1",
                                 "mac": "00:11:22:33:44:AA"}}}}
NATIVE_DHCP = {"_path": "dhcp", "ts": "2024-03-05T09:00:00.000000Z", "uids": ["C1"], "client_addr": "10.1.5.5",
               "server_addr": "10.1.0.1", "mac": "00:11:22:33:44:AA", "host_name": "WS-0300",
               "assigned_addr": "10.1.5.5", "lease_time": 86400, "msg_types": ["REQUEST", "ACK"]}
FILEBEAT_FILES = {"@timestamp": "2024-03-05T09:05:00.000Z", "agent": {"type": "filebeat"},
                  "event": {"module": "zeek", "dataset": "zeek.files", "category": ["file"]},
                  "host": {"name": "zeek-sensor01"}, "client": {"ip": "10.1.5.5"}, "server": {"ip": "203.0.113.7"},
                  "file": {"mime_type": "application/pdf", "hash": {"md5": "ee23456789abcdef0123456789abcdef"}},
                  "zeek": {"session_id": "C2", "files": {
                      "fuid": "F1", "tx_host": "203.0.113.7", "rx_host": "10.1.5.5", "source": "HTTP",
                      "is_orig": False, "filename": "invoice.pdf", "mime_type": "application/pdf",
                      "md5": "ee23456789abcdef0123456789abcdef", "seen_bytes": 100}}}
NATIVE_FILES = {"_path": "files", "ts": "2024-03-05T09:05:00.000000Z", "fuid": "F1", "tx_hosts": ["203.0.113.7"],
                "rx_hosts": ["10.1.5.5"], "conn_uids": ["C2"], "source": "HTTP", "is_orig": False,
                "filename": "invoice.pdf", "mime_type": "application/pdf",
                "md5": "ee23456789abcdef0123456789abcdef", "seen_bytes": 100}


@pytest.mark.parametrize(("filebeat", "native"), [(FILEBEAT_DHCP, NATIVE_DHCP), (FILEBEAT_FILES, NATIVE_FILES)])
def test_filebeat_zeek_records_give_the_native_zeek_event(filebeat, native):
    ours = parse(filebeat)
    (zeek,) = ZeekParser().parse(native, ParseContext(origin="t:1"))
    assert (ours.kind, ours.ts, ours.host) == (zeek.kind, zeek.ts, None)
    assert {k: v for k, v in ours.fields.items() if k != "observer.name"} == zeek.fields
    assert ours.fields["observer.name"] == "zeek-sensor01" and ours.source == "ecs"


def test_a_filebeat_zeek_dhcp_lease_maps_later_traffic_and_downloads(tmp_path, journal, graph):
    flow = {"@timestamp": "2024-03-05T09:30:00Z", "agent": {"type": "filebeat"},
            "event": {"module": "zeek", "dataset": "zeek.connection", "category": ["network"]},
            "host": {"name": "zeek-sensor01"}, "source": {"ip": "10.1.5.5", "port": 50000},
            "destination": {"ip": "198.51.100.80", "port": 443}, "zeek": {"connection": {"state": "SF"}}}
    events = ingest(tmp_path, journal, graph, FILEBEAT_DHCP, FILEBEAT_FILES, flow)
    assert events[0].fields["dhcp.hostname"] == "ws-0300"
    assert events[2].fields["ecs.zeek.connection.state"] == "SF"
    client = ("host", "ws-0300")
    assert (client, ("ip", "198.51.100.80")) in relations(graph, "CONNECTED")
    # a file with a digest is known by it, not by its name (two invoice.pdf are two files)
    assert (client, ("file", "ee23456789abcdef0123456789abcdef")) in relations(graph, "DOWNLOADED")


# -- the remainder ----------------------------------------------------------------------------------

def test_unmapped_keys_are_kept_under_ecs_and_bounded():
    wide = {f"k{i:03}": i for i in range(REMAINDER_LIMIT + 50)}
    event = parse({"@timestamp": T0, "host": {"name": "h"}, "process": {"pid": 1}, "agent": {"type": "x"},
                   "threat": {"enrichments": [{"indicator": {}}]}, "tags": ["a", "b"], "custom": wide})
    fields = event.fields
    assert fields["ecs.agent.type"] == "x" and fields["ecs.tags"] == ["a", "b"]
    assert "ecs.threat.enrichments" not in fields  # a list of objects: only the raw record keeps it
    kept = [key for key in fields if key.startswith("ecs.") and key != "ecs.remainder_dropped"]
    assert len(kept) == REMAINDER_LIMIT
    assert fields["ecs.remainder_dropped"] == 50 + 2  # agent.type and tags came first
    assert "ecs.process.pid" not in fields and fields["process.pid"] == 1  # mapped keys are not repeated


# -- M14: DNS answers without data ------------------------------------------------------------------

def dns(answers) -> dict:
    return {"@timestamp": T0, "event": {"category": ["network"]}, "host": {"name": "WS-0042"},
            "process": {"pid": 7, "executable": "C:\\x.exe"},
            "dns": {"question": {"name": "a.example"}, "answers": answers, "resolved_ip": ["198.51.100.4"]}}


@pytest.mark.parametrize(("answers", "expected"), [
    ([{"type": "A", "ttl": 30}], ["198.51.100.4"]),  # objects without data: resolved_ip says it
    ([{"data": None}, {"name": "a.example"}], ["198.51.100.4"]),
    ([{"data": "::ffff:198.51.100.5"}, {"type": "A"}], ["198.51.100.5"]),  # data wins, unset ones left out
])
def test_dns_answers_without_data_are_no_answer_and_resolved_ip_fills_in(answers, expected):
    assert parse(dns(answers)).fields["dns.answers"] == expected


def test_dns_answers_without_data_put_no_none_in_the_graph(tmp_path, journal, graph):
    ingest(tmp_path, journal, graph, dns([{"type": "A", "ttl": 30}]))
    assert relations(graph, "RESOLVES_TO") == {(("domain", "a.example"), ("ip", "198.51.100.4"))}
    assert all("none" not in str(entity.key).lower() for entity in graph.iter_entities())
