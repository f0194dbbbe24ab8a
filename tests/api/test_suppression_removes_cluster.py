"""A benign verdict removes the cluster from the next detection, not only its pivot (review R3, item 2).

The fleet's campaign is a new domain and a new PowerShell command line on the
same 10 hosts: suppressing the domain used to bring the same cluster back under
the command line.
"""

from __future__ import annotations

from tests.api.conftest import Api
from tests.api.fleet import CAMPAIGN_HOSTS, SECOND_HOSTS


def _active(api: Api) -> list[dict]:
    return api.get("/v1/clusters").json()["items"]


def _keys(cluster: dict) -> set[tuple[str, str]]:
    return {(e["type"], e["key"]) for e in cluster["entity_keys"]}


def test_benign_verdict_removes_the_cluster_under_every_name(fleet_api: Api) -> None:
    top = next(c for c in _active(fleet_api) if sorted(c["hosts"]) == sorted(CAMPAIGN_HOSTS))
    members = _keys(top)
    assert len(members) >= 3  # the domain, the command line and more: names it could come back under
    fleet_api.patch(f"/v1/clusters/{top['id']}", json={"verdict": "benign", "note": "MSP tool"})
    fleet_api.detect()
    active = _active(fleet_api)
    # No cluster comes back on the campaign's hosts under any of its members.  (The fleet's
    # background browsing can form clusters of its own: only the campaign and the second
    # campaign report in the last hours, so the window's start is widened, analytics.window_end.)
    assert [c["pivot"] for c in active if _keys(c) & members] == []
    assert [c["pivot"] for c in active if sorted(c["hosts"]) == sorted(CAMPAIGN_HOSTS)] == []
    # The other campaign, on other hosts, is still detected.
    assert sorted(SECOND_HOSTS) in [sorted(c["hosts"]) for c in active]
