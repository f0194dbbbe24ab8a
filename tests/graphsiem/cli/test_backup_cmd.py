"""``graphsiem backup DEST``: a consistent copy of a data directory in use (review U3: a ``cp`` lost triage).

``state.sqlite`` is in WAL mode and not checkpointed while the service runs, so a
copy of the file alone missed an assignee change and a benign verdict.  Here the
real service (the app over the data directory's embedded store) keeps writing
triage while the backup runs: the copy holds every change acknowledged before
the backup began, and ``graphsiem detect`` on it applies the benign verdict as on
the original.  The journal's counts hold in the copy, a projection that goes on
between the graph's copy and the journal's leaves the copy's checkpoint at the
graph's mark (the next ingest projects the rest), and a destination inside the
data directory or not empty is refused, naming it, with nothing written.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from graphsiem.api.state import StateStore
from graphsiem.cli import backup_copy, main
from graphsiem.store import open_store
from ingest.journal import Journal
from tests.api.conftest import make_settings, running_api
from tests.graphsiem.cli.test_detect_triage_suppressions import triaged_data_dir  # noqa: F401 - a fixture

WAIT_S = 60.0
"""A guard against a hang, not a measure."""


def _dns_records(count: int, tag: str) -> str:
    return "".join(json.dumps({
        "@timestamp": "2026-11-29T10:00:00Z", "host": {"name": f"ws-{j % 3}"},
        "event": {"category": "network", "action": "dns"}, "dns": {"question": {"name": f"{tag}-{j}.example"}},
    }) + "\n" for j in range(count))


def _ingest(data: Path, source: Path, capsys) -> dict:
    main(["ingest", str(source), "--data", str(data), "--no-progress", "--json"])
    return json.loads(capsys.readouterr().out)


def _detect(data: Path, capsys) -> tuple[list, str]:
    assert main(["detect", "--data", str(data), "--json", "-"]) == 0
    captured = capsys.readouterr()
    return sorted((c["id"], sorted(c["hosts"])) for c in json.loads(captured.out)["clusters"]), captured.err


def _stats(data: Path, capsys) -> dict:
    assert main(["stats", "--data", str(data), "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_a_backup_taken_while_the_service_writes_triage_holds_every_change_acknowledged_before_it(
    triaged_data_dir, tmp_path, capsys  # noqa: F811 - the fixture imported above
) -> None:
    data, top, _ = triaged_data_dir  # the test fleet detected, its top cluster closed benign by the service
    copy = tmp_path / "backup"
    acknowledged: list[int] = []
    stop = threading.Event()
    store = open_store(None, data_dir=data)
    try:
        with running_api(make_settings(data), store) as api:

            def assign() -> None:  # the analysts, through the service, until the backup has ended
                turn = 0
                while not stop.is_set():
                    answer = api.patch(f"/v1/clusters/{top['id']}", role="analyst", json={"assignee": f"a{turn}"})
                    assert answer.status_code == 200, answer.text
                    acknowledged.append(turn)
                    turn += 1

            writer = threading.Thread(target=assign)
            writer.start()
            try:
                while len(acknowledged) < 5 and writer.is_alive():
                    stop.wait(0.01)
                last_before = acknowledged[-1]
                assert main(["backup", str(copy), "--data", str(data)]) == 0
            finally:
                stop.set()
                writer.join(WAIT_S)
    finally:
        store.close()
    capsys.readouterr()

    restored = StateStore(copy / "state.sqlite")
    try:
        triage = restored.get_triage(top["id"])
        assigned = [e.new for e in restored.audit_trail(top["id"]) if e.field == "assignee"]
    finally:
        restored.close()
    assert triage.verdict is not None and triage.verdict.value == "benign"
    assert int(triage.assignee.removeprefix("a")) >= last_before
    assert assigned == [f"a{turn}" for turn in range(len(assigned))]  # in order, none missing
    assert len(assigned) >= last_before + 1
    clusters, err = _detect(copy, capsys)
    original, _ = _detect(data, capsys)
    assert "1 pivot suppressed by triage" in err
    assert top["id"] not in [cid for cid, _ in clusters]
    assert clusters == original


def test_the_journal_s_counts_hold_in_the_copy(tmp_path, capsys) -> None:
    source = tmp_path / "dns.ndjson"
    source.write_text(_dns_records(30, "a") + "{not json\n" + _dns_records(5, "b"))
    data, copy = tmp_path / "data", tmp_path / "backup"
    report = _ingest(data, source, capsys)
    assert report["rejected"] == 1 and report["received"] == 36

    assert main(["backup", str(copy), "--data", str(data), "--json"]) == 0
    copied = json.loads(capsys.readouterr().out)

    with Journal(copy / "journal.sqlite") as journal:
        counts = journal.counts()
    assert counts["events"] + counts["rejected"] == report["received"]
    assert (counts["events"], counts["rejected"]) == (report["accepted"], report["rejected"])
    assert {f["name"]: f["how"] for f in copied["files"]} == {
        "journal.sqlite": "sqlite backup", "graph/graph.pickle": "graph snapshot"}
    assert not any(p.name.endswith((".lock", "-wal", "-shm", "-journal")) for p in copy.rglob("*"))
    assert _stats(copy, capsys) == _stats(data, capsys)


def test_a_projection_between_the_graph_s_copy_and_the_journal_s_is_projected_into_the_copy_later(
    tmp_path, capsys, monkeypatch
) -> None:
    first, second = tmp_path / "first.ndjson", tmp_path / "second.ndjson"
    first.write_text(_dns_records(20, "first"))
    second.write_text(_dns_records(12, "second"))
    data, copy = tmp_path / "data", tmp_path / "backup"
    _ingest(data, first, capsys)
    copy_graph = backup_copy._copy_graph

    def graph_then_an_ingest(*args):  # an ingest ends after the graph was read, before the journal is
        copied = copy_graph(*args)
        _ingest(data, second, capsys)
        return copied

    monkeypatch.setattr(backup_copy, "_copy_graph", graph_then_an_ingest)
    assert main(["backup", str(copy), "--data", str(data), "--json"]) == 0
    copied = json.loads(capsys.readouterr().out)

    assert (copied["checkpoint"], copied["projected_later"]) == (20, 12)
    (tmp_path / "nothing.ndjson").write_text("")
    _ingest(copy, tmp_path / "nothing.ndjson", capsys)  # any ingest projects what the journal holds beyond its graph
    assert _stats(copy, capsys) == _stats(data, capsys)


@pytest.mark.parametrize(("where", "said"), [
    (lambda data: data / "backups" / "today", "is inside the data directory"),
    (lambda data: data, "is inside the data directory"),
    (lambda data: data.parent / "full", "is not empty"),
])
def test_a_destination_inside_the_data_directory_or_not_empty_is_refused_naming_it(
    where, said, tmp_path, capsys
) -> None:
    source = tmp_path / "dns.ndjson"
    source.write_text(_dns_records(3, "a"))
    data = tmp_path / "data"
    _ingest(data, source, capsys)
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "kept.txt").write_text("mine")
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    destination = where(data)

    assert main(["backup", str(destination), "--data", str(data)]) == 2

    err = capsys.readouterr().err
    assert f"the destination {destination.resolve()} {said}" in err
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before


def test_a_graph_file_that_cannot_be_read_is_said_in_one_line_and_the_copy_disowned(tmp_path, capsys) -> None:
    source = tmp_path / "dns.ndjson"
    source.write_text(_dns_records(3, "a"))
    data, copy = tmp_path / "data", tmp_path / "backup"
    _ingest(data, source, capsys)
    (data / "graph" / "graph.pickle").write_bytes(b"not a pickle")

    assert main(["backup", str(copy), "--data", str(data)]) == 1

    err = capsys.readouterr().err
    assert err.startswith(f"graphsiem backup: cannot copy {data}: ") and f"{copy} is not a backup" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
