"""A run's record lists the benign verdicts it carried to a new build (task VERDFIX, red team T13 finding 7).

A benign verdict on the vendor job's shape carries to the product's new build when every host of
the build ran the judged one (:mod:`analytics.behaviour_verdicts`).  The new build's cluster is
left out, so a trojanised update pushed to the same hosts would vanish without a word: the
detection record (``GET /v1/detections/{id}``) now says which verdict carried to which build on
how many hosts, for the analyst to confirm.  Through the real service on [embedded] and [neo4j].
"""

from __future__ import annotations

import pytest

from graphsiem.model import Entity
from tests.analytics.vendor_fleet import PRODUCT_HOSTS, Fleet
from tests.api.conftest import Api

OLD_BUILD, NEW_BUILD = "ab" * 32, "cd" * 32


def _behaviour_clusters(api: Api) -> list[dict]:
    items = api.get("/v1/clusters", role="analyst", params={"limit": 100}).json()["items"]
    return [c for c in items if c["pivot"]["key"].startswith("behaviour (")]


def test_the_record_of_a_run_that_carried_a_verdict_names_both_builds(api: Api) -> None:
    week1 = Fleet(days=2)
    week1.weekly_job(1, digest=OLD_BUILD)
    week1.write(api.ctx.store)
    first = api.detect()
    assert first["verdicts_carried"] == []
    (job,) = _behaviour_clusters(api)
    assert job["hosts"] == sorted(PRODUCT_HOSTS)
    response = api.patch(f"/v1/clusters/{job['id']}", role="analyst", json={"verdict": "benign"})
    assert response.status_code == 200, response.text

    week2 = Fleet(days=9)
    week2.weekly_job(1, digest=OLD_BUILD)
    week2.weekly_job(8, digest=NEW_BUILD)
    week2.write(api.ctx.store)
    run = api.detect()

    assert run["status"] == "done", run
    assert [c["hosts"] for c in _behaviour_clusters(api) if c["id"] != job["id"]] == []
    assert run["verdicts_carried"] == [{
        "pivot": [job["pivot"]["type"], job["pivot"]["key"]], "judged_build": f"sha256 {OLD_BUILD}",
        "build": f"sha256 {NEW_BUILD}", "hosts": len(PRODUCT_HOSTS), "judged_hosts": len(PRODUCT_HOSTS),
        "judged_signer": None, "signer": None, "refused": None}]  # no signer known: the rule before signers
    assert run["verdicts_refused"] == []
    listed = api.get(f"/v1/detections/{run['id']}", role="analyst").json()
    assert listed["verdicts_carried"] == run["verdicts_carried"]
    # the queue brings them too, so its page needs no second request per poll (task PAGE3 #2)
    page = api.get("/v1/clusters", role="analyst", params={"limit": 1, "include_inactive": "true"}).json()
    assert page["verdicts_carried"] == run["verdicts_carried"]
    assert "verdicts_carried" not in page["items"][0]  # the rows are as they were (additive only)


def test_the_queue_before_any_detection_lists_no_carried_verdict(api: Api) -> None:
    page = api.get("/v1/clusters", role="analyst").json()
    assert page["verdicts_carried"] == []


CONTOSO = {"signed": True, "signature": "Contoso Ltd", "signature_status": "Valid"}


def _signed_update(api: Api, new_signer: dict) -> dict:
    """Week 1's job judged benign (signed by Contoso), then day 8's new build signed by ``new_signer``."""
    week1 = Fleet(days=2)
    week1.weekly_job(1, digest=OLD_BUILD)
    week1.entities.append(Entity("file", OLD_BUILD, "C:\\ProgramData\\Vendor\\memdiag.exe",
                                 {"sha256": OLD_BUILD, "name": "memdiag.exe", **CONTOSO}))
    week1.write(api.ctx.store)
    api.detect()
    (job,) = _behaviour_clusters(api)
    assert api.patch(f"/v1/clusters/{job['id']}", role="analyst", json={"verdict": "benign"}).status_code == 200
    week2 = Fleet(days=9)
    week2.weekly_job(1, digest=OLD_BUILD)
    week2.weekly_job(8, digest=NEW_BUILD)
    for digest, signer in ((OLD_BUILD, CONTOSO), (NEW_BUILD, new_signer)):  # the files as the journal holds them
        week2.entities.append(Entity("file", digest, "C:\\ProgramData\\Vendor\\memdiag.exe",
                                     {"sha256": digest, "name": "memdiag.exe", **signer}))
    week2.write(api.ctx.store)
    return api.detect()


@pytest.mark.parametrize(("new_signer", "carried", "refused"), [
    (CONTOSO, True, None),
    ({"signed": False, "signature_status": "Unavailable"}, False, "signer changed: Contoso Ltd (Valid) → unsigned"),
], ids=["same signer", "unsigned"])
def test_the_record_says_both_signers_and_a_refused_carry(api: Api, new_signer, carried, refused) -> None:
    # Review of BEH3: the API's record dropped the signers the run's stats named, and left out the
    # carries the signers refused, so an integrator could not tell a checked carry from an unchecked one.
    run = _signed_update(api, new_signer)
    listed = api.get(f"/v1/detections/{run['id']}", role="analyst").json()
    records = listed["verdicts_carried"] if carried else listed["verdicts_refused"]
    assert len(records) == 1 and len(listed["verdicts_refused" if carried else "verdicts_carried"]) == 0
    assert records[0]["judged_signer"] == "Contoso Ltd (Valid)"
    assert records[0]["signer"] == ("Contoso Ltd (Valid)" if carried else "unsigned")
    assert records[0]["refused"] == refused
