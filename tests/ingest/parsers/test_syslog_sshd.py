"""sshd and PAM log-on lines (ingest/parsers/syslog_sshd.py): the client chooses the user name, so no
text in it may become the source address, through the parser and into the graph."""

from __future__ import annotations

from pathlib import Path

import pytest

from graphsiem.model import Event
from ingest.journal import Journal
from ingest.parsers.base import ParseContext
from ingest.parsers.syslog import SyslogParser
from ingest.pipeline import ingest_paths

PARSER = SyslogParser()
CONTEXT = ParseContext(origin="t:1", reference_year=2024)
HEAD = "Mar  5 10:20:01 bastion sshd[4242]: "


def parse(message: str) -> Event:
    (event,) = PARSER.parse(HEAD + message, CONTEXT)
    return event


@pytest.mark.parametrize(("message", "user", "port"), [
    ("Failed password for invalid user x from 10.1.2.42 port 22 from 198.51.100.9 port 40000 ssh2",
     "x from 10.1.2.42 port 22", 40000),
    ("Invalid user y from 10.1.2.42 port 22 from 198.51.100.9 port 40001", "y from 10.1.2.42 port 22", 40001),
    ("Invalid user y from 10.1.2.42 port 22 from 198.51.100.9", "y from 10.1.2.42 port 22", None),
    ("Failed publickey for invalid user z from 10.1.2.42 port 22 ssh2 from 198.51.100.9 port 40002 ssh2: "
     "RSA SHA256:abc", "z from 10.1.2.42 port 22 ssh2", 40002),
    ("Failed password for invalid user a rhost=10.1.2.42 from 198.51.100.9 port 40003 ssh2",
     "a rhost=10.1.2.42", 40003),
    ("message repeated 2 times: [ Failed password for invalid user b from 10.1.2.42 port 22 "
     "from 198.51.100.9 port 40004 ssh2]", "b from 10.1.2.42 port 22", 40004),
])
def test_the_source_is_the_last_from_address_port_and_the_name_is_all_before_it(message, user, port) -> None:
    fields = parse(message).fields
    assert (fields["source.ip"], fields.get("source.port")) == ("198.51.100.9", port)
    assert fields["user.name"] == user
    assert fields["event.outcome"] == "failure"


@pytest.mark.parametrize("message", [
    "Connection closed by invalid user rhost=10.1.2.42 198.51.100.9 port 40000 [preauth]",
    "Connection closed by invalid user Failed password for x from 10.1.2.42 port 22 198.51.100.9 port 40000 "
    "[preauth]",
    "Disconnected from authenticating user Invalid user z from 10.1.2.42 port 22 198.51.100.9 port 40000 "
    "[preauth]",
    "Disconnected from invalid user user=root 198.51.100.9 port 40000 [preauth]",
])
def test_a_name_in_another_sshd_line_is_not_read_as_a_log_on(message: str) -> None:
    """These lines carry the client's name too; nothing in it is a log-on, a source or a user."""
    fields = parse(message).fields
    assert not {"source.ip", "source.port", "user.name", "event.outcome"} & fields.keys()


def test_pam_failure_keys_still_name_the_remote_host_and_the_user() -> None:
    fields = parse("pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= "
                   "rhost=198.51.100.9  user=root").fields
    assert (fields["source.ip"], fields["user.name"]) == ("198.51.100.9", "root")


def test_a_spoofed_address_is_not_journaled_and_the_whole_name_is_the_user(
        tmp_path: Path, journal: Journal, graph) -> None:
    log = tmp_path / "auth.log"
    log.write_text(HEAD + "Failed password for invalid user x from 10.1.2.42 port 22 from 198.51.100.9 "
                   "port 40000 ssh2\n", "utf-8")
    report = ingest_paths([log], store=graph, journal=journal, progress=False, reference_year=2024)
    assert report.total.accepted == 1
    (item,) = journal.iter_events()
    assert item.event.fields["source.ip"] == "198.51.100.9"
    assert item.event.fields.get("source.port") == 40000
    # the whole name is the user seen on the bastion; no account "x" is made up from part of it
    assert graph.get_entity("user", "x from 10.1.2.42 port 22") is not None
    assert graph.get_entity("user", "x") is None


