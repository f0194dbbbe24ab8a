"""pandas and matplotlib are an optional extra: a missing one is named with the fix."""

from __future__ import annotations

import sys

import pytest

from graphsiem.lab import optional


@pytest.mark.parametrize(("module", "loader"), [("pandas", optional.pandas), ("matplotlib.pyplot", optional.pyplot)])
def test_a_missing_extra_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch, module: str, loader) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # what an uninstalled package looks like to import
    with pytest.raises(ImportError, match=r"pip install 'graphsiem\[notebooks\]'"):
        loader()


def test_timestamps_are_utc_whole_milliseconds() -> None:
    stamps = optional.timestamps([0.0, 1793614378.9710002])
    assert [s.isoformat() for s in stamps] == ["1970-01-01T00:00:00+00:00", "2026-11-02T10:12:58.971000+00:00"]
