"""Request and response bodies of the ``/v1`` API (pydantic v2, with examples)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from graphsiem.api.services.keys import key_name_problem
from graphsiem.api.state import Role, Status, Verdict
from graphsiem.api.triage_text import control_character

_CLUSTER_ID = "3f2a9c41d0b84e6f9a7c1e2d3b4a5f60"


def _is_none(value: object) -> bool:
    """For ``exclude_if``: a field some answers do not have is left out of them, not sent as null."""
    return value is None


class Rejection(BaseModel):
    origin: str = Field(description="Where the record came from: `api/<request id>:<line>` (a JSON array's record `api/<request id>#<n>`), `file:line`.")
    reason: str


class FormatCounts(BaseModel):
    """One format's counts, named as in ``graphsiem ingest --json``'s ``formats``."""

    received: int
    accepted: int
    rejected: int
    duplicates: int = Field(0, description="Accepted records already in the journal.")
    events: int = Field(0, description="New events journaled.")


class AssumedYear(BaseModel):
    """Dates written without a year, put in one by rule (``graphsiem ingest --json``'s ``assumed_year``)."""

    records: int = Field(description="Records whose date has no year (RFC 3164 syslog, CEF) and was "
                         "put in a year by the rule, the `year` parameter not being given.")
    years: dict[str, int] = Field(description="Year -> how many of those records were put in it.")
    rule: str = Field(description="How the year was chosen.")
    change_with: str = Field(description="How to give the year instead (the request's `year` parameter).")


class IngestReport(BaseModel):
    """``received = accepted + rejected``; accepted records are journaled."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "received": 3, "accepted": 2, "rejected": 1,
        "rejections": [{"origin": "api/3f9c2a7d1b0e4c56:3", "reason": "invalid JSON: unexpected character"}],
        "by_format": {"suricata": {"received": 2, "accepted": 2, "rejected": 0,
                                   "duplicates": 0, "events": 2}},
        "rejections_truncated": False, "assumed_year": None,
    }]})

    received: int
    accepted: int
    rejected: int
    duplicates: int = Field(0, description="Accepted records already in the journal.")
    events: int = Field(0, description="New events journaled.")
    rejections: list[Rejection] = Field(default_factory=list,
                                        description="Reasons, capped (see rejections_truncated).")
    rejections_truncated: bool = False
    by_format: dict[str, FormatCounts] = Field(default_factory=dict)
    assumed_year: AssumedYear | None = Field(
        None, description="Set when dates without a year (RFC 3164 syslog lines) were put in an "
        "assumed year (the most recent such date not more than a day ahead of now): they were "
        "guessed; send `year` to say which. Null when no date was guessed.")


class EntityRef(BaseModel):
    type: str
    value: str


class Pivot(BaseModel):
    type: str
    key: str


class EntityKeyRef(BaseModel):
    """An entity by its graph key (a file keyed by its SHA-256 has its path as value)."""

    type: str
    key: str


class TriageOut(BaseModel):
    status: Status = Status.OPEN
    verdict: Verdict | None = None
    assignee: str | None = None
    updated_at: str | None = None
    updated_by: str | None = None
    version: int = Field(0, description="Raised by one on every write of this triage (0: never triaged); "
                         "the cluster's ETag. Send it as `If-Match` on PATCH to refuse (412) a change "
                         "made on a triage someone else has changed since.")


class ClusterSummary(BaseModel):
    """One row of the cluster queue: the PRODUCT.md contract fields plus triage."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": _CLUSTER_ID, "score": 97.3, "host_count": 65, "hosts": ["ws-0001"],
        "entities": [{"type": "domain", "value": "cdn-img-delivery.example"}],
        "entity_keys": [{"type": "domain", "key": "cdn-img-delivery.example"}],
        "first_seen": "2026-11-20T09:00:00.000Z", "last_seen": "2026-11-20T09:09:00.000Z",
        "summary": "65 hosts first contacted cdn-img-delivery.example within 9 minutes",
        "pivot": {"type": "domain", "key": "cdn-img-delivery.example"},
        "is_active": True, "active": True, "previous_ids": [], "superseded_by": None,
        "score_confidence": "normal",
        "detection_id": "9f1c2b3a4d5e6f70", "detected_at": "2026-11-20T09:12:03.120Z",
        "updated_at": "2026-11-20T09:12:03.120Z",
        "triage": {"status": "open", "verdict": None, "assignee": None, "version": 0},
    }]})

    id: str
    score: float
    host_count: int
    hosts: list[str]
    entities: list[EntityRef]
    entity_keys: list[EntityKeyRef] = Field(
        default_factory=list, description="The keys of `entities`, in the same order: a file keyed by "
        "its digest shows its path as value and its SHA-256 here.")
    first_seen: str | None = None
    last_seen: str | None = None
    summary: str = ""
    pivot: Pivot | None = None
    is_active: bool = True
    active: bool = Field(True, description="Produced by the latest detection (same as `is_active`).")
    previous_ids: list[str] = Field(
        default_factory=list, description="Ids this case had under earlier pivots, oldest first; "
        "their triage was carried over and their audit is part of this one's.")
    superseded_by: str | None = Field(
        None, description="The id a later detection continues this case under, if any.")
    score_confidence: str | None = Field(
        None, description="`normal`, or `low` when the run had too few candidates for the score to "
        "mean much (the summary says so too); null for clusters stored before it existed.")
    detection_id: str | None = Field(
        None, description="The detection that last changed this cluster (as `updated_at`): a "
        "detection that produces it unchanged does not replace it.")
    detected_at: str | None = Field(
        None, description="When a detection first stored this cluster (server time, UTC); not event time.")
    updated_at: str | None = Field(
        None, description="The last time a detection changed it (score, hosts, members, event times, "
        "confidence, dropped from or back in the queue) or its triage was written; `updated_since` filters on it.")
    url: str | None = Field(
        None, description="The analysts' page's link to this cluster (`<GRAPHSIEM_PUBLIC_URL>/#/clusters/<id>`), "
        "for a ticket or a chat message; null when the service was not told its public address.")
    triage: TriageOut


