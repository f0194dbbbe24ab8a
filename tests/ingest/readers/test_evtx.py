"""EVTX reader over the corpus EVTX files (``$GRAPHSIEM_SAMPLES``) and broken input."""

from __future__ import annotations

import gzip
import io
import os
from pathlib import Path

import orjson
import pytest

from ingest.parsers.base import ParseContext
from ingest.parsers.windows import parsers
from ingest.readers import evtx as evtx_module
from ingest.readers.base import RawRecord, Reader, ReadError
from ingest.readers.evtx import EvtxReader
from ingest.readers.files import open_binary
from tests.samples import samples_path

ROOT = Path(__file__).resolve().parents[3]
SAMPLES = samples_path()
EVTX_FILES = sorted(SAMPLES.rglob("*.evtx")) if SAMPLES.is_dir() else []
LSASS = "sysmon_10_lsass_mimikatz_sekurlsa_logonpasswords.evtx"
# record counts from the corpus README
EXPECTED_COUNTS = {
    LSASS: 1,
    "LM_wmiexec_impacket_sysmon_whoami.evtx": 7,
    "sysmon_11_1_lolbas_downldr_desktopimgdownldr.evtx": 3,
    "DE_1102_security_log_cleared.evtx": 112,
    "LM_sysmon_psexec_smb_meterpreter.evtx": 10,
    "exec_emotet_ps_4104.evtx": 1,
}
EVTX_JSON = next(p for p in parsers() if p.name == "evtx_json")


def _corpus_file(name: str) -> Path:
    matches = [p for p in EVTX_FILES if p.name == name]
    if not matches:
        if os.environ.get("CI") == "true":
            pytest.fail(f"corpus file {name} missing under {SAMPLES}")
        pytest.fail(f"corpus not found at {SAMPLES} (set GRAPHSIEM_SAMPLES)")
    return matches[0]


def _read(path: Path) -> list[RawRecord | ReadError]:
    with path.open("rb") as stream:
        return list(EvtxReader().read(stream, str(path)))


def test_reader_follows_the_protocol() -> None:
    assert isinstance(EvtxReader(), Reader)


def test_sniff_on_the_file_magic() -> None:
    reader = EvtxReader()
    assert reader.sniff(b"ElfFile\x00" + bytes(100), "a.evtx")
    assert not reader.sniff(b'{"Event": {}}', "a.evtx")
    assert not reader.sniff(b"", "a.evtx")


@pytest.mark.parametrize("name", sorted(EXPECTED_COUNTS))
def test_every_record_is_read_and_parsed(name: str) -> None:
    path = _corpus_file(name)
    items = _read(path)
    assert not [i for i in items if isinstance(i, ReadError)]
    assert len(items) == EXPECTED_COUNTS[name]
    for item in items:
        assert isinstance(item, RawRecord)
        assert item.format_hint == "evtx_json"
        assert item.origin.startswith(f"{path}#")
        assert orjson.loads(item.text) == item.record
        (event,) = EVTX_JSON.parse(item.record, ParseContext(origin=item.origin))
        assert event.host and event.ts > 1.5e9


def test_lsass_sample_gives_a_process_access_to_lsass() -> None:
    (item,) = _read(_corpus_file(LSASS))
    (event,) = EVTX_JSON.parse(item.record, ParseContext(origin=item.origin))
    assert event.kind == "sysmon:process_access"
    assert event.host == "pc04"
    assert event.fields["target.process.name"] == "lsass.exe"
    assert event.fields["process.name"] == "mimikatz.exe"
    assert event.fields["target.granted_access"] == "0x1010"


def test_script_block_takes_the_powershell_pid_from_the_record_system() -> None:
    (item,) = _read(_corpus_file("exec_emotet_ps_4104.evtx"))
    (event,) = EVTX_JSON.parse(item.record, ParseContext(origin=item.origin))
    assert event.kind == "powershell:script_block"
    assert event.fields["process.pid"] == 6620
    assert "downloadfile" in event.fields["powershell.script_block_text"].lower().replace("`", "")


def test_origins_are_unique_record_numbers() -> None:
    items = _read(_corpus_file("DE_1102_security_log_cleared.evtx"))
    assert len({i.origin for i in items}) == len(items)


def test_gzip_stream_is_read_without_seeking() -> None:
    path = _corpus_file("LM_wmiexec_impacket_sysmon_whoami.evtx")
    compressed = gzip.compress(path.read_bytes())
    stream = gzip.GzipFile(fileobj=io.BytesIO(compressed))
    items = list(EvtxReader().read(stream, "x.evtx.gz"))  # type: ignore[arg-type]
    assert len(items) == 7 and all(isinstance(i, RawRecord) for i in items)


def test_a_compressed_file_is_copied_only_as_far_as_its_header_declares(monkeypatch, tmp_path) -> None:
    """Review finding: a 306 KB .evtx.gz made a 300 MiB temporary file. The copy stops at the
    declared chunks plus a slack; the records are read and the cut is reported."""
    path = _corpus_file("LM_wmiexec_impacket_sysmon_whoami.evtx")
    data = path.read_bytes()
    declared = 4096 + int.from_bytes(data[0x2A:0x2C], "little") * 65536
    monkeypatch.setattr(evtx_module, "SPOOL_SLACK_CHUNKS", 1)
    padded = data + bytes(declared + 3 * 65536 - len(data))  # zeros past the slack: a bomb's shape
    (tmp_path / "x.evtx.gz").write_bytes(gzip.compress(padded))
    spooled = []
    real = evtx_module._seekable
    monkeypatch.setattr(evtx_module, "_seekable", lambda s: spooled.append(real(s)) or spooled[-1])
    with open_binary(tmp_path / "x.evtx.gz") as stream:  # as the pipeline opens it: no seeking
        items = list(EvtxReader().read(stream, "x.evtx.gz"))
    spool, _ = spooled[0]
    assert spool.seek(0, 2) == declared + 65536  # not the whole padded stream
    assert sum(isinstance(i, RawRecord) for i in items) == 7
    (cut,) = [i for i in items if isinstance(i, ReadError) and "goes on past" in i.reason]
    assert cut.origin == "x.evtx.gz#0"


def test_not_an_evtx_file_is_one_read_error() -> None:
    items = list(EvtxReader().read(io.BytesIO(b"not an event log at all"), "junk.evtx"))
    assert len(items) == 1
    assert isinstance(items[0], ReadError)
    assert "EVTX" in items[0].reason and items[0].origin.startswith("junk.evtx#")


def test_truncated_file_reports_instead_of_dropping() -> None:
    path = _corpus_file("DE_1102_security_log_cleared.evtx")
    data = path.read_bytes()
    items = list(EvtxReader().read(io.BytesIO(data[:20000]), "cut.evtx"))
    errors = [i for i in items if isinstance(i, ReadError)]
    # what remains readable is read; what is lost is reported, never silently, after what was read
    assert errors and "truncated" in errors[0].reason
    assert errors[0].origin == "cut.evtx#after-18" and items[-1] is errors[0]
