"""Helpers of the browser tests over real captures (task G2): a service whose
store and journal hold sample files ingested through the real pipeline, and
an entity picked from the page's search."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from graphsiem.settings import Settings
from ingest.journal import Journal
from ingest.pipeline import ingest_paths


def ingesting(paths: list[Path], accepted: int) -> Callable[[Any, Path], None]:
    """A ``prepare`` for ``start_site``: ingest ``paths`` into its store and journal, all ``accepted``."""

    def prepare(store: Any, data_dir: Path) -> None:
        with Journal(Settings(data_dir=data_dir).journal_path) as journal:
            report = ingest_paths(paths, store=store, journal=journal, progress=False)
        assert report.total.rejected == 0 and report.total.accepted == accepted, report.total

    return prepare


def pick_from_search(page: Any, site: Any, query: str, button: str) -> None:
    """Sign in, search ``query`` and open the result matching ``button`` (a selector in the list)."""
    page.goto(site.url + "/")
    page.fill("#signin-key", site.keys["analyst"])
    page.click("#signin-form button[type=submit]")
    page.wait_for_selector("body[data-state=queue]")
    page.fill("#search-input", query)
    page.press("#search-input", "Enter")
    page.wait_for_selector("#search-results:not([hidden])")
    page.click(f"#search-results li {button}")
    page.wait_for_selector("body[data-state=explore-ready]")
