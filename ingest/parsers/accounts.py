r"""User keys shared by the parsers of authentication records (Zeek ``kerberos.log``/``ntlm.log``, Windows 4768/4769/4771).

One account is one user node only if every source composes its key the same way:
:func:`kerberos_user` is the key of a Kerberos principal in its realm (``realm\name``, the realm
kept whole), used by both the Zeek mapping (:mod:`ingest.parsers.zeek_accounts`) and the domain
controller's own events (:mod:`ingest.parsers.windows_kerberos`), so the sensor's and the KDC's
record of one authentication name one user.
"""

from __future__ import annotations

__all__ = ["account_key", "kerberos_user"]


def account_key(domain: str, name: str) -> str | None:
    r"""``domain\name`` lower case (``name`` alone without a domain); ``None`` for no name.

    Composed here, not by :func:`ingest.normalize.normalize_user`, which lets a ``DOMAIN\`` or
    ``@domain`` in the name win: the client writes the name, so it must not choose the domain.  A
    bare name holding a ``\`` would read as one (no Windows or Kerberos account has one): ``None``.

    >>> account_key("CORP.EXAMPLE.COM", "Bob"), account_key("", "bob"), account_key("", "a\\b")
    ('corp.example.com\\bob', 'bob', None)
    """
    text = name.strip().lower()
    if not text or (not domain and "\\" in text):
        return None
    return f"{domain.lower()}\\{text}" if domain else text


def kerberos_user(realm: str, principal: str) -> str | None:
    r"""The user key of Kerberos ``principal`` in ``realm``: ``realm\name``, the realm whole and lower case.

    The realm is not cut to its first label (two forests' ``CORP.EXAMPLE.COM`` and
    ``CORP.PARTNER.NET`` would be one ``corp``); a trailing dot is dropped.  A principal written
    ``name@domain`` (an enterprise name) is its ``name``.  Machine accounts keep their ``$``.

    >>> kerberos_user("PANDALAB.COM.", "MKT01$"), kerberos_user("CORP.EXAMPLE.COM", "bob@corp.example.com")
    ('pandalab.com\\mkt01$', 'corp.example.com\\bob')
    """
    return account_key(realm.strip().rstrip("."), principal.split("@", 1)[0])
