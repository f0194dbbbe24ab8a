"""One account is one ``user.name`` whichever parser saw it (``ingest.normalize.normalize_user``)."""

from __future__ import annotations

import pytest

from ingest.normalize import normalize_user
from ingest.parsers.base import ParseContext
from ingest.registry import default_registry


@pytest.mark.parametrize(("domain", "name", "expected"), [
    ("CORP.EXAMPLE", "Bob", "corp\\bob"),
    ("corp", "BOB", "corp\\bob"),
    (None, "CORP.EXAMPLE\\Bob", "corp\\bob"),
    ("OTHER", "CORP\\Bob", "corp\\bob"),  # the domain written in the name wins
    (None, "Bob@corp.example", "corp\\bob"),  # a UPN
    (None, "bob", "bob"),
    ("-", "bob", "bob"),  # an unset domain
    (None, "@corp", "@corp"),  # no account before the @: not a UPN
    (None, "NT AUTHORITY\\SYSTEM", "nt authority\\system"),
    (".", "admin", ".\\admin"),  # '.' is the local machine
])
def test_normalize_user(domain: object, name: object, expected: str) -> None:
    assert normalize_user(domain, name) == expected


BOB = [
    {"TimeGenerated": "2024-03-05T10:00:00Z", "Computer": "DC-1", "EventID": 4624, "Channel": "Security",
     "EventData": {"TargetUserName": "Bob", "TargetDomainName": "CORP.EXAMPLE", "LogonType": "3"}},
    {"@timestamp": "2024-03-05T10:00:00Z", "host": {"name": "ws-1"}, "process": {"executable": "C:\\a.exe"},
     "user": {"name": "Bob", "domain": "CORP"}},
    {"@timestamp": "2024-03-05T10:00:00Z", "host": {"name": "ws-1"}, "process": {"executable": "C:\\a.exe"},
     "user": {"name": "bob@corp.example"}},
    "<13>1 2024-03-05T10:00:00Z proxy01 squid - - - CEF:0|Squid|Proxy|4|GET|request|3|src=10.0.0.5 "
    "dst=198.51.100.7 suser=CORP\\\\Bob request=http://cdn.example/x.png",
]


@pytest.mark.parametrize("record", BOB, ids=["windows-4624", "ecs-domain", "ecs-upn", "cef-suser"])
def test_one_account_is_one_user_whichever_parser_saw_it(record: object) -> None:
    parser = default_registry().detect(record)
    (event, *_) = list(parser.parse(record, ParseContext(origin="t:1")))
    assert event.fields["user.name"] == "corp\\bob"