class ClusterPage(BaseModel):
    items: list[ClusterSummary]
    next_cursor: str | None = Field(
        None, description="Pass as `cursor` to get the next page; null on the last page. It is bound "
        "to the queue's generation the page was read from (`detection_id`): after a detection that "
        "changed the queue it is refused with 409 `queue_changed` (restart from the first page); "
        "one that changed nothing leaves it valid.")
    detection_id: str | None = Field(
        None, description="The queue's generation: the detection that last changed the queue (a "
        "cluster's score, hosts, members, times or confidence, or one came in or dropped out).")


class GraphNode(BaseModel):
    id: str
    type: str
    key: str
    value: str
    props: dict[str, Any] = Field(default_factory=dict)


class EdgeSignature(BaseModel):
    """One IDS signature of an ``ALERTED`` edge: its text (``name (sid N, severity S)``) and alerts."""

    signature: str
    alerts: int


class EdgeTallyEntry(BaseModel):
    """One label of an edge's tally and how often it was seen (``failure 0xc000006a`` x 180)."""

    label: str
    count: int


class GraphEdge(BaseModel):
    source: str
    target: str
    type: str
    count: int = 1
    first_seen: str | None = None
    last_seen: str | None = None
    evidence: list[str] = Field(default_factory=list)
    signatures: list[EdgeSignature] | None = None
    """An ``ALERTED`` edge's IDS signatures, most alerts first (at most 20; None on other edges)."""
    signatures_dropped: int | None = None
    """Alerts of the edge whose signature was not kept (past the 20)."""
    tallies: dict[str, list[EdgeTallyEntry]] | None = None
    """A ``VALIDATED_AT`` edge's tallies, most first: ``outcomes`` (``success``, ``failure <status>``) and the
    ``workstations`` its clients claimed (a claim, never a host), at most 20 labels each; None on other edges."""
    tallies_dropped: dict[str, int] | None = None
    """Per tally, the observations whose label was not kept (past the 20)."""


