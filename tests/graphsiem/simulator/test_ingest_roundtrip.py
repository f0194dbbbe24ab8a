"""The simulator's output through the real ``graphsiem ingest`` into the embedded graph store.

The issue's acceptance test: the whole output folder ingests with zero
rejections (``ground_truth.json`` is skipped as not telemetry), and every
ground-truth host and indicator is present in the graph (pivots with exactly
the truth's hosts).
"""

from __future__ import annotations

import contextlib
import io
import json

import pytest

from graphsiem.cli import main
from graphsiem.store import open_store


@pytest.fixture(scope="module")
def ingested(small_run, tmp_path_factory):
    out, _ = small_run
    data = tmp_path_factory.mktemp("gsdata")
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = main(["ingest", str(out), "--data", str(data), "--json", "--no-progress"])
    store = open_store(None, data_dir=data)
    yield code, json.loads(printed.getvalue()), store
    store.close()


def test_ingest_accepts_every_record(ingested, small_run):
    code, report, _ = ingested
    _, summary = small_run
    assert code == 0  # the ingest command exits 1 when anything was rejected
    assert (report["received"], report["accepted"], report["rejected"]) == (
        summary.total_events, summary.total_events, 0)


def test_every_truth_host_is_a_host_entity(ingested, truth):
    _, _, store = ingested
    for scenario in truth["scenarios"]:
        for host in scenario["hosts"]:
            assert store.get_entity("host", host) is not None, (scenario["name"], host)


def _index(store):
    values: dict[str, set[str]] = {}
    entities = {}
    for entity in store.iter_entities():
        names = {entity.value.lower(), entity.key.lower()}
        if entity.type == "script":
            names.add(" ".join(str(entity.props.get("text", "")).split()).lower())
        for name in names:
            values.setdefault(entity.type, set()).add(name)
            entities[(entity.type, name)] = entity
    return values, entities


def test_every_truth_indicator_is_an_entity_and_pivots_have_the_truth_hosts(ingested, truth):
    _, _, store = ingested
    values, entities = _index(store)
    for scenario in truth["scenarios"]:
        for indicator in scenario["indicators"]:
            value = indicator["value"].lower()
            if indicator["type"] == "script":
                value = " ".join(value.split())
            assert value in values[indicator["type"]], (scenario["name"], indicator)
        if scenario["name"] in {"seed_campaign", "beaconing", "software_rollout", "driver_updater"}:
            pivot = entities[(scenario["pivot"]["type"], scenario["pivot"]["value"].lower())]
            hosts = {s.host for s in store.hosts_of(pivot.type, pivot.key)}
            assert hosts == set(scenario["hosts"]), scenario["name"]


def test_ground_truth_is_valid_json_with_the_documented_fields(truth):
    entry = truth["scenarios"][0]
    assert set(entry) >= {"name", "label", "kind", "hosts", "window", "indicators", "pivot"}
    assert json.loads(json.dumps(truth)) == truth
