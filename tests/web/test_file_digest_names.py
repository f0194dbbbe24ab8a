"""A file keyed by its digest, named apart from its path, in Chromium against
the real service (task I10; acceptance run R1, item 10).

A file is keyed by its SHA-256 when the sensor hashed it and by its path
otherwise, and its value is the path either way: the driver written to
C:\\Windows\\Temp\\RTCore64.sys (Sysmon 11, no hash) and the same driver loaded
(Sysmon 6, hashed) read alike.  The member list and the graph must tell them
apart, the digest must be there to read and copy, and the queue's text filter
must find a pasted digest.
"""

from __future__ import annotations

import hashlib

import pytest

from graphsiem.model import Entity, Relation, Sighting, stable_hash
from tests.web.conftest import screenshot, start_site
from tests.web.queue_helpers import save_detection, sign_in_to_queue, stored_cluster

pytestmark = pytest.mark.browser

DRIVER_PATH = "C:\\Windows\\Temp\\RTCore64.sys"
DRIVER_SHA256 = "16b7846f" + hashlib.sha256(b"RTCore64.sys test bytes").hexdigest()[:56]
# Attacker-named: markup and a right-to-left override in the path of a hashed file.
HOSTILE_PATH = "C:\\Temp\\\u202egnp.<img src=x onerror=alert(1)>.sys"
HOSTILE_SHA256 = hashlib.sha256(b"hostile").hexdigest()
HOSTS = ["ws-0001", "ws-0002"]
INSTALLER = "sc.exe create rtcore type= kernel binPath= C:\\Windows\\Temp\\RTCore64.sys"
T0 = 1_763_629_200.0

MEMBERS = [
    Entity("process", stable_hash("ps", INSTALLER), INSTALLER),
    Entity("file", DRIVER_PATH.lower(), DRIVER_PATH, {"path": DRIVER_PATH}),
    Entity("file", DRIVER_SHA256, DRIVER_PATH, {"path": DRIVER_PATH, "sha256": DRIVER_SHA256}),
    Entity("file", HOSTILE_SHA256, HOSTILE_PATH, {"path": HOSTILE_PATH, "sha256": HOSTILE_SHA256}),
]


def write_graph(store, data_dir) -> None:
    """Both hosts ran the installer, which wrote the driver (by path) and loaded it (by digest)."""
    process, path_file, hash_file, hostile = MEMBERS
    store.upsert_entities([Entity("host", h, h) for h in HOSTS] + MEMBERS)
    relations = [Relation(("host", h), "RAN", process.ref, T0, T0 + 60, 1, [f"ev-ran-{h}"]) for h in HOSTS]
    relations += [
        Relation(process.ref, "WROTE", path_file.ref, T0, T0 + 60, 2, ["ev-w1", "ev-w2"]),
        Relation(process.ref, "LOADED", hash_file.ref, T0, T0 + 60, 2, ["ev-l1", "ev-l2"]),
        Relation(process.ref, "LOADED", hostile.ref, T0, T0 + 60, 1, ["ev-l3"]),
    ]
    store.upsert_relations(relations)
    store.upsert_sightings([Sighting(h, m.ref, T0, T0 + 60) for h in HOSTS for m in MEMBERS])
    store.flush()


