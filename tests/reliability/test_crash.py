"""Crash safety: SIGKILL ``graphsiem serve`` mid-stream, restart, lose and double nothing.

Four client threads push unique ECS DNS events (one new domain each) in
batches of 25 and re-send a batch until it is acknowledged.  The server is
killed with SIGKILL three times at a random moment of sustained ingest.  After
each kill: every acknowledged event is in the journal, exactly once; after the
restart, *before any new traffic*, the server projects what the killed one had
journaled but not projected, and every acknowledged event is in the graph with
a sighting count of 1 (a double projection would show 2).  The figures of
each kill are printed (``pytest -s``) and recorded in docs/reliability.md.
"""

from __future__ import annotations

import random
import signal
import time
from collections import Counter
from pathlib import Path

from tests.reliability.pusher import Pusher
from tests.reliability.server import (
    ServerProcess,
    create_key,
    embedded_sightings,
    journaled_domains,
    wait_projected,
)

KILLS = 3
EVENTS_PER_ROUND = 300
"""Acknowledged events (at least) between a start and the next kill."""


def _wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _check_graph(data_dir: Path, acked: set[str]) -> dict[str, int]:
    sightings = embedded_sightings(data_dir)
    missing = acked - sightings.keys()
    doubled = {d: c for d, c in sightings.items() if c != [1]}
    assert not missing, f"{len(missing)} acknowledged events not in the graph, e.g. {sorted(missing)[:5]}"
    assert not doubled, f"events counted more than once: {list(doubled.items())[:5]}"
    return {"graph": len(sightings)}


def test_sigkill_mid_stream_loses_and_doubles_nothing(tmp_path: Path) -> None:
    rng = random.Random(9)
    data_dir = tmp_path / "data"
    key = create_key(data_dir, "ingest")
    server = ServerProcess(data_dir)
    pusher = Pusher(lambda: server.url, key, clients=4, batch_size=25)
    rows = []
    try:
        server.start()
        pusher.start()
        for kill in range(1, KILLS + 1):
            floor = pusher.acked_count() + EVENTS_PER_ROUND
            _wait_for(lambda floor=floor: pusher.acked_count() >= floor, 240, "ingest progress")
            time.sleep(rng.uniform(0.0, 0.5))  # land anywhere in a request's life
            server.kill()
            pusher.pause()
            acked = pusher.acked()
            journal = journaled_domains(data_dir)
            counts = Counter(journal)
            assert acked <= counts.keys(), f"kill {kill}: acknowledged events missing from the journal"
            assert max(counts.values()) == 1, f"kill {kill}: an event journaled twice"
            server.start()
            # No traffic yet: the restarted server must project on its own.
            journal_state = wait_projected(data_dir)
            graph = _check_graph(data_dir, acked)
            rows.append({"kill": kill, "acked": len(acked), "journaled": len(journal),
                         "in_graph": graph["graph"], "checkpoint": journal_state["projected_seq"]})
            pusher.resume()
        pusher.drain()
        wait_projected(data_dir)
        # uvicorn re-raises SIGTERM after its graceful shutdown: -15 is a clean stop.
        assert server.stop() in (0, -signal.SIGTERM), server.log_tail()
        acked = pusher.acked()
        journal = journaled_domains(data_dir)
        assert Counter(journal).most_common(1)[0][1] == 1
        assert acked == set(journal), "the journal holds exactly the acknowledged events"
        graph = _check_graph(data_dir, acked)
        assert graph["graph"] == len(acked)
        rows.append({"kill": "final", "acked": len(acked), "journaled": len(journal),
                     "in_graph": graph["graph"]})
    finally:
        server.kill()
    resent = sum(s.resent_duplicates for s in pusher.stats)
    failures = sum(s.failures for s in pusher.stats)
    for row in rows:
        print("crash:", row)
    print(f"crash: failed sends retried {failures}, re-sent batches found already journaled {resent}")
