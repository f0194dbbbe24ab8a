"""Request and response bodies of the ``/v1`` API (pydantic v2, with examples).

The models live in one module per part of the API, all re-exported here, so
``from graphsiem.api.schemas import ClusterDetail`` keeps working:

- :mod:`graphsiem.api.schemas_ingest`: the ingest report (``POST /v1/events``, ``/v1/files``);
- :mod:`graphsiem.api.schemas_evidence`: entity references, a subgraph, journaled evidence events;
- :mod:`graphsiem.api.schemas_clusters`: the queue, a cluster whole, its explanation, triage and audit;
- :mod:`graphsiem.api.schemas_detections`: detection runs and a backtest's clusters;
- :mod:`graphsiem.api.schemas_entities`: entity look-up, neighbours, search and a host's timeline.

This module keeps the service's own small bodies (health, a new key).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from graphsiem.api.schemas_clusters import (
    AuditOut,
    CaseBundle,
    ClusterDetail,
    ClusterPage,
    ClusterSummary,
    ExplanationCheck,
    ExplanationOut,
    FeatureContributionOut,
    SuppressionOut,
    TriageOut,
    TriagePatch,
)
from graphsiem.api.schemas_detections import (
    BacktestCluster,
    BacktestClustersOut,
    DetectionOut,
    HostSpanOut,
    StoredPivot,
)
from graphsiem.api.schemas_entities import (
    AddressInterval,
    EntityHit,
    EntityOut,
    EntitySearchOut,
    HostEventRow,
    HostEventsOut,
    HostSeen,
    NeighborsOut,
    Prevalence,
    SearchField,
)
from graphsiem.api.schemas_evidence import (
    ClusterMember,
    EdgeSignature,
    EdgeTallyEntry,
    EntityKeyRef,
    EntityRef,
    EvidenceEvent,
    EvidenceRef,
    GraphEdge,
    GraphNode,
    GraphOut,
    JournalEvent,
    MappedHost,
    Pivot,
)
from graphsiem.api.schemas_ingest import AssumedYear, FormatCounts, IngestReport, Rejection
from graphsiem.api.state import Role

__all__ = [
    "AddressInterval", "AssumedYear", "AuditOut", "BacktestCluster", "BacktestClustersOut", "CaseBundle",
    "ClusterDetail", "ClusterMember", "ClusterPage", "ClusterSummary", "DetectionOut", "EdgeSignature",
    "EdgeTallyEntry", "EntityHit", "EntityKeyRef", "EntityOut", "EntityRef", "EntitySearchOut", "EvidenceEvent",
    "EvidenceRef", "ExplanationCheck", "ExplanationOut", "FeatureContributionOut", "FormatCounts", "GraphEdge",
    "GraphNode", "GraphOut", "HealthOut", "HostEventRow", "HostEventsOut", "HostSeen", "HostSpanOut",
    "IngestReport", "JournalEvent", "KeyCreate", "MappedHost", "NeighborsOut", "Pivot", "Prevalence", "Rejection",
    "SearchField", "StoredPivot", "SuppressionOut", "TriageOut", "TriagePatch",
]


class HealthOut(BaseModel):
    status: str
    store: str | None = None


class KeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Role
    name: str = Field("", max_length=100)
