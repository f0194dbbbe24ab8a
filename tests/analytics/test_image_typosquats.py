"""Image names one edit from a Windows binary's get the look-alike step (task K5, MITRE ATT&CK T1036.005).

``scvhost.exe`` (two letters swapped), ``svchosts.exe`` (one added), ``svhost.exe`` (one left out)
and ``lsasa.exe`` (one changed) pass for the real binary in a process list as ``svchοst.exe`` with a
Greek ``ο`` does, but are plain ASCII, which the look-alike check (UTS #39 confusables) did not read.
The step names the edit.  Real names one edit from another real one (``cscript.exe`` and
``wscript.exe``, ``sc.exe`` and ``sfc.exe``, ``msdt.exe`` and ``msdtc.exe``) and vendor programs
named after a Windows one (``Notepad2.exe``) stay quiet.  The fan-out tests run on [embedded] and
[neo4j]: a campaign's ``scvhost.exe`` on 20 hosts (one process, a cluster member) and an
``lsas.exe`` with a command line of its own per host (no member: the step names the credited
processes).
"""

from __future__ import annotations

import pytest

from analytics.detect import detect
from analytics.image_lookalikes import IMITATED, imitated_binary, imitated_original
from analytics.image_typosquats import (
    KNOWN_NEIGHBOURS,
    MIN_STEM,
    Edit,
    _nearest,
    _nearest_two,
    misspelled_binary,
    one_edit,
)
from analytics.masquerade_credits import masquerade_of
from analytics.renamed_binaries import lookalike_image_check, masquerade_checks, renamed_copy_check
from tests.analytics.masquerade_fleet import write_domain_groups
from tests.analytics.test_per_host_command_lines import CONFIG
from tests.analytics.test_renamed_lookalike import _process

# -- the edit ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "binary", "edit"), [
    ("scvhost.exe", "svchost.exe", "letters c and v swapped"),
    ("svchsot.exe", "svchost.exe", "letters s and o swapped"),
    ("svchosts.exe", "svchost.exe", "an extra 's'"),
    ("svchost1.exe", "svchost.exe", "an extra '1'"),  # as written: the 1 is not read as an l
    ("svhost.exe", "svchost.exe", "the 'c' missing"),  # not sihost.exe with a 'v' for its 'i'
    ("lsas.exe", "lsass.exe", "the 's' missing"),
    ("lsasss.exe", "lsass.exe", "an extra 's'"),
    ("lsasa.exe", "lsass.exe", "'a' for 's'"),
    ("SCVHOST.EXE", "svchost.exe", "letters c and v swapped"),  # case is no disguise
    ("expolrer.exe", "explorer.exe", "letters o and l swapped"),
    ("winlogin.exe", "winlogon.exe", "'i' for 'o'"),
    ("csrsss.exe", "csrss.exe", "an extra 's'"),
    ("powershel.exe", "powershell.exe", "the 'l' missing"),
    ("rundl32.exe", "rundll32.exe", "the 'l' missing"),
    ("spoolvs.exe", "spoolsv.exe", "letters v and s swapped"),
    ("Ilsass.exe", "lsass.exe", "an extra 'i'"),
])
def test_a_name_one_edit_from_a_windows_binary_imitates_it_and_says_the_edit(name, binary, edit):
    found = imitated_binary(name)
    assert found is not None and found.imitates == binary
    assert found.edit is not None and found.means == "a one-letter misspelling"
    assert found.characters() == edit


def test_a_misspelling_with_a_lookalike_character_names_both():
    found = imitated_binary("scvh\u03bfst.exe")  # two letters swapped and a Greek omicron
    assert found is not None and found.imitates == "svchost.exe"
    assert found.means == "look-alike characters and a one-letter misspelling"
    assert found.characters() == "'\u03bf' U+03BF GREEK SMALL LETTER OMICRON for 'o', letters c and v swapped"
    zero = imitated_binary("scvh0st.exe")
    assert zero is not None and zero.characters() == "'0' U+0030 DIGIT ZERO for 'o', letters c and v swapped"
    exact = imitated_binary("svch0st.exe")  # a zero alone is a look-alike character, no misspelling
    assert exact is not None and exact.edit is None and exact.means == "look-alike characters"


