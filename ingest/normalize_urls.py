"""Domain names, registered domains and URLs, keyed as browsers and resolvers read them.

Part of :mod:`ingest.normalize` (which re-exports every public name).
"""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache
from typing import cast
from urllib.parse import urlsplit, urlunsplit

from publicsuffixlist import PublicSuffixList

from ingest.normalize_ip import canonical_ip
from ingest.normalize_text import is_unset

_DOMAIN_RE = re.compile(r"^[a-z0-9_*]([a-z0-9_\-*]{0,62})(\.[a-z0-9_\-*]{1,63})*$")


def normalize_domain(value: str | None) -> str | None:
    """Lower-case FQDN without a trailing dot; IDNA-encoded; ``None`` for IPs/empties."""
    if value is None:
        return None
    text = str(value).strip().rstrip(".").lower()
    if is_unset(text):
        return None
    if canonical_ip(text, strict=False) is not None:
        return None
    if not text.isascii():
        try:
            text = text.encode("idna").decode("ascii")
        except UnicodeError:
            raise ValueError(f"not a domain name: {text[:64]!r}") from None
    if not _DOMAIN_RE.match(text):
        raise ValueError(f"not a domain name: {text[:64]!r}")
    return text


@lru_cache(maxsize=65536)
def registered_domain(domain: str) -> str:
    """The registrable part of a domain, by the Public Suffix List (ICANN and private sections).

    The private section matters for security: each name under a dynamic-DNS
    or hosting suffix (``duckdns.org``, ``github.io``, ``blogspot.com``) is
    owned by someone else, so ``x.duckdns.org`` is its own registered domain,
    not one ``duckdns.org`` shared by every tenant.  A name that is a public
    suffix itself (``co.uk``) or has one label is its own.  The list is the
    copy bundled with the ``publicsuffixlist`` package (no download at run
    time; a newer list comes with a package update).

    Examples
    --------
    >>> registered_domain("www.example.co.uk"), registered_domain("x.duckdns.org")
    ('example.co.uk', 'x.duckdns.org')
    >>> registered_domain("cdn-img-delivery.example"), registered_domain("ws-0042")
    ('cdn-img-delivery.example', 'ws-0042')

    A reverse-lookup name (``9.113.0.203.in-addr.arpa``, ``….ip6.arpa``) names an
    address, not something registered by name: its registered domain is the
    reverse tree itself, ``in-addr.arpa`` or ``ip6.arpa`` (public suffixes, so
    the list gave ``203.in-addr.arpa``, one "domain" per first octet).  Every
    PTR lookup then shares one registered domain, as they share one owner of
    their naming.

    >>> registered_domain("9.113.0.203.in-addr.arpa"), registered_domain("1.0.ip6.arpa")
    ('in-addr.arpa', 'ip6.arpa')
    """
    for tree in _REVERSE_TREES:
        if domain.endswith(tree):
            return tree[1:]
    return _public_suffixes().privatesuffix(domain) or domain


_REVERSE_TREES = (".in-addr.arpa", ".ip6.arpa")
"""The reverse-lookup trees (RFC 1035 3.5, RFC 3596 2.5), with their leading dot."""


@lru_cache(maxsize=1)
def _public_suffixes() -> PublicSuffixList:
    """The list, parsed once (65 ms) on first use rather than at import."""
    return PublicSuffixList()


_DEFAULT_PORTS = {"http": 80, "https": 443, "ftp": 21}


def normalize_url(url: str, *, host: str | None = None, scheme: str = "http") -> str:
    """``scheme://host[:port]/path?query``: scheme lower case, host as entities key it, default port dropped.

    The host is normalised as a domain entity is (:func:`normalize_domain`:
    IDNA, lower case, no trailing dot) or as an IP (:func:`canonical_ip`), so a
    URL and its domain name the same host: ``http://Bücher.example./`` ->
    ``http://xn--bcher-kva.example/``.  ``url`` may be a path only (Zeek
    ``uri``); then ``host`` and ``scheme`` complete it.

    The host is read where a browser reads it (the WHATWG URL standard, for
    these special schemes): a ``\\`` before the query is a ``/``, so
    ``http://evil.com\\@google.com/`` is ``http://evil.com/@google.com/``, a
    request to evil.com; and a host whose last label is a number is an IPv4
    address in any of the spellings browsers accept, written as a dotted quad
    (``http://2130706433/``, ``http://0x7f.1/``, ``http://0177.0.0.1/`` ->
    ``http://127.0.0.1/``), so it keys the IP it names.  A relative ``url``'s
    ``host`` must be a host (and port) alone: one with ``/``, ``\\``, ``@``,
    ``?`` or ``#`` (a Host header ``evil.com@google.com``) is refused.

    Raises ``ValueError`` (the module's rule for a present but malformed value)
    for a URL without a host, a host that is not a domain name or an IP (a
    numeric host that is no valid IPv4 address, ``http://256.0.0.1/``,
    included), or a port that is not a number from 0 to 65535: callers keep
    such a URL as written (``url.original``) or leave it to the raw record,
    never with its port silently dropped.

    >>> normalize_url("HTTP://Example.ORG:80/a?b=1"), normalize_url("/x", host="[::FFFF:10.0.0.1]:8080")
    ('http://example.org/a?b=1', 'http://10.0.0.1:8080/x')
    >>> normalize_url("http://evil.com\\\\@google.com/"), normalize_url("http://0x7f.1:8080/")
    ('http://evil.com/@google.com/', 'http://127.0.0.1:8080/')
    """
    text = url.strip()
    if "\\" in text:
        text = _backslashes_as_slashes(text)
    is_relative = not text.lower().startswith(("http://", "https://", "ftp://"))
    if is_relative:
        if host is None:
            raise ValueError(f"relative URL without a host: {text[:64]!r}")
        if not text.startswith("/"):
            text = "/" + text
        text = f"{scheme}://{host}{text}"
    parts = urlsplit(text)
    # A host given must be the whole authority, without userinfo: a "/", "?"
    # or "#" in it would end the authority early, an "@" (or "\\@") name another host.
    if is_relative and (parts.netloc != host or "@" in parts.netloc):
        raise ValueError(f"not a URL host: {cast(str, host)[:64]!r}")
    hostname = parts.hostname
    if not hostname:
        raise ValueError(f"URL without a host: {text[:64]!r}")
    netloc = _url_host(hostname)
    if netloc is None:  # an unset marker ("-", "(empty)"): no host to name
        raise ValueError(f"URL without a host: {text[:64]!r}")
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"URL with a bad port: {text[:64]!r}") from None
    if port is not None and port != _DEFAULT_PORTS.get(parts.scheme.lower()):
        netloc = f"{netloc}:{port}"
    return urlunsplit((parts.scheme.lower(), netloc, parts.path or "/", parts.query, ""))


