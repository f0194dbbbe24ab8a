"""Zeek log records (conn, dns, http, files, kerberos, ntlm, dhcp) and their JSON/TSV renderings.

Field names, order and types follow Zeek 4.x's default logs (``files.log``
with ``tx_hosts``/``rx_hosts``/``conn_uids``, hashes from
``hash-all-files``).  JSON follows ``json-streaming-logs``: one object per
line with ``_path`` and ``_write_ts``, epoch-float times, unset fields omitted.
TSV has the ``#separator``/``#fields``/``#types`` header and a ``#close`` footer.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, TextIO

import orjson

FIELDS: dict[str, tuple[tuple[str, str], ...]] = {
    "conn": (
        ("ts", "time"), ("uid", "string"), ("id.orig_h", "addr"), ("id.orig_p", "port"),
        ("id.resp_h", "addr"), ("id.resp_p", "port"), ("proto", "enum"), ("service", "string"),
        ("duration", "interval"), ("orig_bytes", "count"), ("resp_bytes", "count"),
        ("conn_state", "string"), ("local_orig", "bool"), ("local_resp", "bool"),
        ("missed_bytes", "count"), ("history", "string"), ("orig_pkts", "count"),
        ("orig_ip_bytes", "count"), ("resp_pkts", "count"), ("resp_ip_bytes", "count"),
        ("tunnel_parents", "set[string]"),
    ),
    "dns": (
        ("ts", "time"), ("uid", "string"), ("id.orig_h", "addr"), ("id.orig_p", "port"),
        ("id.resp_h", "addr"), ("id.resp_p", "port"), ("proto", "enum"), ("trans_id", "count"),
        ("rtt", "interval"), ("query", "string"), ("qclass", "count"), ("qclass_name", "string"),
        ("qtype", "count"), ("qtype_name", "string"), ("rcode", "count"), ("rcode_name", "string"),
        ("AA", "bool"), ("TC", "bool"), ("RD", "bool"), ("RA", "bool"), ("Z", "count"),
        ("answers", "vector[string]"), ("TTLs", "vector[interval]"), ("rejected", "bool"),
    ),
    "http": (
        ("ts", "time"), ("uid", "string"), ("id.orig_h", "addr"), ("id.orig_p", "port"),
        ("id.resp_h", "addr"), ("id.resp_p", "port"), ("trans_depth", "count"),
        ("method", "string"), ("host", "string"), ("uri", "string"), ("referrer", "string"),
        ("version", "string"), ("user_agent", "string"), ("origin", "string"),
        ("request_body_len", "count"), ("response_body_len", "count"), ("status_code", "count"),
        ("status_msg", "string"), ("info_code", "count"), ("info_msg", "string"),
        ("tags", "set[enum]"), ("username", "string"), ("password", "string"),
        ("proxied", "set[string]"), ("orig_fuids", "vector[string]"),
        ("orig_filenames", "vector[string]"), ("orig_mime_types", "vector[string]"),
        ("resp_fuids", "vector[string]"), ("resp_filenames", "vector[string]"),
        ("resp_mime_types", "vector[string]"),
    ),
    "files": (
        ("ts", "time"), ("fuid", "string"), ("tx_hosts", "set[addr]"), ("rx_hosts", "set[addr]"),
        ("conn_uids", "set[string]"), ("source", "string"), ("depth", "count"),
        ("analyzers", "set[string]"), ("mime_type", "string"), ("filename", "string"),
        ("duration", "interval"), ("local_orig", "bool"), ("is_orig", "bool"),
        ("seen_bytes", "count"), ("total_bytes", "count"), ("missing_bytes", "count"),
        ("overflow_bytes", "count"), ("timedout", "bool"), ("parent_fuid", "string"),
        ("md5", "string"), ("sha1", "string"), ("sha256", "string"), ("extracted", "string"),
        ("extracted_cutoff", "bool"), ("extracted_size", "count"),
    ),
    "kerberos": (
        ("ts", "time"), ("uid", "string"), ("id.orig_h", "addr"), ("id.orig_p", "port"),
        ("id.resp_h", "addr"), ("id.resp_p", "port"), ("request_type", "string"), ("client", "string"),
        ("service", "string"), ("success", "bool"), ("error_msg", "string"), ("from", "time"),
        ("till", "time"), ("cipher", "string"), ("forwardable", "bool"), ("renewable", "bool"),
        ("client_cert_subject", "string"), ("client_cert_fuid", "string"),
        ("server_cert_subject", "string"), ("server_cert_fuid", "string"),
    ),
    "ntlm": (
        ("ts", "time"), ("uid", "string"), ("id.orig_h", "addr"), ("id.orig_p", "port"),
        ("id.resp_h", "addr"), ("id.resp_p", "port"), ("username", "string"), ("hostname", "string"),
        ("domainname", "string"), ("server_nb_computer_name", "string"),
        ("server_dns_computer_name", "string"), ("server_tree_name", "string"), ("success", "bool"),
    ),
    "dhcp": (
        ("ts", "time"), ("uids", "set[string]"), ("client_addr", "addr"),
        ("server_addr", "addr"), ("mac", "string"), ("host_name", "string"),
        ("client_fqdn", "string"), ("domain", "string"), ("requested_addr", "addr"),
        ("assigned_addr", "addr"), ("lease_time", "interval"), ("client_message", "string"),
        ("server_message", "string"), ("msg_types", "vector[string]"), ("duration", "interval"),
    ),
}
LOGS = tuple(FIELDS)
_FLOAT_TYPES = {"time", "interval"}


_NAMES = {log: frozenset(name for name, _ in fields) for log, fields in FIELDS.items()}
_FLOATS = {log: tuple(name for name, kind in fields if kind in _FLOAT_TYPES) for log, fields in FIELDS.items()}
_ORDER = {log: tuple(name for name, _ in fields) for log, fields in FIELDS.items()}


def _clean(log: str, values: dict[str, Any]) -> dict[str, Any]:
    """``values`` in the log's field order, unset (``None``) fields dropped, floats fixed to µs."""
    unknown = values.keys() - _NAMES[log]
    if unknown:
        raise KeyError(f"zeek {log}: unknown fields {sorted(unknown)}")
    record = {name: values[name] for name in _ORDER[log] if values.get(name) is not None}
    for name in _FLOATS[log]:
        if name in record:
            record[name] = round(float(record[name]), 6)
    if "TTLs" in record:
        record["TTLs"] = [round(float(v), 6) for v in record["TTLs"]]
    return record


