"""The triage form's "Benign only when the source is" control (task LAT2 #1), in Chromium.

Against the real service: the simulated seed-3 fleet (it-0002 moves to five servers over WMI; the
cluster names it-0002 as its source) ingested with its journal, a real detection.  Choosing benign on
the lateral-movement cluster offers its named source; saving sends it, the note says what it does, and
the service records the verdict for that host alone.  A cluster whose log-ons name no source offers
nothing.
"""

from __future__ import annotations

import pytest

from tests.web.conftest import start_site
from tests.web.test_hostile_strings import sign_in
from tests.web.test_lateral_source_label import _ingest_fleet
from tests.web.test_triage_source_scope_default import _choose_only, _scope

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with start_site(tmp_path_factory.mktemp("lateral-verdict") / "data", _ingest_fleet) as running:
        running.detect()
        yield running


def _details(site) -> list[dict]:
    clusters = site.api("GET", "/v1/clusters", params={"limit": 100})["items"]
    return [site.api("GET", f"/v1/clusters/{c['id']}") for c in clusters]


def _open(page, site, cluster_id: str) -> None:
    page.goto(f"{site.url}/#/clusters/{cluster_id}")
    page.wait_for_selector("body[data-state=cluster-ready]")


def test_benign_when_from_the_named_source_is_offered_and_saved(page, site) -> None:
    (cluster,) = [d for d in _details(site) if any(s["host"] for s in d["lateral_sources"] or ())]
    sign_in(page, site)
    _open(page, site, cluster["id"])
    assert not page.is_visible("#triage-source")  # no verdict chosen: nothing to scope

    page.select_option("#triage-verdict", "benign")
    assert page.is_visible("#triage-source")
    assert page.locator("#triage-source-hosts label").all_inner_texts() == ["it-0002"]
    assert _scope(page) == ["it-0002"]  # the narrow choice, before "any source" (review U5)
    _choose_only(page, "it-0002")
    note = page.inner_text("#triage-suppress-note")
    assert "only when its log-ons come from it-0002: from any other host it is shown" in note

    page.click("#triage-form button[type=submit]")
    page.wait_for_function("() => document.getElementById('triage-result').textContent.startsWith('Saved')")
    page.wait_for_function("() => [...document.querySelectorAll('#audit-list li')]"
                           ".some((li) => li.textContent.includes('benign_when_source'))")

    assert site.api("GET", f"/v1/clusters/{cluster['id']}")["triage"]["verdict"] == "benign"
    trail = site.api("GET", f"/v1/clusters/{cluster['id']}/audit")
    assert [(e["old"], e["new"]) for e in trail if e["field"] == "benign_when_source"] == [(None, "it-0002")]
    assert page.watch.errors == []


def test_a_cluster_without_a_named_source_offers_no_scope(page, site) -> None:
    other = next(d for d in _details(site) if not any(s["host"] for s in d["lateral_sources"] or ()))
    sign_in(page, site)
    _open(page, site, other["id"])
    page.select_option("#triage-verdict", "benign")
    assert page.is_visible("#triage-suppress-note")
    assert not page.is_visible("#triage-source")
    assert page.watch.errors == []


def test_a_verdict_held_for_one_source_reads_so_after_a_reload(page, site) -> None:
    """Review U5 #1: after a reload the form said "any source" and that benign suppresses the pivot's
    clusters, and the queue's Verdict cell a bare "benign", for a verdict held for it-0002 alone."""
    (cluster,) = [d for d in _details(site) if any(s["host"] for s in d["lateral_sources"] or ())]
    site.api("PATCH", f"/v1/clusters/{cluster['id']}", json={"verdict": "benign", "benign_when_source": "it-0002"})
    sign_in(page, site)
    row = page.locator(f"#queue-body tr[data-cluster-id='{cluster['id']}'] td").nth(7)
    assert row.inner_text() == "benign · from it-0002"
    assert "from any other host the case is shown" in row.get_attribute("title")

    _open(page, site, cluster["id"])
    assert _scope(page) == ["it-0002"]
    note = page.inner_text("#triage-suppress-note")
    assert "only when its log-ons come from it-0002: from any other host it is shown" in note
    assert "stop reaching the queue" not in note
    # the scope sits with the verdict, above Save
    assert page.evaluate("() => !!(document.getElementById('triage-source').compareDocumentPosition("
                         "document.querySelector('#triage-form button[type=submit]')) & Node.DOCUMENT_POSITION_FOLLOWING)")
    # saved as it is: nothing to send, nothing logged again
    before = len(site.api("GET", f"/v1/clusters/{cluster['id']}/audit"))
    page.click("#triage-form button[type=submit]")
    page.wait_for_function("() => document.getElementById('triage-result').textContent === 'Nothing changed.'")
    assert len(site.api("GET", f"/v1/clusters/{cluster['id']}/audit")) == before
    assert page.watch.errors == []
