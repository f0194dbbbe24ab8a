"""A management agent's download is read by the server address that served it, not the Host header (task HOSTH).

Review R25: a URL's domain is Zeek's ``http.host``, the ``Host`` header the client wrote.  An
administrator fetching a payload from their own server with ``Host: swdb02.manage.microsoft.com`` (a
domain only the Intune agent looks up) made a URL on the agents' domain, and :class:`AgentFetches`
took it for the agents' download.  Through the real Zeek parser, pipeline, journal and projection into
each store: the genuine fetch (served from the address the domain resolved to) is the agents'; the
forged one (the same Host, another server) is not, nor is its file.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from analytics.agent_caches import AgentFetches
from analytics.entity_stats import Window
from graphsiem.model import Entity, Relation
from ingest.journal import Journal
from ingest.pipeline import ingest_paths

DOMAIN = "swdb02.manage.microsoft.com"
CDN = "13.107.4.50"
ADMIN_SERVER = "10.20.0.66"
T0 = 1_793_000_000.0
GENUINE = f"http://{DOMAIN}/5c0f/7d1c.intunewin.bin"
FORGED = f"http://{DOMAIN}/content/7d1c.intunewin.bin"
GENUINE_SHA, FORGED_SHA = "a1" * 32, "b2" * 32


def _zeek_logs(root: Path) -> list[Path]:
    """dns.log (the agent's lookup answered by the CDN's address), http.log and files.log (both fetches)."""
    dns = {"_path": "dns", "ts": T0, "uid": "CD1", "id.orig_h": "10.0.0.1", "id.orig_p": 53001,
           "id.resp_h": "10.0.0.53", "id.resp_p": 53, "proto": "udp", "query": DOMAIN, "qtype_name": "A",
           "rcode_name": "NOERROR", "answers": [CDN], "TTLs": [300.0]}
    http, files = [], []
    for n, (client, server, url, fuid, sha) in enumerate((
            ("10.0.0.1", CDN, GENUINE, "FG1", GENUINE_SHA),
            # Host names the agents' domain; the request goes to the administrator's own server
            ("10.0.0.2", ADMIN_SERVER, FORGED, "FF1", FORGED_SHA))):
        ts = T0 + 10 + n
        http.append({"_path": "http", "ts": ts, "uid": f"CH{n}", "id.orig_h": client, "id.orig_p": 49200 + n,
                     "id.resp_h": server, "id.resp_p": 80, "method": "GET", "host": DOMAIN,
                     "uri": url.split(DOMAIN, 1)[1], "user_agent": "Microsoft-Delivery-Optimization/10.0",
                     "status_code": 200, "resp_fuids": [fuid]})
        files.append({"_path": "files", "ts": ts + 0.05, "fuid": fuid, "tx_hosts": [server], "rx_hosts": [client],
                      "conn_uids": [f"CH{n}"], "source": "HTTP", "is_orig": False, "mime_type": "application/octet-stream",
                      "filename": "7d1c.intunewin.bin", "total_bytes": 4096, "sha256": sha})
    paths = []
    for name, records in (("dns.log", [dns]), ("http.log", http), ("files.log", files)):
        path = root / name
        path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
        paths.append(path)
    return paths


@pytest.fixture(params=["embedded", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def ingested(request, tmp_path):
    """Each store, after the real ingest of the Zeek logs, with the agent's own lookup of the domain."""
    store = request.getfixturevalue(f"{request.param}_store")
    with Journal(tmp_path / "journal.sqlite") as journal:
        report = ingest_paths(_zeek_logs(tmp_path), store=store, journal=journal, progress=False)
    assert (report.total.accepted, report.total.rejected) == (5, 0)
    # the agent's Sysmon 22 (process RESOLVED domain): the endpoint side, made by hand
    store.upsert_entities([Entity("process", "ime", "ime")])
    store.upsert_relations([Relation(("process", "ime"), "RESOLVED", ("domain", DOMAIN), T0, T0)])
    store.flush()
    return store


def test_the_url_keeps_the_address_that_served_it(ingested):
    served = {(n.entity.ref[1]) for n in ingested.neighbors("url", FORGED, relation_types=["SERVED_FROM"])}
    assert served == {ADMIN_SERVER}


def test_a_host_header_naming_the_agents_domain_sent_elsewhere_is_not_the_agents_download(ingested):
    fetched = AgentFetches(ingested, Window(T0 - 60, T0 + 3600), [("process", "ime")])
    assert fetched(("url", GENUINE)) and fetched(("file", GENUINE_SHA))
    assert not fetched(("url", FORGED)) and not fetched(("file", FORGED_SHA))
