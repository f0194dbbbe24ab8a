"""A 405 names every method the path is served with (review T3, papercut).

Starlette's ``Allow`` came from the first route the path matched: a cluster,
served by a GET route and a PATCH route, said ``Allow: GET``, so a client
told to use what ``Allow`` lists could not find the PATCH.
"""

from __future__ import annotations

import pytest

from tests.api.conftest import Api


@pytest.mark.parametrize(("method", "path", "allow"), [
    ("POST", "/v1/clusters/some-cluster", "GET, HEAD, PATCH"),
    ("PUT", "/v1/events", "POST"),
    ("DELETE", "/v1/clusters", "GET, HEAD"),
    ("POST", "/v1/keys/some-key", "DELETE"),
    ("OPTIONS", "/v1/keys", "GET, HEAD, POST"),
])
def test_allow_lists_every_method_of_the_path(api: Api, method: str, path: str, allow: str) -> None:
    response = api.client.request(method, path, headers=api.headers("admin"))
    assert response.status_code == 405
    assert response.headers["allow"] == allow
    assert response.json()["error"]["code"] == "method_not_allowed"
