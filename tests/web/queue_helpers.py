"""Helpers of the queue and cluster-panel browser tests: clusters written into
the state database as a detection writes them, and signing in to the queue."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def stored_cluster(score: float, name: str, **fields: Any) -> dict[str, Any]:
    """A minimal stored cluster ``c-<name>``: one host, one domain, no members to draw."""
    cluster = {
        "id": f"c-{name}", "score": score, "hosts": [f"ws-{name}"],
        "entities": [{"type": "domain", "value": f"{name}.example"}],
        "first_seen": "2026-11-20T09:00:00.000Z", "last_seen": "2026-11-20T09:05:00.000Z",
        "first_seen_ts": 1_763_629_200.0, "last_seen_ts": 1_763_629_500.0,
        "explanation": {"summary": f"cluster {name} at risk {score}", "features": []},
        "pivot": {"type": "domain", "key": f"{name}.example"}, "members": [],
    }
    cluster.update(fields)
    return cluster


def save_detection(data_dir: Path, detection_id: str, clusters: list[dict[str, Any]]) -> None:
    """Store ``clusters`` as detection ``detection_id`` does: they become the active set."""
    from graphsiem.api.state import StateStore

    state = StateStore(data_dir / "state.sqlite")
    try:
        state.save_clusters(detection_id, clusters)
    finally:
        state.close()


def sign_in_to_queue(page, site, query: str = "") -> None:
    """Open the page (``query``: e.g. ``?poll=500``), sign in as the analyst, wait for the queue."""
    page.goto(site.url + "/" + query)
    page.fill("#signin-key", site.keys["analyst"])
    page.click("#signin-form button[type=submit]")
    page.wait_for_selector("body[data-state=queue]")


def wait_status(page, text: str, timeout: float = 30_000) -> None:
    """Wait until the queue's header (``#queue-status``) says ``text``."""
    page.wait_for_function("(text) => document.getElementById('queue-status').innerText.includes(text)",
                           arg=text, timeout=timeout)
