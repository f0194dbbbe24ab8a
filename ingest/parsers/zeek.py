"""Parser for Zeek logs: JSON records and the typed rows of the TSV reader.

Both shapes arrive as flat dicts with Zeek's dotted keys (``id.orig_h``) and
``_path`` (JSON streaming logs write it; the TSV reader sets it from ``#path``).
Plain Zeek JSON has no ``_path``: the log is the one whose fields the record's
keys are (:func:`pathless_log`), else a known log named in the file name
(``ParseContext.path_hint``), else ``unknown`` (``zeek:unknown``).
Records re-shaped with nested objects (``"id": {"orig_h": ...}``, as some
shippers write them) are read as the dotted keys Zeek itself writes.

Rules, so that the TSV and JSON copies of one log give identical events:

* every Zeek field is kept as ``zeek.<name>`` (``_path``/``_write_ts`` dropped);
* times become epoch floats: ``ts`` and any ISO-8601 ``...Z`` string value
  (brim's JSON writes ``time`` fields that way, ``1970-01-01T00:00:00.000000Z``
  for zero), and
* floats are rounded to microseconds, the precision of Zeek's ASCII writer.

On top of the ``zeek.*`` fields, conn, dns, http, files, ssl, x509, dhcp and
notice logs set the normalised fields of ``docs/fields.md``; every log maps
``id.orig_h/p`` and ``id.resp_h/p`` to ``source.*``/``destination.*``.

Documented choices:

* ``files``: ``source.ip`` is the host that sent the file, ``destination.ip``
  the one that received it (``tx_hosts``/``rx_hosts``; for Zeek >= 5 logs with
  ``id.*`` and ``is_orig``, the connection side that sent it).
* ``http`` without a ``host`` header uses the responder address (and its port
  when not 80) as the URL host; when Zeek did not see the request line
  (``uri`` unset), ``url.full`` is the server origin ``http://host[:port]/``.
* A DNS query name or TLS SNI that is not a valid domain name stays in
  ``zeek.query``/``zeek.server_name`` but gets no normalised domain field.
* Sensor events have no endpoint: ``Event.host`` is ``None``.  When a record
  proves which machine sent it (a successful Kerberos request by a machine
  account ``HOST$``), ``source.hostname`` names it, so the IP -> host map can
  learn ``source.ip`` = that host.  NTLM workstation names are client-supplied
  and unauthenticated, so they are not used that way.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from graphsiem.model import Event
from ingest.normalize import (
    canonical_ip,
    digest_fields,
    normalize_host,
    parse_timestamp,
)
from ingest.parsers.base import ParseContext, ParseError, Parser, Record
from ingest.parsers.sensor_fields import (
    Mapper,
    answer_value,
    domain_or_none,
    ip_field,
    port_field,
    request_url,
    sensor_event,
    set_field,
    set_server_name,
)
from ingest.parsers.syslog import windows_events_in_zeek_syslog

SOURCE = "zeek"
LABEL = "Zeek"

# "zeek.<key>" for every key seen, interned so no record builds the same string
# again; the keys that are not fields map to "".
_FIELD_NAMES: dict[str, str] = {"_path": "", "_write_ts": "", "ts": ""}


_NAME_CACHE_LIMIT = 65536


def _field_name(key: str) -> str:
    name = "zeek." + key
    if len(_FIELD_NAMES) < _NAME_CACHE_LIMIT:  # bounded: keys are attacker-controlled
        _FIELD_NAMES[key] = name
    return name


def _iso_to_epoch(value: str) -> float:
    try:
        # Fast path: Python >= 3.11 reads Zeek's "...T..:..:..ffffffZ" directly.
        moment = _fromisoformat(value)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        # zone-less or unusual shapes: the shared, documented rules
        return round(parse_timestamp(value), 6)
    # An aware datetime's timestamp() is its whole microseconds / 10**6,
    # correctly rounded, which round(_, 6) returns unchanged (see round_micro);
    # skipping that round saves a decimal conversion per time value.
    return moment.timestamp()


_fromisoformat = datetime.fromisoformat


def round_micro(value: float) -> float:
    """``round(value, 6)``, cheaper for a value that is already whole microseconds.

    A double ``x`` that is the nearest double to ``k / 10**6`` for an integer
    ``k`` (the value of a time read from text with at most six decimals) comes
    back from ``round(x, 6)`` unchanged: below 2**33 s, ``x`` lies within half
    an ulp (< 0.5 us) of ``k / 10**6``, which is therefore the six-place
    decimal ``round`` converts back to ``x``; above, doubles are coarser than
    a microsecond and any six-place decimal within 0.5 us converts back to
    ``x``.  ``k / 1e6`` (one correctly rounded division) tests that cheaply.

    >>> round_micro(1521911725.396014), round_micro(0.000431060791015625)
    (1521911725.396014, 0.000431)
    """
    if -1e15 < value < 1e15:  # also false for NaN
        if round(value * 1e6) / 1e6 == value:
            return value
    return round(value, 6)


def _normal_text(value: str) -> str | float:
    # brim's JSON writes Zeek ``time`` values as ISO-8601 with a Z
    if len(value) >= 20 and value[-1] == "Z" and value[10] == "T" and value[4] == "-":
        try:
            return _iso_to_epoch(value)
        except (ValueError, OverflowError):
            return value
    return value


def _normal_value(value: Any) -> Any:
    """One Zeek value in the shared normal form (times as epoch, floats to microseconds)."""
    kind = type(value)
    if kind is float:
        return round(value, 6)
    if kind is str:
        return _normal_text(value)
    if kind is list:
        return [_normal_value(item) for item in value]
    return value


def _zeek_fields(record: dict[str, Any]) -> dict[str, Any] | None:
    """``zeek.<key>`` fields of a flat record; ``None`` when a value is a nested object."""
    fields: dict[str, Any] = {}
    names = _FIELD_NAMES
    for key, value in record.items():
        # the hot loop of Zeek ingest: _normal_value inlined for the common types
        try:
            name = names[key]  # a subscript is cheaper than .get() for the usual hit
        except KeyError:
            name = _field_name(key)
        if not name:
            continue
        kind = type(value)
        if kind is str:
            if len(value) >= 20 and value[-1] == "Z":
                value = _normal_text(value)
        elif kind is not int:
            if kind is float:
                value = round(value, 6)
            elif kind is list:
                value = _normal_value(value)
            elif kind is dict:
                return None
        fields[name] = value
    return fields


def _dotted(record: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"id": {"orig_h": x}}`` -> ``{"id.orig_h": x}``, as Zeek itself writes it."""
    flat: dict[str, Any] = {}
    for key, value in record.items():
        if isinstance(value, dict):
            flat.update(_dotted(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


# -- which log a record without _path is ---------------------------------------
#
# Plain Zeek JSON (LogAscii::use_json=T) writes no _path, and a file name is
# no log name ("dns_20240101.json", "sensor1-dns.json").  Each log's own fields
# (beyond ts, uid and id.*) tell it: a record is the log whose fields hold most
# of its keys, when they hold at least half of them (packages add a few fields
# of their own: ja3, community_id, hassh).  Zeek 6's standard logs and the
# common protocol ones are listed.
_LOG_FIELDS: dict[str, frozenset[str]] = {name: frozenset(fields.split()) for name, fields in {
    "conn": "proto service duration orig_bytes resp_bytes conn_state local_orig local_resp missed_bytes history "
            "orig_pkts orig_ip_bytes resp_pkts resp_ip_bytes tunnel_parents orig_l2_addr resp_l2_addr vlan "
            "inner_vlan ip_proto",
    "dns": "proto trans_id rtt query qclass qclass_name qtype qtype_name rcode rcode_name AA TC RD RA Z answers "
           "TTLs rejected auth addl original_query",
    "http": "trans_depth method host uri referrer version user_agent origin request_body_len response_body_len "
            "status_code status_msg info_code info_msg tags username password proxied orig_fuids orig_filenames "
            "orig_mime_types resp_fuids resp_filenames resp_mime_types client_header_names server_header_names",
    "files": "fuid tx_hosts rx_hosts conn_uids source depth analyzers mime_type filename duration local_orig "
             "is_orig seen_bytes total_bytes missing_bytes overflow_bytes timedout parent_fuid md5 sha1 sha256 "
             "extracted extracted_cutoff extracted_size entropy",
    "ssl": "version cipher curve server_name resumed last_alert next_protocol established ssl_history "
           "cert_chain_fps client_cert_chain_fps cert_chain_fuids client_cert_chain_fuids subject issuer "
           "client_subject client_issuer validation_status sni_matches_cert ja3 ja3s",
    "x509": "id fingerprint certificate.version certificate.serial certificate.subject certificate.issuer "
            "certificate.not_valid_before certificate.not_valid_after certificate.key_alg certificate.sig_alg "
            "certificate.key_type certificate.key_length certificate.exponent certificate.curve san.dns san.uri "
            "san.email san.ip basic_constraints.ca basic_constraints.path_len host_cert client_cert",
    "dhcp": "uids client_addr server_addr mac host_name client_fqdn domain requested_addr assigned_addr "
            "lease_time client_message server_message msg_types duration client_software server_software "
            "circuit_id agent_remote_id subscriber_id assigned_ip trans_id",
    "notice": "fuid file_mime_type file_desc proto note msg sub src dst p n peer_descr actions email_dest "
              "suppress_for dropped remote_location.country_code remote_location.region remote_location.city "
              "remote_location.latitude remote_location.longitude",
    "weird": "name addl notice peer source",
    "dce_rpc": "rtt named_pipe endpoint operation",
    "dpd": "proto analyzer failure_reason packet_segment",
    "analyzer": "cause analyzer_kind analyzer_name fuid failure_reason failure_data packet_segment",
    "ftp": "user password command arg mime_type file_size reply_code reply_msg data_channel.passive "
           "data_channel.orig_h data_channel.resp_h data_channel.resp_p fuid",
    "kerberos": "request_type client service success error_msg from till cipher forwardable renewable "
                "client_cert_subject client_cert_fuid server_cert_subject server_cert_fuid",
    "ntlm": "username hostname domainname server_nb_computer_name server_dns_computer_name server_tree_name "
            "success status",
    "pe": "id machine compile_ts os subsystem is_exe is_64bit uses_aslr uses_dep uses_code_integrity uses_seh "
          "has_import_table has_export_table has_cert_table has_debug_data section_names",
    "smb_files": "fuid action path name size prev_name times.modified times.accessed times.created times.changed "
                 "data_offset_req data_len_req data_len_rsp",
    "smb_mapping": "path service native_file_system share_type",
    "software": "host host_p software_type name version.major version.minor version.minor2 version.minor3 "
                "version.addl unparsed_version url",
    "ssh": "version auth_success auth_attempts direction client server cipher_alg mac_alg compression_alg "
           "kex_alg host_key_alg host_key hasshVersion hassh hasshServer hasshAlgorithms hasshServerAlgorithms",
    "syslog": "proto facility severity message",
    "packet_filter": "node filter init success failure_reason",
    "known_hosts": "host",
    "known_services": "host port_num port_proto service",
    "known_certs": "host port_num subject issuer_subject serial",
    "rdp": "cookie result security_protocol client_channels keyboard_layout client_build client_name "
           "client_dig_product_id desktop_width desktop_height requested_color_depth cert_type cert_count "
           "cert_permanent encryption_level encryption_method",
    "smtp": "trans_depth helo mailfrom rcptto date from to cc reply_to msg_id in_reply_to subject "
            "x_originating_ip first_received second_received last_reply path user_agent tls fuids is_webmail",
    "sip": "trans_depth method uri date request_from request_to response_from response_to reply_to call_id seq "
           "subject request_path response_path user_agent status_code status_msg warning request_body_len "
           "response_body_len content_type",
    "snmp": "duration version community get_requests get_bulk_requests get_responses set_requests "
            "display_string up_since",
    "ntp": "version mode stratum poll precision root_delay root_disp ref_id ref_time org_time rec_time xmt_time "
           "num_exts",
    "radius": "username mac framed_addr tunnel_client remote_ip connect_info reply_msg result ttl",
    "socks": "version user password status request.host request.name request_p bound.host bound.name bound_p",
    "tunnel": "tunnel_type action",
    "intel": "seen.indicator seen.indicator_type seen.where seen.node matched sources fuid file_mime_type "
             "file_desc",
    "signatures": "src_addr src_port dst_addr dst_port note sig_id event_msg sub_msg sig_count host_count",
    "reporter": "level message location",
    "capture_loss": "ts_delta peer gaps acks percent_lost",
    "stats": "peer mem pkts_proc bytes_recv pkts_dropped pkts_link pkt_lag pkts_filtered events_proc "
             "events_queued active_tcp_conns active_udp_conns active_icmp_conns tcp_conns udp_conns icmp_conns "
             "timers active_timers files active_files dns_requests active_dns_requests reassem_tcp_size "
             "reassem_file_size reassem_frag_size reassem_unknown_size",
    "loaded_scripts": "name",
    "ocsp": "id hashAlgorithm issuerNameHash issuerKeyHash serialNumber certStatus revoketime revokereason "
            "thisUpdate nextUpdate",
    "quic": "version client_initial_dcid client_scid server_scid server_name client_protocol history",
}.items()}
_COMMON_KEYS = frozenset(
    ("ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "_path", "_write_ts", "_node", "_system_name")
)
_LOGS_BY_FIELD: dict[str, tuple[str, ...]] = {}
for _log, _fields in _LOG_FIELDS.items():
    for _field in _fields:
        _LOGS_BY_FIELD[_field] = (*_LOGS_BY_FIELD.get(_field, ()), _log)
_LAYOUT_LIMIT = 4096
_layouts: dict[tuple[str, ...], tuple[tuple[str, ...], int]] = {}
"""Key layout -> (the logs its keys fit best, how many keys that log has): one decision per layout."""


def _layout_logs(record: dict[str, Any]) -> tuple[tuple[str, ...], int]:
    """The logs whose fields hold the most of ``record``'s keys (at least half of them), and how many.

    Memoised by the key layout: a log writes a handful of layouts (unset
    fields are left out), so the hot path costs one tuple and one lookup.
    """
    layout = tuple(record)
    known = _layouts.get(layout)
    if known is not None:
        return known
    keys = [key for key in layout if key not in _COMMON_KEYS]
    scores: dict[str, int] = {}
    for key in keys:
        for log in _LOGS_BY_FIELD.get(key, ()):
            scores[log] = scores.get(log, 0) + 1
    best = max(scores.values(), default=0)
    found: tuple[tuple[str, ...], int] = ((), 0)
    if best and best * 2 >= len(keys):
        found = (tuple(sorted(log for log, score in scores.items() if score == best)), best)
    if len(_layouts) >= _LAYOUT_LIMIT:  # bounded: keys are attacker-controlled
        _layouts.clear()
    _layouts[layout] = found
    return found


# Words an application's own JSON uses as keys too ({"ts", "level", "message"},
# {"ts", "user", "password", "command"}): they prove no Zeek log.  A record
# without _path and without Zeek's connection keys is claimed only by fields that
# belong to one log alone and are none of these words (see _claimed_layout).
_GENERIC_KEYS = frozenset(
    "name host version level message location command user password status result action path size date from "
    "to subject id source method uri url mode direction client server success service note msg proto facility "
    "severity cause node filter init peer domain query answers auth rejected origin referrer tags analyzers "
    "analyzer depth extracted filename md5 sha1 sha256 entropy issuer curve established resumed fingerprint "
    "dropped dst src n p sub actions notice endpoint operation arg till error_msg hostname machine os subsystem "
    "serial cc tls seq warning content_type community poll precision ttl remote_ip matched sources acks gaps "
    "files mem timers cookie client_name stratum call_id cert_type addl duration history type".split()
)
_SPECIFIC_FIELDS: dict[str, frozenset[str]] = {
    log: frozenset(field for field in fields if len(_LOGS_BY_FIELD[field]) == 1 and field not in _GENERIC_KEYS)
    for log, fields in _LOG_FIELDS.items()
}
_claims: dict[tuple[str, ...], bool] = {}
"""Key layout -> whether a record without _path or connection keys is Zeek: one decision per layout."""


def _claimed_layout(record: dict[str, Any]) -> bool:
    """Whether ``record``'s keys are one log's fields, at least three of them and two that only that log has.

    Every key (beyond ts, uid, id.* and Brim's _write_ts) must be a field of
    the log: a key foreign to it means some other JSON.  Two of them must be
    fields no other log has and no application would use for itself
    (``software_type``, ``certificate.subject``, ``compile_ts``): logs made of
    generic names (reporter, syslog, loaded_scripts, known_hosts, weird) are
    therefore never claimed without ``_path`` or connection keys.  Memoised by
    the key layout, as :func:`_layout_logs`.
    """
    layout = tuple(record)
    known = _claims.get(layout)
    if known is not None:
        return known
    keys = [key for key in layout if key not in _COMMON_KEYS]
    claimed = False
    if len(keys) >= 3:
        logs = set(_LOGS_BY_FIELD.get(keys[0], ()))
        for key in keys[1:]:
            logs.intersection_update(_LOGS_BY_FIELD.get(key, ()))
        claimed = any(sum(key in _SPECIFIC_FIELDS[log] for key in keys) >= 2 for log in logs)
    if len(_claims) >= _LAYOUT_LIMIT:  # bounded: keys are attacker-controlled
        _claims.clear()
    _claims[layout] = claimed
    return claimed


UNKNOWN_LOG = "unknown"
"""The log name of a record whose log neither ``_path``, its keys nor its file name tell (``zeek:unknown``)."""


_HINT_TOKENS = re.compile(r"[a-z0-9]+")


@lru_cache(maxsize=1024)
def log_name_from_hint(hint: str | None) -> str | None:
    """The Zeek log a file name names, as one of its tokens; ``None`` when it names no known log.

    ``conn``, ``conn.log``, ``x/conn.00:00:00-01:00:00.log.gz``,
    ``dns.2024-01-01-00-00-00.log``, ``sensor1-dns.json`` and
    ``dns_20240101.json`` name ``conn`` or ``dns``; the longest known name
    wins (``sensor1-smb_files.json`` is ``smb_files``, not ``files``).  A file
    name that names no known log (``capture.json``) gives ``None``: a record is
    never a log named after its file.

    >>> log_name_from_hint("logs/sensor1-dns.json"), log_name_from_hint("dns_20240101"), log_name_from_hint("x.json")
    ('dns', 'dns', None)
    """
    if not hint:
        return None
    name = hint.replace("\\", "/").rsplit("/", 1)[-1].lower()
    tokens = _HINT_TOKENS.findall(name)
    found: str | None = None
    for start in range(len(tokens)):
        for end in range(start + 1, min(start + 3, len(tokens)) + 1):
            candidate = "_".join(tokens[start:end])
            if candidate in _LOG_FIELDS and (found is None or len(candidate) > len(found)):
                found = candidate
    return found


def pathless_log(record: dict[str, Any], hint: str | None) -> str:
    """The log of a record without ``_path``: by its keys, else by a file name naming a known log, else ``unknown``.

    The keys decide when they and the file name disagree; when the keys fit
    several logs equally, a file name naming one of them breaks the tie.

    >>> pathless_log({"ts": 1.0, "uid": "C1", "query": "a.example", "qtype_name": "A"}, "sensor1-conn.json")
    'dns'
    >>> pathless_log({"ts": 1.0, "uid": "C1"}, "sensor1-dns.json"), pathless_log({"ts": 1.0}, "capture.json")
    ('dns', 'unknown')
    """
    logs, _ = _layout_logs(record)
    if len(logs) == 1:
        return logs[0]
    named = log_name_from_hint(hint)
    if named is not None and (not logs or named in logs):
        return named
    return UNKNOWN_LOG


def _event_time(value: Any) -> float:
    kind = type(value)
    if kind is str:  # JSON logs (ISO-8601); the checks below, in the order of the common cases
        try:
            return _iso_to_epoch(value)
        except (ValueError, OverflowError) as error:
            raise ParseError(f"Zeek ts: {error}") from None
    if kind is float:  # TSV rows and epoch-time JSON
        return round_micro(value)
    if isinstance(value, bool) or value is None:
        raise ParseError(f"Zeek record has no usable ts ({value!r})")
    if isinstance(value, int | float):
        return round(float(value), 6)
    if isinstance(value, str):
        try:
            return _iso_to_epoch(value)
        except (ValueError, OverflowError) as error:
            raise ParseError(f"Zeek ts: {error}") from None
    raise ParseError(f"Zeek ts has type {type(value).__name__}")


def _set_connection(record: dict[str, Any], fields: dict[str, Any]) -> None:
    """``source.*``/``destination.*`` from ``id.orig_h/p`` and ``id.resp_h/p``.

    The same as ``set_field(fields, "source.ip", ip_field(record, "id.orig_h", LABEL))``
    and so on, with the calls spared for absent keys and plain int ports (every record).
    """
    get = record.get
    for ip_key, ip_name, port_key, port_name in _CONNECTION:
        if get(ip_key) is not None:
            ip = ip_field(record, ip_key, LABEL)
            if ip:
                fields[ip_name] = ip
        port = get(port_key)
        if port is not None:
            fields[port_name] = port if port.__class__ is int else port_field(record, port_key, LABEL)


_CONNECTION = (
    ("id.orig_h", "source.ip", "id.orig_p", "source.port"),
    ("id.resp_h", "destination.ip", "id.resp_p", "destination.port"),
)
_KINDS: dict[str, str] = {}
_ABSENT = object()


def _lower(value: Any) -> str | None:
    return value.lower() if isinstance(value, str) and value else None


# -- per-log mappings ---------------------------------------------------------


def _map_conn(record: dict[str, Any], fields: dict[str, Any]) -> None:
    set_field(fields, "network.transport", _lower(record.get("proto")))
    set_field(fields, "network.protocol", _lower(record.get("service")))


def _map_dns(record: dict[str, Any], fields: dict[str, Any]) -> None:
    set_field(fields, "network.transport", _lower(record.get("proto")))
    fields["network.protocol"] = "dns"
    set_field(fields, "dns.question.name", domain_or_none(record.get("query")))
    set_field(fields, "dns.rcode", record.get("rcode_name"))
    answers = record.get("answers")
    if isinstance(answers, list) and answers:
        fields["dns.answers"] = [answer_value(answer) for answer in answers]


def _http_host(fields: dict[str, Any], name: str | None) -> str | None:
    """The URL's host: ``name`` (the ``host`` header's), else the responder's IP and port."""
    if name is not None:
        return name
    ip = fields.get("destination.ip")
    if ip is None:
        return None
    port = fields.get("destination.port")
    literal = f"[{ip}]" if ":" in ip else ip
    return literal if port in (None, 80) else f"{literal}:{port}"


def _map_http(record: dict[str, Any], fields: dict[str, Any]) -> None:
    fields["network.protocol"] = "http"
    set_field(fields, "http.request.method", record.get("method"))
    set_field(fields, "http.response.status_code", record.get("status_code"))
    set_field(fields, "user_agent.original", record.get("user_agent"))
    uri = record.get("uri")
    if not isinstance(uri, str) or not uri:
        uri = "/"
    url = request_url(fields, uri, record.get("host"), lambda name: _http_host(fields, name))
    if url is not None:
        fields["url.full"] = url
        parts = urlsplit(url)
        fields["url.path"] = parts.path
        domain = domain_or_none(parts.hostname)
        if domain is not None:
            fields["url.domain"] = domain
            fields["destination.domain"] = domain


def _basename(name: str) -> str:
    return name.replace("\\", "/").rsplit("/", 1)[-1].lower()


def _first_ip(value: Any) -> str | None:
    if isinstance(value, list) and value:
        return canonical_ip(str(value[0]), strict=False)
    return None


_DIGESTS = ("sha256", "sha1", "md5")


def _map_files(record: dict[str, Any], fields: dict[str, Any]) -> None:
    fields.update(digest_fields("file.", [(algorithm, record.get(algorithm)) for algorithm in _DIGESTS]))
    set_field(fields, "file.mime_type", record.get("mime_type"))
    filename = record.get("filename")
    if isinstance(filename, str) and filename:
        fields["file.path"] = filename
        fields["file.name"] = _basename(filename)
    size = record.get("total_bytes", record.get("seen_bytes"))
    set_field(fields, "file.size", size)
    set_field(fields, "network.protocol", _lower(record.get("source")))
    sender, receiver = _first_ip(record.get("tx_hosts")), _first_ip(record.get("rx_hosts"))
    is_orig = record.get("is_orig")
    if sender is None and receiver is None:
        # Zeek >= 5: the connection's sides; is_orig says whether the originator sent it.
        orig, resp = fields.get("source.ip"), fields.get("destination.ip")
        sender, receiver = (orig, resp) if is_orig else (resp, orig)
    if isinstance(is_orig, bool):
        # the connection's client: the receiver of a download (the responder sent it),
        # the sender of an upload; source and destination stay sender and receiver
        set_field(fields, "client.ip", sender if is_orig else receiver)
    # the ports belong to the connection's sides, not to sender and receiver
    for key in ("source.ip", "source.port", "destination.ip", "destination.port"):
        fields.pop(key, None)
    set_field(fields, "source.ip", sender)
    set_field(fields, "destination.ip", receiver)


def _map_ssl(record: dict[str, Any], fields: dict[str, Any]) -> None:
    fields["network.protocol"] = "tls"
    set_server_name(fields, record.get("server_name"))
    set_field(fields, "tls.ja3", _lower(record.get("ja3")))


def _map_x509(record: dict[str, Any], fields: dict[str, Any]) -> None:
    set_field(fields, "x509.subject", record.get("certificate.subject"))
    set_field(fields, "x509.issuer", record.get("certificate.issuer"))
    san = record.get("san.dns")
    if isinstance(san, list) and san:
        fields["x509.san"] = [domain_or_none(name) or name for name in san]


def _map_dhcp(record: dict[str, Any], fields: dict[str, Any]) -> None:
    assigned = record.get("assigned_addr", record.get("assigned_ip"))
    if assigned is not None:
        fields["dhcp.assigned_ip"] = canonical_ip(str(assigned), strict=False)
    host_name = record.get("host_name") or record.get("client_fqdn")
    if isinstance(host_name, str):
        set_field(fields, "dhcp.hostname", normalize_host(host_name))
    set_field(fields, "dhcp.mac", _lower(record.get("mac")))
    set_field(fields, "dhcp.lease_seconds", fields.get("zeek.lease_time"))
    if "source.ip" not in fields:
        set_field(fields, "source.ip", ip_field(record, "client_addr", LABEL))
        set_field(fields, "destination.ip", ip_field(record, "server_addr", LABEL))


def _map_notice(record: dict[str, Any], fields: dict[str, Any]) -> None:
    set_field(fields, "rule.name", record.get("note"))
    set_field(fields, "message", record.get("msg"))
    if "source.ip" not in fields:
        set_field(fields, "source.ip", ip_field(record, "src", LABEL))
    if "destination.ip" not in fields:
        set_field(fields, "destination.ip", ip_field(record, "dst", LABEL))
        set_field(fields, "destination.port", port_field(record, "p", LABEL))
    set_field(fields, "network.transport", _lower(record.get("proto")))


def _map_syslog(record: dict[str, Any], fields: dict[str, Any]) -> None:
    # set_field and _lower inlined: syslog is the largest log of the sample corpus
    get = record.get
    if (value := get("message")) is not None and value != "":
        fields["message"] = value
    if (value := get("facility")) is not None and value != "":
        fields["log.syslog.facility"] = value
    if (value := get("severity")) is not None and value != "":
        fields["log.syslog.severity"] = value
    if isinstance(value := get("proto"), str) and value:
        fields["network.transport"] = value.lower()


def _map_kerberos(record: dict[str, Any], fields: dict[str, Any]) -> None:
    # A successful request by a machine account ("MKT01$/PANDALAB.COM") proves the
    # originator holds that computer's secret: the IP -> host evidence of a
    # network without DHCP logs.  Failed requests prove nothing.
    client = record.get("client")
    if record.get("success") is not True or not isinstance(client, str):
        return
    principal = client.split("/", 1)[0].split("@", 1)[0]
    if len(principal) > 1 and principal.endswith("$"):
        set_field(fields, "source.hostname", normalize_host(principal))


def _map_software(record: dict[str, Any], fields: dict[str, Any]) -> None:
    # software.log names the host running the software in ``host``.
    if "source.ip" not in fields:
        set_field(fields, "source.ip", ip_field(record, "host", LABEL))


_MAPPERS: dict[str, Mapper] = {
    "conn": _map_conn,
    "dns": _map_dns,
    "http": _map_http,
    "files": _map_files,
    "ssl": _map_ssl,
    "x509": _map_x509,
    "dhcp": _map_dhcp,
    "notice": _map_notice,
    "kerberos": _map_kerberos,
    "syslog": _map_syslog,
    "software": _map_software,
}


class ZeekParser:
    """Zeek JSON records and Zeek TSV reader rows -> ``zeek:<log>`` events."""

    name = SOURCE

    def sniff(self, record: Record) -> bool:
        """A dict with ``_path``; or with ``ts`` and a key only Zeek writes, or with ``ts`` and one log's own keys.

        Keys only Zeek writes are ``id.orig_h``, ``id.resp_h``, ``fuid``, and
        ``uid`` beside a connection (``id.*`` flat, or nested as
        ``"id": {"orig_h": ...}``); ``uid`` alone is an application's user id
        as often.  Without them, plain Zeek JSON of logs without a connection
        (x509, pe, software, dhcp...) is claimed when its keys are one log's
        fields with two only that log has (:func:`_claimed_layout`, decided
        once per key layout): ``{"ts", "level", "message"}`` or
        ``{"ts", "user", "password", "command"}`` is not Zeek.
        """
        if not isinstance(record, dict):
            return False
        if "_path" in record:
            return True
        if "ts" not in record:
            return False
        if "id.orig_h" in record or "id.resp_h" in record or "fuid" in record:
            return True
        if "uid" in record:
            nested = record.get("id")
            if isinstance(nested, dict) and ("orig_h" in nested or "resp_h" in nested):
                return True
        return _claimed_layout(record)

    def parse(self, record: Record, context: ParseContext) -> Iterator[Event]:
        """One event per record; :class:`ParseError` names what is wrong."""
        if not isinstance(record, dict):
            raise ParseError("a Zeek record must be a JSON object")
        path = record.get("_path")
        ts = record.get("ts", _ABSENT)
        if ts is _ABSENT:
            raise ParseError(f"Zeek {path if isinstance(path, str) and path else 'log'} record without ts")
        ts = _event_time(ts)
        raw = record
        fields = _zeek_fields(record)
        if fields is None:  # nested objects (Filebeat-style "id": {...}): Zeek's dotted keys first
            record = _dotted(record)
            fields = _zeek_fields(record)
            assert fields is not None
        if not isinstance(path, str) or not path:
            path = pathless_log(record, context.path_hint)
        _set_connection(record, fields)
        kind = _KINDS.get(path)
        if kind is None:
            kind = f"zeek:{path}"
            if len(_KINDS) < _NAME_CACHE_LIMIT:  # bounded: paths are attacker-controlled
                _KINDS[path] = kind
        yield sensor_event(SOURCE, kind, ts, record, fields, _MAPPERS.get(path), context, raw)
        if path == "syslog":
            # Zeek's syslog.log carries Windows events as RFC 5424 "@cee:" JSON:
            # the endpoint event joins the graph like an endpoint log would.
            yield from windows_events_in_zeek_syslog(record, context)


def parsers() -> list[Parser]:
    """The parsers this module provides, for the default registry."""
    return [ZeekParser()]
