"""Start and stop a private Neo4j through ``scripts/neo4j/neo4j.sh`` (development and tests).

Needs a source checkout (the script and its ``pom.xml`` are not part of the
installed package).  The test fixture ``neo4j_server`` and
``benchmarks/bench_store.py`` use it; production points ``GRAPHSIEM_NEO4J_URI``
at a managed server instead.
"""

from __future__ import annotations

import os
import secrets
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from graphsiem.store.neo4j_store import Neo4jStore

REPO_ROOT = Path(__file__).resolve().parents[2]
NEO4J_SCRIPT = REPO_ROOT / "scripts" / "neo4j" / "neo4j.sh"


class Neo4jStartError(RuntimeError):
    """The server did not start; the message holds the script's output and server log."""


@dataclass(frozen=True)
class Neo4jServer:
    """Where a Neo4j listens and how to log in."""

    uri: str
    user: str
    password: str
    database: str = "neo4j"

    @classmethod
    def from_env(cls) -> Neo4jServer | None:
        """The server named by ``GRAPHSIEM_NEO4J_URI`` (+ ``_USER``, ``_PASSWORD``, ``_DATABASE``)."""
        uri = os.environ.get("GRAPHSIEM_NEO4J_URI")
        if not uri:
            return None
        return cls(
            uri,
            os.environ.get("GRAPHSIEM_NEO4J_USER", "neo4j"),
            os.environ.get("GRAPHSIEM_NEO4J_PASSWORD", ""),
            os.environ.get("GRAPHSIEM_NEO4J_DATABASE", "neo4j"),
        )

    def connect(self, **kwargs: Any) -> Neo4jStore:
        """A new :class:`~graphsiem.store.neo4j_store.Neo4jStore` (with its own driver)."""
        from graphsiem.store.neo4j_store import Neo4jStore

        return Neo4jStore(
            self.uri, user=self.user, password=self.password, database=self.database, **kwargs
        )

    def environ(self) -> dict[str, str]:
        """The ``GRAPHSIEM_NEO4J_*`` variables for subprocesses (CLI, API) that should use it."""
        return {
            "GRAPHSIEM_NEO4J_URI": self.uri,
            "GRAPHSIEM_NEO4J_USER": self.user,
            "GRAPHSIEM_NEO4J_PASSWORD": self.password,
            "GRAPHSIEM_NEO4J_DATABASE": self.database,
        }


def start_private_server(home: Path, *, timeout: float = 300.0) -> Neo4jServer:
    """Start a Neo4j with its own home, a free Bolt port and a random password.

    Parameters
    ----------
    home : Path
        An empty (or previously used by this function) directory.
    timeout : float
        Seconds to wait for Bolt; a cold JVM on a loaded 2-core box is slow.

    Raises
    ------
    Neo4jStartError
        With the script's output and the tail of the server log.
    """
    password = "gs" + secrets.token_hex(16)  # never starts with "-" (neo4j-admin would read an option)
    env = dict(os.environ, NEO4J_PASSWORD=password, NEO4J_START_TIMEOUT=str(int(timeout)))
    proc = subprocess.run(
        [str(NEO4J_SCRIPT), "start", str(home)],
        env=env, capture_output=True, text=True, timeout=timeout + 300, check=False,
    )
    if proc.returncode != 0:
        raise Neo4jStartError(
            f"Neo4j did not start (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
        )
    info = dict(line.split("=", 1) for line in proc.stdout.splitlines() if "=" in line)
    return Neo4jServer(info["bolt_uri"], "neo4j", password)


def stop_private_server(home: Path) -> None:
    """Stop the server started in ``home`` (by its PID file)."""
    subprocess.run([str(NEO4J_SCRIPT), "stop", str(home)], capture_output=True, check=False)
