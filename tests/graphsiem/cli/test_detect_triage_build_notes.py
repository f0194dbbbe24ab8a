"""``graphsiem detect`` names on stderr each benign verdict it carried to a product's new build, or did not.

A carried verdict leaves the new build's cluster out on weaker ground than a verdict given (a
trojanised update pushed to exactly the judged hosts looks the same: red team T13 finding 7), so
the CLI names each carry, as the page's queue header does and as ``--json`` lists it in
``detection.stats.verdicts_carried``.  When the new build's signer changed (the judged build was
signed by Contoso, the new one on exactly the judged hosts is unsigned) the carry is refused
(:mod:`analytics.build_signers`, task BEH3): the cluster is shown, ``--json`` lists the refusal in
``detection.stats.verdicts_refused`` and stderr names it with its reason.  The service (the real
app over the directory's embedded store) judges the vendor job benign; the CLI then detects on
the same directory after a new build.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from graphsiem.cli import main
from graphsiem.model import Entity
from graphsiem.store import open_store
from tests.analytics.vendor_fleet import PRODUCT_HOSTS, Fleet
from tests.api.conftest import make_settings, running_api

OLD_BUILD, NEW_BUILD = "ab" * 32, "cd" * 32
SIGNERS = {OLD_BUILD: {"signed": True, "signature": "Contoso Ltd", "signature_status": "Valid"},
           NEW_BUILD: {"signed": False, "signature_status": "Unavailable"}}


def _fleet(days: int, *, signed: bool) -> Fleet:
    fleet = Fleet(days=days)
    if signed:
        fleet.entities += [Entity("file", digest, "memdiag.exe", {"sha256": digest, **signer})
                           for digest, signer in SIGNERS.items()]
    return fleet


def _detect_after_new_build(tmp_path: Path, capsys: pytest.CaptureFixture[str], *, signed: bool) -> tuple[dict[str, Any], str]:
    """Judge the vendor job benign in the service, add a new build, detect with the CLI: (stats, stderr)."""
    data = tmp_path / "data"
    store = open_store(None, data_dir=data)
    try:
        with running_api(make_settings(data), store) as api:
            week1 = _fleet(2, signed=signed)
            week1.weekly_job(1, digest=OLD_BUILD)
            week1.write(api.ctx.store)
            assert api.detect()["status"] == "done"
            (job,) = [c for c in api.get("/v1/clusters", role="analyst", params={"limit": 100}).json()["items"]
                      if c["pivot"]["key"].startswith("behaviour (")]
            assert api.patch(f"/v1/clusters/{job['id']}", role="analyst",
                             json={"verdict": "benign"}).status_code == 200
            week2 = _fleet(9, signed=signed)
            week2.weekly_job(1, digest=OLD_BUILD)
            week2.weekly_job(8, digest=NEW_BUILD)
            week2.write(api.ctx.store)
    finally:
        store.close()
    assert main(["detect", "--data", str(data), "--json", "-"]) == 0
    captured = capsys.readouterr()
    return json.loads(captured.out)["detection"]["stats"], captured.err


def test_detect_names_the_verdict_it_carried_to_a_new_build(tmp_path, capsys):
    stats, err = _detect_after_new_build(tmp_path, capsys, signed=False)

    assert [record["build"] for record in stats["verdicts_carried"]] == [f"sha256 {NEW_BUILD}"]
    assert "1 benign verdict carried to a new build, its cluster left out: confirm" in err
    assert f"sha256 {OLD_BUILD[:16]}… → sha256 {NEW_BUILD[:16]}… on {len(PRODUCT_HOSTS)} hosts" in err


def test_detect_names_the_verdict_a_changed_signer_did_not_carry(tmp_path, capsys):
    stats, err = _detect_after_new_build(tmp_path, capsys, signed=True)

    assert stats["verdicts_carried"] == []
    assert [record["refused"] for record in stats["verdicts_refused"]] == [
        "signer changed: Contoso Ltd (Valid) → unsigned"]
    assert "1 benign verdict not carried to a new build, its cluster shown" in err
    assert f"sha256 {OLD_BUILD[:16]}… → sha256 {NEW_BUILD[:16]}…: signer changed: Contoso Ltd (Valid) → unsigned" in err