class GraphOut(BaseModel):
    nodes: list[GraphNode]
    edges: list[GraphEdge]
    truncated: bool = False


class JournalEvent(BaseModel):
    """One journaled event as the API shows it (``graphsiem.api.services.journal_view.event_to_dict``).

    Its envelope is fixed; ``fields`` and ``raw`` are the record's own content and stay
    open (their keys depend on the format that read it).  All of it is attacker-controlled data.
    """

    id: str = Field(description="The event's id (stable: the same record always has the same id).")
    kind: str = Field(description="Namespaced kind (`sysmon:process_create`, `zeek:dns`...).")
    ts: str | None = Field(description="The event's own time, ISO-8601 UTC.")
    host: str | None = Field(description="The normalised host the event is about; null when the record names none.")
    source: str = Field(description="The format (parser) that read the record.")
    origin: str = Field(description="Where the record came from: `file:line`, `api/<request id>:<line>`, `syslog/...`.")
    fields: dict[str, Any] = Field(description="Open: the normalised fields the record had, by ECS-style dotted "
                                   "name (`process.command_line`, `dns.question.name`...); which ones depends "
                                   "on the format.")
    raw: dict[str, Any] | str | None = Field(description="Open: the record as received (a JSON object, or "
                                              "the text line), null when it was not kept.")
    # absent, not null, when there is none: the answer keeps the shape it always had
    received_at: str | None = Field(
        None, exclude_if=_is_none, description="When a live channel (syslog listener, POST /v1/events, /v1/files) received it, "
        "ISO-8601 UTC; absent for files ingested with `graphsiem ingest`.")
    received_late_s: float | None = Field(
        None, exclude_if=_is_none, description="With `received_at`, when it arrived after the time it claims: receipt minus "
        "`ts`, seconds; absent otherwise.")


class MappedHost(BaseModel):
    """The host the ingest's IP -> host map held for one address of an event at the event's time.

    A network sensor's record names addresses, not hosts: this is how the projection tied it to a
    host (:mod:`ingest.ipmap_evidence`), shown beside the record, never written into it.
    """

    host: str = Field(description="The host's key (`GET /v1/entities/host/{host}`).")
    mapped_from: Literal["src", "dst"] = Field(
        description="Which address of the event: `src` (`source.ip`) or `dst` (`destination.ip`).")
    ip: str = Field(description="The address, canonical.")
    source: str = Field(description="How the map learnt it: `dhcp` (a granted lease) or `endpoint` (the host's own "
                        "connection events, or a sensor's record naming the sender).")
    how: str = Field(description="`source` in words: `DHCP lease`, `seen in its own traffic`.")
    start: str = Field(description="The map's interval holding the event's time: its start, ISO-8601 UTC.")
    end: str = Field(description="Its end, ISO-8601 UTC.")


class EvidenceEvent(BaseModel):
    """An event behind a cluster, read back from the journal (``event`` null if missing)."""

    source: str | None = None
    event_id: str
    event: JournalEvent | None = Field(None, description="The event; null when the journal no longer holds it.")
    mapped_hosts: list[MappedHost] = Field(default_factory=list, description=(
        "For an event that names no host (a Zeek or Suricata record): the host the ingest's IP -> host map "
        "held for its source and destination addresses at its time, source first; empty otherwise. "
        "The event itself stays as recorded."))


class ExplanationCheck(BaseModel):
    """One next step for the analyst (analytics/checks.py): what to look at, and what would make it benign."""

    feature: str | None = Field(
        None, description="The scored feature the step follows from; null for the cluster as a whole "
        "(its pivot's installation, a low-confidence run, a cluster no feature sets apart).")
    check: str = Field(description="What to look at, quoting this cluster's values (plain text, values cut to 80 characters).")
    benign_if: str = Field(description="What finding would make the cluster benign.")


