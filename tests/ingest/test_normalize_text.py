"""Integers (:mod:`ingest.normalize_text`); corners from the audit (issue #3): a fraction is no id."""

from __future__ import annotations

import pytest

from ingest.normalize_text import parse_int


@pytest.mark.parametrize(("value", "expected"), [
    (4242, 4242), ("4242", 4242), (" 4242 ", 4242), ("0x1092", 4242), ("0X1092", 4242), (4242.0, 4242),
    ("-", None), (None, None), (True, None),
])
def test_parse_int_reads_decimal_and_hex(value: object, expected: int | None) -> None:
    assert parse_int(value) == expected


@pytest.mark.parametrize("value", ["\u0663", "1_000", "0x_10", "12ab", "4242.5", float("nan"), float("inf"), "\uff14"])
def test_parse_int_refuses_what_no_log_writes_as_a_number(value: object) -> None:
    with pytest.raises(ValueError, match="not an integer"):
        parse_int(value)


@pytest.mark.parametrize("value", [12.5, -0.5, 1e-9, 4242.000001])
def test_a_float_with_a_fraction_is_no_integer(value: float) -> None:
    with pytest.raises(ValueError, match="not an integer"):
        parse_int(value)


@pytest.mark.parametrize(("value", "expected"), [(12.0, 12), (-3.0, -3), (4242.0, 4242)])
def test_a_whole_float_is_its_integer(value: float, expected: int) -> None:
    assert parse_int(value) == expected
