"""Fixtures: one small simulation shared by the simulator tests (30 hosts, 2 days)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import orjson
import pytest

from graphsiem.simulator import simulate

HOSTS, DAYS, SEED = 30, 2, 11


@pytest.fixture(scope="session")
def small_run(tmp_path_factory: pytest.TempPathFactory):
    """``(out_dir, summary)`` of a 30-host, 2-day run with seed 11."""
    out = tmp_path_factory.mktemp("sim-small")
    summary = simulate(out, hosts=HOSTS, days=DAYS, seed=SEED)
    return out, summary


@pytest.fixture(scope="session")
def truth(small_run) -> dict:
    out, _ = small_run
    return json.loads((out / "ground_truth.json").read_text(encoding="utf-8"))


def read_ndjson(path: Path) -> list[dict]:
    with open(path, "rb") as stream:
        return [orjson.loads(line) for line in stream if line.strip()]


def endpoint_lines(out: Path) -> list[tuple[str, dict]]:
    """``(collector, record)`` of every endpoint line a simulation wrote under ``out``."""
    records = []
    for path in sorted((out / "endpoint").glob("*.ndjson")):
        collector = path.name.split("-", 1)[0]
        records.extend((collector, r) for r in read_ndjson(path))
    return records


@pytest.fixture(scope="session")
def endpoint_records(small_run) -> list[tuple[str, dict]]:
    """``(collector, record)`` of every endpoint line."""
    out, _ = small_run
    return endpoint_lines(out)


@pytest.fixture(scope="session")
def zeek_records(small_run) -> dict[str, list[dict]]:
    out, _ = small_run
    return {path.stem: read_ndjson(path) for path in sorted((out / "network").glob("*.log"))}


def event_data(collector: str, record: dict) -> dict:
    """The Windows ``EventData`` fields of a Winlogbeat or NXLog record."""
    return record["winlog"]["event_data"] if collector == "winlogbeat" else record


def event_id(collector: str, record: dict) -> int:
    return int(record["winlog"]["event_id"]) if collector == "winlogbeat" else record["EventID"]


def record_epoch(collector: str, record: dict) -> float:
    """A Winlogbeat or NXLog record's time, epoch seconds (NXLog's zone-less ``EventTime`` is UTC here)."""
    text = record["@timestamp"] if collector == "winlogbeat" else record["EventTime"] + "Z"
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def computer_name(collector: str, record: dict) -> str:
    return record["winlog"]["computer_name"] if collector == "winlogbeat" else record["Hostname"]
