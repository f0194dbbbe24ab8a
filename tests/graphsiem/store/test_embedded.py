"""Embedded store behaviour beyond the contract: files, locking, other processes."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from graphsiem.model import Relation
from graphsiem.store.base import StoreError
from graphsiem.store.embedded import GRAPH_FILE, EmbeddedStore

RAN = Relation(("host", "ws-1"), "RAN", ("process", "p1"), 1.0, 2.0, 1, ["e1"])


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, timeout=60, check=False)


def test_nothing_is_written_before_flush_and_no_temp_file_remains(tmp_path):
    store = EmbeddedStore(tmp_path)
    store.upsert_relations([RAN])
    assert not (tmp_path / GRAPH_FILE).exists()

    store.flush()

    assert sorted(p.name for p in tmp_path.iterdir()) == [GRAPH_FILE, "write.lock"]
    store.close()


def test_another_process_reads_what_this_one_flushed(tmp_path):
    with EmbeddedStore(tmp_path) as store:
        store.upsert_relations([RAN])

    proc = run_python(f"""
        from graphsiem.store.embedded import EmbeddedStore
        print(EmbeddedStore({str(tmp_path)!r}).counts()["relations"])
    """)

    assert proc.stdout.strip() == "{'RAN': 1}", proc.stderr


def test_reader_sees_a_later_flush_by_another_instance(tmp_path):
    reader = EmbeddedStore(tmp_path)
    assert reader.counts()["relations"] == {}

    with EmbeddedStore(tmp_path) as writer:
        writer.upsert_relations([RAN])

    assert reader.counts()["relations"] == {"RAN": 1}


def test_second_writer_waits_for_the_lock_and_then_fails_clearly(tmp_path):
    holder = EmbeddedStore(tmp_path)
    holder.upsert_relations([RAN])  # takes the write lock until flush

    proc = run_python(f"""
        from graphsiem.model import Relation
        from graphsiem.store.embedded import EmbeddedStore
        store = EmbeddedStore({str(tmp_path)!r}, lock_timeout=0.3)
        store.upsert_relations([Relation(("host", "x"), "RAN", ("process", "y"), 1.0, 1.0, 1, [])])
    """)

    assert proc.returncode != 0
    assert "being written by another process" in proc.stderr
    holder.close()


def test_writers_in_turn_do_not_lose_each_others_batches(tmp_path):
    first, second = EmbeddedStore(tmp_path), EmbeddedStore(tmp_path)  # both load the empty graph
    first.upsert_relations([RAN])
    first.flush()

    second.upsert_relations([Relation(("host", "ws-2"), "RAN", ("process", "p1"), 1.0, 1.0, 1, ["e2"])])
    second.flush()

    assert EmbeddedStore(tmp_path).counts()["relations"] == {"RAN": 2}


def test_a_foreign_file_is_refused(tmp_path):
    (tmp_path / GRAPH_FILE).write_bytes(b"not a pickle")

    with pytest.raises(StoreError, match="cannot read embedded graph"):
        EmbeddedStore(tmp_path)


def test_closed_store_refuses_use(tmp_path):
    store = EmbeddedStore(tmp_path)
    store.close()

    with pytest.raises(StoreError, match="closed"):
        store.counts()
    assert store.ping() is False
