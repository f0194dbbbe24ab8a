"""Process context: image names, encoded commands, lineage pairs, behaviours."""

from __future__ import annotations

import pytest

from analytics.lineage import behaviour_index, image_name, is_encoded_command, lineage_index
from graphsiem.model import Relation


@pytest.mark.parametrize(
    ("value", "props", "expected"),
    [
        ("C:\\Windows\\System32\\cmd.exe /c dir", None, "cmd.exe"),
        ('"C:\\Program Files\\A B\\app.exe" --x', None, "app.exe"),
        ("whatever", {"image": "C:\\Windows\\wscript.exe"}, "wscript.exe"),
        ("", None, "?"),
    ],
)
def test_image_name(value, props, expected):
    assert image_name(value, props) == expected


def test_encoded_command_detection():
    assert is_encoded_command("powershell.exe -nop -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoA")
    assert is_encoded_command("powershell.exe", {"decoded_command": "IEX ..."})
    assert not is_encoded_command("powershell.exe -ExecutionPolicy Bypass -File inv.ps1")


def _rel(src, type_, dst, first):
    return Relation(src, type_, dst, first, first)


def test_lineage_pairs_aggregate_hosts_by_image_pair():
    images = {("process", "w"): "wscript.exe", ("process", "p1"): "powershell.exe",
              ("process", "p2"): "powershell.exe", ("process", "e"): "explorer.exe"}
    spawned = [_rel(("process", "w"), "SPAWNED", ("process", "p1"), 10.0),
               _rel(("process", "w"), "SPAWNED", ("process", "p2"), 5.0),
               _rel(("process", "e"), "SPAWNED", ("process", "w"), 1.0)]
    index = lineage_index(spawned, images, {("process", "p1"): 3, ("process", "p2"): 4}, n_hosts=5)
    (pair,) = index[("process", "p1")]
    assert (pair.parent, pair.child, pair.hosts, pair.first_seen) == ("wscript.exe", "powershell.exe", 5, 5.0)
    assert str(pair) == "powershell.exe spawned by wscript.exe"


def test_behaviours_flag_lsass_access_and_injection():
    images = {("process", "m"): "mimi.exe", ("process", "l"): "lsass.exe", ("process", "n"): "notepad.exe"}
    found = behaviour_index(
        [_rel(("process", "m"), "ACCESSED", ("process", "l"), 1.0),
         _rel(("process", "n"), "ACCESSED", ("process", "m"), 1.0)],
        [_rel(("process", "n"), "INJECTED", ("process", "m"), 1.0)],
        images,
    )
    assert found[("process", "m")] == {"lsass_access": 1.0}
    assert found[("process", "n")] == {"remote_thread": 1.0}


