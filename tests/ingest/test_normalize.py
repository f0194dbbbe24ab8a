"""Normalisation helpers of the hot paths."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest

from ingest.normalize import (
    canonical_ip,
    ip_or_none,
    normalize_domain,
    normalize_host,
    normalize_url,
    parse_int,
    parse_timestamp,
    registered_domain,
)


@pytest.mark.parametrize(
    "text",
    ["10.0.0.1", " 10.0.0.1 ", "::ffff:10.0.0.1", "[2001:db8::1]", "fe80::1%eth0", "ws-0042",
     "-", "", "999.1.1.1", "WORKSTATION5.theshire.local"],
)
def test_ip_or_none_is_the_lenient_canonical_ip(text):
    assert ip_or_none(text) == canonical_ip(text, strict=False)


# -- hosts, epoch times, URLs ------------------------------------------------------


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


MOMENT = 1772359200.123456  # 2026-03-01T10:00:00.123456Z


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1772359200, 1772359200.0),  # seconds
        (1772359200.5, 1772359200.5),
        ("1772359200", 1772359200.0),
        (1772359200123, 1772359200.123),  # milliseconds
        ("1772359200123", 1772359200.123),
        (1772359200123456, MOMENT),  # microseconds (failed with "year out of range")
        ("1772359200123456", MOMENT),
        (1772359200123456789, 1772359200.1234567),  # nanoseconds
        ("1772359200123456789", 1772359200.1234567),
        (1.772359200123456e18, MOMENT),
        (99_999_999_999, 99_999_999_999.0),  # the last second count: year 5138
        (100_000_000_000, 100_000_000.0),  # the first millisecond count: 1973-03-03
        (0, 0.0),
        ("-86400", -86400.0),
    ],
)
def test_epoch_times_by_magnitude(value: object, expected: float) -> None:
    ts = parse_timestamp(value)
    assert ts == pytest.approx(expected, abs=1e-6)
    datetime.fromtimestamp(ts, UTC)  # a real moment, not "year out of range"


@pytest.mark.parametrize("value", [float("nan"), float("inf"), "inf", "nan"])
def test_epoch_times_that_are_not_finite_are_refused(value: object) -> None:
    with pytest.raises(ValueError):
        parse_timestamp(value)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://bücher.example/", "http://xn--bcher-kva.example/"),  # IDNA, as normalize_domain
        ("HTTP://Bücher.Example./Pfad?q=Ä", "http://xn--bcher-kva.example/Pfad?q=Ä"),  # path and query as written
        ("https://WWW.Example.COM.:443/a", "https://www.example.com/a"),  # no trailing dot, default port dropped
        ("http://www.example.com:8080", "http://www.example.com:8080/"),
        ("http://[2001:DB8::1]:8443/x", "http://[2001:db8::1]:8443/x"),
        ("http://[::ffff:10.0.0.1]/x", "http://10.0.0.1/x"),
        ("ftp://Files.Example:21/a", "ftp://files.example/a"),
    ],
)
def test_url_hosts_are_normalised_as_domains_are(url: str, expected: str) -> None:
    assert normalize_url(url) == expected
    host = urlsplit(expected).hostname
    assert normalize_domain(host) in (host, None)  # the URL's host is the domain entity's key (None: an IP)


@pytest.mark.parametrize(
    "url",
    [
        "http://example.org:99999/",  # port out of range: refused, not silently dropped
        "http://example.org:http/",
        "http://example.org:-1/",
        "http:///path",  # no host
        "http://exa mple.org/",  # not a domain name
        "/relative/without/host",
    ],
)
def test_malformed_urls_are_refused_with_a_reason(url: str) -> None:
    with pytest.raises(ValueError, match=r"URL|domain"):
        normalize_url(url)


def test_relative_urls_take_the_host_and_its_port() -> None:
    assert normalize_url("index.php", host="Bücher.Example:8080") == "http://xn--bcher-kva.example:8080/index.php"
    with pytest.raises(ValueError, match="port"):
        normalize_url("/x", host="example.org:0x50")


@pytest.mark.parametrize("host", ["-", "(empty)"])
def test_an_unset_marker_is_no_url_host(host: str) -> None:
    # 'http:///x' would merge every such request, to any server, into one URL entity
    with pytest.raises(ValueError, match="URL without a host"):
        normalize_url("/x", host=host)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        # a backslash before the query is a slash (WHATWG, special schemes): the request goes to evil.com
        ("http://evil.com\\@google.com/", "http://evil.com/@google.com/"),
        ("https://evil.com\\\\google.com\\@x/", "https://evil.com//google.com/@x/"),
        ("HTTP:\\\\Evil.com\\x", "http://evil.com/x"),
        ("http://example.org/a\\b?q=\\x#\\y", "http://example.org/a/b?q=\\x"),  # the query keeps its own
        ("http://evil.com?@google.com/", "http://evil.com/?@google.com/"),
        ("http://user:pw@Example.org/", "http://example.org/"),  # a real userinfo still goes
        # a host whose last label is a number is an IPv4 address, in every spelling browsers accept
        ("http://2130706433/", "http://127.0.0.1/"),
        ("http://0x7f.0.0.1/", "http://127.0.0.1/"),
        ("http://0x7F.0X00.0.01/", "http://127.0.0.1/"),
        ("http://127.1/", "http://127.0.0.1/"),
        ("http://0177.0.0.1/", "http://127.0.0.1/"),
        ("http://127.0.0.1./", "http://127.0.0.1/"),
        ("http://0xffffffff:8080/x", "http://255.255.255.255:8080/x"),
        ("http://1.16777215/", "http://1.255.255.255/"),
        ("ftp://0x7f.1/", "ftp://127.0.0.1/"),
        ("http://1.2.3.0x/", "http://1.2.3.0/"),  # "0x" alone is 0
        # not numbers: names
        ("http://a.b.c.1x/", "http://a.b.c.1x/"),
        ("http://0x1g/", "http://0x1g/"),
        ("http://1.2.3.8e/", "http://1.2.3.8e/"),
    ],
)
def test_urls_name_the_host_a_browser_would_request(url: str, expected: str) -> None:
    # expected values checked against Node's WHATWG URL (new URL(url)) on 2026-11-29
    assert normalize_url(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "http://256.0.0.1/",  # a part over 255
        "http://1.2.3.4.5/",  # five parts
        "http://4294967296/",  # past 255.255.255.255
        "http://0x100000000/",
        "http://1.16777216/",  # the last part overflows what the first leaves
        "http://09.0.0.1/",  # 0-led is octal: no 9
        "http://1.2.3.08/",
        "http://foo.09/",  # ends in a number, but "foo" is none
        "http://example.0x/",
        "http://1..2/",
        "http://a.b.0/",
    ],
)
def test_numeric_hosts_that_are_no_ipv4_address_are_refused(url: str) -> None:
    with pytest.raises(ValueError, match="no IPv4 address"):
        normalize_url(url)


def test_numeric_spellings_key_the_same_ip_as_the_dotted_quad() -> None:
    spellings = ["http://2130706433/a", "http://0x7f.0.0.1/a", "http://127.1/a", "http://0177.0.0.1/a"]
    assert {normalize_url(url) for url in spellings} == {normalize_url("http://127.0.0.1/a")}
    assert normalize_url("/a", host="2130706433:8080") == "http://127.0.0.1:8080/a"  # a Host header too


@pytest.mark.parametrize("host", ["evil.com@google.com", "evil.com\\@google.com", "evil.com/x", "a?b", "a#b"])
def test_a_host_with_url_delimiters_is_no_host(host: str) -> None:
    # a Host header evil.com@google.com would otherwise make the URL google.com's
    with pytest.raises(ValueError, match="not a URL host"):
        normalize_url("/x", host=host)


@pytest.mark.parametrize(("domain", "registered"), [
    ("www.example.co.uk", "example.co.uk"),
    ("login.microsoftonline.com", "microsoftonline.com"),
    ("x.duckdns.org", "x.duckdns.org"),  # dynamic DNS: each name has its own owner
    ("a.b.github.io", "b.github.io"),
    ("co.uk", "co.uk"),  # a public suffix itself
    ("ws-0042", "ws-0042"),  # one label
    ("cdn-img-delivery.example", "cdn-img-delivery.example"),  # not delegated: its last label is the suffix
    ("xn--bcher-kva.example", "xn--bcher-kva.example"),
])
def test_registered_domain_follows_the_public_suffix_list(domain: str, registered: str) -> None:
    assert registered_domain(domain) == registered


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
