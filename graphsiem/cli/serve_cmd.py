"""``graphsiem serve``: the HTTP API (uvicorn, one process), optionally with syslog.

At start, when the graph holds sightings, the service queues one detection
(trigger ``startup``, like ``POST /v1/detections``): after ``graphsiem ingest``
or ``graphsiem detect`` on the data directory, the queue shows the clusters of
the graph being served instead of an empty (or an older service's) queue.
``--no-detect-at-start`` skips it.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import socket
import sys
from typing import TYPE_CHECKING

from pydantic import ValidationError

from graphsiem.cli.arguments import DATA_HELP
from graphsiem.settings import Settings

if TYPE_CHECKING:
    from graphsiem.data_dir_lock import DataDirLock
    from graphsiem.store.base import GraphStore


def _serve(args: argparse.Namespace) -> int:
    from graphsiem.data_dir_lock import lock_for_command

    overrides = {name: value for name, value in {
        "host": args.host, "port": args.port, "store": args.store, "data_dir": args.data,
        "syslog_udp_port": args.syslog_udp, "syslog_tcp_port": args.syslog_tcp,
        "detection_config": args.detection_config,
    }.items() if value is not None}
    try:
        settings = Settings(**overrides)
    except ValidationError as exc:
        for err in exc.errors():
            field = ".".join(str(p) for p in err["loc"]) or "settings"
            print(f"graphsiem serve: invalid setting {field}: {err['msg']}", file=sys.stderr)
        return 2
    # One service per data directory, refused before the journal or the graph is opened.
    lock = lock_for_command("serve", settings.data_dir, in_use="one graphsiem serve per data directory")
    if lock is None:
        return 1
    try:
        return _serve_locked(args, settings, lock)
    finally:
        lock.release()


def _serve_locked(args: argparse.Namespace, settings: Settings, lock: DataDirLock) -> int:
    """Check the syslog ports, bind the HTTP port, open the store and run the service (``lock`` held).

    Every refusal before the store is opened gives the lock up with :meth:`DataDirLock.abandon`:
    nothing was written, so a directory the lock made, and its ``serve.lock``, are removed
    again (task F2; as a refused store, task G5).  The kernel frees the lock itself when the
    process ends, so a refused start never made the next one refuse: what it left behind was
    the directory and a ``serve.lock`` made for a service that never ran.
    """
    from graphsiem.cli.http_listeners import bind_listeners
    from graphsiem.store import open_store
    from graphsiem.store.base import StoreError
    from graphsiem.syslog_ports import syslog_listen_problem
    from graphsiem.uri_credentials import redact_uri

    # The syslog listener binds in the app's startup, inside uvicorn: asked here, a port in use
    # or a host that does not resolve is one line, not uvicorn's traceback (graphsiem.syslog_ports)
    problem = syslog_listen_problem(settings.syslog_host, settings.syslog_udp_port, settings.syslog_tcp_port)
    if problem is not None:
        lock.abandon()
        print(f"graphsiem serve: {problem}", file=sys.stderr)
        return STARTUP_FAILURE
    try:
        # Before the store, the app and its background projection: a port in use fails here, with
        # nothing opened, projected or queued (uvicorn binds only after the app's startup, whose
        # shutdown then ran the final projection; an embedded store makes its directory on opening)
        sockets = bind_listeners(settings.host, settings.port)
    except OSError as exc:
        lock.abandon()
        print(f"graphsiem serve: cannot listen on {settings.host}:{settings.port}: {exc}", file=sys.stderr)
        return STARTUP_FAILURE
    try:
        try:
            store = open_store(settings.store, data_dir=settings.data_dir)
        except (StoreError, ValueError) as exc:
            lock.abandon()  # refused before anything was written: no lock file left behind (task G5)
            # a password in the store URI is never shown (graphsiem.uri_credentials)
            print(redact_uri(f"graphsiem serve: cannot open store {settings.store!r}: {exc}"), file=sys.stderr)
            return 1
        try:
            return _serve_store(args, settings, store, sockets)
        finally:
            store.close()
    finally:
        for sock in sockets:
            sock.close()


def _serve_store(args: argparse.Namespace, settings: Settings, store: GraphStore,
                 sockets: list[socket.socket]) -> int:
    """Build the app (its projection starts) and run uvicorn on the bound ``sockets``."""
    import uvicorn

    from graphsiem.api import create_app
    from graphsiem.cli.http_protocol import with_header_timeout

    app = create_app(settings, store)
    runner = app.state.ctx.detections
    try:
        if not args.no_detect_at_start and _holds_sightings(store):
            # Queued on the runner's one worker thread: it runs while uvicorn starts, and
            # requests see the previous queue until it is done.
            runner.submit(trigger="startup", requested_by="graphsiem serve")
        # bounded connections (review R5, item 4): headers within http_header_timeout_s
        # (graphsiem.cli.http_protocol), idle keep-alive http_keep_alive_s, beyond
        # http_max_connections uvicorn's 503; requests are bounded in the app
        # (graphsiem.api.concurrency: http_limit_concurrency, the API's JSON 503)
        config = uvicorn.Config(app, host=settings.host, port=settings.port, log_level=args.log_level,
                                access_log=args.access_log, proxy_headers=False,
                                http=with_header_timeout(settings.http_header_timeout_s),
                                timeout_keep_alive=settings.http_keep_alive_s,
                                limit_concurrency=settings.http_max_connections)
        server = uvicorn.Server(config)
        for sock in sockets:  # uvicorn logs where it listens only for sockets it binds itself
            address = sock.getsockname()
            logging.getLogger("uvicorn.error").info(
                "Uvicorn running on http://%s (Press CTRL+C to quit)",
                f"[{address[0]}]:{address[1]}" if sock.family == socket.AF_INET6
                else f"{address[0]}:{address[1]}")
        with contextlib.suppress(KeyboardInterrupt):  # as uvicorn.run: Ctrl+C is a clean stop
            server.run(sockets=sockets)
        if not server.started:
            return STARTUP_FAILURE
    finally:
        runner.shutdown()  # a start-up run still going ends before the store closes
    return 0


STARTUP_FAILURE = 3
"""The exit status of a service that did not start (uvicorn's own, for a port in use)."""


def _holds_sightings(store: GraphStore) -> bool:
    """True when some host has been seen with something: there is something to detect on.

    False when the store cannot be counted (the service starts all the same and says so).
    """
    from graphsiem.store.base import StoreError

    try:
        return store.counts()["sightings"]["total"] > 0
    except StoreError as exc:
        print(f"graphsiem serve: no detection at start: cannot count the graph: {exc}", file=sys.stderr)
        return False


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``serve``."""
    parser = subparsers.add_parser(
        "serve", help="run the HTTP API (settings from GRAPHSIEM_* environment variables)")
    parser.add_argument("--host", default=None, help="bind address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=None, help="port (default 8000)")
    parser.add_argument("--store", default=None, help="store spec (default: embedded)")
    parser.add_argument("--data", default=None, help=DATA_HELP)
    parser.add_argument("--detection-config", default=None, metavar="FILE",
                        help="detection settings (YAML or JSON, e.g. tuned in a notebook) every run of the "
                             "service starts from (GRAPHSIEM_DETECTION_CONFIG; default: the defaults)")
    parser.add_argument("--syslog-udp", type=int, default=None, metavar="PORT",
                        help="also receive syslog over UDP on this port")
    parser.add_argument("--syslog-tcp", type=int, default=None, metavar="PORT",
                        help="also receive syslog over TCP on this port")
    parser.add_argument("--log-level", default="info",
                        choices=["critical", "error", "warning", "info", "debug"])
    parser.add_argument("--access-log", action="store_true", help="log every request")
    parser.add_argument("--no-detect-at-start", action="store_true",
                        help="do not run a detection at start (by default one runs when the graph "
                        "holds data, so the queue shows what graphsiem ingest/detect put there)")
    parser.set_defaults(func=_serve)
