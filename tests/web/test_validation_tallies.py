"""A credential validation edge shows its outcomes and claimed workstations, as text (task N1).

Since K2 a DC's NTLM validations (Security 4776) are ``user VALIDATED_AT host``
and the API's edges carry their ``tallies`` (``outcomes``: success / failure
<status>; ``workstations``: the names the clients claimed; the 20 most counted
labels each, most first) and ``tallies_dropped``; the page showed only
"VALIDATED_AT ×N".  Clicking such an edge now lists each tally in the Selection
panel with its counts (a known failure status with its meaning), then "and N
more validations not counted under a name above" (task S3).  A claimed name
is what the client sent: text, never markup.

In Chromium against the real service over a small Winlogbeat 4776 fixture
ingested through the real pipeline.
"""

from __future__ import annotations

import json

import pytest

from tests.ingest.test_credential_validations import winlogbeat
from tests.web.conftest import screenshot, start_site
from tests.web.corpus_site import ingesting, pick_from_search

pytestmark = pytest.mark.browser

HOSTILE = "<img src=x onerror=\"top['document']['body']['dataset']['pwned']=1\"><b>ws</b> &amp; gnp-exe"
"""A workstation name a client claimed (the attacker's tool writes it): markup and an entity.  No dot, as the
parser keeps a claimed name's first label only (a host name's short form), and no override (it drops those)."""
SPRAYED = [f"rnd{n:013d}" for n in range(22)]
"""The names a spray against alice claimed, one each: the edge keeps all 22 (the store keeps 200), the API
shows 20 (ties by name) and counts the last 2 (task S3)."""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    records = [winlogbeat(n, "alice", name, "0xc000006a") for n, name in enumerate(SPRAYED)]
    records += [winlogbeat(30, "bob", HOSTILE, "0xC0000064"), winlogbeat(31, "bob", HOSTILE, "0xc0000064"),
                winlogbeat(32, "bob", "WS-17", "0x0")]
    path = tmp_path_factory.mktemp("dc") / "winlogbeat.ndjson"
    path.write_text("".join(json.dumps(record) + "\n" for record in records))
    with start_site(tmp_path_factory.mktemp("validations"), ingesting([path], accepted=len(records))) as running:
        yield running


def _open_edge(page, site, user: str) -> None:
    pick_from_search(page, site, user, f"button[title='{user}']")
    page.click("#selection button.relation:has-text('VALIDATED_AT host dc01')")
    page.wait_for_selector("#selection .validation-tallies")


def _shown(page) -> dict:
    return page.eval_on_selector("#selection .validation-tallies", """box => Object.fromEntries(
        [...box.querySelectorAll('section.tally')].map(section => [section.dataset.tally, {
            heading: section.querySelector('h4').textContent,
            rows: [...section.querySelectorAll('li')].map(li => [
                li.querySelector('.tally-label').textContent,
                li.querySelector('.tally-meaning')?.textContent ?? null,
                li.querySelector('.tally-count').textContent]),
            more: section.querySelector('.tally-dropped')?.textContent ?? null,
            elements: [...section.querySelectorAll('*')].map(n => n.tagName.toLowerCase()),
        }]))""")


def _api_edge(site, user: str) -> dict:
    graph = site.api("GET", f"/v1/entities/user/{user}/neighbors")["graph"]
    [edge] = [e for e in graph["edges"] if e["type"] == "VALIDATED_AT" and e["target"] == "host:dc01"]
    return edge


def _meanings(edge: dict) -> dict:
    """{(tally, label): meaning} of the entries the API gave a meaning."""
    return {(name, entry["label"]): entry["meaning"] for name, entries in edge["tallies"].items()
            for entry in entries if "meaning" in entry}


def _counted(n: int) -> str:
    return f" · {n} validation" + ("s" if n != 1 else "")


