"""Detection runs of the ``/v1`` API: a run's record and a backtest's clusters (re-exported by
:mod:`graphsiem.api.schemas`)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from graphsiem.api.schemas_clusters import CarriedVerdictOut, ClusterPage, ExplanationOut
from graphsiem.api.schemas_evidence import (
    ClusterMember,
    EntityKeyRef,
    EntityRef,
    EvidenceRef,
    absent_if_none,
)


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
    verdicts_carried: list[CarriedVerdictOut] | None = Field(
        default=None, description="Benign verdicts on a behaviour shape this run carried to the product's new "
        "build on hosts that all ran the judged build (its cluster left out): weaker than a verdict given, "
        "listed for the analyst to confirm.  Null for a run before this field existed.")
    verdicts_refused: list[CarriedVerdictOut] | None = Field(
        default=None, description="Carries the builds' signers stopped (each with `refused`: why, e.g. the new "
        "build unsigned or signed by another subject): their clusters are shown.  Null for a run before "
        "this field existed.")
    detection_config: str | None = Field(
        default=None, description="The detection settings file the run started from (the service's "
        "GRAPHSIEM_DETECTION_CONFIG / `serve --detection-config`, read at start); null: the defaults.")
    detection_config_sha256: str | None = Field(
        default=None, description="SHA-256 (hex) of that file as the service read it: runs with the same "
        "digest used the same settings.")


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
    entity_keys: list[EntityKeyRef] | None = Field(None, exclude_if=absent_if_none)
    first_seen: str | None = None
    last_seen: str | None = None
    pivot: StoredPivot | None = None
    members: list[ClusterMember] = Field(default_factory=list)
    features: dict[str, float | None] | None = Field(None, exclude_if=absent_if_none)
    explanation: ExplanationOut | None = Field(None, exclude_if=absent_if_none)
    evidence: list[EvidenceRef] = Field(default_factory=list)
    score_confidence: str | None = Field(None, exclude_if=absent_if_none)
    first_seen_ts: float | None = Field(None, exclude_if=absent_if_none, description="`first_seen` as epoch seconds.")
    last_seen_ts: float | None = Field(None, exclude_if=absent_if_none, description="`last_seen` as epoch seconds.")


class BacktestClustersOut(BaseModel):
    """A backtest's clusters, kept apart from the queue (``GET /v1/detections/{id}/clusters``)."""

    detection_id: str = Field(description="The backtest run's id.")
    now: str | None = Field(description="The `now` it ran at, ISO-8601 UTC.")
    clusters: list[BacktestCluster] = Field(description="Highest risk first.")


# ClusterPage names DetectionOut (an empty queue's newest run) and this module imports
# schemas_clusters: the name is resolved here, once both exist.
ClusterPage.model_rebuild(_types_namespace={"DetectionOut": DetectionOut})
