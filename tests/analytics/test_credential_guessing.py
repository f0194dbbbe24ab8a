"""SSH bots over several servers: one finding, ranked under a targeted spray (task CRED7 item 2).

The corpus holds one Linux host (loghub's ``combo``: a brute force of ``root``), so the fleet is built here
from the record shapes current OpenSSH writes (``Invalid user NAME from ADDR port N``, ``Failed password
for [invalid user] NAME from ADDR port N ssh2``, rsyslog's file format): an internet bot trying the
world's default names on four servers from one address, a few on each (under every per-host count), and
a sprayer trying twelve of our users' names on the same servers.  Both were "Password spray" at 85; the
bot now reads as SSH guessing of default names, under the targeted spray.  Real ingests through the
pipeline into a real journal and store.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from analytics.credential_spray import PATTERN_RISK
from analytics.detect import detect
from graphsiem.store.base import GraphStore
from graphsiem.store.embedded import EmbeddedStore
from ingest.journal import Journal
from ingest.pipeline import ingest_paths

BASE = 1_793_000_000
BOT = "198.51.100.23"
SPRAYER = "203.0.113.40"
SERVERS = ["web01", "web02", "db01", "mail01"]
DEFAULTS = ["admin", "test", "oracle", "ubuntu", "pi", "guest", "ftpuser", "postgres", "git", "user",
            "support", "deploy"]
USERS = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory", "oscar"]


def _line(ts: float, host: str, pid: int, text: str) -> str:
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts)) + f".{int(ts % 1 * 1e6):06d}+00:00"
    return f"{stamp} {host} sshd[{pid}]: {text}\n"


def _try(ts: float, host: str, pid: int, user: str, address: str, exists: bool) -> list[str]:
    """One connection, one password: OpenSSH's notice of an unknown name, then its verdict."""
    port = 40000 + pid % 20000
    if exists:
        return [_line(ts, host, pid, f"Failed password for {user} from {address} port {port} ssh2")]
    return [_line(ts, host, pid, f"Invalid user {user} from {address} port {port}"),
            _line(ts + 0.5, host, pid, f"Failed password for invalid user {user} from {address} port {port} ssh2")]


def bot(start: float) -> list[str]:
    """Twelve default names, one try each, round-robin over the four servers, plus ``root`` twice on each."""
    lines = [line for n, name in enumerate(DEFAULTS)
             for line in _try(start + 30 * n, SERVERS[n % 4], 1000 + n, name, BOT, exists=False)]
    lines += [line for n in range(8)
              for line in _try(start + 400 + 30 * n, SERVERS[n % 4], 2000 + n, "root", BOT, exists=True)]
    return lines


def targeted(start: float) -> list[str]:
    """Twelve of our users' names (they exist), one try each, round-robin over the same servers."""
    return [line for n, name in enumerate(USERS)
            for line in _try(start + 25 * n, SERVERS[n % 4], 3000 + n, name, SPRAYER, exists=True)]


def credential(store: GraphStore, tmp_path: Path, lines: list[str]) -> list[Any]:
    path = tmp_path / "auth.log"
    path.write_text("".join(sorted(lines)))
    with Journal(tmp_path / "journal.sqlite") as journal:
        report = ingest_paths([path], store=store, journal=journal, progress=False)
        assert report.total.rejected == 0 and report.total.accepted == len(lines)
        store.flush()
        result = detect(store, journal=journal, now=BASE + 4 * 3600)
    return [c for c in result.clusters if c.credential is not None]


def test_a_bot_guessing_default_names_on_four_servers_is_one_finding_under_a_targeted_spray(
        store: GraphStore, tmp_path: Path) -> None:
    found = credential(store, tmp_path, [*bot(BASE + 3600), *targeted(BASE + 5400)])
    by_source = {c.credential["source_ips"][0]["label"]: c for c in found}
    assert sorted(by_source) == sorted([SPRAYER, BOT]), [c.credential["source_ips"] for c in found]
    guessing, spray = by_source[BOT], by_source[SPRAYER]
    assert sorted(guessing.credential["validators"]) == sorted(SERVERS)
    assert guessing.credential["pattern"] == "ssh_guessing"  # was password_spray, at the spray's risk
    assert guessing.score == PATTERN_RISK["ssh_guessing"] < spray.score == PATTERN_RISK["password_spray"]
    assert found.index(spray) < found.index(guessing)
    summary = guessing.explanation.summary
    assert summary.startswith("SSH guessing of default names: 1 address tried 13 accounts on 4 hosts"), summary
    assert "12 of the 13 names tried do not exist on the hosts (admin, deploy, ftpuser, git, ...)" in summary
    assert "Find the client behind the SSH attempts" in guessing.explanation.checks[0].check


def test_a_targeted_ssh_spray_of_existing_users_stays_a_spray(tmp_path: Path) -> None:
    [spray] = credential(EmbeddedStore(tmp_path / "graph"), tmp_path, targeted(BASE + 3600))
    assert spray.credential["pattern"] == "password_spray"
    assert spray.score == PATTERN_RISK["password_spray"]
    assert sorted(spray.credential["validators"]) == sorted(SERVERS)


def test_a_targeted_spray_padded_with_made_up_names_stays_a_spray(tmp_path: Path) -> None:
    """Half the names not existing is no bot's tell when the rest are a spray of our users on their own:
    twelve made-up names tried beside the twelve users would otherwise buy the sprayer risk 50."""
    padding = [line for n, name in enumerate(DEFAULTS)
               for line in _try(BASE + 3610 + 25 * n, SERVERS[n % 4], 5000 + n, name, SPRAYER, exists=False)]
    [spray] = credential(EmbeddedStore(tmp_path / "graph"), tmp_path, [*targeted(BASE + 3600), *padding])
    assert spray.credential["pattern"] == "password_spray"
    assert spray.score == PATTERN_RISK["password_spray"]