def test_a_sprays_edge_lists_its_failures_and_the_names_claimed_past_the_cap_counted(page, site):
    _open_edge(page, site, "alice")
    shown = _shown(page)
    edge = _api_edge(site, "alice")
    assert edge["tallies_dropped"] == {"workstations": 2}
    assert list(shown) == ["outcomes", "workstations", "account_domain"]
    # dc01 is not known to be a domain controller: the account is as 4776 gave it, and the panel says so
    assert shown["account_domain"]["heading"] == "Account domain (1)"
    assert shown["account_domain"]["rows"] == [["unknown", " (not known to be a DC: name as logged)", _counted(22)]]
    assert shown["outcomes"] == {"heading": "Outcomes (1)", "more": None,
                                 "rows": [["failure 0xc000006a", " (wrong password)", _counted(22)]],
                                 "elements": ["h4", "ul", "li", "span", "span", "span"]}
    # The meanings are the API's (analytics.credential_statuses, their one source): the page keeps no table.
    assert _meanings(edge) == {("outcomes", "failure 0xc000006a"): "wrong password",
                               ("account_domain", "unknown"): "not known to be a DC: name as logged"}
    workstations = shown["workstations"]
    assert workstations["heading"] == "Claimed workstations (20)"
    assert workstations["rows"] == [[t["label"], None, _counted(t["count"])] for t in edge["tallies"]["workstations"]]
    assert [row[0] for row in workstations["rows"]] == SPRAYED[:20]
    assert workstations["more"] == "and 2 more validations not counted under a name above"
    # A node's panel lists no tallies: they are the edge's.
    page.click("#selection button.back-to-node")
    page.wait_for_selector("#selection .validation-tallies", state="detached")
    screenshot(page, "validation-edge-tallies")
    assert page.watch.errors == [] and page.watch.csp_violations == []


def test_markup_in_a_claimed_workstation_is_text(page, site):
    _open_edge(page, site, "bob")
    shown = _shown(page)
    # Most first; the status is lower case (the projection's), its meaning beside it.
    assert shown["outcomes"]["rows"] == [["failure 0xc0000064", " (no such user)", _counted(2)],
                                         ["success", None, _counted(1)]]
    assert shown["workstations"]["rows"] == [[HOSTILE.lower(), None, _counted(2)],
                                             ["ws-17", None, _counted(1)]]
    assert shown["workstations"]["more"] is None
    assert _meanings(_api_edge(site, "bob")) == {("outcomes", "failure 0xc0000064"): "no such user",
                                                 ("account_domain", "unknown"): "not known to be a DC: name as logged"}
    # The markup stayed text: no element but the lists' own, nothing ran.
    assert set(shown["workstations"]["elements"]) == {"h4", "p", "ul", "li", "span"}
    assert page.eval_on_selector_all("#selection img, #selection b", "nodes => nodes.length") == 0
    assert page.evaluate("document.body.dataset.pwned") is None
    assert _api_edge(site, "bob")["tallies"]["workstations"][0]["label"] == HOSTILE.lower()
    screenshot(page, "validation-edge-tallies-hostile")
    assert page.watch.errors == [] and page.watch.csp_violations == []


def test_the_page_shows_the_meanings_the_api_sends_and_keeps_no_table_of_its_own(page, site):
    """The page words a label only as the API does (one source: analytics.credential_statuses): a meaning the
    answer carries is shown as given (as text), and a label the page once worded itself is bare when its entry
    carries none."""

    def reworded(route):
        answer = route.fetch()
        body = answer.json()
        for edge in (body.get("graph") or body).get("edges") or []:
            tallies = edge.get("tallies") or {}
            for entry in tallies.get("outcomes") or []:
                if entry["label"] == "failure 0xc0000064":
                    entry["meaning"] = "<i>the API's words</i>"
            for entry in tallies.get("account_domain") or []:
                entry.pop("meaning", None)
        route.fulfill(response=answer, json=body)

    page.route("**/v1/entities/user/**", reworded)
    _open_edge(page, site, "bob")
    shown = _shown(page)
    assert shown["outcomes"]["rows"] == [["failure 0xc0000064", " (<i>the API's words</i>)", _counted(2)],
                                         ["success", None, _counted(1)]]
    assert shown["account_domain"]["rows"] == [["unknown", None, _counted(3)]]
    assert page.eval_on_selector_all("#selection i", "nodes => nodes.length") == 0
    assert page.watch.errors == [] and page.watch.csp_violations == []
