"""MDE rows through the real pipeline, journal and embedded store: the graph the equivalent Sysmon gives.

Each MDE row is ingested beside the Sysmon (or Security) event that records
the same observation, in Winlogbeat's shape, each into its own store; the
relations must be the same, the differences being the ones ``docs/fields.md``
names (an MDE connection's ``RemoteUrl`` is the name asked for: ``domain
RESOLVES_TO ip``; an MDE file is known by its SHA-256 where Sysmon 15 knows it
by its path).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pytest

from graphsiem.model import stable_hash
from graphsiem.store import open_store
from ingest.event_ids import as_read_id, canonical_text_id
from ingest.journal import Journal
from ingest.normalize import normalize_command_line
from ingest.parsers.base import ParserRegistry
from ingest.pipeline import ingest_paths, ingest_records
from ingest.readers.ndjson import canonical_json
from ingest.registry import default_registry
from tests.ingest.parsers.test_mde import FIXTURES, ROWS, SCRIPT
from tests.ingest.test_event_ids import open_on_scheme_1
from tests.reliability.snapshot import snapshot

SYSMON = "Microsoft-Windows-Sysmon/Operational"
PS_PATH = "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe"
PS_CMD = ROWS["process_created"]["ProcessCommandLine"]
WSCRIPT_PATH = "C:\\Windows\\System32\\wscript.exe"
WSCRIPT_CMD = '"wscript.exe" C:\\Users\\jdoe\\Downloads\\invoice.js'
PS_GUID = "{5770385f-c22a-5e0f-2400-000000001b00}"
WS_GUID = "{5770385f-c21e-5e0f-2300-000000001b00}"


def winlog(channel: str, event_id: int, record_id: int, when: str, data: dict[str, Any]) -> dict[str, Any]:
    """A Winlogbeat 8 record of WS-0042 (``winlog.event_data``)."""
    return {"@timestamp": when, "winlog": {"channel": channel, "computer_name": "ws-0042.corp.contoso.com",
                                           "event_id": str(event_id), "record_id": str(record_id),
                                           "event_data": data}}


def sysmon(event_id: int, record_id: int, when: str, data: dict[str, Any]) -> dict[str, Any]:
    return winlog(SYSMON, event_id, record_id, when, {"UtcTime": when.replace("T", " ").rstrip("Z")[:23], **data})


POWERSHELL = {"ProcessGuid": PS_GUID, "ProcessId": "7144", "Image": PS_PATH, "User": "CORP\\jdoe"}
SYSMON_1 = sysmon(1, 1, "2024-03-05T10:20:00.123Z", {
    **POWERSHELL, "CommandLine": PS_CMD, "CurrentDirectory": "C:\\Users\\jdoe\\", "IntegrityLevel": "Medium",
    "Hashes": "SHA1=6CBCE4A295C163791B60FC23D285E6D84F28EE4C,MD5=7353F60B1739074EB17C5F4DDDEFE239,"
              "SHA256=DE96A6E69944335375DC1AC238336066889D9FFC7D73628EF4FE1B1B160AB32C",
    "ParentProcessGuid": WS_GUID, "ParentProcessId": "6312", "ParentImage": WSCRIPT_PATH,
    "ParentCommandLine": WSCRIPT_CMD})
SYSMON_3 = sysmon(3, 2, "2024-03-05T10:20:01.555Z", {
    **POWERSHELL, "Protocol": "tcp", "Initiated": "true", "SourceIp": "10.1.2.42", "SourceHostname": "WS-0042",
    "SourcePort": "50213", "DestinationIp": "198.51.100.23", "DestinationPort": "443"})
SYSMON_3_INBOUND = sysmon(3, 3, "2024-03-05T10:25:14.000Z", {
    "ProcessGuid": "{5770385f-0000-0000-0000-000000000004}", "ProcessId": "4", "Image": "System",
    "User": "NT AUTHORITY\\SYSTEM", "Protocol": "tcp", "Initiated": "false", "SourceIp": "10.1.9.7",
    "SourcePort": "53114", "DestinationIp": "10.1.2.42", "DestinationPort": "445"})
SYSMON_7 = sysmon(7, 4, "2024-03-05T10:20:00.512Z", {
    **POWERSHELL, "ImageLoaded": ROWS["image_loaded"]["FolderPath"],
    "Hashes": "SHA256=0B1C2D3E4F5A6B7C8D9E0F1A2B3C4D5E6F7A8B9C0D1E2F3A4B5C6D7E8F9A0B1C"})
SYSMON_13 = sysmon(13, 5, "2024-03-05T10:22:10.000Z", {
    **POWERSHELL, "EventType": "SetValue",
    "TargetObject": "HKU\\S-1-5-21-1004336348-1177238915-682003330-1104\\Software\\Microsoft\\Windows"
                    "\\CurrentVersion\\Run\\Updater",
    "Details": "C:\\Users\\jdoe\\AppData\\Local\\Temp\\a.png.exe"})
SYSMON_15 = sysmon(15, 6, "2024-03-05T10:20:03.004Z", {
    **POWERSHELL, "TargetFilename": "C:\\Users\\jdoe\\AppData\\Local\\Temp\\a.png:Zone.Identifier",
    "Hash": "SHA256=1111111111111111111111111111111111111111111111111111111111111111",
    "Contents": "[ZoneTransfer]  ZoneId=3  ReferrerUrl=http://cdn-img-delivery.example/  "
                "HostUrl=http://cdn-img-delivery.example/a.png"})
SYSMON_22 = sysmon(22, 7, "2024-03-05T10:20:01.200Z", {
    **POWERSHELL, "QueryName": "cdn-img-delivery.example", "QueryStatus": "0",
    "QueryResults": "type:  5 edge.cdn-img-delivery.example;::ffff:198.51.100.23;"})
SYSMON_23 = sysmon(23, 8, "2024-03-05T10:21:30.700Z", {
    "ProcessGuid": WS_GUID, "ProcessId": "6312", "Image": WSCRIPT_PATH, "User": "CORP\\jdoe",
    "TargetFilename": "C:\\Users\\jdoe\\Downloads\\invoice.js", "Hashes": "", "IsExecutable": "false",
    "Archived": "false"})
SECURITY_4624 = winlog("Security", 4624, 9, "2024-03-05T10:30:00.000Z", {
    "TargetUserName": "svc-backup", "TargetDomainName": "CORP", "LogonType": "3", "IpAddress": "10.1.9.7",
    "IpPort": "53114", "WorkstationName": "SRV-07", "ProcessName": "C:\\Windows\\System32\\lsass.exe",
    "ProcessId": "0x2c8", "TargetLogonId": "0x335c1e"})
SECURITY_4625 = winlog("Security", 4625, 10, "2024-03-05T10:31:00.000Z", {
    "TargetUserName": "administrator", "TargetDomainName": "WS-0042", "LogonType": "10",
    "IpAddress": "203.0.113.9", "IpPort": "40422", "WorkstationName": "kali", "Status": "0xc000006d",
    "SubStatus": "0xc000006a"})
WSCRIPT_1 = sysmon(1, 0, "2024-03-05T10:19:58.654Z", {
    "ProcessGuid": WS_GUID, "ProcessId": "6312", "Image": WSCRIPT_PATH, "CommandLine": WSCRIPT_CMD,
    "User": "CORP\\jdoe", "ParentImage": "C:\\Windows\\explorer.exe", "ParentProcessId": "4012"})


def graph_of(tmp_path: Path, name: str, records: list[dict[str, Any]], registry: ParserRegistry) -> dict[str, Any]:
    """``records`` ingested in one call through the pipeline into a fresh journal and embedded store."""
    store = open_store("embedded", data_dir=tmp_path / name)
    try:
        with Journal(tmp_path / name / "journal.sqlite") as journal:
            report = ingest_records(records, store=store, journal=journal, registry=registry)
        assert (report.total.accepted, report.total.rejected) == (len(records), 0)
        assert report.projected["errors"] == 0
        return snapshot(store)
    finally:
        store.close()


def relations(graph: dict[str, Any]) -> set[tuple[Any, str, Any]]:
    """The graph's relations, a file known by its digest or by its path alike (``("file", "*")``)."""
    def end(ref: tuple[str, str]) -> tuple[str, str]:
        return ("file", "*") if ref[0] == "file" and not ref[1].startswith("hku\\") else tuple(ref)
    return {(end(src), kind, end(dst)) for src, kind, dst in graph["relations"]}