class FeatureContributionOut(BaseModel):
    """One scored feature of a cluster: its value, the fleet's baseline and what it added to the score."""

    name: str = Field(description="The feature (a key of the cluster's `features`).")
    value: float = Field(description="The cluster's value.")
    baseline: float = Field(description="The fleet baseline: the feature's median over the run's candidate clusters.")
    contribution: float = Field(description="Its Shapley contribution to the score against the baseline.")
    description: str = Field("", description="What the feature measures, in plain words.")


class ExplanationOut(BaseModel):
    """Why a cluster scored what it did (``summary``, ``features``) and what to check next (``checks``)."""

    summary: str = ""
    features: list[FeatureContributionOut] = Field(
        default_factory=list, description="Per-feature value, fleet baseline and Shapley contribution, largest first.")
    checks: list[ExplanationCheck] = Field(
        default_factory=list, description="Next steps, most contributing feature first (at most 6); empty for "
        "clusters stored before checks existed.")


class ClusterMember(BaseModel):
    """One entity of a cluster, by its graph key and its shown value."""

    type: str = Field(description="Entity type (`domain`, `process`, `file`...).")
    key: str | None = Field(None, exclude_if=_is_none, description="Its graph key (`GET /v1/entities/{type}/{key}`); a file keyed by "
                            "its SHA-256 shows its path as value.  Null for clusters stored before keys were kept.")
    value: str = Field(description="Its shown value.")


class ClusterDetail(ClusterSummary):
    """One cluster whole: the summary's fields plus the rest of the PRODUCT.md contract
    (``explanation``, ``evidence``), the scored ``features``, members and subgraph."""

    features: dict[str, float | None] = Field(
        default_factory=dict, description="The scored feature values by name (their baselines and "
        "contributions: `explanation.features`).")
    explanation: ExplanationOut = Field(default_factory=ExplanationOut)
    members: list[ClusterMember] = Field(default_factory=list, description="The cluster's entities, pivot first.")
    subgraph: GraphOut
    evidence: list[EvidenceEvent] = Field(default_factory=list)


class CaseBundle(BaseModel):
    """A self-contained export of a cluster for a case or ticketing system."""

    format: str = "graphsiem.case-bundle/v1"
    exported_at: str
    exported_by: str
    cluster: ClusterDetail
    audit: list[AuditOut]