def test_one_edit_is_damerau_and_no_more():
    assert one_edit("scvhost", "svchost") == Edit("swapped", "cv", "vc")
    assert one_edit("svchostt", "svchost") == Edit("extra", "t")
    assert one_edit("vchost", "svchost") == Edit("missing", expected="s")
    assert one_edit("svchosx", "svchost") == Edit("changed", "x", "t")
    for far in ("svcsoht", "scvhots", "svch", "svchostxx", "xsvchostx", "svchost"):
        assert one_edit(far, "svchost") is None, far


# -- what stays quiet ---------------------------------------------------------------------------------


REAL_NAMES = [
    # Windows binaries one edit from a watched one with a short stem, and the watched pairs themselves
    "sfc.exe", "fc.exe", "msdtc.exe", "ism.exe", "net1.exe", "net.exe", "sc.exe", "wscript.exe", "cscript.exe",
    "taskhost.exe", "taskhostw.exe", "taskhostex.exe", "sihost.exe", "lsaiso.exe", "smss.exe", "lsm.exe",
    "dllhst3g.exe", "nethost.exe", "conhost.exe", "wmic.exe", "psexesvc.exe", "PsExec64.exe", "procdump64.exe",
    "mavinject32.exe", "nltestrk.exe", "regedt32.exe", "odbcad32.exe", "certreq.exe", "certoc.exe", "msiexec.exe",
    "explorer.exe", "Explorer.EXE", "SVCHOST.EXE", "iexplore.exe", "MsMpEng.exe", "MpCmdRun.exe", "NisSrv.exe",
    "SearchFilterHost.exe", "backgroundTaskHost.exe", "RuntimeBroker.exe", "dwm.exe", "WmiPrvSE.exe", "WmiApSrv.exe",
    # vendor programs named after a Windows one, or near one
    "Notepad2.exe", "notepad3.exe", "notepad++.exe", "chrome_proxy.exe", "msedgewebview2.exe",
    "OUTLOOK.EXE", "EXCEL.EXE", "WINWORD.EXE", "explorer++.exe", "svchost_helper.exe", "netsvchost.exe",
    # not an executable's name
    "svchost.exe.mui", "lsass.dmp", "scvhost.dll", "svchost", "",
]


@pytest.mark.parametrize("name", REAL_NAMES)
def test_real_windows_and_vendor_names_are_no_misspelling(name):
    assert imitated_binary(name) is None


def test_short_binaries_need_an_exact_lookalike_not_an_edit():
    short = sorted(b for b in IMITATED if len(b) - len(".exe") < MIN_STEM)
    assert {"sc.exe", "net.exe", "cmd.exe", "reg.exe", "lsm.exe", "msdt.exe"} <= set(short)
    for binary in short:
        stem = binary[:-4]
        for edited in (stem + "x", stem[1:], "x" + stem[1:]):
            assert misspelled_binary(f"{edited}.exe", IMITATED) is None, edited
    assert imitated_binary("sc\u0435.exe") is None  # still no edit under a look-alike reading
    assert imitated_binary("crnd.exe").imitates == "cmd.exe"  # but an exact look-alike counts


def test_known_neighbours_are_real_names_one_or_two_edits_from_a_watched_binary():
    for name in KNOWN_NEIGHBOURS:
        assert name not in IMITATED
        # without the exemption the name would be read as a misspelling (an edit, an edit and a
        # suffix, or two edits of a hand-made form)
        assert _nearest(name, IMITATED) is not None or _nearest_two(name, IMITATED) is not None, name


def test_an_original_file_name_is_not_read_for_misspellings():
    # an edited version resource is reported only for look-alike letters (an ASCII typo proves nothing)
    assert imitated_original("PowerShel.EXE") is None
    assert imitated_original("Pow\u0435rShel.EXE") is None


# -- the step ---------------------------------------------------------------------------------------


def test_the_step_says_which_letters_were_swapped():
    step = lookalike_image_check([_process("C:\\ProgramData\\scvhost.exe")], "ws-1, ws-2")
    assert step is not None and step.feature is None
    assert step.check.startswith("scvhost.exe imitates svchost.exe with a one-letter misspelling "
                                 "(letters c and v swapped; spelled scvhost.exe; image C:\\ProgramData\\scvhost.exe; "
                                 "no PE OriginalFileName)")
    assert "T1036.005" in step.check and "ws-1, ws-2" in step.check


