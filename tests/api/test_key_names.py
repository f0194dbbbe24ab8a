"""``POST /v1/keys`` refuses names that would hide or disguise a row of ``graphsiem keys list``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from graphsiem.store.embedded import EmbeddedStore
from tests.api.conftest import Api, make_settings, running_api


@pytest.fixture
def admin_api(tmp_path: Path) -> Iterator[Api]:
    # The rule lives in the keys router, above the store: one store is enough.
    store = EmbeddedStore(tmp_path / "graph")
    try:
        with running_api(make_settings(tmp_path / "data"), store) as running:
            yield running
    finally:
        store.close()


@pytest.mark.parametrize("name, code_point", [
    ("\r\x1b[2K", "U+000D"),               # carriage return + erase line: the row vanishes
    ("ops\x1b[8m", "U+001B"),              # ANSI "conceal"
    ("audit\u202etxt.exe", "U+202E"),      # right-to-left override
    ("zero\u200bwidth", "U+200B"),         # format character (invisible)
    ("two\u2028lines", "U+2028"),          # line separator
    ("c1\x85next", "U+0085"),              # C1 control (NEL)
])
def test_a_key_name_with_a_control_or_format_character_is_422_naming_the_field(
        admin_api: Api, name: str, code_point: str) -> None:
    before = admin_api.get("/v1/keys").json()
    response = admin_api.post("/v1/keys", json={"role": "admin", "name": name})
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["field"] == "body.name" and code_point in error["message"]
    assert admin_api.get("/v1/keys").json() == before  # nothing was created


def test_printable_names_are_still_accepted(admin_api: Api) -> None:
    for name in ("alice (laptop)", "Zoë – SOC nuit", "运维", "a\u00a0b"):
        response = admin_api.post("/v1/keys", json={"role": "analyst", "name": name})
        assert response.status_code == 201, response.text
        assert response.json()["name"] == name
