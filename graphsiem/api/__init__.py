"""The HTTP API: ``create_app(settings, store)`` builds a FastAPI application.

``create_app`` is imported lazily so that ``graphsiem keys`` (which needs only
:mod:`graphsiem.api.state`) does not load FastAPI and every router.
"""

from __future__ import annotations

from typing import Any

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from graphsiem.api.app import create_app

        return create_app
    raise AttributeError(name)
