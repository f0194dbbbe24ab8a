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

**Two hosts, not one.**  An endpoint's telemetry is its own to write, computer name included, so
one compromised endpoint could forge the evidence (``EVIL.partner.local`` as ``THESHIRE\EVIL$``)
and merge another forest's ``partner.local\administrator`` into ``theshire\administrator``.  A
NetBIOS name is learnt for a realm only once :data:`WITNESSES_NEEDED` (2) distinct hosts (distinct
machine accounts, the computer names) gave that same evidence; per realm the map keeps each NetBIOS
name it was given with the hosts that gave it (:data:`RealmEvidence`: at most
:data:`WITNESSES_NEEDED` hosts per name, at most :data:`CANDIDATE_LIMIT` names; when the names are
full, the oldest name fewer hosts gave makes room).  A name one host gave decides nothing: it maps
no realm, and it does not undo a mapping.

**Conflict.**  When two NetBIOS names for one DNS domain each have :data:`WITNESSES_NEEDED` hosts
(a disjoint namespace, hosts that name themselves into another's domain) the realm is kept whole
for good (:data:`CONFLICTED`: a false merge is worse than a split); a name that has its hosts is
never dropped, so later evidence for either name does not bring the mapping back.  A single
dissenting host is ignored.  Two DNS domains with one NetBIOS name are no conflict (a domain whose
hosts use regional DNS suffixes).

**A name of the realm's own.**  Two computer names are still only what one compromised endpoint
writes (nothing in an endpoint's telemetry proves which machine sent it), so the worst such a
forgery could do was map another forest's realm into the home domain (``EVIL1.partner.local`` and
``EVIL2.partner.local`` as ``THESHIRE\EVIL1$``/``EVIL2$``: ``partner.local\administrator`` read as
``theshire\administrator``).  A learnt NetBIOS name must therefore be one of the realm's own DNS
labels (the last one, its top level, aside; cut to 15 characters as NetBIOS names are:
:func:`names_its_realm`): ``theshire.local`` is ``THESHIRE``, ``AD.CONTOSO.COM`` is ``CONTOSO`` or
``AD``, and ``partner.local`` can only be ``PARTNER``, so no forgery merges it into another domain.
A realm whose hosts give one other name (``corp.contoso.com`` as ``CONTOSOCORP``) is kept whole for
good, as a conflict is, and a warning names it: set it in the operator's map.

**What it does not stop.**  Forged events under two computer names can still map an unmapped realm
to one of its own labels (``partner.local`` to ``partner``), which merges nothing unless a different
domain has that NetBIOS name.  A fleet whose realms must not be learnt from telemetry
sets them in the operator's map (``""`` keeps a realm whole).  A realm whose Windows hosts are one
machine (a single domain controller reporting) is not learnt: name it in the operator's map.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from typing import Any

__all__ = [
    "CANDIDATE_LIMIT",
    "CONFLICTED",
    "MACHINE_SIDS",
    "REALM_DOMAINS_ENV",
    "WITNESSES_NEEDED",
    "RealmEvidence",
    "learnt_domain",
    "machine_account_evidence",
    "machine_account_witness",
    "mapped_user",
    "names_its_realm",
    "parse_realm_domains",
    "realm_domains_from_environment",
    "witness_realm",
]

REALM_DOMAINS_ENV = "GRAPHSIEM_REALM_DOMAINS"
"""The environment variable of the operator's realm -> NetBIOS domain map (a JSON object)."""
CONFLICTED = ""
"""What a realm two NetBIOS names each have their hosts for is learnt to be: kept whole."""
WITNESSES_NEEDED = 2
"""Distinct hosts (machine accounts) that must give a realm's NetBIOS name before it counts: one
endpoint writes its own telemetry, so one host's word maps nothing and undoes nothing."""
CANDIDATE_LIMIT = 4
"""NetBIOS names kept per realm (a genuine realm has one, a disjoint namespace two)."""
RealmEvidence = tuple[tuple[str, tuple[str, ...]], ...]
"""Per realm, each NetBIOS name it was given, oldest first, with the computer names of the hosts
that gave it (at most :data:`WITNESSES_NEEDED`)."""
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
    witness = machine_account_witness(fields)
    return None if witness is None else witness[:2]


def machine_account_witness(fields: Mapping[str, Any]) -> tuple[str, str, str] | None:
    r"""``(dns domain, netbios domain, computer)``: :func:`machine_account_evidence` and the host that gave it.

    ``computer`` is the machine account's name without its ``$`` (the computer's NetBIOS name, lower
    case): the host a witness is counted as (:data:`WITNESSES_NEEDED`).  ``None`` when the event is
    no such evidence.

    >>> machine_account_witness({"host.name.original": "WORKSTATION5.theshire.local",
    ...                          "user.name": "theshire\\workstation5$", "user.id": "S-1-5-18"})
    ('theshire.local', 'theshire', 'workstation5')
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
    return dns_domain, domain, account[:-1]


def witness_realm(evidence: RealmEvidence, netbios: str, computer: str) -> RealmEvidence | None:
    """A realm's evidence after host ``computer`` named it NetBIOS domain ``netbios``; None: unchanged.

    A name gains the host unless it has it, or has its :data:`WITNESSES_NEEDED` hosts already.  A
    new name is added after the others; when the realm has :data:`CANDIDATE_LIMIT` names, the
    oldest one with fewer hosts than needed (it decides nothing) makes room, and when every name
    has its hosts the new one is not kept.

    Parameters
    ----------
    evidence : RealmEvidence
        What the realm was given so far (``()`` for a realm not seen).
    netbios, computer : str
        The NetBIOS domain named, and the computer (machine account) that named it.

    Returns
    -------
    RealmEvidence or None
        The evidence to keep, or None when it is unchanged.

    Examples
    --------
    >>> one = witness_realm((), "theshire", "ws1"); one
    (('theshire', ('ws1',)),)
    >>> witness_realm(one, "theshire", "ws1") is None, witness_realm(one, "theshire", "ws2")
    (True, (('theshire', ('ws1', 'ws2')),))
    """
    for index, (name, hosts) in enumerate(evidence):
        if name == netbios:
            if computer in hosts or len(hosts) >= WITNESSES_NEEDED:
                return None
            return (*evidence[:index], (name, (*hosts, computer)), *evidence[index + 1:])
    if len(evidence) >= CANDIDATE_LIMIT:
        undecided = [index for index, (_, hosts) in enumerate(evidence) if len(hosts) < WITNESSES_NEEDED]
        if not undecided:
            return None
        evidence = (*evidence[:undecided[0]], *evidence[undecided[0] + 1:])
    return (*evidence, (netbios, (computer,)))


def names_its_realm(netbios: str, realm: str) -> bool:
    """Whether NetBIOS domain ``netbios`` is one of realm ``realm``'s own DNS labels (cut to 15 characters).

    The realm's last label (its top level) is left out when it has more than one: no domain is
    ``LOCAL`` or ``COM``.  Both names lower case.

    >>> names_its_realm("theshire", "theshire.local"), names_its_realm("contoso", "ad.contoso.com")
    (True, True)
    >>> names_its_realm("theshire", "partner.local"), names_its_realm("local", "partner.local")
    (False, False)
    >>> names_its_realm("averylongcompan", "averylongcompanyname.example")
    True
    """
    labels = realm.split(".")
    own = labels[:-1] if len(labels) > 1 else labels
    return any(netbios == label[:_NETBIOS_COMPUTER_CHARS] for label in own)


def learnt_domain(evidence: RealmEvidence, *, realm: str) -> str | None:
    """The NetBIOS domain a realm's evidence teaches: None while no name has its hosts.

    The one name :data:`WITNESSES_NEEDED` hosts gave, when it is one of the realm's own labels
    (:func:`names_its_realm`); :data:`CONFLICTED` (kept whole) when two names have their hosts, or
    the one that has them is not the realm's own.

    >>> learnt_domain((("theshire", ("ws1",)),), realm="theshire.local")
    >>> learnt_domain((("theshire", ("ws1", "ws2")), ("mordor", ("evil",))), realm="theshire.local")
    'theshire'
    >>> learnt_domain((("theshire", ("ws1", "ws2")), ("mordor", ("evil", "evil2"))), realm="theshire.local")
    ''
    >>> learnt_domain((("theshire", ("evil1", "evil2")),), realm="partner.local")
    ''
    """
    learnt = [name for name, hosts in evidence if len(hosts) >= WITNESSES_NEEDED]
    if not learnt:
        return None
    return learnt[0] if len(learnt) == 1 and names_its_realm(learnt[0], realm) else CONFLICTED


def mapped_user(user: str, learnt: Mapping[str, RealmEvidence], overrides: Mapping[str, str]) -> str:
    r"""A Kerberos user key ``realm\name`` as ``netbios\name`` when the realm is known to be that domain.

    ``overrides`` (the operator's) win over ``learnt`` (the telemetry's evidence, :func:`learnt_domain`);
    a realm either maps to ``""`` (:data:`CONFLICTED`, or the operator's "keep it whole"), or not at
    all (one host's word), keeps its key.

    >>> two = {"theshire.local": (("theshire", ("ws1", "ws2")),)}
    >>> mapped_user("theshire.local\\pgustavo", two, {}), mapped_user("theshire.local\\pgustavo", two, {"theshire.local": ""})
    ('theshire\\pgustavo', 'theshire.local\\pgustavo')
    >>> mapped_user("theshire.local\\pgustavo", {"theshire.local": (("theshire", ("ws1",)),)}, {})
    'theshire.local\\pgustavo'
    """
    realm, sep, name = user.partition("\\")
    if not sep:
        return user
    netbios = overrides.get(realm)
    if netbios is None:
        evidence = learnt.get(realm)
        netbios = None if evidence is None else learnt_domain(evidence, realm=realm)
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
