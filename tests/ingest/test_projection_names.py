"""Certificates (ingest.projection_names): the Zeek x509/ssl join, either order, damaged chains."""

from __future__ import annotations

import pytest

from ingest.projection import Projector
from tests.ingest.test_projection_network import ZEEK_RECORDS, domain, graph, ip, lease, parsed

X509 = {**ZEEK_RECORDS["x509_cert"], "san.dns": ["Portal.Example.org", "*.example.org"]}
SSL = {**ZEEK_RECORDS["ssl_sni"], "cert_chain_fps": ["ab12", "cd34"]}


@pytest.mark.parametrize("x509_first", [True, False], ids=["x509-first", "ssl-first"])
def test_zeek_certificate_names_reach_the_server_of_the_ssl_record_that_presented_them(x509_first):
    """x509 (no IPs) joins ssl by the first fingerprint of its chain, in either order and batch."""
    x509, ssl = parsed(X509, "x"), parsed(SSL, "s")
    projector = Projector(lease("192.0.2.10", "ws-10"))
    first, second = (x509, ssl) if x509_first else (ssl, x509)
    projections = [projector.project([first]), projector.project([second])]
    relations = {(r.src, r.type, r.dst): r.evidence for p in projections for r in p.relations}
    # the certificate's SAN (not its wildcard), related by the event that completed the join
    assert relations[(domain("portal.example.org"), "RESOLVES_TO", ip("203.0.113.7"))] == [second.id]
    assert not [key for key in relations if "*" in key[0][1]]
    # the client host saw the certificate's names
    sighted = {(s.host, s.entity) for p in projections for s in p.sightings}
    assert ("ws-10", domain("portal.example.org")) in sighted


def test_an_intermediate_certificate_does_not_name_the_server():
    """Only the host certificate (first of the chain) is joined to the server."""
    intermediate = {**X509, "fingerprint": "cd34", "san.dns": ["ca.example.net"]}
    projection = Projector().project([parsed(SSL, "s"), parsed(intermediate, "x")])
    assert domain("ca.example.net") not in graph(projection)[0]


def test_old_zeek_x509_joins_ssl_by_file_id():
    """Zeek < 4.2: x509 ``id`` is the certificate's file id, listed in ssl ``cert_chain_fuids``."""
    x509 = {key: value for key, value in X509.items() if key != "fingerprint"} | {"id": "FX1"}
    ssl = {**ZEEK_RECORDS["ssl_sni"], "cert_chain_fuids": ["FX1"]}
    relations = graph(Projector().project([parsed(ssl, "s"), parsed(x509, "x")]))[1]
    assert (domain("portal.example.org"), "RESOLVES_TO", ip("203.0.113.7")) in relations


@pytest.mark.parametrize("chain", [5, True, 1.5, [], ""])
def test_a_damaged_certificate_chain_joins_nothing_and_fails_nothing(chain):
    """A scalar or empty ``cert_chain_fps`` names no certificate: the event still projects."""
    projector = Projector()
    projection = projector.project([parsed({**ZEEK_RECORDS["ssl_sni"], "cert_chain_fps": chain}, "s")])
    assert projector.errors == 0 and projector.failed == []
    assert projection.relations  # the connection and the SNI are still there
