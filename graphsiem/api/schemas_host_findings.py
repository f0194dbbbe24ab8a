"""The ``host_finding`` record of a host finding in the API (analytics/host_finding_words.py).

Command lines, image names and what matched quote attacker text: data, shown as text only.
"""

from __future__ import annotations

from pydantic import BaseModel, Field


class HostFindingRule(BaseModel):
    """One rule the host's events hit."""

    rule: str = Field(description="`lsass_read`, `log_cleared`, `renamed_tool`, `script_stager`, `remote_exec`, "
                      "`defence_change`, `lolbin_download`, `adfs_key_read`, `service_stager`, `cmd_stager`, "
                      "`obfuscated_cradle`, `network_stager` or `raw_disk_read` (analytics/host_finding_rules.py).")
    title: str
    risk: float = Field(description="The rule's fixed risk; the finding's is its worst rule's.")
    attack: list[str] = Field(description="MITRE ATT&CK technique ids.")
    hits: int


class HostFindingHit(BaseModel):
    """One event a rule matched."""

    rule: str
    host: str = Field("", description="The host the event is of (a finding on several hosts lists them all).")
    at: str | None
    event_id: str = Field(description="The journal event (GET /v1/events/{event_id}).")
    image: str = Field(description="The process the rule is about, as the event wrote it (empty for a cleared log).")
    command_line: str
    parent: str
    matched: str = Field(description="What matched, in plain words.")
    subject: str = Field(description="`rule:<hash>` of what matched: what a benign verdict records.")


class HostFindingRecord(BaseModel):
    """A host finding: the single-host rules one host's events hit in the window, or one act (rule and
    build or command line) on several hosts that no fan-out cluster holds (analytics/host_finding_groups.py)."""

    host: str = Field(description="The host; of a finding on several, the first by name (a verdict's pivot).")
    hosts: list[str] = Field(default_factory=list, description="Every host of the finding, by name (one for a "
                             "host's own case; several for one act seen on them all).")
    risk_rule: str = Field(description="The worst rule: it sets the finding's risk.")
    rules: list[HostFindingRule]
    start: str | None
    end: str | None
    hits: list[HostFindingHit] = Field(description="Each host's first hit (its own command line), then the "
                                       "others in time order: every host's first and 49 more.")
    hits_total: int
    subjects: list[str] = Field(description="Every hit's subject: a benign verdict covers a later finding on the "
                                "host only when all of its subjects are among these.")
    carried_hits: int = Field(description="Hits on the host a fan-out cluster's process holds (in that cluster).")
    new_hosts: list[str] = Field(default_factory=list, description="Of a finding on several hosts some of whose "
                                 "acts a benign verdict judged: the hosts whose acts nobody judged (empty otherwise).")
