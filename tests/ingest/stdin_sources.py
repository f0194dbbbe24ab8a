"""Bytes to pipe into ``graphsiem ingest -``, made from this project's own fixtures.

Shared by the pipeline's standard-input tests (``tests/ingest/test_stdin.py``)
and the command's (``tests/graphsiem/cli/test_ingest_stdin.py``).
"""

from __future__ import annotations

import json
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"
PARSER_FIXTURES = Path(__file__).parent / "parsers" / "fixtures"


def mixed_formats_ndjson() -> bytes:
    """NDJSON lines of Winlogbeat (Sysmon), Zeek JSON and Suricata EVE records, in that order.

    The Zeek and EVE records are the parser tests' named records, one compact
    line each: 5 Winlogbeat, 17 Zeek and 18 EVE records, all accepted.
    """
    lines = (PARSER_FIXTURES / "windows" / "winlogbeat7.ndjson").read_bytes().splitlines()
    for name in ("zeek", "suricata"):
        records = json.loads((PARSER_FIXTURES / name / "records.json").read_text(encoding="utf-8"))
        lines += [json.dumps(record, separators=(",", ":")).encode() for record in records.values()]
    return b"\n".join(line for line in lines if line.strip()) + b"\n"


def zeek_json_lines() -> bytes:
    """Two Zeek ``conn`` records (JSON with ``_path``)."""
    return (FIXTURES / "sensor" / "a_conn.json").read_bytes()


def zeek_tsv_without_path(tsv: bytes) -> bytes:
    """A Zeek TSV log without its ``#path`` line, as some exporters write it."""
    return b"".join(line for line in tsv.splitlines(keepends=True) if not line.startswith(b"#path"))
