"""``contamination`` and ``max_features`` are detection settings (review R3, item 3):
before, only ``Workspace.rescore`` could change them and ``detect(contamination=0.1)`` was a TypeError."""

from __future__ import annotations

import pytest

from analytics.config import ConfigError, DetectionConfig
from analytics.detect import detect
from tests.analytics.fleet import populate


@pytest.fixture
def store(embedded_store):
    populate(embedded_store)
    return embedded_store


def test_contamination_moves_the_threshold_not_the_ranking(store) -> None:
    auto = detect(store).clusters
    strict = detect(store, config=DetectionConfig(contamination=0.1)).clusters
    assert [c.id for c in strict] == [c.id for c in auto]
    assert [round(c.score, 6) for c in strict] != [round(c.score, 6) for c in auto]


def test_max_features_reaches_the_forest(store) -> None:
    every = detect(store, config=DetectionConfig(new_pivots_only=False)).clusters
    some = detect(store, config=DetectionConfig(new_pivots_only=False, max_features=0.5)).clusters
    assert {c.id: round(c.score, 6) for c in some} != {c.id: round(c.score, 6) for c in every}


def test_scorer_settings_round_trip_and_are_checked(tmp_path) -> None:
    tuned = DetectionConfig(contamination=0.05, max_features=0.8)
    tuned.save(tmp_path / "tuned.yaml")
    assert DetectionConfig.load(tmp_path / "tuned.yaml") == tuned
    assert tuned.scorer_params()["contamination"] == 0.05 and tuned.scorer_params()["max_features"] == 0.8
    with pytest.raises(ConfigError, match=r"contamination must be 'auto' or in \(0, 0.5\], got 0.7"):
        DetectionConfig(contamination=0.7)
    with pytest.raises(ConfigError, match=r"max_features must be in \(0, 1\], got 0"):
        DetectionConfig.from_dict({"max_features": 0})
