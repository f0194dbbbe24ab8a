r"""Search hits that read alike carry what tells them apart: hosts and first sighting (F25).

Two process entities on workstation5 both read ``C:\windows\Explorer.EXE`` (one
known with its command line, one by its image only): the search listed two
identical rows (review T5, item 6d).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from graphsiem.model import Entity, Sighting

EXPLORER = "C:\\windows\\Explorer.EXE"


def iso_to_epoch(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def test_twin_hits_say_where_and_since_when_and_other_hits_stay_plain(api: Any) -> None:
    store = api.ctx.store
    store.upsert_entities([
        Entity("process", "cf004fd6", EXPLORER, {"command_line": EXPLORER}),
        Entity("process", "6ae020d3", EXPLORER, {"image": EXPLORER}),
        Entity("file", "explorer.exe.mui", "C:\\windows\\explorer.exe.mui", {}),
    ])
    store.upsert_sightings([
        Sighting("workstation5", ("process", "cf004fd6"), iso_to_epoch("2020-09-04T20:09:54Z"),
                 iso_to_epoch("2020-09-04T20:10:00Z"), 3),
        Sighting("workstation5", ("process", "6ae020d3"), iso_to_epoch("2020-10-23T06:36:42Z"),
                 iso_to_epoch("2020-10-27T12:28:58Z"), 6),
        Sighting("workstation6", ("process", "6ae020d3"), iso_to_epoch("2020-10-24T00:00:00Z"),
                 iso_to_epoch("2020-10-24T00:00:01Z"), 1),
    ])
    store.flush()
    answer = api.get("/v1/entities", role="analyst", params={"q": "explorer.exe"}).json()
    by_key = {hit["key"]: hit for hit in answer["items"]}
    assert (by_key["cf004fd6"]["seen_on"], by_key["cf004fd6"]["seen_hosts"],
            by_key["cf004fd6"]["first_seen"]) == (["workstation5"], 1, "2020-09-04T20:09:54.000Z")
    assert (by_key["6ae020d3"]["seen_on"], by_key["6ae020d3"]["seen_hosts"],
            by_key["6ae020d3"]["first_seen"]) == (["workstation5", "workstation6"], 2, "2020-10-23T06:36:42.000Z")
    plain = by_key["explorer.exe.mui"]
    assert (plain["seen_on"], plain["seen_hosts"], plain["first_seen"]) == (None, None, None)
