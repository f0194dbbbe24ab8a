"""The cheap dodges of the misspelt-name step (red team T12, findings 4 and 5a; task P2).

A number or architecture appended (``svchost32.exe``, ``lsass64.exe``, ``svchost-x64.exe``), another
extension Windows runs as a program (``svchost.com``, ``scvhost.scr``) or a doubled one
(``svchost.exe.exe``, shown as ``svchost.exe`` where Explorer hides extensions) read as no binary
before.  ``service.exe`` was allow-listed, so an attacker could use it freely; PAExec, CSExec and
Python's ``wininst.exe`` were called disguises of PsExec and wininit.  Real names with a suffix
(Sysinternals' 64-bit builds) stay quiet.  The fan-out test runs on [embedded] and [neo4j].
"""

from __future__ import annotations

import pytest

from analytics.detect import detect
from analytics.image_lookalikes import IMITATED, imitated_binary
from analytics.image_typosquats import KNOWN_NEIGHBOURS, SHIPPED_SUFFIXED, misspelled_binary
from analytics.renamed_binaries import lookalike_image_check
from tests.analytics.masquerade_fleet import write_domain_groups
from tests.analytics.test_misplaced_binaries import _steps
from tests.analytics.test_per_host_command_lines import CONFIG
from tests.analytics.test_renamed_lookalike import _process


@pytest.mark.parametrize(("name", "binary", "means", "said"), [
    ("svchost32.exe", "svchost.exe", "an appended suffix", "'32' appended to the name"),
    ("svchost64.exe", "svchost.exe", "an appended suffix", "'64' appended to the name"),
    ("lsass64.exe", "lsass.exe", "an appended suffix", "'64' appended to the name"),
    ("svchost-x64.exe", "svchost.exe", "an appended suffix", "'-x64' appended to the name"),
    ("SVCHOST_AMD64.EXE", "svchost.exe", "an appended suffix", "'_amd64' appended to the name"),
    ("explorer12.exe", "explorer.exe", "an appended suffix", "'12' appended to the name"),
    ("scvhost64.exe", "svchost.exe", "a one-letter misspelling and an appended suffix",
     "letters c and v swapped, '64' appended to the name"),
    ("svchost.com", "svchost.exe", "another extension", "the extension '.com' for '.exe'"),
    ("scvhost.scr", "svchost.exe", "a one-letter misspelling and another extension",
     "letters c and v swapped, the extension '.scr' for '.exe'"),
    ("scvhost.pif", "svchost.exe", "a one-letter misspelling and another extension",
     "letters c and v swapped, the extension '.pif' for '.exe'"),
    ("lsass.cpl", "lsass.exe", "another extension", "the extension '.cpl' for '.exe'"),
    ("svchost.exe.exe", "svchost.exe", "another extension", "the extension '.exe.exe' for '.exe'"),
    ("lsass.exe.scr", "lsass.exe", "another extension", "the extension '.exe.scr' for '.exe'"),
    ("svchost32.exe.exe", "svchost.exe", "an appended suffix and another extension",
     "'32' appended to the name, the extension '.exe.exe' for '.exe'"),
    ("service.exe", "services.exe", "a one-letter misspelling", "the 's' missing"),
    # a binary's own architecture number swapped or left out (review R19 finding 4)
    ("rundll64.exe", "rundll32.exe", "another architecture number", "'64' for '32' at the end of the name"),
    ("REGSVR64.EXE", "regsvr32.exe", "another architecture number", "'64' for '32' at the end of the name"),
    ("rundll-x64.exe", "rundll32.exe", "another architecture number", "'-x64' for '32' at the end of the name"),
    ("rundll.exe", "rundll32.exe", "the architecture number left out", "the '32' at the end of the name left out"),
    ("regsvr.exe", "regsvr32.exe", "the architecture number left out", "the '32' at the end of the name left out"),
    ("rundll64.exe.exe", "rundll32.exe", "another architecture number and another extension",
     "'64' for '32' at the end of the name, the extension '.exe.exe' for '.exe'"),
    ("rundII64.exe", "rundll32.exe", "look-alike characters and another architecture number",
     "'I' U+0049 LATIN CAPITAL LETTER I for 'l', '64' for '32' at the end of the name"),
])
def test_a_dressed_name_imitates_the_binary_and_says_how(name, binary, means, said):
    imitation = imitated_binary(name)
    assert imitation is not None and imitation.imitates == binary
    assert imitation.means == means and imitation.characters() == said


