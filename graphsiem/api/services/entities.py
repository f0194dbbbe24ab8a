"""Entity look-up, neighbourhood expansion and search over a :class:`GraphStore`."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any, cast

import networkx as nx

from graphsiem.api.context import AppContext
from graphsiem.api.errors import Conflict, NotFound
from graphsiem.api.schemas import (
    AddressInterval,
    EntityHit,
    EntityOut,
    EntitySearchOut,
    HostSeen,
    NeighborsOut,
    SearchField,
)
from graphsiem.api.services import address_map
from graphsiem.api.services.alert_activity import alert_activity, signature_hits
from graphsiem.api.services.detection_activity import detection_activity
from graphsiem.api.services.entity_aliases import (
    AMBIGUOUS_LISTED,
    account_spelling,
    digest_holders,
    same_account,
    users_spelled,
)
from graphsiem.api.services.event_kind_search import event_kind_hits
from graphsiem.api.services.graph_json import graph_to_json
from graphsiem.api.services.rollup_entities import (
    RollupEntity,
    behaviour_lookup,
    resolve_rollup,
    rollup_hops,
    union_sightings,
)
from graphsiem.api.services.user_activity import user_activity
from graphsiem.model import Entity, entity_uid, epoch_to_iso
from graphsiem.store.base import (
    IN_PROP,
    ORIGINAL_NAME_PROP,
    PREFIX,
    GraphStore,
    Neighbor,
    SearchHit,
    is_exact,
)


def _candidate_keys(entity_type: str, value: str) -> list[str]:
    """Keys to try for a value typed by a person: as given, then normalised."""
    candidates = [value, value.strip(), value.strip().lower().rstrip(".")]
    try:
        from ingest import normalize
    except ImportError:  # pragma: no cover - ingest is part of the package
        normalize = None
    if normalize is not None:
        if entity_type == "host" and hasattr(normalize, "normalize_host"):
            candidates.append(normalize.normalize_host(value) or "")
        if entity_type == "ip" and hasattr(normalize, "canonical_ip"):
            candidates.append(normalize.canonical_ip(value, strict=False) or "")
    seen: list[str] = []
    for key in candidates:
        if key and key not in seen:
            seen.append(key)
    return seen


def resolve_entity(store: GraphStore, entity_type: str, value: str,
                   realms: Mapping[str, str] | None = None) -> Entity:
    """The entity ``value`` names: its key (or normalised form), else a digest it carries, else a user spelling.

    A file's or process's MD5, SHA-1, SHA-256 or imphash names the one
    entity that carries it; a user's ``NETBIOS\\account``, ``account@dns.domain``
    or bare ``account`` the one user it spells
    (:mod:`~graphsiem.api.services.entity_aliases`; ``realms`` is the
    operator's realm map).  When several carry or spell it (one imphash is
    many builds' files; one image's MD5 is every command line run from it),
    the answer is 409 ``conflict`` listing them (type, key, value, what
    matched; at most :data:`~graphsiem.api.services.entity_aliases.AMBIGUOUS_LISTED`)
    so the caller picks one by its key: an arbitrary pick would show one
    entity's hosts as the digest's.  404 when nothing matches.
    """
    for key in _candidate_keys(entity_type, value):
        entity = store.get_entity(entity_type, key)
        if entity is not None:
            return entity
    holders = [(hit.entity, hit.matched) for hit in digest_holders(store, entity_type, value)]
    if holders:
        return _the_one(entity_type, value, holders, what="digest")
    if entity_type == "user":
        spelling = account_spelling(value)
        if spelling is not None:
            users = users_spelled(store, spelling, realms or {})
            if users:
                return _the_one(entity_type, value, [(user, "account") for user in users],
                                what="account spelling")
    raise NotFound(f"no {entity_type} entity with key or value {value[:200]!r}",
                   field="value")


def _the_one(entity_type: str, value: str, found: list[tuple[Entity, str]], *, what: str) -> Entity:
    """The single entity of ``found``, or 409 listing them (at most ``AMBIGUOUS_LISTED``)."""
    if len(found) == 1:
        return found[0][0]
    listed = found[:AMBIGUOUS_LISTED]
    count = f"more than {AMBIGUOUS_LISTED}" if len(found) > AMBIGUOUS_LISTED else str(len(found))
    raise Conflict(
        f"{count} {entity_type} entities match the {what} {value[:200]!r}: look one up by its key",
        field="value",
        details=[{"reason": "ambiguous", "type": entity.type, "key": entity.key, "value": entity.value,
                  "matched": matched} for entity, matched in listed])


def entity_detail(ctx: AppContext, *, entity_type: str, value: str,
                  hosts_limit: int = 200) -> EntityOut:
    """Prevalence (distinct hosts, first/last seen, count) and the hosts that saw it.

    For a host with sightings of its own, the prevalence is the host's own
    telemetry (:meth:`~graphsiem.store.base.GraphStore.host_activity`):
    ``hosts`` 1, its first and last sighting, ``count`` its contacts and
    ``entities`` the distinct entities it was seen with.  A host only named
    by other machines' events gets the other entities' figures (the hosts
    that saw it) and ``entities`` 0.

    A detection is no sighting (:mod:`~graphsiem.api.services.detection_activity`): a file's
    ``DETECTED`` edges give ``detected_on`` (the hosts whose antivirus detected it) and a host's
    ``detected_files``, and their dates count in ``first_seen``/``last_seen``; a host with no
    sighting of its own but a detection is one host (``hosts`` 1: the detection is its own event).
    The first hosts that detected a file, and the first machines a user logged on to, are named
    with their count (``detected_on_hosts``, ``logon_target_names``; ``*_truncated`` when more
    exist), from the edges read to count them.

    A registered-domain pivot (:mod:`~graphsiem.api.services.rollup_entities`, named by
    its key or its shown value) answers a synthetic domain whose sightings are its
    subdomains', per host: earliest first, latest last, contacts summed.
    """
    activity = None
    with ctx.store_guard():
        rollup = resolve_rollup(ctx.store, entity_type, value, behaviours=behaviour_lookup(ctx))
        if rollup is not None:
            entity = rollup.entity
            # a behaviour pivot's hosts as its detection recorded them (the cluster's), else the subdomains'
            sightings = list(rollup.sightings) if rollup.sightings is not None else union_sightings(
                ctx.store, rollup.subdomains)
        else:
            entity = _resolve(ctx, entity_type, value)
            sightings = ctx.store.hosts_of(entity.type, entity.key)
        if entity.type == "host":
            activity = ctx.store.host_activity(entity.key)
        logons = user_activity(ctx.store, entity.key) if entity.type == "user" else None
        detections = (detection_activity(ctx.store, entity.type, entity.key)
                      if rollup is None and entity.type in ("file", "host") else None)
        alerts = alert_activity(ctx.store, entity.type, entity.key) if entity.type in ("ip", "host") else None
    if activity is not None and activity.entities:
        # A host is the subject of its sightings: its figures are its own
        # telemetry (what it was seen with, when), not how many hosts saw it.
        prevalence = {"hosts": 1, "first_seen": epoch_to_iso(activity.first_seen),
                      "last_seen": epoch_to_iso(activity.last_seen), "count": activity.count,
                      "entities": activity.entities}
    else:
        first = min((s.first_seen for s in sightings), default=None)
        last = max((s.last_seen for s in sightings), default=None)
        prevalence = {"hosts": len(sightings), "first_seen": epoch_to_iso(first),
                      "last_seen": epoch_to_iso(last),
                      "count": sum(s.count for s in sightings)}
        if activity is not None:
            prevalence["entities"] = 0
    if logons is not None:  # a user's logons and validations date it too (U1 #6: none on a mapped host)
        prevalence["logon_targets"] = logons.targets
        _name_ends(prevalence, "logon_target_names", logons.named, logons.targets)
        _widen_dates(prevalence, logons.first_seen, logons.last_seen)
    if detections is not None and detections.others:  # detections date it, though no sighting (R20 #2)
        prevalence["detected_on" if entity.type == "file" else "detected_files"] = detections.others
        if entity.type == "file":  # named with the count: the page asked /neighbors again for them (PAGE3 #1)
            _name_ends(prevalence, "detected_on_hosts", detections.named, detections.others)
        _widen_dates(prevalence, detections.first_seen, detections.last_seen)
        if entity.type == "host" and not prevalence["hosts"]:
            prevalence["hosts"] = 1
    if alerts is not None and alerts.alerts:  # an IDS alert is no sighting, but dates the entity (U2 #1)
        prevalence["alerts"], prevalence["alert_peers"] = alerts.alerts, alerts.peers
        _name_ends(prevalence, "alert_peer_names", alerts.named, alerts.peers)
        _widen_dates(prevalence, alerts.first_seen, alerts.last_seen)
    # A behaviour pivot's record keeps its earliest hosts only (analytics.behaviour_words.
    # MAX_RECORDED_HOSTS): the prevalence counts every host that showed it, the list says it is cut.
    not_recorded = int(entity.props.get("hosts_not_recorded") or 0)
    if not_recorded > 0:
        prevalence["hosts"] = len(sightings) + not_recorded
    ordered = sorted(sightings, key=lambda s: (s.first_seen, s.host))
    addresses, addresses_total = _address_map(ctx, entity)
    return EntityOut(
        type=entity.type, key=entity.key, value=entity.value,
        props=dict(entity.props), prevalence=prevalence,
        hosts=[HostSeen(host=s.host, first_seen=epoch_to_iso(s.first_seen),
                        last_seen=epoch_to_iso(s.last_seen), count=s.count)
               for s in ordered[:hosts_limit]],
        hosts_truncated=len(ordered) > hosts_limit or not_recorded > 0,
        address_map=addresses, address_map_total=addresses_total,
    )


def _name_ends(prevalence: dict[str, Any], field: str, named: Sequence[str], count: int) -> None:
    """Put ``named`` under ``field`` and whether ``count`` ends are more than it names under ``<field>_truncated``."""
    prevalence[field] = list(named)
    prevalence[f"{field}_truncated"] = count > len(named)


def _widen_dates(prevalence: dict[str, Any], first: float | None, last: float | None) -> None:
    """Make ``prevalence``'s first and last seen span ``first`` and ``last`` (epoch seconds) too."""
    firsts = [t for t in (prevalence["first_seen"], epoch_to_iso(first)) if t is not None]
    lasts = [t for t in (prevalence["last_seen"], epoch_to_iso(last)) if t is not None]
    prevalence["first_seen"], prevalence["last_seen"] = min(firsts, default=None), max(lasts, default=None)


