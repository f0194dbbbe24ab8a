"""Endpoint events (Sysmon, Windows Security, PowerShell, ECS, syslog with a host): one rule per kind.

Each rule of :class:`EndpointRules` takes the event's :class:`EventContext` and relates the
entities it names to the event's host; :meth:`EndpointRules._generic` reads events
without a rule of their own by field presence.  PowerShell blocks logged in parts wait
in :mod:`ingest.projection_scripts`; connections (Sysmon 3, Security 5156) are
:mod:`ingest.projection_connections`' rules and installs (services, tasks, WMI consumers)
:mod:`ingest.projection_installs`', which :class:`EndpointRules` derives.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from graphsiem.model import TALLY_LABEL_CHARS, Entity, EntityKey
from ingest.image_paths import basename
from ingest.journal_sid_names import SERVICE_SIDS, WELL_KNOWN_SIDS
from ingest.projection_accumulator import FILE, EventContext, R
from ingest.projection_builds import relate_image_build
from ingest.projection_connections import ConnectionRules
from ingest.projection_entities import FILE_FIELDS, NO_PEER

# INSTALLED_NAMES and InstalledNames are re-exported: ingest.projection and tests import them from here
from ingest.projection_installs import INSTALLED_NAMES as INSTALLED_NAMES
from ingest.projection_installs import InstalledNames as InstalledNames
from ingest.projection_installs import InstallRules
from ingest.projection_processes import PARENT_FIELDS, PROCESS_FIELDS, TARGET_FIELDS
from ingest.projection_scripts import ScriptRules
from ingest.projection_signers import IMAGE_SIGNER_FIELDS, PROCESS_SIGNER_FIELDS, signer_props
from ingest.projection_transfers import download_origin_ip, relate_served_from

GENERIC_KEYS = frozenset((
    "process.executable", "process.command_line", "process.guid", "user.name", "dns.question.name",
    "destination.ip", "url.full", "file.hash.sha256", "file.path", "file.name", "file.hash.sha1",
    "file.hash.md5",
))
"""Every field :meth:`EndpointRules._generic` can act on: an event with none of them adds only its host
(:meth:`ingest.projection.Projector.project_into` does that without building an :class:`EventContext`)."""

_PARENT_IDENTITY = frozenset(PARENT_FIELDS[:3])
"""The parent fields without which :meth:`EntityBuilders._process` finds no parent (image, command line, GUID)."""
_FILE_IDENTITY = frozenset(FILE_FIELDS[:5])
"""The file fields without which :meth:`EntityBuilders._file` finds no file (hashes, path, name)."""

_PROCESS_SIGNER_KEYS = frozenset(field for field, _ in PROCESS_SIGNER_FIELDS)
"""An ECS process record's signer fields (:mod:`ingest.projection_signers`): most records have none."""

# SYSTEM, LOCAL SERVICE and NETWORK SERVICE are privileged on every host: no account's admin log-on,
# by SID or by name (a record that gives no SID: syslog text)
_SERVICE_ACCOUNTS = frozenset(WELL_KNOWN_SIDS[sid] for sid in SERVICE_SIDS)

_LOCAL_SOURCES = NO_PEER | {"127.0.0.1", "::1"}
"""Logon source addresses of a logon from the machine itself."""

_SID_LIMIT = 65536
"""Accounts whose SID -> name the join state remembers (a fleet's domain has thousands; the older half
goes past this, and a principal given by a SID forgotten keeps its SID node until a logon teaches it again)."""
_ACCOUNT_SID = re.compile(r"s-1-5-21(-\d{1,10}){4}", flags=re.ASCII)
"""A domain or local account's SID, lower case (``s-1-5-21-<domain or machine>-<rid>``): the well-known
ones (``S-1-5-18``...) are names already (:data:`ingest.parsers.windows_persistence._WELL_KNOWN_ACCOUNTS`)."""


