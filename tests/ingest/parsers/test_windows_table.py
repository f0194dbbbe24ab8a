"""Sysmon 3/11/22, Security 4624 and PowerShell 7's 4104 in every Windows shape: the same normalised event.

``fixtures/windows/table_<shape>.ndjson`` hold the same six logical events,
line by line, as Winlogbeat 6, Winlogbeat 7/8, Sentinel, NXLog and evtx_dump
write them.
"""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from graphsiem.model import Event
from ingest.parsers.base import ParseContext, ParserRegistry
from ingest.parsers.windows import parsers

FIXTURES = Path(__file__).parent / "fixtures" / "windows"
SHAPES = {
    "winlogbeat6": "winlogbeat",
    "winlogbeat7": "winlogbeat",
    "sentinel": "sentinel",
    "nxlog": "nxlog",
    "evtx_dump": "evtx_json",
}
REGISTRY = ParserRegistry()
for _parser in parsers():
    REGISTRY.register(_parser)

AGENT = {
    "process.executable": "C:\\Tools\\agent.exe",
    "process.name": "agent.exe",
    "process.pid": 4242,
    "process.guid": "1a2b3c4d-0001-0002-0003-000000000001",
}
SYSMON = "Microsoft-Windows-Sysmon/Operational"

# (kind, time, channel, every field but event.channel and host.name.original)
EXPECTED = [
    ("sysmon:network_connect", 1709632803.0, SYSMON, {
        "event.code": "3", **AGENT, "user.name": "corp\\alice", "network.transport": "tcp",
        "network.direction": "outbound", "source.ip": "10.1.2.3", "source.port": 50000,
        "destination.ip": "203.0.113.7", "destination.port": 443,
        # the PTR names of both addresses: not domains the host asked for
        "source.ptr": "ws-0042.corp.example", "destination.ptr": "login.example.net",
        "host.ip": "10.1.2.3",
    }),
    ("sysmon:network_connect", 1709632804.0, SYSMON, {
        "event.code": "3", "process.executable": "C:\\Windows\\System32\\svchost.exe",
        "process.name": "svchost.exe", "process.pid": 880, "process.guid": "1a2b3c4d-0001-0002-0003-000000000002",
        "user.name": "nt authority\\network service", "network.transport": "tcp", "network.direction": "inbound",
        # kept as Sysmon wrote them: the local end (port 135) as source
        "source.ip": "10.1.2.3", "source.port": 135, "destination.ip": "10.1.2.99", "destination.port": 53118,
        "source.ptr": "ws-0042.corp.example", "destination.ptr": "ws-0099",
        "host.ip": "10.1.2.3",
    }),
    ("sysmon:file_create", 1709632811.0, SYSMON, {
        "event.code": "11", **AGENT, "user.name": "corp\\alice",  # written as the UPN alice@corp.example
        "file.path": "C:\\Users\\alice\\AppData\\Local\\Temp\\Payload.PNG", "file.name": "payload.png",
    }),
    ("sysmon:dns_query", 1709632822.0, SYSMON, {
        "event.code": "22", **AGENT, "user.name": "corp\\alice", "dns.question.name": "cdn.example.net",
        "dns.rcode": "0", "dns.answers": ["edge.example.net", "203.0.113.7", "198.51.100.9"],
        "dns.answer_types": ["CNAME", "A", "A"],
    }),
    ("winsec:logon", 1709632824.5, "Security", {
        "event.code": "4624", "event.outcome": "success", "user.name": "corp\\alice",  # domain corp.example
        "winlog.logon.type": 3, "source.ip": "10.1.2.99", "source.port": 50123,
        "source.workstation": "ws-0099", "process.pid": 0,
    }),
    ("powershell:script_block", 1709632841.0, "PowerShellCore/Operational", {
        "event.code": "4104", "powershell.script_block_text": "Write-Output 'graphsiem-test'",
        "powershell.script_block_id": "abcdef01-2345-6789-abcd-ef0123456789",
        "powershell.message_number": 1, "powershell.message_total": 1,
        "process.pid": 5120,  # the pwsh process that wrote the event
    }),
]

# What a shape does not carry: a Sentinel Event row has no writer's process id.
NOT_IN_SHAPE = {("sentinel", "powershell:script_block"): {"process.pid"}}


def _parse(record: dict) -> tuple[str, Event]:
    parser = REGISTRY.detect(record)
    events = list(parser.parse(record, ParseContext(origin="fixture:1")))
    assert len(events) == 1
    return parser.name, events[0]


def _records(shape: str) -> list[dict]:
    return [orjson.loads(line) for line in (FIXTURES / f"table_{shape}.ndjson").read_bytes().splitlines() if line]


@pytest.mark.parametrize("shape", sorted(SHAPES))
@pytest.mark.parametrize("index", range(len(EXPECTED)), ids=[f"{k}-{i}" for i, (k, *_) in enumerate(EXPECTED)])
def test_each_shape_gives_the_same_normalised_fields(shape: str, index: int) -> None:
    kind, ts, channel, expected = EXPECTED[index]
    records = _records(shape)
    assert len(records) == len(EXPECTED)
    parser, event = _parse(records[index])
    assert parser == SHAPES[shape]
    assert (event.kind, event.host, event.ts) == (kind, "ws-0042", pytest.approx(ts, abs=1e-3))
    assert event.fields.pop("event.channel") == channel
    assert event.fields.pop("host.name.original") == "WS-0042.corp.example"
    missing = NOT_IN_SHAPE.get((shape, kind), set())
    assert event.fields == {key: value for key, value in expected.items() if key not in missing}


@pytest.mark.parametrize("shape", ["winlogbeat6", "winlogbeat7", "nxlog"])
@pytest.mark.parametrize("channel", ["PowerShellCore/Operational", "powershellcore/operational"])
def test_powershell_7_script_blocks_are_script_blocks(shape: str, channel: str) -> None:
    record = _records(shape)[5]
    if shape == "winlogbeat6":
        record["log_name"] = channel
    elif shape == "winlogbeat7":
        record["winlog"]["channel"] = channel
    else:
        record["Channel"] = channel
    _, event = _parse(record)
    assert event.kind == "powershell:script_block"
    assert event.fields["powershell.script_block_text"] == "Write-Output 'graphsiem-test'"


def test_powershell_7_pipeline_events_are_pipeline_events() -> None:
    record = {"Hostname": "WS-0042", "EventID": 4103, "Channel": "PowerShellCore/Operational",
              "@timestamp": "2024-03-05T10:00:00Z", "ExecutionProcessID": 5120,
              "ContextInfo": "        Command Name = Invoke-WebRequest\r\n        User = CORP.EXAMPLE\\alice\r\n",
              "Payload": "CommandInvocation(Invoke-WebRequest)"}
    _, event = _parse(record)
    assert event.kind == "powershell:pipeline"
    assert event.fields["powershell.command"] == "Invoke-WebRequest"
    assert event.fields["user.name"] == "corp\\alice"
    assert event.fields["process.pid"] == 5120


def test_other_channels_sharing_the_event_ids_stay_other() -> None:
    record = _records("nxlog")[5]
    record["Channel"] = "PowerShellCore/Admin"
    assert _parse(record)[1].kind == "windows:other"
