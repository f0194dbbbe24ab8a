"""``ClusterView.checks_frame``: the explanation's next steps as a table in notebooks (task I11)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from graphsiem import lab


@pytest.fixture(scope="module")
def views(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[lab.ClusterView]]:
    base = tmp_path_factory.mktemp("lab-i11")
    ws = lab.open("embedded", data_dir=base / "data", create=True)
    telemetry: Path = ws.simulate(hosts=40, days=2, seed=3, density=0.1, out=base / "telemetry")
    ws.ingest(telemetry / "endpoint", telemetry / "network")
    try:
        yield ws.detect()
    finally:
        ws.close()


def test_checks_frame_lists_the_steps_of_the_explanation(views: list[lab.ClusterView]) -> None:
    top = views[0]
    frame = top.checks_frame()
    assert list(frame.columns) == ["feature", "check", "benign_if"]
    assert len(frame) == len(top.explanation.checks) >= 1
    assert list(frame["check"]) == [c.check for c in top.explanation.checks]
    assert frame["benign_if"].str.len().min() > 0
    # the low-confidence step concerns no one feature (None), which pandas shows as NaN; where(..., None)
    # keeps NaN in pandas 2, so the frame's rows are read back cell by cell
    records = [{k: None if pd.isna(v) else v for k, v in row.items()} for row in frame.to_dict("records")]
    assert top.to_dict()["explanation"]["checks"] == records
