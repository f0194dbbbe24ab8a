"""``analytics.features.SCORED_FEATURES`` selects a DataFrame's columns (review U4 F5: as a tuple,
pandas read it as one key and ``frame[SCORED_FEATURES]`` was a KeyError) and stays immutable."""

from __future__ import annotations

import pandas as pd
import pytest

from analytics.column_names import ColumnNames
from analytics.features import SCORED_FEATURES
from graphsiem import lab


def test_scored_features_select_the_columns_of_a_frame() -> None:
    frame = pd.DataFrame({name: [float(i)] for i, name in enumerate(["id", *SCORED_FEATURES, "hosts"])})
    assert list(frame[SCORED_FEATURES].columns) == list(SCORED_FEATURES) == lab.SCORED_FEATURES
    assert list(frame.loc[:, SCORED_FEATURES].columns) == list(SCORED_FEATURES)


def test_scored_features_read_as_the_tuple_they_were() -> None:
    names = tuple(SCORED_FEATURES)
    assert SCORED_FEATURES == names and SCORED_FEATURES == list(names)
    assert SCORED_FEATURES.index("burst_hosts") == names.index("burst_hosts")
    assert SCORED_FEATURES[0] == names[0] and SCORED_FEATURES[1:3] == names[1:3]
    assert "burst_hosts" in SCORED_FEATURES and "exclusivity" not in SCORED_FEATURES
    assert SCORED_FEATURES + ("x",) == (*names, "x") and ("x",) + SCORED_FEATURES == ("x", *names)
    assert hash(SCORED_FEATURES) == hash(ColumnNames(names))


def test_scored_features_cannot_be_changed_in_place() -> None:
    with pytest.raises(TypeError):
        SCORED_FEATURES[0] = "other"  # type: ignore[index]
    with pytest.raises(AttributeError):
        SCORED_FEATURES.append("other")  # type: ignore[attr-defined]
