"""Sentinel SecurityEvent / Event rows exported as CSV by the Log Analytics portal read as the same rows as JSON."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from ingest.parsers.portal_times import from_portal_time
from tests.ingest.parsers.export_events import file_events, row_events

EXPORTS = Path(__file__).parent / "fixtures" / "exports"
TRAP = 'cmd.exe /c "echo a,b" & powershell -c "Write-Host ""x"""'


def test_the_portal_export_gives_the_events_of_the_json_rows(tmp_path):
    # TimeGenerated as '3/5/2024, 10:00:05.000 AM' under 'TimeGenerated [UTC]', EventID as text,
    # EventData as XML text (or JSON text), event data flattened into columns: all as the JSON rows
    rows = [orjson.loads(line) for line in (EXPORTS / "security_event.ndjson").read_bytes().splitlines()]
    exported = file_events(EXPORTS / "security_event.csv", tmp_path)
    assert exported == row_events(rows, tmp_path)
    assert len(exported) == len(rows) == 15


def test_quoted_command_lines_keep_their_quotes_commas_and_line_breaks(tmp_path):
    exported = file_events(EXPORTS / "security_event.csv", tmp_path)
    packed, flat = (fields for _, _, host, fields in exported if host == "ws-0077")
    assert packed["process.command_line"] == TRAP + "\nsecond line, with a comma"
    assert flat["process.command_line"] == TRAP + "\r\nsecond line, with a comma"
    assert flat["process.executable"] == "C:\\Tools\\a,b.exe"


@pytest.mark.parametrize(("text", "iso"), [
    ("2/25/2025, 9:19:25.391 AM", "2025-02-25T09:19:25.3910000Z"),
    ("12/31/2024, 11:59:59.999 PM", "2024-12-31T23:59:59.9990000Z"),
    ("1/1/2025, 12:00:00 AM", "2025-01-01T00:00:00.0000000Z"),
    ("1/1/2025, 12:30:00.5 PM", "2025-01-01T12:30:00.5000000Z"),
    ("2/29/2024 1:02:03 AM", "2024-02-29T01:02:03.0000000Z"),
    ("Apr 15, 2024 11:09:27 AM", "2024-04-15T11:09:27.0000000Z"),
    ("Dec 1, 2024 23:59:59.5", "2024-12-01T23:59:59.5000000Z"),
])
def test_portal_times_are_read_month_first_or_by_month_name(text, iso):
    assert from_portal_time(text) == iso


@pytest.mark.parametrize("text", [
    "25/2/2025, 9:19:25 AM", "2/30/2025, 9:19:25 AM", "2/25/2025, 13:19:25 PM", "2/25/2025, 0:19:25 AM",
    "2/25/2025, 09:19:25", "2025-02-25T09:19:25Z", "", "13/03/2024, 3:40:13.988 pm", "Foo 1, 2024 1:00:00 AM",
    "Apr 31, 2024 11:09:27 AM",
])
def test_other_text_is_no_portal_time(text):
    assert from_portal_time(text) is None
