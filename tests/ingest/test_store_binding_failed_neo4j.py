"""A Neo4j attempt while the server is down does not tie a new data directory to Neo4j (review T11, F7).

``lab.open("neo4j", d, create=True)`` with the server down records a
provisional Neo4j binding (no graph id: the server was never reached), and
the fallback ``lab.open("embedded", d)`` used to be refused, in CLI words
(``--store neo4j``).  While the journal holds no event that binding ties
nothing; once an event is journaled for Neo4j it does, and the lab's refusal
names ``lab.open``.  "Down" is a real port with nothing listening.
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from graphsiem import lab
from ingest.store_binding import StoreBindingError, read_meta

RECORD = (
    '{"_path":"dhcp","ts":"2026-05-28T10:00:00Z","uid":"C1","client_addr":"10.0.0.5",'
    '"host_name":"ws-001","assigned_addr":"10.0.0.5","mac":"00:11:22:33:44:55"}\n'
)


@pytest.fixture
def down_uri() -> str:
    """A Bolt address on this machine where nothing listens (bound, then closed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"bolt://127.0.0.1:{port}"


def test_after_a_failed_neo4j_attempt_the_embedded_store_opens_and_takes_the_directory(tmp_path, down_uri):
    data = tmp_path / "lab"
    lab.open(down_uri, data_dir=data, create=True).close()
    recorded = read_meta(data / "journal.sqlite")
    assert recorded is not None and recorded.recorded is not None and recorded.recorded.kind == "neo4j"

    log = tmp_path / "dhcp.log"
    log.write_text(RECORD)
    with lab.open("embedded", data_dir=data) as ws:
        report = ws.ingest(log)
        assert report.total.accepted == 1
        assert report.projected["events"] == 1

    meta = read_meta(data / "journal.sqlite")
    assert meta is not None and meta.recorded is not None and meta.recorded.kind == "embedded"


def test_once_an_event_is_journaled_for_neo4j_the_lab_is_refused_in_its_own_words(tmp_path, down_uri):
    data = tmp_path / "lab"
    log = tmp_path / "dhcp.log"
    log.write_text(RECORD)
    with lab.open(down_uri, data_dir=data, create=True) as ws:
        ws.ingest(log)  # journaled; the graph waits for the server

    with pytest.raises(StoreBindingError) as refused:
        lab.open("embedded", data_dir=data)

    message = str(refused.value)
    assert f"open it with lab.open('neo4j', data_dir={str(Path(data))!r})" in message
    assert "use --store" not in message
    assert "graphsiem rebuild --store embedded" in message
