"""What a cluster is made of in ``/v1`` answers: entity references, its subgraph and its evidence events
(re-exported by :mod:`graphsiem.api.schemas`)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


def absent_if_none(value: object) -> bool:
    """For ``exclude_if``: a field some answers do not have is left out of them, not sent as null."""
    return value is None


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


class ClusterMember(BaseModel):
    """One entity of a cluster, by its graph key and its shown value."""

    type: str = Field(description="Entity type (`domain`, `process`, `file`...).")
    key: str | None = Field(None, exclude_if=absent_if_none, description="Its graph key (`GET /v1/entities/{type}/{key}`); a file keyed by "
                            "its SHA-256 shows its path as value.  Null for clusters stored before keys were kept.")
    value: str = Field(description="Its shown value.")
    kind: str | None = Field(None, exclude_if=absent_if_none, description="`registry` for a `file` member "
                             "that is a registry key or value (the graph keeps those as files); absent otherwise.")


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
    at_least: bool | None = Field(None, exclude_if=absent_if_none, description=(
        "True when `alerts` is a lower bound: the edge saw more than 200 signatures, so the store's "
        "bounded record (the most alerted 200) took counts off the ones it kept; absent when exact."))


class EdgeTallyEntry(BaseModel):
    """One label of an edge's tally and how often it was seen (``failure 0xc000006a`` x 180)."""

    label: str
    count: int
    at_least: bool | None = Field(None, exclude_if=absent_if_none, description=(
        "True when `count` is a lower bound: the tally saw more than 200 labels, so the store's bounded "
        "record (the most counted 200) took counts off the ones it kept; absent when exact."))
    meaning: str | None = Field(None, exclude_if=absent_if_none, description=(
        "What the label means in plain words: an `outcomes` failure status's (`wrong password` for "
        "`failure 0xc000006a`, NTLM and Kerberos) or the `account_domain` `unknown`'s; absent otherwise."))


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
        None, exclude_if=absent_if_none, description="When a live channel (syslog listener, POST /v1/events, /v1/files) received it, "
        "ISO-8601 UTC; absent for files ingested with `graphsiem ingest`.")
    received_late_s: float | None = Field(
        None, exclude_if=absent_if_none, description="With `received_at`, when it arrived after the time it claims: receipt minus "
        "`ts`, seconds; absent otherwise.")
    summary: str = Field("", description="One line saying what the event did, as the host timeline's rows say it "
                         "(`guest failed NTLM validation from claimed workstation kali: wrong password`, a command "
                         "line, a query...): attacker-controlled text, white space runs as one space, control and "
                         "format characters made visible, cut at 400 characters; empty when no known field says.")


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


class EvidenceRef(BaseModel):
    """An event behind a cluster, by id (read it with `GET /v1/evidence?ids=`)."""

    source: str | None = None
    event_id: str
