"""Image names two edits from a Windows binary's, in the forms attackers type (task MASQ3, MITRE ATT&CK T1036.005).

``scvhosts.exe`` (two letters swapped and a plural ``s``) or ``svcchots.exe`` (a doubled ``c`` and two
letters swapped) passed for ``svchost.exe`` unread: only one edit was.  A plain edit distance of two
flags real programs (``explorer++.exe``, ``taskhostex.exe``, ``xplorer2.exe``), so a second edit is
read only on top of a hand-made one (two neighbours swapped, a letter doubled or written once, a
plural ``s``), for binaries with a stem of seven letters or more (:mod:`analytics.letter_edits`).
:data:`REAL_CLOSE_NAMES` are the real programs within a plain edit distance of two of a watched
binary, measured in xCyclopedia's Windows and vendor executables, the corpus and the known
vendor programs: the rule read two of them (XYplorer, SCS Host), which are exempt; none reads now.
A two-letter misspelling is weaker evidence than one: it is named last, and its step says so.
The fan-out tests run on [embedded] and [neo4j].
"""

from __future__ import annotations

import pytest

from analytics.image_lookalikes import IMITATED, imitated_binary
from analytics.image_typosquats import KNOWN_NEIGHBOURS, misspelled_binary
from analytics.letter_edits import (
    MIN_TWO_EDIT_STEM,
    LetterEdit,
    attacker_forms,
    letter_edit,
    two_edits,
)
from analytics.linked_processes import PivotLinks
from analytics.masquerade_credits import masquerade_credits
from analytics.renamed_binaries import lookalike_image_check
from graphsiem.model import Entity
from tests.analytics.masquerade_fleet import domain_group_clusters
from tests.analytics.test_misplaced_binaries import _steps
from tests.analytics.test_renamed_lookalike import _process

# -- the names read ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "binary", "edits"), [
    ("scvhosts.exe", "svchost.exe", "letters c and v swapped, then an extra 's'"),
    ("svcchots.exe", "svchost.exe", "letters t and s swapped, then an extra 'c'"),
    ("svhosts.exe", "svchost.exe", "an extra 's', then the 'c' missing"),
    ("scvhozt.exe", "svchost.exe", "letters c and v swapped, then 'z' for 's'"),
    ("SCVHOSTS.EXE", "svchost.exe", "letters c and v swapped, then an extra 's'"),  # case is no disguise
    ("expolrers.exe", "explorer.exe", "letters o and l swapped, then an extra 's'"),
    ("sevrcies.exe", "services.exe", "letters v and r swapped, then letters c and i swapped"),
    ("winnlogn.exe", "winlogon.exe", "an extra 'n', then the 'o' missing"),
    ("powershel.exe.exe", None, None),  # a dressing on a one-letter misspelling stays one-letter
    ("rundlll23.exe", "rundll32.exe", "letters 2 and 3 swapped, then an extra 'l'"),
])
def test_a_hand_made_second_edit_is_read_and_named(name, binary, edits):
    found = imitated_binary(name)
    if binary is None:
        assert found is not None and found.edit is not None and found.edit.second is None
        return
    assert found is not None and found.imitates == binary
    assert found.means == "a two-letter misspelling" and found.two_letters
    assert found.characters() == edits


def test_a_two_letter_misspelling_with_a_lookalike_character_names_both():
    found = imitated_binary("Scvh0sts.exe")
    assert found is not None and found.imitates == "svchost.exe"
    assert found.means == "look-alike characters and a two-letter misspelling"
    assert found.characters() == "'0' U+0030 DIGIT ZERO for 'o', letters c and v swapped, then an extra 's'"


def test_one_edit_wins_over_two():
    # svchots is one swap from svchost, lsasss one extra 's' from lsass: never read as two edits
    assert imitated_binary("svchots.exe").means == "a one-letter misspelling"
    assert imitated_binary("lsasss.exe").means == "a one-letter misspelling"
    assert two_edits("svchots", "svchost") is None


# -- what stays quiet ---------------------------------------------------------------------------------

REAL_CLOSE_NAMES = [
    # within a plain edit distance of two of a watched binary, and real (session 20's and xCyclopedia's)
    "explorer++.exe", "notepad++.exe", "taskhostex.exe", "xplorer2.exe", "xyplorer.exe", "scshost.exe",
    "taskman.exe", "synchost.exe", "dashost.exe", "iashost.exe", "mighost.exe", "wslhost.exe", "msmpengcp.exe",
    "tasklist.exe", "secinit.exe", "gpscript.exe", "srtasks.exe", "wecutil.exe", "wdsutil.exe", "poqexec.exe",
    "winload.exe", "chsime.exe", "chtime.exe", "fsiso.exe", "msdtc.exe", "msra.exe", "mstsc.exe", "rebase.exe",
    "scss.exe", "mavinject32.exe", "nltestrk.exe", "procdump64.exe", "psexec64.exe", "lsasrv.exe",
    "cmp.exe", "find.exe", "test.exe",
]


