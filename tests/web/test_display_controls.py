"""Characters that steer the display (BiDi overrides and isolates, C0/C1
controls, line separators) are shown as their ``\\uXXXX`` code, never obeyed:
a right-to-left override in a command line must not make the analyst read
``gpj.exe`` as ``exe.jpg``.  Events go in through ``POST /v1/events`` as NDJSON
written with the characters raw (not JSON-escaped), are opened in headless
Chromium, and copied as Python and Cypher."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.web.conftest import screenshot, start_site
from tests.web.support import process_creation
from tests.web.test_hostile_strings import assert_nothing_ran, search, sign_in

pytestmark = pytest.mark.browser

RLO = "\u202e"
# What an analyst reading with the override obeyed sees: "... invoice_exe.pdf" (no: it runs).
COMMAND = f"cmd.exe /c start invoice_{RLO}fdp.exe \u2066x\u2069 c1\x85end"
SHOWN = "cmd.exe /c start invoice_\\u202efdp.exe \\u2066x\\u2069 c1\\u0085end"
URI = f"/invoice_{RLO}fdp.exe"
HIDDEN = ["\u202e", "\u2066", "\u2069", "\x85"]
HOSTS = [f"rlo-{i:02d}" for i in range(6)]
QUIET_HOSTS = [f"ws-{i:02d}" for i in range(14)]


def events() -> list[dict]:
    quiet = [process_creation(host, 100 + i, f"2026-11-20T08:{i:02d}:00.000Z", "notepad.exe report.txt")
             for i, host in enumerate(QUIET_HOSTS + HOSTS)]
    hostile = []
    for i, host in enumerate(HOSTS):
        hostile.append(process_creation(host, i, f"2026-11-20T09:00:{10 + i:02d}.000Z", COMMAND))
        # A download of the same name: its URL is an entity key, so it reaches the copied code.
        hostile.append({
            "_path": "http", "ts": f"2026-11-20T09:01:{10 + i:02d}.000000Z", "uid": f"CRlo{i}",
            "id.orig_h": f"10.1.0.{10 + i}", "id.orig_p": 50000 + i, "id.resp_h": "203.0.113.66",
            "id.resp_p": 80, "method": "GET", "host": "rlo-payload.example", "uri": URI,
            "status_code": 200, "trans_depth": 1,
        })
    return quiet + hostile


@pytest.fixture(scope="module")
def rlo_site(tmp_path_factory):
    with start_site(tmp_path_factory.mktemp("rlo")) as site:
        # ensure_ascii=False: the journal's raw lines hold the characters themselves.
        body = "\n".join(json.dumps(e, ensure_ascii=False) for e in events()).encode()
        response = httpx.post(site.url + "/v1/events", content=body, timeout=60, headers={
            "Authorization": f"Bearer {site.keys['ingest']}", "Content-Type": "application/x-ndjson"})
        response.raise_for_status()
        report = response.json()
        assert report["accepted"] == len(events()), report
        site.detect()
        yield site


def shown_nowhere_raw(page) -> None:
    """No steering character in the page's text, its titles or the graph's canvas labels."""
    texts = page.evaluate("""() => [document.body.innerText,
        ...[...document.querySelectorAll('[title]')].map(n => n.title),
        ...[...document.querySelectorAll('textarea')].map(n => n.value),
        ...(window.graphsiem.clusterView.graph?.cy?.elements().map(e => e.data('label') || '') ?? [])]""")
    for text in texts:
        assert not any(c in text for c in HIDDEN), ascii(text[:300])


def test_visible_text_escapes_exactly_the_steering_characters(page, rlo_site):
    sign_in(page, rlo_site)
    answer = page.evaluate("""async () => {
        const { visibleText, madeText } = await import('/static/js/dom.js');
        const steering = [];
        for (let c = 0; c <= 0x10ffff; c += 1) {
          if (c >= 0xd800 && c <= 0xdfff) continue;
          const ch = String.fromCodePoint(c);
          if (visibleText(ch) !== ch) steering.push(c);
        }
        return { steering, rlo: visibleText('a\\u202eb'), lines: visibleText('a\\tb\\nc\\rd', { keepLines: true }),
                 marked: visibleText('a\\tb\\nc\\r\\nd\\re \\u23ce'),
                 made: madeText('x\\u23ce y \\\\u23ce\\u202e\\nz'),
                 plain: visibleText('ÿ ع 👩\\u200d💻 \\u200c'), none: visibleText(null),
                 zwsp: visibleText('pay\\u200bpal\\u00ad\\ufeff'),
                 tags: visibleText('ok\\u{e0001}\\u{e0068}\\u{e0069}\\u{e007f}!') };
    }""")
    expected = ([*range(0x00, 0x20), *range(0x7F, 0xA0), 0x00AD, 0x034F, 0x061C, 0x180E, 0x200B,
                 0x200E, 0x200F, 0x2028, 0x2029, *range(0x202A, 0x202F), *range(0x2060, 0x2065),
                 *range(0x2066, 0x2070),
                 0x23CE,  # the line-break mark (⏎): written as its code, the page draws its own (U5B #3)
                 0xFEFF, 0xE0001, *range(0xE0020, 0xE0080)])
    assert answer["steering"] == expected
    assert answer["rlo"] == "a\\u202eb"
    assert answer["lines"] == "a\tb\nc\\u000dd"
    assert answer["marked"] == "a\\u0009b⏎ c⏎ d⏎ e \\u23ce"  # one line, each break marked (U5B #3)
    # text the server made: its ⏎ are its marks (a ⏎ of the data came as the text \u23ce), the rest as above
    assert answer["made"] == "x⏎ y \\u23ce\\u202e⏎ z"
    # ZWJ and ZWNJ stay raw: emoji sequences and scripts need them
    assert answer["plain"] == "ÿ ع 👩\u200d💻 \u200c" and answer["none"] == ""
    # invisible format characters are shown as codes; a tag character is one code, not two halves
    assert answer["zwsp"] == "pay\\u200bpal\\u00ad\\ufeff"
    assert answer["tags"] == "ok\\U000e0001\\U000e0068\\U000e0069\\U000e007f!"


def test_search_selection_graph_and_evidence_show_the_codes(page, rlo_site):
    sign_in(page, rlo_site)
    search(page, "invoice_")
    assert SHOWN in page.inner_text("#search-results")
    assert page.get_attribute("#search-results button", "title") == SHOWN
    shown_nowhere_raw(page)
    page.click("#search-results button:has-text('cmd.exe')")
    page.wait_for_selector("body[data-state=explore-ready]")
    page.wait_for_function("() => window.graphsiem.clusterView.graph.cy.nodes('[type = \"host\"]').length > 0")
    assert SHOWN in page.inner_text("#selection")
    labels = page.evaluate("() => window.graphsiem.clusterView.graph.cy.nodes().map(n => n.data('label'))")
    assert any(label.startswith("cmd.exe /c start invoice_\\u202efdp") for label in labels), labels
    # The data itself is untouched: only what is displayed changes.
    values = page.evaluate("() => window.graphsiem.clusterView.graph.cy.nodes().map(n => n.data('value'))")
    assert COMMAND in values

    page.evaluate("() => { const cy = window.graphsiem.clusterView.graph.cy; "
                  "cy.nodes('[type = \"process\"]')[0].emit('tap'); }")
    page.wait_for_selector("body[data-evidence=ready]")
    row = page.locator("#evidence-table tbody tr:not(.missing)").first
    assert f"process.command_line: {SHOWN}" in row.inner_text()
    raw = row.locator("pre.raw").text_content()
    assert "invoice_\\u202efdp.exe" in raw  # the raw line held the character itself
    screenshot(page, "rlo-evidence")
    shown_nowhere_raw(page)
    assert_nothing_ran(page)


def test_queue_and_cluster_show_the_codes(page, rlo_site):
    sign_in(page, rlo_site)
    clusters = rlo_site.api("GET", "/v1/clusters", params={"limit": 500})["items"]
    hostile = next(c for c in clusters if any(RLO in e["value"] for e in c["entities"]))
    page.wait_for_selector(f"#queue-body tr[data-cluster-id='{hostile['id']}']")
    shown_nowhere_raw(page)
    page.click(f"#queue-body tr[data-cluster-id='{hostile['id']}']")
    page.wait_for_selector("body[data-state=cluster-ready]")
    page.evaluate("""() => { const cy = window.graphsiem.clusterView.graph.cy;
                     cy.nodes().filter(n => (n.data('value') || '').includes('invoice_'))[0].emit('tap'); }""")
    page.wait_for_selector("body[data-evidence=ready]")
    assert SHOWN in page.inner_text("#selection")
    screenshot(page, "rlo-cluster")
    shown_nowhere_raw(page)
    assert_nothing_ran(page)


def copied(page, site, button: str) -> str:
    """Explore from the URL, copy the view with ``button``; the copied text shows the escape only."""
    sign_in(page, site)
    search(page, "rlo-payload")
    page.click("#search-results button:has-text('http://')")
    page.wait_for_selector("body[data-state=explore-ready]")
    page.wait_for_function("() => window.graphsiem.clusterView.graph.cy.nodes('[type = \"url\"]').length > 0")
    page.click(button)
    page.wait_for_function("() => document.getElementById('copy-output').value.length > 0")
    text = page.input_value("#copy-output")
    assert "invoice_\\u202efdp.exe" in text
    assert not any(c in text for c in HIDDEN), ascii(text)
    return text


def test_copied_python_shows_the_escape_and_still_finds_the_entity(page, rlo_site):
    code = copied(page, rlo_site, "#copy-python")
    namespace = {"open_store": lambda spec, **_: rlo_site.store}
    exec(code.replace("from graphsiem.store import open_store\n", ""), namespace)  # noqa: S102
    view = namespace["view"]
    # The escape read back by Python is the character: the code finds the URL as stored.
    assert any(URI in str(data.get("value", "")) for _, data in view.nodes(data=True)), list(view.nodes)


def test_copied_cypher_shows_the_escape_and_its_parameters_are_the_values(page, rlo_site):
    text = copied(page, rlo_site, "#copy-cypher")
    params_line = next(line for line in text.splitlines() if line.startswith("// params: "))
    params = json.loads(params_line.removeprefix("// params: "))
    assert any(URI in uid for uid in params["uids"]), params
    param_line = next(line for line in text.splitlines() if line.startswith(":param "))
    assert "invoice_\\u202efdp.exe" in param_line


@pytest.mark.neo4j
def test_the_escaped_param_line_is_cypher_that_neo4j_reads_as_the_values(page, rlo_site, neo4j_server):
    text = copied(page, rlo_site, "#copy-cypher")
    param_line = next(line for line in text.splitlines() if line.startswith(":param "))
    literal = param_line.removeprefix(":param ").rstrip(";")
    from neo4j import GraphDatabase

    with GraphDatabase.driver(neo4j_server.uri, auth=(neo4j_server.user, neo4j_server.password)) as driver:
        records, _, _ = driver.execute_query(f"RETURN {literal} AS p", database_=neo4j_server.database)
    # Neo4j reads \u202e back as the character: the :param values are the view's keys.
    assert any(URI in uid for uid in records[0]["p"]["uids"])


def test_copy_literals_escape_the_invisible_characters_and_read_back_as_the_value(page, rlo_site):
    import ast

    sign_in(page, rlo_site)
    value = "pay\u200bpal\u00ad\ufeff ok\U000e0001\U000e0068\U000e007f \u200d"
    python, cypher = page.evaluate("""async (value) => {
        const { literal } = await import('/static/js/copy.js');
        return [literal(value, { python: true }), literal(value)];
    }""", value)
    assert python == '"pay\\u200bpal\\u00ad\\ufeff ok\\U000e0001\\U000e0068\\U000e007f \u200d"'
    assert ast.literal_eval(python) == value  # one character per escape, as Python reads it
    # Cypher and JSON (the params comment line) read a surrogate pair as one character
    assert cypher == '"pay\\u200bpal\\u00ad\\ufeff ok\\udb40\\udc01\\udb40\\udc68\\udb40\\udc7f \u200d"'
    assert json.loads(cypher) == value
