"""The service's detection record says each leading host's own lead (review U1 #7).

The page's empty-queue text shows this record's ``window_note``; the CLI's words are
tested in ``tests/graphsiem/cli/test_detect_window_each_lead.py``.
"""

from __future__ import annotations

from tests.api.conftest import Api
from tests.graphsiem.cli.test_detect_window_each_lead import EACH
from tests.graphsiem.cli.window_fleets import WIDENED_LEAD_H, build_fleet


def test_the_detection_record_says_each_leading_hosts_own_lead(api: Api) -> None:
    build_fleet(api.ctx.store, WIDENED_LEAD_H)
    run = api.detect()
    assert EACH in run["window_note"]
