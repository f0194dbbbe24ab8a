"""Prometheus metrics of one application instance.

Each app owns its :class:`~prometheus_client.CollectorRegistry`, so two apps in
one process (tests) never share or collide on counters.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

if TYPE_CHECKING:
    from graphsiem.api.services.projection_status import ProjectionStatus


class Metrics:
    """The service's counters and histograms."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.ingest_records = Counter(
            "graphsiem_ingest_records",
            "Records received by ingest, by channel and outcome: accepted (journaled, or already "
            "in the journal: see graphsiem_ingest_duplicate_records) or rejected (kept with its "
            "reason). Received = accepted + rejected, as in the ingest report.",
            ["channel", "outcome"], registry=self.registry,
        )
        self.ingest_duplicates = Counter(
            "graphsiem_ingest_duplicate_records",
            "Accepted records whose events were all in the journal already (re-sent, or repeated "
            "in one call): counted in graphsiem_ingest_records{outcome=\"accepted\"} too, they "
            "journal nothing new. The ingest report's duplicates.",
            ["channel"], registry=self.registry,
        )
        self.ingest_events = Counter(
            "graphsiem_ingest_journaled_events",
            "New events written to the journal by ingest (a record may give several, a duplicate "
            "none): how much the journal grew. The ingest report's events.",
            ["channel"], registry=self.registry,
        )
        self.ingest_requests = Counter(
            "graphsiem_ingest_requests", "Ingest calls (HTTP bodies, uploads, syslog batches).",
            ["channel"], registry=self.registry,
        )
        self.detection_runs = Counter(
            "graphsiem_detection_runs", "Detection runs by trigger and final status.",
            ["trigger", "status"], registry=self.registry,
        )
        self.detection_duration = Histogram(
            "graphsiem_detection_duration_seconds", "Wall time of detection runs.",
            buckets=(0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300), registry=self.registry,
        )
        self.active_clusters = Gauge(
            "graphsiem_active_clusters", "Clusters found by the latest detection run.",
            registry=self.registry,
        )
        self.webhook_deliveries = Counter(
            "graphsiem_webhook_deliveries",
            "Webhook tries and alerts by outcome: delivered (2xx, the alert left the outbox), "
            "retried (a try failed, another is scheduled), failed (the alert was marked dead: "
            "refused, or webhook_max_attempts / webhook_max_age_s reached; kept in the outbox, "
            "see graphsiem_webhook_outbox_alerts{state=\"dead\"}), evicted (a pending alert "
            "deleted because the outbox was full).",
            ["outcome"], registry=self.registry,
        )
        # Read from the outbox at each scrape (graphsiem.api.app wires them when a webhook is set).
        self.webhook_outbox_alerts = Gauge(
            "graphsiem_webhook_outbox_alerts",
            "Alerts in the webhook outbox (state.sqlite) by state: pending (not delivered yet, "
            "retried) or dead (given up, kept until the outbox bound prunes them).",
            ["state"], registry=self.registry,
        )
        self.webhook_oldest_pending_age = Gauge(
            "graphsiem_webhook_oldest_pending_age_seconds",
            "Age of the oldest undelivered webhook alert (0: none is waiting).",
            registry=self.registry,
        )
        self.syslog_dropped = Counter(
            "graphsiem_syslog_dropped", "Syslog messages dropped by the listener because ingest "
            "was behind (UDP datagrams beyond syslog_max_inflight_batches), by transport.",
            ["transport"], registry=self.registry,
        )
        self.syslog_refused_connections = Counter(
            "graphsiem_syslog_refused_connections",
            "Syslog TCP connections closed on arrival: the listener was stopping (a full listener "
            "closes its least recently active connection instead: graphsiem_syslog_closed_connections).",
            registry=self.registry,
        )
        self.syslog_closed_connections = Counter(
            "graphsiem_syslog_closed_connections",
            "Open syslog TCP connections the listener closed, by reason: idle (nothing received "
            "for syslog_tcp_idle_timeout_s), evicted (the least recently active, for a new "
            "connection when syslog_max_tcp_connections were open), peer_limit (the least recently "
            "active of an address at syslog_max_tcp_connections_per_peer).",
            ["reason"], registry=self.registry,
        )
        self.syslog_rate_limited = Counter(
            "graphsiem_syslog_rate_limited",
            "Syslog messages over their source address's rate (syslog_rate_per_source, "
            "syslog_burst_per_source), by transport and source: udp datagrams dropped before "
            "ingest (not received records of any ingest), tcp messages whose connection was then "
            "not read until the source was back within its rate (nothing lost). At most 256 "
            "sources are named, the rest are source=\"other\".",
            ["transport", "source"], registry=self.registry,
        )
        self.api_rate_limited = Counter(
            "graphsiem_api_rate_limited",
            "HTTP requests answered 429 rate_limited because their API key was over its quota "
            "(api_key_rate_per_s, api_key_burst, api_key_rate_overrides), by key id.",
            ["key_id"], registry=self.registry,
        )
        self.http_requests = Counter(
            "graphsiem_http_requests", "HTTP requests by method and status class.",
            ["method", "status"], registry=self.registry,
        )
        # Set from the journal at each scrape (observe_projection): read by key, no scan.
        self.projection_lag_events = Gauge(
            "graphsiem_projection_lag_events",
            "Events journaled but not yet projected into the graph (the journal's last seq minus "
            "the projection checkpoint). 0: the graph is caught up.", registry=self.registry,
        )
        self.projection_lag_seconds = Gauge(
            "graphsiem_projection_lag_seconds",
            "Age of the oldest event journaled but not yet projected (0 when caught up), measured "
            "by this service from the call that journaled it (from its start, or from when it "
            "first saw them, for events it did not journal).", registry=self.registry,
        )
        self.projection_last_success = Gauge(
            "graphsiem_projection_last_success_timestamp_seconds",
            "Unix time at which this service last finished a projection into the graph (0: none "
            "yet).", registry=self.registry,
        )
        self.projection_checkpoint = Gauge(
            "graphsiem_projection_checkpoint_seq",
            "The projection checkpoint: every journaled event up to this seq is in the graph.",
            registry=self.registry,
        )
        self.journal_events = Gauge(
            "graphsiem_journal_events",
            "Events in the journal: its last seq (events are never deleted).",
            registry=self.registry,
        )
        self.journal_bytes = Gauge(
            "graphsiem_journal_bytes", "The journal's size on disk (journal.sqlite and its WAL).",
            registry=self.registry,
        )

    def count_syslog_dropped(self, transport: str, messages: int) -> None:
        """``messages`` the syslog listener dropped on ``transport`` (the sink was behind)."""
        self.syslog_dropped.labels(transport).inc(messages)

    def count_syslog_refused_connection(self) -> None:
        """A syslog TCP connection closed on arrival (the listener was stopping)."""
        self.syslog_refused_connections.inc()

    def count_syslog_closed_connection(self, reason: str) -> None:
        """An open syslog TCP connection the listener closed (``idle``, ``evicted``, ``peer_limit``)."""
        self.syslog_closed_connections.labels(reason).inc()

    def count_syslog_rate_limited(self, transport: str, source: str, messages: int) -> None:
        """``messages`` from ``source`` over its rate: dropped (``udp``) or slowed (``tcp``)."""
        self.syslog_rate_limited.labels(transport, source).inc(messages)

    def count_api_rate_limited(self, key_id: str) -> None:
        """A request refused 429 because key ``key_id`` was over its quota (the id, never the secret)."""
        self.api_rate_limited.labels(key_id).inc()

    def count_ingest(self, channel: str, *, accepted: int, rejected: int, duplicates: int = 0,
                     events: int = 0) -> None:
        """Record one ingest call's outcome: its report's counts.

        ``accepted`` includes the ``duplicates`` (accepted records already
        journaled); ``events`` are the new events journaled.
        """
        self.ingest_requests.labels(channel).inc()
        self.ingest_records.labels(channel, "accepted").inc(accepted)
        self.ingest_records.labels(channel, "rejected").inc(rejected)
        self.ingest_duplicates.labels(channel).inc(duplicates)
        self.ingest_events.labels(channel).inc(events)

    def observe_projection(self, status: ProjectionStatus) -> None:
        """Set the projection and journal gauges from ``status`` (before rendering)."""
        self.projection_lag_events.set(status.lag_events)
        self.projection_lag_seconds.set(status.pending_age_s)
        self.projection_checkpoint.set(status.projected_seq)
        self.journal_events.set(status.journaled_seq)
        self.journal_bytes.set(status.journal_bytes)
        self.projection_last_success.set(status.last_projection_at or 0)

    def render(self) -> bytes:
        """The text exposition format of this registry."""
        return generate_latest(self.registry)
