"""Host findings: single-host attacks fan-out clustering cannot see, one case per host.

A fan-out cluster needs an entity shared by ``min_hosts`` hosts, so an attack on one machine made no
case: a renamed mimikatz, a process reading LSASS, a cleared Security log, Empire's VBS stager, a
certutil download.  They were on the hosts' pages, where nobody triages them.  :func:`read_hits`
reads the detection window's events of four kinds from the journal and applies the rules of
:mod:`analytics.host_finding_rules`:

* ``sysmon:process_access`` whose target is ``lsass.exe`` with a read right in its mask, from a process
  not on the allow list (checked by path);
* ``sysmon:process_create`` / ``winsec:process_create`` for the command-line rules and for a renamed
  image (its PE ``OriginalFileName`` names a watched binary or tool, :func:`analytics.original_names.renamed_from`);
* ``sysmon:image_load`` of a process's own image, whose ``OriginalFileName`` Sysmon 7 gives when the
  creation did not (Process Herpaderping's ``wardog.exe``: ``-`` in Sysmon 1, ``mimikatz.exe`` in 7);
* ``windows:log_cleared`` (Security 1102, System 104);
* ``sysmon:raw_access_read`` (Sysmon 9) by a process not among Windows' own readers of volumes
  (:func:`analytics.host_finding_rules.allowed_raw_reader`).

**One finding per host** (:func:`group_by_host`), merging that host's hits in the window: the analyst
triages a machine (is it compromised, isolate it), and an LSASS read beside a cleared log is one story
told twice.  Its risk is its worst rule's (fixed, :data:`analytics.host_finding_rules.RULES`).

**Not duplicated**: a hit whose process a fan-out cluster holds on that host (the seed campaign's
``wscript -> powershell -enc`` and its LSASS read on 54 hosts) is the cluster's; and so is every hit of
the same rule and subject (the same command line, the same opener) on other hosts, the campaign's
stragglers; only when the hit's build is the cluster's (:mod:`analytics.host_finding_carry`).  They are
counted (``carried``), not listed.

Without a journal nothing is read (a notebook over a bare store), as for credential findings.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

import orjson

from analytics.build_signers import Signer, signer_of
from analytics.host_finding_rules import (
    COMMAND_RULES,
    LOG_CLEARED,
    LSASS_READ,
    RAW_DISK_READ,
    RENAMED_TOOL,
    RULES,
    allowed_lsass_reader,
    allowed_raw_reader,
    reads_memory,
)
from analytics.host_os_versions import LSM_PROCESS_RELEASES, PROCESS_CREATES, windows_release
from analytics.original_names import STEP_NAMED, original_name, renamed_from
from ingest.journal_host_kinds import UPTO_KEY
from ingest.projection_access import access_mask

__all__ = ["BREADTH_BONUS_MAX", "KINDS", "Hit", "HostFinding", "breadth_bonus", "group_by_host", "hits_of_events", "journal_hosts", "process_key",
           "read_hits"]

IMAGE_LOAD = "sysmon:image_load"
PROCESS_ACCESS = "sysmon:process_access"
LOG_CLEAR = "windows:log_cleared"
RAW_READ = "sysmon:raw_access_read"
KINDS = (*PROCESS_CREATES, IMAGE_LOAD, PROCESS_ACCESS, LOG_CLEAR, RAW_READ)
"""The event kinds the rules read."""
_SQL = ("SELECT id, kind, ts, fields FROM events WHERE host = ? AND ts >= ? AND ts <= ? "
        "AND kind IN (?, ?, ?, ?, ?, ?) ORDER BY ts, seq")
"""One host's events of :data:`KINDS` in a window: the ``events_by_host`` index (host, ts, kind) serves it."""
_ORIGINAL = b"original_file_name"
_SIGNER_FIELDS = "file.code_signature."
"""An image load's signer (:mod:`ingest.parsers.windows_sysmon`): ``signed``, ``subject_name``, ``status``."""
"""Image loads without this key cannot be a renamed image: skipped undecoded (most of them)."""


@dataclass(frozen=True, slots=True)
class Hit:
    """One event a rule matched on a host."""

    host: str
    rule: str
    ts: float
    event_id: str
    image: str
    """The process the rule is about (the opener of LSASS, the renamed image, the command's image)."""
    command_line: str
    subject: str
    """What the rule matched, as the same thing on every host: ``image|command line`` (lower case), the
    log's channel and event for a cleared log.  Carries (:mod:`analytics.host_finding_carry`) and verdicts
    compare it."""
    detail: str
    """What matched, in plain words (attacker text quoted as data)."""
    parent: str = ""
    digest: str = ""
    """The SHA-256 of the process's image (lower case) when its creation or image load said it, else "":
    which build acted (:mod:`analytics.host_finding_carry` carries only a cluster's own build)."""
    account: str = ""
    """The account a cleared log names (lower case), else "": one account clearing one log on many hosts is
    one act (:func:`analytics.host_finding_groups.act_key`)."""


