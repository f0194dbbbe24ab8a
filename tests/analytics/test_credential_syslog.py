"""A Linux host's SSH brute force is a credential finding (review U2 #2).

Loghub's host ``combo`` refused 80 SSH log-ons of ``root`` from 150.183.249.110 on Jul 10 16:01:43-16:03:18;
they were journaled as ``syslog:logon_failed`` and no finding read them (only Windows 4625/4771 were).
Now sshd's and PAM's lines are attempts on the host (the validator) from ``rhost`` for the user, an
unknown user's name too, and the lines that say one attempt twice count once
(:mod:`analytics.credential_syslog`).  Real ingests through the pipeline into a real journal, on both
stores; the loghub sample read in place from ``$GRAPHSIEM_SAMPLES``.
"""

from __future__ import annotations

import calendar
import time
from pathlib import Path
from typing import Any

from analytics.detect import detect
from graphsiem.store.base import GraphStore
from ingest.journal import Journal
from ingest.pipeline import ingest_paths

BASE = 1_793_000_000  # 2026-10-26 08:53:20 UTC
ATTACKER = "203.0.113.7"


def _line(ts: float, pid: int, text: str) -> str:
    """An rsyslog ``RSYSLOG_FileFormat`` line of web01's sshd (``/var/log/auth.log`` of current Ubuntu)."""
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts)) + f".{int(ts % 1 * 1e6):06d}+00:00"
    return f"{stamp} web01 sshd[{pid}]: {text}\n"


def _connection(ts: float, pid: int, user: str, tries: int, port: int) -> list[str]:
    """One SSH connection trying ``tries`` passwords: PAM's failure lines and sshd's own, as OpenSSH writes them."""
    invalid = user.startswith("admin")
    lines = [_line(ts, pid, f"Invalid user {user} from {ATTACKER} port {port}")] if invalid else []
    lines.append(_line(ts + 0.1, pid, "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh "
                       f"ruser= rhost={ATTACKER}" + ("" if invalid else f"  user={user}")))
    for n in range(tries):
        lines.append(_line(ts + 1 + n, pid, f"Failed password for {'invalid user ' if invalid else ''}{user} "
                           f"from {ATTACKER} port {port} ssh2"))
    if tries > 1:
        lines.append(_line(ts + 1 + tries, pid, f"PAM {tries - 1} more authentication failures; logname= uid=0 "
                           f"euid=0 tty=ssh ruser= rhost={ATTACKER}" + ("" if invalid else f"  user={user}")))
    return lines


def _findings(store: GraphStore, tmp_path: Path, lines: list[str], now: float) -> list[Any]:
    path = tmp_path / "auth.log"
    path.write_text("".join(lines))
    with Journal(tmp_path / "journal.sqlite") as journal:
        report = ingest_paths([path], store=store, journal=journal, progress=False)
        assert report.total.rejected == 0 and report.total.accepted == len(lines)
        store.flush()
        result = detect(store, journal=journal, now=now)
    return [c.credential for c in result.clusters if c.credential is not None]


def test_an_ssh_brute_force_is_a_finding_and_each_password_counts_once(store: GraphStore, tmp_path: Path) -> None:
    """8 connections of 3 tries: 24 attempts (not 24 + 16 PAM lines), then the password found."""
    lines = [line for n in range(8) for line in _connection(BASE + 60 * n, 4000 + n, "root", 3, 50000 + n)]
    lines.append(_line(BASE + 600, 4100, f"Accepted password for root from {ATTACKER} port 50100 ssh2"))
    (record,) = _findings(store, tmp_path, lines, BASE + 3600)
    assert record["validator"] == "web01"
    assert record["patterns"].keys() >= {"brute_force", "likely_compromise"}
    assert record["accounts"] == [
        {"account": "root", "attempts": 25, "failures": 24, "successes": 1, "compromised": True}]
    assert record["source_ips"] == [{"label": ATTACKER, "count": 25}]
    failures = {row["label"]: (row["count"], row["meaning"]) for row in record["outcomes"]}
    assert failures["failure ssh"] == (24, "refused by sshd or PAM")


def test_unknown_users_tried_from_one_address_are_a_spray(store: GraphStore, tmp_path: Path) -> None:
    """25 made-up names, one password each: sshd's notice and its failure line are one attempt.  None of the
    names exists on the host: a bot's guessing, under a targeted spray (CRED7, analytics/credential_guessing)."""
    lines = [line for n in range(25) for line in _connection(BASE + 20 * n, 5000 + n, f"admin{n:02d}", 1, 51000 + n)]
    (record,) = _findings(store, tmp_path, lines, BASE + 3600)
    assert record["pattern"] == "ssh_guessing" and "password_spray" not in record["patterns"]
    assert record["accounts_total"] == 25
    assert {row["attempts"] for row in record["accounts"]} == {1}
    assert [(row["label"], row["count"]) for row in record["outcomes"]] == [("failure ssh invalid user", 25)]


def test_loghubs_combo_brute_force_from_one_address_is_found(store: GraphStore, tmp_path: Path,
                                                           samples_dir: Path) -> None:
    with Journal(tmp_path / "journal.sqlite") as journal:
        report = ingest_paths([samples_dir / "loghub" / "Linux_2k.log"], store=store, journal=journal,
                              progress=False, reference_year=2026)
        assert report.total.rejected == 0
        store.flush()
        now = calendar.timegm((2026, 7, 10, 18, 0, 0))
        result = detect(store, journal=journal, now=now)
    (record,) = [c.credential for c in result.clusters if c.credential is not None]
    assert record["validator"] == "combo" and record["pattern"] == "brute_force"
    assert [row["account"] for row in record["accounts"]] == ["root"]
    sources = {row["label"]: row["count"] for row in record["source_ips"]}
    assert sources["150.183.249.110"] == 80  # 16:01:43-16:03:18
