"""The CSV reader's row count and sniff read a body as its reader does.

``count_rows`` is what ``POST /v1/events`` holds to ``max_batch_records`` and the sniff
chooses the reader: each must agree with :meth:`CsvRowsReader.read` on the bodies that
trip a counter of lines or quotes, or a blank-line rule of its own.
"""

from __future__ import annotations

import io

import pytest

from graphsiem.api.services.ingest_body import count_csv_rows
from ingest.readers.base import RawRecord
from ingest.readers.csv_rows import CsvRowsReader

HEADER = b"_time,host,_raw\n"
BODIES = {
    "quote inside unquoted cells": HEADER + b'1,ws"a,x\n2,ws-2,y\n3,ws-3,z\n4,ws"b,w\n',
    "quoted line breaks and doubled quotes": HEADER + b'1,ws-1,"a\nb ""c"""\n2,ws-2,d\n',
    "quote never closed": HEADER + b'1,ws-1,"open\n2,ws-2,x\n3,ws-3,y\n',
    "blank and whitespace lines among rows": HEADER + b"1,ws-1,a\n\n2,ws-2,b\n   \n3,ws-3,c\n",
    "text after a closing quote": HEADER + b'1,ws-1,"a"b\n2,ws-2,c\n',
    "a header naming a column twice": b"_time,host,host\n1,a,b\n2,c,d\n",
    "whitespace-only lines before the header": b"  \n\t\r\n" + HEADER + b"1,ws-1,a\n",
    "a byte-order mark": b"\xef\xbb\xbf" + HEADER + b"1,ws-1,a\n",
}


@pytest.mark.parametrize("body", BODIES.values(), ids=BODIES.keys())
def test_the_count_is_what_the_reader_yields(body: bytes) -> None:
    read = list(CsvRowsReader().read(io.BytesIO(body.removeprefix(b"\xef\xbb\xbf")), "x.csv"))
    assert CsvRowsReader().count_rows(io.BytesIO(body.removeprefix(b"\xef\xbb\xbf"))) == len(read)
    assert count_csv_rows(body) == len(read)


def test_the_count_stops_past_the_limit() -> None:
    body = HEADER + b"".join(b"%d,ws,x\n" % n for n in range(1000))
    assert count_csv_rows(body, stop_after=10) == 11
    assert count_csv_rows(body, stop_after=1000) == 1000


@pytest.mark.parametrize("blank", [b"   \n", b"\t\r\n", b" \n\n \r\n", b"\x0c\n"])
def test_the_sniff_passes_over_the_blank_lines_the_reader_passes_over(blank: bytes) -> None:
    body = blank + HEADER + b"1,ws-1,a\n"
    reader = CsvRowsReader()
    assert reader.sniff(body, "x.csv")
    [row] = reader.read(io.BytesIO(body), "x.csv")
    assert isinstance(row, RawRecord) and row.record == {"_time": "1", "host": "ws-1", "_raw": "a"}


def test_a_head_of_blank_lines_only_is_no_export() -> None:
    assert not CsvRowsReader().sniff(b"  \n\t\n   ", "x.csv")
    assert not CsvRowsReader().sniff(b" _time,_raw\n", "x.csv")  # a line that starts blank is no header
