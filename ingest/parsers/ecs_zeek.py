"""Filebeat's Zeek module in ECS: its ``dhcp``, ``files`` and ``rdp`` records read as the native Zeek records.

Filebeat (``x-pack/filebeat/module/zeek``) moves a Zeek log line under
``zeek.<log>.*`` and renames some keys (``assigned_addr`` ->
``zeek.dhcp.address.assigned``, ``host_name`` -> ``zeek.dhcp.hostname``,
``tx_hosts`` -> ``zeek.files.tx_host``, ``ts`` -> ``@timestamp``...).  For the
logs whose normalised fields other rules depend on (a DHCP lease teaches the
IP -> host map; a files record is a download keyed by its hashes and name; an
opened RDP session is its client's address ``LOGGED_ON`` the server, :mod:`ingest.projection_rdp`),
:func:`native_record` rebuilds the line Zeek wrote, so that the Zeek parser
itself maps it: the event is the one the same line read from ``dhcp.log`` or
``files.log`` or ``rdp.log`` gives (kind ``zeek:dhcp`` / ``zeek:files`` / ``zeek:rdp``, the same ``dhcp.*``,
``file.*``, ``source.*``/``destination.*`` and ``zeek.<key>`` fields).
Filebeat's other Zeek logs stay ECS events, their ``zeek.*`` subtree kept
under the ECS parser's ``ecs.`` prefix.
"""

from __future__ import annotations

from typing import Any

_RENAMED: dict[str, dict[str, str]] = {
    "dhcp": {
        "address.assigned": "assigned_addr", "address.client": "client_addr",
        "address.server": "server_addr", "address.mac": "mac", "address.requested": "requested_addr",
        "hostname": "host_name", "msg.types": "msg_types", "msg.client": "client_message",
        "msg.server": "server_message", "msg.origin": "msg_orig", "software.client": "client_software",
        "software.server": "server_software", "id.circuit": "circuit_id",
        "id.remote_agent": "agent_remote_id", "id.subscriber": "subscriber_id",
    },
    # Filebeat keeps the first of tx_hosts / rx_hosts only (its painless script)
    "files": {"tx_host": "tx_hosts", "rx_host": "rx_hosts", "session_ids": "conn_uids"},
    # its rdp fileset groups the client's, desktop's, certificate's and encryption's keys
    "rdp": {
        "client.build": "client_build", "client.name": "client_name", "client.product_id": "client_dig_product_id",
        "desktop.width": "desktop_width", "desktop.height": "desktop_height",
        "desktop.color_depth": "requested_color_depth", "cert.type": "cert_type", "cert.count": "cert_count",
        "cert.permanent": "cert_permanent", "encryption.level": "encryption_level",
        "encryption.method": "encryption_method",
    },
}
"""Per log, Filebeat's name under ``zeek.<log>.`` -> the name Zeek writes (others are Zeek's own)."""

_LISTED = frozenset(("tx_hosts", "rx_hosts"))
"""Zeek writes these as sets: Filebeat's single value goes back into a list."""

_SESSION_KEYS = {"dhcp": "uids", "files": "conn_uids"}
"""Where ``zeek.session_id`` (Filebeat's copy of the connection uids) goes back."""

_CONNECTION_LOGS = frozenset(("rdp",))
"""Logs of one connection: Zeek's ``uid`` is one text, and Filebeat moves ``id.orig_h/p`` and ``id.resp_h/p``
to ``source.*`` and ``destination.*``, read back (its ``source.address`` when ``source.ip`` is missing)."""

_ENDPOINTS = (("id.orig_h", "source.ip", "source.address"), ("id.orig_p", "source.port", None),
              ("id.resp_h", "destination.ip", "destination.address"), ("id.resp_p", "destination.port", None))

LOGS = frozenset(_RENAMED)
"""The Zeek logs read back into native records."""


def zeek_log(flat: dict[str, Any]) -> str | None:
    """The log of a flattened Filebeat Zeek record that :func:`native_record` rebuilds, else None.

    ``event.dataset`` is ``zeek.<log>`` (Filebeat's module) and the record holds
    that log's ``zeek.<log>.*`` fields.

    >>> zeek_log({"event.dataset": "zeek.dhcp", "zeek.dhcp.hostname": "ws-1"})
    'dhcp'
    >>> zeek_log({"event.dataset": "zeek.connection", "zeek.connection.state": "SF"}) is None
    True
    """
    dataset = flat.get("event.dataset")
    if not isinstance(dataset, str) or not dataset.startswith("zeek."):
        return None
    log = dataset[5:]
    if log not in LOGS:
        return None
    prefix = f"zeek.{log}."
    return log if any(key.startswith(prefix) for key in flat) else None


def native_record(flat: dict[str, Any], log: str, ts: float) -> dict[str, Any]:
    """The Zeek ``log`` line behind a flattened Filebeat record (``_path`` set, ``ts`` epoch seconds).

    Examples
    --------
    >>> native_record({"zeek.dhcp.hostname": "WS-1", "zeek.dhcp.address.assigned": "10.0.0.5",
    ...                "zeek.session_id": ["C1"]}, "dhcp", 1.5)
    {'host_name': 'WS-1', 'assigned_addr': '10.0.0.5', 'uids': ['C1'], '_path': 'dhcp', 'ts': 1.5}
    """
    prefix = f"zeek.{log}."
    renamed = _RENAMED[log]
    record: dict[str, Any] = {}
    for key, value in flat.items():
        if not key.startswith(prefix):
            continue
        name = key[len(prefix):]
        name = renamed.get(name, name)
        if name in _LISTED and not isinstance(value, list):
            value = [value]
        record[name] = value
    session = flat.get("zeek.session_id")
    if log in _CONNECTION_LOGS:
        if session is not None:
            record.setdefault("uid", session[0] if isinstance(session, list) and session else session)
        for native, ecs, fallback in _ENDPOINTS:
            value = flat.get(ecs)
            if value is None and fallback is not None:
                value = flat.get(fallback)
            if value is not None:
                record.setdefault(native, value)
    elif session is not None:
        record.setdefault(_SESSION_KEYS[log], session if isinstance(session, list) else [session])
    if log == "files":
        # Filebeat copies the digests to file.hash.* (newer versions may keep them only there)
        for algorithm in ("md5", "sha1", "sha256"):
            digest = flat.get(f"file.hash.{algorithm}")
            if digest is not None:
                record.setdefault(algorithm, digest)
        for key, name in (("file.mime_type", "mime_type"), ("file.name", "filename"), ("file.size", "total_bytes")):
            value = flat.get(key)
            if value is not None:
                record.setdefault(name, value)
    record["_path"] = log
    record["ts"] = ts
    return record
