"""A download with no digest and no name, whose files record comes a call before its http record.

The files record waits in the projector's join state for the http record that
names its URL (the file's identity).  Posted one record per call, in a process
per call or not, the graph is the one a replay of the journal rebuilds, on
both stores.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ingest import replay as replay_module
from ingest.journal import Journal
from ingest.pipeline import ingest_records
from ingest.replay import replay
from tests.reliability.snapshot import snapshot

_ZEEK = json.loads(
    (Path(__file__).resolve().parent.parent / "ingest" / "parsers" / "fixtures" / "zeek" / "records.json").read_text()
)
LEASE = {**_ZEEK["dhcp_lease"], "ts": 1767607000.0, "host_name": "ws-1", "assigned_addr": "192.0.2.10",
         "client_addr": "192.0.2.10"}
RECORDS = [
    LEASE,
    _ZEEK["files_is_orig"],  # 512 bytes of a PE from 203.0.113.7, no digest, no name (FJ2)
    {**_ZEEK["http_host_uri"], "uri": "/dl/stage.bin", "resp_fuids": ["FJ2"]},
]
URL = ("url", "http://cdn.example.com/dl/stage.bin")


def _new_process(journal: Journal) -> None:
    """As if each call ran in a process of its own: the state is read back from the journal."""
    replay_module._RESUMABLE.clear()


@pytest.mark.parametrize("between", [None, _new_process], ids=["one-process", "process-per-call"])
def test_a_download_waiting_for_its_url_across_calls_gives_the_replayed_graph(
    store: Any, tmp_path: Path, between: Any
) -> None:
    with Journal(tmp_path / "journal.sqlite") as journal:
        for record in RECORDS:
            assert ingest_records([record], store=store, journal=journal, origin="api").total.accepted == 1
            if between is not None:
                between(journal)
        live = snapshot(store)
        replay(journal, store)
        rebuilt = snapshot(store)
    (file,) = [ref for ref in live["entities"] if ref[0] == "file"]
    assert dict(live["entities"][file][1])["url"] == URL[1]
    assert {(("host", "ws-1"), "DOWNLOADED", file), (file, "SERVED_BY", URL)} <= set(live["relations"])
    for part in ("counts", "entities", "relations", "sightings"):
        assert live[part] == rebuilt[part], part