@dataclass(slots=True)
class HostFinding:
    """A host's hits in the window, or one act's on several hosts (:mod:`analytics.host_finding_groups`)."""

    host: str
    """The host (the first by name of a finding on several: the pivot a verdict is given on)."""
    hits: list[Hit] = field(default_factory=list)
    carried: int = 0
    """Hits of this finding's hosts a fan-out cluster carries (not in ``hits``)."""
    shapes: tuple[str, ...] = ()
    """For a group holding an act of command-line shape (:mod:`analytics.host_finding_groups`): its acts'
    keys, which name its case while hosts join it (each host's own command line is another subject)."""

    @property
    def hosts(self) -> list[str]:
        """The hosts of the hits, by name."""
        return sorted({h.host for h in self.hits} or {self.host})

    @property
    def rules(self) -> list[str]:
        """The rules hit, worst first."""
        return sorted({h.rule for h in self.hits}, key=lambda r: (-RULES[r].risk, r))

    @property
    def risk(self) -> float:
        """The worst rule's fixed risk, plus :func:`breadth_bonus` for the hosts it was seen on."""
        return max(RULES[h.rule].risk for h in self.hits) + breadth_bonus(len(self.hosts))


BREADTH_BONUS_MAX = 4
"""The most a finding on many hosts gains over the rule's risk: less than the 5 between two rules' risks,
so breadth orders findings of one rule and never lifts a rule over a worse one."""


def breadth_bonus(hosts: int) -> float:
    """A point per doubling of the hosts one act was seen on, at most :data:`BREADTH_BONUS_MAX`: the same
    LSASS read on 30 hosts exposes 30 hosts' credentials, and an act spreading is worse than one host's,
    yet the rule says what it is (an administrator's certutil script on 30 hosts is still a download).

    >>> [breadth_bonus(n) for n in (1, 2, 3, 4, 8, 30, 300)]
    [0.0, 1.0, 1.0, 2.0, 3.0, 4.0, 4.0]
    """
    return float(min(BREADTH_BONUS_MAX, max(hosts, 1).bit_length() - 1))


def read_hits(connection: sqlite3.Connection, hosts: Iterable[str], start: float, end: float) -> list[Hit]:
    """Every rule's hits on ``hosts`` between ``start`` and ``end`` (epoch seconds), in time order per host.

    Parameters
    ----------
    connection : sqlite3.Connection
        The journal's (:class:`ingest.journal.Journal` ``.connection``).
    hosts : iterable of str
        The hosts to read (the journal's ``host`` column).
    start, end : float
        The detection window.
    """
    hits: list[Hit] = []
    for host in sorted(set(hosts)):
        rows = connection.execute(_SQL, (host, start, end, *KINDS)).fetchall()
        events = []
        for event_id, kind, ts, blob in rows:
            if kind == IMAGE_LOAD and _ORIGINAL not in bytes(blob):
                continue
            events.append((str(event_id), kind, float(ts), orjson.loads(blob)))
        hits.extend(hits_of_events(host, events))
    return hits


def journal_hosts(connection: sqlite3.Connection) -> list[str]:
    """The hosts with events of :data:`KINDS`: the journal's per-host tallies when they hold every row
    (:mod:`ingest.journal_host_kinds`: their ``upto`` is the last seq), else every host of its index."""
    try:
        upto = connection.execute("SELECT value FROM meta WHERE key = ?", (UPTO_KEY,)).fetchone()
        last = connection.execute("SELECT COALESCE(MAX(seq), 0) FROM events").fetchone()[0]
        if upto is not None and int(upto[0]) == int(last):
            rows = connection.execute(
                "SELECT DISTINCT host FROM host_kind_counts WHERE kind IN (?, ?, ?, ?, ?, ?)", KINDS).fetchall()
            return [str(r[0]) for r in rows if r[0]]
    except sqlite3.OperationalError:
        pass  # a journal of a release without the tallies
    return [str(r[0]) for r in connection.execute("SELECT DISTINCT host FROM events WHERE host IS NOT NULL")]


