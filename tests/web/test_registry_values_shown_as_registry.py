"""A registry value is shown as ``registry``, not ``file`` (review U2 #2), in Chromium and the API.

The graph keeps a registry value a process set (Sysmon 13) as a ``file`` entity by its path; review U2
read ``file HKLM\\System\\CurrentControlSet\\Control\\Terminal Server\\fDenyTSConnections``.  Against the
real service: Sysmon process creations and registry sets through ``POST /v1/events``, a real detection,
the cluster's members (API ``kind``, the page's list) and the value's node in the selection panel.
"""

from __future__ import annotations

import json

import httpx
import pytest

from tests.web.conftest import start_site
from tests.web.support import process_creation
from tests.web.test_hostile_strings import sign_in

pytestmark = pytest.mark.browser

VALUE = r"HKLM\System\CurrentControlSet\Control\Terminal Server\fDenyTSConnections"
COMMAND = r'reg.exe add "HKLM\SYSTEM\CurrentControlSet\Control\Terminal Server" /v fDenyTSConnections /d 0 /f'
RARE_HOSTS = [f"ws-r{i:02d}" for i in range(6)]
QUIET_HOSTS = [f"ws-q{i:02d}" for i in range(14)]


def _registry_set(host: str, index: int, ts: str) -> dict:
    """The Sysmon 13 of the ``reg.exe`` process ``process_creation(host, index, ...)`` started."""
    record = process_creation(host, index, ts, COMMAND)
    record["winlog"]["event_id"] = 13
    record["winlog"]["record_id"] += 500
    data = record["winlog"]["event_data"]
    record["winlog"]["event_data"] = {
        "EventType": "SetValue", "UtcTime": data["UtcTime"], "ProcessGuid": data["ProcessGuid"],
        "ProcessId": data["ProcessId"], "Image": data["Image"], "TargetObject": VALUE, "Details": "DWORD (0x00000000)",
    }
    return record


def events() -> list[dict]:
    quiet = [process_creation(host, 100 + i, f"2026-11-20T08:{i:02d}:00.000Z", "notepad.exe report.txt")
             for i, host in enumerate(QUIET_HOSTS + RARE_HOSTS)]
    rare = [process_creation(host, i, f"2026-11-20T09:00:{10 + i:02d}.000Z", COMMAND) for i, host in enumerate(RARE_HOSTS)]
    sets = [_registry_set(host, i, f"2026-11-20T09:00:{11 + i:02d}.000Z") for i, host in enumerate(RARE_HOSTS)]
    return quiet + rare + sets


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with start_site(tmp_path_factory.mktemp("registry-kind")) as running:
        body = "\n".join(json.dumps(e) for e in events()).encode()
        response = httpx.post(running.url + "/v1/events", content=body, timeout=60, headers={
            "Authorization": f"Bearer {running.keys['ingest']}", "Content-Type": "application/x-ndjson"})
        response.raise_for_status()
        assert response.json()["accepted"] == len(events())
        running.wait_until_projected()
        running.detect()
        yield running


def test_a_registry_value_member_is_shown_as_registry(page, site) -> None:
    clusters = site.api("GET", "/v1/clusters", params={"limit": 100})["items"]
    (cluster,) = [c for c in clusters if c["hosts"] == RARE_HOSTS]
    members = site.api("GET", f"/v1/clusters/{cluster['id']}")["members"]
    (value,) = [m for m in members if m["value"] == VALUE]
    assert (value["type"], value["kind"]) == ("file", "registry")  # the graph's type, and what it is
    assert all("kind" not in m for m in members if m is not value)

    sign_in(page, site)
    page.goto(f"{site.url}/#/clusters/{cluster['id']}")
    page.wait_for_selector("body[data-state=cluster-ready]")
    page.wait_for_selector("#members-list li")
    shown = page.evaluate(f"""() => [...document.querySelectorAll('#members-list li')]
        .find((li) => li.dataset.key === {json.dumps(value['key'])}).querySelector('.type').textContent""")
    assert shown == "registry"
    page.evaluate(f"""() => {{ const view = window.graphsiem.clusterView, cy = view.graph.cy;
        const node = cy.nodes().filter((n) => n.data('value') === {json.dumps(VALUE)})[0];
        cy.elements().unselect(); node.select(); view.select(node); }}""")
    page.wait_for_selector("#selection dl.kv")
    assert page.locator("#selection dl.kv dd").first.inner_text() == "registry"
    assert page.watch.errors == []


def test_a_registry_value_found_by_search_is_typed_registry(page, site) -> None:
    """Was: the search said `file` for the value in the API (no `kind`) and the page's row (task AVX #4)."""
    hits = site.api("GET", "/v1/entities", params={"q": "fdenytsconnections", "limit": 20})["items"]
    (value,) = [h for h in hits if h["value"] == VALUE]
    assert (value["type"], value["kind"]) == ("file", "registry")
    (command,) = [h for h in hits if h["type"] == "process"]  # the reg.exe that set it: no kind
    assert "kind" not in command

    sign_in(page, site)
    page.fill("#search-input", "fDenyTSConnections")
    page.press("#search-input", "Enter")
    page.wait_for_selector("#search-results:not([hidden])")
    rows = page.eval_on_selector_all("#search-results li button", """bs => bs.map((b) => [
        b.querySelector('.type').textContent, b.title])""")
    assert ["registry", VALUE] in rows and ["file", VALUE] not in rows
    assert any(kind == "process" for kind, _ in rows)  # the process that set it keeps its type
    assert page.watch.errors == []
