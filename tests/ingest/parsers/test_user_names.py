"""One account is one ``user.name`` whichever parser saw it (``ingest.normalize.normalize_user``)."""

from __future__ import annotations

import pytest

from ingest.normalize import normalize_user
from ingest.parsers.base import ParseContext
from ingest.registry import default_registry


@pytest.mark.parametrize(("domain", "name", "first_label", "expected"), [
    ("CORP.EXAMPLE", "Bob", True, "corp\\bob"),  # Windows: SHIRE and shire.com are one domain
    ("CORP.EXAMPLE", "Bob", False, "corp.example\\bob"),  # elsewhere the whole domain stays
    ("corp", "BOB", False, "corp\\bob"),
    (None, "CORP.EXAMPLE\\Bob", True, "corp\\bob"),
    ("OTHER", "CORP\\Bob", False, "corp\\bob"),  # the domain written in the name wins
    (None, "Bob@corp.example", True, "corp\\bob"),  # a UPN
    (None, "bob@corp.attacker.net", False, "corp.attacker.net\\bob"),  # a VPN user is not corp\\bob
    (None, "bob", False, "bob"),
    ("-", "bob", True, "bob"),  # an unset domain
    (None, "@corp", False, "@corp"),  # no account before the @: not a UPN
    (None, "NT AUTHORITY\\SYSTEM", True, "nt authority\\system"),
    (".", "admin", True, ".\\admin"),  # '.' is the local machine
])
def test_normalize_user(domain: object, name: object, first_label: bool, expected: str) -> None:
    assert normalize_user(domain, name, first_label=first_label) == expected


BOB = [
    {"TimeGenerated": "2024-03-05T10:00:00Z", "Computer": "DC-1", "EventID": 4624, "Channel": "Security",
     "EventData": {"TargetUserName": "Bob", "TargetDomainName": "CORP.EXAMPLE", "LogonType": "3"}},
    {"@timestamp": "2024-03-05T10:00:00Z", "host": {"name": "ws-1"}, "process": {"executable": "C:\\a.exe"},
     "user": {"name": "Bob", "domain": "CORP"}},
    "<13>1 2024-03-05T10:00:00Z proxy01 squid - - - CEF:0|Squid|Proxy|4|GET|request|3|src=10.0.0.5 "
    "dst=198.51.100.7 suser=CORP\\\\Bob request=http://cdn.example/x.png",
]


@pytest.mark.parametrize("record", BOB, ids=["windows-4624", "ecs-domain", "cef-suser"])
def test_one_account_is_one_user_whichever_parser_saw_it(record: object) -> None:
    parser = default_registry().detect(record)
    (event, *_) = list(parser.parse(record, ParseContext(origin="t:1")))
    assert event.fields["user.name"] == "corp\\bob"


def test_a_upn_outside_windows_keeps_its_whole_domain() -> None:
    record = {"@timestamp": "2024-03-05T10:00:00Z", "host": {"name": "ws-1"},
              "process": {"executable": "C:\\a.exe"}, "user": {"name": "bob@corp.attacker.net"}}
    (event,) = default_registry().detect(record).parse(record, ParseContext(origin="t:1"))
    assert event.fields["user.name"] == "corp.attacker.net\\bob"
