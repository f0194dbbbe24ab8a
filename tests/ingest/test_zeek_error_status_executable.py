"""An executable served with an HTTP error status is still a download from its URL (``zeek_mappings``).

Some C2 servers answer 404 or 503 with the payload as the body, so that a
glance at a proxy log sees failures.  The body of an error page (HTML, text,
JSON) is no downloaded file; a body Zeek sniffed as ``application/x-dosexec``
is, and keeps ``file SERVED_BY url`` and ``domain``: read from JSON or TSV alike.
"""

from __future__ import annotations

import io
from typing import Any

import pytest

from graphsiem.model import Event
from ingest.ipmap import IpHostMap
from ingest.parsers.base import ParseContext
from ingest.parsers.zeek import ZeekParser
from ingest.projection import Projector
from ingest.readers.base import RawRecord
from ingest.readers.zeek_tsv import ZeekTsvReader

PARSER = ZeekParser()
DIGEST = "ab" * 32


def _http(status: int, fuids: list[str], mime_types: list[str]) -> dict[str, Any]:
    """An http.log record as Zeek's JSON writer gives it."""
    return {"_path": "http", "ts": 1692161648.308191, "uid": "C9", "id.orig_h": "192.168.1.41", "id.orig_p": 51126,
            "id.resp_h": "10.0.5.13", "id.resp_p": 80, "trans_depth": 1, "method": "GET",
            "host": "cdn.bad.example", "uri": "/update/stage.bin", "version": "1.1", "request_body_len": 0,
            "response_body_len": 7168, "status_code": status, "status_msg": "Not Found", "tags": [],
            "resp_fuids": fuids, "resp_mime_types": mime_types}


def _files(fuid: str, mime: str, digest: str | None = DIGEST) -> dict[str, Any]:
    record = {"_path": "files", "ts": 1692161648.333854, "fuid": fuid, "uid": "C9", "id.orig_h": "192.168.1.41",
              "id.orig_p": 51126, "id.resp_h": "10.0.5.13", "id.resp_p": 80, "source": "HTTP", "depth": 0,
              "analyzers": [], "mime_type": mime, "is_orig": False, "seen_bytes": 7168, "total_bytes": 7168}
    if digest is not None:
        record["sha256"] = digest
    return record


def _parse(record: dict[str, Any]) -> Event:
    (event,) = PARSER.parse(record, ParseContext(origin="fixture:1"))
    event.id = str(record["fuid" if record["_path"] == "files" else "uid"]) + record["_path"]
    return event


def _relations(events: list[Event]) -> set[tuple[Any, str, Any]]:
    ipmap = IpHostMap()
    ipmap.add_lease("192.168.1.41", "mkt01", 0.0, 2e9)
    projection = Projector(ipmap).project(events)
    return {(relation.src, relation.type, relation.dst) for relation in projection.relations}


@pytest.mark.parametrize("status", [404, 503])
@pytest.mark.parametrize("order", ["http first", "files first"])
def test_an_executable_served_with_an_error_status_keeps_its_url(status: int, order: str) -> None:
    records = [_http(status, ["F9"], ["application/x-dosexec"]), _files("F9", "application/x-dosexec")]
    events = [_parse(record) for record in (records if order == "http first" else records[::-1])]
    relations = _relations(events)
    file = ("file", DIGEST)
    assert (("host", "mkt01"), "DOWNLOADED", file) in relations
    assert (file, "SERVED_BY", ("url", "http://cdn.bad.example/update/stage.bin")) in relations
    assert (file, "SERVED_BY", ("domain", "cdn.bad.example")) in relations


def test_an_error_page_beside_a_payload_is_kept_apart() -> None:
    fields = _parse(_http(404, ["F1", "F9"], ["text/html", "application/x-dosexec"])).fields
    assert fields["zeek.resp_fuids"] == ["F9"]
    assert fields["zeek.error_resp_fuids"] == ["F1"]
    # the page itself: no URL for it (a digest makes it a file, but not one served by the URL)
    relations = _relations([_parse(_http(404, ["F1"], ["text/html"])), _parse(_files("F1", "text/html", "cd" * 32))])
    assert not [relation for relation in relations if relation[1] == "SERVED_BY" and relation[2][0] == "url"]


def test_unpaired_mime_types_with_a_payload_keep_every_file_id() -> None:
    # Zeek lists the types it could sniff only: two bodies, one type
    fields = _parse(_http(500, ["F1", "F9"], ["application/x-dosexec"])).fields
    assert fields["zeek.resp_fuids"] == ["F1", "F9"] and "zeek.error_resp_fuids" not in fields


TSV = """#separator \\x09
#set_separator\t,
#empty_field\t(empty)
#unset_field\t-
#path\thttp
#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\ttrans_depth\tmethod\thost\turi\tversion\t\
request_body_len\tresponse_body_len\tstatus_code\tstatus_msg\ttags\tresp_fuids\tresp_mime_types
#types\ttime\tstring\taddr\tport\taddr\tport\tcount\tstring\tstring\tstring\tstring\tcount\tcount\tcount\t\
string\tset[enum]\tvector[string]\tvector[string]
1692161648.308191\tC9\t192.168.1.41\t51126\t10.0.5.13\t80\t1\tGET\tcdn.bad.example\t/update/stage.bin\t1.1\t\
0\t7168\t404\tNot Found\t(empty)\tF1,F9\ttext/html,application/x-dosexec
"""


def test_tsv_and_json_split_an_error_response_alike() -> None:
    (item,) = list(ZeekTsvReader().read(io.BytesIO(TSV.encode()), "http.log"))
    assert isinstance(item, RawRecord)
    (tsv,) = PARSER.parse(item.record, ParseContext(item.origin, "http.log"))
    json = _parse(_http(404, ["F1", "F9"], ["text/html", "application/x-dosexec"]))
    assert tsv.fields["zeek.resp_fuids"] == json.fields["zeek.resp_fuids"] == ["F9"]
    assert tsv.fields["zeek.error_resp_fuids"] == json.fields["zeek.error_resp_fuids"] == ["F1"]
