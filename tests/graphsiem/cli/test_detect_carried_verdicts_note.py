"""``graphsiem detect`` says on stderr when it carried a benign verdict to a product's new build.

A carried verdict leaves the new build's cluster out on weaker ground than a verdict given (a
trojanised update pushed to exactly the judged hosts looks the same: red team T13 finding 7), so
the CLI names each carry, as the page's queue header does and as ``--json`` lists it in
``detection.stats.verdicts_carried``.  The service (the real app over the directory's embedded
store) judges the vendor job benign; the CLI then detects on the same directory after a new build.
"""

from __future__ import annotations

import json

from graphsiem.cli import main
from graphsiem.store import open_store
from tests.analytics.vendor_fleet import PRODUCT_HOSTS, Fleet
from tests.api.conftest import make_settings, running_api

OLD_BUILD, NEW_BUILD = "ab" * 32, "cd" * 32


def test_detect_names_the_verdict_it_carried_to_a_new_build(tmp_path, capsys):
    data = tmp_path / "data"
    store = open_store(None, data_dir=data)
    try:
        with running_api(make_settings(data), store) as api:
            week1 = Fleet(days=2)
            week1.weekly_job(1, digest=OLD_BUILD)
            week1.write(api.ctx.store)
            assert api.detect()["status"] == "done"
            (job,) = [c for c in api.get("/v1/clusters", role="analyst", params={"limit": 100}).json()["items"]
                      if c["pivot"]["key"].startswith("behaviour (")]
            assert api.patch(f"/v1/clusters/{job['id']}", role="analyst",
                             json={"verdict": "benign"}).status_code == 200
            week2 = Fleet(days=9)
            week2.weekly_job(1, digest=OLD_BUILD)
            week2.weekly_job(8, digest=NEW_BUILD)
            week2.write(api.ctx.store)
    finally:
        store.close()

    assert main(["detect", "--data", str(data), "--json", "-"]) == 0
    captured = capsys.readouterr()
    carried = json.loads(captured.out)["detection"]["stats"]["verdicts_carried"]

    assert [record["build"] for record in carried] == [f"sha256 {NEW_BUILD}"]
    assert "1 benign verdict carried to a new build, its cluster left out: confirm" in captured.err
    assert f"sha256 {OLD_BUILD[:16]}… → sha256 {NEW_BUILD[:16]}… on {len(PRODUCT_HOSTS)} hosts" in captured.err
