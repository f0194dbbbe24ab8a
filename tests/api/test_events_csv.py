"""``POST /v1/events`` with CSV bodies (``text/csv``, ``text/tab-separated-values``): framing, limits, zones."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.api.conftest import Api, make_settings, running_api

HEADER = '"TimeGenerated [UTC]",Computer,EventID,Channel,TargetUserName,LogonType,IpAddress,CommandLine\n'
LOCAL_HEADER = HEADER.replace("[UTC]", "[Local Time]")
BERLIN = "Europe/Berlin"


def logon(time_text: str, host: str, command: str = "") -> str:
    quoted = command.replace('"', '""')
    return f'"{time_text}",{host},4624,Security,alice,3,10.0.0.5,"{quoted}"\n'


def body_of(*rows: str, header: str = HEADER) -> bytes:
    return (header + "".join(rows)).encode()


def journaled_times(api: Api) -> list[float]:
    return sorted(item.event.ts for item in api.ctx.ingest.journal().iter_events())


def post_csv(api: Api, body: bytes, content_type: str = "text/csv", role: str = "ingest",
             **kwargs: Any) -> Any:
    headers = {"Content-Type": content_type, **kwargs.pop("headers", {})}
    return api.post("/v1/events", role=role, content=body, headers=headers, **kwargs)


def test_a_csv_export_body_is_journaled_and_its_bad_rows_rejected_by_line(api: Api) -> None:
    body = body_of(
        logon("2/25/2025, 9:19:25.391 AM", "ws-0001"),
        logon("2/25/2025, 9:20:00.000 AM", "ws-0002", 'cmd /c "echo a,b"\nsecond line'),  # lines 3-4
        '"2/25/2025, 9:21:00.000 AM",ws-0003,4624\n',  # line 5: too few cells
        logon("2/25/2025, 9:22:00.000 AM", "ws-0004"),
        '"not a time",ws-0005,4624,Security,alice,3,10.0.0.5,x\n',  # line 7: no time the parser reads
    )
    assert post_csv(api, body, role="analyst").status_code == 403  # the ingest role, as for any body
    response = post_csv(api, body)
    report = response.json()
    assert (report["received"], report["accepted"], report["rejected"]) == (5, 3, 2)
    # a row's origin names its request: api/<X-Request-ID>:<line>
    stream = f"api/{response.headers['X-Request-ID']}"
    reasons = {r["origin"].removeprefix(stream): r["reason"] for r in report["rejections"]}
    assert set(reasons) == {":5", ":7"}
    assert "3 cells" in reasons[":5"] and "8 columns" in reasons[":5"]
    assert report["by_format"]["sentinel"]["accepted"] == 3
    assert journaled_times(api)[0] == datetime(2025, 2, 25, 9, 19, 25, 391000, tzinfo=UTC).timestamp()
    # the same export again, gzip-compressed as shippers send it: the same rows, nothing new
    again = post_csv(api, gzip.compress(body), headers={"Content-Encoding": "gzip"}).json()
    assert (again["accepted"], again["duplicates"], again["events"]) == (3, 3, 0)


def test_a_tab_separated_body_is_split_on_tabs_and_only_on_tabs(api: Api) -> None:
    tsv = (b"TimeGenerated [UTC]\tComputer\tEventID\tChannel\tTargetUserName\n"
           b"2/25/2025, 9:19:25.391 AM\tws-0001\t4624\tSecurity\talice\n")
    report = post_csv(api, tsv, "text/tab-separated-values").json()
    assert (report["received"], report["accepted"]) == (1, 1)
    comma = post_csv(api, body_of(logon("2/25/2025, 9:19:25.391 AM", "ws-0001")), "text/tab-separated-values")
    assert comma.status_code == 422
    error = comma.json()["error"]
    assert error["field"] == "body" and "'\\t'" in error["message"] and "header" in error["message"]


def test_a_csv_body_whose_first_line_is_no_exports_header_is_422(api: Api) -> None:
    response = post_csv(api, b"name,colour\nbob,red\n")
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["field"] == "body"
    assert "not the header of an export" in error["message"] and "TimeGenerated" in error["message"]
    assert list(api.ctx.ingest.journal().iter_events()) == []


@pytest.fixture
def small_api(store: Any, tmp_path: Path) -> Iterator[Api]:
    """An app whose batches hold at most 10 records and whose bodies at most 4 KiB."""
    store.clear()
    with running_api(make_settings(tmp_path / "data", max_batch_records=10, max_body_bytes=4096), store) as api:
        yield api


def test_the_record_limit_counts_rows_not_the_lines_of_their_values(small_api: Api) -> None:
    # ten rows of two-line command lines: 21 lines, 10 records, within the limit of 10
    rows = [logon(f"2/25/2025, 9:{minute:02d}:00.000 AM", f"ws-{minute:04d}", f'a "x"\nb{minute}')
            for minute in range(11)]
    report = post_csv(small_api, body_of(*rows[:10])).json()
    assert (report["received"], report["accepted"]) == (10, 10)
    over = post_csv(small_api, body_of(*rows))
    assert over.status_code == 413 and "10 records" in over.json()["error"]["message"]
    too_big = post_csv(small_api, body_of(logon("2/25/2025, 9:00:00.000 AM", "ws-1", "x" * 5000)))
    assert too_big.status_code == 413 and "4096" in too_big.json()["error"]["message"]


def test_a_local_time_export_is_read_in_the_timezone_given_and_rejected_without(api: Api) -> None:
    body = body_of(logon("2/25/2025, 10:19:25.391 AM", "ws-0001"), logon("7/1/2025, 2:00:00.000 PM", "ws-0002"),
                   header=LOCAL_HEADER)
    answer = post_csv(api, body)
    without = answer.json()
    assert (without["received"], without["accepted"], without["rejected"]) == (2, 0, 2)
    stream = f"api/{answer.headers['X-Request-ID']}"
    assert [r["origin"] for r in without["rejections"]] == [f"{stream}:2", f"{stream}:3"]
    assert all("'TimeGenerated [Local Time]'" in r["reason"] and "?timezone=" in r["reason"]
               for r in without["rejections"])
    bad_zone = post_csv(api, body, params={"timezone": "Mars/Olympus"})
    assert bad_zone.status_code == 422 and bad_zone.json()["error"]["field"] == "query.timezone"
    given = post_csv(api, body, params={"timezone": BERLIN}).json()
    assert (given["accepted"], given["events"]) == (2, 2)
    # 10:19 CET (+01:00) in February, 14:00 CEST (+02:00) in July
    assert journaled_times(api) == [datetime(2025, 2, 25, 9, 19, 25, 391000, tzinfo=UTC).timestamp(),
                                    datetime(2025, 7, 1, 12, 0, tzinfo=UTC).timestamp()]


def test_an_uploaded_local_time_export_takes_the_timezone_too(api: Api) -> None:
    body = body_of(logon("2/25/2025, 10:19:25.391 AM", "ws-0001"), header=LOCAL_HEADER)
    without = api.post("/v1/files", role="ingest", files={"file": ("export.csv", body)}).json()
    assert (without["accepted"], without["rejected"]) == (0, 1)
    assert "--timezone" in without["rejections"][0]["reason"]
    given = api.post("/v1/files", role="ingest", files={"file": ("export.csv", body)},
                     params={"timezone": BERLIN}).json()
    assert (given["accepted"], given["events"]) == (1, 1)
    assert journaled_times(api) == [datetime(2025, 2, 25, 9, 19, 25, 391000, tzinfo=UTC).timestamp()]


def test_empty_lines_before_the_header_are_passed_over_and_a_blank_body_receives_nothing(api: Api) -> None:
    # a hand-trimmed export, or one a script wrote after a blank line: the reader takes the first
    # line that is not empty as the header, and so must the choice of the reader
    report = post_csv(api, b"\r\n\n" + body_of(logon("2/25/2025, 9:19:25.391 AM", "ws-0001"))).json()
    assert (report["received"], report["accepted"]) == (1, 1)
    blank = post_csv(api, b"\n\r\n  \n")
    assert blank.status_code == 200 and blank.json()["received"] == 0


def test_a_quote_inside_an_unquoted_cell_hides_no_row_from_the_record_limit(small_api: Api) -> None:
    # Python's csv reads the quote of ws"a as a character: the rows between ws"a and ws"b are rows,
    # and the limit must count them as the reader reads them (a count that paired the two quotes
    # saw one row and let any number through)
    def rows(between: int) -> bytes:
        return body_of(logon("2/25/2025, 9:00:00.000 AM", 'ws"a'),
                       *[logon(f"2/25/2025, 9:{minute:02d}:00.000 AM", f"ws-{minute:04d}")
                         for minute in range(1, between + 1)],
                       logon("2/25/2025, 9:59:00.000 AM", 'ws"b'))
    over = post_csv(small_api, rows(9))
    assert over.status_code == 413 and "10 records" in over.json()["error"]["message"]
    assert list(small_api.ctx.ingest.journal().iter_events()) == []
    report = post_csv(small_api, rows(8)).json()
    assert (report["received"], report["accepted"]) == (10, 10)


@pytest.mark.parametrize("blank", [b"   \n", b"\t \r\n", b"\n \n\r\n"])
def test_whitespace_only_lines_before_the_header_are_passed_over_by_the_sniff_as_by_the_reader(
        api: Api, blank: bytes) -> None:
    response = post_csv(api, blank + body_of(logon("2/25/2025, 9:19:25.391 AM", "ws-0001")))
    assert response.status_code == 200
    assert (response.json()["received"], response.json()["accepted"]) == (1, 1)
