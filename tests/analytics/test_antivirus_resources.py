"""Antivirus detections naming no file are antivirus findings too (task AVX #1).

Defender's memory, registry and behaviour detections write a ``Path`` with no ``file:_`` resource
(``regkey:_HKLM\\...``, ``process:_pid:...``, ``behavior:_pid:...``) or an empty one (a memory
scan).  Before, such a detection only sighted its host: no ``DETECTED`` edge, so no finding listed it,
whatever Defender did.  Now the resource is a node of its own (projection 10), and the finding of its
threat names it in words, ranked by the same classes as a file's (80 not remediated, 50 remediated on 5
hosts or more, 20 otherwise).  The records are Winlogbeat JSON shaped like Defender's 1116/1117 (the
event data names of the corpus' Defender lines), ingested through the real pipeline on both stores.
"""

from __future__ import annotations

from pathlib import Path

import orjson

from analytics.antivirus_findings import NOT_REMEDIATED, PIVOT_TYPE, REMEDIATED, REMEDIATED_ON_MANY
from analytics.config import DetectionConfig
from analytics.detect import detect
from graphsiem.entity_kinds import entity_kind
from graphsiem.store.base import GraphStore
from ingest.journal import Journal
from ingest.pipeline import ingest_paths
from ingest.projection_antivirus import RESOURCE_KEY_PREFIX
from tests.analytics.test_antivirus_corroboration import CHANNEL, _iso

AT = 1_767_000_000.0  # 2025-12-29T09:20Z
CONFIG = DetectionConfig(history_days=0)
RUN_KEY = "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run\\\\updater"
POWELIKS = "Trojan:Win32/Poweliks.A"
METERPRETER = "Behavior:Win32/Meterpreter.gen!D"
MIMIKATZ = "HackTool:Win32/Mimikatz.D"
COBALT = "Trojan:Win64/CobaltStrike.MK!MTB"
# a registry key's name is the attacker's: an escape sequence and a line break must reach no terminal or page
HOSTILE_KEY = "HKCU\\Software\\Classes\\ms-settings\\Shell\\Open\\command\\\\x\x1b[2J\nforged line"


def defender(host: str, event_id: int, at: float, threat: str, resources: str, *, action: str = "Remove",
             result: str = "The operation completed successfully.") -> dict:
    """A Defender 1116/1117 as Winlogbeat ships it, its ``Path`` the resources Defender lists."""
    return {"@timestamp": _iso(at), "agent": {"type": "winlogbeat", "version": "8.11.0"},
            "winlog": {"computer_name": f"{host.upper()}.corp.example", "event_id": str(event_id), "channel": CHANNEL,
                       "record_id": int(at) % 100000 + event_id,
                       "event_data": {"Product Name": "Microsoft Defender Antivirus", "Threat Name": threat,
                                      "Severity Name": "Severe", "Category Name": "Trojan", "Path": resources,
                                      "Detection User": "CORP\\bob", "Process Name": "Unknown",
                                      "Action Name": "Not Applicable" if event_id == 1116 else action,
                                      "Source Name": "Real-Time Protection", "Error Description": result}},
            "message": "Microsoft Defender Antivirus has detected malware or other potentially unwanted software."}


def detected_then_acted(host: str, at: float, threat: str, resources: str, **acted: str) -> list[dict]:
    return [defender(host, 1116, at, threat, resources), defender(host, 1117, at + 5, threat, resources, **acted)]


def records() -> list[dict]:
    out = detected_then_acted("ws-101", AT, POWELIKS, f"regkey:_{RUN_KEY};process:_pid:4120,ProcessStart:1",
                              result="Access is denied.")  # not removed: 80
    for i in range(6):  # a behaviour detection removed on 6 hosts: a delivery, 50
        out += detected_then_acted(f"ws-2{i:02d}", AT + 60 * i, METERPRETER, f"behavior:_pid:{3000 + i}:8812{i}")
    out += detected_then_acted("ws-301", AT + 900, COBALT, "")  # a memory scan names nothing: remediated, 20
    out += [defender(h, 1116, AT + 1200, MIMIKATZ, "process:_pid:6616,ProcessStart:133500000000000000")
            for h in ("ws-401", "ws-402")]  # detected, never acted on: 80
    out += detected_then_acted("ws-501", AT + 1500, "Trojan:Win32/UACBypass.A", f"regkey:_{HOSTILE_KEY}")
    return out


def ingest(store: GraphStore, journal: Journal, tmp_path: Path, rows: list[dict]) -> None:
    path = tmp_path / "defender.ndjson"
    path.write_bytes(b"\n".join(orjson.dumps(r) for r in rows) + b"\n")
    report = ingest_paths([path], store=store, journal=journal, progress=False)
    store.flush()
    assert (report.total.accepted, report.total.rejected) == (len(rows), 0)


def findings(store: GraphStore, tmp_path: Path) -> dict[str, object]:
    with Journal(tmp_path / "journal.sqlite") as journal:
        ingest(store, journal, tmp_path, records())
        result = detect(store, config=CONFIG, now=AT + 3600, journal=journal)
    return {c.antivirus["threat"]: c for c in result.clusters if c.antivirus is not None}


