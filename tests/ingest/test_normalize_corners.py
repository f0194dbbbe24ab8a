"""Corners of host and integer normalisation (audit, issue #3): one machine is one host, a fraction no id."""

from __future__ import annotations

import pytest

from ingest.normalize import normalize_domain, normalize_host, parse_int


@pytest.mark.parametrize(
    ("spellings", "host"),
    [
        (["BÜCHER.corp.local", "bücher", "xn--bcher-kva.corp.local", "XN--BCHER-KVA", "ＢÜＣＨＥＲ.corp"], "bücher"),
        (["MÜNCHEN-01.corp", "xn--mnchen-01-q9a.corp"], "münchen-01"),
        (["ws-0042", "WS-0042\x00", "\x00ws-0042", "ws-0042\u200b.corp", "ws\u00ad-0042", "WS-0042\r\n"], "ws-0042"),
    ],
)
def test_one_machine_is_one_host_however_its_name_is_written(spellings: list[str], host: str) -> None:
    assert {normalize_host(text) for text in spellings} == {host}


def test_a_host_and_its_dns_name_are_the_same_label() -> None:
    # the host key is the Unicode label; the domain entity keeps punycode (URLs, DNS)
    assert normalize_domain("BÜCHER.corp.local") == "xn--bcher-kva.corp.local"
    assert normalize_host(normalize_domain("BÜCHER.corp.local")) == normalize_host("BÜCHER.corp.local")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10.0.0.5:abc", None),  # was "10"
        ("ws-1.corp:abc", None),
        ("10.0.0.5:70000", None),  # no port
        ("ws-1:", None),
        ("[2001:db8::1]:http", None),
        ("10.0.0.5:8080", "10.0.0.5"),
        ("[2001:db8::1]:443", "2001:db8::1"),
        ("ws-0042.corp:3389", "ws-0042"),
        ("010.000.000.005", "10.0.0.5"),  # zero-padded for width: decimal, the address
        ("192.168.001.041:8080", "192.168.1.41"),
        ("192.168.1.999", "192.168.1.999"),  # dotted digits that are no address: kept as written
        ("1.2.3", "1.2.3"),
        ("\x00", None),
        ("xn--zz", "xn--zz"),  # not punycode: kept
    ],
)
def test_addresses_ports_and_odd_text(text: str, expected: str | None) -> None:
    assert normalize_host(text) == expected


@pytest.mark.parametrize("value", [12.5, -0.5, 1e-9, 4242.000001])
def test_a_float_with_a_fraction_is_no_integer(value: float) -> None:
    with pytest.raises(ValueError, match="not an integer"):
        parse_int(value)


@pytest.mark.parametrize(("value", "expected"), [(12.0, 12), (-3.0, -3), (4242.0, 4242)])
def test_a_whole_float_is_its_integer(value: float, expected: int) -> None:
    assert parse_int(value) == expected
