"""Host names (:mod:`ingest.normalize_hosts`); corners from the audit (issue #3): one machine is one host."""

from __future__ import annotations

import pytest

from ingest.normalize_hosts import normalize_host
from ingest.normalize_urls import normalize_domain


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("WORKSTATION5.theshire.local", "workstation5"),
        ("192.168.1.41:8080", "192.168.1.41"),  # the audit's case: was "192"
        ("192.168.1.41", "192.168.1.41"),
        ("WS-0042.corp.example:3389", "ws-0042"),
        ("ws-0042:445", "ws-0042"),
        ("[2001:DB8::1]:443", "2001:db8::1"),
        ("2001:db8::1", "2001:db8::1"),  # a bare IPv6 address loses no group to the port rule
        ("::ffff:10.0.0.1", "10.0.0.1"),
        ("10.0.0.5.", "10.0.0.5"),
        ("192.168.1.999", "192.168.1.999"),  # dotted digits: not a name to cut
        ("CORP\\WS-9$", "ws-9"),
        ("-", None),
        ("\uff37\uff33\uff0d\uff10\uff10\uff14\uff12.corp", "ws-0042"),  # fullwidth: the same host
        ("WS-0042\u3002corp\u3002example", "ws-0042"),  # ideographic full stops
        ("\uff11\uff10.\uff10.\uff10.\uff15", "10.0.0.5"),  # a fullwidth address is the address
    ],
)
def test_normalize_host(text: str, expected: str | None) -> None:
    assert normalize_host(text) == expected


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
