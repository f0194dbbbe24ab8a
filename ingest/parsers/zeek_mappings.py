"""Per-log mappings of Zeek records onto the normalised fields of ``docs/fields.md``.

Split from :mod:`ingest.parsers.zeek` (which re-exports :func:`tunnel_url`
and :data:`LABEL`): conn, dns, http, files, ssl, x509, dhcp, notice, syslog,
kerberos, ntlm (their accounts: :mod:`ingest.parsers.zeek_accounts`) and software logs; the choices they make are documented in that
module's docstring.  :data:`_MAPPERS` is the table the parser looks a log up in.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from ingest.normalize import (
    canonical_ip,
    digest_fields,
    is_unset,
    normalize_host,
    normalize_url,
)
from ingest.parsers.sensor_fields import (
    Mapper,
    answer_value,
    domain_or_none,
    ip_field,
    port_field,
    request_url,
    set_field,
    set_server_name,
)
from ingest.parsers.zeek_accounts import map_kerberos, map_ntlm

LABEL = "Zeek"


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


def tunnel_url(target: str) -> str | None:
    """The origin URL of an HTTP ``CONNECT host:port`` tunnel, or ``None`` when ``target`` names none.

    A ``CONNECT`` requests no resource: its target is the tunnel's far end.
    Browsers tunnel through a proxy only for TLS, so the scheme is ``https``
    unless the port is 80.

    >>> tunnel_url("c2.evil-example.com:443"), tunnel_url("[2001:db8::1]:8443"), tunnel_url("ws.example:80")
    ('https://c2.evil-example.com/', 'https://[2001:db8::1]:8443/', 'http://ws.example/')
    >>> tunnel_url("c2.example:https") is None
    True
    """
    try:
        parts = urlsplit("//" + target)
        host, port = parts.hostname, parts.port
        if not host:
            return None
        literal = f"[{host}]" if ":" in host else host
        return normalize_url("/", host=literal if port is None else f"{literal}:{port}",
                             scheme="http" if port == 80 else "https")
    except ValueError:  # a port that is no number, a bracket left open, a host that is no name
        return None


def _error_status(value: Any) -> bool:
    """Whether an HTTP status (int or digits) is a client or server error (4xx, 5xx).

    >>> _error_status(404), _error_status("503"), _error_status(200), _error_status("-")
    (True, True, False, False)
    """
    text = str(value)
    return text.isdigit() and 400 <= int(text) <= 599


PAGE_MIME_TYPES = frozenset((
    "text/html", "text/plain", "text/xml", "application/json", "application/problem+json",
    "application/xml", "application/xhtml+xml",
))
"""MIME types of an error response's page: its body is what the server says went wrong."""


def _split_error_bodies(fields: dict[str, Any], mime_types: Any) -> None:
    """Keep apart an error response's page bodies (``zeek.error_resp_fuids``); not its payloads.

    The page of a 404 is no file the client downloaded, so no files record may join its file
    id (``ingest.projection_transfers``).  Some C2 servers serve their payload with an error
    status: a body Zeek sniffed as another type (``application/x-dosexec``) stays a download,
    its URL included.  Zeek lists ``resp_mime_types`` only for the files it could sniff: when
    the two lists pair one to one each file id has its type; otherwise one payload type among
    them keeps every file id (a lost link costs more than a page counted as a download).  A
    body of no listed type is taken for the page.
    """
    fuids = fields["zeek.resp_fuids"]
    if isinstance(fuids, str):
        fuids = fuids.split(",")
    if not isinstance(mime_types, list):
        mime_types = mime_types.split(",") if isinstance(mime_types, str) and not is_unset(mime_types) else []
    if not isinstance(fuids, list):
        fuids = [fuids]
    is_payload = [str(mime).lower() not in PAGE_MIME_TYPES for mime in mime_types]
    if len(mime_types) == len(fuids):
        payloads = [fuid for fuid, payload in zip(fuids, is_payload, strict=True) if payload]
    else:
        payloads = list(fuids) if any(is_payload) else []
    pages = [fuid for fuid in fuids if fuid not in payloads]
    if payloads:
        fields["zeek.resp_fuids"] = payloads
    else:
        del fields["zeek.resp_fuids"]
    if pages:
        fields["zeek.error_resp_fuids"] = pages


def _map_http(record: dict[str, Any], fields: dict[str, Any]) -> None:
    fields["network.protocol"] = "http"
    set_field(fields, "http.request.method", record.get("method"))
    status = record.get("status_code")
    set_field(fields, "http.response.status_code", status)
    set_field(fields, "user_agent.original", record.get("user_agent"))
    if _error_status(status) and "zeek.resp_fuids" in fields:
        _split_error_bodies(fields, record.get("resp_mime_types"))
    uri = record.get("uri")
    if not isinstance(uri, str) or is_unset(uri):
        # Zeek saw no request line (a capture of the response only): no URL and no path are
        # made up; a Host header still names the server, and a download is known by the
        # server's address (ingest.projection_transfers)
        _set_host_domain(fields, record.get("host"))
        return
    is_tunnel = record.get("method") == "CONNECT" and "/" not in uri
    if is_tunnel:
        fields["url.original"] = uri
        url = tunnel_url(uri)
    else:
        url = request_url(fields, uri, record.get("host"), lambda name: _http_host(fields, name))
    if url is not None:
        fields["url.full"] = url
        parts = urlsplit(url)
        if not is_tunnel:
            fields["url.path"] = parts.path
        domain = domain_or_none(parts.hostname)
        if domain is not None:
            fields["url.domain"] = domain
            fields["destination.domain"] = domain


def _set_host_domain(fields: dict[str, Any], header: Any) -> None:
    """``destination.domain`` of a ``Host`` header (``name[:port]``) that is a valid name."""
    if not isinstance(header, str) or is_unset(header):
        return
    try:
        name = urlsplit("//" + header).hostname
    except ValueError:  # a port that is no number, a bracket left open
        return
    set_field(fields, "destination.domain", domain_or_none(name))


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
    types = record.get("msg_types")
    if isinstance(types, list):
        # the IP map learns a lease only from an exchange the server ACKed: Zeek
        # fills assigned_addr from an OFFER as well (ingest.ipmap)
        fields["dhcp.message_types"] = [str(kind).upper() for kind in types]
    host_name = record.get("host_name") or record.get("client_fqdn")
    if isinstance(host_name, str):
        set_field(fields, "dhcp.hostname", normalize_host(host_name))
    set_field(fields, "dhcp.mac", _lower(record.get("mac")))
    lease = fields.get("zeek.lease_time")
    if isinstance(lease, int | float) and not isinstance(lease, bool):  # an interval; a list or text is no length
        fields["dhcp.lease_seconds"] = lease
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
    "kerberos": map_kerberos,
    "ntlm": map_ntlm,
    "syslog": _map_syslog,
    "software": _map_software,
}
