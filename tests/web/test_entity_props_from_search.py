"""An entity picked from search shows the properties the API holds, its decoded text in full, and one Prevalence (task G2, review T9 F4).

The page built the picked node from the search hit: the Selection panel listed
``seen_on null``, ``seen_hosts null`` and ``first_seen null`` (fields of the
search, not of the entity) and none of the stager's decoded command, image,
hashes or original name.  Selecting a node twice (added, then expanded)
appended a second Prevalence block.

In Chromium against the real service over the real Empire VBS launcher capture
(OTRF, from ``$GRAPHSIEM_SAMPLES``) ingested through the real pipeline into the
embedded store and the journal: the stager that search finds by a word of its
decoded script is ``powershell.exe -noP -sta -w 1 -enc SQBmACgA…``.
"""

from __future__ import annotations

import pytest

from tests.samples import samples_path
from tests.web.conftest import screenshot, start_site
from tests.web.corpus_site import ingesting, pick_from_search

pytestmark = pytest.mark.browser

EMPIRE_VBS = samples_path() / "otrf-security-datasets" / "empire_launcher_vbs_2020-09-04160940.json"
WORD = "DownloadData"  # in the stager's decoded script only, not in its base64 command line
SEARCH_ONLY = {"seen_on", "seen_hosts", "first_seen", "matched", "snippet"}
CY = "window.graphsiem.clusterView.graph.cy"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with start_site(tmp_path_factory.mktemp("empire"), ingesting([EMPIRE_VBS], accepted=2067)) as running:
        hits = running.api("GET", "/v1/entities", params={"q": WORD})["items"]
        stager = next(h for h in hits if h["type"] == "process" and h["matched"] == "decoded_command")
        script = next(h for h in hits if h["type"] == "script")
        running.stager = running.api("GET", f"/v1/entities/process/{stager['key']}")
        running.script = running.api("GET", f"/v1/entities/script/{script['key']}")
        yield running


def _pick(page, site, entity_type: str) -> None:
    pick_from_search(page, site, WORD, f"button:has(.type-{entity_type})")


def _terms(page) -> dict[str, str]:
    return dict(zip(page.eval_on_selector_all("#selection dt", "dts => dts.map(d => d.textContent)"),
                    page.eval_on_selector_all("#selection dd", "dds => dds.map(d => d.textContent)"), strict=True))


def test_a_stager_picked_from_search_shows_its_properties_and_its_decoded_command_in_full(page, site):
    props = site.stager["props"]
    assert len(props["decoded_command"]) > 1800  # the whole script, not a snippet of it
    _pick(page, site, "process")
    block = page.locator("#selection pre.long-text[data-prop=decoded_command]")
    block.wait_for()
    terms = _terms(page)
    assert SEARCH_ONLY.isdisjoint(terms), terms
    for name in ("image", "sha256", "md5", "imphash", "original_file_name"):
        assert terms[name] == props[name]
    assert "decoded_command" not in terms  # under its own heading, not squeezed into a row
    assert "Decoded command" in page.eval_on_selector_all("#selection h4", "hs => hs.map(h => h.textContent)")
    # In full and as text: one text node, the API's string (lines kept), never markup.
    assert block.text_content() == props["decoded_command"]
    assert block.evaluate("b => [...b.childNodes].every(n => n.nodeType === Node.TEXT_NODE)")
    style = block.evaluate("b => { const s = getComputedStyle(b); return [s.whiteSpace, s.overflowY]; }")
    assert style == ["pre-wrap", "auto"]  # wrapped, and scrolls in its own box
    assert block.evaluate("b => b.scrollHeight > b.clientHeight && b.scrollWidth <= b.clientWidth")
    # The node drawn keeps what the API said too: a later selection shows the same.
    page.evaluate(f"() => {{ const n = {CY}.nodes('[type = \"process\"]').filter(n => n.data('key') === '{site.stager['key']}')[0];"
                  f" {CY}.elements().unselect(); n.select(); window.graphsiem.clusterView.select(n); }}")
    block.wait_for()
    assert block.text_content() == props["decoded_command"]
    screenshot(page, "entity-props-from-search")
    assert page.watch.errors == [] and page.watch.csp_violations == []


def test_a_script_picked_from_search_shows_its_whole_text(page, site):
    text = site.script["props"]["text"]
    assert len(text) > len(site.script["value"])  # the value is cut; the text is not
    _pick(page, site, "script")
    block = page.locator("#selection pre.long-text[data-prop=text]")
    block.wait_for()
    assert block.text_content() == text
    assert "Script text" in page.eval_on_selector_all("#selection h4", "hs => hs.map(h => h.textContent)")
    assert SEARCH_ONLY.isdisjoint(_terms(page))


def test_a_selection_shown_twice_lists_its_prevalence_once(page, site):
    _pick(page, site, "process")
    page.wait_for_selector("#selection h4:has-text('Prevalence')")
    # Shown twice in one go, as adding an entity then expanding it does: both
    # answers of the entity read come after the second panel is drawn.  The
    # evaluation returns once both answers are read and handled (the page reads
    # answers with Response.text; what follows it runs before the next task).
    page.evaluate("""async ([cy, key]) => {
        const graph = window.graphsiem.clusterView.graph.cy;
        const node = graph.nodes('[type = "process"]').filter(n => n.data('key') === key)[0];
        const path = `/v1/entities/process/${key}`;
        const text = Response.prototype.text;
        let read = 0;
        Response.prototype.text = function () {
            const answer = text.call(this);
            if (new URL(this.url).pathname === path) answer.then(() => { read += 1; });
            return answer;
        };
        try {
            graph.elements().unselect();
            node.select();
            window.graphsiem.clusterView.select(node);
            window.graphsiem.clusterView.select(node);
            while (read < 2) await new Promise(r => setTimeout(r, 20));
            await new Promise(r => setTimeout(r, 0));
        } finally {
            Response.prototype.text = text;
        }
    }""", [CY, site.stager["key"]])
    page.wait_for_selector("#selection h4:has-text('Prevalence')")
    headings = page.eval_on_selector_all("#selection h4", "hs => hs.map(h => h.textContent)")
    assert headings.count("Prevalence") == 1, headings
    assert _terms(page)["fleet hosts"] == "1"
