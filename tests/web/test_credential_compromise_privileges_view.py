"""The cluster page's compromise row says the sprayer's session was given admin rights (task CRED9 item 1).

In Chromium against the real service: the spread spray of :mod:`tests.analytics.test_credential_spread`
whose log-on as user17 on SRV05 Windows gave special privileges (its 4672, same session).  The row under
"Succeeded after failing" names them; a privilege name is what the log said: text, never markup.
"""

from __future__ import annotations

import json

import pytest

from tests.analytics.test_credential_privileged_compromise import (
    LOGON,
    SESSION,
    START,
    _logon,
    _privileged,
)
from tests.analytics.test_credential_spread import spread_spray
from tests.web.conftest import start_site
from tests.web.corpus_site import ingesting
from tests.web.queue_helpers import sign_in_to_queue

pytestmark = pytest.mark.browser

HOSTILE = "<img src=x onerror=\"top['document']['body']['dataset']['pwned']=1\">"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    privileged = _privileged(LOGON, "user17", SESSION, 901)
    # a forged log line's privilege list is attacker text: it stays text on the page
    privileged["winlog"]["event_data"]["PrivilegeList"] += f"\n\t\t\t{HOSTILE}"
    records = [*spread_spray(START), _logon(), privileged]
    path = tmp_path_factory.mktemp("srv") / "winlogbeat.ndjson"
    path.write_text("".join(json.dumps(record) + "\n" for record in records))
    with start_site(tmp_path_factory.mktemp("privileged"), ingesting([path], accepted=len(records))) as running:
        running.detect()
        yield running


def test_the_compromise_row_names_the_admin_rights_as_text(page, site):
    cases = [site.api("GET", f"/v1/clusters/{row['id']}") for row in site.api("GET", "/v1/clusters")["items"]]
    [case] = [c for c in cases if c.get("credential")]
    sign_in_to_queue(page, site)
    page.click(f"#queue-body tr[data-cluster-id='{case['id']}']")
    page.wait_for_selector("body[data-state=cluster-ready]")
    row = page.text_content("#cluster-credential .credential-compromised li")
    assert row.startswith("corp\\user17 at ") and "after 1 failure" in row, row
    said = page.text_content("#cluster-credential .credential-compromised li .credential-privileges")
    assert said == (" · given administrator rights: SeSecurityPrivilege, SeBackupPrivilege, SeRestorePrivilege, "
                    "SeDebugPrivilege, " + ", ".join(HOSTILE.split()))
    assert page.eval_on_selector("#cluster-credential", "box => box.querySelectorAll('img').length") == 0
    assert page.evaluate("document.body.dataset.pwned") is None
