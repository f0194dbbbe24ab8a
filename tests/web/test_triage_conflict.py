"""Two analysts on one cluster: the page sends If-Match and shows a 412, and a note is logged once.

Review T3 finding 2 on the web page: with the cluster open in two places, a
stale page's "benign" replaced another analyst's "malicious" and suppressed
the pivot, silently.  The page now sends the triage version it last read as
If-Match; a refusal is shown in the triage panel with the triage as it is now,
the form takes it, the unsent note stays, and one click applies the change
again.  Each PATCH carries an Idempotency-Key, so a note whose answer was lost
and that is sent again (by the page's retry, or by the analyst pressing Save
again) is logged once.

Real Chromium, real uvicorn over a real embedded store; the other analyst is
a second API key writing over HTTP.  A lost answer is the browser's own
network layer dropping the response after the server applied the request
(Playwright's route: the request reaches the server, the page gets a reset).
"""

from __future__ import annotations

import httpx
import pytest

from tests.web.conftest import screenshot, start_site

pytestmark = pytest.mark.browser

OTHER_ANALYST = "bob-on-call"
# Shown by the page as text: an assignee that would be an element if parsed as HTML.
HOSTILE_ASSIGNEE = "<img src=x id=pwned>bob"


@pytest.fixture
def site(tmp_path):
    """A service holding one small fan-out cluster and a second analyst's key."""
    from graphsiem.api.state import StateStore
    from tests.web.support import synthesise_fanout

    secrets: dict[str, str] = {}

    def prepare(store, data_dir):
        synthesise_fanout(store, data_dir, hosts=12)
        state = StateStore(data_dir / "state.sqlite")
        try:
            secrets["other"] = state.create_key(role="analyst", name=OTHER_ANALYST)[1]
        finally:
            state.close()

    with start_site(tmp_path, prepare) as running:
        running.keys["other"] = secrets["other"]
        running.cluster_id = running.api("GET", "/v1/clusters")["items"][0]["id"]
        yield running


def _open_cluster(page, site) -> None:
    page.goto(site.url + "/")
    page.fill("#signin-key", site.keys["analyst"])
    page.click("#signin-form button[type=submit]")
    page.wait_for_selector("#queue-body tr")
    page.click(f"#queue-body tr[data-cluster-id='{site.cluster_id}']")
    page.wait_for_selector("body[data-state=cluster-ready]")


def _save(page) -> str:
    """Press Save and return what the panel says once the answer is in."""
    page.evaluate("() => { document.getElementById('triage-result').textContent = ''; }")
    page.click("#triage-form button[type=submit]")
    page.wait_for_function("() => document.getElementById('triage-result').textContent.trim() !== ''")
    return page.inner_text("#triage-result")


def _triage(site) -> dict:
    return site.api("GET", f"/v1/clusters/{site.cluster_id}")["triage"]


def _notes(site) -> list[str]:
    trail = site.api("GET", f"/v1/clusters/{site.cluster_id}/audit")
    return [entry["new"] for entry in trail if entry["field"] == "note"]


def test_a_stale_benign_is_refused_shown_and_applied_again_only_on_request(page, site):
    _open_cluster(page, site)
    # Page A takes the case.
    page.select_option("#triage-status", "investigating")
    assert _save(page).startswith("Saved"), page.inner_text("#triage-result")

    # Another analyst (a second key, over the API) closes it as malicious.
    other = httpx.patch(f"{site.url}/v1/clusters/{site.cluster_id}", timeout=60,
                        headers={"Authorization": f"Bearer {site.keys['other']}"},
                        json={"status": "closed", "verdict": "malicious", "assignee": HOSTILE_ASSIGNEE})
    assert other.status_code == 200, other.text

    # Page A, still showing "investigating, no verdict", says benign with a note.
    page.select_option("#triage-verdict", "benign")
    page.fill("#triage-note", "owner says it is the MSP inventory job")
    said = _save(page)
    assert not said.startswith("Saved"), "the stale page overwrote the other analyst's verdict"
    assert page.is_visible("#triage-conflict")
    conflict = page.inner_text("#triage-conflict")
    assert "someone else changed" in conflict
    assert "status closed" in conflict and "verdict malicious" in conflict
    assert OTHER_ANALYST in conflict and HOSTILE_ASSIGNEE in conflict
    assert "verdict → benign" in conflict
    # Server text is text: the assignee made no element.
    assert page.locator("#pwned").count() == 0
    # The form shows the triage as it is now; the unsent note is kept.
    assert page.input_value("#triage-status") == "closed"
    assert page.input_value("#triage-verdict") == "malicious"
    assert page.input_value("#triage-assignee") == HOSTILE_ASSIGNEE
    assert page.input_value("#triage-note") == "owner says it is the MSP inventory job"
    # Nothing of the refused change was stored: the verdict stands, no suppression, no note.
    stored = _triage(site)
    assert (stored["status"], stored["verdict"]) == ("closed", "malicious")
    assert site.api("GET", "/v1/suppressions") == []
    assert _notes(site) == []
    screenshot(page, "triage-conflict-shown")

    # One deliberate click applies the change on the current version.
    page.evaluate("() => { document.getElementById('triage-result').textContent = ''; }")
    page.click("#triage-reapply")
    page.wait_for_function("() => document.getElementById('triage-result').textContent.trim() !== ''")
    assert page.inner_text("#triage-result").startswith("Saved"), page.inner_text("#triage-result")
    assert not page.is_visible("#triage-conflict")
    stored = _triage(site)
    # Only the verdict was the analyst's change: the other analyst's status and assignee stay.
    assert (stored["status"], stored["verdict"], stored["assignee"]) == ("closed", "benign", HOSTILE_ASSIGNEE)
    assert [s["cluster_id"] for s in site.api("GET", "/v1/suppressions")] == [site.cluster_id]
    assert _notes(site) == ["owner says it is the MSP inventory job"]
    assert page.input_value("#triage-note") == ""
    assert page.watch.errors == [] and page.watch.csp_violations == [] and page.watch.dialogs == []


@pytest.mark.parametrize("answers_lost", [1, 2])
def test_a_note_whose_answer_was_lost_is_logged_once(page, site, answers_lost):
    """The server applies the PATCH but the page never gets the answer.

    One lost answer: the page's own retry (same key) gets the first answer
    back.  Two: the page says it is not sure; the analyst presses Save again
    and the same change goes under the same key.  Either way, one note.
    """
    _open_cluster(page, site)
    sent: list[dict[str, str]] = []

    def drop_answers(route, request):
        if request.method != "PATCH":
            route.continue_()
            return
        sent.append(request.headers)
        if len(sent) <= answers_lost:
            route.fetch()  # the server receives and applies it ...
            route.abort("connectionreset")  # ... and the answer never arrives
        else:
            route.continue_()

    page.route(f"**/v1/clusters/{site.cluster_id}", drop_answers)
    page.fill("#triage-note", "beacon every 300 s from ws-0003")
    said = _save(page)
    if not said.startswith("Saved"):
        # What an analyst does when the page says it was not saved.
        assert "Not saved" in said
        said = _save(page)
    assert said.startswith("Saved"), said
    assert _notes(site) == ["beacon every 300 s from ws-0003"]
    assert page.locator("#audit-list li", has_text="beacon every 300 s").count() == 1
    keys = {headers.get("idempotency-key") for headers in sent}
    assert len(sent) == answers_lost + 1 and len(keys) == 1 and None not in keys, sent
    assert page.watch.errors == [] and page.watch.csp_violations == []
