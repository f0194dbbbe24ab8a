"""Installs: services, scheduled tasks and WMI consumers as ``host INSTALLED process`` (or driver file, or script).

A service installed (System 7045, Security 4697), a task created or updated (4698/4702), an MDE
``ServiceInstalled``/``ScheduledTask*`` row and a Sysmon 20 WMI consumer are persistence: each
relates the host to the command it will run, keyed as the Sysmon 1 of that run keys it, and keeps
the names it was installed as on the command's props.  Those names are a join of the projector
(``_installed_names``, part of the join state), as is the SID -> name map the principal is read
through (``_sid_names``, learnt by :meth:`ingest.projection_endpoint.EndpointRules._learn_sid`).
Split out of :mod:`ingest.projection_endpoint`, whose :class:`~ingest.projection_endpoint.EndpointRules`
derives from :class:`InstallRules`.
"""

from __future__ import annotations

from typing import Any

from graphsiem.model import EntityKey, stable_hash
from ingest.parsers.windows_wmi import consumer_name, is_command_line_consumer
from ingest.projection_accumulator import SCRIPT, USER, EventContext, R
from ingest.projection_entities import SCRIPT_TEXT_CHARS, SCRIPT_VALUE_CHARS
from ingest.projection_names import NameRules
from ingest.projection_processes import PROCESS_FIELDS
from ingest.projection_wmi_runs import WmiRunRules

InstalledNames = tuple[tuple[str, ...], tuple[str, ...], int, int, tuple[str, ...], int]
"""Of one installed command: its service names, its task names (each sorted, at most
:data:`INSTALLED_NAMES`), how many installs named a service or task not kept, then its WMI
consumer names and how many were not kept (last: a join state saved before them has four items)."""
INSTALLED_NAMES = 32
"""Service names, and task names, kept of one installed command (``svchost.exe -k netsvcs`` is
installed as dozens of services fleet-wide; a name past these is counted, not kept)."""
_INSTALLED_LIMIT = 16384
"""Installed commands whose names the join state remembers (the older half goes past this: a
command installed again after that starts its names afresh)."""


def _with_name(names: tuple[str, ...], dropped: int, name: object) -> tuple[tuple[str, ...], int]:
    """``names`` with ``name`` (a sorted set of at most :data:`INSTALLED_NAMES`), and the count of
    installs whose name was not kept."""
    if not name:
        return names, dropped
    text = str(name)
    if text in names:
        return names, dropped
    if len(names) >= INSTALLED_NAMES:
        return names, dropped + 1
    return tuple(sorted((*names, text))), dropped


