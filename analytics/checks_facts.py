"""What the step writers of :mod:`analytics.checks` share: one cluster's facts and how values are quoted.

:class:`Facts` holds the arguments of :func:`analytics.checks.cluster_checks`, computed once per
cluster; :func:`quote` is the one rule for attacker-controlled text in a step (plain, one line, cut
to :data:`MAX_VALUE` characters); the rest name hosts, members, a driver's digest and the names an
install registered.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from analytics.behaviour_pivots import behaviour_name, is_behaviour
from analytics.cluster_summary import PIVOT_VERBS
from analytics.credited_words import (
    plain,
)
from analytics.explain import Explanation
from analytics.lineage import image_name
from graphsiem.model import Entity, EntityType

MAX_VALUE = 80
"""Quoted entity values are cut to this many characters (as in the summary)."""
HOSTS_NAMED = 3
"""Hosts named in a step; the rest are counted."""

NAMES_SHOWN = 3
"""Service names quoted in an installation step; the rest are counted."""

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(slots=True)
class Facts:
    """What the step writers quote (the arguments of :func:`cluster_checks`), computed once per cluster."""

    explanation: Explanation
    pivot: Entity
    entities: list[Entity]
    hosts: list[str]
    first_seen: float
    features: Mapping[str, float]
    new: list[Entity] = field(init=False)

    def __post_init__(self) -> None:
        new = set(self.explanation.new_members)
        # Without the detection's list of new members (an explanation built
        # elsewhere), every member is a candidate.
        self.new = [e for e in self.entities if e.ref in new] if new else list(self.entities)

    def of_type(self, *types: str) -> list[Entity]:
        return [e for e in self.new if e.type in types]

    @property
    def new_word(self) -> str:
        """``"new "``, or nothing when most hosts have no data from before the window to tell."""
        return "new " if self.explanation.history else ""

    @property
    def pivot_text(self) -> str:
        if is_behaviour(self.pivot.ref):  # two facts by per-host processes: no process of that name ran
            return behaviour_name(self.pivot.type, self.pivot.value) or "behaviour pivot"
        return f"{self.pivot.type} {quote(self.pivot.value)}"

    @property
    def verb(self) -> str:
        if is_behaviour(self.pivot.ref):
            return "showed"
        return PIVOT_VERBS.get(self.pivot.type, "ran" if self.pivot.type in ("process", "script") else "saw")

    def span(self, minutes: float) -> str:
        """The first-contact period, rounded out to whole minutes.

        The pivot's first contacts on the cluster's hosts, first to last, when the
        detection measured them (:attr:`Explanation.contacts`); else ``minutes`` from
        the cluster's first sighting (an explanation built elsewhere).
        """
        contacts = self.explanation.contacts
        if contacts is not None:
            begin, until = contacts.first, contacts.last_first
        else:
            begin, until = self.first_seen, self.first_seen + max(minutes, 0.0) * 60
        start = math.floor(begin / 60) * 60
        end = math.ceil(until / 60) * 60
        left = datetime.fromtimestamp(start, tz=UTC)
        right = datetime.fromtimestamp(max(end, start + 60), tz=UTC)
        tail = right.strftime("%H:%M") if right.date() == left.date() else right.strftime("%Y-%m-%d %H:%M")
        return f"{left.strftime('%Y-%m-%d %H:%M')}–{tail}Z"


def quote(value: object, limit: int = MAX_VALUE) -> str:
    """An entity value as one line of plain text, cut to ``limit`` characters.

    Examples
    --------
    >>> quote("a\\nb" + "c" * 100, limit=8)
    'a⏎ bccc…'
    """
    return plain(value, limit)  # one rule for attacker text, here and in the credited processes' words


def hosts_text(hosts: Sequence[str]) -> str:
    """A few host names and how many more.

    Examples
    --------
    >>> hosts_text(["ws-1", "ws-2", "ws-3", "ws-4", "ws-5"])
    'ws-1, ws-2, ws-3 and 2 more'
    """
    named = ", ".join(quote(h, 40) for h in hosts[:HOSTS_NAMED])
    rest = len(hosts) - HOSTS_NAMED
    return f"{named} and {rest} more" if rest > 0 else named


def names_text(entities: Sequence[Entity], limit: int = 3) -> str:
    """Image names of processes (values of others), distinct, in member order."""
    names: list[str] = []
    for e in entities:
        name = image_name(e.value, e.props) if e.type == EntityType.PROCESS.value else quote(e.value)
        if name not in names:
            names.append(quote(name, 40))
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def file_digest(entities: Sequence[Entity]) -> str:
    """The SHA-256 of a file among ``entities``: the key of one keyed by its digest, else a ``sha256`` prop."""
    for e in entities:
        if e.type == EntityType.FILE.value and _SHA256.match(e.key):
            return e.key
    for e in entities:
        value = str(e.props.get("sha256") or "").lower()
        if _SHA256.match(value):
            return value
    return ""


def install_names(props: Mapping[str, object], kind: str, hosts: int, word: str | None = None) -> str:
    """What the installs called a service, task or WMI consumer (``props``: ``service``/``services``/
    ``services_dropped`` for ``kind`` ``service``; ``word`` the name said, ``kind`` when None).

    The text follows "installed ..." and names the hosts: `` (service X) on 30 hosts`` for
    one name.  Several: how many over how many hosts, a few quoted; as many names as hosts
    is said to be a signal: attack tools register under a random name per host, a vendor's
    installer under one.

    Examples
    --------
    >>> install_names({"service": "AbC", "services": ["AbC", "dEf", "GhI", "jKl"]}, "service", 4)
    ' under 4 different service names on 4 hosts (AbC, dEf, GhI and 1 more; a different name on every host is how attack tools register a service, a vendor installs under one name)'
    >>> install_names({"service": "igfxn", "services": ["igfxn"]}, "service", 30)
    ' (service igfxn) on 30 hosts'
    >>> install_names({"wmi_consumer": "Updater", "wmi_consumers": ["Updater"]}, "wmi_consumer", 40, "WMI consumer")
    ' (WMI consumer Updater) on 40 hosts'
    """
    word = word or kind
    listed = props.get(f"{kind}s")
    names = [str(n) for n in listed] if isinstance(listed, list) and listed else []
    if not names and props.get(kind):
        names = [str(props[kind])]
    if not names:
        return f" on {hosts} hosts"
    if len(names) == 1 and not props.get(f"{kind}s_dropped"):
        return f" ({word} {quote(names[0], 40)}) on {hosts} hosts"
    dropped = props.get(f"{kind}s_dropped")
    at_least = "at least " if isinstance(dropped, int) and dropped > 0 else ""
    shown = ", ".join(quote(n, 40) for n in names[:NAMES_SHOWN])
    more = f" and {len(names) - NAMES_SHOWN}{'+' if at_least else ''} more" if len(names) > NAMES_SHOWN else ""
    signal = (
        f"; a different name on every host is how attack tools register a {word}, a vendor installs under one name"
        if len(names) >= hosts >= 3 else ""
    )
    return f" under {at_least}{len(names)} different {word} names on {hosts} hosts ({shown}{more}{signal})"
