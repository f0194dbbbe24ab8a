"""Construction cost of the model types: slotted dataclass vs pydantic v2 vs msgspec.

Usage::

    .venv/bin/python benchmarks/bench_model.py [--n 200000]

Prints microseconds per object for ``Event`` and ``Relation`` built the way
ingest builds them (keyword arguments, a small ``fields`` dict, an evidence
list), best of 5 runs, in CPU time.  This is the measurement behind the choice written in
``graphsiem/model.py``'s docstring.  msgspec is optional
(``pip install msgspec``); its row is skipped with a note when it is missing.
"""

from __future__ import annotations

import argparse
import sys
import time
import timeit
from collections.abc import Callable, Sequence
from typing import Any

from pydantic import BaseModel, Field

from graphsiem.model import Event, Relation

FIELDS = {"process.executable": "c:\\windows\\system32\\cmd.exe", "process.pid": 4242,
          "process.command_line": "cmd.exe /c whoami", "user.name": "corp\\alice"}


class PydEvent(BaseModel):
    id: str
    kind: str
    ts: float
    host: str | None
    source: str
    fields: dict[str, Any] = Field(default_factory=dict)
    origin: str = ""
    raw: dict[str, Any] | str | None = None


class PydRelation(BaseModel):
    src: tuple[str, str]
    type: str
    dst: tuple[str, str]
    first_seen: float
    last_seen: float
    count: int = 1
    evidence: list[str] = Field(default_factory=list)


def event_kwargs() -> dict[str, Any]:
    return {"id": "ev-1", "kind": "sysmon:process_create", "ts": 1_700_000_000.5, "host": "ws-0001",
            "source": "winlogbeat", "fields": FIELDS, "origin": "x.ndjson:1"}


def relation_kwargs() -> dict[str, Any]:
    return {"src": ("host", "ws-0001"), "type": "RAN", "dst": ("process", "p-1"),
            "first_seen": 1.0, "last_seen": 2.0, "count": 1, "evidence": ["ev-1"]}


def candidates() -> list[tuple[str, Callable[..., Any], Callable[..., Any]]]:
    rows: list[tuple[str, Callable[..., Any], Callable[..., Any]]] = [
        ("dataclass(slots=True)", Event, Relation),
        ("pydantic v2 (validating)", PydEvent, PydRelation),
        ("pydantic v2 model_construct", PydEvent.model_construct, PydRelation.model_construct),
    ]
    try:
        import msgspec
    except ImportError:
        print("msgspec not installed: `pip install msgspec` to include it", file=sys.stderr)
        return rows

    class MsEvent(msgspec.Struct):
        id: str
        kind: str
        ts: float
        host: str | None
        source: str
        fields: dict[str, Any] = msgspec.field(default_factory=dict)
        origin: str = ""
        raw: dict[str, Any] | str | None = None

    class MsRelation(msgspec.Struct):
        src: tuple[str, str]
        type: str
        dst: tuple[str, str]
        first_seen: float
        last_seen: float
        count: int = 1
        evidence: list[str] = msgspec.field(default_factory=list)

    rows.append(("msgspec.Struct", MsEvent, MsRelation))
    return rows


def per_object_us(factory: Callable[..., Any], kwargs: dict[str, Any], n: int) -> float:
    # CPU time, not wall time: on a shared machine other processes' load
    # would otherwise inflate every row alike.
    best = min(timeit.repeat(lambda: factory(**kwargs), number=n, repeat=5, timer=time.process_time))
    return best / n * 1e6


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200_000)
    args = parser.parse_args(argv)
    print(f"{'model':<30}{'Event µs':>10}{'Relation µs':>13}")
    for name, event_cls, relation_cls in candidates():
        ev = per_object_us(event_cls, event_kwargs(), args.n)
        rel = per_object_us(relation_cls, relation_kwargs(), args.n)
        print(f"{name:<30}{ev:>10.2f}{rel:>13.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
