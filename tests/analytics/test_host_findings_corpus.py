"""Host findings on the real corpus ($GRAPHSIEM_SAMPLES): the single-host attacks fan-out clustering could
not see become findings when their day is backtested (graphsiem detect --now), at their rule's risk."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.samples import samples_path

CASES = [
    ("otrf-security-datasets/cmd_process_herpaderping_snippingtool_2020-10-2708290130.json",
     "2020-10-28T00:00:00Z", "workstation5", "renamed_tool", "mimikatz.exe"),
    ("evtx-attack-samples/Credential Access/sysmon_10_lsass_mimikatz_sekurlsa_logonpasswords.evtx",
     "2019-03-18T00:00:00Z", "pc04", "lsass_read", "0x1010"),
    ("evtx-attack-samples/Defense Evasion/DE_1102_security_log_cleared.evtx",
     "2019-03-20T00:00:00Z", "pc01", "log_cleared", "Security"),
    ("otrf-security-datasets/empire_launcher_vbs_2020-09-04160940.json",
     "2020-09-05T00:00:00Z", "workstation5", "script_stager", "wscript.exe"),
]


def run_graphsiem(*args: str) -> subprocess.CompletedProcess[str]:
    """``graphsiem ARGS`` in a child process, its output captured."""
    return subprocess.run([sys.executable, "-m", "graphsiem", *args], capture_output=True, text=True, timeout=300,
                          check=False)


def clusters_detected_at(tmp_path: Path, sample: str, now: str) -> list[dict]:
    """The clusters ``graphsiem detect --now NOW`` gives after ingesting the corpus file ``sample`` alone."""
    data = tmp_path / "data"
    ingested = run_graphsiem("ingest", str(samples_path() / sample), "--data", str(data))
    assert ingested.returncode == 0, ingested.stderr
    out = tmp_path / "clusters.json"
    detected = run_graphsiem("detect", "--data", str(data), "--now", now, "--json", str(out))
    assert detected.returncode == 0, detected.stderr
    return json.loads(out.read_text())["clusters"]


@pytest.mark.parametrize(("sample", "now", "host", "rule", "said"), CASES, ids=[c[3] for c in CASES])
def test_a_labelled_single_host_attack_is_a_host_finding(tmp_path: Path, sample: str, now: str, host: str,
                                                         rule: str, said: str):
    clusters = clusters_detected_at(tmp_path, sample, now)
    found = [c for c in clusters if "host_finding" in c and c["hosts"] == [host]]
    assert len(found) == 1, [c["explanation"]["summary"] for c in clusters]
    record = found[0]["host_finding"]
    hits = [h for h in record["hits"] if h["rule"] == rule]
    assert hits and said in hits[0]["matched"]
    assert found[0]["score"] >= 80.0
    assert {e["event_id"] for e in found[0]["evidence"]} >= {h["event_id"] for h in hits}
