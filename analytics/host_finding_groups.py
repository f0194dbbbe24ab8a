"""One host finding for one act on several hosts: a campaign no fan-out cluster holds.

Host findings are one per host (:func:`analytics.host_findings.group_by_host`).  When a fan-out cluster
did not form (``min_hosts`` above the campaign's hosts, a pivot suppressed, a campaign varying every
entity), its hosts' hits are still one act: 30 hosts running ``certutil -urlcache`` for one URL made 30
rows of one story, which the analyst triages once (HOSTF2).  :func:`group_findings` makes **one finding
per act** seen on two hosts or more, listing the hosts:

* the act (:func:`act_key`) is the rule and, for an act of the binary (an LSASS read, a renamed image),
  its build (the image's SHA-256) when known: one mimikatz build saved under other names on each host is
  one act; else the normalised command line for a command-line rule (the text the rule matched; the
  image's build is Windows' own certutil on every host), else the hit's subject; a cleared log is
  its own event, never grouped;
* acts whose host sets overlap by half the smaller one or more are one finding (the seed campaign's
  stager and its LSASS read on the same 54 hosts are one case, as a fan-out cluster would make them);
* its risk is its worst rule's plus a point per doubling of its hosts, at most 4
  (:func:`analytics.host_findings.breadth_bonus`);
* every other hit stays in its host's finding, as before: a host's own mimikatz beside the fleet's
  certutil download is still a case of its own, not one line among 30 hosts' rows.
"""

from __future__ import annotations

from collections.abc import Iterable

from analytics.host_finding_carry import BUILD_RULES
from analytics.host_finding_rules import LOG_CLEARED
from analytics.host_findings import Hit, HostFinding, group_by_host, process_key

__all__ = ["MIN_GROUP_HOSTS", "act_key", "group_findings"]

MIN_GROUP_HOSTS = 2
"""An act on this many hosts or more is one finding listing them; on one, the host's finding has it."""


def act_key(hit: Hit) -> tuple[str, str] | None:
    """What makes two hosts' hits one act (module docstring); None for a hit never grouped.

    >>> act_key(Hit("a", "lolbin_download", 1.0, "e", "C:\\\\W\\\\certutil.exe", "certutil  -urlcache X", "s", "d"))
    ('lolbin_download', 'certutil -urlcache x')
    >>> act_key(Hit("a", "lsass_read", 1.0, "e", "C:\\\\t\\\\m.exe", "", "s", "d", digest="ab12"))
    ('lsass_read', 'sha256:ab12')
    """
    if hit.rule == LOG_CLEARED:
        return None
    if hit.rule in BUILD_RULES:
        return (hit.rule, f"sha256:{hit.digest}" if hit.digest else hit.subject)
    command = process_key(hit.image, hit.command_line)[1]
    return (hit.rule, command or hit.subject)


def group_findings(hits: Iterable[Hit], carried: Iterable[Hit] = ()) -> list[HostFinding]:
    """One finding per act on :data:`MIN_GROUP_HOSTS` hosts or more (acts sharing most of their hosts
    merged), one per host for the other hits; worst first, then by (first) host name.

    Parameters
    ----------
    hits : iterable of Hit
        The hits no fan-out cluster carries.
    carried : iterable of Hit
        Those it does: counted in the finding of their host (its own, else the first holding it).
    """
    hits = list(hits)
    acts: dict[tuple[str, str], list[Hit]] = {}
    for hit in hits:
        key = act_key(hit)
        if key is not None:
            acts.setdefault(key, []).append(hit)
    shared = sorted(key for key, of_act in acts.items() if len({h.host for h in of_act}) >= MIN_GROUP_HOSTS)
    groups = [[key] for key in shared]
    hosts = [{h.host for h in acts[key]} for key in shared]
    merged = True
    while merged:  # acts sharing most of their hosts are one story (few acts: a quadratic pass is cheap)
        merged = False
        for i in range(len(groups)):
            for j in range(i + 1, len(groups)):
                if len(hosts[i] & hosts[j]) * 2 >= min(len(hosts[i]), len(hosts[j])):
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
        grouped.append(HostFinding(min(of_hosts), members))
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