def render_json(log: str, values: dict[str, Any], write_ts: float) -> str:
    """One json-streaming-logs line (without newline)."""
    record = {"_path": log, "_write_ts": round(write_ts, 6), **_clean(log, values)}
    return orjson.dumps(record).decode("utf-8")


def _tsv_value(value: Any, kind: str) -> str:
    if value is None:
        return "-"
    if kind in _FLOAT_TYPES:
        return f"{float(value):.6f}"
    if kind == "bool":
        return "T" if value else "F"
    if kind.startswith(("set[", "vector[")):
        if not value:
            return "(empty)"
        inner = kind[kind.index("[") + 1 : -1]
        return ",".join(_tsv_value(v, inner).replace(",", "\\x2c") for v in value)
    text = str(value)
    if text == "":
        return "(empty)"
    return text.replace("\\", "\\\\").replace("\t", "\\x09").replace("\n", "\\x0a")


def render_tsv(log: str, values: dict[str, Any]) -> str:
    """One Zeek TSV row (without newline), ``-`` for unset, ``(empty)`` for empty."""
    record = _clean(log, values)
    return "\t".join(_tsv_value(record.get(name), kind) for name, kind in FIELDS[log])


def _zeek_time(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%d-%H-%M-%S")


def write_tsv_header(stream: TextIO, log: str, opened: float) -> None:
    """The ``#`` header block Zeek writes at the top of a TSV log."""
    names = "\t".join(name for name, _ in FIELDS[log])
    kinds = "\t".join(kind for _, kind in FIELDS[log])
    stream.write(
        "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n"
        f"#path\t{log}\n#open\t{_zeek_time(opened)}\n#fields\t{names}\n#types\t{kinds}\n"
    )


def write_tsv_footer(stream: TextIO, closed: float) -> None:
    stream.write(f"#close\t{_zeek_time(closed)}\n")