@pytest.mark.parametrize("message", [
    "Accepted publickey for jdoe from 192.0.2.66 port 52311 ssh2: ED25519-CERT SHA256:abc ID x from 10.1.2.42 "
    "port 22: y (serial 1) CA ED25519 SHA256:def",
    "Failed publickey for invalid user q from 10.1.2.42 port 22 from 192.0.2.66 port 52311 ssh2: RSA-CERT "
    "SHA256:abc ID x from 10.1.2.43 port 22 ssh2: z (serial 2) CA RSA SHA256:def",
])
def test_an_address_in_a_certificate_id_after_the_key_is_not_the_source(message: str) -> None:
    fields = parse(message).fields
    assert (fields["source.ip"], fields["source.port"]) == ("192.0.2.66", 52311)


def test_a_name_holding_the_key_separator_is_read_on_a_keyless_line() -> None:
    fields = parse("Failed password for invalid user a ssh2: b from 10.1.2.42 port 22 "
                   "from 198.51.100.9 port 4000 ssh2").fields
    assert (fields["source.ip"], fields["user.name"]) == ("198.51.100.9", "a ssh2: b from 10.1.2.42 port 22")


@pytest.mark.parametrize(("message", "user"), [
    # a name copying sshd's key text before the real address: the first " ssh2: " was taken as sshd's,
    # and the address before it (the client's choice) became the source
    ("Failed password for invalid user x from 10.1.2.42 port 1 ssh2: RSA SHA256:y from 198.51.100.9 port 4000 ssh2",
     "x from 10.1.2.42 port 1 ssh2: RSA SHA256:y"),
    ("Failed publickey for invalid user x from 10.1.2.42 port 1 ssh2: RSA SHA256:y from 198.51.100.9 port 4000 "
     "ssh2: ED25519 SHA256:realkey", "x from 10.1.2.42 port 1 ssh2: RSA SHA256:y"),
    ("Failed publickey for invalid user a ssh2: b from 198.51.100.9 port 4000 ssh2: RSA-CERT "
     "SHA256:abc ID x from 10.1.2.43 port 22 ssh2 (serial 2) CA RSA SHA256:def", "a ssh2: b"),
    # a name ending "ssh2:": a consuming search took the blank before the real " from" and found nothing
    ("Failed publickey for invalid user a from 10.1.2.42 port 1 ssh2: from 198.51.100.9 port 4000 ssh2: RSA "
     "SHA256:abcdef", "a from 10.1.2.42 port 1 ssh2:"),
    ("Accepted publickey for a ssh2: b from 198.51.100.9 port 4000 ssh2: RSA 0f:a1:33:00:11:22:33:44:55:66:77:88:"
     "99:aa:bb:cc [preauth]", "a ssh2: b"),  # an OpenSSH before 6.8 writes MD5 fingerprints bare
])
def test_a_name_copying_sshds_key_text_does_not_choose_the_source(message: str, user: str) -> None:
    fields = parse(message).fields
    assert (fields["source.ip"], fields["source.port"], fields["user.name"]) == ("198.51.100.9", 4000, user.lower())


def test_a_certificate_line_that_two_readings_fit_is_left_unread() -> None:
    """The name and the ID are both the client's: each copies a whole certificate line's ending."""
    fields = parse("Failed publickey for invalid user x from 10.1.2.42 port 1 ssh2: RSA-CERT SHA256:a ID i "
                   "(serial 1) CA RSA SHA256:b from 198.51.100.9 port 4000 ssh2: RSA-CERT SHA256:c ID j "
                   "(serial 2) CA RSA SHA256:d").fields
    assert not {"source.ip", "user.name"} & fields.keys()


@pytest.mark.parametrize(("message", "user"), [
    ("Failed password for root from 198.51.100.9 port 40010 ssh2 ", "root"),  # a forwarder's padding
    ("Failed password for root from 198.51.100.9 port 40010 ssh1", "root"),  # protocol 1 (older OpenSSH)
    ("Failed password for invalid user r ssh1: x from 10.1.2.42 port 22 from 198.51.100.9 port 40010 ssh1",
     "r ssh1: x from 10.1.2.42 port 22"),
])
def test_trailing_blanks_and_protocol_1_lines_keep_their_source(message: str, user: str) -> None:
    # the whole-line match read neither: brute-force lines dropped out of the graph
    event = parse(message)
    assert (event.fields["source.ip"], event.fields["source.port"]) == ("198.51.100.9", 40010)
    assert event.fields["user.name"] == user
