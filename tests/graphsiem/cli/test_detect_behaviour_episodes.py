"""``graphsiem detect`` and a behaviour verdict given on other hosts (task F2, items 1 and 2).

A behaviour pivot names a pair of kinds of act, so a benign verdict on it covers the hosts it
was given on (red-team T8, finding 1): the same pair on other machines is another episode,
shown, and stored by the service under an id of its own.  The CLI applied that rule but

1. still said "1 pivot suppressed by triage" when the verdict removed nothing, and
2. printed and wrote (``--json``) the pivot's id, the id of the *benign* episode in the
   service, for the episode on the other machines.

Episode 1 is :func:`tests.analytics.behaviour_campaign.build_fleet`'s campaign on
``FIRST_HOSTS``, marked benign in the service (the real app over the data directory's
embedded store); episode 2 is the same fleet rebuilt with the campaign on ``OTHER_HOSTS``.
The CLI runs on the same data directory, through its main function.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from analytics.behaviour_words import is_behaviour
from graphsiem.cli import main
from graphsiem.store import open_store
from tests.analytics.behaviour_campaign import CAMPAIGN_HOSTS, HOSTS, build_fleet
from tests.api.conftest import Api, make_settings, running_api

FIRST_HOSTS = CAMPAIGN_HOSTS
OTHER_HOSTS = HOSTS[26:30] + HOSTS[36:40]  # in no other group of the fleet (as tests/api/test_behaviour_episode_triage.py)


@contextmanager
def _service(data: Path) -> Iterator[Api]:
    """The service (in-process app) over ``data``'s embedded store, its graph saved on exit."""
    store = open_store(None, data_dir=data)
    try:
        with running_api(make_settings(data), store) as api:
            yield api
    finally:
        store.close()


def _behaviour(clusters: list[dict[str, Any]], hosts: list[str]) -> list[dict[str, Any]]:
    return [c for c in clusters if is_behaviour((c["pivot"]["type"], c["pivot"]["key"])) and c["hosts"] == sorted(hosts)]


def _campaign_on(data: Path, hosts: list[str]) -> None:
    with _service(data) as api:
        build_fleet(api.ctx.store, campaign_hosts=hosts)


def _service_detects(data: Path) -> list[dict[str, Any]]:
    with _service(data) as api:
        assert api.detect()["status"] == "done"
        items = api.get("/v1/clusters", role="analyst", params={"limit": 100}).json()["items"]
    return [c for c in items if c["active"]]


def _cli(data: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[list[dict[str, Any]], str]:
    assert main(["detect", "--data", str(data), "--json", "-", *extra]) == 0
    captured = capsys.readouterr()
    return json.loads(captured.out)["clusters"], captured.err


@pytest.fixture
def judged(tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    """A data directory whose service marked episode 1 (``FIRST_HOSTS``) benign; that cluster."""
    data = tmp_path / "data"
    with _service(data) as api:
        build_fleet(api.ctx.store, campaign_hosts=FIRST_HOSTS)
        assert api.detect()["status"] == "done"
        items = api.get("/v1/clusters", role="analyst", params={"limit": 100}).json()["items"]
        (first,) = _behaviour(items, FIRST_HOSTS)
        response = api.patch(f"/v1/clusters/{first['id']}", role="analyst", json={"verdict": "benign"})
        assert response.status_code == 200, response.text
    return data, first


def test_a_verdict_on_other_hosts_is_not_counted_as_a_suppression(judged, capsys):
    data, _ = judged
    _campaign_on(data, OTHER_HOSTS)

    clusters, err = _cli(data, capsys)

    assert len(_behaviour(clusters, OTHER_HOSTS)) == 1  # shown: nobody judged those machines
    assert "pivot suppressed by triage" not in err, err
    assert ("1 benign verdict in the service state removed no cluster: 1 shown on other hosts than it was "
            "given on") in err
    # the same verdict on the machines it was given on is counted: it removed the cluster
    _campaign_on(data, FIRST_HOSTS)
    clusters, err = _cli(data, capsys)
    assert _behaviour(clusters, FIRST_HOSTS) == []
    assert "1 pivot suppressed by triage (benign verdicts in the service state" in err
    assert "removed no cluster" not in err


def test_a_baseline_ranking_does_not_claim_the_suppressions(judged, capsys):
    data, _ = judged

    _, err = _cli(data, capsys, "--baseline", "host-count")

    assert "--baseline: 1 pivot suppressed by triage not applied" in err, err


def test_the_cli_gives_the_episode_the_id_the_service_gives_it(judged, capsys):
    data, first = judged
    _campaign_on(data, OTHER_HOSTS)

    (before_service,) = _behaviour(_cli(data, capsys)[0], OTHER_HOSTS)
    (served,) = _behaviour(_service_detects(data), OTHER_HOSTS)
    clusters, _ = _cli(data, capsys, "--top", "50")

    assert before_service["id"] != first["id"], "the CLI named the episode by the benign episode's id"
    assert before_service["id"] == served["id"]
    (after_service,) = _behaviour(clusters, OTHER_HOSTS)
    assert after_service["id"] == served["id"]  # continued: the stored episode's id
    # every other cluster keeps its pivot's id, as the service's
    assert sorted(c["id"] for c in clusters) == sorted(c["id"] for c in _service_detects(data))


def test_the_table_names_the_episode_by_the_service_id(judged, capsys):
    data, first = judged
    _campaign_on(data, OTHER_HOSTS)
    (served,) = _behaviour(_service_detects(data), OTHER_HOSTS)

    assert main(["detect", "--data", str(data), "--top", "50"]) == 0
    table = capsys.readouterr().out

    assert f"cluster {served['id']}" in table
    assert f"cluster {first['id']}" not in table
