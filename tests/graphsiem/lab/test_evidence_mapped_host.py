"""The lab's evidence frame names which of the cluster's hosts a sensor row is about (review T11 F10).

19 of the 50 evidence rows of the top cluster (all Zeek) had ``host`` None:
a data scientist grouping evidence by host lost them, though the IP -> host
map had tied them to the cluster's hosts.  Over a real ingest of a small Zeek
capture with DHCP leases (:mod:`tests.ingest.mapped_sensor_records`) into a
lab workspace, the frame's ``mapped_host`` / ``mapped_from`` / ``mapped_source``
say it, and ``host`` stays the record's own.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analytics.explain import Explanation
from analytics.result import Cluster
from graphsiem import lab
from graphsiem.model import Entity
from tests.ingest.mapped_sensor_records import (
    AFTER_LEASE,
    BOTH,
    DST_ONLY,
    SRC_ONLY,
    T0,
    UNMAPPED,
    write_logs,
)


def _view(tmp_path: Path, hosts: list[str]) -> tuple[lab.ClusterView, dict[str, str], lab.Workspace]:
    ws = lab.open("embedded", data_dir=tmp_path / "data", create=True)
    assert ws.ingest(write_logs(tmp_path / "zeek")).total.rejected == 0
    conns = [item.event.id for item in ws.journal.iter_events() if item.event.kind == "zeek:conn"]
    uids = {event.raw["uid"]: event.id for event in ws.journal.get(conns)}
    pivot = Entity("ip", "203.0.113.9", "203.0.113.9")
    cluster = Cluster(id="c-f10", pivot=pivot, score=60.0, hosts=hosts, entities=[pivot], first_seen=T0,
                      last_seen=T0 + 7200, features={}, explanation=Explanation(summary="", features=[]),
                      evidence=[{"source": "zeek", "event_id": event_id} for event_id in uids.values()])
    return lab.ClusterView(cluster, ws), uids, ws


def test_each_sensor_row_names_the_host_its_address_was(tmp_path: Path) -> None:
    view, uids, ws = _view(tmp_path, ["ws-a", "ws-b"])
    try:
        frame = view.evidence(limit=5).set_index("event_id")
        # missing is pandas' own (None, or NaN in a text column): said as None here
        got = {uid: tuple(None if pd.isna(value) else value
                          for value in (frame.at[event_id, column] for column in ("mapped_host", "mapped_from", "mapped_source")))
               for uid, event_id in uids.items()}
        assert got == {
            BOTH: ("ws-a", "src", "dhcp"),  # both ends are cluster hosts: the source's
            SRC_ONLY: ("ws-a", "src", "dhcp"),
            DST_ONLY: ("ws-b", "dst", "dhcp"),
            UNMAPPED: (None, None, None),
            AFTER_LEASE: (None, None, None),
        }
        assert frame["host"].isna().all()  # the records' own host (none), as recorded
    finally:
        ws.close()


def test_the_end_mapped_to_one_of_the_clusters_hosts_comes_first(tmp_path: Path) -> None:
    # A cluster of ws-b alone: its flow from ws-a is about ws-b, its destination.
    view, uids, ws = _view(tmp_path, ["ws-b"])
    try:
        frame = view.evidence(limit=5).set_index("event_id")
        assert (frame.at[uids[BOTH], "mapped_host"], frame.at[uids[BOTH], "mapped_from"]) == ("ws-b", "dst")
    finally:
        ws.close()
