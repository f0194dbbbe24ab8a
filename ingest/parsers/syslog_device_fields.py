"""Field writers shared by the device payloads of syslog: CEF, LEEF and Cisco ASA.

Split from :mod:`ingest.parsers.syslog_cef`, which re-exports these names: the
header's device as ``observer.*`` (:func:`device_header`), addresses and
numbers kept as written when they do not read (:func:`put_ip`,
:func:`put_number`), a requested URL (:func:`put_request`) and a machine
named beside an address (:func:`put_host`), by the rules of that module's
docstring.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from ingest.normalize import (
    canonical_ip,
    is_internal,
    normalize_domain,
    normalize_host,
    normalize_url,
)


def device_header(prefix: str, header: list[str]) -> dict[str, Any]:
    """A CEF or LEEF header's format version, vendor, product and its version; the device as observer."""
    fields: dict[str, Any] = {
        f"{prefix}.version": header[0],
        f"{prefix}.vendor": header[1],
        f"{prefix}.product": header[2],
        f"{prefix}.product_version": header[3],
    }
    if header[1]:
        fields["observer.vendor"] = header[1]
    if header[2]:
        fields["observer.product"] = header[2]
    return fields


def put_ip(fields: dict[str, Any], target: str, unread: str, value: str) -> None:
    """The canonical address in ``target``; a value that is none stays, as written, in ``unread``."""
    ip = canonical_ip(value, strict=False)
    fields[target if ip else unread] = ip or value


def put_number(fields: dict[str, Any], target: str, unread: str, value: str) -> None:
    """A decimal count or port as an int in ``target``; anything else stays, as written, in ``unread``."""
    is_number = value.isascii() and value.isdigit()  # int() refuses "²"
    fields[target if is_number else unread] = int(value) if is_number else value


_SCHEMES_BY_PORT = {"80": "http", "8080": "http", "443": "https", "8443": "https", "21": "ftp"}
_SCHEMES_BY_APP = {"http": "http", "web-browsing": "http", "https": "https", "ssl": "https", "ftp": "ftp"}
_HOST_PATH_RE = re.compile(r"(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}\.?(?::\d{1,5})?(?:[/?].*)?")
"""``host[:port][/path]`` whose host is a DNS name with an alphabetic top-level label (``cdn.example/img``)."""


def put_request(fields: dict[str, Any], value: str, extension: dict[str, str]) -> None:
    """``url.full`` (and ``url.domain``, ``url.path``) of a CEF ``request`` or LEEF ``url``.

    A value in quotes is read without them.  A value without a scheme that is
    clearly ``host/path`` (PAN-OS writes ``cdn.example/img/logo.png``) gives
    ``url.domain`` and ``url.path``; it gives ``url.full`` only when the port
    (``dpt`` 80/8080, 443/8443, 21) or the application (``app``) says the
    scheme, since a guessed ``http://`` would key the URL of an HTTPS request
    apart from the same URL seen elsewhere.  Anything else that is no URL
    stays ``url.original``, as written.
    """
    text = value.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        text = text[1:-1].strip()
    try:
        url = normalize_url(text)
    except ValueError:
        url = None
    if url is None and _HOST_PATH_RE.fullmatch(text):
        app = extension.get("app", "").lower()
        scheme = _SCHEMES_BY_APP.get(app) or _SCHEMES_BY_PORT.get(extension.get("dpt", ""))
        try:
            parts = urlsplit(normalize_url("http://" + text))
        except ValueError:
            parts = None
        if parts is not None and parts.hostname:
            fields["url.original"] = value
            fields["url.domain"] = parts.hostname
            fields["url.path"] = parts.path
            if scheme is not None:
                fields["url.full"] = normalize_url(f"{scheme}://{text}")
            return
    if url is None:
        fields["url.original"] = value
        return
    fields["url.full"] = url
    host = urlsplit(url).hostname
    if host and canonical_ip(host, strict=False) is None:
        fields["url.domain"] = host


def put_host(fields: dict[str, Any], side: str, value: str, address: str | None, *, written_as: str | None) -> None:
    """``shost``/``dhost``: an address, a fleet host's name, or an outside machine's domain (module docstring).

    A name without an address is also kept as written, under ``written_as`` (when given).
    """
    ip = canonical_ip(value, strict=False)
    if ip is not None:
        fields.setdefault(f"{side}.ip", ip)
        return
    if not address or is_internal(address):
        # a name without an address is the machine the device names (ArcSight's Windows
        # connector: dhost=DC01.corp.example.com for the 4625's computer), not a DNS name
        # a client looked up: a domain there would become a resolution that never happened
        host = normalize_host(value)
        if host and canonical_ip(host, strict=False) is not None:
            fields.setdefault(f"{side}.ip", host)  # an address in another spelling (fullwidth digits)
            return
        if host:
            fields[f"{side}.hostname"] = host
            if not address and written_as:
                fields[written_as] = value  # the FQDN, as written
            return
    try:
        domain = normalize_domain(value)
    except ValueError:
        domain = None
    fields[f"{side}.domain"] = domain or value
