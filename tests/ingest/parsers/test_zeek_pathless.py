"""Zeek JSON without ``_path`` (``LogAscii::use_json=T``): the log comes from the record's keys.

A file name is no log name: ``dns_20240101.json`` made ``zeek:dns_20240101``
events with no mapped field.  The keys decide; a file name breaks a tie only
when it names a known log; a record nothing tells is ``zeek:unknown``.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import orjson
import pytest

from ingest.journal import Journal
from ingest.parsers import zeek_logs
from ingest.parsers.base import ParseContext
from ingest.parsers.zeek import ZeekParser
from ingest.parsers.zeek_logs import log_name_from_hint, pathless_log
from ingest.pipeline import ingest_paths
from ingest.registry import default_registry
from tests.samples import samples_path

PARSER = ZeekParser()
BRIM_JSON = sorted((samples_path() / "brimdata-zed-sample-data" / "zeek-json").glob("*.json"))
if not BRIM_JSON and os.environ.get("CI") == "true":
    pytest.fail("Brim zeek-json sample files not found (set GRAPHSIEM_SAMPLES)", pytrace=False)

DNS = {"ts": 1709632800.0, "uid": "C1", "id.orig_h": "10.0.0.5", "id.orig_p": 53000, "id.resp_h": "10.0.0.53",
       "id.resp_p": 53, "proto": "udp", "trans_id": 7, "query": "Evil.Example.", "qtype_name": "A",
       "rcode_name": "NOERROR", "answers": ["192.0.2.7"]}
CONN = {"ts": 1709632800.0, "uid": "C2", "id.orig_h": "10.0.0.5", "id.orig_p": 50000, "id.resp_h": "192.0.2.7",
        "id.resp_p": 443, "proto": "tcp", "conn_state": "SF", "history": "ShADadFf", "orig_bytes": 10,
        "missed_bytes": 0}


def parse(record: dict, hint: str | None) -> list:
    return list(PARSER.parse(record, ParseContext(origin="t:1", path_hint=hint)))


@pytest.mark.parametrize(
    ("hint", "name"),
    [
        ("dns_20240101.json", "dns"),
        ("dns_20240101", "dns"),  # the pipeline's hint: the file name up to its first dot
        ("sensor1-dns.json", "dns"),
        ("logs/dns.2024-01-01-00-00-00.log", "dns"),
        ("C:\\zeek\\conn.00:00:00-01:00:00.log.gz", "conn"),
        ("sensor1-smb_files.json", "smb_files"),  # the longest known name, not "files"
        ("DCE_RPC.log", "dce_rpc"),
        ("capture.json", None),
        ("p7", None),
        ("sensor1", None),
        (None, None),
    ],
)
def test_a_file_name_names_a_log_only_as_a_known_log_token(hint: str | None, name: str | None) -> None:
    assert log_name_from_hint(hint) == name


@pytest.mark.parametrize("hint", ["dns_20240101.json", "sensor1-dns.json", "dns.2024-01-01-00-00-00.log",
                                  "capture.json", None])
def test_a_dns_record_without_path_is_dns_with_its_fields(hint: str | None) -> None:
    (event,) = parse(dict(DNS), hint)
    assert event.kind == "zeek:dns"
    assert event.fields["dns.question.name"] == "evil.example"
    assert event.fields["network.protocol"] == "dns"


def test_keys_decide_when_the_file_name_names_another_log() -> None:
    (event,) = parse(dict(DNS), "sensor1-conn.json")
    assert event.kind == "zeek:dns"
    (event,) = parse(dict(CONN), "dns_20240101.json")
    assert event.kind == "zeek:conn" and event.fields["network.transport"] == "tcp"


def test_a_record_nothing_tells_is_unknown_not_a_log_named_after_its_file() -> None:
    bare = {"ts": 1709632800.0, "uid": "C3", "id.orig_h": "10.0.0.5", "id.orig_p": 1, "id.resp_h": "10.0.0.6",
            "id.resp_p": 2}
    (event,) = parse(dict(bare), "sensor1_20240101.json")
    assert event.kind == "zeek:unknown"
    assert event.fields["source.ip"] == "10.0.0.5"  # still an event, with what every log maps
    (event,) = parse(dict(bare), "sensor1-ntlm.json")
    assert event.kind == "zeek:ntlm"  # keys tell nothing: a file name naming a known log does


def test_a_tie_of_keys_is_broken_by_the_file_name_only_when_it_names_one_of_them() -> None:
    record = {"ts": 1.0, "uid": "C4", "success": True}  # kerberos, ntlm and packet_filter have it
    assert pathless_log(record, "kerberos.json") == "kerberos"
    assert pathless_log(record, "ntlm.json") == "ntlm"
    assert pathless_log(record, "dns.json") == "unknown"
    assert pathless_log(record, "capture.json") == "unknown"


def test_a_record_mostly_of_unknown_keys_is_not_given_a_log_by_one_shared_key() -> None:
    mqtt = {"ts": 1.0, "uid": "C5", "from_client": True, "retain": False, "qos": 0, "status": "ok",
            "topic": "a/b", "payload": "x"}
    assert pathless_log(mqtt, "capture.json") == "unknown"  # "status" alone is ntlm's and socks's


def test_logs_without_a_connection_are_detected_without_path() -> None:
    registry = default_registry()
    x509 = {"ts": 1.0, "fingerprint": "ab" * 32, "certificate.subject": "CN=evil.example",
            "certificate.issuer": "CN=evil.example", "san.dns": ["evil.example"]}
    software = {"ts": 1.0, "host": "10.0.0.5", "software_type": "HTTP::BROWSER", "name": "curl",
                "unparsed_version": "curl/8.0"}
    for record, kind in ((x509, "zeek:x509"), (software, "zeek:software")):
        parser = registry.detect(record)
        assert parser.name == "zeek"
        (event,) = parse(dict(record), None)
        assert event.kind == kind
    assert parse(dict(x509), None)[0].fields["x509.san"] == ["evil.example"]


def test_a_record_with_ts_and_one_common_word_is_not_taken_for_zeek() -> None:
    assert not PARSER.sniff({"ts": 1.0, "message": "hello"})
    assert not PARSER.sniff({"ts": 1.0, "name": "x", "value": 3})


def test_the_layout_memo_stays_bounded() -> None:
    for n in range(zeek_logs._LAYOUT_LIMIT + 10):
        pathless_log({"ts": 1.0, f"k{n}": 1, "query": "a.example"}, None)
    assert len(zeek_logs._layouts) <= zeek_logs._LAYOUT_LIMIT


def test_plain_zeek_json_files_through_the_pipeline(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "dns_20240101.json").write_bytes(orjson.dumps(DNS) + b"\n")
    (logs / "sensor1-conn.json").write_bytes(orjson.dumps(CONN) + b"\n")
    (logs / "capture.json").write_bytes(orjson.dumps({**CONN, "uid": "C9"}) + b"\n")
    with Journal(tmp_path / "journal.sqlite") as journal:
        report = ingest_paths([logs], store=None, journal=journal, progress=False)
        assert (report.total.received, report.total.accepted) == (3, 3)
        kinds = Counter(row.event.kind for row in journal.iter_events())
    assert kinds == Counter({"zeek:conn": 2, "zeek:dns": 1})


def _events(path: Path, drop_path: bool, hint: str) -> list[tuple[str, dict]]:
    events = []
    for line in path.read_bytes().splitlines():
        record = orjson.loads(line)
        if drop_path:
            del record["_path"]
            assert PARSER.sniff(record)
        events.extend((event.kind, event.fields) for event in parse(record, hint))
    return events


@pytest.mark.parametrize("path", BRIM_JSON, ids=lambda p: p.name)
def test_brim_logs_without_path_give_the_same_events(path: Path) -> None:
    # the Brim files carry _path: without it, their keys (and their file name) must tell the same logs
    assert _events(path, True, path.name) == _events(path, False, path.name)


@pytest.mark.parametrize("path", BRIM_JSON, ids=lambda p: p.name)
def test_brim_logs_without_path_by_their_keys_alone(path: Path) -> None:
    with_path = Counter(kind for kind, _ in _events(path, False, "capture.json"))
    without = Counter(kind for kind, _ in _events(path, True, "capture.json"))
    # one ntlm layout holds no field of its own (ts, uid and id.* only): nothing but a name tells it
    unknown = 1 if path.name == "ntlm.json" else 0
    assert without == with_path - Counter({"zeek:ntlm": unknown}) + Counter({"zeek:unknown": unknown})
