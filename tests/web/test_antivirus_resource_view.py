"""An antivirus finding of a detection naming no file shows the resource on the cluster page (task AVX #1).

In Chromium against the real service: Defender 1116/1117 Winlogbeat lines whose ``Path`` is a registry key
(``regkey:_``, the key's name is markup) on ws-070, which Defender failed to clean.  Before, the detection
only sighted ws-070: the run made no case of it.  The key is the attacker's text, never markup.
"""

from __future__ import annotations

import json

import pytest

from tests.analytics.test_antivirus_resources import AT, detected_then_acted
from tests.web.conftest import start_site
from tests.web.corpus_site import ingesting
from tests.web.queue_helpers import sign_in_to_queue

pytestmark = pytest.mark.browser

THREAT = "Trojan:Win32/Poweliks.A"
KEY = "HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\\\\<img src=x onerror=\"document.body.dataset.pwned=1\">"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    records = detected_then_acted("ws-070", AT, THREAT, f"regkey:_{KEY}", result="Access is denied.")
    path = tmp_path_factory.mktemp("defender") / "winlogbeat.ndjson"
    path.write_text("".join(json.dumps(record) + "\n" for record in records))
    with start_site(tmp_path_factory.mktemp("av-resource"), ingesting([path], accepted=len(records))) as running:
        running.detect()
        yield running


def test_the_registry_key_it_was_found_in_is_listed_as_text(page, site):
    [finding] = site.api("GET", "/v1/clusters")["items"]
    detail = site.api("GET", f"/v1/clusters/{finding['id']}")
    assert finding["score"] == 80.0 and detail["antivirus"]["threat"] == THREAT
    assert [(r["kind"], r["resource"]) for r in detail["antivirus"]["resources"]] == [("regkey", KEY)]
    sign_in_to_queue(page, site)
    page.click(f"#queue-body tr[data-cluster-id='{finding['id']}']")
    page.wait_for_selector("body[data-state=cluster-ready]")
    assert page.text_content("#cluster-antivirus .antivirus-resources h4") == "Found in no file"
    assert page.text_content("#cluster-antivirus .antivirus-resource") == "registry key " + KEY
    host = "#cluster-antivirus .antivirus-hosts li[data-host=ws-070]"
    assert page.text_content(f"{host} .antivirus-host-files") == "registry key " + KEY
    assert page.text_content(f"{host} .badge") == "not remediated"
    assert page.eval_on_selector("#cluster-antivirus", "box => box.querySelectorAll('img').length") == 0
    assert page.evaluate("document.body.dataset.pwned") is None
    assert page.watch.errors == []
