"""API keys in the service state (``state.sqlite``'s ``api_keys`` table).

Moved out of :mod:`graphsiem.api.state` (which still exports every name here):
the key format ``gsk_<id>_<secret>``, its hash, and the key methods of
:class:`~graphsiem.api.state.StateStore` (:class:`ApiKeysMixin`).  Only the
SHA-256 of a key is stored; the secret is shown once, when it is created.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3
import time
from collections.abc import Iterable
from contextlib import AbstractContextManager
from typing import Any, Protocol

from graphsiem.api.records import ApiKey, Role

KEY_PREFIX = "gsk"


def hash_key(secret: str) -> str:
    """SHA-256 of a whole key string (prefix, id and secret)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def parse_key_id(key: str) -> str | None:
    """The id part of ``gsk_<id>_<secret>``, or ``None`` when it is not shaped so."""
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1]


class _Database(Protocol):
    def _tx(self) -> AbstractContextManager[sqlite3.Connection]: ...

    def _query(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]: ...

    def get_key(self, key_id: str) -> ApiKey | None: ...


class ApiKeysMixin:
    """The API-key methods of :class:`graphsiem.api.state.StateStore`."""

    def create_key(self: _Database, *, role: Role | str, name: str = "") -> tuple[ApiKey, str]:
        """Create a key; returns the stored record and the secret (shown once)."""
        role = Role(role)
        key_id = secrets.token_hex(6)
        secret = f"{KEY_PREFIX}_{key_id}_{secrets.token_urlsafe(32)}"
        record = ApiKey(id=key_id, name=name or f"{role.value}-{key_id}", role=role,
                        created_at=time.time())
        with self._tx() as db:
            db.execute(
                "INSERT INTO api_keys (id, name, role, hash, created_at) VALUES (?, ?, ?, ?, ?)",
                (record.id, record.name, record.role.value, hash_key(secret), record.created_at),
            )
        return record, secret

    def ensure_key(self: _Database, secret: str, *, role: Role | str, name: str) -> ApiKey:
        """Register a caller-chosen key (bootstrap from the environment), idempotently."""
        key_id = parse_key_id(secret)
        if key_id is None:
            # A free-form bootstrap secret gets an id derived from its hash.
            key_id = hash_key(secret)[:12]
        existing = self.get_key(key_id)
        if existing is not None:
            return existing
        record = ApiKey(id=key_id, name=name, role=Role(role), created_at=time.time())
        with self._tx() as db:
            db.execute(
                "INSERT INTO api_keys (id, name, role, hash, created_at) VALUES (?, ?, ?, ?, ?)",
                (record.id, record.name, record.role.value, hash_key(secret), record.created_at),
            )
        return record

    def verify_key(self: _Database, secret: str) -> ApiKey | None:
        """The key record for ``secret`` if it exists (revoked or not), else ``None``."""
        key_id = parse_key_id(secret) or hash_key(secret)[:12]
        rows = self._query("SELECT * FROM api_keys WHERE id = ?", (key_id,))
        if not rows or not hmac.compare_digest(rows[0]["hash"], hash_key(secret)):
            return None
        return _key(rows[0])

    def get_key(self: _Database, key_id: str) -> ApiKey | None:
        rows = self._query("SELECT * FROM api_keys WHERE id = ?", (key_id,))
        return _key(rows[0]) if rows else None

    def list_keys(self: _Database) -> list[ApiKey]:
        return [_key(r) for r in self._query("SELECT * FROM api_keys ORDER BY created_at, id")]

    def revoke_key(self: _Database, key_id: str) -> bool:
        """Revoke a key; ``False`` when there is no such key."""
        with self._tx() as db:
            cur = db.execute(
                "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?",
                (time.time(), key_id),
            )
            return cur.rowcount > 0


def _key(row: sqlite3.Row) -> ApiKey:
    return ApiKey(id=row["id"], name=row["name"], role=Role(row["role"]),
                  created_at=row["created_at"], revoked_at=row["revoked_at"])