def _backslashes_as_slashes(text: str) -> str:
    """WHATWG: in a special URL (http, https, ftp), a ``\\`` before the query or fragment is a ``/``.

    Browsers send ``http://a\\@b/`` to ``a``, where :func:`urllib.parse.urlsplit`
    would find host ``b``.  Other text (a path only, another scheme) is returned as is.
    """
    colon = text.find(":", 3, 6)
    if colon < 0 or text[colon + 1 : colon + 2] not in ("/", "\\") or text[:colon].lower() not in _DEFAULT_PORTS:
        return text
    end = len(text)
    for mark in "?#":
        found = text.find(mark, 0, end)
        if found >= 0:
            end = found
    return text[:end].replace("\\", "/") + text[end:]


@lru_cache(maxsize=65536)
def _url_host(hostname: str) -> str | None:
    """A URL host as :func:`normalize_url` writes it: ``[IPv6]``, dotted quad or domain; ``None`` if unset.

    Memoised: traffic repeats few hosts, and the IPv4 and domain checks cost
    microseconds each.  Raises ``ValueError`` for a host that is neither.
    """
    if ":" not in hostname and _ends_in_a_number(hostname):
        hostname = _whatwg_ipv4(hostname)
    ip = canonical_ip(hostname, strict=False)
    if ip is not None:
        return f"[{ip}]" if ":" in ip else ip
    return normalize_domain(hostname)


def _ends_in_a_number(host: str) -> bool:
    """WHATWG "ends in a number": the host's last label (a trailing dot aside) is an IPv4 number."""
    last = host[:-1] if host.endswith(".") else host
    last = last.rpartition(".")[2]
    # a label that does not start with a digit is no number (nor "0x..."): the common case, one test
    if not last or not ("0" <= last[0] <= "9"):
        return False
    return (last.isascii() and last.isdigit()) or _ipv4_number(last) is not None


def _ipv4_number(part: str) -> int | None:
    """WHATWG IPv4 number parser: decimal, ``0x`` hex or ``0``-led octal (``0x`` alone is 0); ``None`` if not one."""
    digits, radix = part, 10
    if part[:2] in ("0x", "0X"):
        digits, radix = part[2:], 16
    elif len(part) > 1 and part[0] == "0":
        digits, radix = part[1:], 8
    if not digits:
        return 0 if radix != 10 else None
    allowed = "0123456789abcdefABCDEF" if radix == 16 else "01234567" if radix == 8 else "0123456789"
    if not all(char in allowed for char in digits):
        return None
    return int(digits, radix)


def _whatwg_ipv4(host: str) -> str:
    """The dotted quad of a host that ends in a number, by the WHATWG IPv4 parser; ``ValueError`` if invalid.

    One to four parts, each decimal, hex or octal; every part but the last is
    a byte, the last fills the remaining bytes (``127.1`` is 127.0.0.1,
    ``2130706433`` is 127.0.0.1).
    """
    labels = host.split(".")
    if labels[-1] == "" and len(labels) > 1:
        labels.pop()
    numbers = [_ipv4_number(label) for label in labels] if len(labels) <= 4 else [None]
    if (
        any(number is None for number in numbers)
        or any(cast(int, number) > 255 for number in numbers[:-1])
        or cast(int, numbers[-1]) >= 256 ** (5 - len(numbers))
    ):
        raise ValueError(f"URL with a numeric host that is no IPv4 address: {host[:64]!r}")
    value = 0
    for number in numbers[:-1]:
        value = value * 256 + cast(int, number)
    value = value * 256 ** (5 - len(numbers)) + cast(int, numbers[-1])
    return str(ipaddress.IPv4Address(value))
