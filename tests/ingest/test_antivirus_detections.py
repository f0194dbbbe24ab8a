"""Antivirus detections on the host page (task Q1): ``host DETECTED file``, on both stores.

One quarantined file found on three hosts is one file node with three ``DETECTED`` edges (a
fan-out pivot); the Brim ``syslog.log`` (read in place from ``$GRAPHSIEM_SAMPLES``) puts Kramer's
quarantined ``yfHMhijb.exe`` on its page, and leaves no line of a Windows sender hostless.
"""

from __future__ import annotations

import json
from pathlib import Path

from graphsiem.store.base import GraphStore
from ingest.journal import Journal
from ingest.parsers.base import ParseContext
from ingest.parsers.zeek import parsers as zeek_parsers
from ingest.pipeline import ingest_paths

DETECTION = ("1 2026-03-02T09:0{n}:00-05:00 {host}.corp.example EvntSLog - - - Security Risk Found! "
             "Trojan Horse in File: C:\\Windows\\Temp\\x'}}) DETACH DELETE n.exe by: Auto-Protect scan. "
             "Action: Quarantine succeeded : Access denied. Action Description: The file was quarantined successfully.")


def ingest(store: GraphStore, tmp_path: Path, path: Path) -> None:
    with Journal(tmp_path / "journal.sqlite") as journal:
        report = ingest_paths([path], store=store, journal=journal, progress=False)
    store.flush()
    assert report.total.rejected == 0 and report.total.accepted > 0


def test_one_file_detected_on_three_hosts_is_one_pivot(store: GraphStore, tmp_path: Path) -> None:
    lines = [DETECTION.format(n=n, host=host) for n, host in enumerate(("ws1", "ws2", "ws3"))]
    path = tmp_path / "av.log"
    path.write_text("\n".join(lines) + "\n")
    ingest(store, tmp_path, path)
    file_key = "c:\\windows\\temp\\x'}) detach delete n.exe"
    detected = sorted((r.src, r.dst) for r in store.iter_relations("DETECTED"))
    assert detected == [(("host", h), ("file", file_key)) for h in ("ws1", "ws2", "ws3")]
    on_page = {n.entity.ref: n.relation.type for n in store.neighbors("host", "ws2")}
    assert on_page[("file", file_key)] == "DETECTED"


def test_kramers_page_shows_the_quarantined_file(store: GraphStore, tmp_path: Path, samples_dir: Path) -> None:
    ingest(store, tmp_path, samples_dir / "brimdata-zed-sample-data" / "zeek-default" / "syslog.log")
    on_page = {n.entity.ref: n.relation.type for n in store.neighbors("host", "kramer", relation_types=["DETECTED"])}
    assert on_page == {("file", "c:\\windows\\yfhmhijb.exe"): "DETECTED"}


def test_no_line_of_a_windows_sender_stays_hostless(samples_dir: Path) -> None:
    parser = zeek_parsers()[0]
    kinds: dict[str, int] = {}
    with open(samples_dir / "brimdata-zed-sample-data" / "zeek-json" / "syslog.json") as lines:
        for line in lines:
            record = json.loads(line)
            events = list(parser.parse(record, ParseContext()))
            if " EvntSLog " in record["message"]:
                assert len(events) == 2 and events[1].host, record["message"][:120]
            for event in events[1:]:
                kinds[event.kind] = kinds.get(event.kind, 0) + 1
    assert kinds["av:detection"] == 8 and kinds["syslog:message"] == 860
