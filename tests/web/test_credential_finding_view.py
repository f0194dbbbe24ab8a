"""A credential finding is shown on the cluster page: pattern, validator, accounts, claimed
workstations, outcomes with their meaning and the compromised account (task SPRAY).

In Chromium against the real service: a spray of 30 accounts (carol's password found) is ingested
through the real pipeline, the API runs the detection, and the analyst opens the top cluster.  A
claimed workstation name is what the client sent: text, never markup, never a host.
"""

from __future__ import annotations

import json

import pytest

from tests.analytics.test_credential_spray import BASE, spray_records, validation
from tests.web.conftest import screenshot, start_site
from tests.web.corpus_site import ingesting
from tests.web.queue_helpers import sign_in_to_queue

pytestmark = pytest.mark.browser

HOSTILE = "<img src=x onerror=\"top['document']['body']['dataset']['pwned']=1\"><b>ws</b>"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    records = spray_records(BASE + 3600)
    # mallory is sprayed from a name that is markup: one failure, never a success
    records.append(validation(BASE + 3700, "mallory", HOSTILE, "0xc000006a", 5000))
    path = tmp_path_factory.mktemp("dc") / "winlogbeat.ndjson"
    path.write_text("".join(json.dumps(record) + "\n" for record in records))
    with start_site(tmp_path_factory.mktemp("spray"), ingesting([path], accepted=len(records))) as running:
        running.detect()
        yield running


def test_the_spray_is_the_top_case_and_its_page_lists_accounts_claims_and_outcomes(page, site):
    [top, *_] = site.api("GET", "/v1/clusters")["items"]
    detail = site.api("GET", f"/v1/clusters/{top['id']}")
    assert top["score"] == 95.0 and top["hosts"] == ["dc01"]
    assert detail["credential"]["pattern"] == "likely_compromise"
    assert detail["credential"]["accounts_total"] == 31
    sign_in_to_queue(page, site)
    page.click(f"#queue-body tr[data-cluster-id='{top['id']}']")
    page.wait_for_selector("body[data-state=cluster-ready]")
    assert page.is_visible("#cluster-credential")
    assert page.text_content("#cluster-credential h3") == "Likely compromise"
    assert page.text_content("#cluster-credential .credential-validator") == "dc01"
    assert "also password spray" in page.text_content("#cluster-credential .credential-source")
    compromised = page.text_content("#cluster-credential .credential-compromised li")
    assert compromised.startswith("carol at ") and "after 1 failure" in compromised
    outcomes = page.eval_on_selector_all("#cluster-credential .credential-outcomes li", """items => items.map(li =>
        [li.querySelector('.outcome-label').textContent, li.querySelector('.outcome-meaning').textContent])""")
    assert ["failure 0xc000006a", " (wrong password)"] in outcomes and ["failure 0xc0000064", " (no such user)"] in outcomes
    accounts = page.eval_on_selector_all("#cluster-credential .credential-accounts li", "items => items.length")
    assert accounts == 31
    assert page.is_visible("#cluster-credential .credential-accounts li[data-account=carol] .badge.compromised")
    claims = page.eval_on_selector_all("#cluster-credential .credential-claim", "items => items.map(n => n.textContent)")
    assert HOSTILE in claims and len(claims) == 31
    # the markup stayed text: no element from it, nothing ran
    assert page.eval_on_selector("#cluster-credential", "box => box.querySelectorAll('img, b').length") == 0
    assert page.evaluate("document.body.dataset.pwned") is None
    assert "Likely compromise: 31 claimed workstations tried 31 accounts on dc01" in page.text_content("#cluster-summary")
    screenshot(page, "credential_finding")


def test_a_fan_out_case_shows_no_credential_section(page, site):
    rows = site.api("GET", "/v1/clusters")["items"]
    assert all(row["hosts"] == ["dc01"] for row in rows)  # one DC's log: no fan-out, the section's absence is below
    page.goto(site.url + "/#/explore")
    sign_in_to_queue(page, site)
    page.click(f"#queue-body tr[data-cluster-id='{rows[0]['id']}']")
    page.wait_for_selector("body[data-state=cluster-ready]")
    page.evaluate("location.hash = '#/explore'")
    page.wait_for_function("document.getElementById('cluster-credential').hidden === true")
