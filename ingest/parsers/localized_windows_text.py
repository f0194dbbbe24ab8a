"""Windows events rendered in German that were not read: recognised, counted and said.

Where GraphSIEM reads a Windows event's *rendered text* on one syslog line
(:mod:`ingest.parsers.syslog_windows_text`), it reads Windows' English and German titles and
labels (:mod:`ingest.parsers.syslog_windows_text_de`).  A German message of those events that
gives none of its event's labels after the title (a forwarder's first line, a template this
release does not know) stays a plain ``syslog:message``: it is counted by event id
(:data:`LOCALIZED_TEXT` in ``ParseContext.extras``) and the ingest report says how many were
not read and what to send instead: the language-neutral event data (Windows XML, ``.evtx``,
Winlogbeat/NXLog/Sentinel JSON with ``EventData``), which every other reader uses.  The message
itself is kept as it was (a ``syslog:message`` of its host).  Splunk's classic ``Message=`` text
(:mod:`ingest.parsers.windows_kv`) reads English Security labels only.
"""

from __future__ import annotations

import re
from collections import Counter

LOCALIZED_TEXT = "ingest.localized_windows_text"
"""``ParseContext.extras`` key: a ``Counter`` of ``(language, event id)`` of rendered messages not read
(the syslog reader counts a German title only when the Windows text reader gave no event)."""

GERMAN_TITLES: dict[str, int] = {
    "Ein Konto wurde erfolgreich angemeldet.": 4624,
    "Fehler beim Anmelden eines Kontos.": 4625,
    "Ein Konto wurde abgemeldet.": 4634,
    "Einer neuen Anmeldung wurden besondere Rechte zugewiesen.": 4672,
    "Ein neuer Prozess wurde erstellt.": 4688,
    "Ein Kerberos-Authentifizierungsticket (TGT) wurde angefordert.": 4768,
    "Ein Kerberos-Dienstticket wurde angefordert.": 4769,
    "Fehler bei der Kerberos-Vorauthentifizierung.": 4771,
    "Der Computer hat versucht, die Anmeldeinformationen für ein Konto zu überprüfen.": 4776,
    "Der Domänencontroller hat versucht, die Anmeldeinformationen für ein Konto zu überprüfen.": 4776,
    "Das Überwachungsprotokoll wurde gelöscht.": 1102,
}
"""The German titles (first sentence of the rendered message) of the events
:data:`ingest.parsers.syslog_windows_text.TITLES` reads in English -> event id."""

LANGUAGE_NAMES = {"de": "German"}


def localized_title(message: str) -> tuple[str, int] | None:
    """``("de", event id)`` when ``message`` starts with a German title of :data:`GERMAN_TITLES`.

    Examples
    --------
    >>> localized_title("Ein neuer Prozess wurde erstellt. Antragsteller: Sicherheits-ID: S-1-5-18")
    ('de', 4688)
    >>> localized_title("A new process has been created. Creator Subject: ...") is None
    True
    """
    found = _GERMAN_TITLE_RE.match(message.lstrip(" \t\ufeff"))
    return None if found is None else ("de", _GERMAN_TITLES_WITHOUT_PERIOD[found.group(1)])


# one anchored pattern, not a test of every title (most messages fail at their first letters); the
# title ends at a blank or the message's end, its period or not (a forwarder may trim it).  No
# title starts another, so which one matches does not depend on their order.
_GERMAN_TITLE_RE = re.compile("(" + "|".join(re.escape(title.removesuffix(".")) for title in GERMAN_TITLES)
                              + r")\.?(?=\s|\Z)")
_GERMAN_TITLES_WITHOUT_PERIOD = {title.removesuffix("."): event_id for title, event_id in GERMAN_TITLES.items()}


def note_localized(message: str, extras: dict[str, object]) -> bool:
    """Count ``message`` in ``extras`` when it is a German rendered event; whether it was one."""
    found = localized_title(message)
    if found is None:
        return False
    counts = extras.get(LOCALIZED_TEXT)
    if isinstance(counts, Counter):
        counts[found] += 1
    return True


def localized_lines(counts: Counter[tuple[str, int]]) -> list[str]:
    """The ingest report's lines, one a language.

    Examples
    --------
    >>> localized_lines(Counter({("de", 4625): 2, ("de", 4688): 1}))[0][:88]
    'localized Windows text: 3 German rendered messages (4625 x2, 4688 x1) were not read as W'
    """
    lines = []
    for language in sorted({language for language, _ in counts}):
        ids = sorted((event_id, count) for (lang, event_id), count in counts.items() if lang == language)
        total = sum(count for _, count in ids)
        listed = ", ".join(f"{event_id} x{count}" for event_id, count in ids)
        lines.append(f"localized Windows text: {total} {LANGUAGE_NAMES.get(language, language)} rendered "
                     f"messages ({listed}) were not read as Windows events (no label of the event followed "
                     "the title); send their event data instead (Windows XML, .evtx, Winlogbeat/NXLog JSON)")
    return lines
