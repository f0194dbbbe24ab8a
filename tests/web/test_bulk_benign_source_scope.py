"""Bulk *mark benign* holds each cluster's verdict for its own source by default (review U5 follow-up).

The bulk bar sent no source scope, so marking several lateral-movement clusters benign made each
verdict cover the same act from every host.  Now, while a benign action is chosen on clusters whose
log-ons name a source host, the bar offers *each cluster's own source* (chosen) or *any source (every
host)* and says before Apply what each verdict will hold for; each PATCH then carries that cluster's
own hosts (or null for the explicit wide choice).  Real Chromium, real service over the embedded
store; the clusters are stored as a detection stores them.
"""

from __future__ import annotations

import pytest

from tests.web.conftest import start_site
from tests.web.queue_helpers import save_detection, sign_in_to_queue, stored_cluster

pytestmark = pytest.mark.browser


def _lateral(name: str, sources: list[str]) -> dict:
    return stored_cluster(60.0, name, lateral_sources=[
        {"ip": f"10.0.0.{i + 2}", "host": host, "targets": [f"ws-{name}"]} for i, host in enumerate(sources)])


CLUSTERS = [_lateral("wmi", ["it-0002"]), _lateral("psexec", ["it-0005", "it-0007"]), stored_cluster(50.0, "plain")]


@pytest.fixture
def site(tmp_path):
    with start_site(tmp_path, lambda store, data_dir: save_detection(data_dir, "run-1", CLUSTERS)) as running:
        yield running


def _tick_all_and_choose_benign(page, site) -> None:
    sign_in_to_queue(page, site, "?poll=600000")
    for cluster in CLUSTERS:
        page.click(f"tr[data-cluster-id='{cluster['id']}'] input.row-select")
    page.select_option("#bulk-action", "benign")


def _apply(page) -> None:
    page.click("#bulk-apply")
    page.wait_for_function("() => document.getElementById('queue-bulk-result').textContent.startsWith('3 of 3')")


def _scopes(site) -> dict[str, list[str] | None]:
    return {c["id"]: site.api("GET", f"/v1/clusters/{c['id']}", params={"include": ""})["triage"]["benign_when_source"]
            for c in CLUSTERS}


def test_bulk_benign_holds_each_cluster_for_its_own_source_and_says_so_first(page, site) -> None:
    _tick_all_and_choose_benign(page, site)
    assert page.is_visible("#bulk-scope-label")
    assert page.eval_on_selector("#bulk-scope", "e => e.value") == "own"
    preview = page.inner_text("#bulk-scope-preview")
    assert "2 will hold only when the log-ons come from its own source (it-0002, it-0005, it-0007)" in preview
    assert "1 with no named source will hold for any source" in preview
    _apply(page)
    assert _scopes(site) == {"c-wmi": ["it-0002"], "c-psexec": ["it-0005", "it-0007"], "c-plain": None}
    assert [c["triage"]["verdict"] for c in site.api("GET", "/v1/clusters")["items"]] == ["benign"] * 3
    assert page.watch.errors == []


def test_any_source_is_an_explicit_bulk_choice_that_widens(page, site) -> None:
    site.api("PATCH", "/v1/clusters/c-wmi", json={"verdict": "benign", "benign_when_source": "it-0002"})
    _tick_all_and_choose_benign(page, site)
    page.select_option("#bulk-scope", "any")
    assert "2 with a named source will hold for any source (every host)" in page.inner_text("#bulk-scope-preview")
    _apply(page)
    assert _scopes(site) == {"c-wmi": None, "c-psexec": None, "c-plain": None}
    trail = site.api("GET", "/v1/clusters/c-wmi/audit")
    assert [(e["old"], e["new"]) for e in trail if e["field"] == "benign_when_source"] == [
        (None, "it-0002"), ("it-0002", None)]
    assert page.watch.errors == []


def test_no_scope_is_offered_for_other_actions_or_clusters_without_a_source(page, site) -> None:
    sign_in_to_queue(page, site, "?poll=600000")
    page.click("tr[data-cluster-id='c-plain'] input.row-select")
    page.select_option("#bulk-action", "benign")
    assert not page.is_visible("#bulk-scope-label")
    page.click("tr[data-cluster-id='c-wmi'] input.row-select")
    assert page.is_visible("#bulk-scope-label")
    page.select_option("#bulk-action", "close")
    assert not page.is_visible("#bulk-scope-label") and not page.is_visible("#bulk-scope-preview")
