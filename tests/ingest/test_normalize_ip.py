"""IP addresses (:mod:`ingest.normalize_ip`)."""

from __future__ import annotations

import pytest

from ingest.normalize_ip import canonical_ip, ip_or_none


@pytest.mark.parametrize(
    "text",
    ["10.0.0.1", " 10.0.0.1 ", "::ffff:10.0.0.1", "[2001:db8::1]", "fe80::1%eth0", "ws-0042",
     "-", "", "999.1.1.1", "WORKSTATION5.theshire.local"],
)
def test_ip_or_none_is_the_lenient_canonical_ip(text):
    assert ip_or_none(text) == canonical_ip(text, strict=False)


def _reference(text: str) -> str | None:
    """canonical_ip(text, strict=False) by ipaddress alone: what every spelling must still give."""
    import ipaddress

    text = text.strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    try:
        address = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return str(address)


@pytest.mark.parametrize(
    "text",
    ["10.0.0.1", "010.0.0.1", "1.2.3", "1.2.3.4.", ".1.2.3.4", "255.255.255.255", "::", "::1", "::ffff:10.0.0.1",
     "::FFFF:A00:1", "2001:DB8::1", "2001:db8::g", "[2001:db8::1]", "fe80::1%eth0", "fe80::1%", "fe80::1%25ä",
     "1.2.3.4%x", "abc", "cafe", "dead:beef", "dead:beef::", "a.b.c.d", "1.2.3.4 5", "1.2.3.4\t", "1,2,3,4",
     "١٢.٠.٠.١", "１.２.３.４", "10.0.0.1x", "x10.0.0.1", "cdn-img.example", "ws-0042", "::1:2:3:4:5:6:7:8",
     "0.0.0.0", "255.255.255.256", "256.1.1.1", "1.2.3.04", "1.2.3.0", "1.2.3.00", "01.2.3.4", "1..3.4", "1.2.3.",
     "1.2.3.4.5", "1234.1.1.1", "1.2.3.+4", "1.2.3.-4", "1.2.3.4 ", "192.168.001.1", "0x7f.0.0.1", "1.2.3.٤"],
)
def test_canonical_ip_agrees_with_ipaddress(text):
    """Every spelling reads as ipaddress reads it, refused ones too (the pre-check refuses no address)."""
    assert canonical_ip(text, strict=False) == _reference(text)
    if _reference(text) is None and text.strip() not in ("", "-"):
        with pytest.raises(ValueError, match="not an IP address"):
            canonical_ip(text)


def test_names_and_plain_ipv4_skip_ipaddress(monkeypatch):
    """A domain name (letters past f, hyphens) never reaches ipaddress, whose refusal raised and formatted
    errors: most of a new domain's cost in normalize_domain; nor does a dotted quad already canonical
    (session 24, callgrind).  Other spellings still do."""
    import ipaddress

    import ingest.normalize_ip as module

    asked: list[str] = []
    real = ipaddress.ip_address

    def spy(text):
        asked.append(text)
        return real(text)

    monkeypatch.setattr(module.ipaddress, "ip_address", spy)
    canonical_ip.cache_clear()
    try:
        assert canonical_ip("cdn-img-delivery.example", strict=False) is None
        assert canonical_ip("WORKSTATION5.theshire.local", strict=False) is None
        assert canonical_ip("10.0.0.7", strict=False) == "10.0.0.7"
        assert canonical_ip("::ffff:10.0.0.8", strict=False) == "10.0.0.8"
    finally:
        canonical_ip.cache_clear()
    assert asked == ["::ffff:10.0.0.8"]
