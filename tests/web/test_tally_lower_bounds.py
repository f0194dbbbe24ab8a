"""A tally past the store's 200 labels says "at least" beside its counts, as text (task OLD2 #4).

The store keeps a tally's 200 most counted labels (:func:`graphsiem.model.add_counts`); once a label
comes to a full record, counts are taken off the kept ones, so a kept count may fall short of the
truth.  The page read every count as exact ("· 5 validations").  Now the API marks such an entry
``at_least`` and the Selection panel reads "· at least 5 validations"; a tally that never passed the
capacity (the outcomes here: one label) keeps its plain, exact count.

In Chromium against the real service over a Winlogbeat 4776 spray ingested through the real pipeline.
"""

from __future__ import annotations

import json

import pytest

from graphsiem.model import TALLY_CAPACITY
from tests.ingest.test_credential_validations import winlogbeat
from tests.web.conftest import screenshot, start_site
from tests.web.corpus_site import ingesting, pick_from_search

pytestmark = pytest.mark.browser

ONE_OFFS = TALLY_CAPACITY + 5
"""Distinct names a spray against carol claimed, one each: 5 more than the store keeps."""
HEAVY = ("kali", 6)
"""A name claimed 6 times after them: the most counted, shown first."""


def _record(n: int, workstation: str) -> dict:
    record = winlogbeat(0, "carol", workstation, "0xc000006a")
    record["@timestamp"] = f"2026-03-02T14:{20 + n // 60:02d}:{n % 60:02d}.000Z"
    record["winlog"]["record_id"] = 5000 + n
    return record


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    names = [f"rnd{n:013d}" for n in range(ONE_OFFS)] + [HEAVY[0]] * HEAVY[1]
    records = [_record(n, name) for n, name in enumerate(names)]
    path = tmp_path_factory.mktemp("dc") / "winlogbeat.ndjson"
    path.write_text("".join(json.dumps(record) + "\n" for record in records))
    with start_site(tmp_path_factory.mktemp("lower-bounds"), ingesting([path], accepted=len(records))) as running:
        yield running


def test_counts_past_the_tally_capacity_read_at_least(page, site):
    graph = site.api("GET", "/v1/entities/user/carol/neighbors")["graph"]
    [edge] = [e for e in graph["edges"] if e["type"] == "VALIDATED_AT" and e["target"] == "host:dc01"]
    workstations = edge["tallies"]["workstations"]
    assert all(entry["at_least"] is True for entry in workstations)
    assert edge["tallies"]["outcomes"] == [{"label": "failure 0xc000006a", "count": ONE_OFFS + HEAVY[1],
                                            "meaning": "wrong password"}]
    pick_from_search(page, site, "carol", "button[title='carol']")
    page.click("#selection button.relation:has-text('VALIDATED_AT host dc01')")
    page.wait_for_selector("#selection .validation-tallies")
    counts = page.eval_on_selector("#selection .validation-tallies", """box => Object.fromEntries(
        [...box.querySelectorAll('section.tally')].map(section => [section.dataset.tally,
            [...section.querySelectorAll('.tally-count')].map(span => span.textContent)]))""")
    assert counts["workstations"] == [
        f" · at least {entry['count']} validation" + ("s" if entry["count"] != 1 else "") for entry in workstations]
    assert counts["outcomes"] == [f" · {ONE_OFFS + HEAVY[1]} validations"]  # exact: no "at least"
    screenshot(page, "validation-edge-tallies-lower-bounds")
    assert page.watch.errors == [] and page.watch.csp_violations == []
