"""The service says once when a change of candidate rules started the scoring history afresh
(task G10, review RV7 finding 3): after an upgrade the first detection re-backfilled silently.

The line goes to uvicorn's logger, as the startup line does: ``graphsiem serve`` configures
only uvicorn's loggers, so a line on ``graphsiem.*`` or ``analytics.*`` at INFO is never shown.
"""

from __future__ import annotations

import logging

import pytest

from analytics.candidate_history import candidate_rules
from analytics.config import DetectionConfig
from analytics.features import SCORED_FEATURES
from tests.api.conftest import Api
from tests.api.fleet import DAY, START


def _said(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if r.name == "uvicorn.error" and "candidate rules changed" in r.getMessage()]


def test_the_first_detection_under_new_rules_logs_it(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    api.ingest_fleet()
    # the previous release kept a window (its rules text had no behaviour_pivots: another text)
    api.ctx.state.replace_candidate_rows(candidate_rules(DetectionConfig(behaviour_pivots=False)),
                                         (START, START + DAY), "previous release",
                                         [("c1", dict.fromkeys(SCORED_FEATURES, 1.0))])
    with caplog.at_level(logging.INFO, logger="uvicorn.error"):
        first = api.detect()
    assert first["status"] == "done", first
    said = _said(caplog)
    assert len(said) == 1, said
    # this fleet's window has no baseline, so nothing is backfilled (and the run keeps no rows:
    # a later run says it again; with a baseline it keeps its window and does not, as
    # tests/analytics/test_candidate_history_rules_change.py shows)
    assert said[0] == (f"detection {first['id']}: candidate rules changed (an upgrade or a changed "
                       "configuration): scoring history started afresh under the new rules, no earlier window "
                       "backfilled; the window kept under the previous rules is not read (dropped once 14 days old)")
