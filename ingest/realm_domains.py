r"""Kerberos realm -> NetBIOS domain: so a Kerberos principal is the user Windows' own events name.

Windows' 4624/4672/4688 and Sysmon name an account in its NetBIOS domain (``theshire\pgustavo``);
Zeek's ``kerberos.log`` and a KDC's 4768/4769/4771 name it in its realm, kept whole
(``theshire.local\pgustavo``, :func:`ingest.parsers.accounts.kerberos_user`): cutting the realm to
its first label would merge two forests, and a realm's first label is not its NetBIOS name anyway
(``AD.CONTOSO.COM`` is ``CONTOSO``).  The projection names a Kerberos principal ``netbios\name``
only when its realm is known to be that NetBIOS domain, from one of two sources:

* **the operator** (``GRAPHSIEM_REALM_DOMAINS``, :attr:`graphsiem.settings.Settings.realm_domains`):
  ``{"theshire.local": "theshire"}``; it wins over what telemetry teaches.  A realm mapped to ``""``
  is kept whole whatever telemetry says (a realm the operator knows to be ambiguous).
* **a Windows host's own machine account** (:func:`machine_account_evidence`): a Security event
  written by ``WORKSTATION5.theshire.local`` whose account is ``THESHIRE\WORKSTATION5$`` under the
  machine's own SID (``S-1-5-18`` SYSTEM, ``S-1-5-20`` NETWORK SERVICE: a 4688 of a SYSTEM process,
  the 4624 and 4672 of the machine's own logon) says that the DNS domain ``theshire.local`` is the
  NetBIOS domain ``THESHIRE``.  The host wrote both halves: its computer name and the domain its
  LSA names itself in.  A client-supplied name (4624 ``WorkstationName``, a Kerberos client realm, a
  network logon's ``TargetDomainName``, which may be the realm the client typed) is never evidence:
  a network logon carries the account's domain SID, not the machine's own.

Conflicting evidence (one DNS domain seen with two NetBIOS names: a disjoint namespace, a host
that names itself into another's domain) drops the mapping for good: the realm is kept whole (a
false merge is worse than a split), recorded as ``""`` so later evidence for either name does not
bring it back.  Two DNS domains with one NetBIOS name are no conflict (a domain whose hosts use
regional DNS suffixes).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from typing import Any

__all__ = [
    "CONFLICTED",
    "MACHINE_SIDS",
    "REALM_DOMAINS_ENV",
    "learn_realm",
    "machine_account_evidence",
    "mapped_user",
    "parse_realm_domains",
    "realm_domains_from_environment",
]

REALM_DOMAINS_ENV = "GRAPHSIEM_REALM_DOMAINS"
"""The environment variable of the operator's realm -> NetBIOS domain map (a JSON object)."""
CONFLICTED = ""
"""The learnt map's value for a realm seen with two NetBIOS names: kept whole."""
MACHINE_SIDS = frozenset(("s-1-5-18", "s-1-5-20"))
"""SYSTEM and NETWORK SERVICE: the sessions a Windows host writes its machine account in, in the
NetBIOS domain its LSA names itself in."""
_NOT_A_DOMAIN = frozenset(("workgroup", "nt authority"))
"""Domain parts of a machine's own account that name no domain (a host outside one: ``WORKGROUP``)."""
_NETBIOS_NAME = re.compile(r"[^\\/:*?\"<>|.\s]{1,15}", flags=re.ASCII)
"""A NetBIOS domain name: at most 15 characters, none of Windows' reserved ones, no dot."""
_REALM_NAME = re.compile(r"[^\\/@\s]{1,255}", flags=re.ASCII)
"""A realm as the user keys hold it: no backslash (it would read as the key's separator), no space."""
_NETBIOS_COMPUTER_CHARS = 15
"""A machine account is the computer's NetBIOS name, its DNS host label cut to 15 characters."""


def machine_account_evidence(fields: Mapping[str, Any]) -> tuple[str, str] | None:
    r"""``(dns domain, netbios domain)`` when an event is a Windows host naming its own machine account.

    That is: ``host.name.original`` is an FQDN (``WORKSTATION5.theshire.local``), ``user.id`` is the
    machine's own SID (:data:`MACHINE_SIDS`) and ``user.name`` is ``domain\label$`` with ``label``
    the FQDN's first label (cut to 15 characters, as NetBIOS computer names are).  ``None`` for
    anything else, a host outside a domain (``WORKGROUP\WS01$``) included.

    Parameters
    ----------
    fields : Mapping
        A normalised event's fields.

    Returns
    -------
    tuple of str, or None
        The DNS domain and the NetBIOS domain it is, both lower case.

    Examples
    --------
    >>> machine_account_evidence({"host.name.original": "WORKSTATION5.theshire.local",
    ...                           "user.name": "theshire\\workstation5$", "user.id": "S-1-5-18"})
    ('theshire.local', 'theshire')
    >>> machine_account_evidence({"host.name.original": "WORKSTATION5.theshire.local",
    ...                           "user.name": "theshire\\ws9$", "user.id": "S-1-5-18"}) is None
    True
    """
    sid = fields.get("user.id")
    if not isinstance(sid, str) or sid.lower() not in MACHINE_SIDS:
        return None
    computer, user = fields.get("host.name.original"), fields.get("user.name")
    if not isinstance(computer, str) or not isinstance(user, str):
        return None
    label, _, dns_domain = computer.strip().rstrip(".").lower().partition(".")
    domain, _, account = user.lower().partition("\\")
    if (not dns_domain or not account.endswith("$") or domain in _NOT_A_DOMAIN
            or not _NETBIOS_NAME.fullmatch(domain) or not _REALM_NAME.fullmatch(dns_domain)):
        return None
    if account[:-1] != label[:_NETBIOS_COMPUTER_CHARS]:
        return None  # another machine's account (a network logon of HR001$ on the DC)
    return dns_domain, domain


