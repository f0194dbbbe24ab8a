"""Domain names, registered domains and URLs (:mod:`ingest.normalize_urls`)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from ingest.normalize_urls import normalize_domain, normalize_url, registered_domain


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
