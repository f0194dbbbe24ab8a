"""The entity page's Prevalence says what a detection or a logon adds (task PAGE2).

A file known only from antivirus detections read "fleet hosts 0": the page now says on how many
hosts an antivirus detected it (``prevalence.detected_on``), and a host how many files its
antivirus detected (``detected_files``).  A user's ``hosts`` are the hosts whose own events named
it, not "fleet hosts": the page says so and gives the machines it logged on to or was validated at
(``logon_targets``).  The names beside both counts come with the entity answer (task PAGE3 #1:
the page asked ``/neighbors`` again to name the detecting hosts, and named no machine).  In
Chromium against the real service over a graph in the embedded store.
"""

from __future__ import annotations

import hashlib

import pytest

from graphsiem.model import Entity, Relation
from tests.web.conftest import start_site
from tests.web.corpus_site import pick_from_search

pytestmark = pytest.mark.browser

T0 = 1_763_629_200.0
DETECTED = hashlib.sha256(b"av-only payload").hexdigest()
USER = "corp\\<b>alice</b>"  # attacker text: shown as text, never markup
WIDESPREAD = hashlib.sha256(b"detected on twelve hosts").hexdigest()
WIDESPREAD_PATH = "C:\\Users\\Public\\widespread.exe"
TWELVE = [f"av-{i:02d}" for i in range(12)]


def write_graph(store, data_dir) -> None:
    hosts = [Entity("host", name, name) for name in ("ws-1", "ws-2", "srv-1", *TWELVE)]
    store.upsert_entities([*hosts, Entity("file", DETECTED, DETECTED, {"sha256": DETECTED}),
                           Entity("file", WIDESPREAD, WIDESPREAD_PATH, {"sha256": WIDESPREAD, "path": WIDESPREAD_PATH}),
                           Entity("user", USER, USER)])
    store.upsert_relations([
        Relation(("host", "ws-1"), "DETECTED", ("file", DETECTED), T0, T0, 1, ["av-1"]),
        Relation(("host", "ws-2"), "DETECTED", ("file", DETECTED), T0 + 60, T0 + 60, 1, ["av-2"]),
        Relation(("user", USER), "LOGGED_ON", ("host", "ws-1"), T0, T0, 1, ["lg-1"]),
        Relation(("user", USER), "VALIDATED_AT", ("host", "srv-1"), T0, T0, 1, ["lg-2"]),
        *(Relation(("host", host), "DETECTED", ("file", WIDESPREAD), T0 + i, T0 + i, 1, [f"av-w{i}"])
          for i, host in enumerate(TWELVE)),
    ])
    store.flush()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with start_site(tmp_path_factory.mktemp("prevalence-page2"), write_graph) as running:
        yield running


PREVALENCE_ROWS = "#selection h4:text-is('Prevalence') + dl"


def _prevalence(page) -> dict:
    page.wait_for_selector(PREVALENCE_ROWS)
    terms = page.locator(f"{PREVALENCE_ROWS} > dt").all_text_contents()
    return dict(zip(terms, page.locator(f"{PREVALENCE_ROWS} > dd").all_text_contents(), strict=True))


def test_a_file_known_from_detections_says_on_how_many_hosts_an_antivirus_detected_it(page, site) -> None:
    pick_from_search(page, site, DETECTED, f"button[title='{DETECTED}']")
    rows = _prevalence(page)
    assert rows["fleet hosts"] == "0"
    assert rows["detected by antivirus on"] == "2 hosts: ws-1, ws-2"
    assert rows["first seen"] not in ("", "—")


def test_a_host_says_how_many_files_its_antivirus_detected(page, site) -> None:
    pick_from_search(page, site, "ws-2", "button[title='ws-2']")
    assert _prevalence(page)["antivirus detected"] == "1 file"


def test_a_user_gives_the_hosts_that_logged_it_and_the_machines_it_logged_on_to(page, site) -> None:
    pick_from_search(page, site, "alice", "button")
    rows = _prevalence(page)
    assert "fleet hosts" not in rows
    assert rows["hosts that logged it"] == "0"
    assert rows["logged on to / validated at"] == "2 machines: srv-1, ws-1"
    assert page.locator("#selection b").count() == 0


def test_the_detecting_hosts_are_named_from_the_entity_answer_without_another_request(page, site) -> None:
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    pick_from_search(page, site, "widespread", "button[title$='widespread.exe']")
    rows = _prevalence(page)
    assert rows["detected by antivirus on"] == f"12 hosts: {', '.join(TWELVE[:10])}, …"
    page.wait_for_timeout(300)  # a late second request would land here
    # one /neighbors: the graph's expansion of the picked entity (cluster.js addEntity, the tool's
    # limit, no type); the page no longer asks again for the hosts to name (limit=100&types=host)
    neighbours = [url for url in asked if "/neighbors" in url]
    assert len(neighbours) == 1 and "types=" not in neighbours[0], neighbours