def _ecs_words(value: object) -> tuple[str, ...]:
    """An ECS keyword field (a string or a list of them) as lower-case words."""
    if isinstance(value, str):
        return (value.lower(),)
    if isinstance(value, list):
        return tuple(str(item).lower() for item in value)
    return ()


def _ecs_teaches_sid(fields: Mapping[str, Any]) -> bool:
    """Whether an ECS event names its account as Windows' 4624 or 4688 does: a successful
    authentication (``event.category`` ``authentication``, ``event.outcome`` ``success``) or a
    process start (``event.category`` ``process``, ``event.type`` ``start``).  A failed or
    unsaid outcome teaches nothing: its ``user.name`` may be what an attacker typed.
    """
    categories = _ecs_words(fields.get("event.category"))
    if "authentication" in categories:
        return str(fields.get("event.outcome") or "").lower() == "success"
    # ECS event.type is not mapped by the ECS parser: it is kept as ecs.event.type
    return "process" in categories and "start" in _ecs_words(fields.get("ecs.event.type"))


class EndpointRules(ScriptRules, ConnectionRules, InstallRules):
    """The endpoint rules of :class:`ingest.projection.Projector`, by event kind."""

    _sid_names: dict[str, str]
    # a logon's claimed workstation: a host only if a computer can have the name (ingest.projection_logons)
    _claimed_workstation: Callable[[EventContext, str, EntityKey | None, EntityKey | None], None]

    def _process_create(self, ctx: EventContext) -> None:
        process = self._process(ctx, PROCESS_FIELDS)
        parent = self._parent(ctx)
        ctx.rel(ctx.host, R.RAN, process)
        ctx.rel(ctx.host, R.RAN, parent)  # the parent ran there too (its own creation may predate the logs)
        ctx.rel(parent, R.SPAWNED, process)
        ctx.rel(process, R.RUN_AS, self._user(ctx))
        relate_image_build(ctx, process)  # which build ran: a new one at a known path is a new file (T16B)
        self._learn_sid(ctx)
        self._relate_wmi_run(ctx)  # the run of a templated WMI consumer: host RAN its installed command too

    def _learn_sid(self, ctx: EventContext) -> None:
        """Remember the account name of the SID an event gives with it (``user.id`` beside ``user.name``:
        4624, 4672 and 4688 of Windows; in ECS a successful authentication or a process start,
        :func:`_ecs_teaches_sid`), fleet-wide, so a task principal or service account given as
        that SID is the account's user node (:meth:`ingest.projection_installs.InstallRules._principal`).

        Only an account's SID (``S-1-5-21-...``) is learnt; a failed logon teaches nothing (its SID is
        the NULL SID, or a name the attacker typed).  A SID seen with another name later (a renamed
        account) takes the later name.  The map is part of the join state (saved between calls,
        bounded by :data:`_SID_LIMIT`), so an ingest in many calls and a replay learn the same names
        at the same events.
        """
        fields = ctx.fields
        sid = fields.get("user.id")
        if sid is None:
            return
        name = fields.get("user.name")
        sid = str(sid).lower()
        if not name or not _ACCOUNT_SID.fullmatch(sid):
            return
        name = str(name).lower()
        if name != sid and self._sid_names.get(sid) != name and not _ACCOUNT_SID.fullmatch(name):
            self._remember(self._sid_names, sid, name, _SID_LIMIT)

    def _parent(self, ctx: EventContext) -> EntityKey | None:
        """A creation's parent: itself when the event names it fully (a command line), else the
        process known by its GUID, else the one that held its pid on the host at the event's time
        (Security 4688 names the parent by image and pid only, older Windows by pid alone), else
        its image alone.

        Without the pid join every 4688 parent was one image-only node shared by the fleet, and a
        chain broke after one level (powershell -> cmd /c whoami, then "cmd.exe" -> net user).
        """
        fields = ctx.fields
        k_exe, k_cmd, k_guid = PARENT_FIELDS[:3]
        if not fields.get(k_cmd):
            host = ctx.hosts[0]
            guid = fields.get(k_guid)
            if not guid or (host, guid) not in self._processes:
                pid = fields.get(PARENT_FIELDS[6])
                # a process is never its own parent (a crafted 4688 with ProcessId = NewProcessId)
                if pid is not None and pid != fields.get(PROCESS_FIELDS[6]):
                    exe = fields.get(k_exe)
                    holder = self._pid_holder(host, pid, ctx.ts, basename(str(exe)) if exe else "")
                    if holder is not None:
                        return holder
        return self._process(ctx, PARENT_FIELDS)

    def _process_only(self, ctx: EventContext) -> None:
        ctx.rel(ctx.host, R.RAN, self._process(ctx, PROCESS_FIELDS))

    def _dns(self, ctx: EventContext) -> None:
        domain = self._domain(ctx, ctx.fields.get("dns.question.name"))
        process = self._process(ctx, PROCESS_FIELDS)
        ctx.rel(ctx.host, R.RAN, process)
        ctx.rel(process, R.RESOLVED, domain)
        ctx.rel(ctx.host, R.RESOLVED, domain)
        self._answers(ctx, domain)

    def _file_action(self, relation: str):  # noqa: ANN202 - returns a handler
        def handler(ctx: EventContext) -> None:
            process = self._process(ctx, PROCESS_FIELDS)
            ctx.rel(ctx.host, R.RAN, process)
            ctx.rel(process, relation, self._file(ctx))

        return handler

    def _registry(self, ctx: EventContext) -> None:
        path = ctx.fields.get("registry.path")
        if not path:
            return
        text = str(path)
        ref = (FILE, text.lower())
        entities = ctx.acc.entities
        entity = entities.get(ref)
        if entity is None:
            entities[ref] = Entity(FILE, ref[1], text, {"path": path, "registry": True})
        else:  # a recurring key: what Accumulator.entity's setdefault merge keeps, without its props dict
            props = entity.props
            if "path" not in props:
                props["path"] = path
            if "registry" not in props:
                props["registry"] = True
        process = self._process(ctx, PROCESS_FIELDS)
        ctx.rel(ctx.host, R.RAN, process)
        ctx.rel(process, R.MODIFIED, ref)

    def _process_pair(self, relation: str):  # noqa: ANN202 - returns a handler
        def handler(ctx: EventContext) -> None:
            source, target = self._process(ctx, PROCESS_FIELDS), self._process(ctx, TARGET_FIELDS)
            ctx.rel(ctx.host, R.RAN, source)
            ctx.rel(ctx.host, R.RAN, target)
            ctx.rel(source, relation, target)

        return handler

    # -- Sysmon 6, 15, 20, 27/28 ----------------------------------------------
    def _file_stream(self, ctx: EventContext) -> None:
        """Sysmon 15: the process WROTE the file; a Zone.Identifier's ``HostUrl`` (``url.full``) is
        where it came from: ``host DOWNLOADED file SERVED_BY url ON domain``, and ``file SERVED_BY ip``
        of its origin address (:func:`ingest.projection_transfers.download_origin_ip`)."""
        file = self._file(ctx)
        process = self._process(ctx, PROCESS_FIELDS)
        ctx.rel(ctx.host, R.RAN, process)
        ctx.rel(process, R.WROTE, file)
        url = self._url(ctx)
        origin = self._ip(ctx, download_origin_ip(ctx.fields))
        if file is not None and (url is not None or origin is not None):
            ctx.rel(ctx.host, R.DOWNLOADED, file)
            ctx.rel(file, R.SERVED_BY, url)
            ctx.rel(file, R.SERVED_BY, origin)
            ctx.rel(url, R.ON, self._domain(ctx, ctx.fields.get("url.domain")))
            relate_served_from(ctx, url, origin[1] if origin is not None else None)

    def _driver_load(self, ctx: EventContext) -> None:
        """Sysmon 6: ``host LOADED file`` (the kernel loads a driver: the event names no process),
        the file with its signature (props ``signed``, ``signature``, ``signature_status``)."""
        file = self._signed_file(ctx)
        if file is not None:
            ctx.rel(ctx.host, R.LOADED, file)

    def _image_load(self, ctx: EventContext) -> None:
        """Sysmon 7 (and an ECS library load): ``process LOADED file``, the file with its signer as a
        driver's (:mod:`ingest.projection_signers`): the process's own image is one of its loads, so a
        build's signer is known where its image loads are logged."""
        process = self._process(ctx, PROCESS_FIELDS)
        ctx.rel(ctx.host, R.RAN, process)
        ctx.rel(process, R.LOADED, self._signed_file(ctx))

    def _signed_file(self, ctx: EventContext) -> EntityKey | None:
        """The event's file, with the signer the event gives (a later event's replaces an earlier's: the same
        digest is the same bytes, so the same signature; a status may change, as when a certificate expires)."""
        file = self._file(ctx)
        if file is not None:
            signer = signer_props(ctx.fields, IMAGE_SIGNER_FIELDS)
            if signer:
                ctx.acc.entities[file].props.update(signer)
        return file

    def _raw_access_read(self, ctx: EventContext) -> None:
        """Sysmon 9: ``process READ_RAW file``, the volume a process read directly (``\\Device\\HarddiskVolume3``).

        Reading a volume past the file system copies files Windows holds locked (NTDS.dit, the SAM
        and SYSTEM hives) without opening them: the device is a file node by its path, one for the
        fleet, and the reader is on the host's page.  Which readers are expected is the host
        finding's question (:mod:`analytics.host_finding_rules`), not the graph's.
        """
        process = self._process(ctx, PROCESS_FIELDS)
        ctx.rel(ctx.host, R.RAN, process)
        ctx.rel(process, R.READ_RAW, self._file(ctx))

    def _file_blocked(self, ctx: EventContext) -> None:
        """Sysmon 27/28: a write or delete Sysmon blocked: the process (it ran on the host) and the file,
        no relation between them."""
        ctx.rel(ctx.host, R.RAN, self._process(ctx, PROCESS_FIELDS))
        ctx.touch(self._file(ctx))

    def _logon(self, ctx: EventContext) -> None:
        user = self._user(ctx)
        ctx.rel(user, R.LOGGED_ON, ctx.host)
        self._logon_source(ctx, R.LOGGED_ON, user)
        self._learn_sid(ctx)

    def _logon_failed(self, ctx: EventContext) -> None:
        ctx.touch(self._user(ctx))
        self._logon_source(ctx, R.CONNECTED)  # it reached the host, but did not log on

    def _logon_source(self, ctx: EventContext, relation: str, account: EntityKey | None = None) -> None:
        """A logon from another machine: its address and its workstation name ``relation`` this host.

        That is lateral movement (``ws-0042 LOGGED_ON srv-01``, ``203.0.113.9 CONNECTED dc01`` for a
        spray's failures).  The address stays an IP: endpoint events are projected before the
        call's IP -> host map is complete (``ingest.pipeline``), so mapping it here would make a
        graph that a replay does not.  A logon from the machine itself (loopback, its own name)
        relates nothing; its address is sighted as before.  The workstation name is the client's claim
        (:meth:`ingest.projection_logons.LogonRules._claimed_workstation`): a host when a computer can
        have that name (a NetBIOS name, no tool default), else a tally of the logon's edges (``account``'s, the address's).
        """
        fields = ctx.fields
        ip = self._ip(ctx, fields.get("source.ip"))
        if ip is not None:
            if ip[1] in _LOCAL_SOURCES:
                ctx.touch(ip)
            else:
                ctx.rel(ip, relation, ctx.host)
        self._claimed_workstation(ctx, relation, ip if ip is not None and ip[1] not in _LOCAL_SOURCES else None,
                                  account)

    def _log_cleared(self, ctx: EventContext) -> None:
        """Security 1102 or System 104: ``user CLEARED_LOG host``, the account that wiped the host's log
        (anti-forensics an analyst must find on both pages).  An event that does not name the account
        (a rendered-text-only record) relates nothing: its host is added, the event stays in the journal.
        """
        ctx.rel(self._user(ctx), R.CLEARED_LOG, ctx.host)
        self._learn_sid(ctx)

    def _special_privileges(self, ctx: EventContext) -> None:
        """Security 4672: ``user PRIVILEGED_ON host``, an admin log-on (special privileges given to a new
        session), its privileges tallied on the edge (``privileges``: ``SeDebugPrivilege``...).

        The event is the session's (``winlog.logon.id`` is the 4624's ``TargetLogonId``): the edge's
        evidence leads to the log-on it made privileged.  The service identities (SYSTEM, LOCAL and
        NETWORK SERVICE, :data:`ingest.journal_sid_names.SERVICE_SIDS`) are privileged on every host at every boot and say
        nothing of an account: they are sighted only, as before.
        """
        user = self._user(ctx)
        self._learn_sid(ctx)
        host = ctx.host
        if (user is None or host is None or user[1] in _SERVICE_ACCOUNTS
                or str(ctx.fields.get("user.id") or "").lower() in SERVICE_SIDS):
            ctx.touch(user)
            return
        ctx.rel(user, R.PRIVILEGED_ON, host)
        privileges = ctx.fields.get("winlog.privileges")
        if isinstance(privileges, list):
            for name in privileges:
                ctx.acc.tally(user, R.PRIVILEGED_ON, host, "privileges", str(name)[:TALLY_LABEL_CHARS])

    def _generic(self, ctx: EventContext) -> None:
        """Events without a specific rule (ECS, other Windows events, syslog): by field presence.

        Only called for events with one of :data:`GENERIC_KEYS` (see :meth:`project_into`).
        An ECS successful logon or process start teaches its SID's name (:meth:`_learn_sid`).
        """
        fields = ctx.fields
        keys = fields.keys()
        if "user.id" in keys and _ecs_teaches_sid(fields):
            self._learn_sid(ctx)
        process = self._process(ctx, PROCESS_FIELDS)
        # A rule whose fields are all missing adds nothing: it is skipped (most generic
        # events are a process and fields no rule reads, e.g. Sysmon registry events)
        if process is not None:
            ctx.rel(ctx.host, R.RAN, process)
            if not keys.isdisjoint(_PROCESS_SIGNER_KEYS):  # an ECS process record's signer: its image's
                ctx.acc.entities[process].props.update(signer_props(fields, PROCESS_SIGNER_FIELDS))
            if not keys.isdisjoint(_PARENT_IDENTITY):
                parent = self._process(ctx, PARENT_FIELDS)
                ctx.rel(ctx.host, R.RAN, parent)
                ctx.rel(parent, R.SPAWNED, process)
            if "user.name" in fields:
                ctx.rel(process, R.RUN_AS, self._user(ctx))
        elif "user.name" in fields:
            ctx.touch(self._user(ctx))
        actor = process if process is not None else ctx.host
        if "dns.question.name" in fields:
            domain = self._domain(ctx, fields["dns.question.name"])
            ctx.rel(actor, R.RESOLVED, domain)
            self._answers(ctx, domain)
        if "destination.ip" in fields:
            ctx.rel(actor, R.CONNECTED, self._ip(ctx, fields["destination.ip"]))
        url = self._url(ctx) if "url.full" in fields else None
        if url is not None:
            ctx.rel(actor, R.REQUESTED, url)
            ctx.rel(url, R.ON, self._domain(ctx, fields.get("url.domain")))
            relate_served_from(ctx, url, fields.get("destination.ip"))  # a network record naming both
        file = None if keys.isdisjoint(_FILE_IDENTITY) else self._file(ctx)
        if file is not None:
            if url is not None:
                ctx.rel(ctx.host, R.DOWNLOADED, file)
                ctx.rel(file, R.SERVED_BY, url)
            elif process is not None:
                ctx.rel(process, R.WROTE, file)
            else:
                ctx.touch(file)