def _address_map(ctx: AppContext, entity: Entity) -> tuple[list[AddressInterval] | None, int | None]:
    """A host's addresses, or an address's hosts, as the ingest's IP map holds them (newest first, bounded).

    The map is the journal's, so both stores answer alike; other types have none (None, None).
    """
    if entity.type == "host":
        found = address_map.addresses_of_host(ctx, entity.key)
    elif entity.type == "ip":
        found = address_map.held_address(ctx, entity.key)
    else:
        return None, None
    return [row.out() for row in found.rows], found.total


def _resolve(ctx: AppContext, entity_type: str, value: str) -> Entity:
    """:func:`resolve_entity`, whose 404 for an address the IP map knows names the hosts that held it.

    A sensor's flow from a mapped address is projected as the host, so the victim's
    address is often no ``ip`` entity: a bare 404 left the analyst nowhere to go
    (review T9, F5).  The 404 stays (no such entity: the neighbours route could not
    expand it), its message and ``details`` saying which host it was, and when.
    """
    try:
        return resolve_entity(ctx.store, entity_type, value, ctx.settings.realm_domains)
    except NotFound as missing:
        address = address_map.address_of(value) if entity_type == "ip" else None
        found = address_map.held_address(ctx, address) if address else address_map.NO_ROWS
        if not found.rows:
            raise
        sentence, details = address_map.holders_detail(found)
        raise NotFound(f"{missing.message}; {sentence}", field=missing.field, details=details) from None


