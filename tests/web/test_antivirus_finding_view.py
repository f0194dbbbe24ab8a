"""An antivirus finding is shown on the cluster page: its class, threat, hosts with what the product did,
files, products (task AV3 #2).

In Chromium against the real service: Defender 1116/1117 Winlogbeat lines are ingested through the real
pipeline (a trojan Defender failed to remove on ws-050, whose threat name and path are markup, and adware
quarantined on 6 laptops), the API runs the detection, and the analyst opens the cases.  Before, the run
made no case of them and the page had no section for one.  The vendor's names and the writer's paths are
text, never markup.
"""

from __future__ import annotations

import json

import pytest

from tests.analytics.test_antivirus_corroboration import AT, _defender
from tests.web.conftest import screenshot, start_site
from tests.web.corpus_site import ingesting
from tests.web.queue_helpers import sign_in_to_queue

pytestmark = pytest.mark.browser

HOSTILE = "Trojan:Win32/<img src=x onerror=\"top['document']['body']['dataset']['pwned']=1\">"
HOSTILE_PATH = "C:\\ProgramData\\<b>svc</b>\\payload.dll"


def _threat(record: dict, name: str) -> dict:
    record["winlog"]["event_data"]["Threat Name"] = name
    return record


def _records() -> list[dict]:
    records = [_threat(_defender("ws-050", 1116, AT, HOSTILE_PATH), HOSTILE),
               _threat(_defender("ws-050", 1117, AT + 5, HOSTILE_PATH, action="Remove", result="Access is denied."),
                       HOSTILE)]
    for i in range(6):
        path = f"C:\\Users\\user{i}\\AppData\\Local\\Temp\\setup_presenoker.exe"
        records += [_threat(_defender(f"lt-{i:03d}", 1116, AT + 60 + i, path), "PUA:Win32/Presenoker"),
                    _threat(_defender(f"lt-{i:03d}", 1117, AT + 70 + i, path), "PUA:Win32/Presenoker")]
    return records


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    records = _records()
    path = tmp_path_factory.mktemp("defender") / "winlogbeat.ndjson"
    path.write_text("".join(json.dumps(record) + "\n" for record in records))
    with start_site(tmp_path_factory.mktemp("av"), ingesting([path], accepted=len(records))) as running:
        running.detect()
        yield running


def test_the_unremediated_threat_is_the_top_case_and_its_page_says_what_the_product_did(page, site):
    [top, adware] = site.api("GET", "/v1/clusters")["items"]
    detail = site.api("GET", f"/v1/clusters/{top['id']}")
    assert top["score"] == 80.0 and top["hosts"] == ["ws-050"] and adware["score"] == 50.0
    assert detail["antivirus"]["outcome_class"] == "not_remediated" and detail["antivirus"]["threat"] == HOSTILE
    sign_in_to_queue(page, site)
    page.click(f"#queue-body tr[data-cluster-id='{top['id']}']")
    page.wait_for_selector("body[data-state=cluster-ready]")
    assert page.is_visible("#cluster-antivirus")
    assert page.text_content("#cluster-antivirus h3") == "Antivirus: threat not remediated"
    assert page.text_content("#cluster-antivirus .antivirus-threat-name") == HOSTILE
    assert "not remediated on 1 host" in page.text_content("#cluster-antivirus .antivirus-reason")
    host = "#cluster-antivirus .antivirus-hosts li[data-host=ws-050]"
    assert page.text_content(f"{host} .badge") == "not remediated"
    assert page.text_content(f"{host} .antivirus-actions") == " · detected 1, failed 1"
    assert page.text_content("#cluster-antivirus .antivirus-file") == HOSTILE_PATH
    assert "Microsoft Defender Antivirus" in page.text_content("#cluster-antivirus .antivirus-products")
    # the markup stayed text: no element from it, nothing ran
    assert page.eval_on_selector("#cluster-antivirus", "box => box.querySelectorAll('img, b').length") == 0
    assert page.evaluate("document.body.dataset.pwned") is None
    assert not page.is_visible("#cluster-credential")
    screenshot(page, "antivirus_finding")


def test_the_adware_case_lists_its_six_hosts_remediated(page, site):
    [_, adware] = site.api("GET", "/v1/clusters")["items"]
    sign_in_to_queue(page, site)
    page.click(f"#queue-body tr[data-cluster-id='{adware['id']}']")
    page.wait_for_selector("body[data-state=cluster-ready]")
    assert page.text_content("#cluster-antivirus h3") == "Antivirus: threat remediated on many hosts"
    hosts = page.eval_on_selector_all("#cluster-antivirus .antivirus-hosts li", "items => items.map(li => li.dataset.host)")
    assert hosts == [f"lt-{i:03d}" for i in range(6)]
    assert page.eval_on_selector_all("#cluster-antivirus .antivirus-hosts .badge", "items => items.length") == 0
    assert page.eval_on_selector_all("#cluster-antivirus .antivirus-files li", "items => items.length") == 6


def test_a_benign_verdict_on_the_adware_hides_it_from_the_next_detection(site):
    """Through the service: the verdict records the class (a later failure would show it, see
    tests/analytics/test_antivirus_findings.py), and the next run leaves the adware out."""
    [top, adware] = site.api("GET", "/v1/clusters")["items"]
    site.api("PATCH", f"/v1/clusters/{adware['id']}", json={"verdict": "benign"})
    site.detect()
    assert [row["id"] for row in site.api("GET", "/v1/clusters")["items"]] == [top["id"]]
    assert site.api("GET", f"/v1/clusters/{adware['id']}")["active"] is False
