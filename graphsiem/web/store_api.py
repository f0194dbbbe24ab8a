"""``GET /v1/store``: which store the service reads, for the page's "Copy as Python".

The snippet the page writes must open the service's own store, not a guess
(review R4, item 12).  Mounted with the page (as ``/v1/evidence``), analyst
role.  A Neo4j URI is given without its user information: credentials never
leave the service (the snippet reads them from ``GRAPHSIEM_NEO4J_*`` as the
service does).  The data directory is not given either: no response carries a
server path (docs/api.md), and a notebook names its own, as the CLI does
(``GRAPHSIEM_DATA``).
"""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from graphsiem.api.deps import AnalystCaller, Context
from graphsiem.uri_credentials import split_credentials

router = APIRouter(prefix="/v1", tags=["store"])


class StoreOut(BaseModel):
    """How to open the service's store with ``graphsiem.store.open_store``."""

    kind: str = Field(description='"embedded" or "neo4j".')
    spec: str = Field(description='open_store\'s spec: "embedded", or the Neo4j URI without user or password.')
    database: str | None = Field(default=None, description="The Neo4j database (null for the embedded store).")


def store_description(store: object) -> StoreOut:
    """The :class:`StoreOut` of ``store``, without credentials or a server path.

    Parameters
    ----------
    store : GraphStore
        The service's store: ``name`` ``"embedded"`` or ``"neo4j"`` (with ``uri`` and ``database``).

    Examples
    --------
    >>> class Neo:
    ...     name, uri, database = "neo4j", "bolt://neo4j:s3cret@db:7687", "graph"
    >>> store_description(Neo()).model_dump()
    {'kind': 'neo4j', 'spec': 'bolt://db:7687', 'database': 'graph'}
    """
    kind = str(getattr(store, "name", "embedded"))
    if kind == "neo4j":
        bare, _user, _password = split_credentials(str(getattr(store, "uri", "")))
        return StoreOut(kind=kind, spec=bare, database=getattr(store, "database", None))
    return StoreOut(kind=kind, spec=kind)


@router.get("/store", response_model=StoreOut, summary="The service's store (no credentials)")
def get_store(ctx: Context, _: AnalystCaller) -> StoreOut:
    """Which store the service reads, as ``open_store`` takes it."""
    return store_description(ctx.store)
