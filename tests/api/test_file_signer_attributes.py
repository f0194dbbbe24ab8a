"""A file's signer is in its entity answer, so the entity page shows it (task BEH3 #1).

A Sysmon 7 of a process's own image keeps ``signed``, ``signature`` and ``signature_status`` on the
file of the image's digest (:mod:`ingest.projection_signers`); ``GET /v1/entities/file/{digest}``
returns them among the file's props, which the page lists as rows.  Through the ingest pipeline
into the API's store, on both stores.
"""

from __future__ import annotations

from pathlib import Path

from ingest.journal import Journal
from ingest.pipeline import ingest_records
from tests.api.conftest import Api
from tests.ingest.test_projection_signers import SIGNED_SHA256, _image_load


def test_a_files_signer_is_among_its_entity_props(api: Api, tmp_path: Path) -> None:
    record = _image_load(1, SIGNED_SHA256, Signed="true", Signature="Contoso Ltd", SignatureStatus="Valid")
    with Journal(tmp_path / "data" / "journal.sqlite") as journal:  # the API's data directory
        ingest_records([record], store=api.ctx.store, journal=journal, origin="api")
    api.ctx.store.flush()

    entity = api.get(f"/v1/entities/file/{SIGNED_SHA256}", role="analyst").json()

    assert {k: entity["props"].get(k) for k in ("signed", "signature", "signature_status")} == {
        "signed": True, "signature": "Contoso Ltd", "signature_status": "Valid"}
