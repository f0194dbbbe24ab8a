"""Which version of the projection built a data directory's graph, kept in the journal's ``meta``.

The projection (events -> entities, relations, sightings) learns new fields
between releases, and the analytics read them: a graph projected by an older
release lacks them for the events it projected, until ``graphsiem rebuild``
reads those events again.  An operator who upgrades a data directory was told
nothing of it (upgrade review RV7, finding 1: renamed interpreters went
unseen in events ingested before the upgrade).  So the journal records the
*oldest* projection version that projected any event up to its checkpoint,
and the commands that read the graph (``detect``, ``stats``, ``serve``) say
when it is older than this code's.

The record is the ``meta`` key :data:`VERSION_KEY`, JSON
``{"version": v, "through": seq}``, written in the transaction that moves the
checkpoint (:meth:`ingest.journal.Journal.set_checkpoint`,
:meth:`~ingest.journal.Journal.bind_store`):

- a checkpoint moved to 0 (a rebuild, or a graph emptied) drops the record:
  nothing is projected;
- a checkpoint moved from 0 records :data:`PROJECTION_VERSION`;
- a checkpoint moved on from a recorded one keeps the older version.

A journal with a checkpoint above 0 and no record was projected before versions
were recorded: version 1.  ``through`` is the checkpoint the record was written
with: a checkpoint that differs from it was moved by a release that does not
know the key (a downgrade), which projected with version 1 at best, so the
graph counts as version 1.  Releases before this one ignore the key (they read
``meta`` by key), so a downgraded binary still runs on the directory.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from ingest.journal_schema import CHECKPOINT_KEY

PROJECTION_VERSION = 20
"""This code's projection version.

1. Everything before versions were recorded (release b920bda and earlier).
2. Process and file entities keep the PE OriginalFileName
   (``original_file_name``, :mod:`ingest.projection_entities`): renamed
   binaries (interpreter lineage, the renamed-copy step) are read from it.
3. ``host RAN process`` for every process an event of the host names (an LSASS read, a
   connection, a file write: a host page leads to them), ``user CLEARED_LOG host`` (1102/104),
   the signatures on ``ALERTED`` edges, and an NTLM/Kerberos client's declared workstation name
   ``CLAIMED_AT`` the client's address (a tool's default ``WORKSTATION`` makes no host).
