"""The line-based reading of one-line Windows text, as it was before the one-pass reader: the parity reference.

Until the one-pass reader (:mod:`ingest.parsers.syslog_windows_values`), the text cut at its labels
(:func:`ingest.parsers.syslog_windows_text._cut`: the title, the labels found, Windows' explanation
left out) was written as the lines Windows wrote, and those lines were read again by
:func:`ingest.parsers.windows_kv_templates.read_labels` (a regex per line).  This is that second
step, word for word, kept here only as the reference the parity tests compare the new reader with
(``test_syslog_windows_text_parity.py``).
"""

from __future__ import annotations

from ingest.parsers.syslog_windows_text import _cut
from ingest.parsers.syslog_windows_text_de import ONE_WORD_LAST
from ingest.parsers.windows_kv import MAX_TEXT_CHARS
from ingest.parsers.windows_kv_templates import read_labels


def reference_event_data(message: str) -> tuple[int, dict[str, str]] | None:
    """The event id and event data of a rendered message on one line, read as lines (the old reader)."""
    if len(message) > MAX_TEXT_CHARS:
        return None
    cut = _cut(message)
    if cut is None:
        return None
    text, found, english = cut.text, cut.found, cut.english
    lines = ["(the title: not read)"]
    for index, (_, end, label) in enumerate(found):
        value = text[end:found[index + 1][0] if index + 1 < len(found) else len(text)].strip()
        if english is not None:
            label = english[label.lower()]
            if index + 1 == len(found) and label.lower() in ONE_WORD_LAST:
                value = value.partition(" ")[0]
        lines.append(f"{label}: {value}" if value else f"{label}:")
    data = read_labels(lines, cut.template)
    return (cut.event_id, data) if data else None
