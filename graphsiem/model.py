"""The normalised data model: events, entities, relations and host sightings.

This module does no I/O. Everything above it (ingest, stores, analytics, API)
speaks these types.

Identity is explicit: an entity is identified by ``(type, key)`` where ``key``
is the *normalised* value (a lower-case short host name, a SHA-256, a hash of a
normalised command line, ...).  ``value`` is what an analyst reads.  Two
entities of different types never collide, even with equal keys.

Time is a float of seconds since the Unix epoch, UTC, everywhere inside the
library; it is rendered as ISO-8601 with a ``Z`` only at the edges.

Why plain ``dataclasses(slots=True)`` and not pydantic inside the hot path:
construction of a slotted dataclass costs ~0.3 µs against ~1.7 µs for a
pydantic v2 model with validation (see ``benchmarks/bench_model.py``), and ingest
builds several of these per event.  ``msgspec.Struct`` is faster still (~0.2 µs)
but the ~0.1 µs it saves does not pay for a second model library.  Validation
happens once, at the edges (parsers and the HTTP API, where pydantic is used).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any


class EntityType(StrEnum):
    """The entity types of the graph (PRODUCT.md, "Entity model")."""

    HOST = "host"
    USER = "user"
    PROCESS = "process"
    SCRIPT = "script"
    FILE = "file"
    DOMAIN = "domain"
    IP = "ip"
    URL = "url"

    @property
    def label(self) -> str:
        """The Neo4j node label of this type (``host`` -> ``Host``)."""
        return self.value.capitalize()


class RelationType(StrEnum):
    """Relation types between entities (PRODUCT.md, "Relations")."""

    RAN = "RAN"  # host RAN process (its creation, or any event of that host naming it: a connection, an access...)
    SPAWNED = "SPAWNED"  # process SPAWNED process
    WROTE = "WROTE"  # process WROTE file
    LOADED = "LOADED"  # process LOADED file (Sysmon 7 image load)
    ACCESSED = "ACCESSED"  # process ACCESSED process (e.g. LSASS, Sysmon 10)
    INJECTED = "INJECTED"  # process INJECTED process (Sysmon 8 remote thread)
    # process|host CONNECTED ip; ip CONNECTED process|host (inbound Sysmon 3, failed logon); a sensor's
    # connection (Zeek, EVE, a firewall's) reaches the server's host when its address is mapped then:
    # ip|host CONNECTED host (ip|host CONNECTED ip when not)
    CONNECTED = "CONNECTED"
    RESOLVED = "RESOLVED"  # process|host RESOLVED domain
    RESOLVES_TO = "RESOLVES_TO"  # domain RESOLVES_TO ip|domain (DNS answers and CNAMEs, certificate names)
    # domain CLAIMED_AT ip (a client named it there: TLS SNI, HTTP Host); host CLAIMED_AT ip (a client at that
    # address declared that workstation name: NTLM, 4624 WorkstationName): a claim, never a resolver's answer
    CLAIMED_AT = "CLAIMED_AT"
    DOWNLOADED = "DOWNLOADED"  # host DOWNLOADED file
    UPLOADED = "UPLOADED"  # host|ip UPLOADED file (a file a client sent: HTTP POST/PUT body, SMB write)
    REQUESTED = "REQUESTED"  # host|process REQUESTED url
    SERVED_BY = "SERVED_BY"  # file SERVED_BY domain|url|ip (an endpoint-marked origin address: MDE FileOriginIP, an address HostUrl)
    ON = "ON"  # url ON domain
    # url SERVED_FROM ip (the server address a request for the URL reached: Zeek http id.resp_h, EVE http
    # dest_ip, an endpoint's record naming both; the URL's domain is only the client's Host header)
    SERVED_FROM = "SERVED_FROM"
    EXECUTED = "EXECUTED"  # process EXECUTED script
    LOGGED_ON = "LOGGED_ON"  # user|host|ip LOGGED_ON host|ip (the account, the machine it came from; ip: a sensor saw an unmapped server)
    RUN_AS = "RUN_AS"  # process RUN_AS user
    MODIFIED = "MODIFIED"  # process MODIFIED registry-like file entity (Sysmon 13)
    DELETED = "DELETED"  # process DELETED file (Sysmon 23)
    ALERTED = "ALERTED"  # host|ip ALERTED (IDS alert) ip
    INSTALLED = "INSTALLED"  # host INSTALLED process|file (a service's or task's command; a driver's file: 7045, 4697, 4698)
    CLEARED_LOG = "CLEARED_LOG"  # user CLEARED_LOG host (Security 1102, System 104: an event log wiped)
    # user PRIVILEGED_ON host (Security 4672: a log-on given special privileges, an admin log-on; the edge's
    # ``privileges`` tally names them)
    PRIVILEGED_ON = "PRIVILEGED_ON"
    READ_RAW = "READ_RAW"  # process READ_RAW file (Sysmon 9: a volume read directly, past the file system)
    # user VALIDATED_AT host (Security 4776: the host, a DC for a domain account, checked the account's
    # credentials by NTLM; success or not, no log-on: the edge's tallies say which and who claimed to ask)
    VALIDATED_AT = "VALIDATED_AT"
    # host DETECTED file (an antivirus found a threat in the file on the host: av:detection; the event says
    # which threat, and what the product did)
    DETECTED = "DETECTED"


EntityKey = tuple[str, str]
"""``(entity type, normalised key)``: the identity of an entity."""


def entity_uid(entity_type: str, key: str) -> str:
    """The single-string identity of an entity, ``"type:key"``.

    Used as the node id in networkx graphs and as the ``uid`` property in Neo4j.

    Examples
    --------
    >>> entity_uid("host", "ws-0001")
    'host:ws-0001'
    """
    return f"{entity_type}:{key}"


def split_uid(uid: str) -> EntityKey:
    """Inverse of :func:`entity_uid`."""
    entity_type, _, key = uid.partition(":")
    return entity_type, key


def stable_hash(*parts: str, length: int = 32) -> str:
    """A stable hex digest of ``parts`` (never Python's salted ``hash()``).

    Parts are joined with a unit separator so ``("ab", "c")`` and
    ``("a", "bc")`` differ.
    """
    digest = hashlib.blake2b("\x1f".join(parts).encode("utf-8", "surrogatepass"), digest_size=32)
    return digest.hexdigest()[:length]


def epoch_to_iso(ts: float | None) -> str | None:
    """Render epoch seconds as ISO-8601 UTC with millisecond precision and ``Z``."""
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, tz=UTC).isoformat(timespec="milliseconds").replace(
        "+00:00", "Z"
    )


@dataclass(slots=True)
class Event:
    """One normalised telemetry record.

    Attributes
    ----------
    id : str
        Stable id derived from the source and the record (same record, same id),
        so re-ingesting a file adds nothing.
    kind : str
        Namespaced kind, ``"sysmon:process_create"``, ``"zeek:http"``,
        ``"suricata:alert"``, ``"winsec:logon"``, ``"powershell:script_block"``...
    ts : float
        Event time, epoch seconds UTC.
    host : str | None
        Normalised short host name of the endpoint the event is about (not the
        collector), when known.
    source : str
        The parser (format) name that produced the event, e.g. ``"winlogbeat"``.
    fields : dict
        Normalised fields, ECS-style dotted names (``process.executable``,
        ``process.command_line``, ``process.parent.executable``,
        ``destination.ip``, ``dns.question.name``, ``url.full``,
        ``file.sha256`` ...).  See ``docs/architecture.md`` for the list.
    origin : str
        Where the record came from: ``"path/to/file:line"`` or ``"api"``.
    raw : dict | str | None
        The original record, kept for evidence.
    """

    id: str
    kind: str
    ts: float
    host: str | None
    source: str
    fields: dict[str, Any] = field(default_factory=dict)
    origin: str = ""
    raw: dict[str, Any] | str | None = None


@dataclass(slots=True)
class Entity:
    """A node of the graph: one thing with fleet-wide identity.

    Attributes
    ----------
    type : str
        One of :class:`EntityType` values.
    key : str
        Normalised key; ``(type, key)`` is the identity.
    value : str
        Human-readable value (a command line, a domain, a host name).
    props : dict
        Extra properties (``registered_domain``, ``sha1``, ``decoded_command``...).
        Scalars or lists of scalars only, so they map onto Neo4j properties.
    """

    type: str
    key: str
    value: str
    props: dict[str, Any] = field(default_factory=dict)

    @property
    def uid(self) -> str:
        return entity_uid(self.type, self.key)

    @property
    def ref(self) -> EntityKey:
        return (self.type, self.key)


EVIDENCE_CAP = 64
"""How many evidence event ids a relation keeps.

``count`` keeps counting past the cap; the kept ids are the first half of the cap
and the most recent half (:mod:`graphsiem.evidence_keep`), so an analyst always
has concrete events behind every edge, from both ends of a long run.  Idempotency of
re-ingest is guaranteed upstream by the journal (event ids are unique there);
within the cap, stores also refuse to count the same evidence id twice.
"""


TALLY_CAPACITY = 200
"""How many distinct labels a stored tally or an ``ALERTED`` edge's signatures keep, the most counted
(:func:`add_counts`).  Many more than are shown (:data:`TALLY_SHOWN`), because the Misra-Gries rule's
guarantee grows with the record: any label with more than 1 in ``TALLY_CAPACITY + 1`` of the observations
is kept, and counts are exact while at most ``TALLY_CAPACITY`` distinct labels were seen, so a scanner
firing 25 rules once each keeps all 25."""

TALLY_SHOWN = 20
"""How many of a tally's (or an edge's signatures') kept labels the API shows, the most counted; the
observations of the others are added to the shown ``*_dropped`` count, so shown + dropped = total."""

SIGNATURE_CAP = TALLY_CAPACITY
"""How many distinct signatures an ``ALERTED`` edge keeps (with each one's alert count); the alerts not
counted under a kept signature are counted in ``signatures_dropped``, so a scanner firing hundreds of
rules at one address keeps the edge bounded.  Which signatures are kept: :func:`add_counts`."""

SIGNATURE_CHARS = 300
"""Characters of one signature's text kept (a CEF header's name is whatever the device wrote)."""


def add_counts(stored: dict[str, int], incoming: dict[str, int], cap: int) -> int:
    """Add ``incoming`` counts by label into ``stored``, keeping at most ``cap`` labels, the most counted.

    The Misra-Gries rule (weighted), so that a bounded record keeps every heavy label whatever came
    first: a label already kept, or one that fits, is added.  Otherwise (``stored`` full) the smallest of
    the kept counts and the new label's, ``d``, is taken off every kept label and off the new one; the
    labels left at zero are dropped, and the new one is kept with what remains of its count.  Each such
    step takes ``d`` off ``cap + 1`` labels, all counted in the returned number, so a kept count is a
    *lower bound*: at most ``dropped / (cap + 1)`` short of the label's true count, ``dropped`` being all
    the observations returned so far.  Hence any label with more than ``total / (cap + 1)`` of the
    observations is kept (with ``cap`` :data:`TALLY_CAPACITY`, 200: more than 1 in 201), however the others
    came before it; a label with fewer may not be.  While no more than ``cap`` distinct labels were seen,
    nothing is taken off: counts are exact.  Kept counts plus the returned (dropped) ones are the total.

    Returns the observations not counted under a kept label, for the ``*_dropped`` count.

    Examples
    --------
    >>> kept = {"a": 3, "b": 1}
    >>> add_counts(kept, {"a": 2, "c": 4}, cap=2), kept   # c: 1 off a, b and c; b leaves
    (3, {'a': 4, 'c': 3})
    >>> kept = {f"ws-{i}": 1 for i in range(3)}
    >>> add_counts(kept, {"kali": 50}, cap=3), kept       # the first labels seen do not hold the record
    (4, {'kali': 49})
    """
    dropped = 0
    for label, count in incoming.items():
        known = stored.get(label)
        if known is not None:
            stored[label] = known + count
            continue
        if len(stored) >= cap:
            taken = min(count, *stored.values())
            dropped += taken * (len(stored) + 1)
            count -= taken
            for kept_label in [kept_label for kept_label, kept in stored.items() if kept == taken]:
                del stored[kept_label]
            for kept_label in stored:
                stored[kept_label] -= taken
        if count > 0 and len(stored) < cap:
            stored[label] = count
    return dropped


def add_signatures(stored: dict[str, int], incoming: dict[str, int], cap: int = SIGNATURE_CAP) -> int:
    """Add ``incoming`` alert counts by signature into ``stored`` (at most ``cap`` signatures, the most
    alerted: :func:`add_counts`).

    Returns the alerts not counted under a kept signature, for ``signatures_dropped``.

    Examples
    --------
    >>> kept = {"ET SCAN a": 1}
    >>> add_signatures(kept, {"ET SCAN a": 2, "ET SCAN b": 1, "ET SCAN c": 4}, cap=2), kept
    (3, {'ET SCAN a': 2, 'ET SCAN c': 3})
    """
    return add_counts(stored, incoming, cap)


TALLY_CAP = TALLY_CAPACITY
"""How many distinct labels one tally of an edge keeps, the most counted (:func:`add_tally`); the
observations not counted under a kept label are that tally's dropped ones."""

TALLY_LABEL_CHARS = 255
"""Characters of one tally label kept (a claimed workstation name is whatever the client sent)."""

TALLY_NAMES = ("outcomes", "workstations", "account_domain", "threats", "av_actions", "av_products", "privileges")
"""The tallies an edge may keep (each name is also a stored property's, so the set is fixed):

* ``outcomes``: a ``VALIDATED_AT`` edge's validations by outcome, ``success`` or ``failure <status>``
  (``failure 0xc000006a``: a wrong password; ``failure 0xc0000064``: no such account), ``failure`` without
  a status, ``unknown`` when the event states none;
* ``workstations``: the workstation names the clients *claimed* (4776 ``Source Workstation``, written by
  the client: a claim, never a host of the graph), at most :data:`TALLY_CAP`, the rest counted;
* ``account_domain``: a ``VALIDATED_AT`` edge's validations by the NetBIOS domain that qualified the
  account (``jerry``: the host is a domain controller of that domain), or ``unknown`` when the account
  was kept as the event gave it (4776 names no domain; the host was not known to be a DC of a known
  domain: ``ingest.projection_logons``);
* ``threats``, ``av_actions``, ``av_products``: a ``DETECTED`` edge's detections by threat name (the
  vendor's), by what the product did (``quarantined``, ``removed``, ``blocked``, ``allowed``, ``failed``,
  ``detected``: :func:`ingest.projection_antivirus.action_outcome`) and by product;
* ``privileges``: a ``PRIVILEGED_ON`` edge's admin log-ons (4672) by privilege given (``SeDebugPrivilege``).
"""


def add_tally(stored: dict[str, int], incoming: dict[str, int], cap: int = TALLY_CAP) -> int:
    """Add ``incoming`` counts by label into ``stored`` (at most ``cap`` labels, the most counted: the
    rule of :func:`add_counts`).  Returns the observations not counted under a kept label.

    Examples
    --------
    >>> kept = {"success": 1}
    >>> add_tally(kept, {"failure 0xc000006a": 2, "success": 1, "failure 0xc0000064": 1}, cap=2), kept
    (3, {'success': 1, 'failure 0xc000006a': 1})
    """
    return add_counts(stored, incoming, cap)


def add_tallies(stored: dict[str, dict[str, int]], stored_dropped: dict[str, int],
                incoming: dict[str, dict[str, int]] | None, incoming_dropped: dict[str, int] | None) -> None:
    """Merge an edge's tallies (``incoming``, ``incoming_dropped``) into ``stored`` and ``stored_dropped``.

    Both are changed in place; a tally's dropped observations are those the incoming edge had dropped
    already plus those whose labels do not fit in ``stored`` (:func:`add_tally`).

    Examples
    --------
    >>> kept, dropped = {"outcomes": {"success": 1}}, {}
    >>> add_tallies(kept, dropped, {"outcomes": {"success": 2}, "workstations": {"kali": 1}}, {"workstations": 3})
    >>> kept, dropped
    ({'outcomes': {'success': 3}, 'workstations': {'kali': 1}}, {'workstations': 3})
    """
    for name, counts in (incoming or {}).items():
        lost = add_tally(stored.setdefault(name, {}), counts)
        if lost:
            stored_dropped[name] = stored_dropped.get(name, 0) + lost
    for name, lost in (incoming_dropped or {}).items():
        if lost:
            stored.setdefault(name, {})
            stored_dropped[name] = stored_dropped.get(name, 0) + lost


@dataclass(slots=True)
class Relation:
    """An aggregated edge ``src -[type]-> dst``.

    A batch may carry several observations of the same edge pre-aggregated:
    ``count`` equals ``len(evidence)`` for a fresh batch, and stores merge by
    adding counts for evidence ids they have not yet seen, widening
    ``first_seen``/``last_seen`` and appending evidence (never replacing).

    An ``ALERTED`` edge also keeps its IDS signatures: ``signatures`` maps each signature's text
    (``"<name> (sid <id>, severity <n>)"``) to its alert count, at most :data:`SIGNATURE_CAP` of them
    (:func:`add_signatures`), and ``signatures_dropped`` counts the alerts of signatures not kept.
    Other relations leave both empty.  Signature counts add on every merge (the journal projects
    each event once, as sightings' counts rely on).

    Some edges keep *tallies* the same way: ``tallies`` maps a tally's name (:data:`TALLY_NAMES`) to its
    counts by label, at most :data:`TALLY_CAP` labels each (:func:`add_tallies`), and ``tallies_dropped``
    a tally's name to the observations of labels not kept.  A ``VALIDATED_AT`` edge tallies its
    ``outcomes`` and the ``workstations`` its clients claimed; other relations leave both None.
    """

    src: EntityKey
    type: str
    dst: EntityKey
    first_seen: float
    last_seen: float
    count: int = 1
    evidence: list[str] = field(default_factory=list)
    signatures: dict[str, int] | None = None
    signatures_dropped: int = 0
    tallies: dict[str, dict[str, int]] | None = None
    tallies_dropped: dict[str, int] | None = None

    @property
    def key(self) -> tuple[EntityKey, str, EntityKey]:
        return (self.src, self.type, self.dst)


@dataclass(slots=True)
class Sighting:
    """``host`` saw ``entity`` between ``first_seen`` and ``last_seen``, ``count`` times.

    Sightings are the host x entity incidence that prevalence analytics need:
    a fleet-wide process node does not say on which hosts it ran, its sightings
    do.  Stores merge sightings like relations (min/max/sum).  A destination's
    sighting also keeps its contact times, bounded (``times``:
    :func:`graphsiem.contact_times.merge_times`; empty for other entities).
    """

    host: str
    entity: EntityKey
    first_seen: float
    last_seen: float
    count: int = 1
    times: tuple[float, ...] = ()


@dataclass(slots=True)
class Projection:
    """What one batch of events adds to the graph."""

    entities: list[Entity] = field(default_factory=list)
    relations: list[Relation] = field(default_factory=list)
    sightings: list[Sighting] = field(default_factory=list)