4. ``user VALIDATED_AT host`` for an NTLM credential validation (Security 4776, from syslog text and
   Windows records alike), with its outcomes and the workstation names its clients claimed as the
   edge's tallies (:mod:`ingest.projection_logons`): a password spray on a DC is on the DC's page.
   A WMI subscription's command (Sysmon 20, a command-line consumer) is ``host INSTALLED process``,
   keyed as its run (a script consumer: ``host INSTALLED script``), and an installed command says how
   it was installed (``mechanisms``: ``service``, ``scheduled_task``, ``wmi_subscription``).
   An antivirus detection (``av:detection``: Symantec's text sent by EvntSLog) is ``host DETECTED file``
   (:mod:`ingest.projection_antivirus`): the quarantined file is on the host's page.
   A 4776 on a domain controller of a known domain names its account ``netbios\\name``, the user
   the DC's 4624 names (edge tally ``account_domain``), and keeps a claimed FQDN whole.
5. ``host DETECTED file`` tallies the threat names, what the product did and the products
   (``threats``, ``av_actions``, ``av_products``: a cluster's antivirus step reads them), and a
   detection journaled by an earlier release (Symantec's text as a ``syslog:message``, a Defender
   1116/1117 as a ``windows:other``) is read as the detection it is (:mod:`ingest.projection_antivirus`).
6. A logon's claimed workstation (4624/4625 ``WorkstationName``) that no Windows computer can be
   named (over NetBIOS's 15 characters, as Metasploit's random ``AIdqOuDhHrkCN8Hy``, or a character
   NetBIOS forbids) or that is a tool's default (``WORKSTATION``) is tallied (``workstations``) on the
   logon's user and address edges, never a host; any other name is the host, as before
   (:meth:`ingest.projection_logons.LogonRules._claimed_workstation`).  The name alone decides, not
   the journal's order (review R20 #1).
7. An antivirus detection is no sighting of its file on the host (``host DETECTED file`` only): a file
   found by an antivirus and never seen otherwise is no pivot that drops the cluster of the process
   that ran it (:mod:`ingest.projection_antivirus`).
8. A file known only by a path or name never takes a digest's key: a path of a digest's shape is
   keyed ``path:<path>`` (:func:`ingest.normalize_digests.file_path_key`), and an antivirus detection
   whose path is no absolute path is keyed so too (:func:`ingest.projection_antivirus.looks_like_a_path`):
   a forged Defender line whose "path" was a real file's SHA-256 was a detection of that file (task AV3).
9. An image load's signer (Sysmon 7 ``Signed``/``Signature``/``SignatureStatus``, ECS ``dll.``/``file.code_signature``)
   is kept on the loaded file, an ECS process record's (``process.code_signature``) on the process
   (:mod:`ingest.projection_signers`): a verdict carried to a product's new build checks it.  A WMI run
   journaled before its consumer is ``host RAN`` the installed command as a later one is
   (:mod:`ingest.projection_wmi_runs`; task BEH3).
10. An antivirus detection naming no file (Defender's registry, process, behaviour, WMI and memory
    detections) is ``host DETECTED`` its resource, a node of its own (:func:`ingest.projection_antivirus.resource_key`):
    an antivirus finding lists it (task AVX).
11. A Kerberos realm is learnt to be a NetBIOS domain only when that name is one of the realm's own DNS
    labels (:func:`ingest.realm_domains.names_its_realm`): two forged computer names of another forest
    (``EVIL1.partner.local`` as ``THESHIRE\\EVIL1$``) no longer name its users in the home domain; a realm
    whose hosts give another name stays ``realm\\name`` (task OLD2).
12. A destination's sighting (a domain, an address, a URL) keeps its host's contact times, the 16
    earliest and 16 latest distinct ones (:mod:`graphsiem.contact_times`): how regularly a host
    contacted it (a beacon against a heartbeat) is read from them (task BEACON).
13. A Zeek ``rdp.log`` session whose negotiation went through (``Success``, ``encrypted``) is its client's
    address ``LOGGED_ON`` the server's host (the IP map's, else its address), as a 4624 type 10's source
    (:mod:`ingest.projection_rdp`): the lateral-movement source is named from it.  No user: the cookie is a
    claim (task LAT2).
14. A process node's ``sha256`` is its earliest creation's build by event time, ties by event id
    (``sha256_seen`` stamps it, :mod:`graphsiem.store.earliest_build`), in both stores and wherever batches
    are cut; it was the batch's first and the last batch's, so a trojan ingested last became the build
    (task HOSTF3).
15. A process creation that says its image's SHA-256 names that build's file too (keyed by the digest, its
    ``image_of`` the image path), ``process LOADED file``, sighted on the host that ran it
    (:mod:`ingest.projection_builds`): a new build at a known path and command line (a trojanised updater)
    is a new file on its hosts, where before it was the updater's one process node (task T16B).
16. A process node's ``sha1``, ``md5``, ``imphash`` and ``original_file_name`` are the same creation's as its
    ``sha256``, the earliest's, kept or replaced whole (:func:`graphsiem.store.earliest_build.merge_props`);
    each was the batch's first event's and the last batch's, so one node could pair two runs' digests.
    A build naming a SHA-256 ranks before one naming none (``sha256_seen`` starts with the rank) (task HOSTF4).
17. A DHCP lease gives way to another host seen using its address after the lease began (its own
    endpoint network events), and a lease no longer ends other hosts' endpoint intervals
    (:mod:`ingest.ipmap_sightings`): a workstation renewing its lease under another machine's name had
    its sensor-seen traffic drawn from that machine for the lease's day (red team T17).  A device's
    name for an address (CEF ``shost``) is a ``device`` claim below every lease and sighting, no longer
    a sighting (task T17B, same version: unreleased).  A rebuild learns the IP map again from the journal.
18. ``%COMSPEC%`` is cmd.exe to the PowerShell decoding (:mod:`ingest.powershell`): a process whose
    command line runs ``%COMSPEC% /c powershell -enc ...`` (nested in a cmd line, or unexpanded) has
    its ``decoded_command``, as ``cmd.exe /c powershell -enc ...`` had (task INGF).
19. PowerShell 4103 (module logging) is ``process EXECUTED script`` of its payload (the command invocation and
    its parameter bindings) and ``process RUN_AS user``, its process joined by pid as a 4104's
    (:mod:`ingest.projection_scripts`); Security 4672 is ``user PRIVILEGED_ON host`` with its ``privileges``
    tallied (SYSTEM and the service accounts are not: privileged everywhere); Sysmon 9 is ``process READ_RAW
    file``, the volume read past the file system (:mod:`ingest.projection_endpoint`; task COVER).
20. A requested URL is ``url SERVED_FROM ip`` of the server address the request reached (Zeek http
    ``id.resp_h``, EVE http ``dest_ip``, an endpoint record naming the URL and its address): a URL's domain is
    the client's Host header, so a management agent's download is read only where its domain resolved to
    that address (:mod:`analytics.agent_caches`; task HOSTH).
"""

VERSION_KEY = "projection_version"

WHAT_CHANGED = {2: "renamed binaries, PE original file names",
                3: "host links to every process it ran, log clears, alert signatures, NTLM-claimed names",
                4: ("NTLM credential validations (4776) on the validating host, WMI subscriptions' commands installed "
                    "on their hosts, antivirus detections as `host DETECTED file`"),
                5: ("antivirus detections' threats and actions, and detections journaled before they were read "
                    "(Symantec text, Defender 1116/1117)"),
                6: ("logons' claimed workstation names no computer can have (over 15 characters, a tool's default) "
                    "as claims, not hosts"),
                7: "antivirus detections as corroboration only: no sighting of the detected file",
                8: "files known by a path never keyed as a digest, antivirus detections naming no real path kept apart",
                9: "image signers (Sysmon 7, ECS code_signature) on files, WMI runs journaled before their consumer",
                10: "antivirus detections naming no file (registry, process, behaviour, memory) as detected resources",
                11: "Kerberos realms mapped to a NetBIOS domain only when it is one of the realm's own labels",
                12: "destinations' contact times per host (how regularly each host contacted them)",
                13: "Zeek rdp.log sessions as their client address's log-ons on the server's host",
                14: "each process's build (sha256) as its earliest creation's, wherever batches were cut",
                15: "each build a process creation ran as a file on its hosts (a new build at a known path)",
                16: "each process's other digests and PE original name from the creation its sha256 comes from",
                17: "sensor traffic of an address drawn from the host seen using it, not a lease or a device's "
                    "claim under another name",
                18: "the decoded PowerShell of a %COMSPEC% /c powershell -enc command line",
                19: "PowerShell 4103 invocations as scripts, 4672 admin log-ons, Sysmon 9 raw volume reads",
                20: "the server address each requested URL was served from"}
"""What each version added that a graph projected before it lacks, in words for the warning."""


def recorded_version(db: sqlite3.Connection) -> int | None:
    """The oldest projection version in the graph ``db``'s journal describes; None when nothing is projected.

    Parameters
    ----------
    db : sqlite3.Connection
        The journal's connection.
    """
    checkpoint = _meta(db, CHECKPOINT_KEY)
    if checkpoint is None or int(checkpoint) == 0:
        return None
    text = _meta(db, VERSION_KEY)
    if text is None:
        return 1  # projected before versions were recorded
    try:
        record = json.loads(text)
        version, through = int(record["version"]), int(record["through"])
    except (ValueError, TypeError, KeyError):
        return 1  # unreadable: assume the oldest, so the operator is told to rebuild
    # a checkpoint moved by code that does not keep the record (a downgraded release)
    return version if through == int(checkpoint) else 1


def record_checkpoint(db: sqlite3.Connection, seq: int) -> None:
    """Update the record for a checkpoint about to move to ``seq`` (call inside its transaction, before it moves).

    Parameters
    ----------
    db : sqlite3.Connection
        The journal's connection, in the transaction that writes the checkpoint.
    seq : int
        The new checkpoint.
    """
    if seq == 0:
        db.execute("DELETE FROM meta WHERE key = ?", (VERSION_KEY,))
        return
    held = recorded_version(db)  # what the checkpoint being replaced covers
    version = PROJECTION_VERSION if held is None else min(held, PROJECTION_VERSION)
    db.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (VERSION_KEY, json.dumps({"version": version, "through": seq})),
    )


def version_in_file(path: str | Path) -> int | None:
    """:func:`recorded_version` of the journal file at ``path``, read only (None: no journal, or nothing projected).

    For the commands that only read (``stats``, ``serve``'s start, ``/healthz``):
    the file is opened read-only, so nothing is made or migrated.  A journal
    that cannot be read says nothing here; the command's own reads report it.
    """
    path = Path(path)
    if not path.is_file():
        return None
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=5.0)
    except sqlite3.Error:
        return None
    try:
        return recorded_version(db)
    except sqlite3.Error:
        return None  # no meta table yet, or locked past the timeout
    finally:
        db.close()


def rebuild_advised(version: int | None) -> bool:
    """Whether a graph of projection ``version`` lacks what this code's projection adds."""
    return version is not None and version < PROJECTION_VERSION


def older_projection_warning(command: str, version: int, store: str) -> str:
    """The one line a command prints when the graph was projected by an older version.

    Examples
    --------
    >>> print(older_projection_warning("detect", 1, "embedded"))  # doctest: +ELLIPSIS
    graphsiem detect: warning: the graph was projected by an older version of graphsiem (projection 1 < ...: renamed binaries, PE original file names; ...): run `graphsiem rebuild --store embedded` to re-read events ingested before the upgrade
    """
    missing = "; ".join(WHAT_CHANGED[v] for v in sorted(WHAT_CHANGED) if v > version)
    return (
        f"graphsiem {command}: warning: the graph was projected by an older version of graphsiem "
        f"(projection {version} < {PROJECTION_VERSION}: {missing}): run `graphsiem rebuild --store {store}` "
        f"to re-read events ingested before the upgrade"
    )


def older_projection_advice(command: str, journal_path: str | Path, store: str | None) -> str | None:
    """The warning line for the graph of the journal file at ``journal_path`` (None: it is of this version).

    Read only (:func:`version_in_file`), for ``stats`` and the service's start.

    Parameters
    ----------
    command : str
        The command that prints it (``"stats"``, ``"serve"``).
    journal_path : path
        The data directory's journal file.
    store : str, optional
        The store's kind (``embedded``, ``neo4j``), named in the rebuild advice.
    """
    version = version_in_file(journal_path)
    if version is None or not rebuild_advised(version):
        return None
    return older_projection_warning(command, version, store or "embedded")


def _meta(db: sqlite3.Connection, key: str) -> str | None:
    row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return str(row[0]) if row else None
