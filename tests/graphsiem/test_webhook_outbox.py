"""The webhook outbox table in a real ``state.sqlite`` (task F22): written with the
clusters, bounded, and what the sender's steps leave in it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from graphsiem.api.state import StateStore
from graphsiem.webhook_outbox import DEAD, PENDING, NewAlert, Outbox, backoff_delay


def _alert(n: int) -> NewAlert:
    return NewAlert(f"d{n}", "cluster.new", f"c{n}", "run", b'{"n": %d}' % n)


def _cluster(cluster_id: str, score: float) -> dict:
    return {"id": cluster_id, "score": score, "hosts": ["h1"], "entities": [],
            "pivot": {"type": "domain", "key": cluster_id}}


@pytest.fixture
def state(tmp_path: Path) -> Iterator[StateStore]:
    store = StateStore(tmp_path / "state.sqlite")
    yield store
    store.close()


def test_alerts_are_written_in_the_transaction_that_stores_the_clusters(state: StateStore) -> None:
    outbox = Outbox(state)

    def stage(db, pairs):  # noqa: ANN001, ANN202 - the save_clusters hook's shape
        outbox.stage(db, [_alert(i) for i, _ in enumerate(pairs)], now=1.0)

    state.save_clusters("run1", [_cluster("a", 90.0), _cluster("b", 85.0)], within=stage)
    assert [r.delivery_id for r in outbox.rows()] == ["d0", "d1"]

    def stage_then_fail(db, pairs):  # noqa: ANN001, ANN202
        stage(db, pairs)
        raise RuntimeError("disk full")

    # A failure anywhere in the step stores neither the clusters nor their alerts: the
    # next run still sees the clusters as new and decides the alerts again.
    with pytest.raises(RuntimeError):
        state.save_clusters("run2", [_cluster("c", 95.0)], within=stage_then_fail)
    assert state.get_cluster("c") is None
    assert [r.delivery_id for r in outbox.rows()] == ["d0", "d1"]


def test_the_outbox_survives_a_reopened_state_database(tmp_path: Path) -> None:
    first = StateStore(tmp_path / "state.sqlite")
    outbox = Outbox(first)
    outbox.add([_alert(1), _alert(2)], now=10.0)
    head = outbox.head()
    assert head is not None
    outbox.start_attempt(head.seq, now=11.0, retry_at=20.0)
    outbox.failed(head.seq, error="HTTP 503", retry_at=30.0)
    first.close()
    again = Outbox(StateStore(tmp_path / "state.sqlite"))
    rows = again.rows()
    assert [(r.delivery_id, r.attempts, r.last_error, r.next_attempt_at) for r in rows] == [
        ("d1", 1, "HTTP 503", 30.0), ("d2", 0, None, 10.0)]
    assert rows[0].body == b'{"n": 1}'
    # Service start: what was waiting is due at once.
    assert again.due_now(12.0) == 1 and again.head().next_attempt_at == 12.0  # type: ignore[union-attr]


def test_a_full_outbox_prunes_dead_alerts_first_then_the_oldest_pending(state: StateStore) -> None:
    outbox = Outbox(state, max_rows=4)
    outbox.add([_alert(n) for n in range(1, 5)], now=1.0)
    for seq in (r.seq for r in outbox.rows() if r.delivery_id in ("d2", "d3")):
        outbox.kill(seq, error="HTTP 400", now=2.0)
    # Room for one: the oldest dead row goes, the pending ones stay.
    assert outbox.add([_alert(5)], now=3.0) == 0
    assert [(r.delivery_id, r.state) for r in outbox.rows()] == [
        ("d1", PENDING), ("d3", DEAD), ("d4", PENDING), ("d5", PENDING)]
    # Room for two more: the last dead row, then the oldest pending one (counted).
    assert outbox.add([_alert(6), _alert(7)], now=4.0) == 1
    assert [r.delivery_id for r in outbox.rows()] == ["d4", "d5", "d6", "d7"]
    assert outbox.count(PENDING) == 4 and outbox.count(DEAD) == 0


def test_an_alert_written_twice_keeps_its_first_row(state: StateStore) -> None:
    outbox = Outbox(state)
    outbox.add([_alert(1)], now=1.0)
    outbox.add([_alert(1)], now=2.0)
    assert [(r.delivery_id, r.created_at) for r in outbox.rows()] == [("d1", 1.0)]


def test_backoff_doubles_up_to_its_cap() -> None:
    assert [backoff_delay(n, 0.5, 3600.0) for n in range(1, 6)] == [0.5, 1.0, 2.0, 4.0, 8.0]
    assert backoff_delay(14, 0.5, 3600.0) == 3600.0
    assert backoff_delay(10_000, 0.5, 3600.0) == 3600.0


def test_a_zero_bound_is_refused_with_its_value(state: StateStore) -> None:
    with pytest.raises(ValueError, match="max_rows must be at least 1, got 0"):
        Outbox(state, max_rows=0)


def test_a_backup_marks_waiting_and_dead_alerts_and_a_dead_one_decided_again_keeps_its_mark(
        tmp_path: Path) -> None:
    """A restored outbox (task OPS2 #1): what the original may have sent since the backup stays marked."""
    from graphsiem.webhook_outbox import mark_in_backup

    state = StateStore(tmp_path / "state.sqlite")
    try:
        outbox = Outbox(state)
        outbox.add([_alert(0), _alert(1)], now=1.0)
        outbox.kill(outbox.rows()[0].seq, error="HTTP 400", now=2.0)
        with state._tx() as conn:  # the backup's step, on its copy
            assert mark_in_backup(conn, taken_at=5.0) == 2
        outbox.add([_alert(0), _alert(2)], now=6.0)  # d0's change decided again: its dead row makes way
        marks = {r.delivery_id: (r.state, r.in_backup_at) for r in outbox.rows()}
        assert outbox.count_in_backup() == 2
    finally:
        state.close()
    assert marks == {"d0": (PENDING, 5.0), "d1": (PENDING, 5.0), "d2": (PENDING, None)}
