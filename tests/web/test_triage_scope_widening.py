"""The triage form widens, and narrows again, a benign verdict's source scope (review U5 follow-up), in Chromium.

Choosing *any source (every host)* on a benign verdict held for it-0002 answered "Nothing changed":
the analyst had to set the verdict to none and benign again.  Now the note says Save widens it, Save
sends ``benign_when_source: null`` and the verdict holds for any source (audited, read back after a
reload); choosing it-0002 again narrows it back.  Real service, the simulated seed-3 fleet.
"""

from __future__ import annotations

import pytest

from tests.web.test_hostile_strings import sign_in
from tests.web.test_triage_source_scope_default import (  # noqa: F401 (fixtures)
    SOURCE,
    _choose_only,
    _open,
    _save,
    _scope,
    _scopes,
    cluster_id,
    site,
)

pytestmark = pytest.mark.browser


def test_any_source_widens_a_verdict_held_for_its_source_and_the_host_narrows_it_again(
        page, site, cluster_id) -> None:  # noqa: F811
    site.api("PATCH", f"/v1/clusters/{cluster_id}", json={"verdict": None})
    site.api("PATCH", f"/v1/clusters/{cluster_id}", json={"verdict": "benign", "benign_when_source": SOURCE})
    before = _scopes(site, cluster_id)
    sign_in(page, site)
    _open(page, site, cluster_id)
    assert _scope(page) == [SOURCE]

    page.get_by_role("radio", name="any source (every host)").check()
    assert "Saving widens it to any source" in page.inner_text("#triage-suppress-note")
    _save(page)
    assert _scopes(site, cluster_id) == [*before, (SOURCE, None)]
    assert site.api("GET", f"/v1/clusters/{cluster_id}")["triage"]["benign_when_source"] is None

    page.reload()
    page.wait_for_selector("body[data-state=cluster-ready]")
    assert _scope(page) is None

    _choose_only(page, SOURCE)
    assert f"only when its log-ons come from {SOURCE}" in page.inner_text("#triage-suppress-note")
    _save(page)
    assert _scopes(site, cluster_id) == [*before, (SOURCE, None), (None, SOURCE)]
    assert site.api("GET", f"/v1/clusters/{cluster_id}")["triage"]["benign_when_source"] == [SOURCE]
    assert page.watch.errors == []
