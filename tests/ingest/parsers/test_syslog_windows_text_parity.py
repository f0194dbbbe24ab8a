"""The one-pass reader of one-line Windows text gives the line reader's event data, field by field (ZSYS, issue #3).

:func:`ingest.parsers.syslog_windows_text.event_data` read a message by cutting it at its labels,
writing the lines Windows wrote and reading them again with a regex
(:func:`ingest.parsers.windows_kv_templates.read_labels`): 45% of the Zeek corpus's ingest.  It
now reads each label's value in the one scan.  The line reader is kept in the test tree
(``syslog_windows_text_reference.py``) and both read every ``syslog.log`` message of the Brim
corpus (TSV and JSON), the project's fixtures (English and German) and mutants of them: forged
labels in values, labels out of order, spellings the line reader does not take for labels.
"""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from ingest.parsers import syslog_windows_text as reader
from ingest.parsers import windows_kv_templates
from ingest.parsers.base import ParseContext, ParseError
from ingest.parsers.syslog_header import _parse_header
from ingest.parsers.syslog_windows_text import event_data
from ingest.readers.base import RawRecord
from ingest.readers.zeek_tsv import ZeekTsvReader
from tests.ingest.parsers.syslog_windows_text_reference import reference_event_data
from tests.ingest.parsers.test_syslog_windows_text_german import PAIRS
from tests.ingest.parsers.test_zeek_syslog_windows_text_corpus import SYSLOG_JSON, SYSLOG_TSV

FIXTURES = Path(__file__).parent / "fixtures" / "syslog"
CONTEXT = ParseContext(reference_year=2024)


def _message(line: str) -> str:
    """The MSG of a syslog line (after its header), else the line itself."""
    try:
        return _parse_header(line, CONTEXT)[1]
    except ParseError:
        return line


def _corpus_messages(path: Path) -> list[str]:
    if path.suffix == ".json":
        return [orjson.loads(line)["message"] for line in path.read_bytes().splitlines() if line.strip()]
    with path.open("rb") as stream:
        return [item.record["message"] for item in ZeekTsvReader().read(stream, str(path))
                if isinstance(item, RawRecord) and isinstance(item.record.get("message"), str)]


FIXTURE_LINES = [line for name in ("windows_text.log", "lines.log", "devices.log")
                 for line in (FIXTURES / name).read_text().splitlines() if line.strip()]
GERMAN_AND_ENGLISH = [text for pair in PAIRS.values() for text in pair]
SEEDS = [_message(line) for line in FIXTURE_LINES if "EvntSLog" in line] + GERMAN_AND_ENGLISH


@pytest.mark.parametrize("path", [SYSLOG_TSV, SYSLOG_JSON], ids=["tsv", "json"])
def test_every_corpus_message_reads_as_the_line_reader_reads_it(path: Path) -> None:
    messages = _corpus_messages(path)
    read = 0
    for message in messages:
        body = _message(message)
        expected = reference_event_data(body)
        assert event_data(body) == expected, body
        read += expected is not None
    # the log's 2,378 lines, 1,220 of them a known event's text (test_zeek_syslog_windows_text_corpus)
    assert (len(messages), read) == (2378, 1220)


@pytest.mark.parametrize("line", FIXTURE_LINES)
def test_every_fixture_line_reads_as_the_line_reader_reads_it(line: str) -> None:
    body = _message(line)
    assert event_data(body) == reference_event_data(body)


@pytest.mark.parametrize("text", GERMAN_AND_ENGLISH)
def test_english_and_german_texts_read_as_the_line_reader_reads_them(text: str) -> None:
    expected = reference_event_data(text)
    assert expected is not None and event_data(text) == expected


_FORGERIES = [
    " Account Name: evil", " Source Network Address: 6.6.6.6", " Logon Type: 10", " Subject:",
    " New Logon: Security ID: S-1-5-18", " Process Command Line: x", " Key Length: 0", " Workstation Name:",
    " \u212aey Length: 5", " ACCOUNT NAME: x", " Kontoname: böse", " Quellnetzwerkadresse: 7.7.7.7",
    " Error Code: 0x0", " Token Elevation Type indicates the type", " This event is generated when",
    " Der Tokenerhöhungstyp gibt den Typ", " Privileges: SeDebugPrivilege", " Creator Process ID: 0x4",
]

_EDITS = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=4000),
        st.integers(min_value=0, max_value=30),
        st.one_of(st.sampled_from(_FORGERIES),
                  st.text(alphabet=st.sampled_from(list(" :-\t\nAaKk0x()é\u212a\u200bNameType")), max_size=12)),
    ),
    max_size=5,
)


@settings(max_examples=1500, deadline=None)
@given(index=st.integers(min_value=0, max_value=len(SEEDS) - 1), edits=_EDITS)
@example(index=0, edits=[(200, 0, " Account Name: evil")])
def test_mutated_texts_read_as_the_line_reader_reads_them(index: int, edits: list[tuple[int, int, str]]) -> None:
    text = SEEDS[index]
    for position, length, inserted in edits:
        position %= len(text) + 1
        text = text[:position] + inserted + text[position + length:]
    assert event_data(text) == reference_event_data(text)


def test_the_values_are_read_without_a_second_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    # the reader finds each label and its value once: it writes no lines for read_labels to read again
    def second_pass(*_args: object) -> dict[str, str]:
        raise AssertionError("lines read again")

    monkeypatch.setattr(windows_kv_templates, "read_labels", second_pass)
    monkeypatch.setattr(reader, "read_labels", second_pass, raising=False)
    text = GERMAN_AND_ENGLISH[0]
    assert event_data(text) is not None
