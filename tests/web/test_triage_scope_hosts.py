"""The triage form chooses any subset of a cluster's named sources for a benign verdict (task PAGEN), in Chromium.

The form offered one source host or *any source* in a select: a verdict held for it-0002 and it-0005
showed as it-0002 alone, could not be narrowed to one of them, nor set to two chosen hosts; the analyst
had to use the API.  Each named source is now a checkbox (the hosts the verdict holds for, ticked)
beside *any source (every host)*; Save sends the exact list (or null) with If-Match and an
Idempotency-Key and says what the answer holds it for; a 412 is shown and applied again on request.
Real service over the embedded store; the clusters are stored as a detection stores them.
"""

from __future__ import annotations

import json

import pytest

from tests.web.conftest import start_site
from tests.web.queue_helpers import save_detection, sign_in_to_queue
from tests.web.test_bulk_benign_source_scope import _lateral
from tests.web.test_hostile_strings import assert_nothing_ran

pytestmark = pytest.mark.browser

# Host names are the IP map's words, attacker-reachable: lower case and dot-free, as the API keys them.
IMG = "<img src=x onerror=alert(1)>"
SVG = "<svg onload=alert(2)>"
CLUSTERS = [_lateral("psexec", ["it-0002", "it-0005"]), _lateral("wmi", ["it-0002", "it-0005", "it-0007"]),
            _lateral("hostile", [IMG, SVG])]
SCOPE = "Benign only when the source is"
ANY = "any source (every host)"


@pytest.fixture
def site(tmp_path):
    with start_site(tmp_path, lambda store, data_dir: save_detection(data_dir, "run-1", CLUSTERS)) as running:
        yield running


def _open(page, site, cluster_id: str) -> list[dict]:
    """Sign in, open the cluster; the PATCH requests the page sends are collected in the list returned."""
    sent: list[dict] = []
    page.on("request", lambda r: sent.append({"headers": r.headers, "body": json.loads(r.post_data or "null")})
            if r.method == "PATCH" else None)
    sign_in_to_queue(page, site, "?poll=600000")
    page.goto(f"{site.url}/?poll=600000#/clusters/{cluster_id}")
    page.wait_for_selector("body[data-state=cluster-ready]")
    return sent


def _ticked(page) -> list[str]:
    return page.eval_on_selector_all("#triage-source-hosts input", "boxes => boxes.filter((b) => b.checked).map((b) => b.value)")


def _note(page) -> str:
    return page.inner_text("#triage-suppress-note")


def _save_by_keyboard(page) -> str:
    page.focus("#triage-form button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.getElementById('triage-result').textContent.startsWith('Saved')")
    return page.inner_text("#triage-result")


def _held(site, cluster_id: str) -> list[str] | None:
    return site.api("GET", f"/v1/clusters/{cluster_id}", params={"include": ""})["triage"]["benign_when_source"]


def _scopes(site, cluster_id: str) -> list[tuple[str | None, str | None]]:
    return [(e["old"], e["new"]) for e in site.api("GET", f"/v1/clusters/{cluster_id}/audit")
            if e["field"] == "benign_when_source"]


def test_a_two_host_verdict_is_shown_and_narrowed_to_one_from_the_keyboard(page, site) -> None:
    first = site.api("PATCH", "/v1/clusters/c-psexec", json={"verdict": "benign", "benign_when_source": ["it-0002", "it-0005"]})
    sent = _open(page, site, "c-psexec")
    assert page.get_by_role("group", name=SCOPE).is_visible()
    assert page.get_by_role("radio", name="one of these source hosts").is_checked()
    assert _ticked(page) == ["it-0002", "it-0005"]  # both hosts it holds for, not the first alone
    assert "only when its log-ons come from it-0002, it-0005: from any other host it is shown" in _note(page)

    page.get_by_role("checkbox", name="it-0005").focus()
    page.keyboard.press("Space")
    assert "Saving changes it to hold only when its log-ons come from it-0002:" in _note(page)
    result = _save_by_keyboard(page)

    assert result.endswith("Benign now holds only when the log-ons come from it-0002.")
    assert _held(site, "c-psexec") == ["it-0002"]
    assert _scopes(site, "c-psexec") == [(None, "it-0002, it-0005"), ("it-0002, it-0005", "it-0002")]
    (patch,) = sent
    assert patch["body"] == {"benign_when_source": ["it-0002"]}
    assert patch["headers"]["if-match"] == f'"{first["triage"]["version"]}"'
    assert patch["headers"]["idempotency-key"]
    assert _ticked(page) == ["it-0002"]
    page.goto(f"{site.url}/?poll=600000")
    cell = page.locator("#queue-body tr[data-cluster-id='c-psexec'] td").nth(7)
    assert cell.inner_text() == "benign · from it-0002"
    assert page.watch.errors == []


