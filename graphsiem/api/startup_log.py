"""The line the service logs when it starts: what it serves, from where, on which ports.

Two services on one data directory, or one on the wrong store, are told apart
by this line: it names the data directory, the store (a Neo4j URI without its
password), the HTTP address and the syslog ports bound.
"""

from __future__ import annotations

import logging
from typing import Any

from graphsiem.settings import Settings
from graphsiem.uri_credentials import redact_uri
from ingest.projection_version import older_projection_advice

STARTUP_LOGGER = "uvicorn.error"
"""The logger of the startup line: uvicorn's own, the one its ``Application startup
complete`` goes to, so the line shows at ``--log-level info`` without any logging
set up for ``graphsiem.*`` (``graphsiem serve`` configures only uvicorn's loggers)."""


def describe_store(store: Any) -> str:
    """The store in one phrase: its kind and where it keeps the graph (no password).

    A Neo4j store is named by its URI and database, an embedded store by its
    directory; another store by its name.
    """
    name = getattr(store, "name", None) or type(store).__name__
    uri = getattr(store, "uri", None)
    if isinstance(uri, str):
        database = getattr(store, "database", None)
        where = redact_uri(uri) + (f" (database {database!r})" if database else "")
        return f"{name} at {where}"
    directory = getattr(store, "directory", None)
    return f"{name} in {directory}" if directory is not None else str(name)


def startup_line(settings: Settings, store: Any, *, syslog_udp: int | None,
                 syslog_tcp: int | None) -> str:
    """The startup line; ``syslog_udp``/``syslog_tcp`` are the ports bound (``None``: off)."""
    syslog = ", ".join(f"{transport} {settings.syslog_host}:{port}"
                       for transport, port in (("udp", syslog_udp), ("tcp", syslog_tcp))
                       if port is not None) or "off"
    return (f"GraphSIEM serving data dir {settings.data_dir.resolve()}, store "
            f"{describe_store(store)}, HTTP on {settings.host}:{settings.port}, syslog {syslog}")


def log_startup(settings: Settings, store: Any, *, syslog_udp: int | None = None,
                syslog_tcp: int | None = None) -> None:
    """Log :func:`startup_line` at INFO on :data:`STARTUP_LOGGER`, then the rebuild advice at WARNING if any.

    The advice (:func:`ingest.projection_version.older_projection_advice`) says the graph
    was projected by an older release and ``graphsiem rebuild`` re-reads its events.
    """
    logger = logging.getLogger(STARTUP_LOGGER)
    logger.info("%s", startup_line(settings, store, syslog_udp=syslog_udp, syslog_tcp=syslog_tcp))
    # once at start: a graph projected by an older release lacks what the analytics read now (review RV7, finding 1)
    older = older_projection_advice("serve", settings.data_dir / "journal.sqlite", getattr(store, "name", None))
    if older is not None:
        logger.warning("%s", older)
