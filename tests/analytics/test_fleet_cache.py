"""``benchmarks/evaluate_fleet.py`` reuses a kept fleet only while the simulator that made it is unchanged.

Before, a fleet kept under ``--workdir`` was reused whatever the simulator had become since (a day's
runs measured fleets from before the simulator wrote sensor credential records).  The done marker now
records :func:`simulator_digest` and a fleet of another digest is simulated and ingested again.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def evaluate_fleet():
    spec = importlib.util.spec_from_file_location("evaluate_fleet_under_test", ROOT / "benchmarks" / "evaluate_fleet.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop(spec.name, None)


def test_digest_follows_the_simulators_files(evaluate_fleet, tmp_path: Path) -> None:
    simulator = tmp_path / "simulator"
    shutil.copytree(evaluate_fleet.SIMULATOR_DIR, simulator, ignore=shutil.ignore_patterns("__pycache__"))
    before = evaluate_fleet.simulator_digest(root=simulator)
    assert before == evaluate_fleet.simulator_digest(root=simulator)
    scenario = simulator / "scenarios" / "password_spray.yaml"
    scenario.write_text(scenario.read_text() + "\n# changed\n")
    after_scenario = evaluate_fleet.simulator_digest(root=simulator)
    assert after_scenario != before
    source = simulator / "sensor_credentials.py"
    source.write_text(source.read_text() + "\n# changed\n")
    assert evaluate_fleet.simulator_digest(root=simulator) not in {before, after_scenario}


def test_digest_reads_an_extra_scenario_file(evaluate_fleet, tmp_path: Path) -> None:
    extra = tmp_path / "mine.yaml"
    extra.write_text("name: mine\n")
    first = evaluate_fleet.simulator_digest([str(extra)])
    assert first != evaluate_fleet.simulator_digest()
    extra.write_text("name: mine\nlabel: other\n")
    assert evaluate_fleet.simulator_digest([str(extra)]) != first


def test_a_fleet_of_another_simulator_is_made_again(evaluate_fleet, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    base = evaluate_fleet.prepare(tmp_path, hosts=6, days=1, seed=3, density=0.2, fresh=False)
    done = base / "ingested.json"
    marker = json.loads(done.read_text())
    assert marker["simulator_digest"] == evaluate_fleet.simulator_digest()
    assert marker["accepted"] > 0
    # kept while the simulator is the same: the telemetry is not written again
    first_written = (base / "telemetry" / "ground_truth.json").stat().st_mtime_ns
    assert evaluate_fleet.prepare(tmp_path, hosts=6, days=1, seed=3, density=0.2, fresh=False) == base
    assert (base / "telemetry" / "ground_truth.json").stat().st_mtime_ns == first_written
    # a marker from an older simulator (or from before digests were kept): simulated and ingested again
    for stale in ({**marker, "simulator_digest": "0" * 64}, {k: v for k, v in marker.items() if k != "simulator_digest"}):
        done.write_text(json.dumps({**stale, "accepted": -1}))
        evaluate_fleet.prepare(tmp_path, hosts=6, days=1, seed=3, density=0.2, fresh=False)
        again = json.loads(done.read_text())
        assert again["simulator_digest"] == evaluate_fleet.simulator_digest()
        assert again["accepted"] == marker["accepted"]
        assert "the simulator changed since this fleet was made" in capsys.readouterr().err
