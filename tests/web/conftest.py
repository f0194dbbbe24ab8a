"""Fixtures of the browser tests: Debian's Chromium driven by Playwright, and
real uvicorn servers of ``create_app`` on loopback over real stores.

Nothing is mocked: the page talks HTTP to the real API, which reads a real
embedded graph store, journal and state database in a temporary data dir.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.web.support import CHROMIUM, CHROMIUM_ARGS

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "web"


def _require(condition: bool, reason: str) -> None:
    # In CI a missing component is a failure, never a silent skip.
    if condition:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def web_assets() -> None:
    """Cytoscape.js vendored by scripts/build_web.sh (idempotent, fast when done)."""
    from graphsiem.web import has_vendor_assets

    if not has_vendor_assets():
        _require(shutil.which("npm") is not None, "npm is needed to vendor Cytoscape.js")
        subprocess.run([str(REPO / "scripts" / "build_web.sh")], check=True, timeout=300)
    assert has_vendor_assets()


@pytest.fixture(scope="session")
def browser(web_assets):
    """Headless Debian Chromium (never a downloaded browser)."""
    _require(Path(CHROMIUM).exists(), f"{CHROMIUM} missing: run scripts/install_system_deps.sh")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class PageWatch:
    """What a page did that it must not: dialogs, page errors, CSP violations."""

    def __init__(self, page) -> None:
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.console_errors: list[str] = []
        page.on("dialog", self._on_dialog)
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        page.on("console", self._on_console)

    def _on_dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def _on_console(self, message) -> None:
        if message.type == "error":
            self.console_errors.append(message.text)

    @property
    def csp_violations(self) -> list[str]:
        return [m for m in self.console_errors if "Content Security Policy" in m]


@pytest.fixture
def page(browser, request):
    """A fresh browser context and page; a screenshot is saved when the test ends."""
    context = browser.new_context(viewport={"width": 1500, "height": 950})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.watch = PageWatch(page)
    yield page
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    try:
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-final.png"), full_page=True)
    finally:
        context.close()


def screenshot(page, name: str) -> Path:
    """Save a screenshot under test-artifacts/web/ (git-ignored, kept by CI)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


class Site:
    """A running GraphSIEM service: its URL, data directory, store and keys."""

    def __init__(self, url: str, data_dir: Path, store, keys: dict[str, str]) -> None:
        self.url = url
        self.data_dir = data_dir
        self.store = store
        self.keys = keys

    def api(self, method: str, path: str, *, role: str = "analyst", **kwargs):
        """Call the API with a key of ``role`` (httpx); raises on an error status."""
        import httpx

        headers = {"Authorization": f"Bearer {self.keys[role]}"}
        response = httpx.request(method, self.url + path, headers=headers, timeout=60, **kwargs)
        response.raise_for_status()
        return response.json() if response.content else None

    def post_events(self, events: list[dict]) -> dict:
        """Send ``events`` as NDJSON to ``POST /v1/events`` with the ingest key; the answer (raises on an error)."""
        import json

        import httpx

        body = "\n".join(json.dumps(e) for e in events).encode()
        response = httpx.post(self.url + "/v1/events", content=body, timeout=60, headers={
            "Authorization": f"Bearer {self.keys['ingest']}", "Content-Type": "application/x-ndjson"})
        response.raise_for_status()
        return response.json()

    def wait_until_searchable(self, query: str, timeout_s: float = 120) -> None:
        """Wait until an entity search for ``query`` finds something.

        An accepted event is journaled, and the service projects it into the
        graph after a pause in ingest: a test that searches straight after
        POST /v1/events races the projector (a loaded CI machine lost that
        race)."""
        import time

        deadline = time.monotonic() + timeout_s
        while not self.api("GET", "/v1/entities", params={"q": query})["items"]:
            assert time.monotonic() < deadline, f"nothing matching {query!r} was projected in {timeout_s:.0f} s"
            time.sleep(0.2)

    def wait_until_projected(self, timeout_s: float = 120) -> dict:
        """Wait until the service says its graph is caught up (``/healthz`` projection lag 0).

        What the service reports, for any ingest: no query to choose, and no
        search polled until it happens to find something.
        """
        import httpx

        from tests.api.projection_lag import wait_until_projected

        return wait_until_projected(lambda: httpx.get(self.url + "/healthz", timeout=60).json(),
                                    timeout_s=timeout_s)

    def detect(self) -> dict:
        """Run a detection through the API and wait until it is done."""
        import time

        run = self.api("POST", "/v1/detections")
        deadline = time.monotonic() + 120
        while run["status"] not in ("done", "failed"):
            assert time.monotonic() < deadline, "detection did not finish in 120 s"
            time.sleep(0.2)
            run = self.api("GET", f"/v1/detections/{run['id']}")
        assert run["status"] == "done", run
        return run


def start_site(data_dir: Path, prepare=None, store=None):
    """Open an embedded store in ``data_dir`` (or use ``store``), let
    ``prepare(store, data_dir)`` fill it, create keys, and serve ``create_app``
    on loopback.  A context manager."""
    import contextlib

    from graphsiem.api import create_app
    from graphsiem.settings import Settings
    from graphsiem.store.embedded import EmbeddedStore
    from tests.web.support import LiveServer, analyst_key

    @contextlib.contextmanager
    def running():
        graph = store if store is not None else EmbeddedStore(data_dir / "graph")
        try:
            if prepare is not None:
                prepare(graph, data_dir)
            keys = {role: analyst_key(data_dir, role=role) for role in ("analyst", "ingest")}
            app = create_app(Settings(data_dir=data_dir), graph)
            with LiveServer(app) as server:
                yield Site(server.url, data_dir, graph, keys)
        finally:
            if store is None:
                graph.close()

    return running()


@pytest.fixture(scope="module")
def fanout_site(tmp_path_factory):
    """A service holding one synthesised 120-host fan-out cluster."""
    from tests.web.support import synthesise_fanout

    data_dir = tmp_path_factory.mktemp("fanout")
    with start_site(data_dir, lambda store, d: synthesise_fanout(store, d, hosts=120)) as site:
        site.cluster = site.api("GET", "/v1/clusters")["items"][0]
        yield site


RARE_HOSTS = [f"ws-r{i:02d}" for i in range(6)]
"""The hosts :func:`rare_command_site` runs its rare command on (the fan-out cluster's hosts)."""
QUIET_HOSTS = [f"ws-q{i:02d}" for i in range(14)]


def rare_command_events(rare: str) -> list[dict]:
    """Sysmon process creations: ``notepad.exe report.txt`` on 20 hosts, then ``rare`` on :data:`RARE_HOSTS`."""
    from tests.web.support import process_creation

    quiet = [process_creation(host, 100 + i, f"2026-11-20T08:{i:02d}:00.000Z", "notepad.exe report.txt")
             for i, host in enumerate(QUIET_HOSTS + RARE_HOSTS)]
    rare_runs = [process_creation(host, i, f"2026-11-20T09:00:{10 + i:02d}.000Z", rare)
                 for i, host in enumerate(RARE_HOSTS)]
    return quiet + rare_runs


def rare_command_site(data_dir: Path, rare: str):
    """A running site whose events (:func:`rare_command_events`) went through ``POST /v1/events`` and a
    real detection: ``rare`` is one fan-out cluster on :data:`RARE_HOSTS`.  A context manager."""
    import contextlib

    @contextlib.contextmanager
    def running_site():
        events = rare_command_events(rare)
        with start_site(data_dir) as running:
            assert running.post_events(events)["accepted"] == len(events)
            running.detect()
            yield running

    return running_site()