def driver_cluster(pivot: Entity) -> dict:
    """The cluster as a detection stores it (entities, parallel entity_keys, members)."""
    return stored_cluster(
        91.0, "driver", hosts=HOSTS,
        entities=[{"type": m.type, "value": m.value} for m in MEMBERS],
        entity_keys=[{"type": m.type, "key": m.key} for m in MEMBERS],
        members=[{"type": m.type, "key": m.key, "value": m.value} for m in MEMBERS],
        pivot={"type": pivot.type, "key": pivot.key, "value": pivot.value},
        explanation={"summary": "2 hosts installed a vulnerable driver", "features": []},
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with start_site(tmp_path_factory.mktemp("digest"), write_graph) as running:
        save_detection(running.data_dir, "run-1", [
            driver_cluster(MEMBERS[2]), stored_cluster(60.0, "other"), stored_cluster(30.0, "third")])
        yield running


def open_cluster(page, site) -> None:
    sign_in_to_queue(page, site)
    page.click("#queue-body tr[data-cluster-id=c-driver]")
    page.wait_for_selector("body[data-state=cluster-ready]")


def member_item(page, key: str):
    css_key = key.replace("\\", "\\\\")  # a backslash escapes in CSS
    return page.locator(f"#members-list li[data-key='{css_key}']")


def test_the_member_list_shows_a_hashed_file_with_its_digest(page, site):
    open_cluster(page, site)
    assert page.inner_text("#members-title") == f"Members ({len(MEMBERS)})"
    by_path = member_item(page, DRIVER_PATH.lower())
    by_hash = member_item(page, DRIVER_SHA256)
    # Review R1: the two read "file: C:\Windows\Temp\RTCore64.sys" twice.
    assert by_path.locator(".member-value").inner_text() == DRIVER_PATH
    assert by_path.locator(".digest").count() == 0
    assert by_hash.locator(".member-value").inner_text() == DRIVER_PATH
    digest = by_hash.locator(".digest")
    # All of the digest is the text (a selection copies it whole), and the title.
    assert digest.text_content() == DRIVER_SHA256
    assert digest.get_attribute("title") == f"sha256 {DRIVER_SHA256}"
    assert by_hash.locator(".member-digest").inner_text().startswith("sha256 16b7846f")
    # ...but what is drawn is its first characters: far narrower than 64 of them.
    drawn = digest.evaluate("(n) => [n.getBoundingClientRect().width, n.scrollWidth]")
    assert drawn[0] < drawn[1] / 3, drawn
    selected = page.evaluate("""(key) => {
        const node = document.querySelector(`#members-list li[data-key="${key}"] .digest`);
        const range = document.createRange();
        range.selectNodeContents(node);
        const selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
        return selection.toString();
    }""", DRIVER_SHA256)
    assert selected == DRIVER_SHA256

    # "show" selects the member in the graph: the selection panel holds the full key.
    by_hash.locator("button.member-show").click()
    page.wait_for_function(
        "() => [...document.querySelectorAll('#selection dd')].some((d) => d.textContent.length === 64)")
    keys = page.eval_on_selector_all("#selection dt", "ts => ts.map(t => [t.textContent, t.nextElementSibling.textContent])")
    assert ["key", DRIVER_SHA256] in keys
    screenshot(page, "file-digest-members")


def test_graph_labels_tell_the_path_and_the_hash_apart(page, site):
    open_cluster(page, site)
    labels = page.evaluate("""() => Object.fromEntries(window.graphsiem.clusterView.graph.cy
        .nodes('[type = "file"]').map((n) => [n.data('key'), n.data('label')]))""")
    assert labels[DRIVER_PATH.lower()] == DRIVER_PATH
    assert labels[DRIVER_SHA256] == "RTCore64.sys · sha256 16b7846f…"
    assert len(set(labels.values())) == len(labels)
    # The hostile name is a canvas label with its override as visible code.
    assert labels[HOSTILE_SHA256].endswith(f" · sha256 {HOSTILE_SHA256[:8]}…")
    assert "\u202e" not in labels[HOSTILE_SHA256]
    assert labels[HOSTILE_SHA256].startswith("\\u202egnp.<img")


def test_a_hostile_hashed_file_name_is_text(page, site):
    open_cluster(page, site)
    item = member_item(page, HOSTILE_SHA256)
    assert item.locator(".member-value").text_content() == HOSTILE_PATH.replace("\u202e", "\\u202e")
    assert page.locator("#members-list img").count() == 0
    assert page.watch.dialogs == [] and page.watch.errors == [] and page.watch.csp_violations == []


def test_the_queue_text_filter_finds_a_pasted_digest(page, site):
    sign_in_to_queue(page, site)
    page.wait_for_function("() => document.querySelectorAll('#queue-body tr').length === 3")
    page.fill("#filter-text", DRIVER_SHA256.upper())
    page.wait_for_function("() => document.querySelectorAll('#queue-body tr').length === 1")
    assert page.eval_on_selector_all("#queue-body tr", "rs => rs.map(r => r.dataset.clusterId)") == ["c-driver"]
    page.fill("#filter-text", "16b7846f")
    page.wait_for_function("() => document.querySelectorAll('#queue-body tr').length === 1")
    page.fill("#filter-text", "0" * 64)
    page.wait_for_selector("#queue-empty:not([hidden])")
    assert page.inner_text("#queue-empty") == "No cluster matches the text filter."
