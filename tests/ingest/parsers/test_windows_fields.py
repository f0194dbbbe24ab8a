"""Value helpers of the Windows mapping: unset values and the bounded memo tables."""

from __future__ import annotations

import pytest

from ingest.normalize import is_unset, split_hashes
from ingest.parsers import windows_fields
from ingest.parsers.base import ParseError
from ingest.parsers.windows_fields import (
    basename,
    first_set,
    normalize_guid,
    parse_pid,
    process_setter,
    put_decoded,
    put_hashes,
    user_name,
    value_of,
)

VALUES = [None, "", "-", "(empty)", " ", "x", "-x", 0, 1, False, [], {}, "0"]
HASHES = f"SHA1={'AA' * 20},MD5={'BB' * 16},SHA256={'CC' * 32},IMPHASH={'DD' * 16}"


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_value_of_and_first_set_read_as_absent_what_is_unset_does(value: object) -> None:
    expected = None if is_unset(value) else value
    assert value_of({"k": value}, "k") == expected
    assert first_set({"k": value}, "k") == expected
    assert first_set({"k": value, "j": "y"}, "k", "j") == (expected if expected is not None else "y")


def test_memo_tables_stay_bounded_and_answers_do_not_depend_on_them(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(windows_fields, "_MEMO_LIMIT", 4)
    monkeypatch.setattr(windows_fields, "_basenames", {})
    monkeypatch.setattr(windows_fields, "_guids", {})
    monkeypatch.setattr(windows_fields, "_hash_fields", {})
    monkeypatch.setattr(windows_fields, "_pids", {})
    put_pid = process_setter("p.", "Image", "Pid")
    for round_ in range(2):  # the second round reads what the first remembered
        for n in range(10):
            assert basename(f"C:\\Dir\\App{n}.EXE") == f"app{n}.exe"
            assert normalize_guid(f"{{ABC-{n}}}") == f"abc-{n}"
            fields: dict = {}
            put_hashes(fields, "file.", f"{HASHES},CRC=E{n}")
            assert fields == {f"file.hash.{k}": v.lower() for k, v in split_hashes(HASHES).items()}
            fields = {}
            put_pid(fields, {"Pid": f"0x{n:x}" if n % 2 else str(n)})
            assert fields == {"p.pid": n}
        tables = (windows_fields._basenames, windows_fields._guids, *windows_fields._hash_fields.values(),
                  windows_fields._pids)
        assert max(map(len, tables)) <= 4, round_


def test_long_values_are_normalised_but_not_remembered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(windows_fields, "_basenames", {})
    path = "C:\\" + "d\\" * 2000 + "Long.EXE"
    assert basename(path) == "long.exe"
    assert basename("C:\\short.EXE") == "short.exe"
    assert list(windows_fields._basenames) == ["C:\\short.EXE"]


def test_hash_fields_are_per_prefix() -> None:
    process: dict = {}
    file: dict = {}
    put_hashes(process, "process.", HASHES)
    put_hashes(file, "file.", HASHES)
    assert process["process.hash.sha256"] == "cc" * 32 and file["file.hash.sha256"] == "cc" * 32
    assert not any(key.startswith("file.") for key in process)


def test_non_text_guids_are_normalised_too() -> None:
    assert normalize_guid(12345) == "12345"


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_process_setter_reads_values_as_value_of_does(value: object) -> None:
    data = {"Image": value, "Guid": value, "GUID": "{B}", "Cmd": value}
    fields: dict = {}
    process_setter("p.", "Image", "Pid", ("Guid", "GUID"), "Cmd")(fields, data)
    image, guid = value_of(data, "Image"), value_of(data, "Guid")
    expected: dict = {}
    if image is not None:
        expected = {"p.executable": str(image), "p.name": basename(str(image))}
    expected["p.guid"] = normalize_guid(guid) if guid is not None else "b"
    if image is not None:
        expected["p.command_line"] = str(image)
    assert list(fields.items()) == list(expected.items())  # same values, same order


@pytest.mark.parametrize("pid", [None, "-", "", 7, "7", "0x1F", " 8 ", True, 3.0], ids=repr)
def test_process_setter_reads_pids_as_parse_pid_does(pid: object) -> None:
    fields: dict = {}
    process_setter("p.", "Image", "Pid")(fields, {"Pid": pid})
    expected = parse_pid(pid, "Pid")
    assert fields == ({} if expected is None else {"p.pid": expected})


def test_process_setter_names_the_key_of_a_malformed_pid() -> None:
    with pytest.raises(ParseError, match="SourceProcessId"):
        process_setter("p.", "Image", "SourceProcessId")({}, {"SourceProcessId": "12ab"})


@pytest.mark.parametrize(
    "value", [*VALUES, " Domain\\User ", "NT AUTHORITY\\SYSTEM", "CORP.EXAMPLE\\Bob", "bob@corp.example"], ids=repr
)
def test_process_setter_reads_the_user_as_user_name_does(value: object) -> None:
    fields: dict = {}
    process_setter("p.", "Image", "Pid", user_key="User")(fields, {"User": value})
    expected = user_name(None, value)
    assert fields == ({} if expected is None else {"user.name": expected})


@pytest.mark.parametrize(
    ("fields", "command", "decoded"),
    [
        # 4103 Host Application: no process.executable, the command line's program decides
        ({}, r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe -ec SQBFAFgA", "IEX"),
        ({}, "cmd /c echo -e SQBFAFgA", None),
        # Sysmon 1 / 4688: any image (a renamed PowerShell runs the payload too); the
        # image only decides how strict the check of the decoded text is
        ({"process.executable": r"C:\Users\Public\svch0st.exe"}, "svch0st -enc SQBFAFgA", "IEX"),
        ({"process.executable": r"C:\Windows\System32\cmd.exe"}, "cmd /c echo -e SGVsbG8gV29ybGQhISE=", None),
        ({"process.executable": "PWSH.EXE"}, "x -e SQBFAFgA", "IEX"),
        ({"process.executable": "pwsh"}, "pwsh \u2014EncodedCommand SQBFAFgA", "IEX"),  # no "-e" in the text
        ({"process.executable": "pwsh"}, "pwsh -Command Get-Date", None),
        ({}, None, None),
    ],
)
def test_put_decoded_scripts_not_garbage(fields: dict, command: str | None, decoded: str | None) -> None:
    put_decoded(fields, command)
    assert fields.get("process.command_line_decoded") == decoded


@pytest.mark.parametrize(
    ("domain", "name", "expected"),
    [
        # one account, every spelling the corpus has of it -> one user entity
        ("SIMULANDLABS", "cjones", "simulandlabs\\cjones"),
        ("simulandlabs.com", "CJones", "simulandlabs\\cjones"),
        (None, "SIMULANDLABS.COM\\cjones", "simulandlabs\\cjones"),
        (None, "cjones@simulandlabs.com", "simulandlabs\\cjones"),
        ("CORP", "cjones@SimulandLabs.com", "simulandlabs\\cjones"),  # the name's own domain wins
        ("theshire.local", "MORDORDC$", "theshire\\mordordc$"),
        (None, "THESHIRE\\MORDORDC$", "theshire\\mordordc$"),
        ("shire.com", "HFDC01$", "shire\\hfdc01$"),
        # names without a domain, or that only look like UPNs
        (None, "root", "root"),
        ("-", "Guest", "guest"),
        (None, "@corp.example", "@corp.example"),
        (None, "alice@", "alice@"),
        ("NT AUTHORITY", "NETWORK SERVICE", "nt authority\\network service"),
        (None, " NT AUTHORITY\\SYSTEM ", "nt authority\\system"),
        (".", "alice", ".\\alice"),  # the local machine, as Windows writes it
        ("corp & co", "carol", "corp & co\\carol"),
        (None, "-", None),
        ("CORP", None, None),
    ],
)
def test_user_name_gives_one_spelling_per_account(domain: object, name: object, expected: str | None) -> None:
    assert user_name(domain, name) == expected
    assert user_name(domain, name) == expected  # the second answer comes from the memo table


def test_user_memo_stays_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(windows_fields, "_MEMO_LIMIT", 4)
    monkeypatch.setattr(windows_fields, "_users", {})
    for n in range(10):
        assert user_name(f"D{n}.example", f"U{n}") == f"d{n}\\u{n}"
    assert len(windows_fields._users) <= 4
    assert user_name("x" * 600, "u") == "x" * 600 + "\\u"
    assert ("x" * 600, "u") not in windows_fields._users
