"""The cluster queue of the ``/v1`` API: summaries, pages, a cluster whole, its explanation, triage,
audit, suppressions and case bundle (re-exported by :mod:`graphsiem.api.schemas`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from graphsiem.api.schemas_antivirus import AntivirusRecord

if TYPE_CHECKING:  # resolved by graphsiem.api.schemas_detections, which imports this module
    from graphsiem.api.schemas_detections import DetectionOut
from graphsiem.api.schemas_evidence import (
    ClusterMember,
    EntityKeyRef,
    EntityRef,
    EvidenceEvent,
    GraphOut,
    Pivot,
)
from graphsiem.api.schemas_host_findings import HostFindingRecord
from graphsiem.api.services.keys import key_name_problem
from graphsiem.api.state import Status, Verdict
from graphsiem.api.triage_text import control_character

_CLUSTER_ID = "3f2a9c41d0b84e6f9a7c1e2d3b4a5f60"


class TriageOut(BaseModel):
    status: Status = Status.OPEN
    verdict: Verdict | None = None
    assignee: str | None = None
    updated_at: str | None = None
    updated_by: str | None = None
    version: int = Field(0, description="Raised by one on every write of this triage (0: never triaged); "
                         "the cluster's ETag. Send it as `If-Match` on PATCH to refuse (412) a change "
                         "made on a triage someone else has changed since.")
    benign_when_source: list[str] | None = Field(None, description=(
        "The source hosts a benign verdict holds for (sent as `benign_when_source`): the same act from "
        "any other host is shown. Null for a benign verdict on any source, and for any other verdict."))


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
    ordinary_score: float | None = Field(
        None, description="The risk an ordinary cluster of its detection scores (every feature at its "
        "median): its risk minus its features' contributions, the line the explanation's caption draws. "
        "A cluster at or below it is no more unusual than the typical candidate (the page folds those "
        "as low signal). Null when it has no scored features (a credential, antivirus or host finding).")
    lateral_source_hosts: list[str] = Field(
        default_factory=list, description="The hosts its network log-ons came from (the hosts its "
        "`lateral_sources` name), sorted: what a benign verdict can be held for (`benign_when_source`); "
        "the page's bulk *mark benign* holds each cluster's verdict for its own. Empty when none is named.")
    triage: TriageOut


class CarriedVerdictOut(BaseModel):
    """A benign verdict a run carried to a product's new build (a detection record's ``verdicts_carried``)."""

    pivot: list[str] = Field(description="The judged behaviour pivot `[type, key]` whose verdict carried: the "
                             "new build's cluster took its key and was left out as the judged one is.")
    judged_build: str = Field(description="The judged build's image digest, `<algorithm> <hex>`.")
    build: str = Field(description="The new build's image digest: every host of it ran the judged build before "
                       "the window.  Where the telemetry names the builds' signers (Sysmon 7, ECS "
                       "`code_signature`), the new build is signed, valid and by the judged build's signer; "
                       "where it names none, a trojanised update pushed to the same hosts looks the same: "
                       "confirm it is the vendor's.")
    hosts: int = Field(description="Hosts the new build ran on in the window.")
    judged_hosts: int = Field(description="Hosts the verdict was given on (all among them).")
    judged_signer: str | None = Field(None, description="The judged build's signer as the telemetry said it "
                                      "(`Contoso Ltd (Valid)`, `unsigned`); null when none is known.")
    signer: str | None = Field(None, description="The new build's signer, likewise; null when none is known.")
    refused: str | None = Field(None, description="In `verdicts_refused` only: why the signers stopped the "
                                "carry (`signer changed: Contoso Ltd (Valid) → unsigned`); the new build's "
                                "cluster is shown.")


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
    verdicts_carried: list[CarriedVerdictOut] = Field(
        default_factory=list, description="The benign verdicts the newest finished detection that is not a "
        "backtest carried to a product's new build, their clusters left out of the queue: its record's "
        "`verdicts_carried` (`GET /v1/detections/{id}`), on every page, so a client polling the queue need "
        "not read the runs too.  A run that carried the same leaves the page's bytes and ETag as they were.")
    suppressed_by_verdicts: int = Field(
        0, description="Clusters benign verdicts keep out of the queue: no longer detected (their pivot "
        "suppressed), judged benign, not continued under another id. The queue without a `status` or "
        "`verdict` filter leaves them out; `?verdict=benign` lists them.")
    total: int = Field(
        0, description="How many clusters these filters list over all pages (the same on every page): "
        "a client that reads only the first pages can say how many it left out.")
    latest_detection: DetectionOut | None = Field(
        None, description="On the first page of an empty queue only: the newest detection run that is "
        "not a backtest, whatever its status, as `GET /v1/detections` lists it (null before any run, "
        "and on a page with clusters, whose bytes a detection that changed nothing leaves alone). It "
        "says why the queue is empty without a second request.")
    inactive_clusters: int | None = Field(
        None, description="On the first page of an empty queue only: stored clusters the latest "
        "detection did not produce (`include_inactive=true` lists them); null on other pages.")


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


class CredentialAccount(BaseModel):
    """One account a credential finding's attempts tried, in its window."""

    account: str
    attempts: int
    failures: int
    successes: int
    compromised: bool = Field(description="It succeeded after failing (the finding's `compromised`).")


