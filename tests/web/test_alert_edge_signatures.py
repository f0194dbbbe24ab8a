"""An IDS alert edge shows which rules fired, as text (task G6, review T9 F3, page part).

Since the store keeps an ``ALERTED`` edge's signatures, the API's edges carry
``signatures`` ([{signature, alerts}], the 20 most alerted, most alerts first) and
``signatures_dropped``; the page showed only "ALERTED ×N".  Clicking such an
edge now lists its signatures in the Selection panel with their alert counts,
then "and N more alerts not counted under a signature above" (task S3: the
store keeps 200, the API shows 20).  Rule names are the
sensor's (and anyone who writes a rule, or a CEF header): text, never markup.

In Chromium against the real service over Suricata's WRCCDC 2018 alerts from
``$GRAPHSIEM_SAMPLES`` and a few crafted EVE alerts (one pair firing 22
signatures, one of them markup), all ingested through the real pipeline.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.samples import samples_path
from tests.web.conftest import screenshot, start_site
from tests.web.corpus_site import ingesting, pick_from_search

pytestmark = pytest.mark.browser

WRCCDC_ALERTS = samples_path() / "suricata-sample-data" / "wrccdc-2018" / "alerts-only.json"
SCANNER, SMB_TARGET = "10.128.0.210", "10.47.3.218"
ATTACKER, VICTIM = "198.51.100.7", "10.47.8.150"
HOSTILE = '<img src=x onerror="document.body.dataset.pwned=1"><b>ET EXPLOIT</b> &amp; "x" \u202egnp.exe'
FILLERS = [f"ET SCAN filler rule {n:02d}" for n in range(19)]
LATE = ["ET POLICY late rule A", "ET POLICY late rule B"]
"""Fired after 20 other signatures: all 22 are kept with exact counts (the store keeps 200), the API
shows the 20 most alerted (ties by text), so the last two fillers' alerts are counted, not listed."""


def _alert(second: int, signature: str, sid: int) -> dict:
    return {"timestamp": f"2018-03-24T14:40:{second:02d}.000000-0600", "flow_id": 5000 + second,
            "event_type": "alert", "src_ip": ATTACKER, "src_port": 40000 + second, "dest_ip": VICTIM,
            "dest_port": 80, "proto": "TCP",
            "alert": {"action": "allowed", "gid": 1, "signature_id": sid, "rev": 1, "signature": signature,
                      "category": "Attempted User Privilege Gain", "severity": 1}}


def _crafted_alerts(path: Path) -> Path:
    """EVE NDJSON: the hostile rule 3 times, 19 others once, then 2 late ones (1 and 2 alerts)."""
    fired = [HOSTILE] * 3 + FILLERS + [LATE[0], LATE[1], LATE[1]]
    sids = {name: 9_000_000 + n for n, name in enumerate(dict.fromkeys(fired))}  # one rule, one sid
    path.write_text("".join(json.dumps(_alert(i, name, sids[name])) + "\n" for i, name in enumerate(fired)))
    return path


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    crafted = _crafted_alerts(tmp_path_factory.mktemp("eve") / "eve.json")
    with start_site(tmp_path_factory.mktemp("signatures"), ingesting([WRCCDC_ALERTS, crafted], accepted=207 + 25)) as running:
        yield running


def _open_edge(page, site, entity: str, relation: str) -> None:
    pick_from_search(page, site, entity, f"button[title='{entity}']")
    page.click(f"#selection button.relation:has-text('{relation}')")
    page.wait_for_selector("#selection .alert-signatures")


def _shown(page) -> dict:
    return page.eval_on_selector("#selection .alert-signatures", """box => ({
        heading: box.querySelector('h4').textContent,
        rows: [...box.querySelectorAll('li')].map(li => [li.querySelector('.signature').textContent,
                                                         li.querySelector('.signature-alerts').textContent]),
        more: box.querySelector('.signatures-dropped')?.textContent ?? null,
        elements: [...box.querySelectorAll('*')].map(n => n.tagName.toLowerCase()),
    })""")


def _api_edge(site, entity: str, other: str) -> dict:
    graph = site.api("GET", f"/v1/entities/ip/{entity}/neighbors")["graph"]
    [edge] = [e for e in graph["edges"] if e["type"] == "ALERTED" and e["target"] == f"ip:{other}"]
    return edge


def test_a_scanners_alert_edge_lists_the_signatures_the_api_holds(page, site):
    _open_edge(page, site, SCANNER, f"ALERTED ip {SMB_TARGET}")
    shown = _shown(page)
    edge = _api_edge(site, SCANNER, SMB_TARGET)
    assert edge["signatures"] and edge["signatures_dropped"] == 0
    assert shown["rows"] == [[s["signature"], f" · {s['alerts']} alert" + ("s" if s["alerts"] != 1 else "")]
                             for s in edge["signatures"]]
    assert ("ET SCAN Behavioral Unusual Port 445 traffic Potential Scan or Infection (sid 2001569, severity 3)"
            in [row[0] for row in shown["rows"]])
    assert shown["heading"] == f"Signatures ({len(edge['signatures'])})" and shown["more"] is None
    # A node's panel lists no signatures: they are the edge's.
    page.click("#selection button.back-to-node")
    page.wait_for_selector("#selection .alert-signatures", state="detached")
    screenshot(page, "alert-edge-signatures")
    assert page.watch.errors == [] and page.watch.csp_violations == []


def test_markup_in_a_rule_name_is_text_and_alerts_past_the_cap_are_counted(page, site):
    _open_edge(page, site, ATTACKER, f"ALERTED ip {VICTIM}")
    shown = _shown(page)
    # Most alerts first, exact (22 signatures, under the store's 200); its override is shown as its code.
    shown_hostile = HOSTILE.replace("\u202e", "\\u202e")
    assert shown["rows"][:3] == [[f"{shown_hostile} (sid 9000000, severity 1)", " · 3 alerts"],
                                 [f"{LATE[1]} (sid 9000021, severity 1)", " · 2 alerts"],
                                 [f"{LATE[0]} (sid 9000020, severity 1)", " · 1 alert"]]
    assert shown["rows"][3:] == [[f"{name} (sid {9_000_001 + i}, severity 1)", " · 1 alert"]
                                 for i, name in enumerate(FILLERS[:17])]
    assert shown["heading"] == "Signatures (20)"
    assert shown["more"] == "and 2 more alerts not counted under a signature above"
    # The markup stayed text: no element but the list's own, nothing ran.
    assert set(shown["elements"]) == {"h4", "ul", "li", "span", "p"}
    assert page.eval_on_selector_all("#selection img, #selection b", "nodes => nodes.length") == 0
    assert page.evaluate("document.body.dataset.pwned") is None
    assert _api_edge(site, ATTACKER, VICTIM)["signatures_dropped"] == 2  # fillers 17 and 18, once each
    screenshot(page, "alert-edge-signatures-hostile")
    assert page.watch.errors == [] and page.watch.csp_violations == []