def hits_of_events(host: str, events: Iterable[tuple[str, str, float, Mapping[str, object]]]) -> list[Hit]:
    """The hits among one host's events ``(event id, kind, ts, fields)``, in their order.

    The process creations are read first for what a process access needs (its opener's
    ``OriginalFileName`` and command line, by GUID), so their order among the kinds does not matter.
    """
    events = list(events)
    created: dict[str, tuple[str, str, str]] = {}  # guid -> (command line, OriginalFileName, image SHA-256)
    for _, kind, _, fields in events:
        if kind in PROCESS_CREATES and fields.get("process.guid"):
            created[str(fields["process.guid"]).lower()] = (_text(fields.get("process.command_line")),
                                                            _text(fields.get("process.pe.original_file_name")),
                                                            _text(fields.get("process.hash.sha256")).lower())
    signers = _own_image_signers(events)
    # lsm.exe is its own process, a reader of LSASS, only on Vista and 7 (its FileVersions say the release)
    lsm_process = windows_release(events) in LSM_PROCESS_RELEASES
    hits: list[Hit] = []
    renamed_seen: set[str] = set()
    for event_id, kind, ts, fields in events:
        if kind in PROCESS_CREATES:
            hits.extend(_command_hits(host, event_id, ts, fields, renamed_seen))
        elif kind == IMAGE_LOAD:
            hit = _renamed_image_load(host, event_id, ts, fields, renamed_seen)
            if hit is not None:
                hits.append(hit)
        elif kind == PROCESS_ACCESS:
            hit = _lsass_read(host, event_id, ts, fields, created, signers, lsm_process)
            if hit is not None:
                hits.append(hit)
        elif kind == LOG_CLEAR:
            channel = _text(fields.get("winlog.cleared_channel")) or _text(fields.get("event.channel")) or "a log"
            who = _text(fields.get("user.name"))
            hits.append(Hit(host, LOG_CLEARED, ts, event_id, "", "", f"{channel.lower()}|{event_id}",
                            f"the {channel} log was cleared" + (f" by {who}" if who else "")
                            + f" (event {_text(fields.get('event.code')) or '1102/104'})", account=who.lower()))
        elif kind == RAW_READ:
            hit = _raw_read(host, event_id, ts, fields, created)
            if hit is not None:
                hits.append(hit)
    return _without_copies(hits)


def _raw_read(host: str, event_id: str, ts: float, fields: Mapping[str, object],
              created: Mapping[str, tuple[str, str, str]]) -> Hit | None:
    """A Sysmon 9 by a process other than Windows' own readers of volumes (its image path decides)."""
    image = _text(fields.get("process.executable"))
    if not image or allowed_raw_reader(image):
        return None
    command, _, digest = created.get(_text(fields.get("process.guid")).lower(), ("", "", ""))
    device = _text(fields.get("file.path")) or "a volume"
    return Hit(host, RAW_DISK_READ, ts, event_id, image, command,
               f"{image.lower()}|{' '.join(command.lower().split())}" + (f"|sha256:{digest}" if digest else ""),
               f"{_file_name(image)} read {device} directly, past the file system (a locked file such as NTDS.dit "
               "or the SAM hive can be copied so)", digest=digest)


COPY_SECONDS = 2.0
"""Two hits of one rule and subject this close are one act logged twice (Sysmon 1 and Security 4688)."""


def _without_copies(hits: list[Hit]) -> list[Hit]:
    """The hits less the second logging of one act (the same rule and subject within :data:`COPY_SECONDS`)."""
    last: dict[tuple[str, str], tuple[float, int]] = {}
    kept: list[Hit] = []
    for hit in sorted(hits, key=lambda h: (h.ts, h.event_id)):
        key = (hit.rule, hit.subject)
        if key in last and hit.ts - last[key][0] <= COPY_SECONDS:
            index = last[key][1]
            if hit.digest and not kept[index].digest:  # the 4688 came first: Sysmon 1's copy says the build
                kept[index] = replace(kept[index], digest=hit.digest)
            continue
        last[key] = (hit.ts, len(kept))
        kept.append(hit)
    return kept


def _command_hits(host: str, event_id: str, ts: float, fields: Mapping[str, object],
                  renamed_seen: set[str]) -> list[Hit]:
    image = _text(fields.get("process.executable"))
    command = _text(fields.get("process.command_line"))
    parent = _text(fields.get("process.parent.executable"))
    name = _file_name(image) or _text(fields.get("process.name")).lower()
    original = fields.get("process.pe.original_file_name")
    renamed = renamed_from(name, original, STEP_NAMED) if name else None
    # a renamed copy is read as what it is: certutil saved as update.exe still downloads
    what = renamed or name
    subject = f"{image.lower()}|{' '.join(command.lower().split())}"
    digest = _text(fields.get("process.hash.sha256")).lower()
    found: list[Hit] = []
    if renamed is not None and image.lower() not in renamed_seen:
        renamed_seen.add(image.lower())
        found.append(Hit(host, RENAMED_TOOL, ts, event_id, image, command, f"{image.lower()}|{renamed}",
                         f"{name} is a renamed {renamed} (its PE OriginalFileName says '{original_name(original)}')",
                         parent, digest))
    matched: set[str] = set()
    for rule in COMMAND_RULES:
        if rule.rule in matched or (rule.images and what not in rule.images):
            continue
        if rule.parents and _file_name(parent) not in rule.parents:
            continue
        if command and rule.pattern.search(command):
            matched.add(rule.rule)
            found.append(Hit(host, rule.rule, ts, event_id, image, command, subject,
                             rule.words + (f" (parent {_file_name(parent)})" if rule.parents else ""), parent, digest))
    return found