def learn_realm(learnt: Mapping[str, str], realm: str, netbios: str) -> str | None:
    """What ``learnt`` should hold for ``realm`` after evidence that it is ``netbios``; None: unchanged.

    The first evidence maps the realm; evidence of another NetBIOS name marks it
    :data:`CONFLICTED` (kept whole), and a conflicted realm stays so.

    >>> learn_realm({}, "theshire.local", "theshire"), learn_realm({"theshire.local": "theshire"}, "theshire.local", "theshire")
    ('theshire', None)
    >>> learn_realm({"theshire.local": "theshire"}, "theshire.local", "mordor"), learn_realm({"a.b": ""}, "a.b", "a")
    ('', None)
    """
    known = learnt.get(realm)
    if known is None:
        return netbios
    if known == CONFLICTED or known == netbios:
        return None
    return CONFLICTED


def mapped_user(user: str, learnt: Mapping[str, str], overrides: Mapping[str, str]) -> str:
    r"""A Kerberos user key ``realm\name`` as ``netbios\name`` when the realm is known to be that domain.

    ``overrides`` (the operator's) win over ``learnt`` (the telemetry's); a realm either maps to
    ``""`` (:data:`CONFLICTED`, or the operator's "keep it whole"), or not at all, keeps its key.

    >>> mapped_user("theshire.local\\pgustavo", {"theshire.local": "theshire"}, {})
    'theshire\\pgustavo'
    >>> mapped_user("theshire.local\\pgustavo", {"theshire.local": "theshire"}, {"theshire.local": ""})
    'theshire.local\\pgustavo'
    """
    realm, sep, name = user.partition("\\")
    if not sep:
        return user
    netbios = overrides.get(realm)
    if netbios is None:
        netbios = learnt.get(realm)
    return f"{netbios}\\{name}" if netbios else user


def parse_realm_domains(value: object, *, origin: str = "realm_domains") -> dict[str, str]:
    """The operator's realm -> NetBIOS domain map, checked and lower case.

    Parameters
    ----------
    value : object
        A mapping, or its JSON text (``'{"theshire.local": "theshire"}'``); ``None`` or ``""`` is none.
    origin : str
        What the value came from, named in errors.

    Returns
    -------
    dict of str to str
        Realm (lower case, trailing dot dropped) -> NetBIOS domain (lower case, or ``""``: keep whole).

    Raises
    ------
    ValueError
        Naming ``origin``, the entry and the reason: not JSON, not an object, a realm or a NetBIOS
        name that cannot be one.

    Examples
    --------
    >>> parse_realm_domains('{"THESHIRE.LOCAL.": "THESHIRE", "partner.net": ""}')
    {'theshire.local': 'theshire', 'partner.net': ''}
    """
    if value is None or value == "":
        return {}
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError as exc:
            raise ValueError(f"{origin}: not JSON ({exc})") from None
    if not isinstance(value, Mapping):
        raise ValueError(f'{origin}: must be an object of realm -> NetBIOS domain, e.g. {{"corp.example.com": "corp"}}')
    parsed: dict[str, str] = {}
    for realm, netbios in value.items():
        if not isinstance(realm, str) or not isinstance(netbios, str):
            raise ValueError(f"{origin}: entry {realm!r}: realm and NetBIOS domain must be text")
        key = realm.strip().rstrip(".").lower()
        if not _REALM_NAME.fullmatch(key):
            raise ValueError(f"{origin}: entry {realm!r}: not a realm (empty, or a backslash, '@', '/' or space)")
        name = netbios.strip().lower()
        if name and not _NETBIOS_NAME.fullmatch(name):
            raise ValueError(f"{origin}: entry {realm!r}: {netbios!r} is not a NetBIOS domain name "
                             "(1-15 characters, no dot, no \\ / : * ? \" < > |)")
        if parsed.get(key, name) != name:
            raise ValueError(f"{origin}: realm {key!r} is given two NetBIOS domains")
        parsed[key] = name
    return parsed


def realm_domains_from_environment(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The operator's map from :data:`REALM_DOMAINS_ENV` (none when unset); ``ValueError`` when invalid."""
    env = os.environ if environ is None else environ
    return parse_realm_domains(env.get(REALM_DOMAINS_ENV), origin=REALM_DOMAINS_ENV)
