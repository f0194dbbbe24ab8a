"""``graphsiem detect`` says on stderr when a new build's signer stopped a benign verdict's carry (task BEH3).

The vendor job judged benign ran a build signed by Contoso; the new build on exactly the judged hosts
is unsigned (a trojanised update through the vendor's channel).  The carry is refused
(:mod:`analytics.build_signers`): the cluster is shown, ``--json`` lists the refusal in
``detection.stats.verdicts_refused``, and stderr names it with its reason, as carries are named.
The service (the real app over the directory's embedded store) judges the job; the CLI detects after.
"""

from __future__ import annotations

import json

from graphsiem.cli import main
from graphsiem.model import Entity
from graphsiem.store import open_store
from tests.analytics.vendor_fleet import Fleet
from tests.api.conftest import make_settings, running_api

OLD_BUILD, NEW_BUILD = "ab" * 32, "cd" * 32
SIGNERS = {OLD_BUILD: {"signed": True, "signature": "Contoso Ltd", "signature_status": "Valid"},
           NEW_BUILD: {"signed": False, "signature_status": "Unavailable"}}


def _with_signers(fleet: Fleet) -> Fleet:
    fleet.entities += [Entity("file", digest, "memdiag.exe", {"sha256": digest, **signer})
                       for digest, signer in SIGNERS.items()]
    return fleet


def test_detect_names_the_verdict_a_changed_signer_did_not_carry(tmp_path, capsys):
    data = tmp_path / "data"
    store = open_store(None, data_dir=data)
    try:
        with running_api(make_settings(data), store) as api:
            week1 = _with_signers(Fleet(days=2))
            week1.weekly_job(1, digest=OLD_BUILD)
            week1.write(api.ctx.store)
            assert api.detect()["status"] == "done"
            (job,) = [c for c in api.get("/v1/clusters", role="analyst", params={"limit": 100}).json()["items"]
                      if c["pivot"]["key"].startswith("behaviour (")]
            assert api.patch(f"/v1/clusters/{job['id']}", role="analyst",
                             json={"verdict": "benign"}).status_code == 200
            week2 = _with_signers(Fleet(days=9))
            week2.weekly_job(1, digest=OLD_BUILD)
            week2.weekly_job(8, digest=NEW_BUILD)
            week2.write(api.ctx.store)
    finally:
        store.close()

    assert main(["detect", "--data", str(data), "--json", "-"]) == 0
    captured = capsys.readouterr()
    stats = json.loads(captured.out)["detection"]["stats"]

    assert stats["verdicts_carried"] == []
    assert [record["refused"] for record in stats["verdicts_refused"]] == [
        "signer changed: Contoso Ltd (Valid) → unsigned"]
    assert "1 benign verdict not carried to a new build, its cluster shown" in captured.err
    assert (f"sha256 {OLD_BUILD[:16]}… → sha256 {NEW_BUILD[:16]}…: signer changed: Contoso Ltd (Valid) → unsigned"
            in captured.err)
