"""A field an attacker writes cannot steer how a body or file is framed (review RV1, items 3, 4 and "Also").

* A body is never split on a bare ``\\r``: the review's ``cr1.log`` (one syslog
  line whose field holds ``\\r<13>... dc01 sshd: Accepted password for
  administrator``) posted as ``text/plain`` gave two records, the second forged.
  An uploaded file of genuine bare-CR lines is still read line by line.
* One hostile line (700 ESC, 7,000 ``\\xff``) no longer makes a 2,002-line
  upload binary (422 for the whole file): that line is one record.
* A ``text/plain`` body whose first line is Zeek's ``#separator`` is read as
  Zeek TSV (its header governs the rows), as the same file uploaded is.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.api.conftest import Api

FORGED = (b"<13>Nov 29 10:00:00 web01 app: login failed user=x\r<13>Nov 29 10:00:00 dc01 sshd[1]: "
          b"Accepted password for administrator from 10.9.9.9 port 22 ssh2")
SSHD = "Nov 20 09:00:{s:02d} web1 sshd[42]: Failed password for {user} from 10.0.0.9 port 22 ssh2\n"


def _log(users: list[bytes]) -> bytes:
    return b"".join(SSHD.format(s=i % 60, user="{}").encode().replace(b"{}", u) for i, u in enumerate(users))


def _counts(report: dict[str, Any]) -> tuple[int, int, int, int]:
    return report["received"], report["accepted"], report["rejected"], report["duplicates"]


def _events(api: Api, body: bytes, content_type: str) -> dict[str, Any]:
    answer = api.post("/v1/events", role="ingest", content=body, headers={"Content-Type": content_type},
                      params={"year": "2026"})
    assert answer.status_code == 200, answer.text
    return answer.json()


def _upload(api: Api, name: str, body: bytes) -> Any:
    return api.post("/v1/files", role="ingest", files={"file": (name, body)}, params={"year": "2026"})


@pytest.mark.parametrize("content_type", ["text/plain", "application/octet-stream"])
def test_a_cr_in_one_messages_field_does_not_forge_a_record(api: Api, content_type: str) -> None:
    report = _events(api, FORGED, content_type)
    assert report["received"] == 1, report  # before: 2, the second an "Accepted password for administrator"
    hosts = {e.event.fields.get("host.name") for e in api.ctx.ingest.journal().iter_events()}
    assert "dc01" not in hosts


def test_an_uploaded_file_of_bare_cr_lines_is_read_line_by_line(api: Api) -> None:
    answer = _upload(api, "mac.log", _log([b"m0", b"m1", b"m2"]).replace(b"\n", b"\r"))
    assert answer.status_code == 200, answer.text
    assert _counts(answer.json())[:2] == (3, 3)
    answer = _upload(api, "cr1.log", FORGED)
    assert answer.status_code == 200, answer.text
    assert answer.json()["received"] == 1  # before: 2


@pytest.mark.parametrize("field", [b"\x1b" * 700, b"\xff" * 7000], ids=["esc", "xff"])
def test_one_hostile_line_does_not_refuse_an_upload_or_a_body(api: Api, field: bytes) -> None:
    users = [f"user{i}".encode() for i in range(2002)]
    users[1] = field
    data = _log(users)
    answer = _upload(api, "auth.log", data)
    assert answer.status_code == 200, answer.text  # before: 422, "no reader recognises this file"
    report = answer.json()
    assert report["received"] == 2002 and report["accepted"] >= 2001, report
    # a body of no text type is read as a file (before: 422 too); the batch limit is 1,000 records
    report = _events(api, _log(users[:900]), "application/octet-stream")
    assert report["received"] == 900 and report["duplicates"] >= 899, report


def test_a_zeek_tsv_body_sent_as_text_plain_reads_as_the_file(api: Api, samples_dir: Path) -> None:
    data = (samples_dir / "brimdata-zed-sample-data" / "zeek-default" / "ssh.log").read_bytes()
    answer = _upload(api, "ssh.log", data)
    assert answer.status_code == 200, answer.text
    uploaded = answer.json()
    assert uploaded["accepted"] == uploaded["received"] > 0
    posted = _events(api, data, "text/plain")
    # the same records: every one a duplicate of the upload's (before: each row read alone, all rejected)
    assert (posted["received"], posted["rejected"], posted["duplicates"]) == (uploaded["received"], 0,
                                                                               uploaded["received"]), posted
    assert set(posted["by_format"]) == set(uploaded["by_format"]) == {"zeek"}


def test_only_zeeks_header_steers_a_text_plain_body(api: Api) -> None:
    # a CSV header first is still one line among others (review R2, item 6): the syslog line is accepted
    good = _log([b"bob"])
    report = _events(api, b"TimeGenerated,Computer,EventID\n" + good, "text/plain")
    assert (report["received"], report["accepted"]) == (2, 1), report
