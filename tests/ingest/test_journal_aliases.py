"""A record that now gives more events than an earlier release read from it adds only the new ones.

An event's id is derived from its record: ``(name, text)`` when the record gives one
event, ``(name, text, i)`` for each of several (:mod:`ingest.event_ids`).  When a parser
learns to read more of a record (this session: the Windows event that an EvntSLog line
of Zeek's ``syslog.log`` carries as rendered text, review T9), the record's first event
changes its id from the one-event form to ``(name, text, 0)``; re-ingesting the file
after the upgrade then journaled every ``zeek:syslog`` event a second time beside the
new Windows events.  The pipeline now gives that first event the one-event id as an
alias (:meth:`ingest.journal.Journal.append`): held under it, it is not new.

The earlier release is reproduced by its parser's behaviour: the Zeek parser without
the Windows events of syslog text (``windows_events_in_zeek_syslog`` returning none).
Read in place from ``$GRAPHSIEM_SAMPLES``.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from ingest.journal import Journal
from ingest.parsers import zeek
from ingest.pipeline import ingest_paths
from tests.ingest.parsers.test_zeek_syslog_windows_text_corpus import (
    CEE_KINDS,
    DATAGRAMS,
    SYSLOG_TSV,
    TEXT_KINDS,
)

LINES = 2378


def _kinds(journal: Journal) -> Counter[str]:
    return Counter(item.event.kind for item in journal.iter_events())


def test_reingesting_after_a_parser_reads_more_of_a_record_adds_only_the_new_events(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    journal = Journal(tmp_path / "journal.sqlite")
    with monkeypatch.context() as earlier_release:
        earlier_release.setattr(zeek, "windows_events_in_zeek_syslog", lambda record, context: [])
        # and before capture copies of one datagram were one record (ingest.parsers.zeek_syslog_copies)
        earlier_release.setattr(zeek, "first_copy_content", lambda kind, ts, fields, content, context: content)
        before = ingest_paths([SYSLOG_TSV], store=None, journal=journal, progress=False)
    assert before.total.events == LINES and _kinds(journal) == {"zeek:syslog": LINES}

    after = ingest_paths([SYSLOG_TSV], store=None, journal=journal, progress=False)

    # every line carries a Windows event; a datagram's capture copies carry it once
    assert sum(TEXT_KINDS.values()) + sum(CEE_KINDS.values()) == LINES
    windows = DATAGRAMS
    assert after.total.received == after.total.accepted == LINES and after.total.rejected == 0
    assert after.total.events == windows  # the Windows events only, not the syslog events again
    kinds = _kinds(journal)
    assert kinds["zeek:syslog"] == LINES
    assert sum(kinds.values()) == LINES + windows
    again = ingest_paths([SYSLOG_TSV], store=None, journal=journal, progress=False)
    assert again.total.events == 0 and again.total.duplicates == LINES