def process(image: str, command: str = "") -> tuple[str, str]:
    return ("process", stable_hash(image.lower(), normalize_command_line(command)))


PS = process(PS_PATH, PS_CMD)
ADDED_BY_REMOTE_URL = {(("domain", "cdn-img-delivery.example"), "RESOLVES_TO", ("ip", "198.51.100.23"))}
ADDED_BY_ORIGIN_IP = {(("file", "*"), "SERVED_BY", ("ip", "198.51.100.23")),
                      (("url", "http://cdn-img-delivery.example/a.png"), "SERVED_FROM", ("ip", "198.51.100.23"))}
"""MDE's ``FileOriginIP``: Sysmon 15's Zone.Identifier names no address (its ``HostUrl`` has a name)."""


WSCRIPT = process(WSCRIPT_PATH, WSCRIPT_CMD)
EXPLORER = ("process", stable_hash("c:\\windows\\explorer.exe", ""))
WSCRIPT_CREATION = {(("host", "ws-0042"), "RAN", EXPLORER), (EXPLORER, "SPAWNED", WSCRIPT),
                    (WSCRIPT, "RUN_AS", ("user", "corp\\jdoe"))}
"""What Sysmon needs a creation event (``WSCRIPT_1``) for: MDE names the process whole in its delete row
(both relate ``host RAN`` wscript: the delete names it on the host; the creation's parent ran there too)."""


