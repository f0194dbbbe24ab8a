"""Each build a process creation says it ran is a file node keyed by its SHA-256, sighted on the hosts that
ran it (task T16B): runs on [embedded] and [neo4j].

The process node of a vendor updater is one for the fleet (image and command line), and holds one build
(its earliest creation's): a trojan run at the updater's path with its command line was no new entity.
The build's own file node is: its hosts, and when each first ran it, are what a cluster reads."""

from __future__ import annotations

from pathlib import Path

from ingest.journal import Journal
from ingest.pipeline import ingest_records
from ingest.projection_builds import IMAGE_OF
from tests.graphsiem.store.test_contract_process_build import EARLY, LATE, UPDATER, _creation


def test_each_build_a_creation_ran_is_a_file_on_the_hosts_that_ran_it(store, tmp_path: Path) -> None:
    records = [_creation("ws-01", 100, EARLY, 1), _creation("ws-02", 150, EARLY, 2),
               _creation("ws-03", 300, LATE, 3), _creation("ws-04", 360, LATE, 4)]
    with Journal(tmp_path / "journal.sqlite") as journal:
        report = ingest_records(records, store=store, journal=journal, batch_size=2)
    store.flush()
    assert report.total.accepted == 4
    hosts = {build: sorted(s.host for s in store.hosts_of("file", build)) for build in (EARLY, LATE)}
    assert hosts == {EARLY: ["ws-01", "ws-02"], LATE: ["ws-03", "ws-04"]}
    trojan = store.get_entity("file", LATE)
    assert trojan is not None and trojan.props[IMAGE_OF] == UPDATER and trojan.props["sha256"].lower() == LATE
    # the process ran the build (Windows maps its image): the pivot's processes are read through this edge
    loaded = {(r.src[0], r.dst) for r in store.iter_relations("LOADED")}
    assert ("process", ("file", LATE)) in loaded and ("process", ("file", EARLY)) in loaded
    # the one process node still holds the fleet's earliest build
    process = next(e for e in store.iter_entities("process") if e.props.get("image") == UPDATER)
    assert process.props["sha256"] == EARLY
