"""``DetectionConfig`` refuses a setting of the wrong type by name (review U4 F5): ``min_hosts="3"``
used to fail later as a bare TypeError, ``n_estimators=0`` inside scikit-learn's fit."""

from __future__ import annotations

import numpy as np
import pytest

from analytics.config import ConfigError, DetectionConfig


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ({"min_hosts": "3"}, "min_hosts must be an integer, got '3'"),
        ({"min_hosts": 3.5}, "min_hosts must be an integer, got 3.5"),
        ({"n_estimators": 0}, "n_estimators must be >= 1, got 0"),
        ({"n_estimators": True}, "n_estimators must be an integer, got True"),
        ({"evidence_top": -1}, "evidence_top must be >= 0, got -1"),
        ({"window_hours": "24"}, "window_hours must be a number, got '24'"),
        ({"new_pivots_only": "no"}, "new_pivots_only must be true or false, got 'no'"),
        ({"random_state": "0"}, "random_state must be an integer or None, got '0'"),
        ({"max_samples": 0}, "max_samples must be 'auto', an integer >= 1 or a share in \\(0, 1\\], got 0"),
        ({"max_samples": 1.5}, "max_samples must be .* got 1.5"),
        ({"max_samples": "all"}, "max_samples must be .* got 'all'"),
    ],
)
def test_a_setting_of_the_wrong_type_is_refused_by_name(setting, message) -> None:
    with pytest.raises(ConfigError, match=message):
        DetectionConfig(**setting)


def test_settings_of_the_right_types_are_kept() -> None:
    config = DetectionConfig(min_hosts=np.int64(4), n_estimators=1, max_samples=0.5, random_state=None,
                             window_hours=12, new_pivots_only=False)
    assert (config.min_hosts, config.n_estimators, config.max_samples, config.window_hours) == (4, 1, 0.5, 12)
    assert DetectionConfig(max_samples=64).max_samples == 64


def test_a_loaded_file_names_the_setting(tmp_path) -> None:
    path = tmp_path / "detect.yaml"
    path.write_text('min_hosts: "3"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="detect.yaml: min_hosts must be an integer, got '3'"):
        DetectionConfig.load(path)
