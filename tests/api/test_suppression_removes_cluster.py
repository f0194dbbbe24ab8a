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


def test_benign_verdict_removes_the_cluster_under_every_name(fleet_api: Api) -> None:
    top = next(c for c in _active(fleet_api) if sorted(c["hosts"]) == sorted(CAMPAIGN_HOSTS))
    fleet_api.patch(f"/v1/clusters/{top['id']}", json={"verdict": "benign", "note": "MSP tool"})
    fleet_api.detect()
    active = _active(fleet_api)
    assert [c["pivot"] for c in active if set(c["hosts"]) & set(CAMPAIGN_HOSTS)] == []
    # The other campaign, on other hosts, is still detected.
    assert [sorted(c["hosts"]) for c in active] == [sorted(SECOND_HOSTS)]
