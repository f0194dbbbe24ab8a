"""``GET /v1/entities`` and the entity look-up resolve a file's or process's digest, on both stores (F25).

Before, ``GET /v1/entities/file/<md5>`` answered 404 "no file entity with key or
value" although the file's properties held that MD5 (review T5, item 2), and the
search found nothing by MD5, SHA-1 or imphash.  A digest that one entity carries
resolves to it; one that several carry (an image run with two command lines, an
imphash shared by two builds) answers 409 listing them, so the caller picks by key.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.graphsiem.store.digest_records import (
    DLL_MD5,
    DLL_SHA256,
    DROPPER_CMD,
    HELPER_MD5,
    IMPHASH,
    MD5,
    RERUN_CMD,
    ingest_digest_records,
)


@pytest.fixture
def digest_api(api: Any, tmp_path: Path) -> Any:
    ingest_digest_records(api.ctx.store, tmp_path)
    return api


def test_the_search_finds_a_process_by_its_md5_first(digest_api: Any) -> None:
    answer = digest_api.get("/v1/entities", role="analyst", params={"q": MD5}).json()
    rows = [(hit["type"], hit["value"], hit["matched"]) for hit in answer["items"]]
    assert sorted(rows[:2]) == [("process", DROPPER_CMD, "md5"), ("process", RERUN_CMD, "md5")]
    assert rows[2][0] == "process" and rows[2][2] == "value" and "certutil" in rows[2][1]


def test_a_file_is_looked_up_by_its_md5(digest_api: Any) -> None:
    response = digest_api.get(f"/v1/entities/file/{DLL_MD5}", role="analyst")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["key"] == DLL_SHA256.lower() and body["value"] == "C:\\Users\\bob\\evil.dll"
    assert body["prevalence"]["hosts"] == 1
    graph = digest_api.get(f"/v1/entities/file/{DLL_MD5.lower()}/neighbors", role="analyst")
    assert graph.status_code == 200, graph.text
    # an unknown digest, one only a process carries, a type without digests: still 404
    assert digest_api.get(f"/v1/entities/file/{'ab' * 16}", role="analyst").status_code == 404
    assert digest_api.get(f"/v1/entities/file/{HELPER_MD5}", role="analyst").status_code == 404
    assert digest_api.get(f"/v1/entities/domain/{DLL_MD5}", role="analyst").status_code == 404


def test_a_process_is_looked_up_by_a_digest_it_alone_carries(digest_api: Any) -> None:
    response = digest_api.get(f"/v1/entities/process/{HELPER_MD5}", role="analyst")
    assert response.status_code == 200, response.text
    assert response.json()["value"] == "helper.exe"


def test_a_digest_several_entities_carry_is_a_conflict_listing_them(digest_api: Any) -> None:
    response = digest_api.get(f"/v1/entities/process/{IMPHASH}", role="analyst")
    assert response.status_code == 409, response.text
    error = response.json()["error"]
    assert error["code"] == "conflict" and error["field"] == "path.value" and "3 process entities" in error["message"]
    listed = {(d["value"], d["matched"]) for d in error["details"]}
    assert listed == {(DROPPER_CMD, "imphash"), (RERUN_CMD, "imphash"), ("helper.exe", "imphash")}
    # each listed key is a look-up that works
    for detail in error["details"]:
        assert digest_api.get(f"/v1/entities/process/{detail['key']}", role="analyst").status_code == 200

