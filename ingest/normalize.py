"""Value normalisation shared by every parser: hosts, ids, IPs, domains, URLs, time.

Each function takes what a record holds (often a string of uncertain shape) and
returns the normalised form or ``None`` when the value is absent; it raises
``ValueError`` with a reason when a value is present but malformed.
"""

from __future__ import annotations

import ipaddress
import math
import re
import unicodedata
from collections.abc import Iterable
from datetime import UTC, datetime
from functools import lru_cache
from typing import cast
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

from publicsuffixlist import PublicSuffixList

UNSET_TEXT = frozenset(("", "-", "(empty)"))
"""The strings that mean "absent" in the sources (hot paths test membership directly)."""


def is_unset(value: object) -> bool:
    """True for values that mean "absent" in the sources (``-``, ``(empty)``, ``""``)."""
    return value is None or (isinstance(value, str) and value in UNSET_TEXT)


INTERNAL_NETWORKS = tuple(ipaddress.ip_network(net) for net in (
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16",
    "fc00::/7", "fe80::/10",
))
"""Addresses of the fleet's own machines (RFC 1918, shared CGN space, link-local, IPv6 ULA)."""


def is_internal(address: str | None) -> bool:
    """Whether ``address`` is one of :data:`INTERNAL_NETWORKS` (``False`` for no or no valid address).

    >>> is_internal("10.0.0.5"), is_internal("203.0.113.9"), is_internal("fw01")
    (True, False, False)
    """
    ip = canonical_ip(address, strict=False) if address else None
    if ip is None:
        return False
    parsed = ipaddress.ip_address(ip)
    return any(parsed in network for network in INTERNAL_NETWORKS)


@lru_cache(maxsize=4096)
def can_be_a_host(ip: str) -> bool:
    """Whether ``ip`` can be one machine's address: not a group or no address (multicast,
    broadcast, unspecified), nor text that is no address.

    An SSDP packet to ``239.255.255.250:1900`` has the group on the listening side.

    >>> can_be_a_host("10.0.0.5"), can_be_a_host("239.255.255.250"), can_be_a_host("0.0.0.0"), can_be_a_host("x")
    (True, False, False, False)
    """
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    return not (address.is_multicast or address.is_unspecified or ip == "255.255.255.255")


def normalize_user(domain: object, name: object, *, first_label: bool = False) -> str:
    r"""``domain\name`` lower case; a UPN ``name@domain`` as ``domain\name``.

    One account is written several ways: ``CORP\Bob`` by one event, ``corp``
    and ``bob`` by another, ``CORP\bob`` by a proxy: these are one user
    entity, whichever parser saw them.  A domain held in ``name``
    (``DOMAIN\name`` or ``name@domain``) wins over ``domain``.

    ``first_label`` cuts a dotted domain to its first label, as host names are
    (:func:`normalize_host`): Windows writes one domain as ``SHIRE`` in one
    event and ``shire.com`` in another, and the events come from the fleet's
    own machines.  Other sources keep the whole domain: a VPN or proxy user
    ``bob@corp.attacker.net`` must not become the fleet's ``corp\bob``.

    Examples
    --------
    >>> normalize_user("simulandlabs.com", "CJones", first_label=True), normalize_user(None, "CORP\\Bob")
    ('simulandlabs\\cjones', 'corp\\bob')
    >>> normalize_user(None, "alice@corp.example"), normalize_user(None, "NT AUTHORITY\\SYSTEM")
    ('corp.example\\alice', 'nt authority\\system')
    """
    text = str(name).strip()
    named_domain = domain
    if "\\" in text:
        named_domain, text = text.split("\\", 1)
    elif "@" in text:
        account, _, upn_domain = text.rpartition("@")
        if account and upn_domain:
            named_domain, text = upn_domain, account
    if named_domain is None or is_unset(named_domain):
        label = None
    else:
        label = _domain_label(str(named_domain)) if first_label else str(named_domain).strip().rstrip(".")
    return f"{label}\\{text}".lower() if label else text.lower()


def _domain_label(domain: str) -> str:
    """First label of a domain, as hosts are cut (``SHIRE.COM`` -> ``shire``); ``.`` (this machine) stays."""
    text = domain.strip()
    return text.split(".", 1)[0] or text


