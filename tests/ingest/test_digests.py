"""File digests: only a real digest is a file's identity, in every parser that reads hashes.

A file entity is keyed by its SHA-256: a placeholder (``N/A``, all zeros, the
empty file's digest) or a malformed value in a hash field made unrelated files
on many hosts one file, the fake fan-out the product exists to find.
"""

from __future__ import annotations

import pytest

from ingest.normalize import DIGEST_LENGTHS, digest_fields, normalize_digest, split_hashes
from ingest.parsers.base import ParseContext
from ingest.parsers.ecs import EcsParser
from ingest.parsers.suricata import SuricataEveParser
from ingest.parsers.syslog import SyslogParser
from ingest.parsers.windows import parsers as windows_parsers
from ingest.parsers.zeek import ZeekParser
from ingest.pipeline import ingest_records

SHA256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"  # sha256(b"test")
EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
MD5 = "098f6bcd4621d373cade4e832627b4f6"
SHA1 = "a94a8fe5ccb19ba61c4c0873d391e987982fbbd3"


@pytest.mark.parametrize(
    ("algorithm", "value", "expected"),
    [
        ("sha256", SHA256, SHA256),
        ("sha256", f" {SHA256.upper()} ", SHA256),  # a trailing space is the same file
        ("md5", MD5, MD5),
        ("sha1", SHA1, SHA1),
        ("imphash", "F34D5F2D4577ED6D9CEEC516C1F5A744", "f34d5f2d4577ed6d9ceec516c1f5a744"),
        ("sha512", "ab" * 64, "ab" * 64),
        ("sha256", "-", None),
        ("sha256", "", None),
        ("sha256", None, None),
        ("sha256", "0" * 64, None),  # all zeros: not computed
        ("imphash", "0" * 32, None),  # Sysmon's IMPHASH of a file without imports
        ("sha256", EMPTY_SHA256, None),  # the empty file: on every host, no identity
        ("md5", "d41d8cd98f00b204e9800998ecf8427e", None),
        ("sha1", "da39a3ee5e6b4b0d3255bfef95601890afd80709", None),
    ],
)
def test_normalize_digest_keeps_only_real_digests(algorithm: str, value: object, expected: str | None) -> None:
    assert normalize_digest(algorithm, value) == expected


@pytest.mark.parametrize(
    ("algorithm", "value"),
    [
        ("sha256", "N/A"),
        ("sha256", "zz"),
        ("sha256", SHA256[:-1]),  # cut by a logger
        ("sha256", SHA256 + "0"),
        ("sha256", "g" * 64),
        ("sha256", "e3b0 c442" + SHA256[9:]),
        ("md5", SHA256),  # a digest of another algorithm's length
        ("sha256", 0),
        ("crc32", "cbf43926"),
    ],
)
def test_normalize_digest_refuses_what_is_no_digest(algorithm: str, value: object) -> None:
    with pytest.raises(ValueError, match="digest"):
        normalize_digest(algorithm, value)


def test_digest_fields_keeps_malformed_values_visible_but_never_as_a_hash() -> None:
    fields = digest_fields("file.", [("sha256", " N/A "), ("md5", "0" * 32), ("sha1", SHA1.upper()), ("crc", "x")])
    assert fields == {"file.hash_invalid.sha256": "N/A", "file.hash.sha1": SHA1}


def test_the_lengths_are_the_algorithms() -> None:
    import hashlib

    for algorithm, length in DIGEST_LENGTHS.items():
        assert len(hashlib.new("md5" if algorithm == "imphash" else algorithm, b"").hexdigest()) == length


def test_split_hashes_then_digest_fields_on_a_sysmon_value() -> None:
    hashes = f"SHA1={SHA1.upper()},MD5=zz,SHA256=N/A,IMPHASH={'0' * 32}"
    assert digest_fields("process.", split_hashes(hashes).items()) == {
        "process.hash.sha1": SHA1, "process.hash_invalid.md5": "zz", "process.hash_invalid.sha256": "N/A",
    }


# -- every parser that reads hashes ----------------------------------------------------------


def _one(parser, record: dict):
    (event,) = [event for event in parser.parse(record, ParseContext(origin="t:1")) if event.fields]
    return event.fields


def _sysmon(hashes: str, host: str = "WS-1", path: str = "C:\\x\\a.exe") -> dict:
    return {
        "@timestamp": "2024-03-05T10:00:05.000Z", "agent": {"type": "winlogbeat", "version": "8.11.0"},
        "winlog": {"computer_name": host, "event_id": "1", "channel": "Microsoft-Windows-Sysmon/Operational",
                   "event_data": {"UtcTime": "2024-03-05 10:00:00.123", "ProcessId": "42", "Image": path,
                                  "CommandLine": "a.exe", "Hashes": hashes}},
    }


def test_sysmon_hashes_keep_only_real_digests() -> None:
    (parser,) = [p for p in windows_parsers() if p.sniff(_sysmon("SHA256=zz"))]
    fields = _one(parser, _sysmon(f"SHA256=zz,MD5={MD5.upper()},IMPHASH={'0' * 32}"))
    assert "process.hash.sha256" not in fields and "process.hash.imphash" not in fields
    assert fields["process.hash_invalid.sha256"] == "zz"
    assert fields["process.hash.md5"] == MD5


