"""A validation error says its field once and its reason without pydantic's prefix (review U2 #3).

A bad assignee was answered "body.assignee: Value error, assignee: …" (and the page said
the field once more): the field, pydantic's "Value error," and the validator's own name.
A real app over the real store and state database.
"""

from __future__ import annotations

from typing import Any

import pytest

from graphsiem.api.errors import validation_reason
from tests.api.conftest import Api

BAD_BODIES: list[tuple[dict[str, Any], str, str]] = [
    ({"assignee": "mallory\u202egnp.exe"}, "body.assignee", "format character (U+202E"),
    ({"assignee": "alice\x1b[2J"}, "body.assignee", "control or format character (U+001B"),
    ({"note": "done\x00"}, "body.note", "control character"),
    ({"status": "done"}, "body.status", "Input should be"),
]


@pytest.mark.parametrize(("body", "field", "said"), BAD_BODIES, ids=[f for _, f, _ in BAD_BODIES])
def test_a_bad_field_is_named_once_without_pydantic_prefix(api: Api, body: dict[str, Any], field: str,
                                                           said: str) -> None:
    response = api.client.patch("/v1/clusters/abc", json=body, headers=api.headers("analyst"))
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["field"] == field
    assert error["message"].startswith(f"{field}: "), error
    assert said.lower() in error["message"].lower(), error
    name = field.split(".")[-1]
    reason = error["details"][0]["reason"]
    assert error["message"] == f"{field}: {reason}"
    assert "Value error" not in reason, reason
    assert not reason.startswith(f"{name}:"), reason


@pytest.mark.parametrize(("message", "name", "reason"), [
    ("Value error, assignee: a control character (U+001B)", "assignee", "a control character (U+001B)"),
    ("Assertion failed, limit must be positive", "limit", "limit must be positive"),
    ("Value error, a note is text", "note", "a note is text"),
    ("assignee: ", "assignee", "assignee: "),  # nothing would be left: kept as it is
    ("Field required", None, "Field required"),
])
def test_validation_reason_drops_the_prefix_and_the_repeated_name(message: str, name: str | None,
                                                                  reason: str) -> None:
    assert validation_reason(message, name) == reason
