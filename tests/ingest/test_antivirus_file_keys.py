"""A detection's file is keyed so that a path never takes a digest's key (task AV3).

A Defender detection names no digest: its file was keyed by its lower-cased path.  A forged 1116 whose
``Path`` was ``file:_<a real file's SHA-256>`` was keyed by that digest: the detection landed on the
hashed file's node (its ``sha256`` property then read as a SHA-256 match by every cluster holding it).
Now a "path" that is no absolute path is kept in its own namespace (``path:``), and any path-keyed file
whose path has a digest's shape too, whatever the source.  A genuine path-only detection still joins
the file seen at that path: the Sysmon 11 write without a digest, on that host.

Both ways in, on both stores: the forged line ingested through the pipeline (Winlogbeat JSON, a new
journal), and the same detection as the previous projection journaled it, replayed as ``graphsiem
rebuild`` replays a journal.
"""

from __future__ import annotations

from pathlib import Path

from graphsiem.model import Event
from graphsiem.store.base import GraphStore
from ingest.journal import Journal
from ingest.normalize import file_path_key
from tests.analytics.test_antivirus_corroboration import UPD, _defender, _ingest

DIGEST = "9f" * 32
"""A real file's SHA-256 (Sysmon hashed it on ws-001), which the forger writes as a path."""
AT = 1780049100.0
DROPPER = {"process.executable": "C:\\Windows\\explorer.exe", "process.pid": 4120,
           "process.guid": "{6f0c1c2e-0000-0000-0000-000000000001}"}


def _hashed_write(host: str = "ws-001") -> Event:
    """A Sysmon 29 (an executable written), hashed: the file is keyed by its SHA-256."""
    return Event("hashed-write", "sysmon:file_executable_detected", AT, host, "winlogbeat",
                 {**DROPPER, "file.path": "C:\\Users\\Public\\upd.exe", "file.hash.sha256": DIGEST}, "s.ndjson:1", "x")


def _path_write(host: str = "ws-001") -> Event:
    """A Sysmon 11 without a digest: the file is keyed by its path."""
    return Event("path-write", "sysmon:file_create", AT + 1, host, "winlogbeat",
                 {**DROPPER, "file.path": UPD}, "s.ndjson:2", "x")


def _journaled_detection(event_id: str, host: str, path: str) -> Event:
    """A Defender 1116 as projection 7's parser journaled it (``file.path`` and ``file.name`` from ``Path``)."""
    return Event(event_id, "av:detection", AT + 60, host, "winlogbeat",
                 {"event.code": "1116", "event.channel": "Microsoft-Windows-Windows Defender/Operational",
                  "antivirus.product": "Microsoft Defender Antivirus", "threat.name": "Trojan:Win32/Wacatac.B!ml",
                  "antivirus.action": "Not Applicable", "file.path": path, "file.name": path.rpartition("\\")[2]},
                 "d.ndjson:1", "x")


def _detected(store: GraphStore) -> dict[str, tuple[str, str]]:
    return {rel.src[1]: rel.dst for rel in store.iter_relations("DETECTED")}


def test_a_rebuilt_forged_detection_naming_a_digest_is_not_that_files(store: GraphStore, tmp_path: Path) -> None:
    """Was: ws-039's DETECTED edge ended on ("file", DIGEST), the hashed file ws-001 wrote."""
    with Journal(tmp_path / "journal.sqlite") as journal:
        journal.append([_hashed_write(), _journaled_detection("forged", "ws-039", DIGEST)])
        journal.replay(store)
    store.flush()
    assert _detected(store) == {"ws-039": ("file", "path:" + DIGEST)}
    hashed = store.get_entity("file", DIGEST)
    assert hashed is not None and hashed.props.get("sha256") == DIGEST  # the hashed file is still there, alone
    assert not any(rel.dst == ("file", DIGEST) for rel in store.iter_relations("DETECTED"))


def test_an_ingested_forged_detection_naming_a_digest_is_not_that_files(store: GraphStore, tmp_path: Path) -> None:
    """The same forged line as Winlogbeat JSON through the pipeline (the parser's Path ``file:_<digest>``)."""
    with Journal(tmp_path / "journal.sqlite") as journal:
        journal.append([_hashed_write()])
        journal.replay(store)
        _ingest(store, journal, tmp_path, [_defender("ws-039", 1116, AT + 60, DIGEST)], [])
    assert _detected(store) == {"ws-039": ("file", "path:" + DIGEST)}


def test_a_genuine_path_only_detection_joins_the_file_written_at_that_path(store: GraphStore, tmp_path: Path) -> None:
    """A real path keeps its key: the detection is of the file the host's Sysmon 11 wrote (no digest)."""
    with Journal(tmp_path / "journal.sqlite") as journal:
        journal.append([_path_write(), _journaled_detection("genuine", "ws-001", UPD)])
        journal.replay(store)
    store.flush()
    written = {rel.dst for rel in store.iter_relations("WROTE")}
    assert written == {("file", UPD.lower())}
    assert _detected(store) == {"ws-001": ("file", UPD.lower())}


def test_a_path_only_file_named_as_a_digest_never_takes_the_digests_key() -> None:
    """Any source: a download or write named 64 hex characters is keyed apart from the digest's file."""
    assert file_path_key(DIGEST.upper()) == "path:" + DIGEST
    assert file_path_key("a" * 40) == "path:" + "a" * 40 and file_path_key("b" * 32) == "path:" + "b" * 32
    assert file_path_key("9f" * 31 + "9g") == "9f" * 31 + "9g"  # one non-hex character: no digest's shape
    assert file_path_key(UPD) == UPD.lower()
