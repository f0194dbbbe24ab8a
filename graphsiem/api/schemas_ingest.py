"""The ingest report of the ``/v1`` API: ``POST /v1/events`` and ``/v1/files`` answers (re-exported by :mod:`graphsiem.api.schemas`)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


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


class ClockGap(BaseModel):
    """A host whose own clock and a sensor's disagree on records both dated (``ingest.sensor_clock_gaps``)."""

    host: str = Field(description="The host whose clock dated its records (their syslog header).")
    sender: str = Field(description="The address the sensor saw the records come from.")
    sensor: str = Field(description="What captured them with its own clock (`zeek`).")
    offset_s: float = Field(description="The median of the host's time minus the sensor's, seconds "
                            "(negative: the host is behind). No timestamp was shifted.")
    min_s: float
    max_s: float
    records: int = Field(description="Records both clocks dated.")
    note: str = Field(description="The warning in words, as `graphsiem ingest` prints it.")


class LocalizedText(BaseModel):
    """Windows events rendered in a language other than English, recognised and not read."""

    language: str = Field(description="`de`: German.")
    event_id: int
    records: int


class UnboundChannel(BaseModel):
    """A channel whose records named hosts the operator's table does not bind it to (``ingest.channel_hosts``)."""

    channel: str = Field(description="`key:<key id>` (this request's key) or `syslog:<peer address>`.")
    records: int = Field(description="Accepted records naming a host outside the channel's binding "
                         "(`GRAPHSIEM_CHANNEL_HOSTS`): journaled and projected, marked "
                         "`graphsiem.unbound_channel`, but they taught no host's clock and no address.")


class KeptClockGap(ClockGap):
    """A clock gap kept in the journal (``ingest.journal_clock_gaps``): the latest ingest's measure of the pair."""

    measured_at: str = Field(description="When that ingest measured it (ISO 8601, UTC).")

    @classmethod
    def of(cls, gap: dict) -> KeptClockGap:
        """From a row of ``ingest.journal_clock_gaps.kept_clock_gaps``."""
        from graphsiem.model import epoch_to_iso

        return cls(**{**gap, "measured_at": epoch_to_iso(gap["measured_at"]) or ""})


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
    clock_gaps: list[ClockGap] = Field(
        default_factory=list, description="Hosts whose clock is two minutes or more from a sensor's on "
        "the same records (a Windows event sent by syslog: its header's time against Zeek's capture "
        "time), the widest first; a warning, no time is changed.")
    unbound_channels: list[UnboundChannel] = Field(
        default_factory=list, description="Per channel, the accepted records that named a host the "
        "channel is not bound to in `GRAPHSIEM_CHANNEL_HOSTS`: a host's clock, its addresses and clock "
        "gaps were not learnt from them. Empty without a table, or when the key is not in it.")
    localized_windows_text: list[LocalizedText] = Field(
        default_factory=list, description="Windows events rendered in German (a syslog forwarder's "
        "message) whose text gave none of the event's labels: kept as syslog messages, not read as "
        "Windows events; send their event data (XML, evtx, Winlogbeat/NXLog JSON) instead. German text "
        "with its labels is read as English text is.")
