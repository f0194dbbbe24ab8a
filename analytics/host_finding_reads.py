"""The journal reads of the host-finding rules beyond :mod:`analytics.host_findings`' own.

:func:`analytics.host_findings.read_hits` reads process creations, image loads, LSASS handles and
cleared logs.  The rules added from the real corpus' misses read more: PowerShell script blocks and
pipeline events (``obfuscated_cradle``), Security 4662 (``adfs_key_read``), service installs
(``service_stager``'s 7045 half), a process creation's grandparent (``cmd_stager``) and a network
sensor's rows of no host (``network_stager``).  :func:`read_more_hits` reads them for the window and
returns their hits, which the detection adds to the others (:mod:`analytics.host_finding_words`):
grouped by host, carried and judged as every hit.

Each host's rows are read through the ``events_by_host`` index, and most are skipped by a test in
SQLite before they are fetched (a process creation naming no ``cmd.exe``, a 4662 naming no
``thumbnailPhoto``, a service with no base64).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

import orjson

from analytics.adfs_key_reads import OBJECT_KIND, THUMBNAIL_PHOTO, key_read_hit
from analytics.host_finding_rules import GZIP_STAGER, SERVICE_STAGER
from analytics.host_findings import Hit, _without_copies
from analytics.host_os_versions import PROCESS_CREATES
from analytics.network_stagers import network_stager_hits
from analytics.script_block_cradles import SCRIPT_KINDS, cradle_hit
from analytics.stager_chains import chain_hits
from ingest.journal_host_kinds import hosts_of_kinds

__all__ = ["MORE_KINDS", "NEXT_STEPS", "SERVICE_KIND", "host_more_hits", "read_more_hits", "session_sources"]

SERVICE_KIND = "windows:service_installed"
MORE_KINDS = (*PROCESS_CREATES, *SCRIPT_KINDS, OBJECT_KIND, SERVICE_KIND)
"""The host event kinds these rules read."""
_SQL = ("SELECT id, kind, ts, fields FROM events WHERE host = ? AND ts >= ? AND ts <= ? "
        "AND (kind IN (?, ?) OR (kind IN (?, ?) AND instr(lower(fields), 'cmd.exe') > 0) "
        "OR (kind = ? AND instr(fields, ?) > 0) OR (kind = ? AND instr(lower(fields), 'frombase64string') > 0)) "
        "ORDER BY ts, seq")
"""One host's rows these rules read, through the ``events_by_host`` index: its script blocks and pipeline
events, and only the process creations naming ``cmd.exe``, the 4662s naming ``thumbnailPhoto``'s GUID and the
service installs with base64 (tested in SQLite, so the others are neither fetched nor decoded)."""
_SQL_ARGS = (*SCRIPT_KINDS, *PROCESS_CREATES, OBJECT_KIND, THUMBNAIL_PHOTO, SERVICE_KIND)


def read_more_hits(connection: sqlite3.Connection, start: float, end: float) -> list[Hit]:
    """The hits of the newer rules in the window ``[start, end]``, every host's and the sensor's.

    Parameters
    ----------
    connection : sqlite3.Connection
        The journal's.
    start, end : float
        The detection window (epoch seconds).
    """
    counted = hosts_of_kinds(connection, MORE_KINDS, 1 << 30)
    if counted is None:
        hosts = [str(r[0]) for r in connection.execute("SELECT DISTINCT host FROM events WHERE host IS NOT NULL")]
    else:
        hosts = [host for host, n in counted if host and n]
    hits: list[Hit] = []
    for host in sorted(set(hosts)):
        events = []
        for event_id, kind, ts, blob in connection.execute(_SQL, (host, start, end, *_SQL_ARGS)):
            events.append((str(event_id), str(kind), float(ts), orjson.loads(blob)))
        hits.extend(host_more_hits(host, events, session_sources(connection, host, events)))
    hits.extend(network_stager_hits(connection, start, end))
    return hits


_SESSION_SQL = ("SELECT fields FROM events WHERE host = ? AND ts <= ? AND kind = ? AND instr(fields, ?) > 0 "
                "ORDER BY ts DESC LIMIT 4")
LOGON_KIND = "winsec:logon"


def session_sources(connection: sqlite3.Connection, host: str,
                    events: Iterable[tuple[str, str, float, dict]]) -> dict[str, str]:
    """Per log-on id a 4662 of ``events`` names, the source address of this host's 4624 that opened it.

    The latest 4624 at or before the read with that ``TargetLogonId`` (ids are unique until the machine
    restarts); one with no address (a local log-on) names none.  Only the 4662s that are key reads
    (:func:`~analytics.adfs_key_reads.key_read_hit`) are asked about, one query per distinct id through
    the ``events_by_host`` index: a DC writes 4662s for every directory access, its DKM reads are few.
    """
    reads: dict[str, float] = {}
    for event_id, kind, ts, fields in events:
        if kind != OBJECT_KIND:
            continue
        logon_id = fields.get("winlog.logon.id")
        if isinstance(logon_id, str) and logon_id and key_read_hit(host, event_id, ts, fields) is not None:
            reads[logon_id] = max(ts, reads.get(logon_id, ts))
    sources: dict[str, str] = {}
    for logon_id, ts in reads.items():
        for (blob,) in connection.execute(_SESSION_SQL, (host, ts, LOGON_KIND, logon_id)):
            fields = orjson.loads(blob)
            if fields.get("winlog.logon.id") == logon_id:  # instr found the text, not a field holding it
                if fields.get("source.ip"):
                    sources[logon_id] = str(fields["source.ip"])
                break
    return sources


def host_more_hits(host: str, events: Iterable[tuple[str, str, float, dict]],
                   sessions: dict[str, str] | None = None) -> list[Hit]:
    """The newer rules' hits among one host's events ``(event id, kind, ts, fields)``; ``sessions`` the
    source address of each log-on id (:func:`session_sources`), named by an ``adfs_key_read``."""
    events = list(events)
    hits = chain_hits(host, events)
    for event_id, kind, ts, fields in events:
        hit: Hit | None = None
        if kind in SCRIPT_KINDS:
            hit = cradle_hit(host, event_id, ts, fields)
        elif kind == OBJECT_KIND:
            hit = key_read_hit(host, event_id, ts, fields, sessions)
        elif kind == SERVICE_KIND:
            hit = _service_stager(host, event_id, ts, fields)
        if hit is not None:
            hits.append(hit)
    # one act in Sysmon 1 and Security 4688 (a cmd_stager), one 4662 logged twice: one hit, as for the others
    return _without_copies(hits)


def _service_stager(host: str, event_id: str, ts: float, fields: dict) -> Hit | None:
    """A service installed (7045, 4697) whose command inflates a base64 gzip payload in memory."""
    command = str(fields.get("process.command_line") or "")
    if not GZIP_STAGER.search(command):
        return None
    name = str(fields.get("service.name") or "?")
    image = str(fields.get("process.executable") or "")
    return Hit(host, SERVICE_STAGER, ts, event_id, image, command,
               f"{image.lower()}|{' '.join(command.lower().split())}",
               f"service '{name}' installed with a command inflating a base64 gzip payload in memory "
               f"(event {fields.get('event.code') or '7045'}: Metasploit psexec_psh)")


NEXT_STEPS: dict[str, tuple[str, str]] = {
    "adfs_key_read": ("Find where the account read the key from (its logons on the domain controller at that time) "
                      "and treat the AD FS token-signing certificate as stolen: rotate it twice and revoke the "
                      "account's sessions.", "the AD FS service account, run under a named (not managed) account"),
    "service_stager": ("Find the account that installed or started the service (the logons just before it) and the "
                       "host it came from; decode the payload (base64, then gzip) to see its callback.",
                       "none known: no management product installs a service running a compressed in-memory script"),
    "cmd_stager": ("Decode the PowerShell command and find what started cmd.exe (its parent: a document, a script, "
                   "a service, a WMI call from another host).", "an installer or logon script the IT department wrote"),
    "obfuscated_cradle": ("Join the script block's pieces (its URLs and the file it writes) and look for the file "
                          "and the connections to those URLs.", "a packer or licensing script of a vendor, named"),
    "network_stager": ("Find the downloaded executable (the files.log and pe.log records) and what the host did "
                       "after it (its process creations, if an agent runs there); block the address.",
                       "an in-house server that serves a program and then talks TLS to it on that port"),
}
"""The analyst's next steps of the newer rules, and what would make a hit benign
(:func:`analytics.host_finding_words.checks`)."""
