"""Walking input paths: symlinked directories, loops, the same real file twice, non-regular files.

Before: ``os.walk`` without ``followlinks`` skipped a symlinked subdirectory
silently (``top/sensor1 -> ../real`` gave ``files: []``, exit 0), and a FIFO
in an ingested directory was opened like a file and hung the ingest forever.
"""

from __future__ import annotations

from pathlib import Path

from ingest.journal import Journal
from ingest.pipeline import ingest_paths
from ingest.readers.files import iter_files

FIXTURES = Path(__file__).parents[1] / "fixtures"
ECS = (FIXTURES / "ecs_events.ndjson").read_bytes()  # 4 records
LOCAL = b"".join(b'{"labels":{"copy":"local"},' + line[1:] for line in ECS.splitlines(keepends=True))
"""Four other records (other lines, other ids)."""


def _tree(tmp_path: Path) -> Path:
    """``top/`` with a real file and ``top/sensor1 -> ../real``, a directory outside it."""
    real, top = tmp_path / "real", tmp_path / "top"
    real.mkdir(), top.mkdir()
    (real / "eve.ndjson").write_bytes(ECS)
    (top / "local.ndjson").write_bytes(LOCAL)
    (top / "sensor1").symlink_to("../real", target_is_directory=True)
    return top


def _relative(paths, top: Path) -> list[str]:
    return [Path(p).relative_to(top).as_posix() for p in paths]


def test_a_symlinked_subdirectory_is_walked(tmp_path: Path) -> None:
    top = _tree(tmp_path)
    assert _relative(iter_files([top]), top) == ["local.ndjson", "sensor1/eve.ndjson"]
    with Journal(tmp_path / "j.sqlite") as journal:
        report = ingest_paths([top], store=None, journal=journal, progress=False)
    assert str(top / "sensor1" / "eve.ndjson") in report.files
    assert report.total.accepted == 8 and report.total.rejected == 0


def test_a_symlink_loop_ends_and_each_file_is_read_once(tmp_path: Path) -> None:
    top = _tree(tmp_path)
    (top / "again").symlink_to(".", target_is_directory=True)  # top/again -> top
    (tmp_path / "real" / "up").symlink_to("../top", target_is_directory=True)  # real/up -> top
    files = _relative(iter_files([top]), top)
    assert files == ["local.ndjson", "sensor1/eve.ndjson"], files


def test_two_links_to_one_directory_and_a_linked_file_read_it_once(tmp_path: Path) -> None:
    top = _tree(tmp_path)
    (top / "sensor2").symlink_to(tmp_path / "real", target_is_directory=True)
    (top / "z.ndjson").symlink_to(tmp_path / "real" / "eve.ndjson")
    # a directory's files come before its subdirectories: the link is met first
    assert _relative(iter_files([top]), top) == ["local.ndjson", "z.ndjson"]
    with Journal(tmp_path / "j.sqlite") as journal:
        report = ingest_paths([top], store=None, journal=journal, progress=False)
        assert report.total.received == 8 and journal.counts()["events"] == 8


def test_the_real_directory_given_beside_a_link_to_it_is_read_once(tmp_path: Path) -> None:
    top = _tree(tmp_path)
    files = list(iter_files([top, tmp_path / "real", tmp_path / "real" / "eve.ndjson"]))
    assert _relative(files, tmp_path) == ["top/local.ndjson", "top/sensor1/eve.ndjson"]


def test_hidden_entries_and_order_are_as_before(tmp_path: Path) -> None:
    top = _tree(tmp_path)
    (top / ".hidden").mkdir()
    (top / ".hidden" / "x.ndjson").write_bytes(ECS)
    (top / ".dot.ndjson").write_bytes(ECS)
    (top / "a").mkdir()
    (top / "a" / "b.ndjson").write_bytes(b"{}\n")
    (top / "b.ndjson").write_bytes(b"{}\n")
    assert _relative(iter_files([top]), top) == ["b.ndjson", "local.ndjson", "a/b.ndjson",
                                                 "sensor1/eve.ndjson"]


def test_a_dangling_symlink_is_still_one_unreadable_file(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "gone.ndjson").symlink_to(tmp_path / "nowhere.ndjson")
    with Journal(tmp_path / "j.sqlite") as journal:
        report = ingest_paths([tmp_path / "d"], store=None, journal=journal, progress=False)
        assert report.total.rejected == 1 and "cannot be read" in journal.rejected()[0].reason
