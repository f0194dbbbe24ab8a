"""The optional vendor heartbeat scenarios make what they claim (task HB).

``vendor_heartbeat``: an old agent on 80 % of the fleet resolving its vendor's domain every 30 min
± 2 % from the first day; ``vendor_heartbeat_rollout``: a new agent installed by msiexec on half the
fleet on the last day, heartbeating every 30 min ± 2 % from 09:00.  Read from the Sysmon 22 lines written,
not from the ingest, so a failure here is the simulator's.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime

import numpy as np
import pytest

from graphsiem.simulator import DEFAULT_SCENARIOS, OPTIONAL_SCENARIOS, simulate
from tests.graphsiem.simulator.conftest import (
    computer_name,
    event_data,
    event_id,
    read_ndjson,
    record_epoch,
)

HOSTS, DAYS, SEED = 100, 2, 5
OLD, NEW = "heartbeat.sentryvault-agent.com", "checkin.patchpilot-cloud.com"
DAY = 86_400.0


@pytest.fixture(scope="module")
def heartbeat_run(tmp_path_factory: pytest.TempPathFactory):
    """``(truth, queries, msiexec, start)``: each domain's per-host Sysmon 22 times, the msiexec times."""
    out = tmp_path_factory.mktemp("sim-heartbeat")
    simulate(out, hosts=HOSTS, days=DAYS, seed=SEED, scenarios=["vendor_heartbeat", "vendor_heartbeat_rollout"])
    truth = json.loads((out / "ground_truth.json").read_text(encoding="utf-8"))
    queries: dict[str, dict[str, list[float]]] = {OLD: defaultdict(list), NEW: defaultdict(list)}
    msiexec: dict[str, float] = {}
    for path in sorted((out / "endpoint").glob("*.ndjson")):
        collector = path.name.split("-", 1)[0]
        for record in read_ndjson(path):
            host = computer_name(collector, record).split(".")[0].lower()
            data, eid = event_data(collector, record), event_id(collector, record)
            if eid == 22 and data["QueryName"] in queries:
                queries[data["QueryName"]][host].append(record_epoch(collector, record))
            elif eid == 1 and "PatchPilotAgent" in data["CommandLine"]:
                msiexec[host] = record_epoch(collector, record)
    start = datetime.fromisoformat(truth["window"][0].replace("Z", "+00:00")).timestamp()
    return truth, queries, msiexec, start


def _entry(truth: dict, name: str) -> dict:
    return next(e for e in truth["scenarios"] if e["name"] == name)


def _gaps_cv(times: list[float], start: float) -> tuple[float, float]:
    """The median gap and the gaps' coefficient of variation, within each day: the scheduler starts
    each day's periodic runs afresh, so the gap across midnight is not the agent's period."""
    days = np.floor((np.asarray(sorted(times)) - start) / DAY)
    gaps = np.concatenate([np.diff(np.asarray(sorted(times))[days == d]) for d in np.unique(days)])
    return float(np.median(gaps)), float(gaps.std() / gaps.mean())


def test_the_heartbeats_are_optional():
    assert {"vendor_heartbeat", "vendor_heartbeat_rollout"} <= set(OPTIONAL_SCENARIOS)
    assert not {"vendor_heartbeat", "vendor_heartbeat_rollout"} & set(DEFAULT_SCENARIOS)


def test_the_old_agent_heartbeats_on_80_percent_of_hosts_from_the_first_day(heartbeat_run):
    truth, queries, _, start = heartbeat_run
    entry = _entry(truth, "vendor_heartbeat")
    assert entry["kind"] == "benign" and entry["pivot"] == {"type": "domain", "value": OLD}
    assert set(queries[OLD]) == set(entry["hosts"]) and len(entry["hosts"]) == int(0.8 * HOSTS)
    for host, times in queries[OLD].items():
        assert min(times) < start + 3600, host  # installed before the window: contacts from the first hour
        assert max(times) > start + (DAYS - 1) * DAY + 23 * 3600, host  # and to the end, day and night
        gap, cv = _gaps_cv(times, start)
        assert 1764 <= gap <= 1836 and cv < 0.03, (host, gap, cv)


def test_the_rollout_is_new_on_the_last_day_on_half_the_hosts(heartbeat_run):
    truth, queries, msiexec, start = heartbeat_run
    entry = _entry(truth, "vendor_heartbeat_rollout")
    last_day = start + (DAYS - 1) * DAY
    assert entry["kind"] == "benign" and entry["pivot"] == {"type": "domain", "value": NEW}
    assert set(queries[NEW]) == set(msiexec) == set(entry["hosts"]) and len(entry["hosts"]) == HOSTS // 2
    for host, times in queries[NEW].items():
        # installed by msiexec 08:20-08:50, the first check-in from 09:00 (none before the last day)
        assert last_day + 8 * 3600 + 20 * 60 <= msiexec[host] <= last_day + 8 * 3600 + 51 * 60, host
        assert min(times) >= last_day + 9 * 3600, host
        gap, cv = _gaps_cv(times, start)
        assert len(times) >= 25 and 1764 <= gap <= 1836 and cv < 0.03, (host, len(times), gap, cv)
