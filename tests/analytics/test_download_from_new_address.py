"""A download from a new raw address is a download from a new domain (review T7, finding 4).

A stager fetched from ``http://203.0.113.7/a.png`` names no domain: the cluster's new members
are the address, the URL, the payload and the processes that ran it.  ``download_from_new_domain``
needed a new *domain*, so a campaign that moved to raw addresses lost the behaviour; and
Python's ``is_private`` calls the documentation ranges private, so ``203.0.113.7`` was an
"internal server" and the cluster had no external destination either.  An internal address
(RFC 1918, carrier-grade NAT) serving a download is a deployment server: no behaviour.
Hand-built sightings; the check's words on a hand-built explanation.
"""

from __future__ import annotations

import pytest

from analytics.external_addresses import is_external_ip
from analytics.features import is_private_ip
from graphsiem.model import Entity
from graphsiem.store.base import HostSighting
from tests.analytics.contact_download_fleet import DAY, END, HOSTS, cluster_of, filler, first_step


def _facts(address: str):
    """8 hosts fetch a PNG from ``address`` (no domain) and run a new process, within minutes."""
    url, payload, runner = ("url", f"http://{address}/img/a.png"), ("file", "a" * 64), ("process", "rundll32 a.dll")
    out = filler()
    for i, h in enumerate(HOSTS[:8]):
        t = END - 0.5 * DAY + 60 * i
        out += [HostSighting(h, key, t, t + 5, 1) for key in (("ip", address), url, payload, runner)]
    return cluster_of(out, payload)[2]


@pytest.mark.parametrize("address", ["203.0.113.7", "185.199.110.3", "2001:db8::7"])
def test_a_new_external_address_serving_a_download_that_runs_is_the_behaviour(address):
    facts = _facts(address)
    assert "download_from_new_domain" in facts.behaviours
    assert facts.features["download_from_new_domain"] == 1.0
    assert facts.features["source_kinds"] == 2.0  # activity on the hosts and an external destination
    # the same download from an internal address (RFC 1918, carrier-grade NAT) is a deployment server
    for internal in ("10.20.0.5", "172.16.8.1", "192.168.1.20", "100.64.3.9", "fd00::5"):
        facts = _facts(internal)
        assert "download_from_new_domain" not in facts.behaviours, internal
        assert facts.features["source_kinds"] == 1.0, internal


@pytest.mark.parametrize(("address", "external"), [
    ("203.0.113.7", True), ("198.51.100.1", True), ("8.8.8.8", True), ("::ffff:203.0.113.7", True),
    ("10.1.2.3", False), ("100.64.0.1", False), ("127.0.0.1", False), ("169.254.169.254", False),
    ("fe80::1%eth0", False), ("224.0.0.251", False), ("not an address", False),
])
def test_which_addresses_are_outside_the_fleet(address, external):
    assert is_external_ip(address) is external
    assert is_private_ip(address) is (not external and address != "not an address")


def _check(members: list[Entity]) -> str:
    step = first_step("download_from_new_domain", members)
    return f"{step.check} | {step.benign_if}"


def test_the_check_names_the_address_when_there_is_no_domain():
    text = _check([Entity("file", "a" * 64, "a.png"), Entity("ip", "203.0.113.7", "203.0.113.7"),
                   Entity("url", "http://203.0.113.7/img/a.png", "http://203.0.113.7/img/a.png")])
    assert "Hosts downloaded from new address 203.0.113.7 (no domain name) (http://203.0.113.7/img/a.png)" in text
    assert "who holds the address" in text and "domain's registration" not in text
    assert "203.0.113.7 belongs to an established vendor or CDN" in text
    # with a domain among the new members, the domain is named as before
    text = _check([Entity("domain", "cdn.example", "cdn.example"), Entity("ip", "203.0.113.7", "203.0.113.7")])
    assert "Hosts downloaded from new domain cdn.example" in text and "registration age" in text
