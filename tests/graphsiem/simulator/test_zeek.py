"""Zeek renderings: TSV headers, unset and empty markers, JSON field order and omissions."""

from __future__ import annotations

import io

import orjson
import pytest

from graphsiem.simulator import simulate, zeek

HTTP = {"ts": 1793491200.5, "uid": "CabcdefghijklmnopQ", "id.orig_h": "10.32.0.5", "id.orig_p": 50000,
        "id.resp_h": "23.1.2.3", "id.resp_p": 80, "trans_depth": 1, "method": "GET", "host": "a.example",
        "uri": "/x\ty", "tags": [], "resp_fuids": ["Fabc"], "status_code": 200}


def test_tsv_row_marks_unset_empty_and_escapes_tabs():
    row = zeek.render_tsv("http", HTTP).split("\t")
    names = [name for name, _ in zeek.FIELDS["http"]]
    assert len(row) == len(names)
    values = dict(zip(names, row, strict=True))
    assert values["ts"] == "1793491200.500000"
    assert values["uri"] == "/x\\x09y"
    assert values["tags"] == "(empty)"
    assert values["referrer"] == "-"
    assert values["resp_fuids"] == "Fabc"


def test_json_line_keeps_zeek_order_and_omits_unset_fields():
    record = orjson.loads(zeek.render_json("http", HTTP, 1793491201.0))
    assert list(record)[:4] == ["_path", "_write_ts", "ts", "uid"]
    assert "referrer" not in record and record["tags"] == []


def test_unknown_field_is_refused():
    with pytest.raises(KeyError, match="zeek http: unknown fields \\['colour'\\]"):
        zeek.render_json("http", {**HTTP, "colour": "red"}, 0.0)


def test_tsv_header_declares_fields_and_types():
    stream = io.StringIO()
    zeek.write_tsv_header(stream, "dhcp", 1793491200.0)
    lines = stream.getvalue().splitlines()
    assert lines[0] == "#separator \\x09" and lines[4] == "#path\tdhcp"
    assert lines[5] == "#open\t2026-11-01-00-00-00"
    assert lines[6].split("\t")[1:] == [name for name, _ in zeek.FIELDS["dhcp"]]
    assert lines[7].split("\t")[1:] == [kind for _, kind in zeek.FIELDS["dhcp"]]


def test_tsv_run_writes_headers_rows_in_time_order_and_close(tmp_path):
    simulate(tmp_path, hosts=8, days=1, seed=2, zeek_tsv=True,
             scenarios=["os_updates", "seed_campaign"])
    lines = (tmp_path / "network" / "files.log").read_text(encoding="utf-8").splitlines()
    assert lines[-1] == "#close\t2026-11-02-00-00-00"
    rows = [line.split("\t") for line in lines if not line.startswith("#")]
    assert len(rows) >= 9
    times = [float(row[0]) for row in rows]
    assert times == sorted(times)