@pytest.mark.parametrize(
    ("mde_rows", "sysmon_records", "only_mde", "only_sysmon"),
    [
        (["process_created"], [SYSMON_1], set(), set()),
        (["process_created", "connection_success"], [SYSMON_1, SYSMON_3], ADDED_BY_REMOTE_URL, set()),
        (["inbound_accepted"], [SYSMON_3_INBOUND], set(), set()),
        (["process_created", "image_loaded"], [SYSMON_1, SYSMON_7], set(), set()),
        (["process_created", "registry_value_set"], [SYSMON_1, SYSMON_13], set(), set()),
        (["process_created", "file_created_downloaded"], [SYSMON_1, SYSMON_15], ADDED_BY_ORIGIN_IP, set()),
        (["process_created", "dns_query_response"], [SYSMON_1, SYSMON_22], set(), set()),
        (["file_deleted"], [WSCRIPT_1, SYSMON_23], set(), WSCRIPT_CREATION),
        (["logon_success"], [SECURITY_4624], set(), set()),
        (["logon_failed"], [SECURITY_4625], set(), set()),
    ],
    ids=["process", "connection", "inbound", "image-load", "registry", "download", "dns", "file-delete",
         "logon", "logon-failed"],
)
def test_an_mde_row_makes_the_relations_its_sysmon_event_makes(
    tmp_path, mde_rows, sysmon_records, only_mde, only_sysmon
):
    mde = relations(graph_of(tmp_path, "mde", [ROWS[name] for name in mde_rows], default_registry()))
    windows = relations(graph_of(tmp_path, "sysmon", sysmon_records, default_registry()))
    assert only_mde <= mde and only_sysmon <= windows
    assert mde - only_mde == windows - only_sysmon
    assert mde - only_mde  # every case relates something


def test_the_created_powershell_carries_its_decoded_script_in_the_graph(tmp_path):
    graph = graph_of(tmp_path, "mde", [ROWS["process_created"], ROWS["connection_success"]], default_registry())
    props = dict(graph["entities"][PS][1])
    assert props["decoded_command"] == SCRIPT and props["sha256"].startswith("de96a6e6")
    assert (PS, "CONNECTED", ("ip", "198.51.100.23")) in graph["relations"]


def test_network_info_maps_a_sensors_flow_from_that_address_to_the_host(tmp_path):
    conn = {"_path": "conn", "ts": 1709634100.0, "uid": "CmdE1", "id.orig_h": "10.1.2.42", "id.orig_p": 50999,
            "id.resp_h": "192.0.2.80", "id.resp_p": 8443, "proto": "tcp", "conn_state": "SF"}
    without = graph_of(tmp_path, "alone", [conn], default_registry())
    assert (("ip", "10.1.2.42"), "CONNECTED", ("ip", "192.0.2.80")) in without["relations"]
    graph = graph_of(tmp_path, "mapped", [ROWS["network_info"], conn], default_registry())
    assert (("host", "ws-0042"), "CONNECTED", ("ip", "192.0.2.80")) in graph["relations"]


def test_the_fixture_files_ingest_whole_and_again_add_nothing(tmp_path):
    registry = default_registry()
    with Journal(tmp_path / "journal.sqlite") as journal:
        first = ingest_paths([FIXTURES], store=None, journal=journal, registry=registry, progress=False)
        events = journal.counts()["events"]
        again = ingest_paths([FIXTURES], store=None, journal=journal, registry=registry, progress=False)
        assert journal.counts()["events"] == events
    # advanced_hunting.json is one pretty-printed object of rows (not a row): the only rejection;
    # 6 streaming + 6 Log Analytics rows + the Event Hub message's 3 records, each a record
    assert {name: (c.accepted, c.rejected) for name, c in first.formats.items()} == {"mde": (15, 0), "unknown": (0, 1)}
    assert first.total.received == first.total.accepted + first.total.rejected == again.total.received
    # the network info row gives two addresses in each shape; the Event Hub message's 3 records are
    # 3 streaming rows in another framing and key order: the same 4 events (task IDS3)
    assert events == 7 + 7


def test_the_event_hub_message_journals_each_event_with_its_own_record(tmp_path):
    message = json.loads((FIXTURES / "eventhub_message.json").read_text(encoding="utf-8"))
    with Journal(tmp_path / "journal.sqlite") as journal:
        ingest_records([message], store=None, journal=journal, registry=default_registry())
        rows = list(journal.iter_events(with_raw=True))
    raws = [row.event.raw if isinstance(row.event.raw, dict) else json.loads(row.event.raw) for row in rows]
    assert raws == [message["records"][n] for n in (0, 1, 2, 2)]
    assert [row.event.origin for row in rows] == [f"api#1#record-{n}" for n in (1, 2, 3, 3)]


