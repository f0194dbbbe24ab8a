"""A small Zeek capture whose flows the IP -> host map ties to hosts: two DHCP leases and five connections.

Shared by the evidence tests (API, lab, page) of review T11 F10: a sensor's record
names no host, and its evidence says which host the map held each address for.

* ``10.9.0.5`` is leased to ``ws-a`` and ``10.9.0.6`` to ``ws-b`` from :data:`T0`
  for an hour (Zeek ``dhcp.log``, ACK);
* :data:`BOTH`: ``10.9.0.5 -> 10.9.0.6`` inside the leases: source ws-a, destination ws-b;
* :data:`SRC_ONLY`: ``10.9.0.5 -> 203.0.113.9`` (an outside address no map holds): source ws-a only;
* :data:`UNMAPPED`: ``10.9.0.77 -> 203.0.113.9``: an address nobody leased, nothing mapped;
* :data:`AFTER_LEASE`: ``10.9.0.5 -> 203.0.113.9`` two hours after the lease began: nothing mapped;
* :data:`DST_ONLY`: ``203.0.113.9 -> 10.9.0.6`` inside the lease: destination ws-b only.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

T0 = 1_772_323_200.0
"""2026-03-01 00:00 UTC: both leases begin."""
LEASE_S = 3600.0

BOTH, SRC_ONLY, UNMAPPED, AFTER_LEASE, DST_ONLY = "CBOTH", "CSRC", "CNONE", "CLATE", "CDST"
"""The connections' Zeek uids."""

_CONNS = {
    BOTH: (T0 + 600, "10.9.0.5", 51000, "10.9.0.6", 445),
    SRC_ONLY: (T0 + 700, "10.9.0.5", 51001, "203.0.113.9", 443),
    UNMAPPED: (T0 + 800, "10.9.0.77", 51002, "203.0.113.9", 443),
    AFTER_LEASE: (T0 + 7200, "10.9.0.5", 51003, "203.0.113.9", 443),
    DST_ONLY: (T0 + 900, "203.0.113.9", 40000, "10.9.0.6", 3389),
}


def lease(host: str, address: str, ts: float) -> dict[str, Any]:
    """A granted lease as Zeek's dhcp.log writes it (JSON)."""
    return {"_path": "dhcp", "ts": ts, "uids": [f"D{host}"], "client_addr": address, "server_addr": "10.9.255.1",
            "mac": f"AA:BB:CC:00:00:{host[-1].encode().hex()}", "host_name": host, "assigned_addr": address,
            "lease_time": LEASE_S, "msg_types": ["REQUEST", "ACK"]}


def conn(uid: str) -> dict[str, Any]:
    """The connection ``uid`` as Zeek's conn.log writes it (JSON)."""
    ts, src, sport, dst, dport = _CONNS[uid]
    return {"_path": "conn", "ts": ts, "uid": uid, "id.orig_h": src, "id.orig_p": sport, "id.resp_h": dst,
            "id.resp_p": dport, "proto": "tcp", "duration": 1.5, "orig_bytes": 300, "resp_bytes": 900,
            "conn_state": "SF"}


def records() -> list[dict[str, Any]]:
    """The leases first, then the connections."""
    return [lease("ws-a", "10.9.0.5", T0), lease("ws-b", "10.9.0.6", T0)] + [conn(uid) for uid in _CONNS]


def write_logs(directory: Path) -> Path:
    """The capture as Zeek JSON logs ``dhcp.log`` and ``conn.log`` under ``directory``; returns it."""
    directory.mkdir(parents=True, exist_ok=True)
    rows = records()
    (directory / "dhcp.log").write_text("".join(json.dumps(r) + "\n" for r in rows if r["_path"] == "dhcp"))
    (directory / "conn.log").write_text("".join(json.dumps(r) + "\n" for r in rows if r["_path"] == "conn"))
    return directory
