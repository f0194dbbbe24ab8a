r"""``GET /v1/entities`` finds a renamed binary by its PE original name, on both stores (task G1b).

``C:\Users\Public\svcupd.exe`` is a PowerShell copy (``OriginalFileName PowerShell.EXE``):
before, searching "powershell.exe" listed only the genuine PowerShell and the original name
matched nothing.  Now the renamed copy comes first, ``matched: "original_file_name"``, with
the name as its snippet, so the page can show what the binary says it is.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.graphsiem.store.original_name_records import (
    GENUINE_CMD,
    HOSTILE_CMD,
    HOSTILE_ORIGINAL,
    LOADED_ORIGINAL,
    LOADED_PATH,
    RENAMED_CMD,
    ingest_original_name_records,
)


@pytest.fixture
def renamed_api(api: Any, tmp_path: Path) -> Any:
    ingest_original_name_records(api.ctx.store, tmp_path)
    return api


def _search(api: Any, q: str, **params: Any) -> dict[str, Any]:
    response = api.get("/v1/entities", role="analyst", params={"q": q, **params})
    assert response.status_code == 200, response.text
    return response.json()


def test_powershell_exe_lists_the_renamed_copy_first_and_says_why(renamed_api: Any) -> None:
    answer = _search(renamed_api, "powershell.exe")
    rows = [(hit["type"], hit["value"], hit["matched"], hit["snippet"]) for hit in answer["items"]]
    assert rows == [("process", RENAMED_CMD, "original_file_name", "PowerShell.EXE"),
                    ("process", GENUINE_CMD, "value", None)]
    assert answer["truncated"] is False
    # with room for one, it is the renamed copy that is listed
    first = _search(renamed_api, "PowerShell.EXE", limit=1)
    assert [hit["value"] for hit in first["items"]] == [RENAMED_CMD] and first["truncated"] is True


def test_part_of_an_original_name_finds_a_loaded_file_with_a_snippet(renamed_api: Any) -> None:
    [hit] = _search(renamed_api, "automation", type="file")["items"]
    assert (hit["value"], hit["matched"], hit["snippet"]) == (LOADED_PATH, "original_file_name", LOADED_ORIGINAL)


def test_an_attackers_original_name_comes_back_as_data(renamed_api: Any) -> None:
    [hit] = _search(renamed_api, "onerror=alert(1)")["items"]
    assert (hit["value"], hit["matched"], hit["snippet"]) == (HOSTILE_CMD, "original_file_name", HOSTILE_ORIGINAL)


def test_the_openapi_document_names_the_new_match(renamed_api: Any) -> None:
    schema = renamed_api.get("/openapi.json").json()["components"]["schemas"]["EntityHit"]["properties"]
    assert "original_file_name" in schema["matched"]["enum"]
    assert "OriginalFileName" in schema["matched"]["description"]
