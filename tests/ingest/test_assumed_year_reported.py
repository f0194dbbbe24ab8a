"""The ingest report says when year-less dates were put in a year by rule (``--year`` not given).

The loghub Linux syslog has no year in its RFC 3164 dates and was silently
dated in the year of the ingest: its host then looked "ahead of the fleet".
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from ingest.journal import Journal
from ingest.pipeline import ingest_paths

LINES = (
    "Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure; logname= uid=0 euid=0 tty=NODEVssh "
    "ruser= rhost=218.188.2.4\n"
    "Jun 14 15:16:02 combo sshd(pam_unix)[19937]: check pass; user unknown\n"
    "Jun 15 02:04:59 combo sshd(pam_unix)[20882]: authentication failure; logname= uid=0 euid=0 tty=NODEVssh "
    "ruser= rhost=220-135-151-1.hinet-ip.hinet.net  user=root\n"
)


def _expected_years() -> dict[str, int]:
    """The years the rule gives the three dates (UTC): this year unless more than a day ahead of now."""
    now = datetime.now(UTC)
    years: dict[str, int] = {}
    for month, day, hour, minute, second in ((6, 14, 15, 16, 1), (6, 14, 15, 16, 2), (6, 15, 2, 4, 59)):
        ahead = datetime(now.year, month, day, hour, minute, second, tzinfo=UTC) > now + timedelta(days=1)
        year = str(now.year - 1 if ahead else now.year)
        years[year] = years.get(year, 0) + 1
    return years


def _ingest(tmp_path: Path, **options: object) -> tuple[dict, str, list[str]]:
    log = tmp_path / "messages"
    log.write_text(LINES)
    with Journal(tmp_path / f"journal{len(options)}.sqlite") as journal:
        report = ingest_paths([log], store=None, journal=journal, progress=False, **options)
        ids = sorted(row.event.id for row in journal.iter_events())
    return report.to_dict(), report.render(), ids


def test_dates_put_in_a_year_by_rule_are_reported_in_the_table_and_the_json(tmp_path: Path) -> None:
    as_dict, table, _ = _ingest(tmp_path)
    years = _expected_years()
    assert as_dict["accepted"] == 3
    assert as_dict["assumed_year"] == {
        "records": 3, "years": dict(sorted(years.items())),
        "rule": "a date written without a year is put in the year that makes it the most recent such date "
                "not more than a day ahead of now",
        "change_with": "--year YYYY",
    }
    line = next(line for line in table.splitlines() if line.startswith("year assumed:"))
    assert line.startswith("year assumed: 3 records dated without a year were put in ")
    assert all(year in line for year in years)
    assert "--year YYYY" in line


def test_a_given_year_is_no_assumption_and_the_ids_stay_the_same(tmp_path: Path) -> None:
    assumed, _, assumed_ids = _ingest(tmp_path)
    given, table, given_ids = _ingest(tmp_path, reference_year=2005)
    assert given["assumed_year"] is None and "year assumed" not in table
    assert assumed["assumed_year"] is not None
    assert given_ids == assumed_ids  # the report counts; it changes no event's id


def test_the_loghub_linux_syslog_reports_its_2000_assumed_dates(corpus: Path, tmp_path: Path) -> None:
    with Journal(tmp_path / "journal.sqlite") as journal:
        report = ingest_paths([corpus / "loghub" / "Linux_2k.log"], store=None, journal=journal, progress=False)
    assumed = report.to_dict()["assumed_year"]
    assert assumed["records"] == 2000 == report.total.accepted
    assert "year assumed: 2000 records dated without a year" in report.render()
