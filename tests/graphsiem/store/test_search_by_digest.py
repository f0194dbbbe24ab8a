"""A file or process is found by any digest it carries, on both stores (F25).

Before, search compared only an entity's value and key (and a process's decoded
command, a script's text): a file keyed by its SHA-256 was not found by its MD5,
SHA-1 or imphash, and a process (keyed by its command line) by none of them,
although the events carried all four (review T5, item 2: ProcessHerpaderping.exe
by MD5 ``b4ab5011…`` returned no hit).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from graphsiem.store.base import CONTAINS, PREFIX, GraphStore
from ingest.journal import Journal
from ingest.pipeline import ingest_paths
from tests.graphsiem.store.digest_records import (
    DLL_IMPHASH,
    DLL_MD5,
    DLL_SHA1,
    DLL_SHA256,
    DROPPER_CMD,
    HELPER_MD5,
    IMPHASH,
    MD5,
    RERUN_CMD,
    SHA1,
    SHA256,
    ingest_digest_records,
)


@pytest.fixture
def projected(store: GraphStore, tmp_path: Path) -> GraphStore:
    ingest_digest_records(store, tmp_path)
    return store


def _values(hits) -> set[tuple[str, str, str]]:  # noqa: ANN001
    return {(hit.entity.type, hit.entity.value, hit.matched) for hit in hits}


@pytest.mark.parametrize(("digest", "prop"), [(MD5, "md5"), (SHA1, "sha1"), (IMPHASH, "imphash"),
                                              (MD5.lower(), "md5"), (SHA256, "sha256")])
def test_a_sysmon_1_process_is_found_by_each_digest_of_its_hashes(projected: GraphStore, digest: str,
                                                                   prop: str) -> None:
    hits = projected.search_entities(digest, limit=10)
    whole = [hit for hit in hits if hit.matched == prop]
    assert {("process", DROPPER_CMD, prop), ("process", RERUN_CMD, prop)} <= _values(whole)
    assert all(hit.rank == PREFIX for hit in whole)


def test_a_digest_hit_comes_before_a_command_line_that_contains_it(projected: GraphStore) -> None:
    hits = projected.search_entities(MD5, limit=10)
    assert [hit.matched for hit in hits] == ["md5", "md5", "value"]
    assert hits[2].rank == CONTAINS and "certutil" in hits[2].entity.value
    # with room for one only, it is a digest hit that is listed
    first = projected.search_entities(MD5, limit=1)
    assert len(first) == 2 and {hit.matched for hit in first} == {"md5"}


def test_an_imphash_finds_every_build_that_shares_it(projected: GraphStore) -> None:
    hits = projected.search_entities(IMPHASH.lower(), entity_type="process", limit=10)
    assert {hit.entity.props["name"] for hit in hits} == {"dropper.exe", "helper.exe"}
    assert {hit.matched for hit in hits} == {"imphash"}


@pytest.mark.parametrize(("digest", "prop"), [(DLL_MD5, "md5"), (DLL_SHA1, "sha1"), (DLL_IMPHASH, "imphash")])
def test_a_loaded_file_is_found_by_its_weaker_digests(projected: GraphStore, digest: str, prop: str) -> None:
    [hit] = projected.search_entities(digest, limit=10)
    assert (hit.entity.type, hit.entity.key, hit.matched, hit.rank) == ("file", DLL_SHA256.lower(), prop, PREFIX)


def test_part_of_a_digest_or_another_type_finds_nothing_by_digest(projected: GraphStore) -> None:
    assert projected.search_entities(HELPER_MD5[:31], limit=10) == []  # not a digest's length
    assert projected.search_entities(HELPER_MD5, entity_type="file", limit=10) == []
    assert projected.entities_by_digest(HELPER_MD5[:31]) == []
    assert projected.entities_by_digest("helper.exe") == []


def test_entities_by_digest_lists_the_holders_and_says_when_there_are_more(projected: GraphStore) -> None:
    hits = projected.entities_by_digest(IMPHASH, limit=5)
    assert _values(hits) == {("process", DROPPER_CMD, "imphash"), ("process", RERUN_CMD, "imphash"),
                             ("process", "helper.exe", "imphash")}
    assert len(projected.entities_by_digest(IMPHASH, limit=1)) == 2  # limit + 1: there are more
    [dll] = projected.entities_by_digest(DLL_MD5.lower(), entity_type="file")
    assert dll.entity.key == DLL_SHA256.lower() and dll.matched == "md5"
    assert projected.entities_by_digest(DLL_MD5, entity_type="process") == []


def test_the_herpaderping_tool_is_found_by_its_md5_sha1_and_imphash(store: GraphStore, samples_dir: Path,
                                                                     tmp_path: Path) -> None:
    """The reviewer's case on the corpus: every digest of line 51's ``Hashes`` finds the tool."""
    path = samples_dir / "otrf-security-datasets" / "cmd_process_herpaderping_snippingtool_2020-10-2708290130.json"
    with Journal(tmp_path / "journal.sqlite") as journal:
        report = ingest_paths([path], store=store, journal=journal, progress=False)
    assert report.total.rejected == 0
    tool = "C:\\Users\\wardog\\Desktop\\ProcessHerpaderping.exe"
    for digest, prop in (("b4ab50110a295107ad882bdb2863ece8", "md5"),
                         ("395E37131ACA77430D0D5F69DD483D321A020080", "sha1"),
                         ("fe3faa008aa18ea03b3ede150afd5a5c", "imphash")):
        hits = store.search_entities(digest, limit=20)
        assert hits, digest
        assert all(hit.matched == prop and hit.rank == PREFIX for hit in hits), digest
        assert {hit.entity.props.get("image") or hit.entity.props.get("path") for hit in hits} == {tool}
    md5_types = {hit.entity.type for hit in store.search_entities("B4AB50110A295107AD882BDB2863ECE8")}
    assert md5_types == {"file", "process"}
