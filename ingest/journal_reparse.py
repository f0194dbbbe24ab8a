"""Journaled events of kinds whose parser changed, read again from their raw record (part of ``graphsiem rebuild``).

The journal keeps each record as read (``raw``) beside the event its parser
made then (``kind``, ``fields``), and a rebuild replays the events without
parsing again.  When a release reads a kind of record better, its rows
journaled before keep the old reading: Security 4662 was ``windows:other``
until it was parsed as ``winsec:object_operation`` (its object, operation and
subject), so a Golden SAML DKM read journaled before stayed invisible to event
search, the host timeline's counts and host findings.

:data:`PARSER_VERSIONS` names, per journaled kind, the version of the reading
that may make such rows something else, and why.  :func:`reparse` reads every
row of a kind whose recorded version (``meta`` :data:`REPARSE_KEY`; none: 1)
is older, with this release's parser, and when the record gives one event on
the same host at the same time, writes that event's kind and fields into the
row.  The row keeps its seq, id, raw, origin and time: evidence and links keep
pointing at it.  A record whose content id (:mod:`ingest.event_ids`) is now
another (a Windows event's content id covers its kind and fields) has the new
id as an alias (``event_id_aliases``, :mod:`ingest.journal_id_aliases`), so
ingesting its file again adds nothing; ``--recompute-ids``, run after, gives
the row that id.  ``host_kind_counts`` moves the row to its new kind.  Rows
read into something else (several events, another host or time, a rejection)
and hostless rows stay as they are and are counted ``kept``.

Resumable per batch (the kind's progress in the same ``meta`` key, in the
batch's transaction), cheap once done (one ``meta`` read), and the graph is
marked for a rebuild when a row changed (``graphsiem rebuild`` projects it
right after).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import orjson

from ingest.channel_hosts import UNBOUND_CHANNEL
from ingest.journal_id_migration import ALIASES_TABLE, graph_needs_rebuild
from ingest.journal_id_rereads import ROW_COLUMNS, Rereader
from ingest.journal_schema import Transaction
from ingest.parsers.base import ParserRegistry
from ingest.receipt import RECEIVED_AT

if TYPE_CHECKING:
    from ingest.journal import Journal

PARSER_VERSIONS: dict[str, tuple[int, str]] = {
    # before windows:other, whose 4662s this release reads with their logon id: read once, not twice
    "winsec:object_operation": (2, "4662 keeps SubjectLogonId (winlog.logon.id): a directory read's session"),
    "windows:other": (3, "Security 4662 is parsed: winsec:object_operation (its object, operation and subject); "
                         "Sysmon 9 is parsed: sysmon:raw_access_read (the reader and the volume)"),
    "winsec:special_privileges": (2, "4672 keeps SubjectLogonId (winlog.logon.id): the 4624 session it made "
                                     "privileged"),
    "winsec:logon_failed": (3, "4625 keeps AuthenticationPackageName and LogonProcessName (winlog.logon.*), "
                               "an MDE LogonFailed its Protocol: only an NTLM failure lends a 4776 its address"),
    "winsec:logon": (2, "4624 keeps TargetLogonId (winlog.logon.id): the session a DC's 4662 names; "
                        "an MDE LogonSuccess its Protocol"),
    "sysmon:process_create": (2, "Sysmon 1 keeps FileVersion (process.pe.file_version): a host's Windows release "
                                 "is read from its own binaries' (lsm.exe reads LSASS only on Vista and 7)"),
    # a program whose file name has no extension runs as its .exe (CreateProcess): the installed command is its run
    **dict.fromkeys(("windows:service_installed", "windows:task_created", "windows:task_updated",
                     "sysmon:wmi_consumer"),
                    (2, "a service's, task's or WMI consumer's program named without extension, with a folder "
                        "too, is its .exe (C:\\ProgramData\\x\\svc runs svc.exe), the node of its Sysmon 1")),
}
"""Per journaled kind, the version of this release's reading of such records, and what changed at it."""

REPARSE_KEY = "reparsed_kinds"
"""The ``meta`` key: per kind, ``{"version": n}`` once read again by version ``n``, ``"upto"`` while under way."""


@dataclass
class Reparse:
    """What :func:`reparse` did in this call."""

    rows_read: int = 0
    changed: dict[str, int] = field(default_factory=dict)
    """Rows rewritten, by ``"old kind -> new kind"``."""
    kept: int = 0
    """Rows read whose record gives the same event, or one this step does not write (see the module)."""
    aliases: int = 0
    """New content ids kept as aliases of their rows."""
    kinds: list[str] = field(default_factory=list)
    """The kinds read again."""

    def as_dict(self) -> dict[str, Any]:
        """The counts as a JSON-ready dict."""
        return asdict(self)


