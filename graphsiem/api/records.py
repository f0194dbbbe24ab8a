"""Records of the service state: roles, keys, triage, audit, runs, cluster snapshots.

Plain frozen dataclasses and enums, no I/O; :mod:`graphsiem.api.state` reads
and writes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Role(StrEnum):
    """API key roles.  ``admin`` may do everything."""

    INGEST = "ingest"
    ANALYST = "analyst"
    ADMIN = "admin"


class Status(StrEnum):
    OPEN = "open"
    INVESTIGATING = "investigating"
    CLOSED = "closed"


class Verdict(StrEnum):
    MALICIOUS = "malicious"
    BENIGN = "benign"


@dataclass(slots=True, frozen=True)
class ApiKey:
    """A key as stored: never the secret itself, only its SHA-256."""

    id: str
    name: str
    role: Role
    created_at: float
    revoked_at: float | None = None

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


@dataclass(slots=True, frozen=True)
class Triage:
    cluster_id: str
    status: Status
    verdict: Verdict | None
    assignee: str | None
    updated_at: float | None
    updated_by: str | None
    version: int = 0
    """Raised by one on every write of the triage (graphsiem.api.state_triage); 0 never triaged."""


@dataclass(slots=True, frozen=True)
class AuditEntry:
    id: int
    cluster_id: str
    at: float
    actor: str
    field: str
    old: str | None
    new: str | None


@dataclass(slots=True, frozen=True)
class Suppression:
    pivot_type: str
    pivot_key: str
    cluster_id: str
    created_at: float
    created_by: str


@dataclass(slots=True, frozen=True)
class DetectionRun:
    id: str
    status: str  # queued | running | done | failed
    trigger: str  # api | schedule
    requested_at: float
    requested_by: str
    started_at: float | None = None
    finished_at: float | None = None
    duration_s: float | None = None
    cluster_count: int | None = None
    error: str | None = None


@dataclass(slots=True, frozen=True)
class ClusterRow:
    """The stored snapshot of one cluster (its contract dict) and its triage."""

    id: str
    score: float
    host_count: int
    entity_count: int
    pivot_type: str
    pivot_key: str
    first_seen: float | None
    last_seen: float | None
    detection_id: str
    is_active: bool
    data: dict[str, Any]
    triage: Triage