@lru_cache(maxsize=65536)
def normalize_host(name: str | None) -> str | None:
    """Short, lower-case host name: ``WORKSTATION5.theshire.local`` -> ``workstation5``.

    IP literals are returned canonical and whole (they are not host names),
    and so is any dotted all-numeric text (no host name is all digits); a
    zero-padded dotted quad is read in decimal (``010.000.000.005`` ->
    ``10.0.0.5``: devices pad numbers for width, and no log means octal);
    a ``:port`` is dropped (``ws-1.corp:3389``, ``10.0.0.5:8080``,
    ``[2001:db8::1]:443``), but text with a ``:`` that is no port
    (``10.0.0.5:abc``) is no host name: ``None``.  ``DOMAIN\\HOST$`` machine
    accounts lose the domain and ``$``.  Control and format characters (a
    trailing NUL, a zero-width space) are removed.

    A non-ASCII name is one host however it is written: compatibility forms
    (fullwidth letters, an ideographic full stop) are folded (NFKC), and the
    label is kept in Unicode, IDNA-mapped, whether written in Unicode or as
    punycode: ``BÜCHER.corp.local`` and ``xn--bcher-kva.corp.local`` are both
    ``bücher`` (Windows, the main source of host names, writes Unicode; the
    ``domain`` entity of the same name is its punycode, ``normalize_domain``).

    Examples
    --------
    >>> normalize_host("WORKSTATION5.theshire.local")
    'workstation5'
    >>> normalize_host("10.0.0.5"), normalize_host("192.168.1.41:8080"), normalize_host("10.0.0.5:abc")
    ('10.0.0.5', '192.168.1.41', None)
    >>> normalize_host("ＷＯＲＫＳＴＡＴＩＯＮ5。theshire。local")
    'workstation5'
    >>> normalize_host("BÜCHER.corp.local"), normalize_host("xn--bcher-kva.corp.local")
    ('bücher', 'bücher')
    """
    if name is None:
        return None
    text = str(name)
    if not text.isprintable():
        # a NUL or zero-width character is no part of a name, only a way to make two of one
        text = "".join(char for char in text if unicodedata.category(char) not in _INVISIBLE)
    text = text.strip()
    if not text.isascii():
        # compatibility forms are one name: fullwidth ＷＯＲＫＳＴＡＴＩＯＮ5 (and an
        # ideographic full stop) is workstation5, not a host of its own
        text = unicodedata.normalize("NFKC", text).replace("\u3002", ".").strip()
    text = text.strip(".")
    if is_unset(text):
        return None
    ip = canonical_ip(text, strict=False)
    if ip is not None:
        return ip
    host, sep, port = text.rpartition(":")
    if sep:
        if (host.startswith("[") or ":" not in host) and port.isascii() and port.isdigit() and int(port) <= 65535:
            # host:port or [IPv6]:port (a bare IPv6 address was taken whole above)
            return normalize_host(host)
        return None  # a ":" that no port explains: no host name has one
    if text.replace(".", "").isdigit() and text.isascii():
        return _padded_quad(text) or text  # dotted digits: an address written oddly, not a name to cut
    if "\\" in text:
        text = text.rsplit("\\", 1)[1]
    text = text.rstrip("$")
    short = text.split(".", 1)[0].lower()
    if not short.isascii() or short.startswith("xn--"):
        short = _unicode_label(short)
    return short or None


_INVISIBLE = frozenset(("Cc", "Cf"))
"""Unicode categories removed from host names: controls (NUL, newline) and format characters (U+200B)."""


def _padded_quad(text: str) -> str | None:
    """``010.000.000.005`` -> ``10.0.0.5``: four decimal numbers up to 255, some zero-padded; else ``None``."""
    parts = text.split(".")
    if len(parts) != 4 or not all(0 < len(part) <= 3 and int(part) <= 255 for part in parts):
        return None
    return ".".join(str(int(part)) for part in parts)


def _unicode_label(label: str) -> str:
    """A host label in Unicode, IDNA-mapped: ``xn--bcher-kva`` and ``bücher`` are ``bücher``.

    The round trip through the IDNA codec (the one :func:`normalize_domain`
    uses) applies its mapping (case, NFKC) to a Unicode label and decodes a
    punycode one; a label it refuses (too long, not valid punycode) stays.
    """
    try:
        return label.encode("idna").decode("idna")
    except UnicodeError:
        return label


@lru_cache(maxsize=65536)
def canonical_ip(value: str | None, *, strict: bool = True) -> str | None:
    """Canonical text of an IPv4/IPv6 address (``::ffff:1.2.3.4`` -> ``1.2.3.4``).

    With ``strict=False`` a non-IP returns ``None`` instead of raising.
    """
    if value is None:
        return None
    text = str(value).strip()
    if is_unset(text):
        return None
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    try:
        address = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        if strict:
            raise ValueError(f"not an IP address: {text[:64]!r}") from None
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return str(address)


