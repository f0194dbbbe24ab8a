"""A request with a body is refused on its headers, before the body is read
(review R2, item 7).

FastAPI parses a declared body (a multipart form, a JSON model) before any
dependency runs, the key check included: a keyless 300 MB upload was spooled to
/tmp (190 MB measured) before its 401.  Over a real socket to a real uvicorn
server, a client pushes a large body and stops as soon as the server answers:
the answer must be the 401/403, and must come after a small part of the body
(what the kernel's buffers hold), not after all of it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from graphsiem.store.embedded import EmbeddedStore
from tests.api.conftest import make_settings
from tests.api.live_api import LiveApi, live_api, send_request, stalled_request

MiB = 1024 * 1024
BODY = 50 * MiB
# Loopback buffers (a 64 KiB send buffer on the client, the server's receive
# window) hold a few MiB at most; a server that reads the body takes all 50.
READ_BOUND = 8 * MiB
FORM_PREFIX = b'--XX\r\nContent-Disposition: form-data; name="file"; filename="a.log"\r\n\r\n'
SYSLOG_LINE = b"<13>1 2026-11-20T09:00:00Z ws-0001 sshd 42 - - Accepted password for bob\n"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApi]:
    tmp = tmp_path_factory.mktemp("auth-before-body")
    store = EmbeddedStore(tmp / "graph")
    settings = make_settings(tmp / "data", max_body_bytes=64 * MiB, max_upload_bytes=64 * MiB)
    try:
        with live_api(settings, store) as api:
            yield api
    finally:
        store.close()


def _auth(server: LiveApi, who: str) -> str:
    if who == "nobody":
        return ""
    if who == "unknown":
        return "X-API-Key: gs_not-a-key-of-this-server\r\n"
    return f"Authorization: Bearer {server.keys[who]}\r\n"


def _head(method: str, path: str, content_type: str, length: int, auth: str) -> str:
    return (f"{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {length}\r\n{auth}\r\n")


# (method, path, content type, body prefix, role that may use the route, one that may not)
BODY_ROUTES = [
    ("POST", "/v1/files", "multipart/form-data; boundary=XX", FORM_PREFIX, "ingest", "analyst"),
    # the JSON-model routes: FastAPI reads and parses the JSON before the key check
    ("PATCH", "/v1/clusters/c-0000000000000000", "application/json", b'{"note": "', "analyst",
     "ingest"),
    ("POST", "/v1/keys", "application/json", b'{"role": "analyst", "name": "', "admin", "analyst"),
    # reads its body in the endpoint, after the dependencies: refused early already at R2
    ("POST", "/v1/events", "text/plain", b"", "ingest", "analyst"),
]


@pytest.mark.parametrize(("method", "path", "content_type", "prefix", "allowed", "denied"),
                         BODY_ROUTES, ids=[f"{r[0]} {r[1].split('/')[2]}" for r in BODY_ROUTES])
@pytest.mark.parametrize("who", ["nobody", "unknown", "revoked", "denied role"])
def test_a_large_body_without_a_usable_key_is_refused_before_it_is_read(
        server: LiveApi, method: str, path: str, content_type: str, prefix: bytes,
        allowed: str, denied: str, who: str) -> None:
    role = denied if who == "denied role" else who
    auth = _auth(server, role)
    answer = send_request(server.port, _head(method, path, content_type, BODY, auth), BODY,
                          prefix=prefix)
    expected = 403 if who == "denied role" else 401
    assert answer.status == expected, (answer.status, answer.body[:300])
    code = b'"code":"forbidden"' if expected == 403 else b'"code":"unauthorized"'
    assert code in answer.body, answer.body
    assert answer.body_bytes_sent < READ_BOUND, (
        f"the server took {answer.body_bytes_sent} of {BODY} body bytes before answering "
        f"{answer.status}")
    if expected == 401:
        assert answer.headers.get("www-authenticate") == 'Bearer realm="graphsiem"'


def test_headers_alone_are_answered_without_waiting_for_the_body(server: LiveApi) -> None:
    """R2's unauth2.py: an upload that sends only its headers (and the form's first
    part header) was never answered; it is refused at once, and the server serves on."""
    head = _head("POST", "/v1/files", "multipart/form-data; boundary=XX", BODY, "")
    answer = stalled_request(server.port, head, FORM_PREFIX)
    assert answer.status == 401, answer.body
    assert answer.headers.get("connection") == "close"
    health = send_request(server.port, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 0)
    assert health.status == 200 and b'"ok"' in health.body


def test_an_admitted_upload_and_body_are_still_ingested(server: LiveApi) -> None:
    """The early check admits the right key: the dependency takes its principal, the
    body is read and ingested as before."""
    body = FORM_PREFIX + SYSLOG_LINE * 3 + b"\r\n--XX--\r\n"
    head = _head("POST", "/v1/files", "multipart/form-data; boundary=XX", len(body),
                 _auth(server, "ingest"))
    answer = send_request(server.port, head, len(body), prefix=body)
    assert answer.status == 200, answer.body
    assert b'"accepted":3' in answer.body
    events = SYSLOG_LINE * 2
    head = _head("POST", "/v1/events", "text/plain", len(events), _auth(server, "admin"))
    answer = send_request(server.port, head, len(events), prefix=events)
    assert answer.status == 200, answer.body
    assert b'"accepted":2' in answer.body
