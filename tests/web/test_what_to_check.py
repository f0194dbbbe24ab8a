"""The cluster view's "What to check" list (task I11), in Chromium against the real service.

Each step of ``explanation.checks`` is shown first in the side column, before "Why it scored high", with
what would make the cluster benign; API text is data, so a hostile value is
shown literally and never becomes an element.
"""

from __future__ import annotations

import pytest

from tests.web.conftest import screenshot, start_site
from tests.web.queue_helpers import save_detection, sign_in_to_queue, stored_cluster

pytestmark = pytest.mark.browser

IMG = "<img src=x onerror=alert(1)>"
CHECKS = [
    {"feature": "burst_hosts",
     "check": "22 hosts first contacted domain cdn-img-delivery.example within 9 minutes: look for a deployment "
              "job (SCCM/Intune/GPO), login script or change ticket at 2026-11-01 09:58–10:07Z",
     "benign_if": "a scheduled deployment or change from your management tooling explains the timing"},
    {"feature": "encoded_command",
     "check": f"powershell.exe runs an encoded PowerShell command; read the decoded command \"{IMG}\"",
     "benign_if": f"the decoded script is one your administrators run {IMG}"},
    {"feature": None,
     "check": "The risk is relative to only 3 candidate clusters",
     "benign_if": "the pivot is software the fleet already runs"},
]


@pytest.fixture(scope="module")
def checks_site(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("checks")
    with start_site(data_dir) as site:
        save_detection(data_dir, "d1", [
            stored_cluster(91.0, "checked", explanation={
                "summary": "22 hosts first contacted cdn-img-delivery.example", "checks": CHECKS,
                "features": [{"name": "burst_hosts", "value": 22, "baseline": 0, "contribution": 0.3}]}),
            stored_cluster(40.0, "older"),  # stored before checks existed: no list
        ])
        yield site


def _open(page, site, cluster_id: str) -> None:
    sign_in_to_queue(page, site)
    page.click(f"#queue-body tr[data-cluster-id='{cluster_id}']")
    page.wait_for_selector("body[data-state=cluster-ready]")


def test_the_checks_are_listed_in_order_with_their_benign_if(page, checks_site):
    _open(page, checks_site, "c-checked")
    assert page.is_visible("#cluster-checks")
    assert page.text_content("#cluster-checks h3") == "What to check"
    items = page.eval_on_selector_all("#cluster-checks li.check", """items => items.map(li => ({
      feature: li.dataset.feature, check: li.querySelector('.check-text').textContent,
      benign: li.querySelector('.benign-text').textContent}))""")
    assert items == [{"feature": c["feature"] or "", "check": c["check"], "benign": c["benign_if"]} for c in CHECKS]
    assert "Benign if" in page.text_content("#cluster-checks li.check")
    # The list is the first panel of the side column, before the explanation (review R4, item 7).
    assert page.evaluate("""() => document.querySelector('.side > :not([hidden])').id""") == "cluster-checks"
    assert page.evaluate("""() => Boolean(document.getElementById('cluster-checks').compareDocumentPosition(
      document.getElementById('explanation-table')) & Node.DOCUMENT_POSITION_FOLLOWING)""")
    # A hostile value is text: no element, no dialog, no CSP report.
    assert page.evaluate("() => document.querySelectorAll('#cluster-checks img, img[src=x]').length") == 0
    assert page.watch.dialogs == [] and page.watch.csp_violations == []
    screenshot(page, "what-to-check")


def test_opening_a_cluster_stored_without_checks_after_one_with_them_leaves_no_stale_steps(page, checks_site):
    _open(page, checks_site, "c-checked")
    assert page.eval_on_selector_all("#cluster-checks li.check", "items => items.length") == len(CHECKS)
    page.click("a.back")  # ← Queue
    page.wait_for_selector("body[data-state=queue]")
    page.click("#queue-body tr[data-cluster-id='c-older']")
    page.wait_for_selector("body[data-state=cluster-ready]")
    assert page.text_content("#cluster-summary") == "cluster older at risk 40.0"
    assert page.evaluate("() => document.getElementById('cluster-checks').hidden") is True
    assert page.eval_on_selector_all("#cluster-checks li.check", "items => items.length") == 0
