"""sshd and PAM log-on lines are log-ons in the graph, as Windows 4624/4625 are (task G, item 1)."""

from __future__ import annotations

from pathlib import Path

from graphsiem.model import Projection
from ingest.parsers.base import ParseContext
from ingest.parsers.syslog import parse_syslog_text, windows_events_in_zeek_syslog
from ingest.projection import Projector


def project_lines(*lines: str) -> Projection:
    events = []
    for number, line in enumerate(lines):
        event = parse_syslog_text(line, ParseContext(reference_year=2025))
        event.id = f"e{number}"
        events.append(event)
    return Projector().project(events)


def relations(projection: Projection) -> set[tuple[str, str, str, str, str]]:
    return {(r.src[0], r.src[1], r.type, r.dst[0], r.dst[1]) for r in projection.relations}


def test_accepted_sshd_logon_is_the_user_and_the_address_logged_on_the_host() -> None:
    for method in ("password", "publickey", "keyboard-interactive/pam"):
        projection = project_lines(
            f"Jun 14 15:16:05 web1 sshd[124]: Accepted {method} for root from 203.0.113.9 port 4243 ssh2")
        assert relations(projection) == {
            ("user", "root", "LOGGED_ON", "host", "web1"),
            ("ip", "203.0.113.9", "LOGGED_ON", "host", "web1"),
        }, method
    # the same line carried by a Zeek syslog record is the sender's, already in its own log: no endpoint event
    record = {"message": "<38>Jun 14 15:16:05 web1 sshd[124]: Accepted password for root from 203.0.113.9 "
                         "port 4243 ssh2"}
    assert windows_events_in_zeek_syslog(record, ParseContext(reference_year=2025)) == []


def test_failed_sshd_logons_touch_the_user_and_connect_the_address() -> None:
    projection = project_lines(
        "Jun 14 15:16:05 web1 sshd[124]: Failed password for invalid user admin from 192.0.2.66 port 52311 ssh2",
        "Jun 14 15:16:06 web1 sshd[125]: Invalid user oracle from 192.0.2.67 port 40001",
    )
    assert relations(projection) == {
        ("ip", "192.0.2.66", "CONNECTED", "host", "web1"),
        ("ip", "192.0.2.67", "CONNECTED", "host", "web1"),
    }
    assert {("user", "admin"), ("user", "oracle")} <= {s.entity for s in projection.sightings}


def test_pam_authentication_failure_connects_its_remote_host_address_or_name() -> None:
    projection = project_lines(
        "Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure; logname= uid=0 euid=0 "
        "tty=NODEVssh ruser= rhost=218.188.2.4 ",
        "Jun 15 02:04:59 combo sshd(pam_unix)[20882]: authentication failure; logname= uid=0 euid=0 "
        "tty=NODEVssh ruser= rhost=220-135-151-1.hinet-ip.hinet.net  user=root",
        # the machine itself names no other machine
        "Jun 15 02:05:00 combo sshd(pam_unix)[20883]: authentication failure; logname= uid=0 euid=0 "
        "tty=NODEVssh ruser= rhost=localhost  user=bob",
    )
    assert relations(projection) == {
        ("ip", "218.188.2.4", "CONNECTED", "host", "combo"),
        ("host", "220-135-151-1", "CONNECTED", "host", "combo"),
    }
    assert {("user", "root"), ("user", "bob")} <= {s.entity for s in projection.sightings}


def test_loghub_linux_pam_failures_connect_every_remote_source(samples_dir: Path) -> None:
    lines = (samples_dir / "loghub" / "Linux_2k.log").read_text(encoding="utf-8").splitlines()
    projection = project_lines(*lines)
    sources = {(r.src[0], r.src[1]) for r in projection.relations
               if r.type == "CONNECTED" and r.dst == ("host", "combo")}
    # 48 distinct rhost= values among the 490 PAM failures, one of them empty (a local gdm log-on)
    assert len(sources) == 47
    assert sum(1 for kind, _ in sources if kind == "ip") == 27
