"""The GC threshold is raised inside fewer_collections and restored after, also when nested."""

from __future__ import annotations

import gc

import pytest

from ingest.gc_tuning import YOUNG_THRESHOLD, fewer_collections


def test_threshold_raised_inside_and_restored_after_nesting_and_errors():
    before = gc.get_threshold()
    with pytest.raises(RuntimeError):
        with fewer_collections():
            assert gc.get_threshold()[0] == max(before[0], YOUNG_THRESHOLD)
            with fewer_collections():
                assert gc.get_threshold()[0] == max(before[0], YOUNG_THRESHOLD)
            assert gc.get_threshold()[0] == max(before[0], YOUNG_THRESHOLD)  # inner exit keeps it
            raise RuntimeError("boom")
    assert gc.get_threshold() == before


def test_a_disabled_threshold_is_left_alone():
    before = gc.get_threshold()
    gc.set_threshold(0, *before[1:])
    try:
        with fewer_collections():
            assert gc.get_threshold()[0] == 0
    finally:
        gc.set_threshold(*before)
