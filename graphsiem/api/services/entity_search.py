"""Entity search over a :class:`GraphStore` (``GET /v1/entities?q=``), moved from :mod:`graphsiem.api.services.entities`.

The store's ranked text hits (:meth:`~graphsiem.store.base.GraphStore.search_entities`), and beside
them what no entity's text holds: a user's other spellings, the hosts a whole address was, the hosts
that logged a Windows event named by id or name (:mod:`~graphsiem.api.services.event_kind_search`),
the ends of IDS alerts whose signature holds the query (:mod:`~graphsiem.api.services.alert_activity`).
"""

from __future__ import annotations

from collections import Counter
from typing import cast

from graphsiem.api.context import AppContext
from graphsiem.api.schemas import (
    EntityHit,
    EntitySearchOut,
    SearchField,
)
from graphsiem.api.services import address_map
from graphsiem.api.services.alert_activity import signature_hits
from graphsiem.api.services.entity_aliases import (
    account_spelling,
    same_account,
    users_spelled,
)
from graphsiem.api.services.event_kind_search import event_kind_hits
from graphsiem.entity_kinds import entity_kind
from graphsiem.model import Entity, epoch_to_iso
from graphsiem.store.base import (
    IN_PROP,
    ORIGINAL_NAME_PROP,
    PREFIX,
    GraphStore,
    SearchHit,
    is_exact,
)

SNIPPET_CONTEXT = 60
"""Characters kept on each side of the match in a hit's ``snippet``."""


def _snippet(text: str, lowered: str, at: int, length: int) -> str:
    """The text around ``lowered[at:at + length]``, with ellipses where it was cut.

    A few characters change length when lowered (``"İ"`` becomes two), so an
    index into the lowered text only points into the original when the lengths
    agree; otherwise the excerpt is taken from the lowered text itself.
    """
    source = text if len(text) == len(lowered) else lowered
    start = max(0, at - SNIPPET_CONTEXT)
    end = min(len(source), at + length + SNIPPET_CONTEXT)
    return ("…" if start else "") + source[start:end] + ("…" if end < len(source) else "")


def _hit(found: SearchHit, needle: str) -> EntityHit:
    """The API's hit for a store's; property hits get a snippet around the first match.

    So does a PE original name found whole: the row shows what the binary says it is.
    """
    entity = found.entity
    matched = cast(SearchField, found.matched)
    snippet = None
    if found.rank == IN_PROP or found.matched == ORIGINAL_NAME_PROP:
        text = entity.props[found.matched]
        lowered = text.lower()
        snippet = _snippet(text, lowered, lowered.find(needle), len(needle))
    # a registry value the graph keeps as a file is named so, as in cluster views (graphsiem.entity_kinds)
    return EntityHit(type=entity.type, key=entity.key, value=entity.value, matched=matched,
                     snippet=snippet, kind=entity_kind(entity.type, entity.value, entity.props))


def search(ctx: AppContext, *, q: str, entity_type: str | None, limit: int) -> EntitySearchOut:
    """Entities whose value or key, then searched property, contains ``q`` (case-insensitive).

    The store finds them (:meth:`~graphsiem.store.base.GraphStore.search_entities`:
    text indexes on Neo4j, a scan of the in-memory graph on the embedded store).
    Hits rank: the host ``q`` names when it is a host's full name (see
    :func:`_host_named`), then value or key starting with ``q``, then value or key containing
    it, then a process's ``decoded_command`` or a script's ``text`` containing
    it (:data:`~graphsiem.store.base.SEARCHED_PROP`).  A file's or process's PE original name
    (:data:`~graphsiem.store.base.ORIGINAL_NAME_PROP`: a renamed binary) is an exact hit when it is
    ``q``, a property hit when it contains it.  Each hit names what matched; property and
    original name hits carry a snippet.  A whole IP address the ingest's IP -> host map knows
    also finds the hosts that held it (``matched`` ``address``, right after the address's own
    entity when there is one), each with when it held it (:mod:`~graphsiem.api.services.address_map`).

    Parameters
    ----------
    ctx : AppContext
        The running app (its store is read under the store guard).
    q : str
        Text to find; compared lower-cased.
    entity_type : str or None
        Only entities of this type.
    limit : int
        Maximum hits returned; ``truncated`` says whether there were more.

    Returns
    -------
    EntitySearchOut
        The hits, best rank first.
    """
    needle = q.lower()
    realms = ctx.settings.realm_domains
    spelling = account_spelling(q) if entity_type in (None, "user") else None
    # A whole address the ingest's IP map knows: the hosts it was (a mapped address is often no entity).
    address = address_map.address_of(q) if entity_type in (None, "host", "ip") else None
    held = address_map.held_address(ctx, address) if address and entity_type != "ip" else address_map.NO_ROWS
    with ctx.store_guard():
        holders = {host: ctx.store.get_entity("host", host) for host in address_map.by_host(held.rows)}
        named = _host_named(ctx.store, q, needle) if entity_type in (None, "host") else None
        # Another spelling of an address (``::ffff:10.0.0.5``, ``[fe80::1]``) contains no key: found by its own.
        if named is None and address is not None and address != needle and entity_type != "host":
            named = ctx.store.get_entity("ip", address)
        found = ctx.store.search_entities(needle, entity_type=entity_type, limit=limit)
        # A domain spelling the keys may not contain (PANDALAB\x for pandalab.com\x, a UPN):
        # the users it spells are read apart.  A bare account is contained in its keys.
        accounts = users_spelled(ctx.store, spelling, realms) if spelling and spelling.domain else []
    whole = [h for h in found if _whole_match(h, needle)]
    spelled = [h for h in found if spelling is not None and h.entity.type == "user" and h not in whole
               and same_account(spelling, h.entity.key, realms)]
    rest = [h for h in found if h not in whole and h not in spelled]
    hits = [_hit(hit, needle) for hit in [*whole, *spelled]]
    listed = {(h.type, h.key) for h in hits}
    # Other spellings of the account follow the whole matches (the key typed), before any text hit.
    hits += [EntityHit(type=user.type, key=user.key, value=user.value, matched="account")
             for user in accounts if (user.type, user.key) not in listed]
    listed |= {(user.type, user.key) for user in accounts}
    # The hosts a whole address was follow its own entity (if any), before any text hit.
    addressed = address_map.address_hits(held, holders)
    hits += [hit for hit in addressed if (hit.type, hit.key) not in listed]
    listed |= {(hit.type, hit.key) for hit in addressed}
    # Hosts that logged the Windows event the query names: by its whole id they follow the whole
    # matches (the query is the event), by words of its name they follow the text hits.
    events = [hit for hit in event_kind_hits(ctx, needle, entity_type=entity_type, limit=limit)
              if (hit.type, hit.key) not in listed]
    by_id = needle.strip().isdigit()
    hits += events if by_id else []
    listed |= {(hit.type, hit.key) for hit in events} if by_id else set()
    hits += [_hit(hit, needle) for hit in rest if (hit.entity.type, hit.entity.key) not in listed]
    listed |= {(hit.entity.type, hit.entity.key) for hit in rest}
    if not by_id:
        hits += [hit for hit in events if (hit.type, hit.key) not in listed]
        listed |= {(hit.type, hit.key) for hit in events}
    cut = False  # whether the signature search read only the most alerted of its matching edges
    if len(hits) <= limit:  # IDS signatures an edge keeps: its ends, after every entity's own text
        with ctx.store_guard():
            alerted, cut = signature_hits(ctx.store, needle, entity_type=entity_type, limit=limit)
        hits += [hit for hit in alerted if (hit.type, hit.key) not in listed]
    if named is not None:
        # The host a full name resolves to (or the address another spelling names) ranks first,
        # as the look-up answers it.
        hits = [EntityHit(type=named.type, key=named.key, value=named.value, matched="key"),
                *(h for h in hits if (h.type, h.key) != (named.type, named.key))]
    items = hits[:limit]
    _tell_apart(ctx, items)
    return EntitySearchOut(items=items, truncated=len(hits) > limit or cut)


