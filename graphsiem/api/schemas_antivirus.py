"""The ``antivirus`` record of an antivirus finding in the API (analytics/antivirus_finding_words.py).

Threat names and paths are the vendor's and the file writer's: data, shown as text only.
"""

from __future__ import annotations

from pydantic import BaseModel, Field


class AntivirusCount(BaseModel):
    """A label (a product) and how many detections gave it."""

    label: str
    count: int


class AntivirusHost(BaseModel):
    """One host's detections of the threat."""

    host: str
    remediated: bool = Field(description="The product quarantined, removed or blocked it there and logged no failure.")
    actions: dict[str, int] = Field(description="What the products did there (`quarantined`, `removed`, `blocked`, "
                                    "`allowed`, `failed`, `detected`: found, not acted on, `other`), counted.")
    files: list[str] = Field(description="The files detected there, as written (the first 5).")
    resources: list[str] = Field(default_factory=list, description="The resources that are no file detected there "
                                 "(a registry key, a process, a behaviour), in words (the first 5).")


class AntivirusFile(BaseModel):
    """One file detected with the threat."""

    key: str = Field(description="The file entity's key (its path, lower case; `path:`… for a claim that is no path).")
    path: str
    hosts: int = Field(description="Hosts of the finding that detected it.")


class AntivirusResource(BaseModel):
    """One resource that is no file detected with the threat: a registry key, a process, a behaviour, memory."""

    key: str = Field(description="The resource node's key (`avresource:<kind>:<text, lower case>`).")
    kind: str = Field(description="Defender's scheme: `regkey`, `process`, `behavior`, `wmi`…; `none` when it named "
                      "nothing (a memory scan).")
    resource: str = Field(description="The resource as the product wrote it (attacker text: data only).")
    words: str = Field(description="The kind in words, then the resource (`registry key HKLM\\…`).")
    hosts: int = Field(description="Hosts of the finding that detected it.")


class AntivirusRecord(BaseModel):
    """An antivirus finding: one threat's detections that no fan-out cluster carries."""

    threat: str = Field(description="The threat as the vendor names it (else the file, for detections naming none).")
    outcome_class: str = Field(description="`not_remediated` (risk 80), `remediated_on_many` (50: 5 hosts or more) "
                               "or `remediated` (20).")
    risk_reason: str
    products: list[AntivirusCount]
    start: str | None
    end: str | None
    hosts: list[AntivirusHost] = Field(description="The hosts, those it may still be on first; the first 50.")
    hosts_total: int
    hosts_not_remediated: int
    files: list[AntivirusFile] = Field(description="The files, the most detected first; the first 50.")
    files_total: int
    resources: list[AntivirusResource] = Field(default_factory=list, description="The resources that are no file "
                                               "(memory, registry, behaviour detections), the most detected first; "
                                               "the first 50.")
    resources_total: int = 0
    carried_hosts: list[str] = Field(default_factory=list, description="Hosts whose detections of the threat are in "
                                     "the fan-out cluster of the file they ran (its step and risk floor).")
    carried_hosts_total: int = 0
