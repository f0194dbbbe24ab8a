"""An image load's signer is kept on the loaded file (task BEH3 #1).

Sysmon 7 names the signer of what a process loads, its own image first (``Signed``, ``Signature``,
``SignatureStatus``); only Sysmon 6's drivers kept it.  Now every image load keeps it on the file (keyed
by its digest, so it is the signer of every process of that build), an ECS library load its
``dll.code_signature.*`` and an ECS process record its ``process.code_signature.*`` on the process.  A
behaviour verdict carried to a product's new build checks it (:mod:`analytics.build_signers`).  Real
records through the pipeline, on both stores.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from graphsiem.store.base import GraphStore
from ingest.journal import Journal
from ingest.pipeline import ingest_records
from tests.ingest.parsers.test_windows_variants import _sysmon

IMAGE = "C:\\Program Files\\Contoso\\memdiag.exe"
SIGNED_SHA256, UNSIGNED_SHA256 = "ab" * 32, "cd" * 32


def _image_load(record_id: int, sha256: str, **signature: str) -> dict[str, Any]:
    """A Sysmon 7 of a process's own image (``ImageLoaded`` is its ``Image``)."""
    return _sysmon(7, record_id, ProcessGuid="{5770385f-0000-0000-0000-000000000042}", ProcessId="4242",
                   Image=IMAGE, ImageLoaded=IMAGE, Hashes=f"SHA256={sha256.upper()}", User="CORP\\svc",
                   OriginalFileName="memdiag.exe", **signature)


def _ingest(store: GraphStore, tmp_path: Path, records: list[dict[str, Any]]) -> None:
    with Journal(tmp_path / "journal.sqlite") as journal:
        report = ingest_records(records, store=store, journal=journal, origin="api")
    store.flush()
    assert (report.total.accepted, report.total.rejected) == (len(records), 0)


def _signer(props: dict[str, Any]) -> dict[str, Any]:
    return {k: props[k] for k in ("signed", "signature", "signature_status") if k in props}


def test_a_sysmon_image_load_keeps_the_signer_on_the_loaded_file(store: GraphStore, tmp_path: Path) -> None:
    _ingest(store, tmp_path, [
        _image_load(1, SIGNED_SHA256, Signed="true", Signature="Contoso Ltd", SignatureStatus="Valid"),
        _image_load(2, UNSIGNED_SHA256, Signed="false", Signature="-", SignatureStatus="Unavailable"),
    ])
    signed, unsigned = (store.get_entity("file", digest) for digest in (SIGNED_SHA256, UNSIGNED_SHA256))
    assert signed is not None and unsigned is not None
    assert _signer(signed.props) == {"signed": True, "signature": "Contoso Ltd", "signature_status": "Valid"}
    assert _signer(unsigned.props) == {"signed": False, "signature_status": "Unavailable"}  # "-" names no one


ELASTIC_DLL_LOAD = {
    "@timestamp": "2024-03-05T10:15:30.120Z", "host": {"name": "ws-0042"},
    "event": {"category": ["library"], "type": ["start"], "action": "load"},
    "process": {"executable": IMAGE, "pid": 4242, "entity_id": "p-1"},
    "dll": {"path": "C:\\Program Files\\Contoso\\contoso.dll", "name": "contoso.dll",
            "hash": {"sha256": SIGNED_SHA256},
            "code_signature": {"exists": True, "subject_name": "Contoso Ltd", "status": "trusted", "trusted": True}},
}
ELASTIC_PROCESS = {
    "@timestamp": "2024-03-05T10:15:31.000Z", "host": {"name": "ws-0042"},
    "event": {"category": ["process"], "type": ["start"]},
    "process": {"executable": IMAGE, "command_line": f'"{IMAGE}" --minidump', "pid": 4343, "entity_id": "p-2",
                "hash": {"sha256": UNSIGNED_SHA256},
                "code_signature": {"exists": False}},
}


def test_ecs_library_loads_and_process_records_keep_their_signers(store: GraphStore, tmp_path: Path) -> None:
    _ingest(store, tmp_path, [ELASTIC_DLL_LOAD, ELASTIC_PROCESS])
    dll = store.get_entity("file", SIGNED_SHA256)
    assert dll is not None
    assert _signer(dll.props) == {"signed": True, "signature": "Contoso Ltd", "signature_status": "trusted"}
    [process] = [e for e in store.iter_entities("process") if e.props.get("sha256") == UNSIGNED_SHA256]
    assert _signer(process.props) == {"signed": False}