@lru_cache(maxsize=65536)
def ip_or_none(text: str) -> str | None:
    """``canonical_ip(text, strict=False)`` for hot paths: one positional argument is a cheaper cache key.

    >>> ip_or_none("::ffff:10.0.0.1"), ip_or_none("ws-0042")
    ('10.0.0.1', None)
    """
    return canonical_ip(text, strict=False)


def parse_int(value: object) -> int | None:
    """An int from an int, a whole float, a decimal string or a hex string (``"0x2730"``).

    Raises ``ValueError`` for anything else, a float with a fraction included.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        # 4242.0 is an integer written by a JSON encoder; 12.5 is no pid or port, not 12
        if not value.is_integer():
            raise ValueError(f"not an integer: {value!r}")
        return int(value)
    text = str(value).strip()
    if is_unset(text):
        return None
    # int() also reads other scripts' digits ("٣") and underscores ("1_000"); a log's
    # numbers are ASCII, so those are damaged or crafted values, not numbers
    if text.isascii() and "_" not in text:
        try:
            if text.lower().startswith("0x"):
                return int(text, 16)
            return int(text)
        except ValueError:
            pass
    raise ValueError(f"not an integer: {text[:32]!r}")


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


def split_hashes(value: str | None) -> dict[str, str]:
    """Sysmon ``Hashes`` (``SHA1=..,MD5=..,SHA256=..,IMPHASH=..``) as ``{"sha1": ..}``, values as written.

    The values are not checked here: :func:`digest_fields` keeps only real digests.
    """
    result: dict[str, str] = {}
    if not value:
        return result
    for part in str(value).split(","):
        algorithm, sep, digest = part.partition("=")
        if sep and digest.strip():
            result[algorithm.strip().lower()] = digest.strip()
    return result


DIGEST_LENGTHS = {"md5": 32, "sha1": 40, "sha256": 64, "sha384": 96, "sha512": 128, "imphash": 32}
"""Hex length of each digest algorithm the sources write (Sysmon's IMPHASH is an MD5)."""

_HEX_DIGITS = "0123456789abcdef"
_EMPTY_INPUT_DIGESTS = frozenset((
    "d41d8cd98f00b204e9800998ecf8427e",  # md5(b""), also an imphash of no imports
    "da39a3ee5e6b4b0d3255bfef95601890afd80709",
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "38b060a751ac96384cd9327eb1b1e36a21fdb71114be07434c0cc7bf63f6e1da274edebfe76f65fbd51ad2f14898b95b",
    "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e",
))


def normalize_digest(algorithm: str, value: object) -> str | None:
    """A file digest as an identity: lower-case hex of ``algorithm``'s length, else ``None`` or ``ValueError``.

    A file entity is keyed by its SHA-256, so anything a source writes in a
    hash field that is not a digest would make one file of unrelated ones
    (three hosts writing ``N/A`` were one file sighted on three hosts: a fake
    fan-out).  The value is stripped and lower-cased; it must then be hex of
    the algorithm's length (:data:`DIGEST_LENGTHS`).

    Returns ``None`` for an unset value and for placeholders: an all-zero
    digest (Sysmon's IMPHASH of a file without imports, "not computed") and
    the digest of empty input.  The latter is a real file's content, the empty
    file, but every host has empty files: keyed by it, they would all be one
    file shared by the whole fleet, so an empty file is known by its path
    like a file without a digest.

    Raises ``ValueError`` for a present value that is not a digest (``N/A``,
    ``zz``, the wrong length, an unknown algorithm).

    >>> normalize_digest("md5", " 3A1F5C3E1B2E4D6F8A9B0C1D2E3F4A5B ")
    '3a1f5c3e1b2e4d6f8a9b0c1d2e3f4a5b'
    >>> normalize_digest("sha256", "0" * 64) is None, normalize_digest("sha1", "-") is None
    (True, True)
    """
    if value is None or isinstance(value, bool):
        return None
    text = str(value).strip()
    if text in UNSET_TEXT:
        return None
    digest = text.lower()
    length = DIGEST_LENGTHS.get(algorithm)
    if length is None:
        raise ValueError(f"unknown digest algorithm {algorithm[:16]!r}")
    # strip() of every hex digit leaves nothing only when all of them are hex
    if len(digest) != length or digest.strip(_HEX_DIGITS):
        raise ValueError(f"not a {algorithm} digest: {text[:64]!r}")
    if not digest.strip("0") or digest in _EMPTY_INPUT_DIGESTS:
        return None
    return digest


def digest_fields(prefix: str, digests: Iterable[tuple[str, object]]) -> dict[str, str]:
    """The fields of ``(algorithm, value)`` pairs: ``<prefix>hash.<algorithm>`` for each real digest.

    A malformed value (:func:`normalize_digest` raises) is kept, stripped, as
    ``<prefix>hash_invalid.<algorithm>`` (searchable, never an identity); a
    placeholder or an unset value gives no field; an algorithm outside
    :data:`DIGEST_LENGTHS` gives none either (the raw record keeps it all).
    Every parser reads hashes through this function, so one rule decides what
    a file's identity can be.

    >>> digest_fields("file.", [("sha256", "N/A"), ("md5", "0" * 32), ("sha1", "A" * 40)])
    {'file.hash_invalid.sha256': 'N/A', 'file.hash.sha1': 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'}
    """
    fields: dict[str, str] = {}
    for algorithm, value in digests:
        try:
            digest = normalize_digest(algorithm, value)
        except ValueError:
            if algorithm in DIGEST_LENGTHS:
                fields[f"{prefix}hash_invalid.{algorithm}"] = str(value).strip()
            continue
        if digest is not None:
            fields[f"{prefix}hash.{algorithm}"] = digest
    return fields


def normalize_command_line(command_line: str) -> str:
    """Case-folded command line with runs of whitespace collapsed, for identity keys."""
    return " ".join(command_line.split()).lower()


# -- time -----------------------------------------------------------------

_SYSMON_UTC = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d+)?$")


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


