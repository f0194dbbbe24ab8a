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