def test_a_renamed_copy_under_a_misspelt_name_is_one_step_that_says_it_is_a_copy():
    copy = _process("C:\\Users\\Public\\powershel.exe", "PowerShell.EXE")
    assert renamed_copy_check([copy], "ws-1") is None  # the look-alike step says it
    (step,) = masquerade_checks([copy], "ws-1")
    assert step.check.startswith("powershel.exe imitates powershell.exe with a one-letter misspelling (the 'l' missing;")
    assert "PE OriginalFileName PowerShell.EXE: a copy of powershell.exe" in step.check


def test_a_misspelt_process_is_a_lookalike_masquerade():
    assert masquerade_of(_process("C:\\ProgramData\\svchosts.exe")) == ("lookalike_image", "svchost.exe")
    assert masquerade_of(_process("C:\\Program Files\\Notepad2\\Notepad2.exe")) is None


def test_attacker_characters_in_an_edit_are_named_not_shown():
    found = imitated_binary("svc\u202ahost.exe")  # an invisible embedding mark: a look-alike reading, exactly
    assert found is not None and found.edit is None
    odd = imitated_binary("svchost\u0445.exe")  # a Cyrillic ha added: under its reading an extra x
    assert odd is not None and odd.imitates == "svchost.exe"
    step = lookalike_image_check([_process("C:\\ProgramData\\svc\nhost\u0445.exe")], "ws-1")
    assert step is not None and "\n" not in step.check and "an invisible U+000A" in step.check


# -- a fan-out through detection -------------------------------------------------------------------------


TYPO = "C:\\ProgramData\\Microsoft\\scvhost.exe"
PER_HOST = "C:\\Users\\Public\\lsas.exe"
NOTEPAD2 = "C:\\Program Files\\Notepad2\\Notepad2.exe"
GROUPS = {  # domain -> (hosts, image, OriginalFileName, command line: one for all, or one each with {i})
    "typo.example": (range(0, 20), TYPO, None, f'"{TYPO}" -k netsvcs'),
    "per-host.example": (range(20, 40), PER_HOST, None, f'"{PER_HOST}" -s {{i:04x}}'),
    "editor.example": (range(40, 48), NOTEPAD2, "Notepad2.exe", f'"{NOTEPAD2}" /update'),
}


def _fleet(store) -> None:
    """60 hosts for two days; 36 h in, a campaign's scvhost.exe (one command line) reaches its domain
    from 20 hosts, an lsas.exe with a command line per host from 20 others, and a Notepad2 update from 8."""
    write_domain_groups(store, GROUPS, hosts=60, gap=30.0)


@pytest.fixture
def clusters(store):
    _fleet(store)
    return detect(store, config=CONFIG).clusters


def _cluster_of(clusters, domain: str):
    found = [c for c in clusters if ("domain", domain) in [e.ref for e in c.entities]]
    assert found, f"no cluster holds {domain}: {[c.pivot.value for c in clusters]}"
    return found[0]


def _masquerade_steps(cluster) -> list[str]:
    return [s.check for s in cluster.explanation.checks if "T1036" in s.check]


def test_a_campaigns_scvhost_on_20_hosts_gets_the_step(clusters):
    cluster = _cluster_of(clusters, "typo.example")
    assert any(e.type == "process" and e.props.get("image") == TYPO for e in cluster.entities)
    assert len(cluster.hosts) == 20
    (step,) = _masquerade_steps(cluster)
    assert step.startswith("scvhost.exe imitates svchost.exe with a one-letter misspelling (letters c and v swapped; "
                           f"spelled scvhost.exe; image {TYPO}; no PE OriginalFileName)")


def test_a_misspelt_lsass_with_a_command_line_per_host_gets_the_step_from_its_credited_processes(clusters):
    cluster = _cluster_of(clusters, "per-host.example")
    assert not any(e.type == "process" and "lsas.exe" in e.value for e in cluster.entities)  # each on one host
    (step,) = _masquerade_steps(cluster)
    assert "reached domain per-host.example: lsas.exe imitates lsass.exe with a one-letter misspelling " \
           "(the 's' missing; spelled lsas.exe" in step
    assert "on each of 20 hosts" in step


def test_a_vendor_program_named_after_notepad_gets_no_masquerade_step(clusters):
    assert _masquerade_steps(_cluster_of(clusters, "editor.example")) == []
