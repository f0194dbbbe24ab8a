"""DetectionConfig: validation and file round-trips."""

from __future__ import annotations

import pytest

from analytics.config import ConfigError, DetectionConfig


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
def test_save_and_load_round_trip(tmp_path, suffix):
    config = DetectionConfig(min_hosts=5, suppressed=frozenset({("domain", "ok.example")}))
    path = tmp_path / f"detect{suffix}"
    config.save(path)
    assert DetectionConfig.load(path) == config


def test_unknown_setting_is_named(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("min_host: 4\n")
    with pytest.raises(ConfigError, match="min_host"):
        DetectionConfig.load(path)


@pytest.mark.parametrize("bad", [{"min_hosts": 1}, {"max_fraction": 0.0}, {"window_hours": -1}])
def test_out_of_range_values_are_refused(bad):
    with pytest.raises(ConfigError):
        DetectionConfig.from_dict(bad)


def test_suppressed_must_be_pairs():
    with pytest.raises(ConfigError, match="suppressed"):
        DetectionConfig.from_dict({"suppressed": [1, 2]})
