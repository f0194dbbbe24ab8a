"""A finding's row carries no ordinary line, so the page never folds it as low signal (HOSTF4).

Credential, antivirus and host findings list their features with contribution 0 (their risk is their rules',
the baseline the rule's fixed risk), and ``ordinary_score`` (risk minus the contributions) read as the risk
itself: in a queue holding any other row the page folded every finding under "low-signal clusters", a judged
host finding spreading to new hosts included.  A real app over the real state database.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Api
from tests.web.queue_helpers import stored_cluster


def _unscored(score: float, name: str, **record: Any) -> dict[str, Any]:
    """A cluster whose features all contribute 0, as analytics writes a finding's (host_finding_words.host_cluster)."""
    features = [{"name": "hits_rule", "value": 1.0, "baseline": score, "contribution": 0.0,
                 "description": "the baseline is the rule's fixed risk"}]
    return stored_cluster(score, name, explanation={"summary": f"finding {name}", "features": features}, **record)


@pytest.mark.parametrize("record", ["host_finding", "credential", "antivirus"])
def test_a_finding_has_no_ordinary_line(api: Api, record: str) -> None:
    api.ctx.state.save_clusters("run-1", [_unscored(71.0, "finding", **{record: {"hosts": ["ws-finding"]}}),
                                          _unscored(30.0, "plain")])
    items = {c["id"]: c for c in api.get("/v1/clusters", role="analyst").json()["items"]}
    assert items["c-finding"]["ordinary_score"] is None
    # a scored cluster whose features add nothing is exactly ordinary: its line stays, and it folds
    assert items["c-plain"]["ordinary_score"] == 30.0