def message() -> dict[str, Any]:
    """The fixture's Event Hub message: process creation, connection, network info (two addresses)."""
    return json.loads((FIXTURES / "eventhub_message.json").read_text(encoding="utf-8"))


def ingest_message(tmp_path: Path, journal: Journal, name: str, data: bytes):
    (tmp_path / name).write_bytes(data)
    return ingest_paths([tmp_path / name], store=None, journal=journal, registry=default_registry(), progress=False)


def without_device(record: dict[str, Any]) -> dict[str, Any]:
    return {**record, "properties": {k: v for k, v in record["properties"].items() if k != "DeviceName"}}


@pytest.mark.parametrize(("spoil", "reason"), [
    (without_device, "MDE DeviceNetworkEvents row: no DeviceName"),
    (lambda record: {**record, "category": "AdvancedHunting-EmailEvents"},
     "advanced hunting table 'EmailEvents' is not read (only Device* tables)"),
    (lambda record: {"time": "x", "category": "Administrative", "properties": {}},
     "a streaming record needs a category AdvancedHunting-<table> and a properties object"),
    (lambda record: "text", "an MDE record must be a JSON object"),
], ids=["no-device", "other-table", "azure-activity", "text"])
def test_a_bad_record_of_a_message_rejects_only_itself(tmp_path, spoil, reason):
    spoilt = message()
    bad = spoilt["records"][1] = spoil(spoilt["records"][1])
    with Journal(tmp_path / "journal.sqlite") as journal:
        report = ingest_message(tmp_path, journal, "message.json", orjson.dumps(spoilt))
        assert (report.total.received, report.total.accepted, report.total.rejected) == (3, 2, 1)
        mde = report.formats["mde"]
        assert (mde.received, mde.accepted, mde.rejected, report.total.events) == (3, 2, 1, 3)
        (rejection,) = journal.rejected()
        assert (rejection.origin, rejection.format, rejection.reason) == (
            f"{tmp_path / 'message.json'}:1#record-2", "mde", reason)
        assert rejection.raw == (bad if isinstance(bad, str) else canonical_json(bad))
        assert [row.event.origin.rsplit("#", 1)[1] for row in journal.iter_events()] == [
            "record-1", "record-3", "record-3"]


def test_each_record_s_ids_are_over_its_canonical_json_and_the_same_message_again_adds_nothing(tmp_path):
    records = message()["records"]
    with Journal(tmp_path / "journal.sqlite") as journal:
        ingest_message(tmp_path, journal, "message.json", orjson.dumps(message()))
        texts = [canonical_json(record).encode() for record in records]
        ids = [row.event.id for row in journal.iter_events()]
        assert ids == [as_read_id("mde", texts[0]), as_read_id("mde", texts[1]),
                       as_read_id("mde", texts[2], 0), as_read_id("mde", texts[2], 1)]
        # received again from the hub: pretty-printed, keys in another order
        again = {"records": [dict(reversed(record.items())) for record in records]}
        report = ingest_message(tmp_path, journal, "again.json", json.dumps(again, indent=2).encode())
        assert (report.total.received, report.total.duplicates, report.total.events) == (3, 3, 0)
        assert journal.counts()["events"] == 4


def test_on_scheme_1_a_record_has_one_id_in_a_message_and_on_a_line_of_its_own(tmp_path):
    record = message()["records"][0]
    with open_on_scheme_1(tmp_path / "journal.sqlite") as journal:
        ingest_message(tmp_path, journal, "message.json", orjson.dumps({"records": [record]}))
        (row,) = journal.iter_events()
        assert row.event.id == canonical_text_id("mde", canonical_json(record))
        report = ingest_message(tmp_path, journal, "line.ndjson", json.dumps(record).encode() + b"\n")
        assert (report.total.duplicates, journal.counts()["events"]) == (1, 1)


def test_an_empty_message_is_not_claimed(tmp_path):
    # nothing in {"records": []} says it is MDE's (every Azure resource log streams in that
    # envelope): it is rejected as unrecognised, unlike an empty Elasticsearch scroll page
    with Journal(tmp_path / "journal.sqlite") as journal:
        report = ingest_message(tmp_path, journal, "empty.json", b'{"records": []}\n' + orjson.dumps(message()))
        assert (report.total.received, report.total.accepted, report.total.rejected) == (4, 3, 1)
        (rejection,) = journal.rejected()
        assert (rejection.format, rejection.reason) == (
            "unknown", "no parser recognises a JSON object with keys [records]")
