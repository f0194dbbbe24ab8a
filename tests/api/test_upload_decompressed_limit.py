"""A gzip upload to ``/v1/files`` is bounded by what it decompresses to (review R5, item 5).

502 KB of gzip were 8.9 MB of syslog lines and 69 MB of journal: the upload
limit counted only the bytes sent.  Now a ``.gz`` upload that decompresses to
more than ``max_upload_decompressed_bytes`` is a 413 naming the limit, and
nothing of it is journaled.  A real app over the real store and journal.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.api.conftest import Api, make_settings, running_api

LIMIT = 64 * 1024


def _lines(count: int, tag: str = "a") -> bytes:
    return b"".join(b"<134>1 2026-11-02T10:00:00Z h%s app - - - message %d\n" % (tag.encode(), n)
                    for n in range(count))


@pytest.fixture
def limited(store: Any, tmp_path: Path) -> Iterator[Api]:
    store.clear()
    with running_api(make_settings(tmp_path / "data", max_upload_decompressed_bytes=LIMIT), store) as api:
        yield api


def _journaled(api: Api) -> int:
    return api.ctx.ingest.projection_status().journaled_seq


def _upload(api: Api, body: bytes) -> Any:
    return api.post("/v1/files", role="ingest", files={"file": ("x.log.gz", body, "application/gzip")})


def test_a_gzip_upload_over_the_decompressed_limit_is_413_and_nothing_is_journaled(limited: Api) -> None:
    text = _lines(20_000)  # ~1 MB of text, a few KB of gzip: the amplification of the review
    body = gzip.compress(text, 9)
    assert len(body) < LIMIT < len(text)
    response = _upload(limited, body)
    assert response.status_code == 413, response.text
    error = response.json()["error"]
    assert f"{LIMIT} bytes" in error["message"] and "max_upload_decompressed_bytes" in error["message"]
    assert "nothing of it was journaled" in error["message"]
    assert _journaled(limited) == 0


def test_every_member_counts_towards_the_limit(limited: Api) -> None:
    # each member under the limit, the file over it: the reader would read them all
    members = b"".join(gzip.compress(_lines(600, str(n))) for n in range(4))
    assert len(gzip.decompress(members)) > LIMIT
    assert _upload(limited, members).status_code == 413
    assert _journaled(limited) == 0


def test_a_gzip_upload_within_the_limit_is_ingested_whole(limited: Api) -> None:
    text = _lines(500)
    assert len(text) < LIMIT
    response = _upload(limited, gzip.compress(text))
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["received"] == report["accepted"] + report["rejected"] == 500
    assert _journaled(limited) == 500