class TriagePatch(BaseModel):
    """Triage changes; omitted fields stay as they are; ``verdict: null`` clears it."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"status": "investigating", "assignee": "alice", "note": "checking the PNG downloads"},
        {"verdict": "benign", "note": "MSP inventory script"},
    ]})

    status: Status | None = None
    verdict: Verdict | None = None
    assignee: str | None = Field(None, max_length=200, description=(
        "Who works the case; no control, format (bidi override, zero-width) or line-separator character."))
    note: str | None = Field(None, min_length=1, max_length=10_000, description=(
        "Logged in the audit trail; newline and tab are the only control characters allowed."))

    @field_validator("assignee")
    @classmethod
    def _assignee_shows_as_itself(cls, value: str | None) -> str | None:
        # An assignee is shown in the queue, the audit and the CLI: U+202E or an
        # escape sequence would make it read as someone (or something) else.
        # Same rule as a key's name.
        problem = key_name_problem(value) if value else None
        if problem:
            raise ValueError(f"assignee: {problem}")
        return value

    @field_validator("note")
    @classmethod
    def _note_is_text(cls, value: str | None) -> str | None:
        # A note is free text (any script, line breaks), but NUL, ESC or CR could
        # rewrite a terminal line or cut a log record short.
        problem = control_character(value, allowed="\n\t") if value else None
        if problem:
            raise ValueError(f"note holds {problem}")
        return value


class AuditOut(BaseModel):
    id: int
    at: str
    actor: str
    field: str
    old: str | None = None
    new: str | None = None


class SuppressionOut(BaseModel):
    pivot: Pivot
    cluster_id: str
    created_at: str
    created_by: str


class HostSpanOut(BaseModel):
    """One host's data in the store: its first and newest sighting (a detection record's ``host_spans``)."""

    host: str = Field(description="The host's key (`GET /v1/entities/host/{host}`).")
    first_seen: str = Field(description="Its first sighting, ISO-8601 UTC.")
    last_seen: str = Field(description="Its newest sighting, ISO-8601 UTC.")


class DetectionOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": "9f1c2b3a4d5e6f70", "status": "done", "trigger": "api",
        "requested_at": "2026-11-20T10:00:00.000Z", "requested_by": "analyst-1 (ab12cd34ef56)",
        "duration_s": 1.8, "cluster_count": 12,
    }]})

    id: str
    status: str
    trigger: str
    requested_at: str
    requested_by: str
    started_at: str | None = None
    finished_at: str | None = None
    duration_s: float | None = None
    cluster_count: int | None = None
    error: str | None = None
    window_start: str | None = Field(
        default=None, description="Start of the window the run read, ISO-8601 UTC (null until it is done, "
        "or when it read none: no entity shared by 2 or more hosts).")
    window_end: str | None = Field(
        default=None, description="End of the window, ISO-8601 UTC: `now` for a backtest, else the fleet's "
        "newest event, or the newest event of hosts that lead the fleet (see `window_note`).")
    window_hours: float | None = Field(
        default=None, description="The window's length in hours, as read: up to twice the configured "
        "24 h when hosts leading the fleet widened its start.")
    window_hosts: int | None = Field(
        default=None, description="Hosts with a sighting of their own in the window; counted for a run "
        "that found no cluster only (it re-reads the window), null otherwise.")
    window_sightings: int | None = Field(
        default=None, description="Host x entity sightings active in the window (any entity); for a run "
        "that found no cluster only.")
    fleet_hosts: int | None = Field(
        default=None, description="Hosts that had reported by the window's end; for a run that found no "
        "cluster only.")
    window_note: str | None = Field(
        default=None, description="How the window was set when it is not the last 24 h ending at the "
        "newest event: a widened or capped start and the hosts leading the fleet, hosts ahead ignored, "
        "this server's clock behind the fleet's.")
    no_cluster_reason: str | None = Field(
        default=None, description="Why a run found no cluster: its window, what it held and how many "
        "entities met each pivot condition (null when it found clusters).")
    host_spans: list[HostSpanOut] | None = Field(
        default=None, description="For a run that found no cluster, each host's data in the store (first .. "
        "newest sighting, the whole store whatever the run's window), the newest-ending first, at most 50: "
        "a backtest (`POST /v1/detections?now=`) within a span several hosts share can find what they did "
        "together.  Null when the run found clusters (or ran before this field existed).")
    host_spans_total: int | None = Field(
        default=None, description="Hosts with data in the store, of which `host_spans` lists the newest-ending "
        "50 at most; for a run that found no cluster only.")
    detection_config: str | None = Field(
        default=None, description="The detection settings file the run started from (the service's "
        "GRAPHSIEM_DETECTION_CONFIG / `serve --detection-config`, read at start); null: the defaults.")
    detection_config_sha256: str | None = Field(
        default=None, description="SHA-256 (hex) of that file as the service read it: runs with the same "
        "digest used the same settings.")


class EvidenceRef(BaseModel):
    """An event behind a cluster, by id (read it with `GET /v1/evidence?ids=`)."""

    source: str | None = None
    event_id: str


class StoredPivot(BaseModel):
    """A cluster's pivot as its detection stored it: key and shown value."""

    type: str
    key: str
    value: str


