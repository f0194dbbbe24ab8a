"""A benign verdict's held hosts that the shown cluster no longer names stay offered and kept, in Chromium.

A later detection can name other sources for the same cluster: a verdict held for it-0002 and it-0009
stays on a cluster whose log-ons now name it-0002 and it-0005.  The form offered only the named
sources, so it-0009 was neither shown nor sent: saving anything (the assignee) sent the ticked
hosts alone and narrowed the verdict, a verdict held only for unnamed hosts showed none ticked and
refused every save, and adding a named host dropped the held ones (the API refused a list naming
them, though a single added host keeps them).  Each held host is now a checkbox too, ticked, and the
API keeps a host the verdict holds for in a list (review R26 of task PAGEN).
"""

from __future__ import annotations

import json

import pytest

from tests.web.conftest import start_site
from tests.web.queue_helpers import save_detection, sign_in_to_queue
from tests.web.test_bulk_benign_source_scope import _lateral

pytestmark = pytest.mark.browser


@pytest.fixture
def site(tmp_path):
    first = [_lateral("psexec", ["it-0002", "it-0009"]), _lateral("wmi", ["it-0002"])]
    with start_site(tmp_path, lambda store, data_dir: save_detection(data_dir, "run-1", first)) as running:
        running.api("PATCH", "/v1/clusters/c-psexec",
                    json={"verdict": "benign", "benign_when_source": ["it-0002", "it-0009"]})
        running.api("PATCH", "/v1/clusters/c-wmi", json={"verdict": "benign", "benign_when_source": ["it-0002"]})
        # the next detection: the same clusters, their log-ons from other sources
        save_detection(running.data_dir, "run-2", [_lateral("psexec", ["it-0002", "it-0005"]),
                                                   _lateral("wmi", ["it-0001"])])
        yield running


def _open(page, site, cluster_id: str) -> list[dict]:
    """Sign in, open the cluster; the PATCH bodies the page sends are collected in the list returned."""
    sent: list[dict] = []
    page.on("request", lambda r: sent.append(json.loads(r.post_data or "null")) if r.method == "PATCH" else None)
    sign_in_to_queue(page, site, "?poll=600000")
    page.goto(f"{site.url}/?poll=600000#/clusters/{cluster_id}")
    page.wait_for_selector("body[data-state=cluster-ready]")
    return sent


def _boxes(page) -> dict[str, bool]:
    return dict(page.eval_on_selector_all(
        "#triage-source-hosts input", "boxes => boxes.map((b) => [b.value, b.checked])"))


def _save(page) -> str:
    page.click("#triage-form button[type=submit]")
    page.wait_for_function("() => /^(Saved|Not saved)/.test(document.getElementById('triage-result').textContent)")
    return page.inner_text("#triage-result")


def _held(site, cluster_id: str) -> list[str] | None:
    return site.api("GET", f"/v1/clusters/{cluster_id}", params={"include": ""})["triage"]["benign_when_source"]


def test_a_held_host_no_longer_named_is_ticked_and_kept_when_the_assignee_is_saved(page, site) -> None:
    sent = _open(page, site, "c-psexec")
    assert _boxes(page) == {"it-0002": True, "it-0005": False, "it-0009": True}
    assert page.locator("#triage-source-hosts label").all_text_contents() == [
        "it-0002", "it-0005", "it-0009 (held by the verdict; not named by these log-ons)"]
    assert "only when its log-ons come from it-0002, it-0009" in page.inner_text("#triage-suppress-note")

    page.fill("#triage-assignee", "bob")
    assert _save(page).startswith("Saved")

    assert sent == [{"assignee": "bob"}]  # the scope ticked is the one held: nothing to send for it
    assert _held(site, "c-psexec") == ["it-0002", "it-0009"]
    assert page.watch.errors == []


def test_a_named_source_added_to_a_verdict_held_only_for_another_host_keeps_it(page, site) -> None:
    sent = _open(page, site, "c-wmi")
    assert _boxes(page) == {"it-0001": False, "it-0002": True}

    page.get_by_role("checkbox", name="it-0001").check()
    assert _save(page).endswith("Benign now holds only when the log-ons come from it-0001, it-0002.")

    assert sent == [{"benign_when_source": ["it-0001", "it-0002"]}]  # exactly the hosts ticked
    assert _held(site, "c-wmi") == ["it-0001", "it-0002"]
    assert page.watch.errors == []


def test_a_held_host_unticked_is_dropped_and_a_host_never_held_nor_named_is_still_refused(page, site) -> None:
    sent = _open(page, site, "c-psexec")
    page.get_by_role("checkbox", name="it-0009").uncheck()
    assert _save(page).endswith("Benign now holds only when the log-ons come from it-0002.")
    assert sent == [{"benign_when_source": ["it-0002"]}]
    assert _held(site, "c-psexec") == ["it-0002"]
    # the API's rule stands for any other host: a verdict holds only for a source someone saw
    with pytest.raises(Exception, match="422"):
        site.api("PATCH", "/v1/clusters/c-psexec", json={"benign_when_source": ["it-0002", "it-0042"]})
    assert page.watch.errors == []
