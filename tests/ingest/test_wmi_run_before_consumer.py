"""A WMI run journaled before its consumer meets it as one journaled after does (task BEH3).

A collector may send the payload's Sysmon 1 (``svcw.exe /silent 4242`` under ``WmiPrvSE.exe``) before
the Sysmon 20 that installed its template (two channels, two files).  The run was then related to no
install: ``host RAN`` of the installed command came only from runs after it.  Now the projector
remembers WMI runs and the template relates the earlier ones, dated and evidenced by the run's event
(:mod:`ingest.projection_wmi_runs`).  Real ingests through the pipeline, on both stores, in one call and
one record per call, in both orders: the same graph.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from graphsiem.store.base import GraphStore
from ingest.journal import Journal
from ingest.pipeline import ingest_records
from tests.ingest.parsers.test_windows_variants import _process, _sysmon
from tests.ingest.test_wmi_templated_runs import CONSUMER, IMAGE, INSTALLED, _run

HOST = ("host", "ws-0042")
RUN = f"{IMAGE} /silent 4242"


def _ingest(store: GraphStore, tmp_path: Path, records: list[dict[str, Any]], per_call: bool) -> None:
    with Journal(tmp_path / "journal.sqlite") as journal:
        for batch in ([r] for r in records) if per_call else [records]:
            report = ingest_records(batch, store=store, journal=journal, origin="api")
            assert report.total.accepted == len(batch) and report.total.rejected == 0
    store.flush()


def _installed_graph(store: GraphStore) -> tuple[list, list, list]:
    """``host RAN`` of the installed command (host, count, first seen, evidence), its installs, its sightings."""
    ran = sorted((r.src, r.count, r.first_seen, tuple(r.evidence)) for r in store.iter_relations("RAN")
                 if r.dst == INSTALLED)
    installed = sorted((r.src, r.count) for r in store.iter_relations("INSTALLED"))
    sightings = sorted((s.host, s.count) for s in store.hosts_of(*INSTALLED))
    return ran, installed, sightings


@pytest.mark.parametrize("per_call", [False, True], ids=["one call", "one record per call"])
@pytest.mark.parametrize("run_first", [False, True], ids=["consumer first", "run first"])
def test_a_run_meets_its_installed_command_whichever_was_journaled_first(
        store: GraphStore, tmp_path: Path, per_call: bool, run_first: bool) -> None:
    consumer, run = _sysmon(20, 1, **CONSUMER), _run(2, RUN)
    _ingest(store, tmp_path, [run, consumer] if run_first else [consumer, run], per_call=per_call)

    ran, installed, sightings = _installed_graph(store)
    assert installed == [(HOST, 1)]
    assert [(src, count) for src, count, _, _ in ran] == [(HOST, 1)]  # was: [] when the run came first
    assert sightings == [("ws-0042", 2)]  # the consumer's event and the run's
    [(_, _, first_seen, evidence)] = ran
    [run_event] = [r for r in store.iter_relations("RAN") if r.dst == _process(IMAGE, RUN)]
    assert (first_seen, evidence) == (run_event.first_seen, tuple(run_event.evidence))  # the run's, not the consumer's


def test_an_earlier_run_that_does_not_fill_the_template_or_was_not_started_by_wmi_stays_apart(
        store: GraphStore, tmp_path: Path) -> None:
    records = [_run(2, RUN, parent="C:\\Windows\\explorer.exe"), _run(3, f"{IMAGE} /install 4242"),
               _sysmon(20, 1, **CONSUMER)]
    _ingest(store, tmp_path, records, per_call=True)

    ran, installed, _ = _installed_graph(store)
    assert (ran, installed) == ([], [(HOST, 1)])


def test_a_run_with_a_command_line_past_the_bound_does_not_wait_in_the_join_state() -> None:
    """The join state is saved every call: a run's command line over RUN_COMMAND_CHARS is not kept for a later
    consumer (one under it is)."""
    from ingest.projection import Projector
    from ingest.projection_wmi_runs import RUN_COMMAND_CHARS
    from tests.ingest.test_wmi_templated_runs import _event, _run_data

    projector = Projector()
    long_run = {**_run_data(4001), "CommandLine": f"{IMAGE} /silent " + "7" * RUN_COMMAND_CHARS}
    projector.project([_event("r1", "ws-a", 70.0, 1, long_run), _event("r2", "ws-a", 71.0, 1, _run_data(4002))])
    assert [run[-1] for runs in projector._wmi_runs.values() for run in runs] == ["r2"]
