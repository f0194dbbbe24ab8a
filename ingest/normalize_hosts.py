"""Host and user names: one machine or account however a source writes it.

Part of :mod:`ingest.normalize` (which re-exports every public name).
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from ingest.normalize_ip import canonical_ip
from ingest.normalize_text import is_unset


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
