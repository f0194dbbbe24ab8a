"""The Neo4j store's connection: the driver, and reads and writes that turn its errors into ``StoreError``.

Part of the Neo4j store (:mod:`graphsiem.store.neo4j_store`): the base of its
write and read halves.  Managed write transactions are retried by the driver
on transient errors (deadlocks, a leader switch).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from neo4j import (
    READ_ACCESS,
    Driver,
    GraphDatabase,
    ManagedTransaction,
    NotificationDisabledClassification,
    RoutingControl,
)
from neo4j.exceptions import ConstraintError, DriverError, Neo4jError

from graphsiem.store.base import StoreError
from graphsiem.store.neo4j_rows import has_unencodable
from graphsiem.store.neo4j_schema import create_schema
from graphsiem.uri_credentials import redact_uri, split_credentials

T = TypeVar("T")

SCHEMES = ("bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc")
"""The URI schemes of a Bolt connection.  The driver takes ``http(s)://`` too, for its
preview HTTP API, which needs a package not installed (the error was a traceback
naming ``aiohttp``) and which the store does not use."""


def unsupported_scheme(uri: str) -> str | None:
    """Why ``uri`` is no Neo4j Bolt address (``None`` when it is one), the URI shown redacted.

    Examples
    --------
    >>> unsupported_scheme("bolt://127.0.0.1:7687") is None
    True
    >>> print(unsupported_scheme("http://u:pw@127.0.0.1:7474"))
    unsupported Neo4j URI scheme 'http' in http://u:***@127.0.0.1:7474: use bolt://, neo4j:// (+s, +ssc for TLS)
    """
    scheme, found, _ = uri.partition("://")
    if found and scheme.lower() in SCHEMES:
        return None
    what = f"scheme {scheme!r}" if found else "address (no scheme://)"
    return f"unsupported Neo4j URI {what} in {redact_uri(uri)}: use bolt://, neo4j:// (+s, +ssc for TLS)"


class Neo4jConnection:
    """A driver for one database of a Neo4j 5 server, its schema made.

    Parameters are those of :class:`~graphsiem.store.neo4j_store.Neo4jStore`
    (but ``batch_size``).

    A user and password written in ``uri`` (``bolt://user:password@host``) are
    the credentials, in place of ``user`` and ``password``: the driver refuses
    such a URI, and its error quoted the password (review S2, item 8).
    :attr:`uri` is the URI without them (what a driver connects to); a message
    shows the URI as given with its password masked (``bolt://user:***@host``).

    Raises
    ------
    StoreError
        When the URI's scheme is not Bolt's, or the server cannot be reached
        or refuses the credentials.
    """

    def __init__(
        self, uri: str, *, user: str, password: str, database: str, driver: Driver | None,
        lazy: bool = False,
    ) -> None:
        problem = unsupported_scheme(uri)
        if problem is not None:
            raise StoreError(problem)
        shown = redact_uri(uri)  # bolt://user:***@host: which account, never its password
        uri, uri_user, uri_password = split_credentials(uri)
        user = uri_user or user
        password = uri_password if uri_password is not None else password
        self.uri = uri
        self.database = database
        self._owns_driver = driver is None
        try:
            # "Relationship type does not exist" warnings are expected: queries
            # name every RelationType, used or not.
            self._driver = driver or GraphDatabase.driver(
                uri, auth=(user, password),
                notifications_disabled_classifications=[NotificationDisabledClassification.UNRECOGNIZED],
            )
            if not lazy:  # the caller connects (Neo4jStore: a server down at start is waited for)
                self._driver.verify_connectivity()
                create_schema(self._driver, database)
        except (DriverError, Neo4jError, ValueError) as exc:
            raise StoreError(redact_uri(f"Neo4j at {shown} (database {database!r}): {exc}")) from exc

    def _write(
        self, work: Callable[[ManagedTransaction], T], records: Sequence[Any], *,
        on_conflict: type[Exception] | None = None,
    ) -> T:
        """Run ``work`` in a managed write transaction (retried on transient errors).

        A uniqueness-constraint failure raises ``on_conflict`` when given, so
        the caller can redo its transaction another way; otherwise, like every
        other driver or server error, a :class:`StoreError`.
        """
        try:
            with self._driver.session(database=self.database) as session:
                return session.execute_write(work)
        except ConstraintError as exc:
            if on_conflict is None:
                raise StoreError(f"Neo4j write failed: {exc}") from exc
            raise on_conflict from exc
        except UnicodeEncodeError as exc:
            # Bolt carries UTF-8: a lone surrogate (e.g. from a JSON "\ud800"
            # escape) cannot be sent.  Name the record instead of the codec.
            culprit = next((r for r in records if has_unencodable(r)), None)
            raise ValueError(
                f"{culprit!r}: holds a string that is not valid Unicode "
                f"(lone surrogate); Neo4j stores UTF-8 only"
            ) from exc
        except (DriverError, Neo4jError) as exc:
            raise StoreError(f"Neo4j write failed: {exc}") from exc

    def _read(self, query: str, **params: Any) -> list[Any]:
        try:
            records, _, _ = self._driver.execute_query(
                query, params, database_=self.database, routing_=RoutingControl.READ
            )
        except (DriverError, Neo4jError) as exc:
            raise StoreError(f"Neo4j read failed: {exc}") from exc
        return records

    def _stream(self, query: str, **params: Any) -> Iterator[Any]:
        """Records of a read query, fetched lazily (the driver pulls 1000 at a time).

        For the ``iter_*`` methods, whose results can be the whole graph.  An
        auto-commit transaction, since a managed one cannot outlive its
        function; a read has nothing to retry halfway anyway.
        """
        try:
            with self._driver.session(
                database=self.database, default_access_mode=READ_ACCESS
            ) as session:
                yield from session.run(query, params)
        except (DriverError, Neo4jError) as exc:
            raise StoreError(f"Neo4j read failed: {exc}") from exc

    def _read_write(self, query: str, **params: Any) -> list[Any]:
        try:
            records, _, _ = self._driver.execute_query(query, params, database_=self.database)
        except (DriverError, Neo4jError) as exc:
            raise StoreError(f"Neo4j write failed: {exc}") from exc
        return records

    def ping(self) -> bool:
        """True when the server answers."""
        try:
            self._driver.verify_connectivity()
        except (DriverError, Neo4jError, OSError):
            return False
        return True

    def close(self) -> None:
        """Close the driver (unless it was passed in)."""
        if self._owns_driver:
            self._driver.close()