def _add_entity(graph: nx.MultiDiGraph, entity: Entity) -> None:
    graph.add_node(entity.uid, type=entity.type, key=entity.key, value=entity.value,
                   **{k: v for k, v in entity.props.items() if k not in {"type", "key", "value"}})


def neighbors(ctx: AppContext, *, entity_type: str, value: str, depth: int, limit: int,
              types: Sequence[str] | None) -> NeighborsOut:
    """Breadth-first expansion to ``depth`` hops, at most ``limit`` neighbours in total.

    ``graph.truncated`` says whether more neighbours exist within ``depth``
    than the ``limit`` returned: one was found and left out, or, when the
    limit was reached exactly, an entity left unexpanded (or whose read the
    store cut at its limit) has an unseen one.

    A registered-domain pivot's neighbours are its subdomains, each joined to it by an
    edge of the answer only (:func:`~graphsiem.api.services.rollup_entities.rollup_hops`);
    the next hops are the store's.
    """
    graph = nx.MultiDiGraph()
    entity_types = list(types) if types else None
    truncated = False
    with ctx.store_guard():
        rollup = resolve_rollup(ctx.store, entity_type, value, behaviours=behaviour_lookup(ctx))
        center = rollup.entity if rollup is not None else _resolve(ctx, entity_type, value)
        _add_entity(graph, center)
        frontier = [center]
        seen = {center.uid}
        added = 0
        unexpanded: list[Entity] = []
        for level in range(depth):
            next_frontier: list[Entity] = []
            for position, entity in enumerate(frontier):
                if added >= limit:
                    unexpanded += frontier[position:]
                    break
                # Already-seen neighbours (the way back) also count against the
                # store's limit, so ask for enough to still find ``limit`` new ones.
                asked = limit - added + len(seen)
                hops = _hops(ctx.store, entity, rollup, entity_types=entity_types, limit=asked)
                if len(hops) >= asked:
                    unexpanded.append(entity)  # the store stopped: it may have more
                for hop in hops:
                    rel = hop.relation
                    if hop.entity.uid not in seen:
                        if added >= limit:
                            truncated = True
                            break
                        seen.add(hop.entity.uid)
                        _add_entity(graph, hop.entity)
                        next_frontier.append(hop.entity)
                        added += 1
                    graph.add_edge(entity_uid(*rel.src), entity_uid(*rel.dst), key=rel.type,
                                   type=rel.type, count=rel.count, first_seen=rel.first_seen,
                                   last_seen=rel.last_seen, evidence=list(rel.evidence),
                                   signatures=rel.signatures, signatures_dropped=rel.signatures_dropped,
                                   tallies=rel.tallies, tallies_dropped=rel.tallies_dropped)
            frontier = next_frontier
            if added >= limit and level + 1 < depth:
                unexpanded += frontier  # the next level would have expanded these
                break
        if not truncated and added >= limit and unexpanded:
            truncated = _has_unseen_neighbor(ctx.store, unexpanded, seen, entity_types, rollup)
        if rollup is not None and rollup.truncated:
            truncated = True  # the rollup's subdomains were read only up to their bound
    return NeighborsOut(center=center.uid, depth=depth,
                        graph=graph_to_json(graph, truncated=truncated))