class BacktestCluster(BaseModel):
    """One cluster of a backtest in the form its run stored it: the contract's fields (as the queue's,
    without triage) plus member keys and epoch times.

    Open: a stored cluster may carry further keys (a behaviour pivot's record of its hosts); they are
    the detection's internal record, not part of the contract, and may change.
    """

    model_config = ConfigDict(extra="allow")

    id: str
    score: float
    hosts: list[str]
    entities: list[EntityRef]
    entity_keys: list[EntityKeyRef] | None = Field(None, exclude_if=_is_none)
    first_seen: str | None = None
    last_seen: str | None = None
    pivot: StoredPivot | None = None
    members: list[ClusterMember] = Field(default_factory=list)
    features: dict[str, float | None] | None = Field(None, exclude_if=_is_none)
    explanation: ExplanationOut | None = Field(None, exclude_if=_is_none)
    evidence: list[EvidenceRef] = Field(default_factory=list)
    score_confidence: str | None = Field(None, exclude_if=_is_none)
    first_seen_ts: float | None = Field(None, exclude_if=_is_none, description="`first_seen` as epoch seconds.")
    last_seen_ts: float | None = Field(None, exclude_if=_is_none, description="`last_seen` as epoch seconds.")


class BacktestClustersOut(BaseModel):
    """A backtest's clusters, kept apart from the queue (``GET /v1/detections/{id}/clusters``)."""

    detection_id: str = Field(description="The backtest run's id.")
    now: str | None = Field(description="The `now` it ran at, ISO-8601 UTC.")
    clusters: list[BacktestCluster] = Field(description="Highest risk first.")


class HostSeen(BaseModel):
    host: str
    first_seen: str | None
    last_seen: str | None
    count: int


class AddressInterval(BaseModel):
    """One interval of the ingest's IP -> host map: ``host`` held ``ip`` from ``start`` to ``end``."""

    ip: str
    host: str = Field(description="The host's key (`GET /v1/entities/host/{host}`).")
    start: str = Field(description="ISO-8601 UTC.")
    end: str = Field(description="ISO-8601 UTC.")
    source: str = Field(description="How the ingest learnt it: `dhcp` (a granted lease) or `endpoint` (the "
                        "host's own connection events, or a sensor's record naming the sender, such as a "
                        "Kerberos request by the host's machine account).")


class Prevalence(BaseModel):
    """How widely the fleet saw an entity (for a host with telemetry of its own: that telemetry)."""

    hosts: int = Field(description="Distinct hosts that saw it (a host's own figures: 1).")
    first_seen: str | None = Field(description="First sighting, ISO-8601 UTC; null when it has none.")
    last_seen: str | None = Field(description="Newest sighting, ISO-8601 UTC; null when it has none.")
    count: int = Field(description="Sightings (contacts) summed over the hosts.")
    entities: int | None = Field(
        None, exclude_if=_is_none, description="Hosts only: the distinct entities the host was seen with (0 for a host only "
        "named by other machines' events); absent for other entity types.")


class EntityOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "type": "domain", "key": "cdn-img-delivery.example", "value": "cdn-img-delivery.example",
        "props": {"registered_domain": "cdn-img-delivery.example"},
        "prevalence": {"hosts": 65, "first_seen": "2026-11-20T09:00:00.000Z",
                       "last_seen": "2026-11-20T09:09:00.000Z", "count": 130},
        "hosts": [{"host": "ws-0001", "first_seen": "2026-11-20T09:00:00.000Z",
                   "last_seen": "2026-11-20T09:00:00.000Z", "count": 2}],
        "hosts_truncated": False,
    }]})

    type: str
    key: str
    value: str
    props: dict[str, Any] = Field(default_factory=dict)
    prevalence: Prevalence
    hosts: list[HostSeen]
    hosts_truncated: bool = False
    address_map: list[AddressInterval] | None = Field(
        default=None, description="Hosts and IP addresses only: what the ingest's IP -> host map holds "
        "(the addresses a host held, the hosts an address was), newest first, at most 20.")
    address_map_total: int | None = Field(
        default=None, description="With `address_map`: how many intervals the map holds in all.")


class NeighborsOut(BaseModel):
    center: str = Field(description="Node id (`type:key`) of the entity asked for.")
    depth: int
    graph: GraphOut


SearchField = Literal["value", "key", "decoded_command", "text", "sha256", "sha1", "md5", "imphash", "account",
                      "original_file_name", "address"]


