"""End to end: the LSASS campaign Zeek logs through the real pipeline into the embedded store.

The logs carry no DHCP: the victim's IP is tied to its host name by Kerberos
requests of its machine account (``MKT01$``), and from there the graph links
the host ``mkt01`` to the attacker's IP and the files it downloaded from it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from graphsiem.store.embedded import EmbeddedStore
from ingest.journal import Journal
from ingest.pipeline import ingest_paths
from tests.ingest.parsers.test_zeek_corpus import LSASS

ATTACKER = ("ip", "10.0.5.13")
VICTIM = ("host", "mkt01")


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedStore]:
    data = tmp_path_factory.mktemp("lsass")
    store = EmbeddedStore(data / "graph")
    report = ingest_paths(
        [LSASS], store=store, journal=Journal(data / "journal.sqlite"), progress=False
    )
    assert report.total.received == report.total.accepted == 261
    yield store
    store.close()


def edges(store: EmbeddedStore, relation: str) -> set[tuple[tuple[str, str], tuple[str, str]]]:
    return {(r.src, r.dst) for r in store.iter_relations(relation)}


def test_victim_host_connected_to_attacker_ip(store: EmbeddedStore) -> None:
    assert (VICTIM, ATTACKER) in edges(store, "CONNECTED")


def test_victim_host_requested_no_made_up_url(store: EmbeddedStore) -> None:
    # http.log has no request line (method, host, uri unset): there is no URL to request
    assert not {dst for src, dst in edges(store, "REQUESTED") if src == VICTIM}


def test_victim_host_downloaded_the_unhashed_stager_from_the_attacker(store: EmbeddedStore) -> None:
    """files.log has the 7,168-byte PE with no digest and no name, and its http record names no URL (Zeek
    saw no request line): it is known by the server's address (joined by file id, although files.log is
    read before http.log), type and size."""
    downloads = {}
    for src, ref in edges(store, "DOWNLOADED"):
        entity = store.get_entity(*ref)
        if src == VICTIM and entity is not None:
            downloads[(entity.props["mime_type"], entity.props["size"], entity.props["sender"])] = ref
    stager_key = ("application/x-dosexec", 7168, "10.0.5.13")
    # beside the HTML page it fetched; the 404 page (status 404) is no download
    assert set(downloads) == {stager_key, ("text/html", 248, "10.0.5.13")}
    stager = downloads[stager_key]
    # and by the address that sent it (files.log's responder: file SERVED_BY ip)
    assert {dst for src, dst in edges(store, "SERVED_BY") if src == stager} == {ATTACKER}


def test_ingesting_again_adds_nothing(store: EmbeddedStore, tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.sqlite")
    first = ingest_paths([LSASS], store=None, journal=journal, progress=False)
    second = ingest_paths([LSASS], store=None, journal=journal, progress=False)
    assert first.total.accepted == 261
    assert second.total.duplicates == 261
