"""Which records without ``_path`` the Zeek sniff claims: Zeek's own keys, not a ``ts`` and two common words.

6745f2c let ``ts`` plus two keys of any listed log make a record Zeek, so
application JSON (``{"ts", "level", "message"}``) was journaled for good as
host-less ``zeek:reporter`` events instead of being rejected as unknown.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.journal import Journal
from ingest.parsers import zeek_logs
from ingest.parsers.zeek import ZeekParser
from ingest.pipeline import ingest_records

PARSER = ZeekParser()
TS = "2024-03-05T10:00:00.000000Z"

APPLICATION_JSON = [
    {"ts": TS, "level": "info", "message": "login ok", "location": "auth.go:42"},  # was zeek:reporter
    {"ts": TS, "level": "warn", "message": "slow query"},  # was zeek:reporter
    {"ts": TS, "host": "web-1", "name": "nginx", "version": "1.2"},  # was zeek:unknown
    {"ts": TS, "user": "alice", "password": "***", "command": "deploy"},  # was zeek:ftp
    {"ts": TS, "method": "GET", "uri": "/", "status_code": 200, "user_agent": "curl/8", "host": "web-1"},
    {"ts": TS, "facility": "auth", "severity": "info", "message": "x", "proto": "udp"},  # syslog's names
    {"ts": TS, "name": "x", "addl": "y", "notice": False, "peer": "p", "source": "s"},  # weird's names
    {"ts": TS, "uid": "u-17", "name": "alice"},  # an application's user id, no connection
]


@pytest.mark.parametrize("record", APPLICATION_JSON, ids=lambda r: "-".join(k for k in r if k != "ts"))
def test_application_json_with_ts_is_rejected_not_journaled_as_zeek(tmp_path: Path, record: dict) -> None:
    with Journal(tmp_path / "journal.sqlite") as journal:
        report = ingest_records([record], store=None, journal=journal)
        assert (report.total.received, report.total.accepted, report.total.rejected) == (1, 0, 1)
        (rejection,) = journal.rejected()
        assert "no parser recognises" in rejection.reason
        assert list(journal.iter_events()) == []


@pytest.mark.parametrize(
    ("record", "kind"),
    [
        ({"ts": TS, "uid": "C1", "id.orig_h": "10.0.0.5", "id.orig_p": 1, "id.resp_h": "10.0.0.6", "id.resp_p": 2,
          "proto": "tcp", "conn_state": "SF"}, "zeek:conn"),
        ({"ts": TS, "uid": "C1", "id": {"orig_h": "10.0.0.5", "orig_p": 1, "resp_h": "10.0.0.6", "resp_p": 53},
          "query": "a.example", "qtype_name": "A"}, "zeek:dns"),  # Filebeat-style nesting
        ({"ts": TS, "id.orig_h": "10.0.0.5", "id.orig_p": 1, "id.resp_h": "10.0.0.6", "id.resp_p": 2,
          "name": "bad_TCP_checksum", "notice": False, "peer": "zeek", "source": "TCP"}, "zeek:weird"),
        ({"ts": TS, "host": "10.0.0.5", "software_type": "HTTP::BROWSER", "name": "curl",
          "unparsed_version": "curl/8.0"}, "zeek:software"),
        ({"ts": TS, "fingerprint": "ab" * 32, "certificate.subject": "CN=a", "certificate.issuer": "CN=a",
          "san.dns": ["a.example"]}, "zeek:x509"),
        ({"ts": TS, "uids": ["C1"], "client_addr": "10.0.0.5", "server_addr": "10.0.0.1", "mac": "aa:bb:cc:dd:ee:ff",
          "assigned_addr": "10.0.0.5", "lease_time": 3600.0, "msg_types": ["REQUEST", "ACK"]}, "zeek:dhcp"),
    ],
    ids=["conn", "nested-id", "weird-without-uid", "software", "x509", "dhcp"],
)
def test_zeek_json_without_path_is_still_claimed(tmp_path: Path, record: dict, kind: str) -> None:
    with Journal(tmp_path / "journal.sqlite") as journal:
        report = ingest_records([record], store=None, journal=journal)
        assert report.total.accepted == 1
        assert [row.event.kind for row in journal.iter_events()] == [kind]


def test_a_foreign_key_beside_one_logs_keys_is_not_zeek() -> None:
    software = {"ts": TS, "host": "10.0.0.5", "software_type": "HTTP::BROWSER", "name": "curl",
                "unparsed_version": "curl/8.0"}
    assert PARSER.sniff(software)
    assert not PARSER.sniff({**software, "request_id": "r-1"})


def test_the_claim_memo_stays_bounded() -> None:
    for n in range(zeek_logs._LAYOUT_LIMIT + 10):
        PARSER.sniff({"ts": 1.0, f"k{n}": 1, "software_type": "x", "unparsed_version": "y"})
    assert len(zeek_logs._claims) <= zeek_logs._LAYOUT_LIMIT
