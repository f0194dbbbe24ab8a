"""A payload that persistence runs belongs to the process tree that installed it.

A campaign's dropper opens LSASS and installs a scheduled task (``schtasks /create ... /tr
payload``); an hour later the Task Scheduler starts the payload, which runs an encoded
PowerShell.  In ``SPAWNED`` terms the payload's parent is ``taskhostw.exe`` (a fleet-wide
process), so its process tree (:mod:`analytics.behaviour_lineage`) ends there: the two facts
are an hour apart, unlinked, and the campaign made no pivot, or two unrelated ones.  The same
holds for a service (``services.exe``) and a WMI subscription (``WmiPrvSE.exe``,
``scrcons.exe``).  The graph knows the install (``host INSTALLED process``, :mod:`ingest.projection_installs`):

* the **run**: a fact's process whose parent is a persistence runner (:data:`RUNNERS`; the
  Task Scheduler service is ``svchost.exe ... -s Schedule``);
* its **install** on the fact's host: ``host INSTALLED <the run itself>`` (a service's or
  task's command is keyed as its run is), or, for a WMI run, an installed consumer template
  the run's command line fills (:func:`ingest.wmi_templates.fills`: ``p.exe /r
  %TargetInstance.ProcessId%`` run as ``p.exe /r 4242``); the install not after the run's
  first sighting on the host;
* its **installers**: the processes of that host first seen within :data:`INSTALLER_HOURS`
  before the install (and :data:`INSTALL_SLACK_MINUTES` after: the install event is logged as
  the installer runs) whose command line names the installed command: its image's file name,
  then its arguments, each found as a literal piece (quotes dropped, case and whitespace
  folded; no pattern is built from attacker text).

A run so linked has its installers as parents in the lineage (one tree with the dropper that
started ``schtasks.exe``), and its shape says ``installed by <the installer's shape> via
<mechanism>`` (:meth:`analytics.behaviour_shapes.Shapes.of_process`): the campaign's task on
40 hosts is one pivot with its installer.  A GPO's or a product's task names no per-host
installer (the Group Policy client is fleet-wide, and shared processes are no tree members):
its shape and its routine stay what they were.

What is read: the ``INSTALLED`` relations first seen by the window's end (only when a fact's
process has a runner parent) and the window's incidence (which processes each host ran, when).
Runs dated before the window (:func:`analytics.behaviour_facts.earlier_facts`) are not linked
(their hosts' processes are not in the window): an earlier wave's shape lacks the installer,
which errs towards a pivot, never towards routine.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from analytics.behaviour_shapes import image_path
from analytics.incidence import Incidence
from graphsiem.model import Entity, EntityKey, EntityType, Relation
from ingest.wmi_templates import fills, template_pieces

if TYPE_CHECKING:
    from analytics.behaviour_facts import Fact

__all__ = ["INSTALLER_HOURS", "INSTALL_SLACK_MINUTES", "MECHANISM_WORDS", "RUNNERS", "Install", "has_runs",
           "installed_runs", "mechanism_of", "names_installed", "with_installers", "without_installers_copies"]

RUNNERS: dict[str, str] = {
    "wmiprvse.exe": "wmi_subscription",
    "scrcons.exe": "wmi_subscription",
    "taskeng.exe": "scheduled_task",
    "taskhostw.exe": "scheduled_task",
    "taskhost.exe": "scheduled_task",
    "services.exe": "service",
}
"""Image file name of a process that starts what persistence installed -> how it was installed."""
MECHANISM_WORDS: dict[str, str] = {"wmi_subscription": "a WMI subscription", "scheduled_task": "a scheduled task",
                                   "service": "a service"}
"""How a mechanism (``mechanisms`` on an installed node) reads in a shape."""
INSTALLER_HOURS = 1.0
"""Most hours an installer may have started before the install it made (``schtasks`` logs 4698 as it runs)."""
INSTALL_SLACK_MINUTES = 5.0
"""Most minutes an installer's first sighting may follow its install's (two sensors' timestamps)."""
_PROCESS = EntityType.PROCESS.value
_HOST = EntityType.HOST.value
_MAX_INSTALLERS = 4
"""Installers kept per run (the earliest): one dropper and its ``schtasks.exe`` are two."""


@dataclass(frozen=True, slots=True)
class Install:
    """How a run was installed: its installers (processes) and the mechanism (``scheduled_task``...)."""

    installers: frozenset[EntityKey]
    mechanism: str
    templates: frozenset[EntityKey] = frozenset()
    """The WMI consumer templates the run filled (installed nodes of their own, sighted at the install)."""

    @property
    def words(self) -> str:
        """The mechanism as a shape says it (``a scheduled task``)."""
        return MECHANISM_WORDS.get(self.mechanism, self.mechanism)


def mechanism_of(parent: Entity | None) -> str | None:
    """The persistence mechanism whose runs ``parent`` starts, or None (no runner).

    Examples
    --------
    >>> mechanism_of(Entity("process", "k", "C:\\\\Windows\\\\system32\\\\svchost.exe -k netsvcs -p -s Schedule"))
    'scheduled_task'
    >>> mechanism_of(Entity("process", "k", "C:\\\\Windows\\\\system32\\\\svchost.exe -k netsvcs -p -s BITS")) is None
    True
    """
    if parent is None:
        return None
    name = image_path(parent).rsplit("\\", 1)[-1]
    if name == "svchost.exe":  # the Task Scheduler service's host, not every service host
        words = _folded(parent.value).split()
        at = words.index("-s") if "-s" in words else -1
        return "scheduled_task" if at >= 0 and words[at + 1:at + 2] == ["schedule"] else None
    return RUNNERS.get(name)


def _folded(text: str) -> str:
    """Lower-case, quotes dropped, whitespace collapsed: how an installer's command line and an installed
    command are compared."""
    return " ".join(text.replace('"', " ").lower().split())


def names_installed(installer_command: str, installed: Entity) -> bool:
    """Whether ``installer_command`` names the command ``installed``: its image's file name, then its arguments.

    Each is found as a literal piece, in order (no pattern from either text).

    Examples
    --------
    >>> payload = Entity("process", "k", '"C:\\\\Users\\\\Public\\\\p01.exe" -r 7', {"image": "C:\\\\Users\\\\Public\\\\p01.exe"})
    >>> names_installed('schtasks /create /tn U /tr "\\\\"C:\\\\Users\\\\Public\\\\p01.exe\\\\" -r 7"', payload)
    True
    >>> names_installed('schtasks /create /tn U /tr "C:\\\\Users\\\\Public\\\\p01.exe -r 8"', payload)
    False
    """
    path = image_path(installed)
    name = path.rsplit("\\", 1)[-1]
    if not name or name == "?":
        return False
    text = _folded(installer_command)
    at = text.find(name)
    if at < 0:
        return False
    command = _folded(installed.value)
    head = command.find(name)
    arguments = command[head + len(name):].strip() if head >= 0 else ""
    return not arguments or text.find(arguments, at + len(name)) >= 0


def has_runs(processes_of_facts: Iterable[EntityKey], processes: Mapping[EntityKey, Entity],
             parents: Mapping[EntityKey, Collection[EntityKey]]) -> bool:
    """Whether any of the facts' processes has a persistence runner parent (the installs are worth reading)."""
    return any(mechanism_of(processes.get(parent)) is not None
               for process in set(processes_of_facts) for parent in parents.get(process, ()))


def with_installers(parents: Mapping[EntityKey, Collection[EntityKey]],
                    installs: Mapping[EntityKey, Install]) -> Mapping[EntityKey, Collection[EntityKey]]:
    """``parents`` with each linked run's installers as parents too: the lineage's one tree."""
    if not installs:
        return parents
    joined = dict(parents)
    for run, install in installs.items():
        joined[run] = {*parents.get(run, ()), *install.installers}
    return joined


def without_installers_copies(facts: Sequence[Fact], installs: Mapping[EntityKey, Install]) -> list[Fact]:
    """``facts`` less an installer's fact of a kind its linked run shows on the same host.

    ``schtasks /create /tr "powershell -enc ..."`` carries its payload's encoded command, and so does
    a WMI consumer's installed template: one act, told at its run (whose shape names the installer),
    not a second pair of the same campaign.
    """
    if not installs:
        return list(facts)
    copies = {(copy, f.kind, f.host_row) for f in facts if f.process in installs
              for copy in installs[f.process].installers | installs[f.process].templates}
    return [f for f in facts if (f.process, f.kind, f.host_row) not in copies]


def installed_runs(
    runs: Iterable[tuple[EntityKey, str, float]],
    installs: Iterable[Relation],
    incidence: Incidence,
    processes: Mapping[EntityKey, Entity],
    parents: Mapping[EntityKey, Collection[EntityKey]],
) -> dict[EntityKey, Install]:
    """The runs of persistence among ``runs`` linked to the processes that installed them.

    Parameters
    ----------
    runs : iterable of (process, host, time)
        Fact processes, the host of each fact and its time.
    installs : iterable of Relation
        ``host INSTALLED process`` relations (others are ignored).
    incidence : Incidence
        The window's whole incidence: which processes each host ran, first when.
    processes : mapping
        The process entities by key.
    parents : mapping
        Child -> its ``SPAWNED`` parents.

    Returns
    -------
    dict
        Run -> :class:`Install` (runs with no installer found are left out).
    """
    installs = list(installs)
    if not installs:
        return {}
    candidates: dict[tuple[EntityKey, str], str] = {}
    for process, host, _ in runs:
        if (process, host) in candidates:
            continue
        for parent in parents.get(process, ()):
            mechanism = mechanism_of(processes.get(parent))
            if mechanism is not None:
                candidates[(process, host)] = mechanism
                break
    if not candidates:
        return {}
    wanted_hosts = {host for _, host in candidates}
    by_host: dict[str, list[tuple[EntityKey, float]]] = defaultdict(list)
    for rel in installs:
        if rel.src[0] == _HOST and rel.dst[0] == _PROCESS and rel.src[1] in wanted_hosts:
            by_host[rel.src[1]].append((rel.dst, rel.first_seen))
    host_rows = {host: row for row, host in enumerate(incidence.hosts)}
    firsts = incidence.first_seen.tocsr()
    found: dict[EntityKey, tuple[set[EntityKey], str, set[EntityKey]]] = {}
    for (run, host), mechanism in sorted(candidates.items()):
        row = host_rows.get(host)
        install = _install_of(run, by_host.get(host, ()), processes, mechanism)
        if row is None or install is None:
            continue
        installed, at = install
        ran = _first_on_row(firsts, incidence.entities, row, run)
        if ran is not None and ran < at - INSTALL_SLACK_MINUTES * 60.0:
            continue  # ran before it was installed: not this install's run
        installers = _installers(firsts, incidence.entities, row, at, processes, installed, exclude=run)
        if installers:
            mine = found.setdefault(run, (set(), mechanism, set()))
            mine[0].update(installers)
            if installed.ref != run:
                mine[2].add(installed.ref)
    return {run: Install(frozenset(keys), mechanism, frozenset(templates))
            for run, (keys, mechanism, templates) in found.items()}


def _install_of(run: EntityKey, installed: Sequence[tuple[EntityKey, float]], processes: Mapping[EntityKey, Entity],
                mechanism: str) -> tuple[Entity, float] | None:
    """The command installed on the run's host that the run is (or, of a WMI consumer, fills), and when."""
    entity = processes.get(run)
    if entity is None:
        return None
    for key, at in installed:
        if key == run:
            return entity, at
    if mechanism != "wmi_subscription":
        return None
    for key, at in sorted(installed, key=lambda item: item[1]):
        template = processes.get(key)
        pieces = template_pieces(template.value) if template is not None else None
        if template is not None and pieces is not None and fills(pieces, entity.value):
            return template, at
    return None


def _first_on_row(firsts, entities: Sequence[EntityKey], row: int, key: EntityKey) -> float | None:
    """When the host of ``row`` first ran ``key`` (None: not in the window)."""
    start, end = firsts.indptr[row], firsts.indptr[row + 1]
    for column, first in zip(firsts.indices[start:end].tolist(), firsts.data[start:end].tolist(), strict=True):
        if entities[column] == key:
            return float(first)
    return None


def _installers(firsts, entities: Sequence[EntityKey], row: int, at: float, processes: Mapping[EntityKey, Entity],
                installed: Entity, *, exclude: EntityKey) -> list[EntityKey]:
    """The processes of the host of ``row`` that started near ``at`` and name ``installed`` (the earliest first)."""
    start, end = firsts.indptr[row], firsts.indptr[row + 1]
    low, high = at - INSTALLER_HOURS * 3600.0, at + INSTALL_SLACK_MINUTES * 60.0
    near: list[tuple[float, EntityKey]] = []
    for column, first in zip(firsts.indices[start:end].tolist(), firsts.data[start:end].tolist(), strict=True):
        key = entities[column]
        if key[0] != _PROCESS or key == exclude or key == installed.ref or not low <= first <= high:
            continue
        entity = processes.get(key)
        if entity is not None and names_installed(entity.value, installed):
            near.append((float(first), key))
    return [key for _, key in sorted(near)[:_MAX_INSTALLERS]]
