"""``PATCH /v1/clusters/{id}``: a list of source hosts may keep a host the benign verdict holds for already.

A later detection of the same cluster can name other sources: a verdict held for it-0002 and it-0009
stays on a cluster whose log-ons now name it-0002 and it-0005.  A list is the exact set of hosts
(tests/api/test_benign_source_scope_changes.py); it was refused when it kept it-0009 (not named any
more), though adding it-0005 as a single host kept it, so the page, which sends the hosts ticked,
could not add a source without dropping the held ones (review R26 of task PAGEN).  A held host may
now be kept; any other host the log-ons do not name is refused as before.  Both graph stores.
"""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Api
from tests.api.test_benign_source_scope_changes import _held, _patch, _store_lateral_cluster


def _next_detection_names(api: Api, hosts: list[str]) -> None:
    """The same cluster stored again by a later detection, its log-ons from ``hosts``."""
    row = api.ctx.state.get_cluster("L")
    assert row is not None
    cluster: dict[str, Any] = row.data
    sources = [{"ip": f"10.0.0.{i + 2}", "host": host, "targets": cluster["hosts"]} for i, host in enumerate(hosts)]
    api.ctx.state.save_clusters("d2", [{**cluster, "lateral_sources": sources}])


def test_a_list_keeps_a_held_host_the_next_detection_no_longer_names(api: Api) -> None:
    _store_lateral_cluster(api)  # log-ons from it-0002 and it-0005
    assert _patch(api, {"verdict": "benign", "benign_when_source": ["it-0002", "it-0005"]}).status_code == 200
    _next_detection_names(api, ["it-0002", "it-0009"])

    kept = _patch(api, {"benign_when_source": ["it-0002", "it-0005", "it-0009"]})
    assert kept.status_code == 200, kept.text
    assert _held(api)[0] == ["it-0002", "it-0005", "it-0009"]

    # narrowed, it-0005 is no longer held: naming it again is refused, as any host never seen
    assert _patch(api, {"benign_when_source": ["it-0009"]}).status_code == 200
    refused = _patch(api, {"benign_when_source": ["it-0005", "it-0009"]})
    assert refused.status_code == 422
    assert "'it-0005' is not a source this cluster's log-ons came from" in refused.text
    assert _held(api)[0] == ["it-0009"]


def test_a_held_host_is_not_kept_for_a_verdict_no_longer_benign(api: Api) -> None:
    _store_lateral_cluster(api)
    assert _patch(api, {"verdict": "benign", "benign_when_source": ["it-0005"]}).status_code == 200
    _next_detection_names(api, ["it-0002"])
    assert _patch(api, {"verdict": None}).status_code == 200
    # a new benign verdict is judged on what the log-ons name now
    refused = _patch(api, {"verdict": "benign", "benign_when_source": ["it-0002", "it-0005"]})
    assert refused.status_code == 422, refused.text