def _hops(store: GraphStore, entity: Entity, rollup: RollupEntity | None, *,
          entity_types: list[str] | None, limit: int) -> list[Neighbor]:
    """``entity``'s neighbours: the store's, or a rollup's subdomains when it is the rollup."""
    if rollup is not None and entity.uid == rollup.entity.uid:
        return rollup_hops(store, rollup, limit=limit, entity_types=entity_types)
    return store.neighbors(entity.type, entity.key, entity_types=entity_types, limit=limit)


def _has_unseen_neighbor(store: GraphStore, entities: Sequence[Entity], seen: set[str],
                         entity_types: list[str] | None, rollup: RollupEntity | None = None) -> bool:
    """Whether any of ``entities`` has a neighbour outside ``seen`` (stops at the first).

    Runs only when the expansion stopped exactly at its limit.  A hop is a
    relation, and an entity may be related to a seen one in several ways, so
    each entity is asked for twice as many hops as there are seen entities.
    """
    for entity in entities:
        hops = _hops(store, entity, rollup, entity_types=entity_types, limit=2 * len(seen) + 1)
        if any(hop.entity.uid not in seen for hop in hops):
            return True
    return False


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
    return EntityHit(type=entity.type, key=entity.key, value=entity.value, matched=matched,
                     snippet=snippet)


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
    if len(hits) <= limit:  # IDS signatures an edge keeps: its ends, after every entity's own text
        with ctx.store_guard():
            alerted = signature_hits(ctx.store, needle, entity_type=entity_type, limit=limit)
        hits += [hit for hit in alerted if (hit.type, hit.key) not in listed]
    if named is not None:
        # The host a full name resolves to (or the address another spelling names) ranks first,
        # as the look-up answers it.
        hits = [EntityHit(type=named.type, key=named.key, value=named.value, matched="key"),
                *(h for h in hits if (h.type, h.key) != (named.type, named.key))]
    items = hits[:limit]
    _tell_apart(ctx, items)
    return EntitySearchOut(items=items, truncated=len(hits) > limit)


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
