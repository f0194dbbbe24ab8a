"""A host's contact times with a destination do not depend on how the journal was cut (task BEACON).

Zeek's ``dns.log`` of one client querying a C2 domain about every minute,
ingested in its order or shuffled, in batches of 1, 7 or all, and ingested
again: the graph keeps the same contact times (:mod:`graphsiem.contact_times`).
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from graphsiem.contact_times import merge_times
from graphsiem.store.embedded import EmbeddedStore
from ingest.journal import Journal
from ingest.pipeline import ingest_paths

CLIENT = "192.0.2.11"
TIMES = [1767607201.0 + 60.0 * n + (n * 7 % 11) for n in range(120)]


def dns(ts: float, n: int) -> dict:
    return {"_path": "dns", "ts": ts, "uid": f"C{n}", "id.orig_h": CLIENT, "id.orig_p": 53000 + n,
            "id.resp_h": "198.51.100.53", "id.resp_p": 53, "proto": "udp", "query": "c2.example.net",
            "qtype_name": "A", "rcode_name": "NOERROR"}


LEASE = {"_path": "dhcp", "ts": TIMES[0] - 600.0, "uids": ["CL"], "client_addr": CLIENT, "server_addr": "192.0.2.1",
         "mac": "AA:BB:CC:DD:EE:FF", "host_name": "WS-0042.corp.example", "assigned_addr": CLIENT,
         "lease_time": 86400.0, "msg_types": ["REQUEST", "ACK"]}
"""Maps the client to ``ws-0042`` for the day (an unmapped client is seen by no host)."""


def kept_times(tmp_path: Path, order: list[int], batch_size: int, *, twice: bool = False) -> dict:
    path = tmp_path / "dns.json"
    path.write_text("".join(json.dumps(record) + "\n" for record in [LEASE, *(dns(TIMES[n], n) for n in order)]))
    store = EmbeddedStore(tmp_path / "graph")
    try:
        with Journal(tmp_path / "journal.sqlite") as journal:
            for _ in range(2 if twice else 1):
                ingest_paths([path], store=store, journal=journal, progress=False, batch_size=batch_size)
        return store.contact_times("domain", "c2.example.net")
    finally:
        store.close()


@pytest.mark.parametrize(("shuffled", "batch_size", "twice"), [
    (False, 1, False), (False, 7, False), (True, 7, False), (True, 5000, True),
], ids=["in order, one a batch", "in order, 7 a batch", "shuffled, 7 a batch", "shuffled, one batch, twice"])
def test_the_contact_times_are_those_of_the_whole_log(tmp_path, shuffled, batch_size, twice):
    order = list(range(len(TIMES)))
    if shuffled:
        random.Random(11).shuffle(order)

    times = kept_times(tmp_path, order, batch_size, twice=twice)

    assert times == {"ws-0042": merge_times(TIMES)}
