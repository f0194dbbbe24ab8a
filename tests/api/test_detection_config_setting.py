"""The service detects with the tuned settings it was started with, and each run says which (review T11, F3).

Notebook 02 saves a tuned :class:`DetectionConfig` and says the service loads it
back, but the service always ran the defaults: the queue and the webhook never
used what was tuned.  ``GRAPHSIEM_DETECTION_CONFIG`` / ``serve
--detection-config FILE`` (:mod:`graphsiem.api.detection_settings`) is read
once at start, used by every run (posted, backtest, scheduled) and named in
the run's record with its SHA-256.  A bad file refuses to start.
The API tests run on [embedded] and [neo4j].
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from analytics.config import DetectionConfig
from graphsiem.settings import Settings
from tests.api.conftest import make_settings, running_api

REPO = Path(__file__).resolve().parents[2]


def _tuned(tmp_path: Path) -> Path:
    path = tmp_path / "tuned-detection.yaml"
    DetectionConfig(min_hosts=2, window_hours=72.0).save(path)  # as notebook 02 saves it
    return path


def test_every_run_uses_the_tuned_file_and_names_it(store: Any, tmp_path: Path) -> None:
    store.clear()
    tuned = _tuned(tmp_path)
    digest = hashlib.sha256(tuned.read_bytes()).hexdigest()
    with running_api(make_settings(tmp_path / "data", detection_config=tuned), store) as api:
        api.ingest_fleet()
        tuned.write_text("min_hosts: 9\n")  # read once at start: an edit waits for the next start
        posted = api.detect()
        backtest = api.detect(now=posted["window_end"])
        run, future = api.ctx.detections.submit(trigger="schedule", requested_by="scheduler")
        future.result(timeout=120)
        scheduled = api.get(f"/v1/detections/{run.id}").json()
        listed = {r["id"]: r for r in api.get("/v1/detections").json()}

    for record in (posted, backtest, scheduled, listed[posted["id"]]):
        assert record["status"] == "done", record
        # the tuned 72 h window (or longer, with hosts leading the fleet); the default 24 h reaches 48 h at most
        assert record["window_hours"] >= 72.0
        assert (record["detection_config"], record["detection_config_sha256"]) == (str(tuned.resolve()), digest)


def test_without_a_file_the_record_says_defaults(store: Any, tmp_path: Path) -> None:
    store.clear()
    with running_api(make_settings(tmp_path / "data"), store) as api:
        api.ingest_fleet()
        record = api.detect()
    assert 24.0 <= record["window_hours"] <= 48.0
    assert (record["detection_config"], record["detection_config_sha256"]) == (None, None)


@pytest.mark.parametrize(("text", "reason"), [
    ("min_hostz: 2\n", "unknown detection setting(s): min_hostz"),
    ("min_hosts: 1\n", "min_hosts must be >= 2, got 1"),
    ("- min_hosts\n", "expected a mapping of settings"),
])
def test_a_bad_file_is_a_setting_error_naming_the_file_and_reason(tmp_path: Path, text: str, reason: str) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(text)
    with pytest.raises(ValidationError) as refused:
        Settings(data_dir=tmp_path / "data", detection_config=bad)
    assert "detection_config" in str(refused.value)
    assert f"{bad.resolve()}: {reason}" in str(refused.value)


def test_serve_refuses_to_start_on_a_bad_file_before_making_anything(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("window_hours: 0\n")
    data = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if k != "GRAPHSIEM_DETECTION_CONFIG"}
    done = subprocess.run([sys.executable, "-m", "graphsiem", "serve", "--data", str(data), "--port", "0",
                           "--detection-config", str(bad)], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 2, done.stderr
    assert "invalid setting detection_config" in done.stderr
    assert f"{bad.resolve()}: window_hours must be > 0, got 0" in done.stderr
    assert not data.exists()
    missing = tmp_path / "nope.yaml"
    done = subprocess.run([sys.executable, "-m", "graphsiem", "serve", "--data", str(data), "--port", "0"],
                          cwd=REPO, env={**env, "GRAPHSIEM_DETECTION_CONFIG": str(missing)}, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 2 and f"{missing.resolve()}: cannot read it" in done.stderr
