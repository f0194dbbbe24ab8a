"""Entities of the ``/v1`` API: look-up, neighbours, search and a host's timeline (re-exported by
:mod:`graphsiem.api.schemas`)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from graphsiem.api.schemas_evidence import GraphOut, MappedHost, absent_if_none
from graphsiem.api.schemas_ingest import KeptClockGap


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
        None, exclude_if=absent_if_none, description="Hosts only: the distinct entities the host was seen with (0 for a host only "
        "named by other machines' events); absent for other entity types.")
    logon_targets: int | None = Field(
        None, exclude_if=absent_if_none, description="Users only: the distinct machines (hosts, or addresses no "
        "host maps) the user logged on to or was validated at (``LOGGED_ON``, ``VALIDATED_AT``); its first and last "
        "logon or validation count in ``first_seen``/``last_seen`` too, so a user seen only in network "
        "telemetry is dated.  ``hosts`` stays the hosts whose own events named it.")
    logon_target_names: list[str] | None = Field(
        None, exclude_if=absent_if_none, description="Users only, with `logon_targets`: the first 10 of those "
        "machines by name (a host's name, or an address no host maps), sorted; "
        "`logon_target_names_truncated` says whether more exist.")
    logon_target_names_truncated: bool | None = Field(
        None, exclude_if=absent_if_none, description="With `logon_target_names`: the user logged on to or was "
        "validated at more machines than it names.")
    detected_on: int | None = Field(
        None, exclude_if=absent_if_none, description="Files only, when an antivirus detected it: the distinct "
        "hosts whose detection names it (``host DETECTED file``).  A detection is no sighting, so ``hosts`` and "
        "``count`` leave them out, but their first and last detections count in ``first_seen``/``last_seen``.")
    detected_on_hosts: list[str] | None = Field(
        None, exclude_if=absent_if_none, description="With `detected_on`: the first 10 of those hosts by name, "
        "sorted (the page names them beside the count); `detected_on_hosts_truncated` says whether more exist.")
    detected_on_hosts_truncated: bool | None = Field(
        None, exclude_if=absent_if_none, description="With `detected_on`: more hosts detected the file than "
        "`detected_on_hosts` names.")
    detected_files: int | None = Field(
        None, exclude_if=absent_if_none, description="Hosts only, when its antivirus detected something: the "
        "distinct files it detected (``host DETECTED file``); their dates count in ``first_seen``/``last_seen``, "
        "and a host whose only events are detections is ``hosts`` 1.")
    alerts: int | None = Field(
        None, exclude_if=absent_if_none, description="Addresses and hosts an IDS alert names (``ALERTED``, as "
        "source or target): the alerts summed over those edges.  An alert is no sighting: ``hosts`` stays the "
        "fleet hosts whose own telemetry saw the entity (0 for an address only a sensor saw), and the alerts' "
        "first and last count in ``first_seen``/``last_seen``.")
    alert_peers: int | None = Field(
        None, exclude_if=absent_if_none, description="With `alerts`: the distinct other ends of those alerts "
        "(the scanners of a target, the targets of a scanner).")
    alert_peer_names: list[str] | None = Field(
        None, exclude_if=absent_if_none, description="With `alerts`: the first 10 other ends by name, sorted; "
        "`alert_peer_names_truncated` says whether more exist.")
    alert_peer_names_truncated: bool | None = Field(
        None, exclude_if=absent_if_none, description="With `alert_peer_names`: more ends than it names.")


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
                      "original_file_name", "address", "signature", "event"]


class EntityHit(BaseModel):
    type: str
    key: str
    value: str
    kind: str | None = Field(default=None, exclude_if=absent_if_none, description="`registry` for a `file` hit that is a "
                             "registry key or value (the graph keeps those as files, as cluster members' `kind` "
                             "says); absent otherwise.")
    matched: SearchField = Field(
        default="value", description="What contained the query: the value, the key, a process's "
        "`decoded_command` (its PowerShell -EncodedCommand, decoded) or a script's `text`; what was "
        "it whole: a file's or process's digest `sha256`, `sha1`, `md5` or `imphash`, or `account`, "
        "a user the query spells in another domain form (`PANDALAB\\name`, `name@pandalab.com`); "
        "or `original_file_name`, the PE OriginalFileName of a renamed file or process (its name "
        "on disk differs: `svcupd.exe` built as `PowerShell.EXE`) that is the query, or contains it "
        "while its value and key do not; or `address`, a host the query (a whole IP address) was, "
        "by the ingest's IP -> host map (`addresses` says when); or `signature`, an address or host "
        "an IDS alert with a signature containing the query came from or went to (`ALERTED`); or "
        "`event`, a host whose journaled events are of the Windows event the query names by id or "
        "name (`1102`, `log cleared`).")
    snippet: str | None = Field(
        default=None, description="For `decoded_command`, `text` and `original_file_name` hits, the "
        "matched property around the first occurrence of the query (attacker-controlled data: show "
        "it as text); for `address` hits, when the host held the address "
        "(`192.168.1.41 was mkt01 2023-08-16 03:55–05:55 UTC (seen in its own traffic)`); for "
        "`signature` hits, the most alerted signature that contains it (sensor text); for `event` "
        "hits, the event and how many the host logged (`1102 / 104 log cleared …: 3 events`).")
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
                         "characters written as their codes (`\\u202e`), cut at 400 characters.")
    received_at: str | None = Field(
        default=None, description="When a live channel received it (ISO-8601 UTC); null for file ingests.")
    tied: Literal["reported", "ip_map"] = Field(
        default="reported",
        description="How the event is the host's: `reported` (the host's own record names it) or `ip_map` (a "
                    "network sensor's record naming no host, whose source or destination address the IP -> host "
                    "map held for this host at the event's time; the page marks it \"(by IP map)\").")
    mapped: list[MappedHost] = Field(
        default_factory=list,
        description="For an `ip_map` row: the map's interval of each address of the event that was this host's "
                    "then (source first); empty for a `reported` row.")


class HostEventsOut(BaseModel):
    """A page of a host's timeline (``GET /v1/entities/host/{name}/events``): its journaled events,
    newest first, how many match in all, and the cursor of the next, older page."""

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
    clock_gaps: list[KeptClockGap] = Field(
        default_factory=list, description="When the latest ingest of this host's records found its own clock two "
        "minutes or more from a sensor's (`offset_s`: the host's minus the sensor's): its events are dated by "
        "its clock, the sensor rows beside them by the sensor's. No time is changed.")