def test_a_written_misspelling_comes_before_a_suffix():
    found = misspelled_binary("svchost1.exe", IMITATED)
    assert found is not None and found.edit.kind == "extra" and found.edit.suffix == ""


def test_a_lookalike_character_with_a_dressing_names_both():
    imitation = imitated_binary("scvh0st.scr")
    assert imitation is not None and imitation.imitates == "svchost.exe"
    assert imitation.means == "look-alike characters, a one-letter misspelling and another extension"


@pytest.mark.parametrize("name", [
    # separate tools and real programs one edit from a watched binary
    "paexec.exe", "PAExec.exe", "csexec.exe", "wininst.exe",
    # names a watched tool ships under with a suffix
    "PsExec64.exe", "psexec64a.exe", "procdump64.exe", "procdump64a.exe", "mavinject32.exe", "mavinject64.exe",
    # vendor and Windows names with a number that read as no binary
    "regedt32.exe", "odbcad32.exe", "msedgewebview2.exe", "svchost_helper.exe", "Notepad2.exe", "notepad3.exe",
    "vcredist_x64.exe", "setup64.exe", "notepad4.exe", "Notepad4.exe", "RunDll32.exe",
    # a letter edit on top of a swapped architecture number: two changes, no reading
    "rundl64.exe", "rundlls64.exe", "regsvx64.exe",
    # Windows' own .com and screen savers, and names no program bears
    "more.com", "tree.com", "chcp.com", "Mystify.scr", "scrnsave.scr", "Bubbles.scr", "desk.cpl", "appwiz.cpl",
    "svchost.exe.mui", "svchost.bat", "svchost.dll", "svchost.exe.log", "svchost64", "64.exe", "x64.exe",
])
def test_real_names_and_non_programs_are_no_misspelling(name):
    assert imitated_binary(name) is None


def test_every_allowed_name_is_near_a_watched_binary_and_none_is_service_exe():
    assert "service.exe" not in KNOWN_NEIGHBOURS
    assert {"paexec.exe", "csexec.exe", "wininst.exe"} <= KNOWN_NEIGHBOURS
    for name in SHIPPED_SUFFIXED:
        assert name not in IMITATED and misspelled_binary(name, IMITATED) is None, name


def test_the_step_names_the_dressing():
    step = lookalike_image_check([_process("C:\\ProgramData\\svchost64.exe")], "ws-1")
    assert step is not None and step.check.startswith(
        "svchost64.exe imitates svchost.exe with an appended suffix ('64' appended to the name; "
        "spelled svchost64.exe; image C:\\ProgramData\\svchost64.exe; no PE OriginalFileName)")


# -- a fan-out through detection -------------------------------------------------------------------------


DOUBLED = "C:\\ProgramData\\Microsoft\\svchost.exe.exe"
PAEXEC = "C:\\Program Files\\PAExec\\paexec.exe"
GROUPS = {  # domain -> (hosts, image, OriginalFileName, command line: one for all, or one each with {i})
    "doubled.example": (range(0, 20), DOUBLED, None, f'"{DOUBLED}" -k netsvcs'),
    "paexec.example": (range(20, 28), PAEXEC, "PAExec.exe", f'"{PAEXEC}" \\\\srv -s cmd /c whoami'),
}


@pytest.fixture
def clusters(store):
    write_domain_groups(store, GROUPS, hosts=40, gap=30.0)
    return detect(store, config=CONFIG).clusters


def test_a_campaigns_doubled_extension_gets_the_step_and_paexec_is_no_disguise(clusters):
    (step,) = _steps(clusters, "doubled.example")
    assert step.startswith("svchost.exe.exe imitates svchost.exe with another extension "
                           "(the extension '.exe.exe' for '.exe'; spelled svchost.exe.exe")
    assert not any("imitates psexec.exe" in s for s in _steps(clusters, "paexec.example"))
