"""``graphsiem events --host NAME``: a host's journaled events, newest first, from the journal alone."""

from __future__ import annotations

import json
from pathlib import Path

from graphsiem.cli import main

SERVICE = ('{{"@timestamp": "2026-09-21T14:{minute:02d}:00Z", "message": "The Spooler {n} service entered the '
           'stopped state.", "winlog": {{"computer_name": "PC-QUIET.jerry.land", "event_id": 7036, '
           '"channel": "System", "event_data": {{"param1": "Spooler", "param2": "stopped"}}}}}}\n')
HOSTILE = ('{"@timestamp": "2026-09-21T15:00:00Z", "host": {"name": "PC-QUIET"}, "process": '
           '{"executable": "C:\\\\x\\\\cmd.exe", "command_line": "cmd /c \\u001b[2Jecho <img src=x onerror=alert(1)>"}}\n')


def _ingested(tmp_path: Path) -> Path:
    records = tmp_path / "quiet.ndjson"
    records.write_text("".join(SERVICE.format(minute=n, n=n) for n in range(5)) + HOSTILE, encoding="utf-8")
    data = tmp_path / "data"
    assert main(["ingest", str(records), "--data", str(data)]) == 0
    return data


def test_a_hosts_events_newest_first_paged_with_the_cursor(tmp_path, capsys) -> None:
    data = _ingested(tmp_path)
    capsys.readouterr()
    assert main(["events", "--host", "PC-QUIET.jerry.land", "--data", str(data), "--limit", "2", "--json"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["host"] == "pc-quiet" and first["total"] == 6 and first["total_capped"] is False
    assert [row["summary"] for row in first["items"]] == [
        "cmd /c \\u001b[2Jecho <img src=x onerror=alert(1)>",  # the escape shown as its code, not obeyed
        "The Spooler 4 service entered the stopped state."]
    assert main(["events", "--host", "pc-quiet", "--data", str(data), "--before", first["next_before"],
                 "--kind", "windows:other"]) == 0
    text = capsys.readouterr().out
    assert text.splitlines()[0] == "pc-quiet: 4 of 5 event(s), newest first"
    assert [line.split("  ")[2] for line in text.splitlines()[1::2]] == [
        f"The Spooler {n} service entered the stopped state." for n in (3, 2, 1, 0)]
    assert "\x1b" not in text


def test_a_host_the_journal_never_saw_is_exit_1_and_a_bad_cursor_exit_2(tmp_path, capsys) -> None:
    data = _ingested(tmp_path)
    capsys.readouterr()
    assert main(["events", "--host", "nosuch", "--data", str(data)]) == 1
    assert capsys.readouterr().err == "graphsiem events: the journal holds no event of host 'nosuch'\n"
    assert main(["events", "--host", "pc-quiet", "--data", str(data), "--before", "x"]) == 2
    assert "not a cursor of this listing" in capsys.readouterr().err
