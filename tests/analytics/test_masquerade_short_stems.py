"""Short Windows names dressed up (task MASQ, T1036.005): ``cmd64.exe``, ``sc32.exe``, ``wmic1.exe``, ``cmd.scr``.

Binaries with a stem under five letters (``cmd``, ``sc``, ``net``, ``reg``, ``smss``, ``wmic``) got no
edit at all: a letter edit makes another real Windows name too often (``sc`` -> ``sfc``, ``fc``;
``msdt`` -> ``msdtc``; ``lsm`` -> ``ism``), so those stay quiet.  Their own letters with a dressing
(a number or architecture appended, another program extension, a doubled ``.exe``) are no real name
in any list measured, and are now read.  ``xplorer2.exe`` (the xplorer² file manager), read as
``explorer.exe`` without its ``e`` and a ``2`` appended, stays quiet.
"""

from __future__ import annotations

import pytest

from analytics.image_lookalikes import imitated_binary
from analytics.renamed_binaries import lookalike_image_check
from tests.analytics.test_renamed_lookalike import _process


@pytest.mark.parametrize(("name", "binary", "edit"), [
    ("cmd64.exe", "cmd.exe", "'64' appended to the name"),
    ("sc32.exe", "sc.exe", "'32' appended to the name"),
    ("wmic1.exe", "wmic.exe", "'1' appended to the name"),
    ("SMSS64.EXE", "smss.exe", "'64' appended to the name"),
    ("cmd-x64.exe", "cmd.exe", "'-x64' appended to the name"),
    ("cmd.scr", "cmd.exe", "the extension '.scr' for '.exe'"),
    ("reg.exe.exe", "reg.exe", "the extension '.exe.exe' for '.exe'"),
    ("net2.exe", "net.exe", "'2' appended to the name"),
])
def test_a_short_binarys_own_letters_dressed_imitate_it(name, binary, edit):
    found = imitated_binary(name)
    assert found is not None and found.imitates == binary
    assert found.characters() == edit


@pytest.mark.parametrize("name", [
    # real Windows names one letter from a short watched one, and the watched short names themselves
    "sfc.exe", "fc.exe", "msdtc.exe", "ism.exe", "net1.exe", "cmd.exe", "sc.exe", "smss.exe", "wmic.exe",
    # close to a watched name and real: a vendor's, or Windows' own
    "xplorer2.exe", "lsaiso.exe", "sihost.exe", "iexplore.exe", "taskhostex.exe", "explorer++.exe", "notepad++.exe",
    "dns.exe", "netsh.exe", "bash.exe", "cat.exe", "at.exe", "alg.exe",
])
def test_real_names_near_a_watched_one_stay_quiet(name):
    assert imitated_binary(name) is None


def test_the_step_names_the_short_binary_and_its_dressing():
    step = lookalike_image_check([_process("C:\\Users\\Public\\cmd64.exe")], "ws-1")
    assert step is not None
    assert step.check.startswith("cmd64.exe imitates cmd.exe with an appended suffix ('64' appended to the name; ")
