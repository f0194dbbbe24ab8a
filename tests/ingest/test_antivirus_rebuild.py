"""``graphsiem rebuild`` reads the antivirus detections an older journal holds (task AVCHK).

Before detections were read (commit 36e01ba^), Symantec's ``Security Risk Found!`` text from a
syslog file was journaled as a ``syslog:message`` of its host, and a Defender 1117 as a
``windows:other`` keeping its event data (``winlog.event_data.*``).  A rebuild replays the journal
without parsing again, so those stayed off the graph until re-ingested into a new directory.  The
journal keeps all a detection needs (the message text; the event data), so the projection reads them
as the ``av:detection`` they are (:func:`ingest.projection_antivirus.reread_detection`).

The events below are what that release's parsers made of these records, field for field (printed
by running its ``default_registry()`` on them); they are written to a real journal and the real
replay (the one ``graphsiem rebuild`` runs) projects them, into each store.
"""

from __future__ import annotations

from pathlib import Path

from graphsiem.model import Event
from graphsiem.store.base import GraphStore
from ingest.journal import Journal

SYMANTEC_TEXT = ("Security Risk Found! Trojan Horse in File: C:\\Users\\Public\\upd.exe by: Auto-Protect scan. "
                 "Action: Quarantine succeeded : Access denied. Action Description: The file was quarantined "
                 "successfully.")
OLD_SYMANTEC = Event(
    "old-symantec", "syslog:message", 1780049100.0, "ws-001", "syslog",
    {"log.syslog.hostname": "ws-001", "host.name.original": "ws-001", "log.syslog.appname": "EvntSLog",
     "log.syslog.facility": "user", "log.syslog.severity": "info", "message": SYMANTEC_TEXT},
    "old.log:1", "<14>1 2026-05-29T10:05:00Z ws-001 EvntSLog - - - " + SYMANTEC_TEXT,
)
OLD_DEFENDER = Event(
    "old-defender", "windows:other", 1780049160.0, "ws-002", "winlogbeat",
    {"event.code": "1117", "event.channel": "Microsoft-Windows-Windows Defender/Operational",
     "host.name.original": "ws-002",
     "message": "Microsoft Defender Antivirus has taken action to protect this machine from malware or other "
                "potentially unwanted software.",
     "winlog.event_data.Threat Name": "Trojan:Win32/Wacatac.B!ml",
     "winlog.event_data.Path": "file:_C:\\Users\\Public\\upd.exe;process:_pid:4120,ProcessStart:1",
     "winlog.event_data.Action Name": "Quarantine", "winlog.event_data.Source Name": "Real-Time Protection",
     "winlog.event_data.Error Description": "The operation completed successfully."},
    "old.ndjson:1", {"winlog": {"event_id": "1117"}},
)
ORDINARY = Event(
    "old-gpo", "syslog:message", 1780049200.0, "ws-001", "syslog",
    {"host.name.original": "ws-001", "message": "The processing of Group Policy succeeded."}, "old.log:2", "x",
)


def _detected(store: GraphStore) -> dict[str, object]:
    return {rel.src[1]: rel for rel in store.iter_relations("DETECTED")}


def test_a_rebuild_reads_detections_an_older_release_journaled(store: GraphStore, tmp_path: Path) -> None:
    """Was: no DETECTED edge after the rebuild (the events stayed a syslog message and an unmapped
    Windows event); now both hosts detected the file, with the threat, action and product tallied."""
    with Journal(tmp_path / "journal.sqlite") as journal:
        journal.append([OLD_SYMANTEC, OLD_DEFENDER, ORDINARY])
        journal.replay(store)
    store.flush()
    detected = _detected(store)
    assert sorted(detected) == ["ws-001", "ws-002"]
    assert {rel.dst for rel in detected.values()} == {("file", "c:\\users\\public\\upd.exe")}
    symantec, defender = detected["ws-001"], detected["ws-002"]
    assert symantec.evidence == ["old-symantec"] and defender.evidence == ["old-defender"]  # the journaled events
    assert symantec.tallies["threats"] == {"Trojan Horse": 1}
    assert symantec.tallies["av_actions"] == {"quarantined": 1}
    assert symantec.tallies["av_products"] == {"Symantec Endpoint Protection": 1}
    assert defender.tallies["threats"] == {"Trojan:Win32/Wacatac.B!ml": 1}
    assert defender.tallies["av_actions"] == {"quarantined": 1}
    # an ordinary message of the same host is still only its host's
    assert store.get_entity("host", "ws-001") is not None


def test_a_rebuild_counts_a_detection_once(store: GraphStore, tmp_path: Path) -> None:
    """Replayed twice, the edge still holds one detection per host (a rebuild empties the graph first)."""
    with Journal(tmp_path / "journal.sqlite") as journal:
        journal.append([OLD_SYMANTEC, OLD_DEFENDER])
        journal.replay(store)
        journal.replay(store)
    store.flush()
    assert {host: rel.count for host, rel in _detected(store).items()} == {"ws-001": 1, "ws-002": 1}
