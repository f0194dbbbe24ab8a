"""``graphsiem detect``'s text prints an antivirus finding's record, not its summary alone (task AVX #2).

Before, a finding's text was its summary and steps: the threat's files or resources, what each
product did and on which hosts were in ``--json`` only.  Now the finding's lines name them, as a
credential finding's lines name its accounts.  The data directory holds only Defender's log
(Winlogbeat JSON), ingested and detected through the CLI's main function.
"""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from graphsiem.cli import main
from tests.analytics.test_antivirus_resources import (
    AT,
    HOSTILE_KEY,
    POWELIKS,
    RUN_KEY,
    defender,
    detected_then_acted,
)


def test_an_antivirus_finding_prints_its_threat_resource_actions_and_hosts(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = [*detected_then_acted("ws-101", AT, POWELIKS, f"regkey:_{RUN_KEY}", result="Access is denied."),
            *detected_then_acted("ws-102", AT + 60, POWELIKS, "file:_C:\\ProgramData\\pw\\pw.dll"),
            defender("ws-103", 1116, AT + 120, POWELIKS, f"regkey:_{HOSTILE_KEY}")]
    log = tmp_path / "defender.ndjson"
    log.write_bytes(b"\n".join(orjson.dumps(r) for r in rows) + b"\n")
    data = tmp_path / "data"
    assert main(["ingest", str(log), "--data", str(data), "--no-progress"]) == 0
    capsys.readouterr()

    assert main(["detect", "--data", str(data), "--top", "5"]) == 0
    lines = capsys.readouterr().out.splitlines()

    at = lines.index(f"  antivirus: {POWELIKS}, not_remediated (not remediated on 2 hosts), by Microsoft Defender "
                     "Antivirus")
    assert lines[at + 1] == "    files (1): C:\\ProgramData\\pw\\pw.dll (1 host)"
    # as many hosts each: by their text; the attacker's key name reaches the terminal escaped (no escape
    # sequence, no forged line)
    assert lines[at + 2] == ("    resources (2): registry key HKCU\\Software\\Classes\\ms-settings\\Shell\\Open\\command"
                             f"\\\\x\\x1b[2J\\nforged line (1 host), registry key {RUN_KEY} (1 host)")
    assert lines[at + 3] == "    hosts (3): ws-101 detected/failed, ws-103 detected, ws-102 detected/removed"
    checks = [line for line in lines[at:] if line.startswith("  check ")]
    assert checks[0].startswith("  check 1: The threat may still be on ws-101 (detected/failed), ws-103 (detected): "
                                f"{POWELIKS} in C:\\ProgramData\\pw\\pw.dll, registry key")
