"""Splunk results exported as CSV (``-output csv``, "Export results") read as the same results as JSON.

The JSON twin of each row is the dict the standard library's :class:`csv.DictReader` makes of it,
ingested as an HTTP body of results (a Splunk JSON fixture file would be taken for Splunk by
``test_splunk``'s walk over the fixtures, which no Splunk record may be).
"""

from __future__ import annotations

import csv
from pathlib import Path

from ingest.readers.files import choose_reader, default_readers
from tests.ingest.parsers.export_events import file_events, row_events

EXPORT = Path(__file__).parent / "fixtures" / "exports" / "splunk_results.csv"


def test_each_result_row_is_read_by_the_parser_of_its_raw_as_from_json(tmp_path):
    # _raw holds a syslog line, Sysmon XML with quotes and commas, and EVE JSON (its quotes doubled)
    assert choose_reader(EXPORT, default_readers()).reader.name == "csv"
    exported = file_events(EXPORT, tmp_path)
    with EXPORT.open(newline="", encoding="utf-8") as handle:
        results = list(csv.DictReader(handle))
    assert exported == row_events(results, tmp_path)
    assert [kind for kind, *_ in exported] == ["syslog:logon_failed", "sysmon:process_create", "suricata:dns"]
    login, process = exported[0][3], exported[1][3]
    assert (login["user.name"], login["source.ip"], login["event.outcome"]) == ("admin", "203.0.113.9", "failure")
    assert process["process.command_line"] == 'cmd.exe /c "echo a,b" & type "C:\\x y.txt"'