@pytest.mark.parametrize("name", REAL_CLOSE_NAMES)
def test_real_programs_two_edits_from_a_watched_binary_are_no_misspelling(name):
    assert imitated_binary(name) is None


def test_plain_edits_and_short_binaries_get_no_second_edit():
    assert two_edits("notepad++", "notepad") is None  # two plain insertions
    assert two_edits("taskhostex", "taskhost") is None
    assert two_edits("xplorer2", "explorer") is None  # one dropped, one added
    assert two_edits("taskman", "taskmgr") is None  # two letters changed
    assert two_edits("slasss", "lsass") is None and len("lsass") < MIN_TWO_EDIT_STEM  # lsass: a swap and an 's'
    assert misspelled_binary("slasss.exe", IMITATED) is None
    assert misspelled_binary("ctfmnos.exe", IMITATED) is None  # ctfmon: six letters
    assert misspelled_binary("scvhosts64.exe", IMITATED) is None  # no dressing on two edits
    assert misspelled_binary("scvhosts.scr", IMITATED) is None


def test_the_exempt_two_edit_names_are_read_by_the_rule_alone():
    # XYplorer and SCS Host are the rule's two reads among the real close names: exempt by name
    assert {"xyplorer.exe", "scshost.exe"} <= KNOWN_NEIGHBOURS
    assert two_edits("xyplorer", "explorer") is not None and two_edits("scshost", "svchost") is not None


def test_the_hand_made_forms_and_one_edit():
    forms = dict(attacker_forms("svchost"))
    assert forms["scvhost"] == LetterEdit("swapped", "cv", "vc")
    assert forms["svcchost"] == LetterEdit("extra", "c") and forms["svchosts"] == LetterEdit("extra", "s")
    assert dict(attacker_forms("rundll32"))["rundl32"] == LetterEdit("missing", expected="l")
    assert letter_edit("svchosx", "svchost") == LetterEdit("changed", "x", "t")


# -- the step: named as weaker evidence, and last --------------------------------------------------------


def test_the_step_says_two_letters_and_that_it_is_weaker_evidence():
    step = lookalike_image_check([_process("C:\\ProgramData\\scvhosts.exe")], "ws-1")
    assert step is not None
    assert step.check.startswith("scvhosts.exe imitates svchost.exe with a two-letter misspelling "
                                 "(letters c and v swapped, then an extra 's'; spelled scvhosts.exe;")
    assert "two letters apart is weaker evidence than one" in step.benign_if
    one = lookalike_image_check([_process("C:\\ProgramData\\scvhost.exe")], "ws-1")
    assert one is not None and "weaker evidence" not in one.benign_if


def test_a_one_letter_member_is_named_before_a_two_letter_one():
    members = [_process("C:\\ProgramData\\scvhosts.exe"), _process("C:\\ProgramData\\lsas.exe")]
    step = lookalike_image_check(members, "ws-1")
    assert step is not None and step.check.startswith("lsas.exe imitates lsass.exe with a one-letter misspelling")
    assert "(1 more such process in the cluster)" in step.check


def test_a_credits_example_is_its_strongest_evidence():
    # two one-host copies named after svchost reached the pivot: the two-letter one first in time
    weak = Entity("process", "w", "scvhosts.exe -k a", {"image": "C:\\ProgramData\\scvhosts.exe"})
    strong = Entity("process", "s", "scvhost.exe -k b", {"image": "C:\\ProgramData\\scvhost.exe"})
    links = PivotLinks({("domain", "d"): {weak.ref: 10.0, strong.ref: 20.0}})
    credit = masquerade_credits(links, {weak.ref: weak, strong.ref: strong}, shared_processes=set())[("domain", "d")]
    entry = credit["lookalike_image"]
    assert entry.processes == 2 and entry.example_image == "scvhost.exe"


# -- a fan-out through detection -------------------------------------------------------------------------

TWO = "C:\\ProgramData\\Microsoft\\scvhosts.exe"
XYPLORER = "C:\\Program Files\\XYplorer\\XYplorer.exe"
GROUPS = {  # domain -> (hosts, image, OriginalFileName, command line: one for all, or one each with {i})
    "two-letters.example": (range(0, 20), TWO, None, f'"{TWO}" -k netsvcs'),
    "xyplorer.example": (range(40, 48), XYPLORER, "XYplorer.exe", f'"{XYPLORER}" /update'),
}


@pytest.fixture
def clusters(store):
    return domain_group_clusters(store, GROUPS, hosts=60, gap=30.0)


def test_a_campaigns_two_letter_svchost_on_20_hosts_gets_the_step(clusters):
    (step,) = _steps(clusters, "two-letters.example")
    assert step.startswith("scvhosts.exe imitates svchost.exe with a two-letter misspelling (letters c and v swapped, "
                           f"then an extra 's'; spelled scvhosts.exe; image {TWO}; no PE OriginalFileName)")


def test_a_file_manager_two_letters_from_explorer_gets_no_step(clusters):
    assert _steps(clusters, "xyplorer.example") == []
