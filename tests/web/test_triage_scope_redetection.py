"""A benign verdict narrowed on the page from two source hosts to one shows the dropped host's act again (task PAGEN).

Against the real service: the simulated seed-3 fleet (it-0002 runs remote WMI onto five servers) with
the same WMI run from a second IT workstation onto five more (a scenario written here), ingested with
its journal; real detections.  The cluster names both sources.  Benign for both, chosen on the page,
keeps it out of the next detection; narrowed on the page to it-0002, the next detection shows it again,
its summary naming it-0001 as the source nobody judged.
"""

from __future__ import annotations

import pytest

from tests.web.conftest import start_site
from tests.web.queue_helpers import sign_in_to_queue
from tests.web.test_lateral_source_label import _ingest_fleet
from tests.web.test_triage_scope_hosts import _held, _save_by_keyboard, _ticked

pytestmark = pytest.mark.browser

# The bundled lateral_movement's WMI step, run by a second administrator (the simulator picks it-0001).
SECOND_ADMIN = r"""
name: lateral_movement_second_admin
label: WMI lateral movement from a second IT workstation
kind: attack
hosts: {group: servers, count: 5, min: 3}
source: {group: it, count: 1}
pivot: {type: process}
activities:
  - schedule: {every: once, day: last, at: "14:40", spread_minutes: 30}
    steps:
      - action: process
        host: source
        parent: explorer
        user: admin
        image: 'C:\Windows\System32\wbem\WMIC.exe'
        command_line: 'wmic /node:{{target}} /user:CORP\svc-deploy process call create "cmd.exe /Q /c net group \"Domain Admins\" /domain 1> C:\Windows\Temp\~wmi.tmp 2>&1"'
      - {action: logon, logon_type: 3, user: 'CORP\svc-deploy', from: source}
      - action: process
        parent: wmiprvse
        user: 'CORP\svc-deploy'
        image: 'C:\Windows\System32\cmd.exe'
        command_line: 'cmd.exe /Q /c net group "Domain Admins" /domain 1> C:\Windows\Temp\~wmi.tmp 2>&1'
      - {action: file_create, path: 'C:\Windows\Temp\~wmi.tmp'}
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("scope-redetection")
    scenario = root / "second_admin.yaml"
    scenario.write_text(SECOND_ADMIN, encoding="utf-8")
    with start_site(root / "data", lambda store, data_dir: _ingest_fleet(store, data_dir, [str(scenario)])) as running:
        running.detect()
        yield running


def _detail(site, cluster_id: str) -> dict:
    return site.api("GET", f"/v1/clusters/{cluster_id}", params={"include": ""})


def test_narrowing_a_two_host_verdict_on_the_page_shows_the_dropped_hosts_act_again(page, site) -> None:
    clusters = site.api("GET", "/v1/clusters", params={"limit": 100})["items"]
    (cluster,) = [c for c in clusters if len(c["lateral_source_hosts"]) > 1]
    assert cluster["lateral_source_hosts"] == ["it-0001", "it-0002"]
    cluster_id = cluster["id"]
    sign_in_to_queue(page, site, "?poll=600000")
    page.goto(f"{site.url}/?poll=600000#/clusters/{cluster_id}")
    page.wait_for_selector("body[data-state=cluster-ready]")
    page.select_option("#triage-verdict", "benign")
    page.get_by_role("checkbox", name="it-0002").check()  # it-0001, the first, is ticked already
    assert _save_by_keyboard(page).endswith("Benign now holds only when the log-ons come from it-0001, it-0002.")
    site.detect()
    assert _detail(site, cluster_id)["active"] is False  # both sources judged: kept out

    page.reload()
    page.wait_for_selector("body[data-state=cluster-ready]")
    assert _ticked(page) == ["it-0001", "it-0002"]
    page.get_by_role("checkbox", name="it-0001").uncheck()
    assert _save_by_keyboard(page).endswith("Benign now holds only when the log-ons come from it-0002.")
    assert _held(site, cluster_id) == ["it-0002"]
    site.detect()

    shown = _detail(site, cluster_id)
    assert shown["active"] is True
    assert "judged benign only when from it-0002; this time from it-0001" in shown["explanation"]["summary"]
    page.goto(f"{site.url}/?poll=600000")
    row = page.locator(f"#queue-body tr[data-cluster-id='{cluster_id}']")
    assert "this time from it-0001" in row.inner_text()
    assert "no longer detected" not in row.inner_text()
    assert page.watch.errors == []
