"""A key over its quota is refused naming the header that carried it, as other errors name theirs (task OPS.5).

The 429 ``rate_limited`` error said ``field: "key"``, while every other error
names its field ``<location>.<name>`` (``header.If-Match``, ``query.limit``).
Now it is ``header.Authorization`` for a Bearer key and ``header.X-API-Key``
for the other header, on the route's dependency and on the early check an
upload meets before its body is read.  The real app and its state database.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.api.conftest import make_settings, running_api

NO_REFILL = 0.001  # one request in 1,000 s: the second is refused, whatever the timing


@pytest.mark.parametrize(("header", "value", "field"), [
    ("Authorization", "Bearer {key}", "header.Authorization"),
    ("X-API-Key", "{key}", "header.X-API-Key"),
])
def test_a_429_names_the_header_that_carried_the_key(embedded_store: Any, tmp_path: Path,
                                                      header: str, value: str, field: str) -> None:
    settings = make_settings(tmp_path / "data", api_key_rate_per_s=NO_REFILL, api_key_burst=1)
    with running_api(settings, embedded_store) as api:
        headers = {header: value.format(key=api.keys["analyst"])}
        assert api.client.get("/v1/clusters", headers=headers).status_code == 200
        refused = api.client.get("/v1/clusters", headers=headers)
        ingest = {header: value.format(key=api.keys["ingest"])}
        assert api.client.post("/v1/events", headers=ingest, json=[]).status_code != 429
        upload = api.client.post("/v1/files", headers=ingest, files={"file": ("a.log", b"<13>hello\n")})
    assert refused.status_code == 429
    assert refused.json()["error"]["field"] == field
    assert refused.json()["error"]["details"][0]["field"] == field
    # refused on its headers, before the body is read (graphsiem.api.early_auth): the same field
    assert upload.status_code == 429 and upload.json()["error"]["field"] == field
