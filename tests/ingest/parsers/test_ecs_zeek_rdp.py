"""Filebeat's Zeek rdp fileset read as Zeek's own rdp.log line (task INGF item 2).

Filebeat's Zeek module (``event.dataset: zeek.rdp``) moves an rdp.log line under ``zeek.rdp.*``,
groups some keys (``client_build`` -> ``zeek.rdp.client.build``, ``cert_count`` -> ``zeek.rdp.cert.count``,
``encryption_level`` -> ``zeek.rdp.encryption.level``...), and moves ``uid`` to ``zeek.session_id`` and
``id.orig_h/p``/``id.resp_h/p`` to ``source.*``/``destination.*``.  Before, such a record stayed a
generic ECS event, so an RDP session a sensor saw through Filebeat opened no ``LOGGED_ON`` (projection
13 read rdp.log only from the Zeek parsers).  Records written for this test in Filebeat's field names.
"""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from ingest.journal import Journal
from ingest.parsers.base import ParseContext
from ingest.parsers.ecs import EcsParser
from ingest.parsers.zeek import ZeekParser
from ingest.pipeline import ingest_paths

FILEBEAT_RDP = {
    "@timestamp": "2024-03-05T09:10:00.000Z", "agent": {"type": "filebeat"}, "host": {"name": "zeek-sensor01"},
    "event": {"module": "zeek", "dataset": "zeek.rdp", "id": "CrdpA1", "category": ["network"]},
    "network": {"transport": "tcp", "protocol": "rdp"},
    "source": {"address": "10.32.1.40", "ip": "10.32.1.40", "port": 50312},
    "destination": {"address": "10.32.2.11", "ip": "10.32.2.11", "port": 3389},
    "zeek": {"session_id": "CrdpA1", "rdp": {
        "cookie": "administr", "result": "encrypted", "security_protocol": "HYBRID", "ssl": True,
        "keyboard_layout": "English - United States", "client": {"build": "RDP 8.1", "name": "IT-0002"},
        "desktop": {"width": 1920, "height": 1080, "color_depth": "32bit"},
        "cert": {"count": 0}, "encryption": {"level": "None", "method": "None"}}},
}
NATIVE_RDP = {"_path": "rdp", "ts": "2024-03-05T09:10:00.000000Z", "uid": "CrdpA1", "id.orig_h": "10.32.1.40",
              "id.orig_p": 50312, "id.resp_h": "10.32.2.11", "id.resp_p": 3389, "cookie": "administr",
              "result": "encrypted", "security_protocol": "HYBRID", "ssl": True,
              "keyboard_layout": "English - United States", "client_build": "RDP 8.1", "client_name": "IT-0002",
              "desktop_width": 1920, "desktop_height": 1080, "requested_color_depth": "32bit", "cert_count": 0,
              "encryption_level": "None", "encryption_method": "None"}


def test_a_filebeat_zeek_rdp_record_gives_the_native_rdp_event() -> None:
    (ours,) = EcsParser().parse(FILEBEAT_RDP, ParseContext(origin="t:1"))
    (zeek,) = ZeekParser().parse(NATIVE_RDP, ParseContext(origin="t:1"))
    assert (ours.kind, ours.ts, ours.host) == ("zeek:rdp", zeek.ts, None)
    assert {k: v for k, v in ours.fields.items() if k != "observer.name"} == zeek.fields
    assert (ours.fields["zeek.client_name"], ours.fields["zeek.client_build"]) == ("IT-0002", "RDP 8.1")
    assert ours.fields["observer.name"] == "zeek-sensor01" and ours.source == "ecs"


def test_source_address_stands_in_for_a_missing_source_ip() -> None:
    record = orjson.loads(orjson.dumps(FILEBEAT_RDP))
    del record["source"]["ip"], record["destination"]["ip"]  # Filebeat's convert failed or was dropped
    (event,) = EcsParser().parse(record, ParseContext(origin="t:1"))
    assert (event.fields["source.ip"], event.fields["destination.ip"]) == ("10.32.1.40", "10.32.2.11")


@pytest.mark.parametrize(("result", "opened"), [("encrypted", True), ("User rejected", False)])
def test_an_opened_filebeat_rdp_session_is_the_clients_address_logged_on(
        tmp_path: Path, journal: Journal, graph, result: str, opened: bool) -> None:
    record = orjson.loads(orjson.dumps(FILEBEAT_RDP))
    record["zeek"]["rdp"]["result"] = result
    path = tmp_path / "rdp.ndjson"
    path.write_bytes(orjson.dumps(record) + b"\n")
    report = ingest_paths([path], store=graph, journal=journal, progress=False)
    assert report.total.accepted == report.total.received == 1
    logged_on = {(r.src, r.dst) for r in graph.iter_relations("LOGGED_ON")}
    assert logged_on == ({(("ip", "10.32.1.40"), ("ip", "10.32.2.11"))} if opened else set())
