"""A Zeek http record with no request line makes up no URL; an error response's body is no download.

The OTRF LSASS campaign's http.log has ``method``, ``host`` and ``uri`` unset
(``-``): Zeek saw the responses only.  The graph showed ``url
http://10.0.5.13/`` with path ``/``, the Meterpreter stage as
"application/x-dosexec, 7168 bytes from http://10.0.5.13/", and the 404 page
as a downloaded file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from graphsiem.model import Event
from ingest.ipmap import IpHostMap
from ingest.journal import Journal
from ingest.parsers.base import ParseContext
from ingest.parsers.zeek import ZeekParser
from ingest.pipeline import ingest_paths
from ingest.projection import Projector

PARSER = ZeekParser()


def _http(uid: str, fuid: str, status: int, size: int, mime: str, **request: Any) -> dict[str, Any]:
    """An http.log record as Zeek's JSON writer gives it, unset fields left out."""
    return {"_path": "http", "ts": 1692161648.308191, "uid": uid, "id.orig_h": "192.168.1.41", "id.orig_p": 51126,
            "id.resp_h": "10.0.5.13", "id.resp_p": 80, "trans_depth": 1, "version": "1.0",
            "request_body_len": 0, "response_body_len": size, "status_code": status,
            "status_msg": "OK" if status == 200 else "File not found", "tags": [],
            "resp_fuids": [fuid], "resp_mime_types": [mime], **request}


def _files(uid: str, fuid: str, size: int, mime: str) -> dict[str, Any]:
    return {"_path": "files", "ts": 1692161648.333854, "fuid": fuid, "uid": uid, "id.orig_h": "192.168.1.41",
            "id.orig_p": 51126, "id.resp_h": "10.0.5.13", "id.resp_p": 80, "source": "HTTP", "depth": 0,
            "analyzers": [], "mime_type": mime, "is_orig": False, "seen_bytes": size, "total_bytes": size}


STAGE = (_http("C3", "F3", 200, 7168, "application/x-dosexec"), _files("C3", "F3", 7168, "application/x-dosexec"))
ERROR_PAGE = (_http("C2", "F2", 404, 335, "text/html"), _files("C2", "F2", 335, "text/html"))


def _parse(record: dict[str, Any]) -> Event:
    (event,) = PARSER.parse(record, ParseContext(origin="fixture:1"))
    event.id = str(record["uid"]) + record["_path"]
    return event


def _project(records: list[dict[str, Any]]) -> tuple[dict[tuple[str, str], Any], set[tuple[Any, str, Any]]]:
    ipmap = IpHostMap()
    ipmap.add_lease("192.168.1.41", "mkt01", 0.0, 2e9)
    projection = Projector(ipmap).project([_parse(record) for record in records])
    entities = {(entity.type, entity.key): entity for entity in projection.entities}
    return entities, {(relation.src, relation.type, relation.dst) for relation in projection.relations}


def test_no_url_and_no_path_are_made_up_for_a_response_without_a_request_line() -> None:
    fields = _parse(STAGE[0]).fields
    assert not {"url.full", "url.path", "url.original", "url.domain"} & fields.keys()
    assert fields["http.response.status_code"] == 200
    assert fields["destination.ip"] == "10.0.5.13" and fields["destination.port"] == 80


def test_a_host_header_without_a_uri_names_the_server_but_no_url() -> None:
    fields = _parse({**STAGE[0], "host": "stage.example:8080"}).fields
    assert fields["destination.domain"] == "stage.example"
    assert "url.full" not in fields and "url.path" not in fields


@pytest.mark.parametrize("order", ["files first", "http first"])
def test_the_download_is_known_by_its_server_s_address(order: str) -> None:
    records = list(STAGE) if order == "http first" else list(reversed(STAGE))
    entities, relations = _project(records)
    assert not [key for key in entities if key[0] == "url"]
    files = [entity for (kind, _), entity in entities.items() if kind == "file"]
    assert [file.value for file in files] == ["application/x-dosexec, 7168 bytes from 10.0.5.13"]
    file = ("file", files[0].key)
    assert (("host", "mkt01"), "DOWNLOADED", file) in relations
    assert (file, "SERVED_BY", ("ip", "10.0.5.13")) in relations


@pytest.mark.parametrize("order", ["files first", "http first"])
def test_the_body_of_an_error_response_is_no_downloaded_file(order: str) -> None:
    records = list(ERROR_PAGE) if order == "http first" else list(reversed(ERROR_PAGE))
    http = _parse(records[0] if order == "http first" else records[1])
    assert http.fields["zeek.error_resp_fuids"] == ["F2"] and "zeek.resp_fuids" not in http.fields
    entities, relations = _project(records)
    assert not [key for key in entities if key[0] == "file"]
    assert not [relation for relation in relations if relation[1] == "DOWNLOADED"]
    # with a request line too: the 404 page of a named URL is no download either
    named = [{**record, "method": "GET", "host": "10.0.5.13", "uri": "/missing.exe"} if record["_path"] == "http"
             else record for record in records]
    entities, relations = _project(named)
    assert ("url", "http://10.0.5.13/missing.exe") in entities
    assert not [key for key in entities if key[0] == "file"]


def test_the_otrf_lsass_campaign_http_log_gives_no_url_and_two_downloads(corpus: Path, tmp_path: Path) -> None:
    folder = corpus / "otrf-security-datasets" / "LSASS_campaign_01_zeek"
    with Journal(tmp_path / "journal.sqlite") as journal:
        ingest_paths([folder / "files.log", folder / "http.log"], store=None, journal=journal, progress=False)
        events = [row.event for row in journal.iter_events()]
    http = [event for event in events if event.kind == "zeek:http"]
    assert len(http) == 3
    assert all("url.full" not in event.fields and "url.path" not in event.fields for event in http)
    ipmap = IpHostMap()
    ipmap.add_lease("192.168.1.41", "mkt01", 0.0, 2e9)
    projection = Projector(ipmap).project(events)
    assert not [entity for entity in projection.entities if entity.type == "url"]
    assert sorted(entity.value for entity in projection.entities if entity.type == "file") == [
        "application/x-dosexec, 7168 bytes from 10.0.5.13", "text/html, 248 bytes from 10.0.5.13",
    ]
