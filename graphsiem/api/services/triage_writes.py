"""Triage writes over HTTP: ``If-Match`` preconditions, ``Idempotency-Key`` replays, ETags.

:func:`graphsiem.api.services.clusters.patch_triage` applies a change; this
module decides whether to (the client's precondition), answers a retry with
the first answer (:mod:`graphsiem.api.state_triage` keeps it 24 h), and
matches the queue's ETag for ``If-None-Match``.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass

import orjson

from graphsiem.api.context import AppContext
from graphsiem.api.errors import Unprocessable, UnsupportedMediaType
from graphsiem.api.schemas import ClusterSummary, TriagePatch
from graphsiem.api.services.clusters import patch_triage
from graphsiem.api.state_triage import (
    exclusive,
    record_answer,
    recorded_answer,
    request_fingerprint,
)

_ENTITY_TAG = re.compile(r'\s*(W/)?"([^"]*)"\s*')
_IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]{1,255}")
"""Visible ASCII, as UUIDs and the usual generated keys are; stored and compared as sent."""


@dataclass(frozen=True, slots=True)
class TriageAnswer:
    """What a PATCH answers: the cluster's JSON, its triage version (the ETag), and whether it is a replay."""

    body: bytes
    version: int
    replayed: bool = False


def require_json(content_type: str | None) -> None:
    """Refuse (415) a PATCH body sent as anything but JSON; no Content-Type is read as JSON.

    ``text/plain`` or a form used to reach the body's validation and come back
    as a puzzling 422 "valid dictionary".
    """
    if content_type is None:
        return
    media = content_type.split(";", 1)[0].strip().lower()
    if media == "application/json" or (media.startswith("application/") and media.endswith("+json")):
        return
    raise UnsupportedMediaType(
        "the body must be JSON: send Content-Type: application/json (or application/merge-patch+json)",
        field="Content-Type")


def parse_if_match(value: str | None) -> frozenset[int] | None:
    """The triage versions an ``If-Match`` accepts; ``None`` when absent or ``*`` (any: the cluster exists).

    Tags are compared strongly (RFC 9110): a weak tag (``W/"3"``) or one that is
    not a version this API made (``"stale"``) matches none, so the write is
    refused with 412 rather than applied.  Tags are opaque strings compared
    exactly: ``"03"`` is not ``"3"``.  A bare number is taken as its tag.
    """
    if value is None or not value.strip():
        return None
    versions: set[int] = set()
    for part in value.split(","):
        part = part.strip()
        if part == "*":
            return None
        tag = _ENTITY_TAG.fullmatch(part)
        text = tag.group(2) if tag and not tag.group(1) else (part if part.isdigit() else "")
        # Only the tag this API makes (triage_etag: the decimal version, no leading zero).
        if text.isascii() and text.isdigit() and len(text) <= 18 and text == str(int(text)):
            versions.add(int(text))
    return frozenset(versions)


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """Whether ``If-None-Match`` names ``etag`` (weak comparison, as RFC 9110 has it for GET) or is ``*``."""
    if not if_none_match:
        return False
    bare = etag.removeprefix("W/")
    for part in if_none_match.split(","):
        part = part.strip()
        if part == "*" or part.removeprefix("W/") == bare:
            return True
    return False


def patch_once(ctx: AppContext, cluster_id: str, patch: TriagePatch, *, actor: str,
               if_match: str | None = None, idempotency_key: str | None = None) -> TriageAnswer:
    """Apply a triage PATCH once per ``Idempotency-Key``, under its ``If-Match``.

    Parameters
    ----------
    ctx : AppContext
        The app.
    cluster_id : str
        The id in the request's path (a retry is recognised by it, the caller and the key).
    patch : TriagePatch
        The change.
    actor : str
        The caller, as the audit names it.
    if_match : str, optional
        The ``If-Match`` header (:func:`parse_if_match`).
    idempotency_key : str, optional
        The ``Idempotency-Key`` header: a second request with the same key and
        body within 24 h gets the first answer back (``replayed``) and changes
        nothing; the same key with another body is refused (422).

    Returns
    -------
    TriageAnswer
        The answer's body and triage version.
    """
    if idempotency_key is not None and not _IDEMPOTENCY_KEY.fullmatch(idempotency_key):
        raise Unprocessable("Idempotency-Key must be 1 to 255 visible ASCII characters",
                            field="Idempotency-Key")
    expected = parse_if_match(if_match)
    request = request_fingerprint(patch.model_dump(mode="json", exclude_unset=True))
    # Held across look-up, write and record: two retries racing each other apply once.
    with exclusive(ctx.state):
        if idempotency_key is not None:
            found = recorded_answer(ctx.state, cluster_id, actor, idempotency_key)
            if found is not None:
                if found[0] != request:
                    raise Unprocessable("this Idempotency-Key was used for another change of this "
                                        "cluster: use a new key for a new change", field="Idempotency-Key")
                body = found[1].encode("utf-8")
                return TriageAnswer(body, int(orjson.loads(body)["triage"]["version"]), replayed=True)
        key = idempotency_key

        def keep(db: sqlite3.Connection, summary: ClusterSummary) -> None:
            # In the change's transaction: a failure after it cannot leave the change
            # applied and its retry answered 412 (its own change) or applied twice.
            if key is not None:
                record_answer(db, cluster_id, actor, key, request=request, response=summary.model_dump_json())

        summary = patch_triage(ctx, cluster_id, patch, actor=actor, expected_versions=expected,
                               keep_answer=keep)
    return TriageAnswer(summary.model_dump_json().encode("utf-8"), summary.triage.version)
