"""A file the graph holds by its digest only says what the graph knows of it, or "name unknown" (task UWEB,
review U1 #11).

A network sensor hashes a download without naming it: the cluster read "3 hosts first got file
513e4f2a…83ed" and the file's panel said nothing more.  Its panel now gives its type, where it came from
(its SERVED_BY URL, domain, address) and the name its URL ends in, or says the name is unknown.  In
Chromium against the real service over a graph written to the embedded store.
"""

from __future__ import annotations

import hashlib

import pytest

from graphsiem.model import Entity, Relation, Sighting
from tests.web.conftest import start_site
from tests.web.corpus_site import pick_from_search

pytestmark = pytest.mark.browser

T0 = 1_763_629_200.0
SERVED = hashlib.sha256(b"served payload").hexdigest()
BARE = hashlib.sha256(b"bare payload").hexdigest()
URL = "http://203.0.113.9/dl/upd%20ate.exe"


def write_graph(store, data_dir) -> None:
    served = Entity("file", SERVED, SERVED, {"sha256": SERVED, "mime_type": "application/x-dosexec"})
    bare = Entity("file", BARE, BARE, {"sha256": BARE})
    url = Entity("url", URL, URL)
    store.upsert_entities([Entity("host", "ws-1", "ws-1"), served, bare, url, Entity("ip", "203.0.113.9", "203.0.113.9")])
    store.upsert_relations([
        Relation(("host", "ws-1"), "DOWNLOADED", served.ref, T0, T0, 1, ["ev-1"]),
        Relation(served.ref, "SERVED_BY", url.ref, T0, T0, 1, ["ev-1"]),
        Relation(served.ref, "SERVED_BY", ("ip", "203.0.113.9"), T0, T0, 1, ["ev-1"]),
        Relation(("host", "ws-1"), "DOWNLOADED", bare.ref, T0, T0, 1, ["ev-2"]),
    ])
    store.upsert_sightings([Sighting("ws-1", served.ref, T0, T0), Sighting("ws-1", bare.ref, T0, T0)])
    store.flush()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with start_site(tmp_path_factory.mktemp("digest-only"), write_graph) as running:
        yield running


def _known(page) -> dict:
    page.wait_for_selector("#selection .digest-only-file")
    return page.eval_on_selector("#selection .digest-only-file dl", """dl => Object.fromEntries(
        [...dl.querySelectorAll('dt')].map(dt => [dt.textContent, dt.nextElementSibling.textContent]))""")


def test_a_served_file_gives_its_type_origin_and_the_name_its_url_ends_in(page, site) -> None:
    pick_from_search(page, site, SERVED, f"button[title='{SERVED}']")
    assert _known(page) == {
        "name": "unknown (its URL ends in upd ate.exe)",
        "type": "application/x-dosexec",
        "came from (url)": URL,
        "came from (ip)": "203.0.113.9",
    }


def test_a_bare_digest_says_its_name_is_unknown(page, site) -> None:
    pick_from_search(page, site, BARE, f"button[title='{BARE}']")
    assert _known(page) == {"name": "unknown: the graph holds this file by its digest only", "type": "unknown"}
