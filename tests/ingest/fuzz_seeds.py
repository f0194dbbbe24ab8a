"""Valid seed records of every parser, from this project's own fixtures.

Shared by the property tests (``test_pipeline_fuzz.py``) and the long fuzz run
(``benchmarks/fuzz_parsers.py``), so both mutate the same inputs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson

TESTS = Path(__file__).parent
PARSER_FIXTURES = TESTS / "parsers" / "fixtures"


def _ndjson(path: Path) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]


def seed_objects() -> list[dict[str, Any]]:
    """JSON records: ECS, every Windows shape, Zeek, Suricata, MDE and the sensor fixtures."""
    records = _ndjson(TESTS / "fixtures" / "ecs_events.ndjson")
    for path in sorted((PARSER_FIXTURES / "windows").glob("*.ndjson")):
        records += _ndjson(path)
    for name in ("zeek", "suricata"):
        path = PARSER_FIXTURES / name / "records.json"
        if path.exists():
            records += list(json.loads(path.read_text()).values())
    for path in sorted((TESTS / "fixtures" / "sensor").glob("*.json")):
        records += _ndjson(path)
    mde = PARSER_FIXTURES / "mde"
    records += list(json.loads((mde / "advanced_hunting.json").read_text()).values())
    for path in sorted(mde.glob("*.ndjson")):
        records += _ndjson(path)
    return [r for r in records if isinstance(r, dict)]


def seed_lines() -> list[str]:
    """Syslog text lines (RFC 3164, RFC 5424, CEF and ``@cee`` payloads)."""
    return [
        line
        for path in (PARSER_FIXTURES / "syslog" / "lines.log", TESTS / "fixtures" / "lines.log")
        if path.exists()
        for line in path.read_text(errors="replace").splitlines()
        if line.strip()
    ]
