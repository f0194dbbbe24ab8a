"""``--format NAME`` only turns auto-detection off: a record the parser's ``sniff`` does not claim is rejected.

Before, a forced parser parsed whatever it was given: ``--format ecs`` on the
Slips Suricata EVE file journaled 5,000 events with no fields and no host;
``--format sentinel`` on OTRF's NXLog bitsadmin file journaled 311 host-less
events.  The journal keeps events for good, so they could not be taken back.
"""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from ingest.journal import Journal
from ingest.pipeline import ingest_paths, ingest_records

FIXTURES = Path(__file__).parent / "fixtures"

ECS = orjson.loads((FIXTURES / "ecs_events.ndjson").read_bytes().splitlines()[0])
EVE = {"timestamp": "2026-03-01T10:00:04.000000+0000", "event_type": "dns", "src_ip": "10.0.0.5",
       "dest_ip": "10.0.0.1", "dns": {"type": "query", "rrname": "example.org"}}
ZEEK = {"_path": "dns", "ts": 1772359203.5, "uid": "C1", "id.orig_h": "10.0.0.5", "id.orig_p": 5300,
        "id.resp_h": "10.0.0.1", "id.resp_p": 53, "query": "example.com"}
NOBODY = {"what": "no parser claims this", "n": 1}


def _ingest_lines(tmp_path: Path, journal: Journal, records: list[dict], fmt: str):
    path = tmp_path / "mixed.ndjson"
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    return ingest_paths([path], store=None, journal=journal, format=fmt, progress=False)


def test_a_record_the_forced_parser_does_not_claim_is_rejected_naming_both_formats(tmp_path, journal):
    report = _ingest_lines(tmp_path, journal, [ECS, EVE, ZEEK, NOBODY], "ecs")
    assert (report.total.received, report.total.accepted, report.total.rejected) == (4, 1, 3)
    assert journal.counts()["events"] == 1
    reasons = {r.origin.rsplit(":", 1)[-1]: r.reason for r in journal.rejected()}
    assert reasons["2"].startswith("not a ecs record: ") and "suricata" in reasons["2"]
    assert "zeek" in reasons["3"]
    assert reasons["4"].startswith("not a ecs record: ") and "no parser recognises it" in reasons["4"]
    assert {r.format for r in journal.rejected()} == {"ecs"}
    assert report.formats["ecs"].rejected == 3 and set(report.formats) == {"ecs"}


def test_the_forced_parser_still_reads_its_own_records(tmp_path, journal):
    report = _ingest_lines(tmp_path, journal, [EVE, EVE | {"dns": {"type": "query", "rrname": "example.net"}}], "suricata")
    assert report.total.accepted == 2 and report.total.rejected == 0


def test_a_forced_format_on_api_objects_rejects_the_others(journal):
    report = ingest_records([ZEEK, EVE], store=None, journal=journal, format="zeek")
    assert (report.total.accepted, report.total.rejected) == (1, 1)
    assert journal.rejected()[0].reason.startswith("not a zeek record: ")


def test_zeek_tsv_rows_forced_to_zeek_are_read_and_forced_elsewhere_rejected(tmp_path):
    log = Path(__file__).parent / "parsers" / "fixtures" / "zeek" / "conn_http.log"
    with Journal(tmp_path / "a.sqlite") as journal:
        assert ingest_paths([log], store=None, journal=journal, format="zeek",
                            progress=False).total.rejected == 0
    with Journal(tmp_path / "b.sqlite") as journal:
        report = ingest_paths([log], store=None, journal=journal, format="suricata", progress=False)
        assert report.total.accepted == 0 and report.total.rejected == report.total.received > 0


@pytest.mark.parametrize(("sample", "fmt", "detected"), [
    ("stratosphere-slips/test6-malicious.suricata.json", "ecs", "suricata"),
    ("otrf-security-datasets/cmd_bitsadmin_download_psh_script_2020-10-2302365189.json",
     "sentinel", "nxlog"),
])
def test_a_sample_file_forced_to_another_format_journals_nothing(corpus, journal, sample, fmt, detected):
    report = ingest_paths([corpus / sample], store=None, journal=journal, format=fmt, progress=False)
    assert report.total.accepted == 0 and report.total.rejected == report.total.received > 0
    assert journal.counts()["events"] == 0
    reason = journal.rejected(limit=1)[0].reason
    assert reason.startswith(f"not a {fmt} record: ") and detected in reason, reason
