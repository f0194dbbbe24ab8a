"""Misspelt-name step: one list of core processes, a binary's own architecture number swapped or left out (review R19 finding 4).

``werfault.exe`` was among the binaries watched where they run
(:data:`analytics.misplaced_binaries.HOME_FOLDERS`) but not among those watched for their
spelling (:data:`analytics.image_lookalikes.IMITATED`), so ``werfualt.exe`` got no step while a
misplaced ``werfault.exe`` did; the look-alike list is now built from the other.  A suffix was
only read when appended, so ``rundll64.exe``, ``regsvr64.exe`` and ``rundll.exe`` (the ``32``
swapped or dropped) read as nothing, and ``notepad4.exe`` (a Notepad2 fork) was read as
``notepad.exe`` misspelt: those cases are in ``test_image_typosquat_dressings.py``'s tables.
"""

from __future__ import annotations

import pytest

from analytics.image_lookalikes import IMITATED, imitated_binary
from analytics.image_typosquats import misspelled_binary
from analytics.misplaced_binaries import HOME_FOLDERS
from analytics.renamed_binaries import lookalike_image_check
from tests.analytics.test_renamed_lookalike import _process


def test_every_binary_watched_where_it_runs_is_watched_for_its_spelling():
    assert set(HOME_FOLDERS) <= IMITATED


@pytest.mark.parametrize(("name", "means"), [
    ("werfualt.exe", "a one-letter misspelling"),
    ("wefault.exe", "a one-letter misspelling"),
    ("werfau1t.exe", "look-alike characters"),
])
def test_a_misspelt_werfault_imitates_it(name, means):
    imitation = imitated_binary(name)
    assert imitation is not None and imitation.imitates == "werfault.exe"
    assert imitation.means == means


def test_the_step_says_the_number_was_swapped():
    step = lookalike_image_check([_process("C:\\Users\\Public\\rundll64.exe")], "ws-1")
    assert step is not None and step.check.startswith(
        "rundll64.exe imitates rundll32.exe with another architecture number ('64' for '32' at the end of the name; "
        "spelled rundll64.exe; image C:\\Users\\Public\\rundll64.exe")


def test_the_numbers_are_read_only_against_a_binary_that_ends_in_one():
    # svchost.exe ends in no number: an appended one is a suffix, not a swap
    found = misspelled_binary("svchost64.exe", IMITATED)
    assert found is not None and found.edit.replaced == "" and found.edit.suffix == "64"