def test_a_new_benign_verdict_holds_for_two_chosen_hosts_of_three_and_reads_so_after_a_reload(page, site) -> None:
    _open(page, site, "c-wmi")
    page.select_option("#triage-verdict", "benign")
    assert page.locator("#triage-source-hosts label").all_inner_texts() == ["it-0002", "it-0005", "it-0007"]
    assert _ticked(page) == ["it-0002"]  # the narrow default: the first named source
    page.get_by_role("checkbox", name="it-0005").check()
    page.get_by_role("checkbox", name="it-0007").check()
    page.get_by_role("checkbox", name="it-0002").uncheck()
    assert "only when its log-ons come from it-0005, it-0007" in _note(page)

    result = _save_by_keyboard(page)

    assert result.endswith("Benign now holds only when the log-ons come from it-0005, it-0007.")
    assert _held(site, "c-wmi") == ["it-0005", "it-0007"]
    assert _scopes(site, "c-wmi") == [(None, "it-0005, it-0007")]
    page.reload()
    page.wait_for_selector("body[data-state=cluster-ready]")
    assert _ticked(page) == ["it-0005", "it-0007"]
    assert "only when its log-ons come from it-0005, it-0007: from any other host" in _note(page)
    assert page.watch.errors == []


def test_any_source_widens_a_two_host_verdict_and_no_host_ticked_is_refused_before_sending(page, site) -> None:
    site.api("PATCH", "/v1/clusters/c-psexec", json={"verdict": "benign", "benign_when_source": ["it-0002", "it-0005"]})
    sent = _open(page, site, "c-psexec")
    page.get_by_role("radio", name=ANY).check()
    assert page.get_by_role("checkbox", name="it-0002").is_disabled()  # hosts wait under "any source"
    assert "Saving widens it to any source" in _note(page)
    assert _save_by_keyboard(page).endswith("Benign now holds for any source (every host).")
    assert _held(site, "c-psexec") is None
    assert _scopes(site, "c-psexec")[-1] == ("it-0002, it-0005", None)

    page.reload()
    page.wait_for_selector("body[data-state=cluster-ready]")
    assert page.get_by_role("radio", name=ANY).is_checked() and _ticked(page) == []
    page.get_by_role("radio", name=ANY).focus()
    page.keyboard.press("ArrowUp")  # the radio group, by arrow key as every radio group
    assert page.get_by_role("radio", name="one of these source hosts").is_checked()
    assert "Tick at least one source host" in _note(page)
    page.click("#triage-form button[type=submit]")
    assert page.inner_text("#triage-result").startswith("Not saved: tick at least one source host")
    assert len(sent) == 1  # nothing sent: an empty list is not "any source"

    page.get_by_role("checkbox", name="it-0005").check()
    assert _save_by_keyboard(page).endswith("Benign now holds only when the log-ons come from it-0005.")
    assert _held(site, "c-psexec") == ["it-0005"]
    assert [p["body"] for p in sent] == [{"benign_when_source": None}, {"benign_when_source": ["it-0005"]}]
    assert page.watch.errors == []


def test_hostile_host_names_are_labels_and_sent_as_text(page, site) -> None:
    _open(page, site, "c-hostile")
    page.select_option("#triage-verdict", "benign")
    assert page.locator("#triage-source-hosts label").all_inner_texts() == [IMG, SVG]
    page.get_by_role("checkbox", name=SVG).check()
    assert f"only when its log-ons come from {IMG}, {SVG}" in _note(page)

    result = _save_by_keyboard(page)

    assert result.endswith(f"Benign now holds only when the log-ons come from {IMG}, {SVG}.")
    assert _held(site, "c-hostile") == [IMG, SVG]
    assert_nothing_ran(page)


def test_a_scope_changed_by_someone_else_is_refused_shown_and_applied_again_on_request(page, site) -> None:
    site.api("PATCH", "/v1/clusters/c-psexec", json={"verdict": "benign", "benign_when_source": ["it-0002", "it-0005"]})
    sent = _open(page, site, "c-psexec")
    page.get_by_role("checkbox", name="it-0002").uncheck()  # this analyst: only it-0005
    site.api("PATCH", "/v1/clusters/c-psexec", json={"benign_when_source": ["it-0002"], "note": "other analyst"})

    page.click("#triage-form button[type=submit]")

    page.wait_for_selector("#triage-conflict:not([hidden])")
    assert "someone else changed this triage" in page.inner_text("#triage-conflict")
    assert "Your change, not applied: source → it-0005." in page.inner_text("#triage-conflict")
    assert _ticked(page) == ["it-0002"]  # the form shows the scope as it is now
    assert "only when its log-ons come from it-0002: from any other host" in _note(page)
    assert _held(site, "c-psexec") == ["it-0002"]

    page.click("#triage-reapply")
    page.wait_for_function("() => document.getElementById('triage-result').textContent.startsWith('Saved')")
    assert page.inner_text("#triage-result").endswith("Benign now holds only when the log-ons come from it-0005.")
    assert _held(site, "c-psexec") == ["it-0005"]
    assert _scopes(site, "c-psexec")[-2:] == [("it-0002, it-0005", "it-0002"), ("it-0002", "it-0005")]
    refused, again = sent
    assert refused["body"] == again["body"] == {"benign_when_source": ["it-0005"]}
    assert int(again["headers"]["if-match"].strip('"')) == int(refused["headers"]["if-match"].strip('"')) + 1
    assert page.watch.errors == []
