"""The values of one-line Windows text, read in one pass from the labels found in it.

:mod:`ingest.parsers.syslog_windows_text` finds a rendered message's labels in its one-line text
(the forwarder made Windows' line breaks blanks).  :func:`read_values` reads the value of each:
as :func:`ingest.parsers.windows_kv_templates.read_labels` reads the lines Windows wrote, without
writing those lines and reading them again with a regex (ZSYS, issue #3: that second pass was
the largest cost of the Zeek corpus's ingest).  The labels taken are the longest run in template
order, so a label forged inside a value (a client-chosen workstation name
``x Source Network Address: 6.6.6.6``) loses to the one Windows wrote after it; a label not taken
stays in the value before it as a line of its own, as the line reader keeps it.  A text whose
labels are all in template order (Windows' own) is read in one loop (:func:`_read_in_order`).

The line reader is kept in the test tree as the reference
(``tests/ingest/parsers/syslog_windows_text_reference.py``), and the parity tests compare the two
field by field.
"""

from __future__ import annotations

from ingest.parsers.syslog_windows_text_de import ONE_WORD_LAST
from ingest.parsers.windows_kv_templates import Template, _in_order, _longest_run

__all__ = ["read_values"]


def _entries(
    text: str, found: list[tuple[int, int, str]], template: Template, english: dict[str, str] | None
) -> list[tuple[str, str, tuple[int, ...] | None]]:
    """(label, value, candidate tokens) of each label found: the label as the line reader would
    read it (a German one under its English label), its value up to the next label, and the
    template tokens it may be (None: no label to that reader: a character outside ASCII, such as
    a Kelvin sign for ``K``, or a section title with a value)."""
    by_label, valued = template.by_label, template.valued
    count = len(found)
    entries: list[tuple[str, str, tuple[int, ...] | None]] = []
    for index, (_, end, label) in enumerate(found):
        value = text[end:found[index + 1][0] if index + 1 < count else len(text)].strip()
        if english is not None:
            label = english[label.lower()]
            if index + 1 == count and label.lower() in ONE_WORD_LAST:
                value = value.partition(" ")[0]  # what follows is Windows' German explanation
            candidates = (valued if value else by_label).get(label.lower())  # a title has no value
        elif label.isascii():
            candidates = (valued if value else by_label).get(label.lower())
        else:
            candidates = None
        entries.append((label, value, candidates))
    return entries


def read_values(
    text: str, found: list[tuple[int, int, str]], template: Template, english: dict[str, str] | None
) -> dict[str, str]:
    """The event data of ``text`` cut at its labels ``found``: each value runs to the next label Windows wrote.

    Read as :func:`ingest.parsers.windows_kv_templates.read_labels` reads the lines Windows
    wrote, without writing them: the labels taken are the longest run in template order (a label
    forged inside a value loses to the one Windows wrote after it), and a label not taken stays
    in the value before it as its own line (``label: value``), as the line reader keeps it
    (:func:`_entries`).  ``english`` (a German text) names each German label's English label;
    the last value is then one word if the English label's value is
    (:data:`ingest.parsers.syslog_windows_text_de.ONE_WORD_LAST`).
    """
    entries = _entries(text, found, template, english)
    in_order = _read_in_order(entries, template)
    if in_order is not None:
        return in_order
    labelled = [(index, candidates, value) for index, (_, value, candidates) in enumerate(entries) if candidates]
    chain = _in_order(labelled) or _longest_run(labelled, template.tokens)
    tokens = template.tokens
    data: dict[str, str] = {}
    for position, (index, token) in enumerate(chain):
        name = tokens[token].name
        if name is None:
            continue
        stop = chain[position + 1][0] if position + 1 < len(chain) else len(entries)
        if stop == index + 1:
            data[name] = entries[index][1]
        else:  # labels not taken: lines of this value, as Windows' line breaks would have kept them
            data[name] = "\n".join([entries[index][1], *(
                f"{label}: {value}" if value else f"{label}:" for label, value, _ in entries[index + 1:stop])])
    return data


def _read_in_order(entries: list[tuple[str, str, tuple[int, ...] | None]], template: Template) -> dict[str, str] | None:
    """:func:`read_values` of a text whose labels are all in template order (Windows' own text), in
    one loop; None when one is not (a label forged inside a value): the longest run decides then.

    Every label is then taken, each at its nearest later token (as
    :func:`ingest.parsers.windows_kv_templates._in_order` takes them); a label that is none
    (:func:`_entries`) is a line of the value before it.
    """
    tokens = template.tokens
    data: dict[str, str] = {}
    previous = -1  # the token of the last label taken
    name: str | None = None  # the field whose value is being read (None: a section title's or none yet)
    parts: list[str] = []  # that value's lines
    for label, value, candidates in entries:
        if not candidates:
            if name is not None:
                parts.append(f"{label}: {value}" if value else f"{label}:")
            continue
        for token in candidates:
            if token > previous:
                break
        else:
            return None  # out of template order
        if name is not None:
            data[name] = parts[0] if len(parts) == 1 else "\n".join(parts)
        previous = token
        name = tokens[token].name
        parts = [value]
    if name is not None:
        data[name] = parts[0] if len(parts) == 1 else "\n".join(parts)
    return data
