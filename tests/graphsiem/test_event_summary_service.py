"""A service install's one-line summary names the service (review U5 #5).

The demo's BYOVD driver is installed under a different random service name on each of 12 hosts, and
the cluster's first check says so; the host Timeline (and ``graphsiem events``, and the evidence
answer's ``summary``) read "file C:\\Windows\\Temp\\RTCore64.sys" alone.  Fields as the Winlogbeat
parser gives them for a Security 4697 of the simulated fleet.
"""

from __future__ import annotations

from graphsiem.event_summary import summarize

INSTALL_4697 = {
    "event.code": "4697", "event.channel": "Security", "subject.user.name": "nt authority\\system",
    "service.name": "fBQRYqkz", "service.type": "kernel mode driver", "service.start_type": "demand start",
    "file.path": "C:\\Windows\\Temp\\RTCore64.sys", "file.name": "rtcore64.sys",
}


def test_a_service_install_names_its_service_and_type() -> None:
    assert summarize(INSTALL_4697, kind="windows:service_installed") == (
        "service fBQRYqkz (kernel mode driver) · file C:\\Windows\\Temp\\RTCore64.sys")


def test_a_service_without_a_type_is_named_alone() -> None:
    fields = {k: v for k, v in INSTALL_4697.items() if k != "service.type"}
    assert summarize(fields, kind="windows:service_installed").startswith("service fBQRYqkz · file ")


def test_a_steering_character_in_the_name_is_shown_as_its_code() -> None:
    fields = {**INSTALL_4697, "service.name": "svc\u202etxt"}
    assert summarize(fields).startswith("service svc\\u202etxt (kernel mode driver)")
