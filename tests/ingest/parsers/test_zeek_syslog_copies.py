"""Capture copies in Zeek's ``syslog.log`` are one record (review U2 #1).

The Brim ``syslog.log`` holds every datagram 4 times (same flow uid, same message, microseconds
apart): the kramer credential finding counted 112 validations of ``jerry\\guest`` for 28 messages.
A record equal in every value but ``ts`` to one at most 2 ms before it is that record's capture copy
(:mod:`ingest.parsers.zeek_syslog_copies`); a Windows event carried with its ``EventRecordID`` keeps
its Windows content id, the same in every copy and in the endpoint's export.  Made-up records, and
the corpus read in place from ``$GRAPHSIEM_SAMPLES``.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import orjson

from ingest.journal import Journal
from ingest.pipeline import ingest_paths
from tests.ingest.parsers.test_zeek_syslog_windows_text_corpus import SYSLOG_TSV

T0 = 1521912156.282481
"""2018-03-24T17:22:36.282481Z: the time of one of the corpus's 4776 lines."""

VALIDATION = (
    "1 2018-03-24T09:06:26-07:00 Kramer.jerry.land EvntSLog - - - The domain controller attempted to "
    "validate the credentials for an account. Authentication Package: MICROSOFT_AUTHENTICATION_PACKAGE_V1_0 "
    "Logon Account: {account} Source Workstation: WORKSTATION Error Code: 0x0"
)


def _record(ts: float, message: str, uid: str = "CBs8sZ2kIbw2QgSdy4", port: int = 58947) -> dict:
    return {"_path": "syslog", "ts": round(ts, 6), "uid": uid, "id.orig_h": "10.47.22.25", "id.orig_p": port,
            "id.resp_h": "10.47.2.153", "id.resp_p": 514, "proto": "udp", "facility": "LOCAL0",
            "severity": "NOTICE", "message": message}


def _ingest(records: list[dict], tmp_path: Path, journal: Journal | None = None):
    path = tmp_path / f"syslog-{len(list(tmp_path.iterdir()))}.json"
    path.write_bytes(b"".join(orjson.dumps(record) + b"\n" for record in records))
    journal = journal or Journal(tmp_path / "journal.sqlite")
    report = ingest_paths([path], store=None, journal=journal, progress=False)
    assert report.total.received == report.total.accepted == len(records) and report.total.rejected == 0
    return report, journal


def _kinds(journal: Journal) -> Counter[str]:
    return Counter(item.event.kind for item in journal.iter_events())


def _accounts(journal: Journal) -> Counter[str]:
    return Counter(item.event.fields.get("user.name") for item in journal.iter_events()
                   if item.event.kind == "winsec:credential_validation")


def test_four_copies_of_one_datagram_are_one_record(tmp_path: Path) -> None:
    message = VALIDATION.format(account="guest")
    # the corpus's offsets: .282481, .282485, .282487, .282489
    report, journal = _ingest([_record(T0 + offset, message) for offset in (0, 4e-6, 6e-6, 8e-6)], tmp_path)
    assert report.total.duplicates == 3
    assert _kinds(journal) == {"zeek:syslog": 1, "winsec:credential_validation": 1}


def test_copies_are_measured_from_the_first_of_their_burst(tmp_path: Path) -> None:
    """Within 2 ms of the burst's first record, not of the copy before (no chaining)."""
    message = VALIDATION.format(account="guest")
    _, journal = _ingest([_record(T0 + offset, message) for offset in (0, 0.0015, 0.0030, 0.0031)], tmp_path)
    assert _accounts(journal) == {"guest": 2}


def test_the_same_text_resent_after_the_window_is_another_event(tmp_path: Path) -> None:
    """An account's repeated validations rendered to the same second: 11 ms apart in the corpus."""
    message = VALIDATION.format(account="guest")
    records = [_record(T0 + burst + copy, message) for burst in (0, 0.011, 0.022) for copy in (0, 2e-6)]
    report, journal = _ingest(records, tmp_path)
    assert report.total.duplicates == 3
    assert _accounts(journal) == {"guest": 3}


def test_the_same_text_in_another_flow_is_another_event(tmp_path: Path) -> None:
    message = VALIDATION.format(account="guest")
    records = [_record(T0, message), _record(T0 + 1e-6, message, uid="Cother1", port=58948)]
    _, journal = _ingest(records, tmp_path)
    assert _accounts(journal) == {"guest": 2}


def test_forged_lines_sent_first_do_not_hide_a_genuine_one(tmp_path: Path) -> None:
    """900 forged lines of the flow, each another account, just before the genuine line: all are kept.

    A forged line can make a genuine one its copy only by being that line (every value but the time).
    """
    forged = [_record(T0 - 0.0009 + index * 1e-6, VALIDATION.format(account=f"forged{index}"))
              for index in range(900)]
    genuine = _record(T0, VALIDATION.format(account="guest"))
    _, journal = _ingest([*forged, genuine], tmp_path)
    accounts = _accounts(journal)
    assert accounts["guest"] == 1 and len(accounts) == 901


def test_a_copy_ingested_again_later_adds_nothing(tmp_path: Path) -> None:
    """Another session (no memory of the burst): the copies take the first's ids again, and it is held."""
    message = VALIDATION.format(account="guest")
    records = [_record(T0 + offset, message) for offset in (0, 4e-6, 6e-6, 8e-6)]
    _, journal = _ingest(records, tmp_path)
    again, _ = _ingest(records, tmp_path, journal)
    assert again.total.events == 0 and again.total.duplicates == 4


NXLOG = {"EventID": 4688, "Hostname": "WS-0042.corp.example", "Channel": "Security", "RecordNumber": 5402080,
         "EventTime": "2024-03-05 09:00:10", "NewProcessName": "C:\\Windows\\System32\\cmd.exe",
         "NewProcessId": "0x4d", "ParentProcessName": "C:\\Windows\\explorer.exe"}


def test_a_carried_event_with_its_record_number_is_the_endpoint_exports_event(tmp_path: Path) -> None:
    """An NXLog ``@cee`` payload keeps its Windows content id: its copies, and the NXLog file, are one event.

    The copies here are 5 ms apart (beyond the window): the record number alone makes them one.
    """
    line = "1 2024-03-05T09:00:10Z WS-0042.corp.example nxlog - - - @cee: " + orjson.dumps(NXLOG).decode()
    start = 1709629210.5
    _, journal = _ingest([_record(start + offset, line) for offset in (0, 0.005, 0.010)], tmp_path)
    assert _kinds(journal) == {"zeek:syslog": 3, "winsec:process_create": 1}
    endpoint = tmp_path / "nxlog.json"
    endpoint.write_bytes(orjson.dumps(NXLOG) + b"\n")
    report = ingest_paths([endpoint], store=None, journal=journal, progress=False)
    assert report.total.accepted == 1 and report.total.events == 0 and report.total.duplicates == 1


def test_kramers_validations_of_guest_in_the_spray_are_28(tmp_path: Path) -> None:
    """The finding's window, 16:06-16:10 UTC: 112 lines of guest, 28 distinct messages (the finding said 112)."""
    journal = Journal(tmp_path / "journal.sqlite")
    report = ingest_paths([SYSLOG_TSV], store=None, journal=journal, progress=False)
    assert report.total.rejected == 0
    start, end = 1521907560.0, 1521907801.0  # 2018-03-24T16:06:00Z .. 16:10:01Z
    in_window = [item.event for item in journal.iter_events()
                 if item.event.kind == "winsec:credential_validation" and start <= item.event.ts < end]
    assert Counter(event.fields["user.name"] for event in in_window) == {"guest": 28, "david": 2}
