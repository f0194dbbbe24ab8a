"""EVTX libraries on the corpus EVTX files: records/s for each candidate.

Run: ``.venv/bin/python benchmarks/bench_evtx.py [--repeat N]``

Candidates:

* ``evtx`` (Rust-backed, ``PyEvtxParser.records_json``): records as JSON text,
  decoded with ``orjson`` into evtx_dump-style dicts (what the reader yields);
* ``evtx`` end-to-end through :class:`ingest.readers.evtx.EvtxReader` and the
  ``evtx_json`` parser (normalised events);
* ``python-evtx`` (pure Python, ``Evtx.Evtx``): records rendered to XML only,
  which is less work than a dict (it would still need an XML-to-dict step).
  Optional: ``pip install python-evtx`` to include it.

The corpus files are small (1 to 112 records), so each file is read
``--repeat`` times and the rate is total records over total time.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import orjson
from evtx import PyEvtxParser

from ingest.parsers.base import ParseContext
from ingest.parsers.windows import WindowsJsonParser, parsers
from ingest.readers.evtx import EvtxReader

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # for tests.samples
from tests.samples import samples_path  # noqa: E402


def _samples() -> Path:
    return samples_path()


def rust_evtx(path: Path) -> int:
    """Records of ``path`` via ``evtx`` as dicts."""
    count = 0
    with path.open("rb") as stream:
        for item in PyEvtxParser(stream, number_of_threads=1).records_json():
            if item is not None:
                orjson.loads(item["data"])
                count += 1
    return count


def reader_and_parser(path: Path, parser: WindowsJsonParser) -> int:
    """Normalised events of ``path`` via the project's reader and parser."""
    count = 0
    with path.open("rb") as stream:
        for item in EvtxReader().read(stream, str(path)):
            record = getattr(item, "record", None)
            if record is not None:
                for _ in parser.parse(record, ParseContext(origin=item.origin)):
                    count += 1
    return count


def python_evtx(path: Path) -> int:
    """Records of ``path`` via ``python-evtx`` rendered to XML."""
    from Evtx.Evtx import Evtx  # optional benchmark-only dependency

    count = 0
    with Evtx(str(path)) as log:
        for record in log.records():
            record.xml()
            count += 1
    return count


def measure(name: str, function: Callable[[Path], int], files: list[Path], repeat: int) -> None:
    """Print ``name``, records, seconds and records/s over ``files`` x ``repeat``."""
    records = 0
    start = time.perf_counter()
    for _ in range(repeat):
        for path in files:
            records += function(path)
    elapsed = time.perf_counter() - start
    print(f"{name:<28} {records:>8} records {elapsed:8.3f} s {records / elapsed:>12,.0f} records/s")


def main() -> int:
    """Run the comparison; returns the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    files = sorted(_samples().rglob("*.evtx"))
    if not files:
        print(f"no .evtx files under {_samples()}")
        return 1
    print(f"{len(files)} EVTX files, each read {args.repeat} times")
    measure("evtx (rust) -> dict", rust_evtx, files, args.repeat)
    evtx_json = next(p for p in parsers() if p.name == "evtx_json")
    measure(
        "EvtxReader + evtx_json",
        lambda path: reader_and_parser(path, evtx_json),  # type: ignore[arg-type]
        files,
        args.repeat,
    )
    try:
        import Evtx  # noqa: F401
    except ImportError:
        print("python-evtx not installed: skipped (pip install python-evtx)")
    else:
        measure("python-evtx -> xml", python_evtx, files, max(1, args.repeat // 10))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