def _whole_match(hit: SearchHit, needle: str) -> bool:
    """Whether a hit is a whole match: its value or key is the needle, or a digest it carries is."""
    if hit.rank != PREFIX:
        return False
    return hit.matched not in ("value", "key") or is_exact(needle, hit.entity.key, hit.entity.value)


SEEN_ON_LISTED = 3
"""Hosts named in a hit that must be told apart from another (``seen_on``)."""

LOOKALIKE_PREFIX = 80
"""Characters of two hits' values that, equal (case aside), make their rows read alike.

A list shortens long values (the page shows a row's first 89 characters): two
Empire stagers ``"C:\\…\\powershell.exe" -noP -sta -w 1 -enc SQBmACgA…`` whose
base64 differs from the 103rd character on read the same (review T9, F7)."""


def _label(item: EntityHit) -> tuple[str, str]:
    """What a hit's row shows, as far as telling it from another goes: its type and its value's start."""
    return item.type, item.value[:LOOKALIKE_PREFIX].casefold()


def _tell_apart(ctx: AppContext, items: list[EntityHit]) -> None:
    """Give the hits whose shown labels read alike what tells them apart: hosts and first sighting.

    Two hits read alike when they are of one type and their values agree on
    their first :data:`LOOKALIKE_PREFIX` characters, case aside: two processes
    of one image on one host (one known with its command line, one only by its
    image) both read ``C:\\windows\\Explorer.EXE``; two stagers on two hosts two
    years apart differ only deep in their base64.  Only such hits are read (one
    store read each), so a search whose rows differ costs nothing more.  (Every
    process and script was the alternative: 50 store reads for a search listing
    50 command lines, each reading every host of an entity the fleet runs.)
    """
    shared = Counter(_label(item) for item in items)
    twins = [item for item in items if shared[_label(item)] > 1]
    if not twins:
        return
    with ctx.store_guard():
        sightings = {(item.type, item.key): ctx.store.hosts_of(item.type, item.key) for item in twins}
    for item in twins:
        seen = sightings[(item.type, item.key)]
        item.seen_on = sorted(s.host for s in seen)[:SEEN_ON_LISTED]
        item.seen_hosts = len(seen)
        item.first_seen = epoch_to_iso(min((s.first_seen for s in seen), default=None))


def _host_named(store: GraphStore, q: str, needle: str) -> Entity | None:
    """The host whose key ``q`` normalises to, when that differs from ``q`` itself.

    Hosts are stored by their short, lower-case name
    (:func:`ingest.normalize_hosts.normalize_host`), so a search for a full
    name (``WS-0004.corp.example``) or a ``DOMAIN\\name`` form contains no key
    and finds nothing, while ``GET /v1/entities/host/<that name>`` resolves it.
    """
    from ingest.normalize_hosts import normalize_host

    key = normalize_host(q)
    if not key or key == needle:
        return None
    return store.get_entity("host", key)