class CredentialCount(BaseModel):
    """A claimed workstation name or a source address, and the attempts that gave it."""

    label: str = Field(description="As the client sent it: a claimed name is a claim, never a host.")
    count: int


class CredentialOutcome(BaseModel):
    """An outcome (`success`, `failure <status>`) with what the status means, and its attempts."""

    label: str
    count: int
    meaning: str


class CredentialCompromise(BaseModel):
    """A success after a run of failures: the likely compromise."""

    account: str
    at: str | None
    failures_before: int
    workstation: str | None = None
    source_ip: str | None = None
    host: str | None = Field(None, description="The host the log-on succeeded on (a merged finding's, or a "
                             "spread spray's, is one of its `validators`).")
    event_id: str
    privileges: list[str] = Field(default_factory=list, description="The special privileges Windows gave "
                                  "the log-on's own session (its Security 4672: `SeDebugPrivilege`...), as "
                                  "written: an administrator's session; empty when it was given none.")
    privileges_event_id: str | None = Field(None, description="That 4672's event (in `evidence`, after the "
                                            "log-on's); null when none.")


class CredentialMergeGround(BaseModel):
    """Why a credential finding's hosts are one finding (analytics/credential_merge.py)."""

    ground: str = Field(description="`shared_source` (failures from the same claimed name or address) or "
                        "`shared_accounts` (the same account list failing on each host in the same minutes).")
    values: list[str] = Field(description="The sources or accounts shared, sorted; the first 50.")
    total: int
    start: str | None = Field(default=None, description="For shared accounts: the first of their failures.")
    end: str | None = None


class CredentialRecord(BaseModel):
    """A credential finding (analytics/credential_words.py): the attempts on one validating host."""

    pattern: str = Field(description="The worst pattern: `likely_compromise`, `password_spray`, `brute_force`, "
                         "`rotating_workstations` or `ssh_guessing` (an SSH bot's default names).")
    patterns: dict[str, list[str]] = Field(description="Each pattern found and the accounts it was found for.")
    validator: str = Field(description="The host that validated the credentials (a domain controller).")
    validators: list[str] = Field(default_factory=list, description="Every host the same source's attempts "
                                  "reached, the pivot `validator` first (one spray across thirty workstations is "
                                  "one finding); the first 50.")
    validators_total: int = Field(default=1, description="How many hosts the finding's attempts reached.")
    start: str | None
    end: str | None
    accounts: list[CredentialAccount] = Field(description="The 50 most attempted accounts.")
    accounts_total: int
    workstations: list[CredentialCount] = Field(description="The 50 most claimed workstation names.")
    workstations_total: int
    source_ips: list[CredentialCount]
    source_ips_total: int
    outcomes: list[CredentialOutcome]
    compromised: list[CredentialCompromise]
    merged_by: list[CredentialMergeGround] = Field(
        default_factory=list, description="Why the hosts in `validators` are one finding; empty for one host.")


class LateralProcess(BaseModel):
    """A remote-execution process the source host ran that names a cluster host as its target."""

    key: str
    value: str = Field(description="The command line (plain text: never markup, never run).")
    targets: list[str] = Field(description="The cluster hosts the command line names, by name or by an address "
                               "(`addresses`).")
    addresses: dict[str, str] = Field(default_factory=dict, description="Targets written as an address "
                                      "(`wmic /node:10.1.2.3`, `\\\\10.1.2.3\\`): address -> the cluster host the "
                                      "time-aware IP map placed it on when the command ran.")
    first_seen: str | None = None


