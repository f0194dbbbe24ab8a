"""A simulated fleet where one campaign host's endpoint clock is wrong, through the real path.

simulate -> move one host's endpoint timestamps -> ingest (journal, embedded store) -> detect.
The network sensors' clocks stay right, as when one workstation's clock drifts.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from analytics.config import DetectionConfig
from analytics.detect import DetectionResult, detect
from graphsiem.simulator.engine import simulate
from graphsiem.store.embedded import EmbeddedStore
from ingest.journal import Journal
from ingest.pipeline import ingest_paths


def shift_host_clock(telemetry: Path, host: str, hours: float) -> None:
    """Move one host's endpoint timestamps by ``hours`` (its clock is wrong; the network sensors' are not)."""
    delta = dt.timedelta(hours=hours)

    def shifted(value: str) -> str:
        t = dt.datetime.fromisoformat(value.replace("Z", "+00:00").replace(" ", "T")) + delta
        return t.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + ("Z" if value.endswith("Z") else "")

    for path in (telemetry / "endpoint").glob("winlogbeat-*.ndjson"):
        lines = []
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            if record.get("host", {}).get("name") == host:
                record["@timestamp"] = shifted(record["@timestamp"])
                if "created" in record.get("event", {}):
                    record["event"]["created"] = shifted(record["event"]["created"])
                data = record.get("winlog", {}).get("event_data", {})
                for name in ("UtcTime", "CreationUtcTime"):
                    if name in data:
                        data[name] = shifted(data[name]).replace("T", " ").rstrip("Z")
            lines.append(json.dumps(record, separators=(",", ":")))
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def detect_with_one_host_behind(
    root: Path, *, campaign: str, hours: float = -30.0, scenarios: list[str] | None = None
) -> tuple[DetectionResult, str]:
    """Simulate 120 hosts over two days (seed 7), move the clock of one of ``campaign``'s
    winlogbeat hosts by ``hours``, ingest and detect; the result and that host."""
    telemetry = root / "telemetry"
    simulate(telemetry, hosts=120, days=2, seed=7, density=0.3, scenarios=scenarios)
    truth = json.loads((telemetry / "ground_truth.json").read_text(encoding="utf-8"))
    collector = {h["host"]: h["collector"] for h in truth["fleet"]}
    entry = next(s for s in truth["scenarios"] if s["name"] == campaign)
    behind = next(h for h in entry["hosts"] if collector[h] == "winlogbeat")
    shift_host_clock(telemetry, behind, hours)

    store = EmbeddedStore(root / "graph")
    try:
        with Journal(root / "journal.sqlite") as journal:
            ingest_paths([telemetry / "endpoint", telemetry / "network"], store=store, journal=journal, progress=False)
        result = detect(store, config=DetectionConfig())
    finally:
        store.close()
    return result, behind
