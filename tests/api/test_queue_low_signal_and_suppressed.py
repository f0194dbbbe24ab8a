"""The queue says what benign verdicts keep out of it, and the line of an ordinary cluster (review U2 #1, #2).

After a restart, ``serve``'s detection left out the 10 clusters judged benign and the
queue went from 40 rows to 30 without a word: each page now says
``suppressed_by_verdicts``.  Each row carries ``ordinary_score``, the risk of an
ordinary cluster of its detection (the explanation caption's line), so the page can
fold the rows at or below it.  A real app over the real store and state database.
"""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Api
from tests.web.queue_helpers import stored_cluster


def _scored(score: float, name: str, *contributions: float) -> dict[str, Any]:
    features = [{"name": f"f{i}", "value": 1.0, "baseline": 0.0, "contribution": c}
                for i, c in enumerate(contributions)]
    return stored_cluster(score, name, explanation={"summary": f"cluster {name}", "features": features})


def test_the_page_counts_the_clusters_benign_verdicts_keep_out(api: Api) -> None:
    clusters = [_scored(90.0 - i, f"n{i}", 0.5) for i in range(5)]
    api.ctx.state.save_clusters("run-1", clusters)
    assert api.get("/v1/clusters", role="analyst").json()["suppressed_by_verdicts"] == 0
    for cluster in clusters[:3]:
        answer = api.patch(f"/v1/clusters/{cluster['id']}", role="analyst",
                           json={"verdict": "benign", "status": "closed", "note": "vendor updater"})
        assert answer.status_code == 200, answer.text
    # Judged but still detected: listed, nothing kept out yet.
    page = api.get("/v1/clusters", role="analyst").json()
    assert len(page["items"]) == 5 and page["suppressed_by_verdicts"] == 0
    # The next detection (serve's at start) no longer produces the suppressed three.
    api.ctx.state.save_clusters("run-2", clusters[3:])
    page = api.get("/v1/clusters", role="analyst").json()
    assert [c["id"] for c in page["items"]] == ["c-n3", "c-n4"]
    assert page["suppressed_by_verdicts"] == 3
    shown = api.get("/v1/clusters", role="analyst", params={"verdict": "benign"}).json()["items"]
    assert sorted(c["id"] for c in shown) == ["c-n0", "c-n1", "c-n2"]
    # A lifted suppression no longer keeps its cluster out: the next detection may bring it back.
    lifted = api.delete("/v1/suppressions/domain/n0.example", role="analyst")
    assert lifted.status_code == 204, lifted.text
    assert api.get("/v1/clusters", role="analyst").json()["suppressed_by_verdicts"] == 2


def test_each_row_carries_the_risk_of_an_ordinary_cluster(api: Api) -> None:
    api.ctx.state.save_clusters("run-1", [
        _scored(74.8, "high", 0.4, 0.142), _scored(20.6, "plain", 0.0004, -0.0004),
        stored_cluster(88.0, "finding"),  # no scored features: a finding's risk has no such line
    ])
    items = {c["id"]: c for c in api.get("/v1/clusters", role="analyst").json()["items"]}
    assert items["c-high"]["ordinary_score"] == 20.6
    assert items["c-plain"]["ordinary_score"] == 20.6
    assert items["c-finding"]["ordinary_score"] is None
