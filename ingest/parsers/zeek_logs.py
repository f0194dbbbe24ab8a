"""Which Zeek log a record without ``_path`` is: from its keys, then its file name.

Plain Zeek JSON (``LogAscii::use_json=T``) writes no ``_path``, and a Zeek
TSV file may have no ``#path`` header.  :func:`pathless_log` names the log of
such a record; the Zeek parser's ``sniff`` asks :func:`claimed_layout` whether
a record without ``_path`` is Zeek at all (keys only Zeek writes, or three keys
of one log, two of them specific), so that application JSON with a ``ts`` key
is not journaled as Zeek.  Both decisions are memoised per key layout.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

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


def claimed_layout(record: dict[str, Any]) -> bool:
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
