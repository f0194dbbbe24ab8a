"""Property tests: random and mutated records through the whole pipeline.

Seeds are the valid fixtures of every registered parser (this project's own
files under ``tests/ingest``); whole files are damaged byte by byte too, for
the framings that are not lines: pretty-printed JSON (an array, concatenated
objects) and EVTX (a corpus file, the project having no EVTX of its own).  Whatever the mutation, nothing raises out of
the pipeline, received = accepted + rejected, and every rejection is kept with
its origin and a reason.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.journal import Journal
from ingest.pipeline import ingest_paths, ingest_records
from ingest.registry import default_registry
from tests.ingest.fuzz_seeds import seed_lines, seed_objects

FIXTURES = Path(__file__).parent / "fixtures"
SEEDS = seed_objects()
SEED_LINES = seed_lines()

scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=40)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3),
    max_leaves=10,
)


def _mutate_value(draw: st.DrawFn, value: Any) -> Any:
    if isinstance(value, dict) and value and draw(st.booleans()):
        key = draw(st.sampled_from(sorted(value)))
        return {**value, key: _mutate_value(draw, value[key])}
    return draw(values)


@st.composite
def mutated_records(draw: st.DrawFn) -> Any:
    """A seed record with keys dropped or values replaced, or something random."""
    choice = draw(st.integers(0, 9))
    if choice == 0:
        return draw(values)  # not even an object
    if choice == 1:
        return draw(st.dictionaries(st.text(max_size=12), values, max_size=6))
    record = dict(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 4))):
        if not record:
            break
        key = draw(st.sampled_from(sorted(record)))
        if draw(st.booleans()):
            del record[key]
        else:
            record[key] = _mutate_value(draw, record[key])
    return record


@st.composite
def mutated_lines(draw: st.DrawFn) -> str:
    if draw(st.booleans()):
        line = draw(st.sampled_from(SEED_LINES))
        cut = draw(st.integers(0, len(line)))
        line = line[:cut] + draw(st.text(max_size=20)) + line[cut + draw(st.integers(0, 10)):]
    else:
        line = draw(st.text(min_size=1, max_size=80))
    return line.replace("\n", " ").replace("\r", " ") or "x"


@pytest.fixture(scope="module")
def journal(tmp_path_factory) -> Journal:
    with Journal(tmp_path_factory.mktemp("fuzz") / "journal.sqlite") as journal:
        yield journal


@pytest.fixture(scope="module")
def graph(tmp_path_factory):
    """A real embedded store: accepted records are projected too."""
    from graphsiem.store import open_store

    store = open_store("embedded", data_dir=tmp_path_factory.mktemp("fuzz-graph"))
    yield store
    store.close()


def check(report, journal: Journal, rejected_before: int) -> None:
    assert report.projected.get("errors", 0) == 0
    total = report.total
    assert total.received == total.accepted + total.rejected
    for counts in report.formats.values():
        assert counts.received == counts.accepted + counts.rejected
    kept = journal.rejected(limit=100_000, offset=rejected_before)
    for rejection in kept:
        assert rejection.origin and rejection.reason and rejection.format


def test_there_are_seeds_for_every_registered_parser():
    names = {default_registry().detect(r).name for r in SEEDS}
    assert {"winlogbeat", "nxlog", "sentinel", "evtx_json", "zeek", "suricata", "ecs"} <= names
    assert default_registry().detect(SEED_LINES[0]).name == "syslog"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(records=st.lists(mutated_records(), min_size=1, max_size=8))
def test_mutated_json_records_never_break_the_pipeline(journal, graph, records):
    before = journal.counts()["rejected"]
    report = ingest_records(list(records), store=graph, journal=journal)
    assert report.total.received == len(records)
    check(report, journal, before)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.binary(max_size=300) | st.lists(mutated_records(), max_size=4).map(
    lambda rs: "\n".join(json.dumps(r) for r in rs).encode()))
def test_random_http_bodies_never_break_the_pipeline(journal, graph, body):
    before = journal.counts()["rejected"]
    check(ingest_records(body, store=graph, journal=journal), journal, before)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(mutated_lines(), min_size=1, max_size=6))
def test_mutated_text_lines_never_break_the_pipeline(journal, graph, tmp_path_factory, lines):
    path = tmp_path_factory.mktemp("lines") / "fuzz.log"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8", errors="surrogatepass")
    before = journal.counts()["rejected"]
    report = ingest_paths([path], store=graph, journal=journal, progress=False)
    check(report, journal, before)


# -- whole files, mutated byte by byte: the framings read without lines ----------------
@st.composite
def mutated_bytes(draw: st.DrawFn, data: bytes, keep_first: int = 0, within: int | None = None) -> bytes:
    """``data`` with a few bytes overwritten, a slice cut out or random bytes spliced in.

    The first ``keep_first`` bytes stay (a file's magic), so that the reader
    under test is the one that gets the damage; ``within`` keeps the damage in
    the first bytes, where a mostly empty file holds its data.
    """
    data = bytearray(data)
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(keep_first, min(len(data), within or len(data)) - 1))
        kind = draw(st.integers(0, 2))
        if kind == 0:
            data[at] = draw(st.integers(0, 255))
        elif kind == 1:
            del data[at : at + draw(st.integers(1, 64))]
        else:
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        if len(data) <= keep_first + 1:
            break
    return bytes(data)


def ingest_file(journal: Journal, graph, directory, name: str, data: bytes) -> None:
    path = directory / name
    path.write_bytes(data)
    before = journal.counts()["rejected"]
    report = ingest_paths([path], store=graph, journal=journal, progress=False)
    check(report, journal, before)


PRETTY = (FIXTURES / "array_pretty.json").read_bytes() + (FIXTURES / "concatenated_pretty.json").read_bytes()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=mutated_bytes(PRETTY))
def test_mutated_pretty_json_files_never_break_the_pipeline(journal, graph, tmp_path_factory, data):
    # one JSON array followed by concatenated pretty-printed objects, then damaged
    ingest_file(journal, graph, tmp_path_factory.mktemp("pretty"), "fuzz.json", data)


@pytest.fixture(scope="module")
def evtx_sample(samples_dir) -> bytes:
    """A real EVTX file of the corpus (69 KB, one Sysmon event): the project has no EVTX of its own."""
    return (samples_dir / "evtx-attack-samples" / "Credential Access"
            / "sysmon_10_lsass_mimikatz_sekurlsa_logonpasswords.evtx").read_bytes()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_mutated_evtx_files_never_break_the_pipeline(journal, graph, tmp_path_factory, evtx_sample, data):
    # keeps "ElfFile\0" (the EVTX reader reads it) and damages the file header, the
    # first chunk's header and its records: the rest of the 69 KB is empty chunk space
    damaged = data.draw(mutated_bytes(evtx_sample, keep_first=8, within=4096 + 512 + 2048))
    ingest_file(journal, graph, tmp_path_factory.mktemp("evtx"), "fuzz.evtx", damaged)
