"""The triage form's source scope defaults to the cluster's own source (review U5, task PAGE), in Chromium.

"Benign only when the source is" offered *any source* first and chose it: an analyst who judged
it-0002's planned WMI benign and pressed Save made a verdict that covered the same act from every
host.  The named source is now first and chosen; *any source (every host)* is an explicit choice the
note spells out.  Each reads back after a reload: the form shows the scope saved, the queue's
Verdict cell says it.  Against the real service: the simulated seed-3 fleet (it-0002 moves to five
servers over WMI), a real detection.
"""

from __future__ import annotations

import pytest

from tests.web.conftest import start_site
from tests.web.test_hostile_strings import sign_in
from tests.web.test_lateral_source_label import _ingest_fleet

pytestmark = pytest.mark.browser

SOURCE = "it-0002"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with start_site(tmp_path_factory.mktemp("scope-default") / "data", _ingest_fleet) as running:
        running.detect()
        yield running


@pytest.fixture(scope="module")
def cluster_id(site) -> str:
    clusters = site.api("GET", "/v1/clusters", params={"limit": 100})["items"]
    details = [site.api("GET", f"/v1/clusters/{c['id']}") for c in clusters]
    (cluster,) = [d for d in details if any(s["host"] for s in d["lateral_sources"] or ())]
    return cluster["id"]


def _open(page, site, cluster_id: str) -> None:
    page.goto(f"{site.url}/#/clusters/{cluster_id}")
    page.wait_for_selector("body[data-state=cluster-ready]")


def _save(page) -> None:
    page.click("#triage-form button[type=submit]")
    page.wait_for_function("() => document.getElementById('triage-result').textContent.startsWith('Saved')")


def _scopes(site, cluster_id: str) -> list[tuple[str | None, str | None]]:
    trail = site.api("GET", f"/v1/clusters/{cluster_id}/audit")
    return [(e["old"], e["new"]) for e in trail if e["field"] == "benign_when_source"]


def _scope(page) -> list[str] | None:
    """The scope the triage form shows: the source hosts ticked, or None for *any source (every host)*."""
    if page.get_by_role("radio", name="any source (every host)").is_checked():
        return None
    return page.eval_on_selector_all("#triage-source-hosts input", "boxes => boxes.filter((b) => b.checked).map((b) => b.value)")


def _choose_only(page, host: str) -> None:
    """Choose "one of these source hosts" with ``host`` alone ticked."""
    page.get_by_role("radio", name="one of these source hosts").check()
    for box in page.locator("#triage-source-hosts input").all():
        box.set_checked(box.get_attribute("value") == host)


def _verdict_cell(page, cluster_id: str):
    return page.locator(f"#queue-body tr[data-cluster-id='{cluster_id}'] td").nth(7)


def test_benign_saved_untouched_holds_for_the_clusters_own_source_and_reads_so_after_a_reload(
        page, site, cluster_id) -> None:
    sign_in(page, site)
    _open(page, site, cluster_id)
    page.select_option("#triage-verdict", "benign")
    assert _scope(page) == [SOURCE]
    assert page.locator("#triage-source-hosts label").all_inner_texts() == [SOURCE]
    assert page.get_by_role("radio", name="any source (every host)").is_visible()
    assert f"only when its log-ons come from {SOURCE}" in page.inner_text("#triage-suppress-note")

    _save(page)  # the scope left as it was offered
    assert _scopes(site, cluster_id) == [(None, SOURCE)]
    assert site.api("GET", f"/v1/clusters/{cluster_id}")["triage"]["benign_when_source"] == [SOURCE]

    page.reload()
    page.wait_for_selector("body[data-state=cluster-ready]")
    assert _scope(page) == [SOURCE]
    assert f"only when its log-ons come from {SOURCE}" in page.inner_text("#triage-suppress-note")
    page.goto(f"{site.url}/")
    page.wait_for_selector(f"#queue-body tr[data-cluster-id='{cluster_id}']")
    assert _verdict_cell(page, cluster_id).inner_text() == f"benign · from {SOURCE}"
    assert page.watch.errors == []


def test_any_source_is_an_explicit_choice_that_says_so_and_reads_back(page, site, cluster_id) -> None:
    site.api("PATCH", f"/v1/clusters/{cluster_id}", json={"verdict": None, "note": "judge it again"})
    before = _scopes(site, cluster_id)
    sign_in(page, site)
    _open(page, site, cluster_id)
    page.select_option("#triage-verdict", "benign")
    assert _scope(page) == [SOURCE]  # narrow again by default

    page.get_by_role("radio", name="any source (every host)").check()
    note = page.inner_text("#triage-suppress-note")
    assert "whichever host its log-ons come from" in note and "only when" not in note
    _save(page)
    assert _scopes(site, cluster_id) == before  # no scope sent: the verdict holds for every source
    assert site.api("GET", f"/v1/clusters/{cluster_id}")["triage"]["benign_when_source"] in (None, [])

    page.reload()
    page.wait_for_selector("body[data-state=cluster-ready]")
    assert _scope(page) is None
    assert "whichever host its log-ons come from" in page.inner_text("#triage-suppress-note")
    page.goto(f"{site.url}/")
    page.wait_for_selector(f"#queue-body tr[data-cluster-id='{cluster_id}']")
    assert _verdict_cell(page, cluster_id).inner_text() == "benign"
    assert page.watch.errors == []
