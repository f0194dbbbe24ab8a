"""When a user was active and where it logged on, from its own relations (review U1 #6).

A user's prevalence counted host sightings only: the hosts whose events named it.  An account
seen only in network telemetry (Zeek's NTLM and Kerberos logs, a DC's 4776 forwarded as syslog
text) logs on to addresses no host maps, so ``kramer\\guest``, with four dated logons, showed
"fleet hosts 0, first seen —, last seen —".  Its logons and credential validations are dated
relations: they give the user's first and last activity and the machines (hosts, or addresses
when no host is mapped) it logged on to or was validated at.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from graphsiem.store.base import GraphStore, Neighbor

USER_ACTIVITY_RELATIONS = ("LOGGED_ON", "VALIDATED_AT")
"""A user's relations that say it was active on a machine: a log-on, a credential check."""
USER_ACTIVITY_LIMIT = 1000
"""Relations read per user (the most evidenced first): a service account logged on to more machines
counts these (``logon_targets`` then says at least this many)."""


NAMED_ENDS = 10
"""Other ends an entity page names beside their count (a file's detecting hosts, a user's machines)."""


@dataclass(frozen=True, slots=True)
class UserActivity:
    """A user's logons and validations: on how many machines, first and last (epoch seconds), and
    the first :data:`NAMED_ENDS` machines by name (``named``, sorted)."""

    targets: int
    first_seen: float | None
    last_seen: float | None
    named: tuple[str, ...] = ()


def user_activity(store: GraphStore, key: str) -> UserActivity:
    """The machines user ``key`` logged on to or was validated at, and when, from its relations.

    Parameters
    ----------
    store : GraphStore
        Either store: read with :meth:`~graphsiem.store.base.GraphStore.neighbors`.
    key : str
        The user's key (``jerry\\guest``).

    Returns
    -------
    UserActivity
        ``targets`` 0 and ``None`` times for a user with neither.
    """
    found = store.neighbors("user", key, direction="out", relation_types=USER_ACTIVITY_RELATIONS,
                            limit=USER_ACTIVITY_LIMIT)
    return UserActivity(*relations_span(found), named=ends_named(found))


def ends_named(found: Sequence[Neighbor], most: int = NAMED_ENDS) -> tuple[str, ...]:
    """The names (values) of ``found``'s distinct other ends, sorted, at most ``most`` of them.

    The page named a file's detecting hosts by asking ``/neighbors`` again after the entity
    answer had read the same edges to count them (task PAGE3 #1): the names come with the count.
    Sorted by name, so both stores (whose order of equally evidenced relations differs) name
    the same ones.

    >>> ends_named([])
    ()
    """
    return tuple(sorted({n.entity.value for n in found})[:most])


def relations_span(found: Sequence[Neighbor]) -> tuple[int, float | None, float | None]:
    """The distinct other ends of ``found``'s relations, their first and last seen (``0, None, None``: none).

    >>> relations_span([])
    (0, None, None)
    """
    if not found:
        return 0, None, None
    return (len({n.entity.ref for n in found}), min(n.relation.first_seen for n in found),
            max(n.relation.last_seen for n in found))
