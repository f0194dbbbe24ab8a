"""Property tests: random and mutated records through the whole pipeline.

Seeds are the valid fixtures of every registered parser (this project's own
files under ``tests/ingest``).  Whatever the mutation, nothing raises out of
the pipeline, received = accepted + rejected, and every rejection is kept with
its origin and a reason.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.journal import Journal
from ingest.pipeline import ingest_paths, ingest_records
from ingest.registry import default_registry
from tests.ingest.fuzz_seeds import seed_lines, seed_objects

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