def test_detections_naming_no_file_are_findings_ranked_by_what_the_product_did(
        store: GraphStore, tmp_path: Path) -> None:
    """Was: none of these threats had a finding (no DETECTED edge: the hosts were only sighted)."""
    found = findings(store, tmp_path)
    assert set(found) == {POWELIKS, METERPRETER, COBALT, MIMIKATZ, "Trojan:Win32/UACBypass.A"}

    poweliks = found[POWELIKS]
    assert poweliks.pivot.ref == (PIVOT_TYPE, "threat:" + POWELIKS.lower())
    assert poweliks.hosts == ["ws-101"] and poweliks.score == 80.0
    assert poweliks.antivirus["outcome_class"] == NOT_REMEDIATED
    assert poweliks.antivirus["files_total"] == 0 and poweliks.antivirus["resources_total"] == 1
    (row,) = poweliks.antivirus["resources"]
    assert (row["kind"], row["resource"], row["hosts"]) == ("regkey", RUN_KEY, 1)
    assert row["words"] == "registry key " + RUN_KEY and row["key"].startswith(RESOURCE_KEY_PREFIX + "regkey:")
    assert poweliks.antivirus["hosts"][0]["resources"] == ["registry key " + RUN_KEY]
    assert poweliks.explanation.summary.startswith(
        f"Antivirus: {POWELIKS} detected on 1 host, not remediated on 1 host (ws-101: detected/failed); "
        f"found in registry key {RUN_KEY}, no file; by Microsoft Defender Antivirus")
    # the key is a member, typed as the registry key it is (not a file) in the API and page
    (key,) = [e for e in poweliks.entities if e.type == "file"]
    assert entity_kind(key.type, key.value, key.props) == "registry"
    assert len(poweliks.evidence) == 2  # the 1116 and the 1117

    meterpreter = found[METERPRETER]
    assert meterpreter.hosts == [f"ws-2{i:02d}" for i in range(6)] and meterpreter.score == 50.0
    assert meterpreter.antivirus["outcome_class"] == REMEDIATED_ON_MANY
    assert meterpreter.antivirus["resources_total"] == 6  # one behaviour per host (its pid)
    assert meterpreter.antivirus["resources"][0]["words"].startswith("behaviour pid:")

    cobalt = found[COBALT]
    assert cobalt.score == 20.0 and cobalt.antivirus["outcome_class"] == REMEDIATED
    assert [r["words"] for r in cobalt.antivirus["resources"]] == ["memory (no file or resource named)"]

    mimikatz = found[MIMIKATZ]
    assert mimikatz.hosts == ["ws-401", "ws-402"] and mimikatz.score == 80.0
    assert [r["words"] for r in mimikatz.antivirus["resources"]] == ["process pid:6616,ProcessStart:133500000000000000"]
    assert mimikatz.antivirus["resources"][0]["hosts"] == 2


def test_the_checks_name_the_threat_the_resource_the_actions_and_the_hosts(store: GraphStore, tmp_path: Path) -> None:
    poweliks = findings(store, tmp_path)[POWELIKS]
    first, second = (step.check for step in poweliks.explanation.checks[:2])
    assert first.startswith(f"The threat may still be on ws-101 (detected/failed): {POWELIKS} in registry key "
                            f"{RUN_KEY}.  Run a full scan there, look for what wrote the resource")
    assert second.startswith(f"It was found in no file but in registry key {RUN_KEY}: on the host's page")


def test_a_resource_is_attacker_text_escaped_in_every_word(store: GraphStore, tmp_path: Path) -> None:
    bypass = findings(store, tmp_path)["Trojan:Win32/UACBypass.A"]
    texts = [bypass.explanation.summary, *(s.check for s in bypass.explanation.checks)]
    assert all("\x1b" not in text and "\n" not in text for text in texts)
    # the forged line break shows as the server's mark, never as a break (graphsiem.visible_text)
    assert "command\\\\x\\u001b[2J\u23ce forged line, no file" in bypass.explanation.summary
    # the record keeps the text as written (the page sets it as text, the CLI escapes it)
    assert bypass.antivirus["resources"][0]["resource"] == HOSTILE_KEY


def test_a_file_detection_of_the_same_threat_is_in_the_same_finding(store: GraphStore, tmp_path: Path) -> None:
    """One threat, one case: its file on one host and its registry key on another."""
    rows = [*detected_then_acted("ws-601", AT, POWELIKS, "file:_C:\\Users\\bob\\AppData\\Local\\Temp\\pw.dll"),
            *detected_then_acted("ws-602", AT + 60, POWELIKS, f"regkey:_{RUN_KEY}")]
    with Journal(tmp_path / "journal.sqlite") as journal:
        ingest(store, journal, tmp_path, rows)
        result = detect(store, config=CONFIG, now=AT + 3600, journal=journal)
    (finding,) = [c for c in result.clusters if c.antivirus is not None]
    assert finding.hosts == ["ws-601", "ws-602"] and finding.score == 20.0
    assert (finding.antivirus["files_total"], finding.antivirus["resources_total"]) == (1, 1)
    assert "; 1 file; found in registry key" in finding.explanation.summary