class InstallRules(NameRules, WmiRunRules):
    """The install rules of :class:`ingest.projection.Projector` (through
    :class:`~ingest.projection_endpoint.EndpointRules`): services, tasks, WMI consumers."""

    _installed_names: dict[EntityKey, InstalledNames]
    _sid_names: dict[str, str]

    def _principal(self, ctx: EventContext) -> EntityKey | None:
        """The user a service or task runs as: ``user.name``, or when that is an account's SID the
        name a logon gave it (:meth:`ingest.projection_endpoint.EndpointRules._learn_sid`).

        A principal seen before any event that names its SID keeps the SID's user node: the name is
        learnt from events in journal order, so a replay relates the same nodes (an install is not
        re-linked when its account logs on later; its next install is).
        """
        principal = ctx.fields.get("user.name")
        if principal:
            principal = str(principal).lower()
            if principal.startswith("s-1-5-21-"):
                name = self._sid_names.get(principal)
                if name is not None:
                    return ctx.acc.entity(USER, name, name)
        return self._user(ctx)

    def _wmi_consumer(self, ctx: EventContext) -> None:
        """Sysmon 20: a WMI consumer created, persistence like a service or a task.

        A command-line consumer's command (the parser's ``process.*``,
        :mod:`ingest.parsers.windows_wmi`) is ``host INSTALLED process``, keyed as the Sysmon 1 of
        its run keys it, its consumer names kept as a service's names are (``wmi_consumer``,
        ``wmi_consumers``, :meth:`_put_installed_names`); a script consumer's script is
        ``host INSTALLED script``.  A consumer deleted installs nothing.  A command line's PowerShell
        ``-EncodedCommand`` is a script entity too, its decoded text, searchable: the entity its 4104
        block gets when the consumer runs it, sighted on the host then, not now (the host's link is
        the installed process; a script sighted now would lead the fan-out cluster in its place,
        scripts ranking before processes as pivots).  A plain command line is only its process.
        The creating account is sighted; the command runs as ``LocalSystem``, which its Sysmon 1 says.
        A command whose template holds WMI tokens (``%TargetInstance.ProcessId%``) is remembered: each
        run fills them differently, and is related to it when it comes
        (:mod:`ingest.projection_wmi_runs`).
        """
        fields = ctx.fields
        ctx.touch(self._user(ctx))
        destination = fields.get("wmi.consumer.destination")
        if not destination:
            return
        deleted = "delet" in str(fields.get("event.action") or "").lower()
        name = consumer_name(fields)
        command_line = is_command_line_consumer(fields)
        decoded = fields.get("wmi.consumer.destination_decoded")
        script = None
        if decoded or not command_line:  # a plain command line is its process node, not a script too
            text = str(decoded or destination)
            props: dict[str, Any] = {"text": text[:SCRIPT_TEXT_CHARS], "length": len(text),
                                     "wmi_command": str(destination)[:SCRIPT_TEXT_CHARS]}
            if name:
                props["wmi_consumer"] = name
            script = ctx.acc.entity(SCRIPT, stable_hash(" ".join(text.split())), text[:SCRIPT_VALUE_CHARS], props)
            if not command_line:  # a command's script is sighted when it runs (its 4104), as a service's is
                ctx.touch(script)
        if deleted:
            return
        # a command line's process (None when the parser found no command in it), else the script
        installed = self._process(ctx, PROCESS_FIELDS) if command_line else script
        if installed is None:
            return
        ctx.rel(ctx.host, R.INSTALLED, installed)
        self._put_installed_names(ctx.acc.entities[installed].props, installed, None, None, name)
        if command_line:  # a template's runs are other processes: related to it when they come
            self._remember_wmi_template(ctx, installed)

    def _installed(self, ctx: EventContext) -> None:
        """A service installed or a scheduled task created or updated (System 7045, Security 4697,
        4698/4702, MDE ``ServiceInstalled``/``ScheduledTask*``): ``host INSTALLED process`` for each
        command it will run, keyed as Sysmon 1 keys that run (the parser expanded and qualified it),
        ``process RUN_AS user`` of the service account or task principal (by name when it is given as a
        SID a logon named, :meth:`_principal`), and the installing account
        (``subject.user.name``) sighted on the host.  A kernel or file-system driver is
        ``host INSTALLED file`` instead, the file keyed by its path as a Sysmon 11 of it is (the
        parser made it absolute), its service name kept as a process's is: one odd driver installed
        on many hosts within minutes (bring-your-own-vulnerable-driver) is one file sighted on each.

        The service and task names are props of the process (or driver file): ``services`` and ``tasks``, the sorted
        names every install of that command gave (at most :data:`INSTALLED_NAMES` each, the
        installs with a name past them counted in ``services_dropped``/``tasks_dropped``), and
        ``service``/``task``, the first of them.  Relations carry only counts, times and evidence,
        and the stores replace a prop on upsert, so the names are a join of the projector
        (``_installed_names``, saved with its state): each upsert writes the whole set, and one
        command installed as ``EvilSvc`` on one host and ``BITS`` on three shows both, whatever
        the batches.  One odd service installed on many hosts within minutes is then one process
        sighted on each: the fan-out analytics see it.
        """
        fields = ctx.fields
        processes = [self._process(ctx, PROCESS_FIELDS)]
        executables = fields.get("task.executables")
        lines = fields.get("task.command_lines")
        if isinstance(executables, list) and isinstance(lines, list):
            for executable, line in zip(executables[1:], lines[1:], strict=False):
                processes.append(self._command_process(ctx, str(executable), str(line)))
        user = self._principal(ctx)
        service, task = fields.get("service.name"), fields.get("task.name")
        entities = ctx.acc.entities
        for process in processes:
            if process is None:
                continue
            ctx.rel(ctx.host, R.INSTALLED, process)
            ctx.rel(process, R.RUN_AS, user)
            if service or task:
                self._put_installed_names(entities[process].props, process, service, task)
        # a driver (the parser gave its file, no command): the kernel loads it, nothing runs as a user
        driver = self._file(ctx) if processes == [None] and "file.path" in fields else None
        if driver is not None:
            ctx.rel(ctx.host, R.INSTALLED, driver)
            if service:
                self._put_installed_names(entities[driver].props, driver, service, None)
        if processes == [None]:  # a driver, a task whose definition was refused, a service with no command
            ctx.touch(user)
        ctx.touch(self._user(ctx, "subject.user.name"))

    def _put_installed_names(
        self, props: dict[str, Any], process: EntityKey, service: object, task: object, consumer: object = None,
    ) -> None:
        """The names ``process`` was installed as, with ``service``, ``task`` or WMI ``consumer``, into its
        ``props``, and ``mechanisms``: how it was installed (``service``, ``scheduled_task``,
        ``wmi_subscription``), one prop that the names imply."""
        known = self._installed_names.get(process)
        services, tasks, services_dropped, tasks_dropped, consumers, consumers_dropped = (
            known if known is not None else ((), (), 0, 0, (), 0))
        services, services_dropped = _with_name(services, services_dropped, service)
        tasks, tasks_dropped = _with_name(tasks, tasks_dropped, task)
        consumers, consumers_dropped = _with_name(consumers, consumers_dropped, consumer)
        names = (services, tasks, services_dropped, tasks_dropped, consumers, consumers_dropped)
        if names != known:
            self._remember(self._installed_names, process, names, _INSTALLED_LIMIT)
        mechanisms = []
        for prop, kept, dropped, mechanism in (("service", services, services_dropped, "service"),
                                               ("task", tasks, tasks_dropped, "scheduled_task"),
                                               ("wmi_consumer", consumers, consumers_dropped, "wmi_subscription")):
            if kept:
                props[prop] = kept[0]
                props[prop + "s"] = list(kept)
            if dropped:
                props[prop + "s_dropped"] = dropped
            if kept or dropped:
                mechanisms.append(mechanism)
        if mechanisms:
            props["mechanisms"] = mechanisms
