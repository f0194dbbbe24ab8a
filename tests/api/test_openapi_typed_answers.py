"""Every route's real answers validate against ``/openapi.json``, whose objects are typed (review T11, F8).

Evidence events, explanation features, cluster members and an entity's prevalence
were free-form objects (``dict[str, Any]``) in the document, so a generated client
got plain dicts and a validator accepted anything there.  Here the service is served
for real (uvicorn on loopback, the test fleet ingested and detected over both
stores) and each route's answers are validated with jsonschema against the document
the service publishes, made strict: an object of a model that does not declare
itself open may hold only its declared properties, so a field the service answers
but the document leaves out fails too.  Objects left open are the record's own
content only (its normalised ``fields``, its ``raw`` record, an entity's ``props``).
"""

from __future__ import annotations

import copy
import time
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest

from graphsiem.store.base import GraphStore
from tests.api.conftest import make_settings
from tests.api.fleet import fleet_events
from tests.api.live_api import live_api

OPEN_ON_PURPOSE = {
    "GraphNode.props", "EntityOut.props", "JournalEvent.fields", "JournalEvent.raw",
    "BacktestCluster",  # a stored cluster's further keys: the detection's record, declared open
    "ErrorDetail",  # a problem's own particulars (a size limit, an ambiguous entity's key)
}
"""The schema's only free-form objects: content that differs per record, said so in their descriptions."""


def _free_form(schema: Any, where: str, found: set[str]) -> None:
    """Collect the places in ``schema`` where any object is accepted (no property declared)."""
    if isinstance(schema, list):
        for item in schema:
            _free_form(item, where, found)
        return
    if not isinstance(schema, dict):
        return
    if schema.get("additionalProperties") is True or (
            schema.get("type") == "object" and "properties" not in schema
            and not isinstance(schema.get("additionalProperties"), dict)):
        found.add(where)
    for key, value in schema.items():
        if key == "properties":
            for name, sub in value.items():
                _free_form(sub, f"{where}.{name}", found)
        elif key in ("items", "anyOf", "oneOf", "allOf", "additionalProperties"):
            _free_form(value, where, found)


def _reachable_free_form(schema: dict[str, Any], components: dict[str, Any]) -> set[str]:
    """The free-form places (:func:`_free_form`) of ``schema`` and of every model it refers to."""
    found: set[str] = set()
    pending, seen = [("answer", schema)], set()
    while pending:
        where, node = pending.pop()
        _free_form(node, where, found)
        for name in {ref.rsplit("/", 1)[1] for ref in _refs(node)} - seen:
            seen.add(name)
            pending.append((name, components[name]))
    return found


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        return ([node["$ref"]] if "$ref" in node else []) + [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def _strict(spec: dict[str, Any]) -> dict[str, Any]:
    """The document with every declared model closed: its answers may hold declared properties only."""
    strict = copy.deepcopy(spec)
    for schema in strict["components"]["schemas"].values():
        if "properties" in schema and "additionalProperties" not in schema:
            schema["additionalProperties"] = False
    return strict


class Checker:
    """Fetches answers from the served app and validates them against its own document."""

    def __init__(self, base: str, keys: dict[str, str]) -> None:
        self.client = httpx.Client(base_url=base, timeout=60)
        self.keys = keys
        self.spec = self.client.get("/openapi.json").json()
        self.strict = _strict(self.spec)
        self.checked: set[tuple[str, str]] = set()
        self.free_form: set[str] = set()
        """Where the answers' schemas accept any object."""

    def call(self, method: str, template: str, path: str, *, role: str = "analyst",
             expect: int = 200, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.keys[role]}", **kwargs.pop("headers", {})}
        response = self.client.request(method, path, headers=headers, **kwargs)
        assert response.status_code == expect, (method, path, response.text[:500])
        declared = self.spec["paths"][template][method.lower()]["responses"]
        assert str(expect) in declared, (method, template, expect)
        content = declared[str(expect)].get("content", {}).get("application/json")
        if content is None:
            return None
        self.free_form |= _reachable_free_form(content["schema"], self.spec["components"]["schemas"])
        schema = {**content["schema"], "components": self.strict["components"]}
        errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}"
                  for e in jsonschema.Draft202012Validator(schema).iter_errors(response.json())]
        assert errors == [], (method, path, errors[:5])
        self.checked.add((method, template))
        return response.json()


def _wait_done(checker: Checker, run_id: str) -> dict[str, Any]:
    """The run's record once it is ``done`` or ``failed`` (each answer validated on the way).

    No deadline of its own: on a loaded 2-core machine a detection can take minutes, and one
    that never ends is stopped by pytest-timeout (``timeout`` in pyproject.toml) with its stack.
    """
    while True:
        run = checker.call("GET", "/v1/detections/{detection_id}", f"/v1/detections/{run_id}")
        if run["status"] in ("done", "failed"):
            return run
        time.sleep(0.05)


