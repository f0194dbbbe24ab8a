"""A lineage pair carries one example parent command line, so the check names what a script host ran (task X1).

The seed campaign runs ``wscript.exe "C:\\Users\\<user>\\Downloads\\Invoice_Q4_2026.js"``
on each host: one process per host (its user's path), none a cluster member, so
the lineage step could only say "its command line names the file" (A1's
report).  Each :class:`~analytics.lineage.LineagePair` now keeps the most common
parent command line over the fleet, user folders elided, with its host count,
and the step names the script from it.  The text is attacker's: it stays data
(one line, cut short) in the pair and in the step.
"""

from __future__ import annotations

from datetime import UTC, datetime

from analytics.checks import cluster_checks
from analytics.explain import Explanation, FeatureContribution
from analytics.features import SCORED_FEATURES
from analytics.lineage import EXAMPLE_LIMIT, lineage_index
from graphsiem.model import Entity, Relation

T0 = datetime(2026, 11, 2, 10, 12, tzinfo=UTC).timestamp()
USERS = [f"user.{i:02d}" for i in range(54)]


def _process(key: str, command_line: str) -> Entity:
    return Entity("process", key, command_line)


def _seed_tree(extra: list[tuple[str, str, str]] = ()):
    """54 hosts: each its own wscript.exe (its user's Downloads) spawning its own powershell.exe cradle."""
    processes, spawned = {}, []
    for i, user in enumerate(USERS):
        parent = _process(f"w{i}", rf'"C:\Windows\System32\WScript.exe" "C:\Users\{user}\Downloads\Invoice_Q4_2026.js"')
        child = _process(f"p{i}", f"powershell.exe -nop -w hidden -enc SQBFAFgA{i:04d}")
        processes |= {parent.ref: parent, child.ref: child}
        spawned.append(Relation(parent.ref, "SPAWNED", child.ref, T0 + i, T0 + i, 1))
    for parent_key, command_line, child_key in extra:
        parent, child = _process(parent_key, command_line), _process(child_key, "powershell.exe -c x")
        processes |= {parent.ref: parent, child.ref: child}
        spawned.append(Relation(parent.ref, "SPAWNED", child.ref, T0 - 3600, T0 - 3600, 1))
    images = {ref: ("wscript.exe" if ref[1][0] in "wx" else "powershell.exe") for ref in processes}
    return spawned, images, processes


def test_the_pair_keeps_the_most_common_parent_command_line_with_user_folders_elided():
    # an earlier, different script on two hosts: first seen, but less common than the invoice
    spawned, images, processes = _seed_tree([("x1", r'wscript.exe "C:\Users\it\logon.vbs"', "c1"),
                                             ("x2", r'wscript.exe "C:\Users\it2\logon.vbs"', "c2")])
    index = lineage_index(spawned, images, {}, n_hosts=300, processes=processes)
    (pair,) = index[("process", "p0")]
    assert pair.example == r'"C:\Windows\System32\WScript.exe" "C:\Users\…\Downloads\Invoice_Q4_2026.js"'
    assert pair.example_hosts == 54 and pair.hosts == 56
    # without the process entities there is no example (and nothing else changes)
    (bare,) = lineage_index(spawned, images, {}, n_hosts=300)[("process", "p0")]
    assert bare.example is None and bare.example_hosts == 0 and bare.hosts == 56


def test_an_attackers_command_line_stays_one_short_line():
    spawned, images, processes = _seed_tree()
    hostile = "wscript.exe \"C:\\Users\\a\\x.js\"\n<script>alert(1)</script>\r\n" + "A" * 5000
    processes[("process", "w0")] = _process("w0", hostile)
    processes = {k: v for k, v in processes.items() if k[1] in ("w0", "p0")}
    (pair,) = lineage_index(spawned[:1], images, {}, n_hosts=300, processes=processes)[("process", "p0")]
    assert pair.example is not None
    assert len(pair.example) == EXAMPLE_LIMIT and pair.example.endswith("…")
    assert "\n" not in pair.example and "\r" not in pair.example
    assert pair.example.startswith('wscript.exe "C:\\Users\\…\\x.js" <script>alert(1)</script> AAA')


def test_the_lineage_step_names_the_script_wscript_ran_when_no_wscript_is_a_member():
    spawned, images, processes = _seed_tree()
    (pair,) = lineage_index(spawned, images, {}, n_hosts=300, processes=processes)[("process", "p0")]
    domain = Entity("domain", "cdn-img-delivery.example", "cdn-img-delivery.example")
    rows = tuple(FeatureContribution(n, 1.0, 0.0, 0.3 if n == "interpreter_lineage" else 0.0) for n in SCORED_FEATURES)
    explanation = Explanation("summary", rows, lineage=(pair,), new_members=(domain.ref,), candidates=40)
    hosts = [f"ws-{i:04d}" for i in range(54)]
    steps = cluster_checks(explanation, pivot=domain, entities=[domain], hosts=hosts, first_seen=T0, features={})
    (step,) = [s for s in steps if s.feature == "interpreter_lineage"]
    assert r"wscript.exe ran C:\Users\…\Downloads\Invoice_Q4_2026.js on 54 hosts: check where the file came from" in step.check
    assert "its command line names the file" not in step.check


def test_each_child_names_its_own_parents_script_not_another_campaigns():
    # a second campaign with the same two images (wscript.exe -> powershell.exe) on 20 other hosts
    others = [(f"x{i}", rf'wscript.exe "C:\Users\u{i}\Downloads\Invoice.js"', f"c{i}") for i in range(20)]
    spawned, images, processes = _seed_tree(others)
    index = lineage_index(spawned, images, {}, n_hosts=300, processes=processes)
    (seed,) = index[("process", "p0")]
    (slow,) = index[("process", "c3")]
    assert seed.example is not None and seed.example.endswith(r'Downloads\Invoice_Q4_2026.js"')
    assert seed.example_hosts == 54
    assert slow.example == r'wscript.exe "C:\Users\…\Downloads\Invoice.js"' and slow.example_hosts == 20
    assert str(seed) == str(slow) and seed.hosts == slow.hosts == 74  # one pair over the fleet
