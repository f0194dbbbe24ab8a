"""Streaming output: endpoint NDJSON per collector and day, Zeek logs in time order.

Memory stays bounded whatever the fleet size: endpoint events are buffered per
host and day only; Zeek records go to 15-minute spill buckets on disk and a
bucket is sorted and appended to its log once no later host can add to it
(runs never emit before their day starts).
"""

from __future__ import annotations

import os
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, TextIO

import orjson

from graphsiem.simulator import zeek
from graphsiem.simulator.collectors import to_nxlog, to_winlogbeat
from graphsiem.simulator.fleet import DOMAIN_CONTROLLER_GROUP, Host
from graphsiem.simulator.winevents import WinEvent

BUCKET_SECONDS = 900


class Sink:
    """Writes a simulation's files under ``out_dir`` (``endpoint/``, ``network/``)."""

    def __init__(self, out_dir: Path, *, start: float, zeek_tsv: bool, nxlog_timezone: str) -> None:
        self.out_dir = out_dir
        self.endpoint_dir = out_dir / "endpoint"
        self.network_dir = out_dir / "network"
        self.spill_dir = out_dir / ".spill"
        for folder in (self.endpoint_dir, self.network_dir, self.spill_dir):
            folder.mkdir(parents=True, exist_ok=True)
        self.start = start
        self.zeek_tsv = zeek_tsv
        self.nxlog_timezone = nxlog_timezone
        self.counts: Counter[str] = Counter()
        self._buffer: list[tuple[float, int, Host, WinEvent]] = []
        # the DC's events come from every member's runs: kept for the day, so its record ids follow time
        self._deferred: list[tuple[float, int, Host, WinEvent]] = []
        self._sequence = 0
        self._endpoint_files: dict[str, BinaryIO] = {}
        self._endpoint_day: str | None = None
        self._buckets: dict[int, TextIO] = {}
        self._logs: dict[str, TextIO] = {}
        for log in zeek.LOGS:
            stream = open(self.network_dir / f"{log}.log", "w", encoding="utf-8", newline="\n")  # noqa: SIM115
            if zeek_tsv:
                zeek.write_tsv_header(stream, log, start)
            self._logs[log] = stream

    # -- endpoint ----------------------------------------------------------
    def endpoint(self, host: Host, event: WinEvent) -> None:
        """Buffer ``event``; :meth:`flush_endpoint` writes it in time order."""
        self._sequence += 1
        buffer = self._deferred if host.group == DOMAIN_CONTROLLER_GROUP else self._buffer
        buffer.append((event.ts, self._sequence, host, event))

    def flush_endpoint(self, day_label: str, *, deferred: bool = False) -> None:
        """Write the buffered events (one host-day; ``deferred``: the domain controller's of the day) to
        ``endpoint/<collector>-<day>.ndjson``."""
        if deferred:
            self._buffer, self._deferred = self._deferred, self._buffer
        if self._endpoint_day != day_label:
            for stream in self._endpoint_files.values():
                stream.close()
            self._endpoint_files = {}
            self._endpoint_day = day_label
        self._buffer.sort(key=lambda item: (item[0], item[1]))
        for _, _, host, event in self._buffer:
            record_id = host.next_count(f"record:{event.channel}", start=10_000)
            shipped = event.ts + 0.5 + (record_id % 7) * 0.25
            if host.collector == "nxlog":
                document = to_nxlog(event, host, record_id, shipped, self.nxlog_timezone)
            else:
                document = to_winlogbeat(event, host, record_id, shipped)
            stream = self._endpoint_files.get(host.collector)
            if stream is None:
                stream = open(self.endpoint_dir / f"{host.collector}-{day_label}.ndjson", "ab")  # noqa: SIM115
                self._endpoint_files[host.collector] = stream
            stream.write(orjson.dumps(document, option=orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE))
            self.counts[f"{host.collector}:{event.event_id}"] += 1
        self._buffer.clear()

    # -- network -----------------------------------------------------------
    def network(self, log: str, ts: float, values: dict[str, Any]) -> None:
        """Spill one Zeek record into its time bucket."""
        if self.zeek_tsv:
            line = zeek.render_tsv(log, values)
        else:
            line = zeek.render_json(log, values, ts + float(values.get("duration") or 0.0))
        bucket = int((ts - self.start) // BUCKET_SECONDS)
        stream = self._buckets.get(bucket)
        if stream is None:
            stream = open(self.spill_dir / f"{bucket:08d}.spill", "a", encoding="utf-8", newline="\n")  # noqa: SIM115
            self._buckets[bucket] = stream
        self._sequence += 1
        stream.write(f"{ts:.6f}\t{self._sequence:012d}\t{log}\t{line}\n")
        self.counts[f"zeek:{log}"] += 1

    def flush_network(self, until: float | None = None) -> None:
        """Sort and append every bucket that ends at or before ``until`` (all when ``None``)."""
        for bucket in sorted(self._buckets):
            if until is not None and self.start + (bucket + 1) * BUCKET_SECONDS > until:
                continue
            self._buckets.pop(bucket).close()
            path = self.spill_dir / f"{bucket:08d}.spill"
            with open(path, encoding="utf-8") as stream:
                rows = [line.rstrip("\n").split("\t", 3) for line in stream]
            rows.sort(key=lambda row: (float(row[0]), row[1]))
            for _, _, log, line in rows:
                self._logs[log].write(line + "\n")
            os.remove(path)

    def close(self, end: float) -> None:
        """Flush everything, write TSV footers, remove the spill folder."""
        self.flush_network(None)
        for stream in self._endpoint_files.values():
            stream.close()
        for stream in self._logs.values():
            if self.zeek_tsv:
                zeek.write_tsv_footer(stream, end)
            stream.close()
        self.spill_dir.rmdir()


def day_label(ts: float) -> str:
    """``2026-11-01`` for the UTC day holding ``ts``."""
    return datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%d")
