"""Service settings, read from the environment (prefix ``GRAPHSIEM_``).

Nothing here is read at import time: build a :class:`Settings` where it is
needed (``graphsiem serve``, tests), so a test can set its own values without
touching the process environment.

Examples
--------
>>> s = Settings(data_dir="/tmp/gs", detect_interval_s=0)
>>> s.state_path.name
'state.sqlite'
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from graphsiem.internal_networks import parse_internal_networks
from graphsiem.page_links import check_public_url
from graphsiem.rate_limits import parse_rate_overrides
from ingest.disk_floor import DEFAULT_MIN_FREE_BYTES, DEFAULT_MIN_FREE_PERCENT
from ingest.realm_domains import parse_realm_domains


def default_data_dir() -> Path:
    """``$GRAPHSIEM_DATA`` is handled by the ``data`` alias; this is the fallback."""
    return Path(".graphsiem")


class Settings(BaseSettings):
    """Validated settings of the HTTP service, the syslog listener and the webhook.

    Every field maps to ``GRAPHSIEM_<FIELD>`` (case-insensitive), except
    ``data_dir`` which is ``GRAPHSIEM_DATA`` as in the rest of the project.
    """

    model_config = SettingsConfigDict(
        env_prefix="GRAPHSIEM_", extra="ignore", populate_by_name=True, frozen=True
    )

    data_dir: Path = Field(default_factory=default_data_dir, validation_alias="GRAPHSIEM_DATA")
    store: str = Field("embedded", description="Store spec for graphsiem.store.open_store.")
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)

    # Limits: a request larger than max_body_bytes is answered 413 before it is
    # read into memory; a batch with more records than max_batch_records is 413.
    max_body_bytes: int = Field(32 * 1024 * 1024, ge=1024)
    max_upload_bytes: int = Field(512 * 1024 * 1024, ge=1024)
    max_batch_records: int = Field(100_000, ge=1)
    page_size_max: int = Field(500, ge=1, le=10_000)
    page_size_default: int = Field(50, ge=1)
    neighbors_limit_max: int = Field(1000, ge=1)
    search_limit_max: int = Field(200, ge=1)
    evidence_limit: int = Field(200, ge=0)
    # A request body must arrive within body_timeout_s plus 1 s per body_min_rate_bytes
    # received (else 408, nothing of it processed): a byte-a-second sender is cut off
    # after about a minute, an upload at 64 KiB/s or more may take as long as it needs.
    # body_min_rate_bytes 0: the whole body within body_timeout_s.
    body_timeout_s: float = Field(60.0, gt=0.0)
    body_min_rate_bytes: int = Field(64 * 1024, ge=0)
    # A gzip upload to /v1/files that decompresses to more than this is refused (413, nothing of
    # it journaled): 502 KB of gzip made 8.9 MB of text and 69 MB of journal (review R5, item 5).
    # A plain upload is bounded by max_upload_bytes alone.
    max_upload_decompressed_bytes: int = Field(1024 * 1024 * 1024, ge=1024)
    # Ingest (HTTP and syslog) is refused while the data directory's filesystem has less free
    # than disk_min_free_bytes or disk_min_free_percent of its size, whichever is smaller (507,
    # /readyz not ready): the journal never writes the disk's last bytes.  0 turns a floor off.
    # The CLI's ingest reads the same two variables (ingest.disk_floor.floor_from_environment).
    disk_min_free_bytes: int = Field(DEFAULT_MIN_FREE_BYTES, ge=0)
    disk_min_free_percent: float = Field(DEFAULT_MIN_FREE_PERCENT, ge=0.0, le=100.0)

    # HTTP connections (uvicorn): a connection that has not sent a request's headers within
    # http_header_timeout_s of opening (or of its last response) is closed; an idle keep-alive
    # connection after http_keep_alive_s.  Beyond http_limit_concurrency requests being served
    # at once, a request is answered the API's JSON 503 "overloaded" with Retry-After
    # (graphsiem.api.concurrency; idle connections do not count); beyond http_max_connections
    # open connections, uvicorn itself answers a plain-text 503 (the descriptors' bound).
    http_header_timeout_s: float = Field(30.0, gt=0.0)
    http_keep_alive_s: int = Field(5, ge=1)
    http_limit_concurrency: int = Field(1000, ge=1)
    http_max_connections: int = Field(4096, ge=1)

    # Background projection of the journal into the graph: it waits until ingest
    # has been quiet for project_idle_s, but never lets accepted events wait
    # longer than project_max_lag_s (sustained ingest then projects in batches).
    project_idle_s: float = Field(0.25, ge=0.0)
    project_max_lag_s: float = Field(10.0, gt=0.0)

    # Scheduled detection: 0 disables it (the default).
    detect_interval_s: float = Field(0.0, ge=0.0)

    bootstrap_admin_key: SecretStr | None = None

    # Webhook: fires when a new or grown cluster reaches webhook_min_score.  Alerts wait in an
    # outbox in state.sqlite until the receiver answers 2xx (at least once, oldest first, one
    # request in flight; graphsiem.webhook).  A failed try waits webhook_backoff_s * 2**(n-1)
    # (a timeout: at least webhook_timeout_s * 2**(n-1)), capped at webhook_backoff_max_s; the
    # alerts behind it wait too.  An alert is dead (kept, counted, not resent) when refused
    # with a final status (not 2xx, 408, 429 or 5xx), or failed webhook_max_attempts times, or
    # failed when older than webhook_max_age_s.  With the defaults a receiver may be away
    # about a day (the age limit comes first, at the 37th try).
    webhook_url: str | None = None
    # The address people reach the page by (behind a proxy, a DNS name): when set, clusters in
    # the API and webhook alerts carry `url`, the page's link to them (graphsiem.api.links).
    public_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_min_score: float = Field(80.0, ge=0.0, le=100.0)
    # The weakest score_confidence sent ("low" or "normal").  Day one of a fleet has no history:
    # every cluster is "low", and a 3,000-host day sent 139 at once (review U3 #2).  A cluster
    # held back is sent as new at the first run where it reaches the floor.
    webhook_min_confidence: Literal["low", "normal"] = "normal"
    webhook_max_attempts: int = Field(40, ge=1, le=1000)
    webhook_backoff_s: float = Field(0.5, ge=0.0)
    webhook_backoff_max_s: float = Field(3600.0, ge=0.0)
    webhook_max_age_s: float = Field(86400.0, gt=0.0)
    # One try's limit (connect, send, each read): a receiver slower than this is retried after
    # a back-off while it may still be working on the first copy, so set it above the
    # receiver's slowest answer.
    webhook_timeout_s: float = Field(5.0, gt=0.0)
    # The outbox's bound (pending plus dead alerts).  A full outbox deletes its oldest dead
    # alerts first, then its oldest pending ones (counted: outcome="evicted").
    webhook_outbox_max_rows: int = Field(10_000, ge=1)
    # What the receiver was told of a cluster is kept this long after a run last produced it
    # (graphsiem.webhook_told); longer than any window's look-back.  A cluster back after that
    # is compared with its last stored copy: cluster.returned if grown, else nothing.
    webhook_told_retention_s: float = Field(30 * 86400.0, gt=0.0)

    # Syslog listener (None: off).  Bound to syslog_host, loopback by default.
    syslog_host: str = "127.0.0.1"
    syslog_udp_port: int | None = Field(None, ge=0, le=65535)
    syslog_tcp_port: int | None = Field(None, ge=0, le=65535)
    syslog_batch_records: int = Field(500, ge=1)
    syslog_flush_s: float = Field(0.5, gt=0.0)
    syslog_max_message_bytes: int = Field(64 * 1024, ge=480)
    # Backpressure: at most syslog_max_inflight_batches batches are with the ingest pipeline at
    # once; beyond, TCP connections stop being read (their senders wait) and UDP datagrams are
    # dropped, counted (graphsiem_syslog_dropped in /metrics) and logged.  At most
    # syslog_max_tcp_connections are served at once (one more is closed, counted).  Together they
    # bound the listener's memory: about (inflight + 1) x batch_records messages, plus ~128 KiB
    # a connection.
    syslog_max_inflight_batches: int = Field(4, ge=1)
    syslog_max_tcp_connections: int = Field(256, ge=1)
    # A full listener closes its least recently active connection for a new one; an address at
    # syslog_max_tcp_connections_per_peer closes its own.  A connection that sends nothing for
    # syslog_tcp_idle_timeout_s is closed (senders reconnect when they have a message).
    syslog_max_tcp_connections_per_peer: int = Field(32, ge=1)
    syslog_tcp_idle_timeout_s: float = Field(300.0, gt=0.0)
    # Per source address: syslog_rate_per_source messages a second, syslog_burst_per_source at once
    # (0: no limit).  Beyond, a UDP datagram is dropped (never an ingest's received record), counted
    # per source (graphsiem_syslog_rate_limited in /metrics) and logged naming the source; a TCP
    # connection is not read until its address is back within its rate (nothing lost).  The default
    # is far above a real sender (a busy domain controller forwards tens of messages a second, a
    # relay for a thousand hosts hundreds to a few thousand) and well below what one listener
    # ingests, so one sender can no longer take the pipeline from the rest; the burst absorbs a
    # relay's backlog of 4 s.  syslog_rate_max_sources addresses are tracked at once (~2 MB).
    syslog_rate_per_source: float = Field(5000.0, ge=0.0)
    syslog_burst_per_source: float = Field(20000.0, ge=1.0)
    syslog_rate_max_sources: int = Field(10_000, ge=1)

    # Per API key: api_key_rate_per_s requests a second, api_key_burst at once (0: no limit);
    # beyond, 429 rate_limited with Retry-After, counted by key id (graphsiem_api_rate_limited).
    # Every role alike, admin included: each key has its own bucket, so a runaway integration
    # never uses up the admin's, and an admin key in a loop is no less harmful than any other.
    # api_key_rate_overrides: {"<key id>": requests a second} for one key (0: unlimited), its
    # burst scaled alike ('{"3f2a9c01d4e6": 200}').  Requests without a key (/healthz, /readyz,
    # the page's files) are not charged.
    api_key_rate_per_s: float = Field(50.0, ge=0.0)
    api_key_burst: float = Field(500.0, ge=1.0)
    api_key_rate_overrides: Annotated[dict[str, float], NoDecode] = Field(default_factory=dict)

    # Kerberos realm -> NetBIOS domain (GRAPHSIEM_REALM_DOMAINS='{"theshire.local": "theshire"}'):
    # a Kerberos principal of the realm is the user Windows names DOMAIN\name.  It wins over what
    # the projection learns from hosts' machine accounts; "" keeps a realm whole.  The projector
    # reads the same variable (ingest.realm_domains), so ingest and a replay apply it alike.
    # (NoDecode: the value reaches the validator as written, so a bad one is a clear setting error)
    realm_domains: Annotated[dict[str, str], NoDecode] = Field(default_factory=dict)

    # The organisation's own networks on public space, beside RFC 1918, CGN and ULA
    # (GRAPHSIEM_INTERNAL_NETWORKS=198.51.100.0/24,2001:db8:1::/48): a download from one is a
    # deployment server's, not one "from a new external address", and a name beside one of its
    # addresses is a fleet host's.  Ingest's parsers and detection read the same variable
    # (graphsiem.internal_networks); detections the service runs also take it from here.
    internal_networks: Annotated[tuple[str, ...], NoDecode] = ()

    # The detection settings every run of the service starts from (GRAPHSIEM_DETECTION_CONFIG, or
    # graphsiem serve --detection-config FILE): a YAML/JSON file as DetectionConfig.save writes it,
    # e.g. tuned in notebook 02.  Checked here, so a bad file refuses to start naming the setting
    # and the reason; read once when the service starts (graphsiem.api.detection_settings).
    detection_config: Path | None = None

    # The hosts each live channel may speak for (GRAPHSIEM_CHANNEL_HOSTS=FILE: lines of
    # "syslog:10.20.0.5 dc-01 dc-02" or "key:<key id> ws-*"): a record of a bound channel naming
    # another host teaches no host clock nor address (ingest.channel_hosts).  Read and checked
    # here, so a bad line refuses to start naming the file, the line and the reason.
    channel_hosts: Path | None = None

    @field_validator("webhook_url")
    @classmethod
    def _check_webhook_url(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("webhook_url must start with http:// or https://")
        return value

    @field_validator("public_url")
    @classmethod
    def _check_public_url(cls, value: str | None) -> str | None:
        return check_public_url(value)

    @field_validator("realm_domains", mode="before")
    @classmethod
    def _check_realm_domains(cls, value: object) -> dict[str, str]:
        return parse_realm_domains(value)

    @field_validator("internal_networks", mode="before")
    @classmethod
    def _check_internal_networks(cls, value: object) -> tuple[str, ...]:
        return tuple(str(n) for n in parse_internal_networks(value, origin="GRAPHSIEM_INTERNAL_NETWORKS"))

    @field_validator("detection_config")
    @classmethod
    def _check_detection_config(cls, value: Path | None) -> Path | None:
        from analytics.config import ConfigError
        from graphsiem.api.detection_settings import read_detection_config

        try:
            return None if value is None else Path(str(read_detection_config(value).path))
        except ConfigError as exc:
            raise ValueError(str(exc)) from None

    @field_validator("api_key_rate_overrides", mode="before")
    @classmethod
    def _check_rate_overrides(cls, value: object) -> dict[str, float]:
        return parse_rate_overrides(value)

    @field_validator("channel_hosts")
    @classmethod
    def _check_channel_hosts(cls, value: Path | None) -> Path | None:
        from ingest.channel_hosts import read_channel_hosts

        if value is not None:
            read_channel_hosts(value)  # a ChannelHostsError (a ValueError) names the file and the line
        return value

    @field_validator("webhook_secret", "bootstrap_admin_key", "detection_config", "channel_hosts", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        # docker compose passes unset optional variables as empty strings.
        return None if value == "" else value

    @field_validator("bootstrap_admin_key")
    @classmethod
    def _check_bootstrap_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 16:
            raise ValueError("bootstrap_admin_key must be at least 16 characters")
        return value

    @model_validator(mode="after")
    def _check_consistency(self) -> Settings:
        if self.page_size_default > self.page_size_max:
            raise ValueError("page_size_default must not exceed page_size_max")
        if self.webhook_url and not self.webhook_secret:
            raise ValueError("webhook_url needs webhook_secret (payloads are HMAC-signed)")
        return self

    @property
    def state_path(self) -> Path:
        """``<data>/state.sqlite``: keys, triage, suppressions, detection runs."""
        return self.data_dir / "state.sqlite"

    @property
    def journal_path(self) -> Path:
        """``<data>/journal.sqlite``: accepted and rejected records."""
        return self.data_dir / "journal.sqlite"

    @property
    def upload_dir(self) -> Path:
        """``<data>/uploads``: files received by ``POST /v1/files``."""
        return self.data_dir / "uploads"
