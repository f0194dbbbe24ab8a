"""The ingest report labels graph writes as writes, not as the graph's size (review R1, item 15).

``projected``'s entities, relations and sightings count the items every batch
upserted; the review read "projected into the graph: entities 15528" next to
``graphsiem stats``' 4,684 nodes.
"""

from __future__ import annotations

from ingest.report import IngestReport


def test_write_counts_are_labelled_as_writes_and_json_keys_stay() -> None:
    report = IngestReport()
    report.projected = {"events": 23000, "entities": 15528, "relations": 50150,
                        "sightings": 46525, "errors": 0}
    lines = report.render().splitlines()
    assert "projected into the graph: events 23000, errors 0" in lines
    writes = [line for line in lines if "entities 15528" in line]
    assert len(writes) == 1 and writes[0].startswith("graph writes (upserts, repeats included")
    assert "graphsiem stats" in writes[0]
    assert report.to_dict()["projected"] == report.projected

