"""Browser benchmark: opening a 1,000-host, 5,000-edge cluster in the analysts' page.

Run: ``.venv/bin/python benchmarks/bench_web.py [--hosts 1000] [--repeat 5]``

A fan-out cluster is synthesised straight into an embedded store and the state
database (``tests/web/support.py``: every host resolves the domain, downloads
the file, runs the process, connects to the IP and requests the URL, so 1,000
hosts give 5,000 host edges), served by the real ``create_app`` on loopback
with uvicorn, and opened in headless Debian Chromium.  Printed, median and
worst over ``--repeat`` opens:

* **first render**: from the click on the queue row to the first frame with
  the graph (Cytoscape's first ``render`` event);
* **interactive**: to the end of the layout, the side panels filled and the
  next animation frame (the page answers clicks from then on);
* **cold load**: a reload of ``/#/clusters/<id>`` from navigation start to
  interactive (module scripts, Cytoscape, the API call, the layout);
* **expand hosts**: the aggregate swapped for 1,000 host nodes and the host
  table filled, to the next frame;
* **edge click**: a real mouse click on an aggregate edge to its details and
  evidence shown.

Target: first render and interactive under 1.5 s.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from graphsiem.api import create_app  # noqa: E402
from graphsiem.settings import Settings  # noqa: E402
from graphsiem.store.embedded import EmbeddedStore  # noqa: E402
from tests.web.support import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    LiveServer,
    analyst_key,
    synthesise_fanout,
)

TARGET_MS = 1500.0

MARKS_JS = """() => {
  const at = (name) => performance.getEntriesByName(name, 'mark').at(-1)?.startTime;
  const open = at('cluster-open');
  return {first_render: at('graph-first-render') - open, interactive: at('cluster-interactive') - open,
          fetched: at('cluster-fetched') - open, cold_interactive: at('cluster-interactive')};
}"""

EXPAND_JS = """async () => {
  const t0 = performance.now();
  document.getElementById('tool-hosts').click();
  await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  const rows = document.querySelectorAll('#hosts-table tbody tr').length;
  const ms = performance.now() - t0;
  document.getElementById('tool-hosts').click();
  await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  return {ms, rows};
}"""

EDGE_POINT_JS = """() => {
  const cy = window.graphsiem.clusterView.graph.cy;
  const p = cy.edges('[type = "RESOLVED"]')[0].renderedMidpoint();
  const box = cy.container().getBoundingClientRect();
  return {x: box.left + p.x, y: box.top + p.y};
}"""


def _summary(name: str, values: list[float]) -> str:
    median = statistics.median(values)
    flag = "" if name not in ("first render", "interactive") else (
        "  OK" if max(values) < TARGET_MS else "  OVER TARGET")
    return f"{name:<14} median {median:7.0f} ms   worst {max(values):7.0f} ms{flag}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="bench-web-") as tmp:
        data_dir = Path(tmp)
        store = EmbeddedStore(data_dir / "graph")
        cluster = synthesise_fanout(store, data_dir, hosts=args.hosts)
        key = analyst_key(data_dir)
        app = create_app(Settings(data_dir=data_dir), store)
        detail_edges = args.hosts * 5 + 3
        print(f"cluster: {args.hosts} hosts, {detail_edges} edges, {args.hosts + 6} nodes")
        timings: dict[str, list[float]] = {k: [] for k in (
            "fetch", "first render", "interactive", "cold load", "expand hosts", "edge click")}
        with LiveServer(app) as server, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1500, "height": 950})
            page.goto(server.url + "/")
            page.fill("#signin-key", key)
            page.click("#signin-form button[type=submit]")
            for _ in range(args.repeat):
                page.goto(server.url + "/#/")
                page.wait_for_selector(f"#queue-body tr[data-cluster-id='{cluster['id']}']")
                page.click(f"#queue-body tr[data-cluster-id='{cluster['id']}']")
                page.wait_for_selector("body[data-state=cluster-ready]")
                page.wait_for_function("() => performance.getEntriesByName('cluster-interactive').length > 0")
                marks = page.evaluate(MARKS_JS)
                timings["fetch"].append(marks["fetched"])
                timings["first render"].append(marks["first_render"])
                timings["interactive"].append(marks["interactive"])

                expand = page.evaluate(EXPAND_JS)
                assert expand["rows"] == args.hosts, expand
                timings["expand hosts"].append(expand["ms"])

                point = page.evaluate(EDGE_POINT_JS)
                page.evaluate("() => { window.__clickAt = performance.now(); }")
                page.mouse.click(point["x"], point["y"])
                page.wait_for_selector("body[data-evidence=ready]")
                timings["edge click"].append(page.evaluate("() => performance.now() - window.__clickAt"))

                page.reload()
                page.wait_for_selector("body[data-state=cluster-ready]")
                page.wait_for_function("() => performance.getEntriesByName('cluster-interactive').length > 0")
                timings["cold load"].append(page.evaluate(MARKS_JS)["cold_interactive"])
            browser.close()
        store.close()
    print(f"opens: {args.repeat}; Chromium headless, {CHROMIUM}")
    for name, values in timings.items():
        print(_summary(name, values))
    worst = max(max(timings["first render"]), max(timings["interactive"]))
    print(f"target < {TARGET_MS:.0f} ms for first render and interactive: "
          f"{'met' if worst < TARGET_MS else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