# Epoch units by magnitude: each unit's range starts where the previous one's
# ends, 1e11 seconds (year 5138) = 1e11 ms (1973-03-03) and so on up.
_EPOCH_UNITS = ((1e11, 1), (1e14, 1_000), (1e17, 1_000_000))


def epoch_seconds(number: int | float) -> float:
    """Epoch seconds from an epoch count in s, ms, us or ns, told apart by magnitude.

    Below 1e11 it is seconds (up to year 5138); below 1e14 milliseconds, below
    1e17 microseconds, else nanoseconds, each from 1973-03-03 on (an earlier
    millisecond or finer count reads as seconds).  Raises ``ValueError`` for a
    value that is not finite.

    >>> epoch_seconds(1772359200), epoch_seconds(1772359200123), epoch_seconds(1772359200123456)
    (1772359200.0, 1772359200.123, 1772359200.123456)
    >>> epoch_seconds(1772359200123456789)
    1772359200.1234567
    """
    size = abs(number)
    if not math.isfinite(size):
        raise ValueError(f"not a finite epoch time: {number!r}")
    for limit, per_second in _EPOCH_UNITS:
        if size < limit:
            return number / per_second
    return number / 1_000_000_000


def parse_timestamp(value: object, *, default_timezone: str = "UTC") -> float:
    """Epoch seconds (UTC) from the timestamp shapes of the corpus.

    Accepted: epoch numbers and epoch strings in seconds, milliseconds,
    microseconds or nanoseconds, told apart by magnitude (:func:`epoch_seconds`),
    ISO-8601 with ``Z``, ``+02:00`` or ``+0200`` offsets, and zone-less
    ``YYYY-MM-DD[ T]HH:MM:SS[.fff]``.  Zone-less values are read in
    ``default_timezone`` (the documented rule: Sysmon ``UtcTime`` is UTC by
    definition; other zone-less fields use the configured source zone).
    """
    if value is None or isinstance(value, bool):
        raise ValueError("missing timestamp")
    if isinstance(value, int | float):
        return epoch_seconds(value)
    text = str(value).strip()
    if not text:
        raise ValueError("empty timestamp")
    if text.isascii() and text.lstrip("-").isdigit():
        return epoch_seconds(int(text))  # an int keeps a nanosecond count exact
    try:
        number = float(text)
    except ValueError:
        pass
    else:
        return epoch_seconds(number)
    iso = text.replace(" ", "T", 1) if _SYSMON_UTC.match(text) else text
    if iso.endswith(("Z", "z")):
        iso = iso[:-1] + "+00:00"
    # +0200 -> +02:00 (EVE writes offsets without a colon)
    if len(iso) > 5 and iso[-5] in "+-" and iso[-4:].isascii() and iso[-4:].isdigit() and "T" in iso:
        iso = iso[:-2] + ":" + iso[-2:]
    # Python < 3.12 fromisoformat accepts only 3 or 6 fractional digits
    iso = re.sub(r"(\.\d{6})\d+", r"\1", iso)
    iso = re.sub(r"\.(\d{1,5})(?=[+-]|$)", lambda m: "." + m.group(1).ljust(6, "0"), iso)
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        raise ValueError(f"unrecognised timestamp {text[:40]!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_zone(default_timezone))
    return moment.astimezone(UTC).timestamp()
