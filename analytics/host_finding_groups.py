"""One host finding for one act on several hosts: a campaign no fan-out cluster holds.

Host findings are one per host (:func:`analytics.host_findings.group_by_host`).  When a fan-out cluster
did not form (``min_hosts`` above the campaign's hosts, a pivot suppressed, a campaign varying every
entity), its hosts' hits are still one act: 30 hosts running ``certutil -urlcache`` for one URL made 30
rows of one story, which the analyst triages once (HOSTF2).  :func:`group_findings` makes **one finding
per act** seen on two hosts or more, listing the hosts:

* the act (:func:`act_key`) is the rule and, for an act of the binary (an LSASS read, a renamed image),
  its build (the image's SHA-256) when known: one mimikatz build saved under other names on each host is
  one act; else the normalised command line for a command-line rule (the text the rule matched; the
  image's build is Windows' own certutil on every host), else the hit's subject; a cleared log is the
  log and the account that cleared it (an administrator's scheduled rotation of the Security log on 40
  servers made 40 findings at 85: now one naming the account and the 40 hosts, each clearing kept;
  a clearing that names no account stays its host's);
* acts whose host sets overlap by half the smaller one or more are one finding (the seed campaign's
  stager and its LSASS read on the same 54 hosts are one case, as a fan-out cluster would make them);
  a cleared log's act merges with no other: an intruder's LSASS read on two of the rotated servers is
  no line of the rotation's finding (nor closed by its verdict);
* hits of one rule left on one host each are one act when their **shapes** agree
  (:func:`shape_key`: the rule, the parent's image path and the command line with its per-host parts
  masked, :func:`analytics.command_shapes.command_shape`) on ``min_hosts`` hosts or more, each within
  :data:`SHAPE_WINDOW_SECONDS` of the one before: a lure's ``powershell -enc`` cradle whose URL differs on each of 60 hosts
  made 60 rows at risk 80 (red team T16), now one finding listing the 60 hosts, each hit (its own
  command line) kept.  The same shape hours apart, from another parent or fetching from another server
  is another act;
* its risk is its worst rule's plus a point per doubling of its hosts, at most 4
  (:func:`analytics.host_findings.breadth_bonus`);
* every other hit stays in its host's finding, as before: a host's own mimikatz beside the fleet's
  certutil download is still a case of its own, not one line among 30 hosts' rows.
"""

from __future__ import annotations

from collections.abc import Iterable

from analytics.command_shapes import command_shape, image_shape
from analytics.host_finding_carry import BUILD_RULES
from analytics.host_finding_rules import LOG_CLEARED
from analytics.host_findings import Hit, HostFinding, group_by_host, process_key

__all__ = ["MIN_GROUP_HOSTS", "SHAPE_WINDOW_SECONDS", "act_key", "group_findings", "shape_key"]

MIN_GROUP_HOSTS = 2
"""An act on this many hosts or more is one finding listing them; on one, the host's finding has it."""
SHAPE_WINDOW_SECONDS = 4 * 3600.0
"""Hits of one shape are one act while each comes within this time of the one before, on ``min_hosts``
hosts or more: a lure runs in minutes (T16's in 10), and one trickled a few hosts an hour to stay under
a window would be a flood again; the same shape after a quiet night is another run (:func:`_shape_acts`)."""


def act_key(hit: Hit) -> tuple[str, str] | None:
    """What makes two hosts' hits one act (module docstring); None for a hit never grouped.

    >>> act_key(Hit("a", "lolbin_download", 1.0, "e", "C:\\\\W\\\\certutil.exe", "certutil  -urlcache X", "s", "d"))
    ('lolbin_download', 'certutil -urlcache x')
    >>> act_key(Hit("a", "lsass_read", 1.0, "e", "C:\\\\t\\\\m.exe", "", "s", "d", digest="ab12"))
    ('lsass_read', 'sha256:ab12')
    """
    if hit.rule == LOG_CLEARED:
        return (hit.rule, f"cleared:{hit.subject.partition('|')[0]}|{hit.account}") if hit.account else None
    if hit.rule in BUILD_RULES:
        return (hit.rule, f"sha256:{hit.digest}" if hit.digest else hit.subject)
    command = process_key(hit.image, hit.command_line)[1]
    return (hit.rule, command or hit.subject)


def _clears(keys: list[tuple[str, str]]) -> bool:
    """Whether a group's acts are a cleared log's (merged with no other act: module docstring)."""
    return keys[0][0] == LOG_CLEARED


def shape_key(hit: Hit) -> tuple[str, str] | None:
    r"""What makes hits of one host each one act when their command lines differ: the rule, the parent's
    image path and the command line's shape (module docstring); None for a hit never grouped, or without a
    command line (nothing per host to mask: :func:`act_key` already compared it).

    >>> shape_key(Hit("ws-1", "lolbin_download", 1.0, "e", "C:\\W\\certutil.exe",
    ...               "certutil -urlcache -f http://cdn.example/a/Kq81zz0p.exe x.exe", "s", "d", "C:\\W\\cmd.exe"))
    ('lolbin_download', 'shape:c:\\w\\cmd.exe|c:\\w\\certutil.exe|certutil -urlcache -f http://cdn.example/*.exe x.exe')
    """
    if hit.rule == LOG_CLEARED or not hit.command_line.strip():
        return None
    shape = command_shape(hit.command_line, hit.host, hit.image or None)
    return (hit.rule, f"shape:{image_shape(hit.parent)}|{image_shape(hit.image)}|{shape}")


