"""The Windows value memos remember the values they are for: Sysmon ``Hashes`` texts and long image paths.

A second constant named ``_MEMO_KEY_CHARS`` (64, the bound of the event-data
layout plans) once rebound the value memos' bound (512), so no ``Hashes`` text
(~200 characters) and no image path over 64 characters was ever remembered:
every Sysmon 1/7/15 event split and normalised its digests again.
"""

from __future__ import annotations

import orjson
import pytest

from ingest.parsers import windows_fields
from ingest.parsers.base import ParseContext
from ingest.parsers.windows_fields import _data_plan, basename, put_hashes
from ingest.registry import default_registry
from tests.samples import samples_path

HASHES = f"SHA1={'AA' * 20},MD5={'BB' * 16},SHA256={'CC' * 32},IMPHASH={'DD' * 16}"
HERPADERPING = "otrf-security-datasets/cmd_process_herpaderping_snippingtool_2020-10-2708290130.json"


@pytest.fixture(autouse=True)
def _empty_memos(monkeypatch: pytest.MonkeyPatch) -> None:
    for table in ("_basenames", "_guids", "_hash_fields", "_pids", "_users"):
        monkeypatch.setattr(windows_fields, table, {})
    monkeypatch.setattr(windows_fields, "_plans", ({}, {}))
    monkeypatch.setattr(windows_fields, "_data_fields", ({}, {}))


def test_a_sysmon_hashes_text_is_remembered() -> None:
    assert len(HASHES) > 64
    fields: dict = {}
    put_hashes(fields, "file.", HASHES)
    assert windows_fields._hash_fields["file."][HASHES] == fields


def test_an_image_path_longer_than_64_characters_is_remembered() -> None:
    path = "C:\\Windows\\assembly\\NativeImages_v4.0.30319_64\\System.Configuration\\x\\System.Configuration.ni.dll"
    assert basename(path) == "system.configuration.ni.dll"
    assert windows_fields._basenames[path] == "system.configuration.ni.dll"


def test_layout_plans_still_hold_only_short_keys() -> None:
    short = {"Image": "a", "k" * 64: "b"}
    long_ = {"Image": "a", "k" * 65: "b"}
    _data_plan(short, True)
    _data_plan(long_, True)
    assert list(windows_fields._plans[1]) == [tuple(short)]
    assert "k" * 65 not in windows_fields._data_fields[1]


def test_every_hashes_text_of_a_real_sysmon_file_is_remembered_once_parsed() -> None:
    registry, context = default_registry(), ParseContext()
    wanted = set()
    for line in (samples_path() / HERPADERPING).read_bytes().splitlines():
        record = orjson.loads(line)
        list(registry.detect(record).parse(record, context))
        if record.get("Hashes"):
            wanted.add(record["Hashes"])
    assert len(wanted) > 10
    remembered = {text for by_text in windows_fields._hash_fields.values() for text in by_text}
    assert wanted <= remembered
