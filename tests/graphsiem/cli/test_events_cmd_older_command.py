"""``graphsiem events``: the printed "older:" command lists the next page of the same listing (review R19 finding 5).

The follow-up line left out ``--data`` and ``--limit``: run as printed, it read another data
directory ("no data directory at ...") or pages of another size.  It now repeats both, quoted
for the shell (a data directory with a space, a quote and a ``;``).
"""

from __future__ import annotations

import shlex
from pathlib import Path

from graphsiem.cli import main
from tests.graphsiem.cli.test_events_cmd import _ingested


def _older(text: str) -> list[str]:
    (line,) = [line for line in text.splitlines() if line.startswith("older: ")]
    words = shlex.split(line.removeprefix("older: "))
    assert words[:2] == ["graphsiem", "events"], words
    return words[1:]


def _summaries(text: str) -> list[str]:
    return [line.split("  ")[2] for line in text.splitlines()[1::2] if not line.startswith("older: ")]


def test_the_printed_older_command_pages_the_same_data_directory(tmp_path: Path, capsys, monkeypatch) -> None:
    data = _ingested(tmp_path).rename(tmp_path / "my data;'x")  # quotes and ; are data, not shell syntax
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # the default data directory (./.graphsiem) is not it
    monkeypatch.delenv("GRAPHSIEM_DATA", raising=False)
    capsys.readouterr()

    assert main(["events", "--host", "pc-quiet", "--data", str(data), "--limit", "2", "--kind", "windows:other"]) == 0
    first = capsys.readouterr().out
    assert _summaries(first) == [f"The Spooler {n} service entered the stopped state." for n in (4, 3)]

    assert main(_older(first)) == 0
    second = capsys.readouterr().out
    assert second.splitlines()[0] == "pc-quiet: 2 of 5 event(s), newest first"
    assert _summaries(second) == [f"The Spooler {n} service entered the stopped state." for n in (2, 1)]

    assert main(_older(second)) == 0
    assert _summaries(capsys.readouterr().out) == ["The Spooler 0 service entered the stopped state."]


def test_a_limit_is_repeated_unless_the_default_and_a_data_directory_only_when_given(
        tmp_path: Path, capsys, monkeypatch) -> None:
    data = _ingested(tmp_path)
    monkeypatch.setenv("GRAPHSIEM_DATA", str(data))  # no --data: the printed command relies on it too
    (tmp_path / "more.ndjson").write_text("".join(
        f'{{"@timestamp": "2026-09-21T16:{n // 60:02d}:{n % 60:02d}Z", "host": {{"name": "PC-QUIET"}}, '
        f'"process": {{"executable": "C:\\\\x\\\\p{n}.exe"}}}}\n' for n in range(120)), encoding="utf-8")
    assert main(["ingest", str(tmp_path / "more.ndjson")]) == 0
    capsys.readouterr()

    assert main(["events", "--host", "pc-quiet", "--limit", "50"]) == 0
    limited = _older(capsys.readouterr().out)
    assert limited[:5] == ["events", "--host", "pc-quiet", "--limit", "50"] and limited[5] == "--before"
    assert len(limited) == 7

    assert main(["events", "--host", "pc-quiet"]) == 0  # 126 events: a second page of the default 100
    plain = _older(capsys.readouterr().out)
    assert plain[:4] == ["events", "--host", "pc-quiet", "--before"] and len(plain) == 5
