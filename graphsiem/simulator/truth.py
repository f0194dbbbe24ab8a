"""Ground truth: what each campaign and decoy actually did, recorded while it is emitted.

Hosts, time window and indicators come from the events really written, not
from the scenario's intent, so ``ground_truth.json`` always agrees with the
telemetry (a host picked for a daily script that never ran is not listed).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from graphsiem.model import epoch_to_iso


@dataclass(slots=True)
class TruthRecorder:
    """Accumulates one scenario's hosts, window and indicators."""

    name: str
    label: str
    kind: str
    pivot: dict[str, str] | None
    indicator_types: tuple[str, ...]
    hosts: set[str] = field(default_factory=set)
    first: float | None = None
    last: float | None = None
    indicators: dict[tuple[str, str], set[str]] = field(default_factory=dict)

    def observe(self, host: str, ts: float, kind: str | None, value: str | None) -> None:
        """``host`` did something of the scenario at ``ts``; ``(kind, value)`` is an indicator."""
        self.hosts.add(host)
        self.first = ts if self.first is None else min(self.first, ts)
        self.last = ts if self.last is None else max(self.last, ts)
        if kind is not None and value and kind in self.indicator_types:
            self.indicators.setdefault((kind, value), set()).add(host)

    def to_dict(self) -> dict[str, Any]:
        """The ``ground_truth.json`` entry (see ``docs/simulator.md``)."""
        indicators = [{"type": kind, "value": value, "host_count": len(hosts)}
                      for (kind, value), hosts in self.indicators.items()]
        return {
            "name": self.name,
            "label": self.label,
            "kind": self.kind,
            "hosts": sorted(self.hosts),
            "host_count": len(self.hosts),
            "window": [epoch_to_iso(self.first), epoch_to_iso(self.last)],
            "indicators": indicators,
            "pivot": self._pivot(indicators),
        }

    def _pivot(self, indicators: list[dict]) -> dict[str, str] | None:
        """The declared pivot value, else the indicator of the pivot type on the most hosts."""
        if self.pivot is not None and "value" in self.pivot:
            return {"type": self.pivot["type"], "value": self.pivot["value"]}
        candidates = [i for i in indicators if self.pivot is None or i["type"] == self.pivot["type"]]
        if not candidates:
            return None
        best = max(candidates, key=lambda i: i["host_count"])  # first one wins ties
        return {"type": best["type"], "value": best["value"]}
