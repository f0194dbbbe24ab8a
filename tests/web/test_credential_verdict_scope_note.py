"""The credential section says what a benign verdict on the case covers: the finding, not its host (task SPRAY2).

Chromium against the real service after an API detection over a pipeline-ingested spray (the
fixture of :mod:`tests.web.test_credential_finding_view`).
"""

from __future__ import annotations

import pytest

from tests.web.queue_helpers import sign_in_to_queue
from tests.web.test_credential_finding_view import site  # noqa: F401 - the spray's running service

pytestmark = pytest.mark.browser


def test_the_section_says_a_verdict_covers_the_finding_not_the_host(page, site):  # noqa: F811
    [top, *_] = site.api("GET", "/v1/clusters")["items"]
    sign_in_to_queue(page, site)
    page.click(f"#queue-body tr[data-cluster-id='{top['id']}']")
    page.wait_for_selector("body[data-state=cluster-ready]")

    note = page.text_content("#cluster-credential .credential-verdict-scope")

    assert note.startswith("A benign verdict covers this finding only")
    assert "Anything new on dc01" in note
