"""Prometheus metrics of one application instance.

Each app owns its :class:`~prometheus_client.CollectorRegistry`, so two apps in
one process (tests) never share or collide on counters.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST


class Metrics:
    """The service's counters and histograms."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.ingest_records = Counter(
            "graphsiem_ingest_records", "Records received by ingest, by channel and outcome.",
            ["channel", "outcome"], registry=self.registry,
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
            "graphsiem_webhook_deliveries", "Webhook deliveries by outcome.",
            ["outcome"], registry=self.registry,
        )
        self.syslog_dropped = Counter(
            "graphsiem_syslog_dropped", "Syslog messages dropped by the listener because ingest "
            "was behind (UDP datagrams beyond syslog_max_inflight_batches), by transport.",
            ["transport"], registry=self.registry,
        )
        self.syslog_refused_connections = Counter(
            "graphsiem_syslog_refused_connections",
            "Syslog TCP connections closed on arrival: syslog_max_tcp_connections were open.",
            registry=self.registry,
        )
        self.http_requests = Counter(
            "graphsiem_http_requests", "HTTP requests by method and status class.",
            ["method", "status"], registry=self.registry,
        )

    def count_syslog_dropped(self, transport: str, messages: int) -> None:
        """``messages`` the syslog listener dropped on ``transport`` (the sink was behind)."""
        self.syslog_dropped.labels(transport).inc(messages)

    def count_syslog_refused_connection(self) -> None:
        """A syslog TCP connection closed on arrival (``syslog_max_tcp_connections`` open)."""
        self.syslog_refused_connections.inc()

    def count_ingest(self, channel: str, *, accepted: int, rejected: int) -> None:
        """Record one ingest call's outcome."""
        self.ingest_requests.labels(channel).inc()
        self.ingest_records.labels(channel, "accepted").inc(accepted)
        self.ingest_records.labels(channel, "rejected").inc(rejected)

    def render(self) -> bytes:
        """The text exposition format of this registry."""
        return generate_latest(self.registry)