def test_the_document_types_the_contract_objects(embedded_store: GraphStore, tmp_path: Path) -> None:
    with live_api(make_settings(tmp_path / "data"), embedded_store) as served:
        spec = httpx.get(f"http://127.0.0.1:{served.port}/openapi.json").json()
    found: set[str] = set()
    for name, schema in spec["components"]["schemas"].items():
        _free_form(schema, name, found)
    assert found == OPEN_ON_PURPOSE
    schemas = spec["components"]["schemas"]
    member = schemas["ClusterDetail"]["properties"]["members"]["items"]
    assert member == {"$ref": "#/components/schemas/ClusterMember"}
    assert schemas["ClusterMember"]["required"] == ["type", "value"]
    assert schemas["Prevalence"]["required"] == ["hosts", "first_seen", "last_seen", "count"]
    assert "open" in schemas["JournalEvent"]["properties"]["fields"]["description"].lower()


def test_every_routes_real_answers_validate(store: GraphStore, tmp_path: Path) -> None:
    store.clear()
    with live_api(make_settings(tmp_path / "data"), store) as served:
        check = Checker(f"http://127.0.0.1:{served.port}", served.keys)
        check.call("POST", "/v1/events", "/v1/events", role="ingest", json=fleet_events())
        served.ctx.ingest.catch_up()
        run = check.call("POST", "/v1/detections", "/v1/detections", expect=202)
        assert _wait_done(check, run["id"])["status"] == "done"

        queue = check.call("GET", "/v1/clusters", "/v1/clusters")
        top = queue["items"][0]
        detail = check.call("GET", "/v1/clusters/{cluster_id}", f"/v1/clusters/{top['id']}")
        assert detail["members"] and detail["explanation"]["features"] and detail["evidence"]
        assert all(set(m) == {"type", "key", "value"} for m in detail["members"])
        check.call("GET", "/v1/clusters/{cluster_id}/bundle", f"/v1/clusters/{top['id']}/bundle")
        ids = [e["event_id"] for e in detail["evidence"][:5]]
        evidence = check.call("GET", "/v1/evidence", "/v1/evidence", params={"ids": [*ids, "no-such-event"]})
        assert len(evidence["items"]) == len(ids) and evidence["missing"] == ["no-such-event"]
        assert all("received_at" in e for e in evidence["items"])  # received over POST /v1/events
        pivot = detail["pivot"]
        check.call("GET", "/v1/entities/{entity_type}/{value}", f"/v1/entities/{pivot['type']}/{pivot['key']}")
        host = check.call("GET", "/v1/entities/{entity_type}/{value}", f"/v1/entities/host/{top['hosts'][0]}")
        assert "entities" in host["prevalence"]
        check.call("GET", "/v1/entities/{entity_type}/{value}/neighbors",
                   f"/v1/entities/{pivot['type']}/{pivot['key']}/neighbors")
        check.call("GET", "/v1/entities", "/v1/entities", params={"q": "ws-000"})
        check.call("GET", "/v1/entities/host/{name}/events", f"/v1/entities/host/{top['hosts'][0]}/events")

        backtest = check.call("POST", "/v1/detections", "/v1/detections", expect=202,
                              params={"now": "2026-09-23T12:00:00Z"})
        _wait_done(check, backtest["id"])
        kept = check.call("GET", "/v1/detections/{detection_id}/clusters",
                          f"/v1/detections/{backtest['id']}/clusters")
        assert kept["clusters"]
        check.call("GET", "/v1/detections", "/v1/detections")

        check.call("PATCH", "/v1/clusters/{cluster_id}", f"/v1/clusters/{top['id']}",
                   json={"verdict": "benign", "note": "the MSP's tool"})
        check.call("GET", "/v1/clusters/{cluster_id}/audit", f"/v1/clusters/{top['id']}/audit")
        suppressed = check.call("GET", "/v1/suppressions", "/v1/suppressions")
        assert suppressed
        check.call("GET", "/v1/webhook/alerts", "/v1/webhook/alerts", role="admin")
        check.call("GET", "/v1/keys", "/v1/keys", role="admin")
        check.call("GET", "/v1/store", "/v1/store")
        check.client.close()
    assert len(check.checked) == 19  # every route above answered and was validated
    assert check.free_form <= OPEN_ON_PURPOSE, check.free_form - OPEN_ON_PURPOSE


@pytest.mark.parametrize("bad", ["{not json", '{"status": "open",\n  oops}'])
def test_invalid_json_is_named_with_line_and_column(embedded_store: GraphStore, tmp_path: Path, bad: str) -> None:
    with live_api(make_settings(tmp_path / "data"), embedded_store) as served:
        check = Checker(f"http://127.0.0.1:{served.port}", served.keys)
        error = check.call("PATCH", "/v1/clusters/{cluster_id}", "/v1/clusters/abc", expect=422, content=bad,
                           headers={"Content-Type": "application/json"})["error"]
        check.client.close()
    assert error["field"] == "body"
    where = "line 1, column 2" if bad.startswith("{not") else "line 2, column 3"
    assert error["message"].startswith("the body is not valid JSON") and where in error["message"], error
