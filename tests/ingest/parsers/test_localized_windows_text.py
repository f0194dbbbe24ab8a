"""German rendered Windows text not read is recognised, counted and said in the ingest report (task OLDQ #5).

A German Windows writes ``Ein neuer Prozess wurde erstellt.`` where the English reader looks for
``A new process has been created.``.  German text with its labels is now read
(tests/ingest/parsers/test_syslog_windows_text_german.py, task OLDQ2 #2); a German title with none
of its event's labels after it stays a ``syslog:message``, and the report names such messages by
event id and says what to send instead.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.journal import Journal
from ingest.parsers.localized_windows_text import GERMAN_TITLES, localized_title
from ingest.pipeline import ingest_paths

HEADER = "<13>1 2026-11-30T09:00:0{n}+01:00 DC-01.corp.example EvntSLog - - - "
GERMAN = [
    # titles with none of their event's labels (a forwarder's first line, a wording not known): not read
    "Ein neuer Prozess wurde erstellt.",
    "Fehler beim Anmelden eines Kontos. Konto gesperrt",
    "Fehler beim Anmelden eines Kontos",
    # a German message with its labels: read as Windows event, not counted
    "Fehler beim Anmelden eines Kontos. Antragsteller: Sicherheits-ID: S-1-0-0 Kontoname: - Anmeldetyp: 3",
]
ENGLISH = ("Special privileges assigned to new logon. Subject: Security ID: S-1-5-18 Account Name: DC-01$ "
           "Account Domain: CORP Logon ID: 0x3e7 Privileges: SeSecurityPrivilege")


def test_german_rendered_events_are_counted_by_id_and_the_report_says_what_to_send(tmp_path: Path) -> None:
    log = tmp_path / "dc.log"
    log.write_text("".join(HEADER.format(n=n) + text + "\n" for n, text in enumerate([*GERMAN, ENGLISH])),
                   encoding="utf-8")
    with Journal(tmp_path / "journal.sqlite") as journal:
        report = ingest_paths([log], store=None, journal=journal, progress=False)
        kinds = sorted(row.event.kind for row in journal.iter_events())
    as_dict = report.to_dict()
    assert as_dict["accepted"] == 5 and as_dict["rejected"] == 0
    assert as_dict["localized_windows_text"] == [{"language": "de", "event_id": 4625, "records": 2},
                                                 {"language": "de", "event_id": 4688, "records": 1}]
    assert ("localized Windows text: 3 German rendered messages (4625 x2, 4688 x1) were not read as Windows "
            "events (no label of the event followed the title); send their event data instead") in report.render()
    # the unread German messages are kept as their host's syslog messages; the others are read
    assert kinds == ["syslog:message"] * 3 + ["winsec:logon_failed", "winsec:special_privileges"]


def test_english_text_and_other_syslog_count_nothing(tmp_path: Path) -> None:
    log = tmp_path / "mixed.log"
    log.write_text(HEADER.format(n=0) + ENGLISH + "\n"
                   + "<13>Nov 30 09:00:01 web sshd[42]: Ein Konto wurde abgemeldet.x\n", encoding="utf-8")
    with Journal(tmp_path / "journal.sqlite") as journal:
        report = ingest_paths([log], store=None, journal=journal, progress=False)
    assert report.to_dict()["localized_windows_text"] == []
    assert "localized Windows text" not in report.render()


def _title_by_loop(message: str) -> tuple[str, int] | None:
    """The recognition as it was written before the one-pattern match (ZSYS): every title tried in turn."""
    text = message.lstrip(" \t\ufeff")
    for title, event_id in GERMAN_TITLES.items():
        for written in (title, title.removesuffix(".")):
            if text.startswith(written) and (len(text) == len(written) or text[len(written)].isspace()):
                return "de", event_id
    return None


@pytest.mark.parametrize("title", list(GERMAN_TITLES))
def test_a_german_title_is_recognised_as_by_trying_every_title(title: str) -> None:
    # the title with and without its period, cut short, after blanks or a byte-order mark, and
    # followed by nothing, a blank, a line break, an em space, a separator, a letter or a second period
    for head in ("", " ", "\ufeff", "\t \ufeff", "\u00a0", "x"):
        for body in (title, title.removesuffix("."), title[:-5]):
            for tail in ("", " ", "\n", "\u2003y", "\x1c", "x", ".", "..", ":", ". Antragsteller:"):
                message = head + body + tail
                assert localized_title(message) == _title_by_loop(message), message
