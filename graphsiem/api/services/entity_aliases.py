r"""Other names of an entity a person may type: a file's or process's digests, a user's spellings.

Part of the entity look-up and search (:mod:`graphsiem.api.services.entities`).

* **Digests.**  A file is keyed by its strongest digest and a process by its
  command line, so the MD5, SHA-1 or imphash a threat report gives is no key.
  The stores find the files and processes that carry it
  (:meth:`~graphsiem.store.base.GraphStore.entities_by_digest`).
* **User spellings.**  A user is keyed ``domain\account`` as its events name
  it: ``theshire\pgustavo`` (Windows, NetBIOS domain) or
  ``pandalab.com\stevie.marie`` (a Kerberos realm the projection could not map
  to its NetBIOS domain, :mod:`ingest.realm_domains`).  A hunter may type
  ``PANDALAB\stevie.marie``, the UPN ``stevie.marie@pandalab.com`` or the bare
  ``stevie.marie``.  Two domain spellings are taken as one domain when they are
  equal, or name the same NetBIOS domain: the operator's realm map
  (``GRAPHSIEM_REALM_DOMAINS``) says which for a realm it lists, otherwise a
  DNS domain's first label is taken as its NetBIOS name.  That guess is wrong
  for some forests (``AD.CONTOSO.COM`` is ``CONTOSO``) and may pair two forests
  (``corp.a.example`` and ``corp.b.example``): it is used only to *find*
  (every hit shows its own key), never to merge entities, as the projection's
  learnt map does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from graphsiem.model import Entity
from graphsiem.store.base import DIGEST_PROPS, GraphStore, SearchHit, is_digest

ACCOUNT_CANDIDATES = 200
"""Users read when looking for another spelling of a ``domain\\account`` or UPN (those whose key
contains ``\\account``); the accounts of one name across domains are far fewer in a fleet."""

AMBIGUOUS_LISTED = 20
"""Entities a look-up that names several lists in its 409 answer."""


@dataclass(frozen=True, slots=True)
class AccountSpelling:
    r"""A typed account name: its domain (``None`` when bare) and account, lower case.

    ``kind`` is ``"netbios"`` for ``DOMAIN\account``, ``"upn"`` for ``account@domain``, ``"bare"``.
    """

    domain: str | None
    account: str
    kind: str


def account_spelling(text: str) -> AccountSpelling | None:
    r"""How ``text`` names an account, or ``None`` when it names none (empty parts, both separators).

    Examples
    --------
    >>> account_spelling("PANDALAB\\Stevie.Marie")
    AccountSpelling(domain='pandalab', account='stevie.marie', kind='netbios')
    >>> account_spelling("stevie.marie@pandalab.com")
    AccountSpelling(domain='pandalab.com', account='stevie.marie', kind='upn')
    >>> account_spelling("wardog").kind, account_spelling("a\\b@c") is None
    ('bare', True)
    """
    lowered = text.strip().lower()
    if "\\" in lowered and "@" in lowered:
        return None
    if "\\" in lowered:
        domain, _, account = lowered.partition("\\")
        kind = "netbios"
    elif "@" in lowered:
        account, _, domain = lowered.rpartition("@")
        domain = domain.rstrip(".")
        kind = "upn"
    else:
        return AccountSpelling(None, lowered, "bare") if lowered else None
    if not domain or not account or "\\" in account:
        return None
    return AccountSpelling(domain, account, kind)


def netbios_of(domain: str, realms: Mapping[str, str]) -> str:
    """The NetBIOS domain a domain spelling names, for finding only (see the module docstring).

    >>> netbios_of("pandalab.com", {}), netbios_of("ad.contoso.com", {"ad.contoso.com": "contoso"})
    ('pandalab', 'contoso')
    >>> netbios_of("theshire", {})
    'theshire'
    """
    mapped = realms.get(domain)
    if mapped:
        return mapped
    return domain.partition(".")[0]


def same_account(spelling: AccountSpelling, user_key: str, realms: Mapping[str, str]) -> bool:
    r"""Whether the user keyed ``user_key`` is the account ``spelling`` names, in any domain spelling.

    A bare spelling is the account in every domain (and a key without a domain); a spelling
    with a domain is never a key without one (a Linux ``root`` is not ``PANDALAB\root``).

    >>> same_account(account_spelling("PANDALAB\\stevie.marie"), "pandalab.com\\stevie.marie", {})
    True
    >>> same_account(account_spelling("wardog@simulandlabs.com"), "workstation5\\wardog", {})
    False
    """
    domain, sep, account = user_key.lower().partition("\\")
    if not sep:
        return spelling.domain is None and domain == spelling.account
    if account != spelling.account:
        return False
    if spelling.domain is None or spelling.domain == domain:
        return True
    return netbios_of(spelling.domain, realms) == netbios_of(domain, realms)


def users_spelled(store: GraphStore, spelling: AccountSpelling, realms: Mapping[str, str],
                  limit: int = ACCOUNT_CANDIDATES) -> list[Entity]:
    r"""The users whose key is ``spelling``'s account in a domain it may name (:func:`same_account`).

    Read from the store as the users whose key contains ``\account`` (a search: TEXT
    index on Neo4j) and the user keyed by the bare account; at most ``limit`` + 1 are
    looked at.
    """
    found: dict[str, Entity] = {}
    bare = store.get_entity("user", spelling.account)
    if bare is not None and same_account(spelling, bare.key, realms):
        found[bare.key] = bare
    for hit in store.search_entities("\\" + spelling.account, entity_type="user", limit=limit):
        if same_account(spelling, hit.entity.key, realms):
            found.setdefault(hit.entity.key, hit.entity)
    return list(found.values())


def digest_holders(store: GraphStore, entity_type: str, value: str,
                   limit: int = AMBIGUOUS_LISTED) -> list[SearchHit]:
    """The files or processes (``entity_type``) carrying the digest ``value``; none for other types or text."""
    needle = value.strip().lower()
    if entity_type not in DIGEST_PROPS or not is_digest(needle):
        return []
    return store.entities_by_digest(needle, entity_type=entity_type, limit=limit)
