"""The line-based reader of one-line Windows text, as it was before the one-pass reader: the parity reference.

Until the one-pass reader (:func:`ingest.parsers.syslog_windows_text.event_data`), the text was cut at
its labels into the lines Windows wrote, and those lines were read again by
:func:`ingest.parsers.windows_kv_templates.read_labels` (a regex per line).  This is that reader, word
for word, kept here only as the reference the parity tests compare the new reader with
(``test_syslog_windows_text_parity.py``): the same title, layouts and templates, the old label scan
and the old second pass.
"""

from __future__ import annotations

import re

from ingest.parsers.syslog_windows_explanations import explanation_start
from ingest.parsers.syslog_windows_text import (
    _ALL_TITLES,
    _GERMAN_LAYOUTS,
    _LAYOUTS,
    _LEADING_BLANKS,
    _TITLE_RE,
    _TITLES_WITHOUT_PERIOD,
    TITLES,
    _TextLayout,
)
from ingest.parsers.syslog_windows_text_de import ONE_WORD_LAST, german_explanation_start
from ingest.parsers.windows_kv import MAX_TEXT_CHARS
from ingest.parsers.windows_kv_templates import read_labels

_LABEL_COLON = re.compile(r":(?= |$)")


def _labels_in(text: str, layout: _TextLayout) -> list[tuple[int, int, str]]:
    """(start, end after the colon, label as written) of each of the layout's labels in ``text`` (the old scan)."""
    found: list[tuple[int, int, str]] = []
    floor = 0
    by_last_word = layout.by_last_word
    for colon in _LABEL_COLON.finditer(text):
        end = colon.start()
        labels = by_last_word.get(text[text.rfind(" ", 0, end) + 1:end].lower())
        if labels is None:
            continue
        for label in labels:
            start = end - len(label)
            if start >= floor and (start == 0 or text[start - 1] == " ") and text[start:end].lower() == label:
                found.append((start, end + 1, text[start:end]))
                floor = end + 1
                break
    return found


def reference_event_data(message: str) -> tuple[int, dict[str, str]] | None:
    """The event id and event data of a rendered message on one line, read as lines (the old reader)."""
    if len(message) > MAX_TEXT_CHARS:
        return None
    message = message.lstrip(_LEADING_BLANKS)
    title = _TITLE_RE.match(message)
    if title is None:
        return None
    full_title = _TITLES_WITHOUT_PERIOD[title.group().removesuffix(".")]
    event_id = _ALL_TITLES[full_title]
    layout = _LAYOUTS[event_id]
    text = " ".join(message[title.end():].split())
    english: dict[str, str] | None = None
    if full_title in TITLES:
        found = _labels_in(text, layout)
        explanation = explanation_start(text, event_id, found, layout.template.by_label)
    else:
        german, english = _GERMAN_LAYOUTS[event_id]
        found = _labels_in(text, german)
        explanation = german_explanation_start(text, event_id)
    if explanation is not None:
        text = text[:explanation]
        found = [label for label in found if label[0] < explanation]
    lines = [full_title]
    for index, (_, end, label) in enumerate(found):
        value = text[end:found[index + 1][0] if index + 1 < len(found) else len(text)].strip()
        if english is not None:
            label = english[label.lower()]
            if index + 1 == len(found) and label.lower() in ONE_WORD_LAST:
                value = value.partition(" ")[0]
        lines.append(f"{label}: {value}" if value else f"{label}:")
    data = read_labels(lines, layout.template)
    return (event_id, data) if data else None
