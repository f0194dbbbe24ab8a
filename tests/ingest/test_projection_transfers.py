"""Files on the wire with no digest and no name: known by their URL, type and size when the URL is known.

Zeek hashes files only when its file analysis is on, and a PE fetched by a bare
GET has no name (the LSASS campaign's 7,168-byte stager).  Zeek's ``files``
record of such a download names no URL; its ``http`` record does, and lists
the file id in ``resp_fuids``.  Zeek writes the two logs apart, and a directory
is read in name order (``files.log`` before ``http.log``), so the files record
waits for its http record: the same download is the same entity whichever
comes first, the same payload from one URL on many hosts is one entity (the
fan-out the product detects), and different URLs of one server are different
files.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from graphsiem.model import Event
from ingest import projection as projection_module
from ingest.ipmap import IpHostMap
from ingest.parsers.base import ParseContext
from ingest.parsers.zeek import ZeekParser
from ingest.projection import Projector
from tests.reliability.snapshot import snapshot

_ZEEK = json.loads((Path(__file__).parent / "parsers" / "fixtures" / "zeek" / "records.json").read_text())
SERVER = "203.0.113.7"
DOWNLOAD = {**_ZEEK["files_is_orig"], "id.resp_h": SERVER}
"""512 bytes of application/x-dosexec over HTTP, server -> client, no digest and no name (fuid FJ2)."""


def zeek(record: dict[str, Any], event_id: str) -> Event:
    (event,) = ZeekParser().parse(record, ParseContext(origin="fixture:1"))
    event.id = event_id
    return event


def download(client: str, fuid: str, event_id: str, **changes: Any) -> Event:
    """The files record of a download by ``client`` from :data:`SERVER`."""
    return zeek({**DOWNLOAD, "id.orig_h": client, "fuid": fuid, **changes}, event_id)


def request(client: str, fuid: str, uri: str, event_id: str) -> Event:
    """The http record of ``client``'s GET ``uri`` from :data:`SERVER`, whose response was ``fuid``."""
    record = {**_ZEEK["http_host_uri"], "id.orig_h": client, "id.resp_h": SERVER, "uri": uri,
              "host": "dl.example.com", "resp_fuids": [fuid]}
    return zeek(record, event_id)


def leases(count: int) -> IpHostMap:
    ipmap = IpHostMap()
    for n in range(1, count + 1):
        ipmap.add_lease(f"10.0.0.{n}", f"ws-{n:02d}", 0.0, 2e9)
    return ipmap


def files_of(projection) -> dict[tuple[str, str], Any]:
    return {e.ref: e for e in projection.entities if e.type == "file"}


def stored(store: Any, projections) -> dict[str, Any]:
    """What ``projections`` make of an empty ``store`` (merged as the stores merge batches)."""
    store.clear()
    for p in projections:
        store.upsert_entities(p.entities)
        store.upsert_relations(p.relations)
        store.upsert_sightings(p.sightings)
    store.flush()
    return snapshot(store)


@pytest.mark.parametrize("batches", ["one batch", "two batches"])
def test_a_download_is_the_same_file_whichever_log_comes_first(store, batches):
    files, http = download("10.0.0.1", "FA", "f"), request("10.0.0.1", "FA", "/a.exe", "h")
    graphs = []
    for first, second in ((files, http), (http, files)):
        projector = Projector(leases(1))
        if batches == "one batch":
            graphs.append(stored(store, [projector.project([first, second])]))
        else:
            graphs.append(stored(store, [projector.project([first]), projector.project([second])]))
    files_first, http_first = graphs
    for part in ("entities", "relations", "sightings", "counts"):
        assert files_first[part] == http_first[part], part
    relations, sightings = files_first["relations"], files_first["sightings"]
    (file,) = [ref for ref in files_first["entities"] if ref[0] == "file"]
    url = ("url", "http://dl.example.com/a.exe")
    assert dict(files_first["entities"][file][1]) == {"mime_type": "application/x-dosexec", "size": 512,
                                                      "url": url[1]}
    # the files record is the evidence of the download, as when it joins an http record seen before
    assert relations[(("host", "ws-01"), "DOWNLOADED", file)] == (1, DOWNLOAD["ts"], DOWNLOAD["ts"], ("f",))
    assert relations[(file, "SERVED_BY", url)][3] == ("f",)
    assert (file, "SERVED_BY", ("domain", "dl.example.com")) in relations
    assert sightings[("ws-01", file)] == (DOWNLOAD["ts"], DOWNLOAD["ts"], 1)


