"""The ``network_stager`` host-finding rule: an executable fetched from a bare address, then callbacks to it.

A network sensor alone can see Metasploit's staged payloads (OTRF ``LSASS_campaign_01``, Zeek only):
MKT01 fetches a 7 KB Windows executable over plain HTTP from ``10.0.5.13`` (``files.log``
``application/x-dosexec``, ``http.log`` with no ``Host`` name), runs it, and the stage calls back over
TLS to ``10.0.5.13:8080`` (``reverse_https``).  The rule (:func:`network_stager_hits`) asks for all of:

* a Zeek ``files.log`` record of a Windows executable (``application/x-dosexec``) over HTTP, whose
  ``http.log`` record (same ``uid``) names **no host name** or an address as ``Host``: software
  vendors and update services serve executables from names (a CDN, ``download.windowsupdate.com``);
* within :data:`CALLBACK_SECONDS` after it, from the same client to the **same address**, a TLS
  session (``ssl.log``) or a connection of at least :data:`LONG_SECONDS` (``conn.log``) on a port other
  than 80 and 443: the downloaded program talking back to where it came from, on the port its
  handler listens on.

Legitimate software that fetches an executable by address (a PXE/WDS server, an in-house update share
over HTTP) does not then hold TLS sessions to that address on another port; a lab or vendor that
does is judged benign once (the subject is the address and port).  The host is the one the IP map
(:class:`analytics.evidence_addresses.AddressHolders`, time-aware) gives the client at the download,
else the client address itself when it is one of the fleet's (:func:`analytics.external_addresses.is_external_ip`):
an outside client the map does not place is no host of ours but the internet fetching from our server, and
any bot that fetches an executable by address from a public server and holds an SSH session made a
"host finding" naming its address (red team T15 finding 4).
"""

from __future__ import annotations

import ipaddress
import sqlite3
from collections.abc import Mapping
from typing import Any

import orjson

from analytics.evidence_addresses import AddressHolders
from analytics.external_addresses import is_external_ip
from analytics.host_finding_rules import NETWORK_STAGER
from analytics.host_findings import Hit

__all__ = ["CALLBACK_SECONDS", "LONG_SECONDS", "network_stager_hits"]

CALLBACK_SECONDS = 600.0
"""How long after the download a callback counts: a stage runs within seconds to minutes."""
LONG_SECONDS = 60.0
"""A plain connection this long to the address counts as a session (a stage's channel without TLS)."""
_WEB_PORTS = frozenset({80, 443})
_DOWNLOADS = ("SELECT id, ts, fields FROM events WHERE host IS NULL AND kind = 'zeek:files' "
              "AND ts >= ? AND ts <= ? AND instr(fields, 'application/x-dosexec') > 0")
"""Executables a sensor saw (a scan of the window's rows of no host; the ``instr`` test skips the JSON
decoding of every other row)."""
_PEER_ROWS = ("SELECT id, kind, ts, fields FROM events WHERE host IS NULL AND kind IN ('zeek:http', 'zeek:ssl', "
              "'zeek:conn') AND ts >= ? AND ts <= ? AND instr(fields, ?) > 0")
"""The rows of one server address around a download (only read when an executable was seen)."""


def network_stager_hits(connection: sqlite3.Connection, start: float, end: float) -> list[Hit]:
    """The ``network_stager`` hits of the window ``[start, end]``, one per download that matches.

    Parameters
    ----------
    connection : sqlite3.Connection
        The journal's, with the sensor's rows and the IP map (``ip_hosts``).
    start, end : float
        The detection window (epoch seconds).
    """
    try:
        downloads = connection.execute(_DOWNLOADS, (start, end)).fetchall()
    except sqlite3.OperationalError:  # no journal of this version
        return []
    holders = AddressHolders(connection)
    hits: list[Hit] = []
    for event_id, ts, blob in downloads:
        fields = orjson.loads(blob)
        if str(fields.get("zeek.source") or "").upper() != "HTTP":
            continue
        client = str(fields.get("zeek.id.orig_h") or fields.get("client.ip") or "")
        server = str(fields.get("zeek.id.resp_h") or "")
        if not client or not server:
            continue
        peers = [(str(i), str(k), float(t), orjson.loads(b))
                 for i, k, t, b in connection.execute(_PEER_ROWS, (float(ts) - 120.0, float(ts) + CALLBACK_SECONDS,
                                                                   f'"{server}"'))]
        request = next((f for _, k, _, f in peers if k == "zeek:http" and f.get("zeek.uid") == fields.get("zeek.uid")),
                       None)
        if request is None or not _bare_address(request):
            continue
        callbacks = [(k, f) for _, k, t, f in peers if t >= float(ts) and _callback(k, f, client, server)]
        if not callbacks:
            continue
        port = int(callbacks[0][1].get("zeek.id.resp_p") or 0)
        host = holders.holder(client, float(ts)) or (None if is_external_ip(client) else client)
        if host is None:  # an outside client of a server of ours (a bot fetching by address): no fleet host
            continue
        size = fields.get("zeek.seen_bytes") or fields.get("file.size")
        hits.append(Hit(host, NETWORK_STAGER, float(ts), str(event_id), "", "", f"{server}:{port}",
                        f"{client} fetched a Windows executable ({size} bytes) over HTTP from {server}:"
                        f"{fields.get('zeek.id.resp_p')} with no host name, then {len(callbacks)} "
                        f"{'TLS or long ' if len(callbacks) > 1 else ''}session(s) to {server}:{port} within "
                        f"{int(CALLBACK_SECONDS // 60)} minutes"))
    return hits


def _bare_address(request: Mapping[str, Any]) -> bool:
    """Whether an HTTP request names no host, or an address, as its ``Host``."""
    name = str(request.get("zeek.host") or "").strip().strip("[]")
    name = name.rsplit(":", 1)[0] if name.count(":") == 1 else name
    if not name or name == "-":
        return True
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def _callback(kind: str, fields: Mapping[str, Any], client: str, server: str) -> bool:
    if str(fields.get("zeek.id.orig_h")) != client or str(fields.get("zeek.id.resp_h")) != server:
        return False
    try:
        port = int(fields.get("zeek.id.resp_p") or 0)
    except (TypeError, ValueError):
        return False
    if port in _WEB_PORTS:
        return False
    if kind == "zeek:ssl":
        return True
    if kind == "zeek:conn":
        service = str(fields.get("zeek.service") or "").lower()
        return "ssl" in service or float(fields.get("zeek.duration") or 0.0) >= LONG_SECONDS
    return False
