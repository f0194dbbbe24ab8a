"""The analysts' web page: a static single page served next to the API.

The page is plain HTML, CSS and ES modules under ``static/`` plus Cytoscape.js,
vendored into ``static/vendor/`` by ``scripts/build_web.sh``.  It talks to the
``/v1`` API with the analyst's key; the server side only serves files.

Security: every response of the page carries a strict Content-Security-Policy
(no inline script, no ``eval``, everything from ``'self'``), so even if some
attacker-controlled string slipped into the DOM as markup, the browser would
refuse to run it.  The page itself renders data with ``textContent`` only.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, PlainTextResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

STATIC_DIR = Path(__file__).parent / "static"

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ]
)
"""No ``'unsafe-inline'``, no ``'unsafe-eval'``: scripts and styles come only from files."""

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    # The page holds no secrets itself, but a stale app.js after an upgrade
    # would talk to the API with the wrong shapes.
    "Cache-Control": "no-cache",
}


class _SecuredStatic:
    """Static files with the security headers added to every response."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_headers(message: dict) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.extend(
                    (name.lower().encode(), value.encode())
                    for name, value in SECURITY_HEADERS.items()
                )
                message = {**message, "headers": headers}
            await send(message)

        await self._app(scope, receive, send_with_headers)


VENDOR_ASSETS = ("cytoscape.esm.min.js", "swagger-ui-bundle.js", "swagger-ui.css",
                 "swagger-ui-oauth2-redirect.js")
"""What ``scripts/build_web.sh`` vendors under ``static/vendor/``: the page's graph
library and the API explorer's Swagger UI (``/docs``, its redirect page)."""


def has_vendor_assets() -> bool:
    """True when ``scripts/build_web.sh`` has vendored Cytoscape.js and Swagger UI.

    Cytoscape alone was not enough: a vendor directory without Swagger UI (an
    older build, an interrupted one) passed, and ``/docs`` then answered 503.
    """
    return all((STATIC_DIR / "vendor" / name).is_file() for name in VENDOR_ASSETS)


def mount(app: FastAPI) -> None:
    """Serve the page at ``/`` and its assets under ``/static`` on ``app``.

    Parameters
    ----------
    app : FastAPI
        The application built by ``graphsiem.api.create_app``; its ``/v1``
        routes are what the page calls.

    Examples
    --------
    >>> from fastapi import FastAPI
    >>> app = FastAPI()
    >>> mount(app)
    >>> sorted(r.path for r in app.routes if r.path in ("/", "/static"))
    ['/', '/static']
    """

    if hasattr(app.state, "ctx"):
        # Built by graphsiem.api.create_app: add the evidence and store routes
        # the page uses, and the API explorer from the vendored Swagger UI
        # (create_app turns FastAPI's CDN-loaded /docs and /redoc off).
        from graphsiem.web.api_docs import mount_api_docs
        from graphsiem.web.evidence_api import router
        from graphsiem.web.store_api import router as store_router

        app.include_router(router)
        app.include_router(store_router)
        mount_api_docs(app)

    @app.get("/", include_in_schema=False)
    def index() -> Response:
        if not has_vendor_assets():
            # Without Cytoscape.js the page's modules cannot load; say why
            # instead of serving a page that silently shows nothing.
            return PlainTextResponse(
                "The analysts' page is not built: run scripts/build_web.sh "
                "(npm ci in web/, vendors Cytoscape.js).",
                status_code=503, headers=SECURITY_HEADERS,
            )
        return FileResponse(STATIC_DIR / "index.html", headers=SECURITY_HEADERS)

    # follow_symlink: a packager may link vendor/ files to a system copy outside this folder
    # (without it Starlette answers 404 and the page hangs on "loading").  The request path
    # is still normalised and must stay inside STATIC_DIR, so only links someone with write
    # access to the installed package placed here are followed; no client path climbs out.
    app.mount(
        "/static",
        _SecuredStatic(StaticFiles(directory=STATIC_DIR, check_dir=True, follow_symlink=True)),
        name="static",
    )