def graph_of(projections) -> tuple[set, set, set]:
    """Entities, relations and sightings of ``projections``, comparable."""
    return ({(e.ref, e.value, repr(sorted(e.props.items()))) for p in projections for e in p.entities},
            {repr(r) for p in projections for r in p.relations},
            {repr(s) for p in projections for s in p.sightings})


def test_one_payload_from_one_url_downloaded_by_65_hosts_is_one_file():
    """The product's core detection: the fan-out of one payload stays on one node."""
    events = [download(f"10.0.0.{n}", f"F{n}", f"f{n}") for n in range(1, 66)]
    events += [request(f"10.0.0.{n}", f"F{n}", "/img/x.png", f"h{n}") for n in range(1, 66)]
    projection = Projector(leases(65)).project(events)
    (file,) = files_of(projection)
    downloaders = {r.src for r in projection.relations if r.type == "DOWNLOADED" and r.dst == file}
    assert len(downloaders) == 65
    assert len({s.host for s in projection.sightings if s.entity == file}) == 65


def test_files_of_one_type_and_size_from_two_urls_of_one_server_are_two_files():
    projection = Projector(leases(1)).project([
        download("10.0.0.1", "FA", "fa"), download("10.0.0.1", "FB", "fb"),
        request("10.0.0.1", "FA", "/tools/a.exe", "ha"), request("10.0.0.1", "FB", "/tools/b.exe", "hb"),
    ])
    found = files_of(projection)
    assert sorted(e.props["url"] for e in found.values()) == [
        "http://dl.example.com/tools/a.exe", "http://dl.example.com/tools/b.exe"]
    served = {(r.src, r.dst[1]) for r in projection.relations if r.type == "SERVED_BY" and r.dst[0] == "url"}
    assert len(served) == 2 and len({file for file, _ in served}) == 2


def test_a_record_naming_its_url_keys_its_unnamed_file_by_it():
    """A proxy's record carries the URL itself: no join is needed."""
    def proxied(url: str, event_id: str) -> Event:
        return Event(id=event_id, kind="cef:proxy_request", ts=1200.0, host=None, source="test", fields={
            "source.ip": "10.0.0.1", "destination.ip": SERVER, "url.full": url, "url.domain": "dl.example.com",
            "file.mime_type": "application/zip", "file.size": 4096})
    projection = Projector(leases(1)).project([proxied("http://dl.example.com/a.zip", "p1"),
                                               proxied("http://dl.example.com/b.zip", "p2")])
    assert sorted(e.props["url"] for e in files_of(projection).values()) == [
        "http://dl.example.com/a.zip", "http://dl.example.com/b.zip"]


@pytest.mark.parametrize(("changes", "why"), [
    ({"source": "SMB"}, "no http record will name a URL"),
    ({"is_orig": True}, "an upload: the http record lists it in orig_fuids, which names no source"),
])
def test_a_transfer_no_http_record_will_name_keeps_the_sender_rule(changes, why):
    projection = Projector(leases(1)).project([download("10.0.0.1", "FA", "f", **changes)])
    (entity,) = files_of(projection).values()
    assert entity.props.get("sender") in (SERVER, "10.0.0.1"), why
    assert "url" not in entity.props


def test_a_waiting_download_survives_the_join_state():
    """Saved after the files record and restored in another projector (another ingest call), the
    download joins the http record there as it does in the projector that saw both."""
    files, http = download("10.0.0.1", "FA", "f"), request("10.0.0.1", "FA", "/a.exe", "h")
    whole = Projector(leases(1))
    expected = [whole.project([files]), whole.project([http])]
    first = Projector(leases(1))
    before = first.project([files])
    assert first._fuid_pending  # the state carries the waiting download, or the test proves nothing
    second = Projector(leases(1))
    assert second.restore_join_state(first.join_state())
    assert second._fuid_pending == first._fuid_pending
    assert graph_of([before, second.project([http])]) == graph_of(expected)
    assert not second._fuid_pending  # claimed once, then forgotten


def test_a_join_state_of_the_previous_version_is_not_read():
    """Version 2 had no waiting downloads: it is learnt again from the journal instead."""
    assert projection_module.JOIN_STATE_VERSION == 7
    old = json.loads(Projector().join_state())
    del old["_fuid_pending"]
    old["version"] = 2
    assert Projector().restore_join_state(json.dumps(old).encode()) is False
