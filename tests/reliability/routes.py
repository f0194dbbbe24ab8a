"""Every (method, path) an app answers, read from ``app.routes`` (nested routers included)."""

from __future__ import annotations

from typing import Any

AUTO_METHODS = {"HEAD"}
"""Methods Starlette adds to GET routes on its own."""


def enumerate_routes(app: Any) -> set[tuple[str, str]]:
    """``{(method, path template)}`` of every route; mounts appear as ``("MOUNT", path)``."""
    found: set[tuple[str, str]] = set()
    _walk(app.routes, found)
    return found


def _walk(routes: Any, found: set[tuple[str, str]]) -> None:
    for route in routes:
        contexts = getattr(route, "effective_route_contexts", None)
        if contexts is not None:  # FastAPI >= 0.16x: an included router
            for context in contexts():
                _add(context.path, context.methods, found)
            continue
        methods = getattr(route, "methods", None)
        path = getattr(route, "path", None)
        if methods:
            _add(path, methods, found)
        elif hasattr(route, "routes") and getattr(route, "app", None) is not None \
                and type(route).__name__ == "Mount":
            found.add(("MOUNT", path))
        elif hasattr(route, "routes"):
            _walk(route.routes, found)
        else:
            raise AssertionError(f"unknown route kind {type(route).__name__} at {path}")


def _add(path: str, methods: set[str], found: set[tuple[str, str]]) -> None:
    for method in set(methods) - AUTO_METHODS:
        found.add((method, path))
