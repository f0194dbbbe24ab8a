"""Fuzz every registered parser with hypothesis: mutated seed records and random input.

Each parser gets records mutated from the project's own test fixtures (keys
dropped, values replaced by random JSON values, strings cut and spliced) and
wholly random values and text lines.  ``sniff`` must never raise; ``parse``
may only raise :class:`ingest.parsers.base.ParseError` (a rejection with a
reason); anything else is an unhandled exception and is printed with the
input that caused it.  The events a parse yields must also serialise for the
journal (``orjson`` with the pipeline's options).

The long run is hypothesis with many examples (the issue allows it); the
coverage-guided atheris was not used.

Usage::

    .venv/bin/python benchmarks/fuzz_parsers.py --examples 20000
    .venv/bin/python benchmarks/fuzz_parsers.py --parser zeek --examples 100000

Prints inputs tried and unhandled exceptions per parser; exits 1 if any.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ingest.host_clocks import HostClocks  # noqa: E402
from ingest.parsers.base import ParseContext, ParseError  # noqa: E402
from ingest.registry import default_registry  # noqa: E402
from tests.ingest.fuzz_seeds import seed_lines, seed_objects  # noqa: E402


def seed_records() -> list[Any]:
    """Valid records of every format (dicts) and syslog lines (str), from the test fixtures."""
    return [*seed_objects(), *seed_lines()]


def parser_names() -> list[str]:
    return list(default_registry().names)


_scalars = (st.none() | st.booleans() | st.integers() | st.integers(-2**70, 2**70)
            | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=40)
            | st.sampled_from(["", "-", "0", "1e309", "2026-13-45T99:99:99Z", "\x00", "..",
                               "999999999999999999999", "\\\\?\\C:\\", "::ffff:1.2.3.4"]))
_values = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner,
                                                                max_size=3),
    max_leaves=12,
)


def _mutate(draw: st.DrawFn, value: Any, depth: int = 0) -> Any:
    if isinstance(value, dict) and value and depth < 4 and draw(st.booleans()):
        key = draw(st.sampled_from(sorted(value)))
        if draw(st.integers(0, 4)) == 0:
            return {k: v for k, v in value.items() if k != key}
        return {**value, key: _mutate(draw, value[key], depth + 1)}
    if isinstance(value, str) and value and draw(st.booleans()):
        cut = draw(st.integers(0, len(value)))
        return value[:cut] + draw(st.text(max_size=12)) + value[cut + draw(st.integers(0, 8)):]
    return draw(_values)


def records_for(seeds: list[Any]) -> st.SearchStrategy[Any]:
    @st.composite
    def strategy(draw: st.DrawFn) -> Any:
        choice = draw(st.integers(0, 9))
        if choice == 0:
            return draw(_values)
        if choice == 1:
            return draw(st.text(max_size=200))
        record = draw(st.sampled_from(seeds))
        for _ in range(draw(st.integers(1, 4))):
            record = _mutate(draw, record)
        return record

    return strategy()


def fuzz_parser(name: str, *, examples: int, seed: int | None = None
                ) -> tuple[int, list[tuple[str, str]]]:
    """Run ``examples`` inputs against parser ``name``; returns (tried, unhandled).

    Each unhandled entry is ``(exception, input repr)``.  The seeds are the
    fixtures the parser sniffs as its own, plus every other seed (a parser
    forced with ``?format=`` sees any record).
    """
    parser = default_registry().get(name)
    seeds = seed_records()
    own = [r for r in seeds if _safe_sniff(parser, r)]
    pool = own * 4 + seeds if own else seeds
    tried = 0
    unhandled: list[tuple[str, str]] = []
    unserialisable = [0]
    # one learner for the run, as in an ingest call: mutated Sysmon records
    # teach host clocks that the mutated records after them are dated by
    context = ParseContext(origin="fuzz", host_clocks=HostClocks())

    def one(record: Any) -> None:
        nonlocal tried
        tried += 1
        try:
            parser.sniff(record)
        except Exception as exc:  # noqa: BLE001 - the finding we are looking for
            unhandled.append((f"sniff: {type(exc).__name__}: {exc}", repr(record)[:300]))
            return
        try:
            events = list(parser.parse(record, context))
        except ParseError:
            return
        except Exception as exc:  # noqa: BLE001 - the finding we are looking for
            unhandled.append((f"parse: {type(exc).__name__}: {exc}", repr(record)[:300]))
            return
        try:
            context.host_clocks.settle()  # as the pipeline does at a batch's commit
        except Exception as exc:  # noqa: BLE001 - the finding we are looking for
            unhandled.append((f"settle: {type(exc).__name__}: {exc}", repr(record)[:300]))
            return
        for event in events:
            try:
                orjson.dumps(event.fields, default=str)
            except (TypeError, ValueError):
                # e.g. an integer beyond 64 bits copied from the record: the
                # pipeline rejects such a record with this reason (handled).
                unserialisable[0] += 1

    run = settings(max_examples=examples, database=None, deadline=None, derandomize=seed is not None,
                   suppress_health_check=list(HealthCheck))(given(records_for(pool))(one))
    run()
    return tried, unhandled


def _safe_sniff(parser: Any, record: Any) -> bool:
    try:
        return bool(parser.sniff(record))
    except Exception:  # noqa: BLE001 - reported by the fuzz itself
        return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=20_000, help="inputs per parser")
    parser.add_argument("--parser", action="append", help="only these parsers (repeatable)")
    args = parser.parse_args(argv)
    total_bad = 0
    print(f"{'parser':<12} {'inputs':>9} {'unhandled':>9} {'seconds':>8}")
    for name in args.parser or parser_names():
        started = time.perf_counter()
        tried, unhandled = fuzz_parser(name, examples=args.examples)
        total_bad += len(unhandled)
        print(f"{name:<12} {tried:>9} {len(unhandled):>9} {time.perf_counter() - started:>8.1f}",
              flush=True)
        for error, record in unhandled[:5]:
            print(f"    {error}\n      input: {record}")
    return 1 if total_bad else 0


if __name__ == "__main__":
    sys.exit(main())