class EntityHit(BaseModel):
    type: str
    key: str
    value: str
    matched: SearchField = Field(
        default="value", description="What contained the query: the value, the key, a process's "
        "`decoded_command` (its PowerShell -EncodedCommand, decoded) or a script's `text`; what was "
        "it whole: a file's or process's digest `sha256`, `sha1`, `md5` or `imphash`, or `account`, "
        "a user the query spells in another domain form (`PANDALAB\\name`, `name@pandalab.com`); "
        "or `original_file_name`, the PE OriginalFileName of a renamed file or process (its name "
        "on disk differs: `svcupd.exe` built as `PowerShell.EXE`) that is the query, or contains it "
        "while its value and key do not; or `address`, a host the query (a whole IP address) was, "
        "by the ingest's IP -> host map (`addresses` says when).")
    snippet: str | None = Field(
        default=None, description="For `decoded_command`, `text` and `original_file_name` hits, the "
        "matched property around the first occurrence of the query (attacker-controlled data: show "
        "it as text); for `address` hits, when the host held the address "
        "(`192.168.1.41 was mkt01 2023-08-16 03:55–05:55 UTC (seen in its own traffic)`).")
    addresses: list[AddressInterval] | None = Field(
        default=None, description="Only on `address` hits: the intervals in which the host held the "
        "address, newest first (at most 20 over all the hits).")
    seen_on: list[str] | None = Field(
        default=None, description="Only on hits whose shown labels read alike (same type, values equal on "
        "their first 80 characters, case aside: two processes of one image, two stagers whose command "
        "lines differ only further on): the first hosts, by name, that saw the entity.")
    seen_hosts: int | None = Field(
        default=None, description="With `seen_on`: how many hosts saw the entity.")
    first_seen: str | None = Field(
        default=None, description="With `seen_on`: the entity's first sighting (ISO-8601 UTC), or null "
        "when it has none.")


class EntitySearchOut(BaseModel):
    items: list[EntityHit]
    truncated: bool


class HealthOut(BaseModel):
    status: str
    store: str | None = None


class KeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Role
    name: str = Field("", max_length=100)


CaseBundle.model_rebuild()


class HostEventRow(BaseModel):
    """One journaled event of a host, as the host timeline lists it."""

    id: str = Field(description="The event's id (its evidence: the raw record is in a cluster's evidence).")
    ts: str = Field(description="The event's own time, ISO-8601 UTC.")
    kind: str = Field(description="Namespaced kind (`sysmon:process_create`, `windows:other`...).")
    source: str = Field(description="The format (parser) that read the record.")
    origin: str = Field(description="Where the record came from: `file:line`, `api/<request id>:<line>`, "
                        "`syslog/...`; the data directory reads `<data>`.")
    summary: str = Field(description="One line from the normalised fields the event has (command line, "
                         "target, file, query, URL, destination, user, signature, script, message): "
                         "attacker-controlled text, white space runs as one space, control and format "
                         "characters as U+FFFD, cut at 400 characters.")
    received_at: str | None = Field(
        default=None, description="When a live channel received it (ISO-8601 UTC); null for file ingests.")


class HostEventsOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "host": "pc-helen",
        "items": [{"id": "9f2c...", "ts": "2018-03-24T15:59:37.000Z", "kind": "windows:other",
                   "source": "zeek", "origin": "syslog.log:812", "received_at": None,
                   "summary": "The Multimedia Class Scheduler service entered the stopped state."}],
        "total": 88, "total_capped": False, "next_before": "1521903577.0:4711",
    }]})

    host: str = Field(description="The host as the journal keys it (normalised: `WORKSTATION5.corp` -> "
                      "`workstation5`).")
    items: list[HostEventRow] = Field(description="The page, newest first (ties by journal order).")
    total: int = Field(description="Events of the host matching `since`, `until` and `kind` (all pages); "
                       "at most 10,000, see `total_capped`.")
    total_capped: bool = Field(description="True when the count stopped at 10,000: more events match.")
    next_before: str | None = Field(description="Pass as `before` for the next (older) page; null on the last.")
