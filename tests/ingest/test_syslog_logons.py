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
    # the reverse name stays a field of the event (task L), no host of its first label
    assert relations(projection) == {("ip", "218.188.2.4", "CONNECTED", "host", "combo")}
    assert {("user", "root"), ("user", "bob")} <= {s.entity for s in projection.sightings}


def test_loghub_linux_pam_failures_connect_every_remote_source(samples_dir: Path) -> None:
    lines = (samples_dir / "loghub" / "Linux_2k.log").read_text(encoding="utf-8").splitlines()
    projection = project_lines(*lines)
    sources = {(r.src[0], r.src[1]) for r in projection.relations
               if r.type == "CONNECTED" and r.dst == ("host", "combo")}
    # 48 distinct rhost= values among the 490 PAM failures, one of them empty (a local gdm log-on):
    # 27 addresses, and 20 reverse names that stay fields of their events, never hosts (task L:
    # 68.143.156.89.nw.nuvox.net was host 68)
    assert {kind for kind, _ in sources} == {"ip"}
    assert len(sources) == 27
    assert {e.ref for e in projection.entities if e.ref[0] in ("host", "domain")} == {("host", "combo")}


def _pam_failure(rhost: str, user: str = "root", host: str = "combo") -> str:
    return (f"Jun 14 15:16:01 {host} sshd(pam_unix)[1]: authentication failure; logname= uid=0 euid=0 "
            f"tty=ssh ruser= rhost={rhost}  user={user}")


def test_a_dotted_client_name_is_its_whole_reverse_name_never_a_host_of_its_first_label() -> None:
    """Task L item 1: the reverse name is written by the address's owner, who can name it dc01.attacker.example;
    no relation of the model goes from a domain to a host, so it stays a field (as Sysmon's source.ptr)."""
    names = ("dc01.attacker.example", "mail.foo.example", "mail.bar.example", "68.143.156.89.nw.nuvox.net",
             "combo.attacker.example", "DC01.Attacker.Example.")
    projection = project_lines(*(_pam_failure(name) for name in names),
                               "Jun 14 15:16:09 combo sshd[7]: Accepted password for bob from "
                               "vpn.partner.example port 4242 ssh2")
    assert {e.ref for e in projection.entities} == {("host", "combo"), ("user", "root"), ("user", "bob")}
    assert relations(projection) == {("user", "bob", "LOGGED_ON", "host", "combo")}
    # the name stays in the event, whole
    events = [parse_syslog_text(_pam_failure(name), ParseContext(reference_year=2025)) for name in names]
    assert [event.fields["source.domain"] for event in events] == [
        "dc01.attacker.example", "mail.foo.example", "mail.bar.example", "68.143.156.89.nw.nuvox.net",
        "combo.attacker.example", "dc01.attacker.example"]


def test_a_single_label_client_name_is_a_host_claim_unless_a_placeholder_itself_or_too_long() -> None:
    projection = project_lines(_pam_failure("KALI"), _pam_failure("localhost"), _pam_failure("COMBO"),
                               _pam_failure("x" * 300), _pam_failure("a" * 64 + ".example"),
                               _pam_failure(".".join(["abc"] * 80)))
    assert relations(projection) == {("host", "kali", "CONNECTED", "host", "combo")}
    assert {e.ref[0] for e in projection.entities} == {"host", "user"}
    # the name is kept as written in the event, whatever it is
    event = parse_syslog_text(_pam_failure("x" * 300), ParseContext(reference_year=2025))
    assert event.fields["source.address"] == "x" * 300
    assert "source.workstation" not in event.fields and "source.domain" not in event.fields
