"""An adfs_key_read names where its session came from: the DC's 4624 whose TargetLogonId is the 4662's
SubjectLogonId (task INGF item 1, :func:`analytics.host_finding_reads.session_sources`).

Before, both ids were dropped at ingest, so the finding could only tell the analyst to go and look.  On
OTRF's Golden SAML capture (``$GRAPHSIEM_SAMPLES``) wardog's three sessions that read the DKM key on
DC01 all logged on from 192.168.2.5; records of our own making check the join's edges.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from analytics.adfs_key_reads import OBJECT_KIND, key_read_hit
from analytics.host_finding_reads import read_more_hits, session_sources
from ingest.journal import Journal
from ingest.pipeline import ingest_paths
from tests.analytics.test_adfs_key_reads import read
from tests.ingest.parsers.test_windows_logon_ids import LOGON, OPERATION, _shapes

GOLDEN_SAML = Path("otrf-security-datasets/golden_saml/WindowsEvents.json")


def test_the_hit_names_the_session_source_when_given() -> None:
    fields = read(**{"winlog.logon.id": "0x8f0f2cd7"})
    hit = key_read_hit("dc01", "e", 9.0, fields, {"0x8f0f2cd7": "10.1.2.5"})
    assert hit is not None and hit.detail.endswith("; its log-on session 0x8f0f2cd7 came from 10.1.2.5 (4624)")
    assert hit.subject == key_read_hit("dc01", "e", 9.0, fields).subject  # text only
    assert "session" not in key_read_hit("dc01", "e", 9.0, fields, {"0x1": "10.1.2.5"}).detail


def test_golden_saml_reads_name_their_sessions_address(tmp_path: Path, samples_dir: Path) -> None:
    with Journal(tmp_path / "journal.sqlite") as journal:
        ingest_paths([samples_dir / GOLDEN_SAML], store=None, journal=journal, progress=False)
        hits = [h for h in read_more_hits(journal.connection, 0.0, 4e9) if h.rule == "adfs_key_read"]
    assert hits and {h.host for h in hits} == {"dc01"}
    assert all("simulandlabs\\wardog read thumbnailPhoto" in h.detail for h in hits)
    assert all(" came from 192.168.2.5 (4624)" in h.detail for h in hits), [h.detail for h in hits]


def _write(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(record) + "\n" for record in records))
    return path


def test_only_the_4624_that_opened_the_session_before_the_read_names_it(tmp_path: Path) -> None:
    def logon(when: str, logon_id: str, address: str, record: int) -> dict:
        shaped = _shapes(4624, {**LOGON, "TargetLogonId": logon_id, "IpAddress": address})["nxlog"]
        return {**shaped, "@timestamp": when, "EventTime": when.replace("T", " ")[:19], "RecordNumber": record}

    read_record = {**_shapes(4662, OPERATION)["nxlog"], "RecordNumber": 10}
    when = read_record["@timestamp"]  # 2026-03-02T14:20:01.000Z
    records = [
        logon("2026-03-02T14:00:00.000Z", "0x1234", "10.9.9.9", 1),  # another session
        logon("2026-03-02T14:19:00.000Z", "0x8F0F2CD7", "10.1.2.5", 2),  # the one that opened it
        logon("2026-03-02T14:30:00.000Z", "0x8f0f2cd7", "10.6.6.6", 3),  # after the read: not it
        read_record,
    ]
    assert when == "2026-03-02T14:20:01.000Z"
    with Journal(tmp_path / "journal.sqlite") as journal:
        report = ingest_paths([_write(tmp_path / "dc01.ndjson", records)], store=None, journal=journal, progress=False)
        assert report.total.accepted == 4
        (hit,) = [h for h in read_more_hits(journal.connection, 0.0, 4e9) if h.rule == "adfs_key_read"]
    assert hit.detail.endswith("its log-on session 0x8f0f2cd7 came from 10.1.2.5 (4624)")


def test_only_key_reads_are_asked_for_their_session(tmp_path: Path) -> None:
    """A DC writes a 4662 for every directory access: only the DKM key reads' sessions are looked up."""
    def logon(when: str, logon_id: str, address: str, record: int) -> dict:
        shaped = _shapes(4624, {**LOGON, "TargetLogonId": logon_id, "IpAddress": address})["nxlog"]
        return {**shaped, "@timestamp": when, "EventTime": when.replace("T", " ")[:19], "RecordNumber": record}

    records = [logon("2026-03-02T14:00:00.000Z", "0x1234", "10.9.9.9", 1),
               logon("2026-03-02T14:19:00.000Z", "0x8f0f2cd7", "10.1.2.5", 2)]
    later = datetime(2026, 3, 2, 14, 20, tzinfo=UTC).timestamp()
    key_read = read(**{"winlog.logon.id": "0x8f0f2cd7"})
    other_access = {**read(**{"winlog.logon.id": "0x1234"}), "winlog.object.properties": ["member"]}
    machine_read = read(**{"winlog.logon.id": "0x1234", "user.name": "corp\\dc01$"})
    events = [("e1", OBJECT_KIND, later, key_read), ("e2", OBJECT_KIND, later, other_access),
              ("e3", OBJECT_KIND, later, machine_read)]
    with Journal(tmp_path / "journal.sqlite") as journal:
        ingest_paths([_write(tmp_path / "dc01.ndjson", records)], store=None, journal=journal, progress=False)
        sources = session_sources(journal.connection, "dc01", events)
    assert sources == {"0x8f0f2cd7": "10.1.2.5"}
