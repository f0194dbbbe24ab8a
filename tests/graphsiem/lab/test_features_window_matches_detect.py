"""``Workspace.features()`` ends its window where detection does, stray clocks included.

Detection's default end is the fleet's newest event (:mod:`analytics.window_end`):
a host whose clock runs days ahead is ignored.  ``features()`` used to end at
the newest sighting of any shared entity, so one event stamped 2099 moved its
window and nothing in the frame was new, while ``detect()`` still saw the
campaign.
"""

from __future__ import annotations

from analytics.config import DetectionConfig
from analytics.detect import detect
from graphsiem.lab.workspace import Workspace
from graphsiem.model import Entity, Sighting, epoch_to_iso
from tests.analytics.fleet import END, populate

YEAR_2099 = 4_070_908_800.0  # 2099-01-01T00:00:00Z


def test_a_host_stamping_2099_moves_neither_window(embedded_store, tmp_path):
    populate(embedded_store)
    embedded_store.upsert_entities([Entity("domain", "late.example", "late.example")])
    embedded_store.upsert_sightings([Sighting("ws-020", ("domain", "late.example"), YEAR_2099, YEAR_2099, 1),
                                     Sighting("ws-021", ("domain", "late.example"), YEAR_2099, YEAR_2099, 1)])
    embedded_store.flush()
    result = detect(embedded_store, config=DetectionConfig(evidence_top=0))
    assert result.stats["window_end"] == END and result.stats["hosts_ahead"] == 2

    frame = Workspace(embedded_store, tmp_path).features(min_hosts=2)

    start, end = frame.attrs["window"]
    assert end == epoch_to_iso(END)
    assert "late.example" not in set(frame["key"])  # first seen after the window's end: not read
    assert frame["is_new"].any()