class LateralSource(BaseModel):
    """The host a cluster's network log-ons came from (analytics/lateral_sources.py)."""

    ip: str = Field(description="The log-ons' source address (a member of the cluster).")
    host: str | None = Field(description="The host the time-aware IP map held the address on at the log-ons' "
                             "time; null when it held none, or not one host for all of them.")
    first_seen: str | None = None
    last_seen: str | None = None
    targets: list[str] = Field(description="The cluster hosts the address logged on to.")
    processes: list[LateralProcess] = Field(
        default_factory=list, description="The source host's processes in the window whose command line names "
        "a cluster host as its remote target (wmic /node:, PsExec \\\\host, winrs -r:, -ComputerName...); "
        "their events are in `evidence`.")


class ClusterDetail(ClusterSummary):
    """One cluster whole: the summary's fields plus the rest of the PRODUCT.md contract
    (``explanation``, ``evidence``), the scored ``features``, members and subgraph."""

    features: dict[str, float | None] = Field(
        default_factory=dict, description="The scored feature values by name (their baselines and "
        "contributions: `explanation.features`).")
    explanation: ExplanationOut = Field(default_factory=ExplanationOut)
    members: list[ClusterMember] = Field(default_factory=list, description="The cluster's entities, pivot first.")
    subgraph: GraphOut | None = Field(
        None, description="The members' subgraph; null when `?include=` leaves it out.")
    evidence: list[EvidenceEvent] | None = Field(
        default_factory=list, description="The journaled events behind the cluster; null when "
        "`?include=` leaves them out.")
    credential: CredentialRecord | None = Field(
        default=None, description="A credential finding's attempts (password spray, brute force, rotating "
        "claimed workstations, likely compromise on one validating host); null on a fan-out cluster.")
    antivirus: AntivirusRecord | None = Field(
        default=None, description="An antivirus finding: one threat's detections no fan-out cluster carries, "
        "its hosts, files and what the products did; null on other clusters.")
    host_finding: HostFindingRecord | None = Field(
        default=None, description="A host finding: single-host rules (LSASS read, renamed tool, log cleared, "
        "encoded PowerShell from a script host, LOLBin download...) one host's events hit; null on other clusters.")
    lateral_sources: list[LateralSource] = Field(
        default_factory=list, description="The hosts the cluster's address members logged on from, as the IP map "
        "placed them at the log-ons' time, and their remote-execution processes; empty when it has none.")


class AuditOut(BaseModel):
    id: int
    at: str
    actor: str
    field: str
    old: str | None = None
    new: str | None = None


class CaseBundle(BaseModel):
    """A self-contained export of a cluster for a case or ticketing system."""

    format: str = "graphsiem.case-bundle/v1"
    exported_at: str
    exported_by: str
    cluster: ClusterDetail
    audit: list[AuditOut]


SourceHost = Annotated[str, StringConstraints(min_length=1, max_length=255)]
"""A source host named in ``benign_when_source``."""


class TriagePatch(BaseModel):
    """Triage changes; omitted fields stay as they are; ``verdict: null`` clears it."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"status": "investigating", "assignee": "alice", "note": "checking the PNG downloads"},
        {"verdict": "benign", "note": "MSP inventory script"},
        {"verdict": "benign", "benign_when_source": "it-0005", "note": "IT's monthly PsExec inventory"},
        {"benign_when_source": None, "note": "every admin host runs it: benign from any source"},
        {"benign_when_source": ["it-0007"], "note": "moved to the new inventory server"},
    ]})

    status: Status | None = None
    verdict: Verdict | None = None
    assignee: str | None = Field(None, max_length=200, description=(
        "Who works the case; no control, format (bidi override, zero-width) or line-separator character."))
    note: str | None = Field(None, min_length=1, max_length=10_000, description=(
        "Logged in the audit trail; newline and tab are the only control characters allowed."))
    benign_when_source: SourceHost | Annotated[list[SourceHost], Field(min_length=1, max_length=100)] | None = Field(
        None, description=(
            "With a benign verdict (sent or already set): it holds only when the act comes from these "
            "hosts, ones the cluster's `lateral_sources` name; a later episode from another host is shown, "
            "naming it. A host name on a case already benign adds that host; a list is the exact set of "
            "hosts it holds for (narrow it, or move it to another source); `null` sent on a benign verdict "
            "makes it hold for any source (widen it). A change of the set raises the triage version and "
            "is audited as `benign_when_source` (null: any source)."))

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


class SuppressionOut(BaseModel):
    pivot: Pivot
    cluster_id: str
    created_at: str
    created_by: str
    benign_when_source: list[str] | None = Field(None, description=(
        "The source hosts the suppression holds for: the pivot's log-ons from any other host are still "
        "shown. Null: it holds whatever the source."))
