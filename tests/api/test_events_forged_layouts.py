"""A forged first row in a ``POST /v1/events`` body does not choose the parser of the rows after it (issue #3).

The API's bodies go through the same session as files (:func:`ingest.pipeline.ingest_records`),
so the same parser cache by key layout: a row of a genuine MDE layout whose ``Type`` MDE
refuses, sent first, used to make the genuine MDE rows of that layout ECS events.
The file path and the property test are in ``tests/ingest/test_pipeline_forged_layouts.py``.
"""

from __future__ import annotations

import orjson

from tests.api.conftest import Api
from tests.ingest.sniff_records import shipped_mde_rows

SHIPPED_MDE = shipped_mde_rows()
FORGED_MDE = {**SHIPPED_MDE[0], "Type": "Other"}  # the keys of a genuine row; ECS's, as MDE refuses the Type


def test_the_api_reads_genuine_mde_rows_after_a_forged_one_as_mde(api: Api) -> None:
    body = b"".join(orjson.dumps(record) + b"\n" for record in [FORGED_MDE, *SHIPPED_MDE])
    answer = api.post("/v1/events", role="ingest", content=body, headers={"Content-Type": "application/x-ndjson"})
    assert answer.status_code == 200, answer.text
    formats = {name: counts["received"] for name, counts in answer.json()["by_format"].items() if counts["received"]}
    assert formats == {"ecs": 1, "mde": len(SHIPPED_MDE)}
