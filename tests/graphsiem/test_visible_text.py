"""One rule, two notations, for attacker text shown to a person (task PAGE3 #4).

The server's text (``graphsiem.visible_text.visible``: ``\\u202e`` codes) and the terminal's
(``ingest.report.printable``: Python's escapes) made attacker text safe by two rules: the server
kept lone surrogates, no-break spaces and private-use characters raw, the terminal escaped the ZWJ
an emoji sequence needs.  Both now write the same characters, each in its own notation.
"""

from __future__ import annotations

import sys

import pytest

from graphsiem.visible_text import escape_hidden, visible
from ingest.report import printable

# (raw, the server's code notation, the terminal's repr notation)
CASES = [
    pytest.param("invoice_\u202efdp.exe", "invoice_\\u202efdp.exe", "invoice_\\u202efdp.exe", id="bidi override"),
    pytest.param("a\u2066b\u2069c\u200fd\u061ce", "a\\u2066b\\u2069c\\u200fd\\u061ce",
                 "a\\u2066b\\u2069c\\u200fd\\u061ce", id="bidi isolates and marks"),
    pytest.param("evil\x1b[2J\x07", "evil\\u001b[2J\\u0007", "evil\\x1b[2J\\x07", id="C0 controls"),
    pytest.param("c1\x85x\x9bm\x7f", "c1\\u0085x\\u009bm\\u007f", "c1\\x85x\\x9bm\\x7f", id="C1 controls and DEL"),
    pytest.param("nul\x00end", "nul\\u0000end", "nul\\x00end", id="NUL"),
    pytest.param("half\ud800 and \udfff", "half\\ud800 and \\udfff", "half\\ud800 and \\udfff", id="lone surrogates"),
    pytest.param("pay\u200bpal\ufeff\u00ad", "pay\\u200bpal\\ufeff\\u00ad", "pay\\u200bpal\\ufeff\\xad",
                 id="zero-width and invisible"),
    pytest.param("tag\U000e0041\U000e007f", "tag\\U000e0041\\U000e007f", "tag\\U000e0041\\U000e007f",
                 id="tag characters"),
    pytest.param("a\u00a0b\u3000c", "a\\u00a0b\\u3000c", "a\\xa0b\\u3000c", id="spaces that read as one"),
    pytest.param("p\ue000u\U0010fffd", "p\\ue000u\\U0010fffd", "p\\ue000u\\U0010fffd", id="private use"),
    pytest.param("line\u2028para\u2029", "line\\u2028para\\u2029", "line\\u2028para\\u2029", id="separators"),
    pytest.param("👩\u200d💻 \u0645\u200c\u0627 ÿ", "👩\u200d💻 \u0645\u200c\u0627 ÿ", "👩\u200d💻 \u0645\u200c\u0627 ÿ",
                 id="ZWJ and ZWNJ kept"),
    pytest.param("C:\\Windows\\x.exe 'q' \"d\"", "C:\\Windows\\x.exe 'q' \"d\"", "C:\\Windows\\x.exe 'q' \"d\"",
                 id="plain text unchanged"),
]


@pytest.mark.parametrize(("raw", "code", "python"), CASES)
def test_each_notation_writes_the_hidden_characters_as_codes(raw: str, code: str, python: str) -> None:
    assert escape_hidden(raw) == code
    assert escape_hidden(raw, notation="repr") == python
    assert printable(raw) == python
    assert visible(raw) == code


def test_the_server_and_the_terminal_escape_the_same_characters() -> None:
    escaped_by_server = []
    escaped_by_terminal = []
    for point in range(sys.maxunicode + 1):
        char = chr(point)
        if char in "\t\n\r\x0b\x0c\u23ce":  # visible marks or folds these (below), printable escapes them
            continue
        if visible(char) != char:
            escaped_by_server.append(point)
        if printable(char) != char:
            escaped_by_terminal.append(point)
    assert escaped_by_server == escaped_by_terminal
    assert 0x202E in escaped_by_server and 0xD800 in escaped_by_server and 0x200D not in escaped_by_server


def test_visible_marks_each_line_break_and_folds_tabs_and_printable_escapes_them() -> None:
    # review U5: a break in a command line (a hidden second command) must show, as the page shows it
    assert visible("a\t\n b\r\nc") == "a ⏎  b⏎ c"
    assert visible("one\n\ntwo\rthree\t\tfour") == "one⏎ ⏎ two⏎ three four"
    assert printable("a\t\n b\r\nc") == "a\\t\\n b\\r\\nc"


def test_a_mark_in_the_data_is_written_as_its_code_so_every_mark_is_the_servers() -> None:
    assert visible("fake ⏎ second") == "fake \\u23ce second"
    assert visible("real\nfake⏎") == "real⏎ fake\\u23ce"
    assert printable("fake ⏎") == "fake ⏎"  # the terminal has no marks: nothing to tell apart


def test_server_text_with_a_lone_surrogate_can_be_sent_as_utf8() -> None:
    # a lone surrogate kept raw made the summary unencodable for a JSON answer or a terminal
    assert visible("bad \udc80 name").encode("utf-8") == b"bad \\udc80 name"
    assert printable("bad \udc80 name").encode("utf-8") == b"bad \\udc80 name"


def test_a_long_string_is_escaped_whole() -> None:
    raw = ("A" * 999 + "\u202e") * 2000  # 2 MB, 2000 overrides
    code, python = escape_hidden(raw), printable(raw)
    assert code == ("A" * 999 + "\\u202e") * 2000 and python == code
    plain = "B" * 4_000_000
    assert escape_hidden(plain) is plain  # the common value is not copied


def test_values_that_are_not_text_are_written_as_text() -> None:
    assert visible(None) == "None" and escape_hidden(42) == "42"