def reparse(
    journal: Journal,
    *,
    registry: ParserRegistry | None = None,
    versions: dict[str, tuple[int, str]] | None = None,
    batch_rows: int = 2000,
    max_batches: int | None = None,
    on_batch: Callable[[Reparse], None] | None = None,
) -> Reparse:
    """Read again the rows of kinds whose parser changed since they were journaled (module docstring).

    Parameters
    ----------
    journal : Journal
        The journal, with nothing else writing to it (the CLI holds the writers' lock exclusively).
    registry : ParserRegistry, optional
        The parsers (default: :func:`ingest.registry.default_registry`).
    versions : dict, optional
        Per kind, its version and why (default :data:`PARSER_VERSIONS`).
    batch_rows : int
        Rows a transaction reads.
    max_batches : int, optional
        Stop after this many batches (the next call goes on).
    on_batch : callable, optional
        Called with the counts after each committed batch.

    Returns
    -------
    Reparse
        This call's counts.
    """
    from ingest.registry import default_registry

    db = journal.connection
    db.execute(ALIASES_TABLE)
    done = Reparse()
    progress = _load(db)
    reader: Rereader | None = None
    batches = 0
    for kind, (version, _) in (versions or PARSER_VERSIONS).items():
        state = progress.get(kind, {})
        if state.get("version", 1) >= version:
            continue
        if state.get("reading") != version:  # a reading of another version under way starts again
            state = {"reading": version, "upto": 0}
        done.kinds.append(kind)
        reader = reader or Rereader(registry or default_registry(), journal.id_scheme)
        while True:
            if max_batches is not None and batches >= max_batches:
                return done
            with Transaction(db):
                rows = db.execute(f"SELECT {ROW_COLUMNS}, fields FROM events WHERE kind = ? AND seq > ? "  # noqa: S608
                                  "ORDER BY seq LIMIT ?", (kind, state["upto"], batch_rows)).fetchall()
                for row in rows:
                    _read_again(db, reader, row, done)
                if rows:
                    state["upto"] = rows[-1][0]
                else:
                    state = {"version": version}
                progress[kind] = state
                if done.changed:
                    graph_needs_rebuild(db)
                _store(db, progress)
            batches += 1
            if on_batch is not None:
                on_batch(done)
            if not rows:
                break
    if done.aliases:
        journal.reload_id_index()  # appends look the new aliases up from now on
    return done


def _read_again(db: sqlite3.Connection, reader: Rereader, row: tuple, done: Reparse) -> None:
    """Write the event this release reads from ``row``'s record into the row, when it is one event of its host."""
    seq, row_id, kind, host, *_, ts, fields_json = row
    done.rows_read += 1
    old_fields = orjson.loads(fields_json)
    # a live channel's receipt time: the session stamped it after the parse, and a record
    # without a time of its own was dated by it (ingest.receipt)
    received = old_fields.get(RECEIVED_AT) if isinstance(old_fields, dict) else None
    reader.context.received_at = received
    read = reader.events(row[:-1])
    events = read[2] if read is not None else []
    if host is None or len(events) != 1 or events[0].host != host or events[0].ts != ts:
        done.kept += 1
        return
    event = events[0]
    if received is not None and isinstance(event.fields, dict):
        event.fields[RECEIVED_AT] = received
    unbound = old_fields.get(UNBOUND_CHANNEL) if isinstance(old_fields, dict) else None
    if unbound is not None and isinstance(event.fields, dict):
        # the session's judgement of its channel, kept: the IP map rebuild learns from these fields
        event.fields[UNBOUND_CHANNEL] = unbound
    new_fields = orjson.dumps(event.fields, default=str)
    if event.kind == kind and orjson.loads(new_fields) == old_fields:
        done.kept += 1
        return
    db.execute("UPDATE events SET kind = ?, fields = ? WHERE seq = ?", (event.kind, new_fields, seq))
    if event.kind != kind:  # the host timeline's counts (ingest.journal_host_kinds) move the row
        db.execute("UPDATE host_kind_counts SET n = n - 1 WHERE host = ? AND kind = ?", (host, kind))
        db.execute("INSERT INTO host_kind_counts (host, kind, n) VALUES (?, ?, 1) "
                   "ON CONFLICT (host, kind) DO UPDATE SET n = n + 1", (host, event.kind))
    if event.id and event.id != row_id:  # its content id now: an alias, so its file adds nothing again
        db.execute("INSERT OR IGNORE INTO event_id_aliases (id, seq) VALUES (?, ?)", (event.id, seq))
        done.aliases += 1
    label = f"{kind} -> {event.kind}"
    done.changed[label] = done.changed.get(label, 0) + 1


def _load(db: sqlite3.Connection) -> dict[str, dict[str, int]]:
    row = db.execute("SELECT value FROM meta WHERE key = ?", (REPARSE_KEY,)).fetchone()
    return {} if row is None else json.loads(row[0])


def _store(db: sqlite3.Connection, progress: dict[str, dict[str, int]]) -> None:
    db.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (REPARSE_KEY, json.dumps(progress, sort_keys=True)),
    )

