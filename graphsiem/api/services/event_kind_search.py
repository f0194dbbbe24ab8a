"""A search for a Windows event id or name lists the hosts that logged such events (review U2, task SRCH #2).

Search finds entities (:mod:`graphsiem.api.services.entities`); an event is none.  A Security 1102
(the audit log cleared) was on its host's timeline and nowhere else: searching ``1102`` or "log
cleared" found nothing, and ``4662`` found a process whose key hash held the digits.  What a
hunter asks with an event id is "where did this happen", so such a query answers the hosts whose
journaled events are of that kind, each with how many (``matched`` ``event``; the snippet names the
event and the count), read from the journal's per-(host, kind) counts
(:func:`ingest.journal_host_kinds.hosts_of_kinds`): both stores alike, no event read.

What matches (:func:`kinds_for`): the whole id (``1102``, ``4662``), or words of the event's name or
kind (``log cleared``, ``log_cleared``, ``object operation``) of :data:`WORDS_MIN` characters or
more.  Only the events of :data:`EVENT_KINDS`, which the parsers give a kind of their own; an
unmapped event (``windows:other``) keeps its id in its fields only.
"""

from __future__ import annotations

from typing import Any

from graphsiem.api.context import AppContext
from graphsiem.api.schemas_entities import EntityHit
from ingest.journal_host_kinds import hosts_of_kinds

EVENT_KINDS: dict[str, tuple[tuple[str, ...], str]] = {
    "windows:log_cleared": (("1102", "104"), "log cleared (Security 1102, System 104)"),
    "winsec:object_operation": (("4662",), "an operation was performed on a directory object"),
    "winsec:object_access": (("4663",), "an attempt was made to access an object"),
    "winsec:logon": (("4624",), "an account was successfully logged on"),
    "winsec:logon_failed": (("4625",), "an account failed to log on"),
    "winsec:special_privileges": (("4672",), "special privileges assigned to new logon"),
    "winsec:process_create": (("4688",), "a new process has been created"),
    "winsec:credential_validation": (("4776",), "credential validation (NTLM)"),
    "winsec:network_connect": (("5156",), "the Windows Filtering Platform permitted a connection"),
    "winsec:kerberos_logon": (("4768",), "a Kerberos authentication ticket (TGT) was requested"),
    "winsec:kerberos_logon_failed": (("4768", "4771"), "Kerberos pre-authentication failed"),
    "winsec:kerberos_service_ticket": (("4769",), "a Kerberos service ticket was requested"),
}
"""Kind -> (the Windows event ids it stands for, its name as Microsoft words it): what a search matches."""

WORDS_MIN = 5
"""Characters a query needs to match an event's name or kind in part (``clear`` does, ``log`` does not)."""

HOSTS_MAX = 50
"""Hosts one event search lists (the most events first)."""


def kinds_for(needle: str) -> list[str]:
    """The kinds of :data:`EVENT_KINDS` a lower-cased ``needle`` names: by whole id, or in their name or kind.

    >>> kinds_for("1102"), kinds_for("log cleared"), kinds_for("110"), kinds_for("logon")[:2]
    (['windows:log_cleared'], ['windows:log_cleared'], [], ['winsec:logon', 'winsec:logon_failed'])
    """
    needle = needle.strip()
    if needle.isdigit():
        return [kind for kind, (codes, _) in EVENT_KINDS.items() if needle in codes]
    if len(needle) < WORDS_MIN:
        return []
    return [kind for kind, (_, name) in EVENT_KINDS.items()
            if needle in name.lower() or needle in kind or needle.replace(" ", "_") in kind]


def event_kind_hits(ctx: AppContext, needle: str, *, entity_type: str | None, limit: int) -> list[EntityHit]:
    """The hosts with journaled events of the kinds ``needle`` names (:func:`kinds_for`), most events first.

    Empty for a search of another type than host, without an ingest (no journal), and while the
    journal's counts are being caught up (:func:`ingest.journal_host_kinds.hosts_of_kinds`).
    """
    if entity_type not in (None, "host"):
        return []
    kinds = kinds_for(needle)
    ingest: Any = ctx.ingest
    if not kinds or ingest is None:
        return []
    found = hosts_of_kinds(ingest.journal().connection, kinds, min(limit + 1, HOSTS_MAX))
    names = "; ".join(f"{' / '.join(EVENT_KINDS[kind][0])} {EVENT_KINDS[kind][1]}" for kind in kinds)
    hits = []
    with ctx.store_guard():
        for host, events in found or []:
            entity = ctx.store.get_entity("host", host)
            hits.append(EntityHit(type="host", key=host, value=entity.value if entity is not None else host,
                                  matched="event", snippet=f"{names}: {events} event{'s' if events != 1 else ''}"))
    return hits