@pytest.mark.parametrize("value", ["N/A", "0" * 64, "zz", EMPTY_SHA256])
def test_ecs_file_and_process_hashes(value: str) -> None:
    record = {"@timestamp": "2024-03-05T10:00:00Z", "host": {"name": "ws-1"},
              "file": {"path": "C:\\x\\a.txt", "hash": {"sha256": value, "md5": MD5}},
              "process": {"executable": "C:\\x\\b.exe", "hash": {"sha256": value}}}
    fields = _one(EcsParser(), record)
    assert "file.hash.sha256" not in fields and "process.hash.sha256" not in fields
    assert fields["file.hash.md5"] == MD5
    assert ("file.hash_invalid.sha256" in fields) == (value in ("N/A", "zz"))


def test_ecs_trailing_space_is_the_same_digest() -> None:
    def fields(value: str) -> dict:
        return _one(EcsParser(), {"@timestamp": "2024-03-05T10:00:00Z", "file": {"hash": {"sha256": value}}})

    assert fields(SHA256 + " ")["file.hash.sha256"] == fields(SHA256)["file.hash.sha256"] == SHA256


def test_zeek_files_hashes() -> None:
    record = {"_path": "files", "ts": 1.0, "fuid": "F1", "sha256": "N/A", "md5": "0" * 32, "sha1": SHA1.upper()}
    fields = _one(ZeekParser(), record)
    assert fields["file.hash.sha1"] == SHA1
    assert fields["file.hash_invalid.sha256"] == "N/A"
    assert "file.hash.sha256" not in fields and "file.hash.md5" not in fields


def test_suricata_fileinfo_hashes() -> None:
    record = {"timestamp": "2024-03-05T10:00:00.000000+0000", "event_type": "fileinfo",
              "src_ip": "10.0.0.1", "src_port": 80, "dest_ip": "10.0.0.2", "dest_port": 50000,
              "fileinfo": {"filename": "/a.exe", "sha256": "0" * 64, "md5": "zz", "sha1": SHA1}}
    fields = _one(SuricataEveParser(), record)
    assert fields["file.hash.sha1"] == SHA1
    assert fields["file.hash_invalid.md5"] == "zz"
    assert "file.hash.sha256" not in fields and "file.hash.md5" not in fields


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (SHA256.upper(), {"file.hash.sha256": SHA256}),
        (MD5, {"file.hash.md5": MD5}),
        ("N/A", {"cef.fileHash": "N/A"}),  # no digest of a known length: an unread extension value
        ("z" * 64, {"cef.fileHash": "z" * 64}),
        ("0" * 64, {}),
    ],
)
def test_cef_file_hash(value: str, expected: dict) -> None:
    line = f"<134>Mar  5 10:00:00 fw01 CEF:0|Vendor|Product|1.0|100|File|5|rt=1709632800000 fileHash={value} fname=a.exe"
    fields = _one(SyslogParser(), line)
    found = {key: fields[key] for key in fields if "fileHash" in key or key.startswith(("file.hash", "file.hash_"))}
    assert found == expected


# -- through the real pipeline: placeholders make no fake fan-out ----------------------------


def _file_create(host: str, sha256: str, path: str) -> dict:
    return {"@timestamp": "2024-03-05T10:00:00Z", "event": {"category": "file", "type": "creation"},
            "host": {"name": host}, "process": {"executable": "C:\\Windows\\explorer.exe"},
            "file": {"path": path, "hash": {"sha256": sha256}}}


@pytest.mark.parametrize("placeholder", ["N/A", "0" * 64, EMPTY_SHA256, "zz"])
def test_a_placeholder_on_three_hosts_is_three_files(placeholder: str, journal, graph) -> None:
    records = [_file_create(f"ws-{n}", placeholder, f"C:\\Users\\u{n}\\report{n}.docx") for n in range(3)]
    report = ingest_records(records, store=graph, journal=journal)
    assert report.total.accepted == 3
    files = {entity.key: entity for entity in graph.iter_entities("file")}
    assert len(files) == 3
    assert not any(placeholder.lower() in key for key in files)
    for key in files:
        assert [s.host for s in graph.hosts_of("file", key)] in (["ws-0"], ["ws-1"], ["ws-2"])


def test_a_real_digest_on_three_hosts_is_one_file_whatever_its_spelling(journal, graph) -> None:
    spellings = [SHA256, SHA256.upper() + " ", " " + SHA256]
    records = [_file_create(f"ws-{n}", spelling, f"C:\\t\\x{n}.exe") for n, spelling in enumerate(spellings)]
    ingest_records(records, store=graph, journal=journal)
    assert [entity.key for entity in graph.iter_entities("file")] == [SHA256]
    assert sorted(s.host for s in graph.hosts_of("file", SHA256)) == ["ws-0", "ws-1", "ws-2"]