def _shape_acts(acts: dict[tuple[str, str], list[Hit]], min_hosts: int) -> set[tuple[str, str]]:
    """Move the hits of acts on fewer than ``min_hosts`` hosts into shape acts (:func:`shape_key`) where ``min_hosts``
    hosts made one shape, each within :data:`SHAPE_WINDOW_SECONDS` of the one before; in place.  A shape's
    hits are walked in time order: a run of them so chained is one act when it holds ``min_hosts`` hosts,
    else each stays its host's (a lure trickled a host an hour still chains; one copy a week later does not).
    Returns the keys of the shape acts made."""
    by_shape: dict[tuple[str, str], list[Hit]] = {}
    for of_act in acts.values():  # an exact act on fewer hosts than a shape needs may be a part of one
        if len({h.host for h in of_act}) < max(min_hosts, MIN_GROUP_HOSTS):
            for hit in of_act:
                if (of_hit := shape_key(hit)) is not None:
                    by_shape.setdefault(of_hit, []).append(hit)
    moved: set[int] = set()
    shaped: set[tuple[str, str]] = set()
    for (rule, shape), of_shape in sorted(by_shape.items()):
        of_shape.sort(key=lambda h: (h.ts, h.host, h.event_id))
        first = 0
        while first < len(of_shape):
            last = first
            while last + 1 < len(of_shape) and of_shape[last + 1].ts - of_shape[last].ts <= SHAPE_WINDOW_SECONDS:
                last += 1
            run = of_shape[first:last + 1]
            if len({h.host for h in run}) >= max(min_hosts, MIN_GROUP_HOSTS):
                key = (rule, f"{shape}|{int(run[0].ts)}")
                while key in acts:  # a command line is attacker text: it may spell a shape's key
                    key = (rule, key[1] + "'")
                acts[key] = run
                shaped.add(key)
                moved.update(id(h) for h in run)
            first = last + 1
    for key in [k for k in acts if k not in shaped]:
        acts[key] = [h for h in acts[key] if id(h) not in moved]
        if not acts[key]:
            del acts[key]
    return shaped


def group_findings(hits: Iterable[Hit], carried: Iterable[Hit] = (), min_hosts: int = 3) -> list[HostFinding]:
    """One finding per act on :data:`MIN_GROUP_HOSTS` hosts or more (acts sharing most of their hosts
    merged), one per host for the other hits; worst first, then by (first) host name.

    Parameters
    ----------
    hits : iterable of Hit
        The hits no fan-out cluster carries.
    carried : iterable of Hit
        Those it does: counted in the finding of their host (its own, else the first holding it).
    min_hosts : int
        The hosts one shape of command line needs (its hits chained by :data:`SHAPE_WINDOW_SECONDS`) to be one act
        (the detection's ``min_hosts``: as many as a fan-out cluster needs).
    """
    hits = list(hits)
    acts: dict[tuple[str, str], list[Hit]] = {}
    for hit in hits:
        key = act_key(hit)
        if key is not None:
            acts.setdefault(key, []).append(hit)
    shaped = _shape_acts(acts, min_hosts)
    shared = sorted(key for key, of_act in acts.items() if len({h.host for h in of_act}) >= MIN_GROUP_HOSTS)
    groups = [[key] for key in shared]
    hosts = [{h.host for h in acts[key]} for key in shared]
    merged = True
    while merged:  # acts sharing most of their hosts are one story (few acts: a quadratic pass is cheap)
        merged = False
        for i in range(len(groups)):
            for j in range(i + 1, len(groups)):
                if (len(hosts[i] & hosts[j]) * 2 >= min(len(hosts[i]), len(hosts[j]))
                        and not _clears(groups[i]) and not _clears(groups[j])):
                    groups[i] += groups.pop(j)
                    hosts[i] |= hosts.pop(j)
                    merged = True
                    break
            if merged:
                break
    grouped: list[HostFinding] = []
    in_group: set[int] = set()
    for keys, of_hosts in zip(groups, hosts, strict=True):
        members = sorted((h for key in keys for h in acts[key]), key=lambda h: (h.ts, h.host, h.event_id))
        in_group.update(id(h) for h in members)
        named = tuple(sorted("|".join(key) for key in keys)) if any(key in shaped for key in keys) else ()
        grouped.append(HostFinding(min(of_hosts), members, shapes=named))
    findings = group_by_host(h for h in hits if id(h) not in in_group)
    own = {f.host: f for f in findings}
    for group in grouped:  # else the first group holding the host takes its carried hits
        for host in group.hosts:
            own.setdefault(host, group)
    for hit in carried:
        holder = own.get(hit.host)
        if holder is not None:
            holder.carried += 1
    return sorted([*findings, *grouped], key=lambda f: (-f.risk, f.host, len(f.hosts)))
