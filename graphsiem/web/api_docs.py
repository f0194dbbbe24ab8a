"""The API explorer: Swagger UI at ``/docs``, served from this package, not a CDN.

FastAPI's own ``/docs`` and ``/redoc`` load ``swagger-ui-dist@5`` and
``redoc@2`` from cdn.jsdelivr.net, an unpinned version with no integrity check,
on the origin where the analyst's key sits in ``sessionStorage``: whoever
serves that file runs script with the key in reach.  Here Swagger UI is the
copy ``scripts/build_web.sh`` vendors from npm (version and sha512 pinned in
``web/package-lock.json``), started from a file, under the page's CSP.
``/redoc`` (ReDoc is not vendored) sends the reader to ``/docs``;
``/openapi.json`` is unchanged.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import FileResponse, PlainTextResponse, RedirectResponse, Response

from graphsiem.web import SECURITY_HEADERS, STATIC_DIR

SWAGGER_BUNDLE = STATIC_DIR / "vendor" / "swagger-ui-bundle.js"


def mount_api_docs(app: FastAPI) -> None:
    """Serve ``/docs``, ``/docs/oauth2-redirect`` and ``/redoc`` on ``app``.

    The app must be built with ``docs_url=None, redoc_url=None`` (FastAPI's
    CDN pages off); ``/static`` (the page's mount) serves the assets.

    Parameters
    ----------
    app : FastAPI
        The application built by ``graphsiem.api.create_app``.
    """

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> Response:
        if not SWAGGER_BUNDLE.is_file():
            return PlainTextResponse(
                "The API explorer is not built: run scripts/build_web.sh (npm ci in web/, "
                "vendors Swagger UI). The schema is at /openapi.json.",
                status_code=503, headers=SECURITY_HEADERS)
        return FileResponse(STATIC_DIR / "docs.html", headers=SECURITY_HEADERS)

    @app.get("/docs/oauth2-redirect", include_in_schema=False)
    def swagger_ui_oauth2_redirect() -> Response:
        return FileResponse(STATIC_DIR / "docs-oauth2-redirect.html", headers=SECURITY_HEADERS)

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> Response:
        return RedirectResponse("/docs", headers=SECURITY_HEADERS)
