"""``graphsiem detect --now``: a backtest window, as known at that instant (review R3, item 1)."""

from __future__ import annotations

import json

from graphsiem.cli import main
from graphsiem.model import epoch_to_iso
from tests.analytics.fleet import CAMPAIGN, CAMPAIGN_HOSTS, DAY, START

CAMPAIGN_STARTS = START + 1.5 * DAY


def _clusters(fleet_data_dir, capsys, *extra):
    assert main(["detect", "--data", str(fleet_data_dir), "--json", "-", *extra]) == 0
    return json.loads(capsys.readouterr().out)["clusters"]


def test_now_before_the_campaign_does_not_see_it(fleet_data_dir, capsys):
    before = epoch_to_iso(CAMPAIGN_STARTS - 3600)
    clusters = _clusters(fleet_data_dir, capsys, "--now", before)
    seen = {e["value"] for c in clusters for e in c["entities"]}
    assert not seen & {value for _, value in CAMPAIGN}
    assert all(c["last_seen"] <= before for c in clusters)


def test_now_during_the_campaign_finds_it_and_nothing_after(fleet_data_dir, capsys):
    during = epoch_to_iso(CAMPAIGN_STARTS + 3600)
    top = _clusters(fleet_data_dir, capsys, "--now", during)[0]
    assert top["hosts"] == CAMPAIGN_HOSTS
    assert top["last_seen"] <= during


def test_now_takes_an_offset(fleet_data_dir, capsys):
    utc = _clusters(fleet_data_dir, capsys, "--now", "2023-11-16T10:13:20Z")
    paris = _clusters(fleet_data_dir, capsys, "--now", "2023-11-16T11:13:20+01:00")
    assert [c["id"] for c in utc] == [c["id"] for c in paris]


def test_now_without_a_zone_or_not_a_time_is_refused(fleet_data_dir, capsys):
    assert main(["detect", "--data", str(fleet_data_dir), "--now", "2023-11-16T10:13:20"]) == 2
    assert "bad --now" in (err := capsys.readouterr().err) and "no time zone" in err
    assert main(["detect", "--data", str(fleet_data_dir), "--now", "yesterday"]) == 2
    assert "'yesterday' is not an ISO-8601 time" in capsys.readouterr().err


def test_an_empty_backtest_says_its_window_ends_at_now(fleet_data_dir, capsys):
    now = epoch_to_iso(START + 0.02 * DAY)
    assert main(["detect", "--data", str(fleet_data_dir), "--now", now]) == 0
    out = capsys.readouterr().out
    assert "0 clusters" in out and f".. {now} (24 h ending at --now)" in out