def _renamed_image_load(host: str, event_id: str, ts: float, fields: Mapping[str, object],
                        renamed_seen: set[str]) -> Hit | None:
    """A process loading its own image whose ``OriginalFileName`` names another watched binary or tool."""
    image = _text(fields.get("process.executable"))
    loaded = _text(fields.get("file.path"))
    if not image or loaded.lower() != image.lower() or image.lower() in renamed_seen:
        return None
    name = _file_name(image)
    original = fields.get("file.pe.original_file_name")
    renamed = renamed_from(name, original, STEP_NAMED)
    if renamed is None:
        return None
    renamed_seen.add(image.lower())
    return Hit(host, RENAMED_TOOL, ts, event_id, image, "", f"{image.lower()}|{renamed}",
               f"{name} is a renamed {renamed} (the image it loaded says '{original_name(original)}' "
               "in its PE OriginalFileName)", digest=_text(fields.get("file.hash.sha256")).lower())


def _own_image_signers(events: Iterable[tuple[str, str, float, Mapping[str, object]]]) -> dict[str, Signer]:
    """Process GUID -> the signer its own image load (Sysmon 7) said: who built an LSASS reader's binary."""
    signers: dict[str, Signer] = {}
    for _, kind, _, fields in events:
        guid = _text(fields.get("process.guid")).lower()
        if kind != IMAGE_LOAD or not guid or _text(fields.get("file.path")).lower() != _text(
                fields.get("process.executable")).lower():
            continue
        signer = signer_of({prop: fields.get(_SIGNER_FIELDS + key) for prop, key in
                            (("signed", "signed"), ("signature", "subject_name"), ("signature_status", "status"))
                            if fields.get(_SIGNER_FIELDS + key) is not None})
        if signer is not None:
            signers.setdefault(guid, signer)
    return signers


def _lsass_read(host: str, event_id: str, ts: float, fields: Mapping[str, object],
                created: Mapping[str, tuple[str, str, str]], signers: Mapping[str, Signer],
                lsm_process: bool = False) -> Hit | None:
    if _file_name(_text(fields.get("target.process.executable"))) != "lsass.exe":
        return None
    mask_text = fields.get("target.granted_access")
    if not reads_memory(access_mask(mask_text)):
        return None
    image = _text(fields.get("process.executable"))
    guid = _text(fields.get("process.guid")).lower()
    command, original, digest = created.get(guid, ("", "", ""))
    if not image or allowed_lsass_reader(image, original or None, command if original else None, signers.get(guid),
                                         lsm_process=lsm_process):
        return None
    # the build's digest, when its creation says it, is part of what a verdict judged: a judged backup
    # agent replaced by mimikatz at its path, run with its command line, is another subject (T14)
    return Hit(host, LSASS_READ, ts, event_id, image, command,
               f"{image.lower()}|{' '.join(command.lower().split())}" + (f"|sha256:{digest}" if digest else ""),
               f"{_file_name(image)} opened lsass.exe with access {mask_text} (can read its memory)", digest=digest)


def group_by_host(hits: Iterable[Hit], carried: Iterable[Hit] = ()) -> list[HostFinding]:
    """One finding per host with hits not ``carried``, worst first (then host name)."""
    findings: dict[str, HostFinding] = {}
    for hit in hits:
        findings.setdefault(hit.host, HostFinding(hit.host)).hits.append(hit)
    for hit in carried:
        if hit.host in findings:
            findings[hit.host].carried += 1
    return sorted(findings.values(), key=lambda f: (-f.risk, f.host))


def process_key(image: str, command_line: str) -> tuple[str, str]:
    r"""``(image, command line)`` compared between a hit and a cluster's process member: lower case, the
    command line's spaces collapsed, the image without quotes or the ``\??\`` prefix.

    >>> process_key('"C:\\Tools\\M.exe"', "m.exe   -x")
    ('c:\\tools\\m.exe', 'm.exe -x')
    """
    path = image.strip().strip('"').lower()
    return (path[4:] if path.startswith("\\??\\") else path), " ".join(command_line.lower().split())


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()


def _file_name(path: str) -> str:
    return path.strip().strip('"').replace("/", "\\").rpartition("\\")[2].lower()
