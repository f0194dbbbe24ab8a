"""Managed software deployments: Windows Installer run by a service from a package on disk or a share (task ROLLOUT).

A new vendor agent rolled out to half the fleet in the morning is new, synchronised (the
deployment job's schedule), on endpoint and network evidence at once, and checks in every 30
minutes: it looked like a campaign to every scored feature (rank 5 of ``evaluate_fleet`` with the
heartbeat scenarios, 0.1–1.5 under the lowest attack).  What a SOC engineer tells it apart by is
how it got there: ``msiexec.exe /i \\\\deploy.corp.example\\packages\\Agent.msi`` started by a
service running as SYSTEM (a deployment agent, the Service Control Manager), not by a user's
shell, a script host or a remote execution channel, and the new program runs from
``Program Files`` as a service.

What counts, and what an attacker would have to forge:

- an **installer** (:func:`is_managed_installer`): the Windows Installer (``msiexec.exe``, image
  in ``System32``/``SysWOW64``: a renamed copy is elsewhere) installing or patching a package
  (``/i``, ``/package``, ``/p``, ``/update``) from a local path or a UNC share, never a URL
  (``http://``, WebDAV's ``\\\\host@SSL\\``), a share on an external address, a user's profile
  or a temporary folder; started only by :data:`MANAGEMENT_PARENTS` (every ``SPAWNED`` parent, its
  image in a drive's ``Windows\\System32``: any binary can be named ``services.exe``);
  not the command of a service, scheduled task or WMI consumer a host installed (``host INSTALLED
  process``: a PsExec-style ``sc create … binPath= "msiexec /i …"`` makes services.exe its parent
  too, with a 7045/4697 on every host); and not said to be unsigned or invalid by the telemetry
  (ECS ``code_signature``: ``signed``, ``signature_status``).  A script host, Office, WMI
  (``WmiPrvSE.exe``) or the Task Scheduler (``svchost.exe``, ``taskhostw.exe``) starting it is no
  deployment: those are the channels an attacker has without the deployment system;
- a **deployed program** (:func:`is_deployed_program`): a process whose image is under ``Program
  Files`` (or ``Program Files (x86)``) of a drive, no script host or living-off-the-land binary
  (:data:`analytics.lineage.INTERPRETERS`, by its original name), started only by the management
  parents or by an installer, and not said unsigned or invalid.

A cluster is a managed deployment (:func:`is_managed_deployment`) when its new members include an
installer, every new process member is an installer or a deployed program, no new script is
among them, and no attack behaviour or interpreter lineage was found.  It is then software the
organisation installed (:mod:`analytics.features`): its first contacts are the deployment job's
schedule (the benign spread and burst, as one person's logon takes), its check-ins with its
vendor are the product working (the repeat floor: the old agent's heartbeat makes no cluster at
all), its processes are no endpoint evidence (its new external destination still counts), and a
"download" that rests only on its own builds is the install.  Measured with the heartbeat
scenarios (docs/analytics.md): the rollout went from rank 5 (0.1–1.5 under the lowest attack) out of
the top 10.  What is left to an attacker: going through the deployment system itself, or
reconfiguring an existing service's binary to ``msiexec /i`` a local package on every host (admin on
each, no 7045), or a new service where no System or Security log is collected (``sc create`` and
PowerShell's ``New-Service`` go through the Service Control Manager, which writes the 7045 the rule reads; a
service written straight into the registry writes none and starts at the next boot); the check names the
share and the service to confirm.
"""

from __future__ import annotations

import ipaddress
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from analytics.agent_caches import AGENT_NAMES, agent_cache_of, in_cache
from analytics.agent_caches import said_unsigned as _said_unsigned
from analytics.defender_updates import (
    SYSTEM_FOLDERS,
    is_platform_engine,
    is_signature_stub,
    is_update_service,
)
from analytics.driver_paths import read_windows_path
from analytics.external_addresses import is_external_ip
from analytics.lineage import INTERPRETERS, image_file_name, image_name
from graphsiem.model import Entity, EntityKey, EntityType, Relation
from ingest.normalize_text import normalize_command_line

__all__ = [
    "MANAGEMENT_PARENTS", "ManagedInstalls", "builds_explain_download", "is_deployed_program", "is_managed_deployment",
    "is_managed_installer", "managed_installs", "package_of",
]

INSTALLERS = frozenset({"msiexec.exe"})
"""Installer images a deployment runs (by their name and original name)."""
MANAGEMENT_PARENTS = frozenset({"services.exe"})
"""Parents of a managed install: the Service Control Manager, which starts deployment agents and
the simulator's SYSTEM processes.  Left out on purpose: script hosts, shells, Office, ``explorer.exe``
(a user), ``WmiPrvSE.exe`` (remote WMI execution), ``svchost.exe`` and ``taskhostw.exe`` (the Task
Scheduler): an attacker reaches all of them without the deployment system."""
# a volume's own Windows folder, read by analytics.driver_paths (drive letters, \\?\ and \??\ prefixes,
# %SystemRoot%, device paths, ".." resolved): "endswith \windows\system32\x" also took
# C:\Users\Public\Windows\System32\x, and a share or a shadow copy is no host's own system
_PROGRAM_FILES = ("\\program files\\", "\\program files (x86)\\")
_PACKAGE = re.compile(r'(?i)(?:^|\s)[/-](?:i|package|p|update)(?:\s+|(?="))("[^"]*"|\S+)')
_URL = re.compile(r"(?i)^[a-z][a-z0-9+.-]*://")
_WEBDAV = re.compile(r"(?i)^\\\\[^\\]+@(?:ssl|\d+)|\\davwwwroot\\")
_UNTRUSTED_FOLDERS = ("\\users\\", "\\temp\\", "\\appdata\\", "\\windows\\tasks\\", "\\perflogs\\")


def package_of(command_line: str) -> str | None:
    """The package an ``msiexec`` command line installs or patches, unquoted, or None.

    Examples
    --------
    >>> package_of(r'msiexec.exe /i \\\\deploy.corp.example\\packages\\Agent.msi /qn')
    '\\\\\\\\deploy.corp.example\\\\packages\\\\Agent.msi'
    >>> package_of('msiexec /i "C:\\\\ProgramData\\\\Deploy\\\\a b.msi" /qn')
    'C:\\\\ProgramData\\\\Deploy\\\\a b.msi'
    >>> package_of("msiexec /q /i http://203.0.113.7/x.msi"), package_of("msiexec /x {GUID} /qn")
    ('http://203.0.113.7/x.msi', None)
    """
    found = _PACKAGE.search(command_line)
    if found is None:
        return None
    return found.group(1).strip('"') or None


def is_trusted_package(package: str) -> bool:
    """A package on a local disk or an internal share, outside users' and temporary folders.

    Examples
    --------
    >>> [is_trusted_package(p) for p in (r"\\\\deploy.corp.example\\pkgs\\a.msi", r"C:\\ProgramData\\Deploy\\a.msi")]
    [True, True]
    >>> [is_trusted_package(p) for p in ("https://cdn.example/a.msi", r"\\\\evil.example@SSL\\a.msi",
    ...                                  r"\\\\203.0.113.7\\s\\a.msi", r"C:\\Users\\Public\\a.msi")]
    [False, False, False, False]
    """
    text = package.replace("/", "\\")
    lowered = text.lower()
    if _URL.match(package) or _WEBDAV.search(lowered) or any(f in lowered for f in _UNTRUSTED_FOLDERS):
        return False
    if lowered.startswith("\\\\"):
        server = lowered[2:].split("\\", 1)[0]
        try:
            ipaddress.ip_address(server.strip("[]"))
        except ValueError:
            return bool(server) and server not in (".", "?")
        return not is_external_ip(server.strip("[]"))
    return re.match(r"(?i)^[a-z]:\\", text) is not None


def _image_path(entity: Entity) -> str:
    image = entity.props.get("image") or entity.props.get("path") or ""
    return str(image).replace("/", "\\").lower()


def _system_binary(entity: Entity | None) -> str | None:
    """The lower-case file name of a process whose image is in a drive's ``Windows\\System32`` (or
    ``SysWOW64``), else None (no image known, or anywhere else: a copy keeps the name, not the folder)."""
    if entity is None:
        return None
    read = read_windows_path(_image_path(entity))
    if read is None or read.elsewhere is not None:
        return None
    folder, _, name = read.folders.rpartition("\\")
    return name if folder in SYSTEM_FOLDERS else None


def is_managed_installer(entity: Entity, parent_images: Iterable[str], *, installed: bool,
                         caches: Iterable[str] = ()) -> bool:
    """Whether a process is the Windows Installer run by a management parent from a trusted package.

    A management agent (:mod:`analytics.agent_caches`: the Intune extension, the ConfigMgr client) is a
    parent too, for a package in a subfolder of its own cache only.

    Parameters
    ----------
    entity : Entity
        The process (``command_line``, ``image`` props).
    parent_images : iterable of str
        Image names of every process that spawned it (none known: not managed).
    installed : bool
        A host installed its command as a service, scheduled task or WMI consumer.
    caches : iterable of str
        The cache folder of each agent parent (:func:`analytics.agent_caches.agent_cache_of`).
    """
    parents = set(parent_images)
    if installed or not parents or not parents <= MANAGEMENT_PARENTS | AGENT_NAMES:
        return False
    if image_name(entity.value, entity.props) not in INSTALLERS or _said_unsigned(entity.props):
        return False
    if _system_binary(entity) != image_file_name(entity.value, entity.props):
        return False
    package = package_of(str(entity.props.get("command_line") or entity.value))
    if package is None or not is_trusted_package(package):
        return False
    return _from_agent_caches(package, parents, list(caches))


def _from_agent_caches(path: str, parents: set[str], caches: list[str]) -> bool:
    """An agent parent's child installs only from a subfolder of every agent parent's own cache."""
    if not parents & AGENT_NAMES:
        return True
    return bool(caches) and all(in_cache(path, cache) for cache in caches)


def is_cache_installer(entity: Entity, parent_images: Iterable[str], *, installed: bool, caches: Iterable[str]) -> bool:
    """Whether a process is a setup a management agent started from its own cache (ConfigMgr's ccmcache).

    Parameters
    ----------
    entity : Entity
    parent_images : iterable of str
        Image names of every process that spawned it: management agents only.
    installed : bool
        A host installed its command as a service, scheduled task or WMI consumer.
    caches : iterable of str
        The cache folder of each agent parent.
    """
    parents = set(parent_images)
    if installed or not parents or not parents <= AGENT_NAMES:
        return False
    if image_name(entity.value, entity.props) in INTERPRETERS | INSTALLERS or _said_unsigned(entity.props):
        return False
    return _from_agent_caches(str(entity.props.get("image") or entity.props.get("path") or ""), parents, list(caches))


def is_deployed_program(entity: Entity, parent_images: Iterable[str], *, by_installer: bool) -> bool:
    """Whether a process is a program installed under Program Files, run by a service or an installer.

    Parameters
    ----------
    entity : Entity
    parent_images : iterable of str
        Image names of every process that spawned it (none known: not deployed).
    by_installer : bool
        Every parent that is no management parent is a managed installer.
    """
    parents = set(parent_images)
    if not parents or not (parents <= MANAGEMENT_PARENTS or by_installer):
        return False
    if image_name(entity.value, entity.props) in INTERPRETERS | INSTALLERS or _said_unsigned(entity.props):
        return False
    read = read_windows_path(_image_path(entity))
    # a program in its own folder under Program Files, on a local volume
    return (read is not None and read.elsewhere is None
            and any(read.folders.startswith(root) and "\\" in read.folders[len(root):] for root in _PROGRAM_FILES))


@dataclass(frozen=True, slots=True)
class ManagedInstalls:
    """The fleet's managed installers and the programs deployed with them (:func:`managed_installs`)."""

    installers: frozenset[EntityKey] = frozenset()
    programs: frozenset[EntityKey] = frozenset()
    packages: Mapping[EntityKey, str] = field(default_factory=dict)
    """Installer -> the package it installed (for the check's words)."""
    agents: frozenset[EntityKey] = frozenset()
    """Management agents (:mod:`analytics.agent_caches`) that started an installer from their own cache."""
    agent_installers: frozenset[EntityKey] = frozenset()
    """The installers those agents started (their hosts are where an agent's fetch is a deployment)."""
    fetched: Callable[[EntityKey], bool] | None = None
    """URL or file -> whether only those agents fetched it (:class:`analytics.agent_caches.AgentFetches`; set by
    the detection, which has the store)."""


def managed_installs(
    processes: Mapping[EntityKey, Entity],
    spawned: Iterable[Relation],
    images: Mapping[EntityKey, str],
    installed_runs: Iterable[EntityKey] = (),
) -> ManagedInstalls:
    """Find the managed installers and deployed programs among ``processes``.

    Parameters
    ----------
    processes : mapping
        Process entities by key.
    spawned : iterable of Relation
        ``process SPAWNED process`` relations (a backtest's: first seen by its end).
    images : mapping
        Image name of each process key (:func:`analytics.lineage.image_name`).
    installed_runs : iterable of EntityKey
        Processes a host installed as a service, task or WMI consumer (``host INSTALLED process``).

    Returns
    -------
    ManagedInstalls
    """
    parents: dict[EntityKey, set[EntityKey]] = defaultdict(set)
    for rel in spawned:
        parents[rel.dst].add(rel.src)

    def scm_image(key: EntityKey) -> str:
        # services.exe is the Service Control Manager only in System32: any binary can be named so
        name = images.get(key, "?")
        return name if name not in MANAGEMENT_PARENTS or _system_binary(processes.get(key)) == name else "?"

    # a management agent in its own folder, itself a service (the Service Control Manager its only parent)
    caches = {
        key: cache for key, entity in processes.items()
        if images.get(key) in AGENT_NAMES and (cache := agent_cache_of(entity)) is not None
        and parents.get(key) and all(scm_image(p) in MANAGEMENT_PARENTS for p in parents[key])
    }

    # Windows Update's service (System32's svchost hosting wuauserv, a service itself): the only parent of
    # Defender's signature stub (analytics.defender_updates)
    update_services = {
        key for key, entity in processes.items()
        if images.get(key) == "svchost.exe" and is_update_service(entity)
        and parents.get(key) and all(scm_image(p) in MANAGEMENT_PARENTS for p in parents[key])
    }

    def parent_image(key: EntityKey) -> str:
        name = scm_image(key)
        return name if name not in AGENT_NAMES or key in caches else "?"

    installed = frozenset(installed_runs)
    # an installed command's node is keyed by the image its parser read, its run's by the image that ran:
    # a service whose ImagePath is "C:\Windows\System32\msiexec /i ..." (no .exe, which CreateProcess adds)
    # is two nodes, so the command line, which both keep as written, says it too
    installed_lines = {_normalized_line(processes[key]) for key in installed if key in processes}
    installers: dict[EntityKey, str] = {}
    agents: set[EntityKey] = set()
    agent_installers: set[EntityKey] = set()
    for key, entity in processes.items():
        mine = parents.get(key, set())
        is_installed = key in installed or _normalized_line(entity) in installed_lines
        agent_caches = [caches[p] for p in mine if p in caches]
        if images.get(key) in INSTALLERS and is_managed_installer(
            entity, (parent_image(p) for p in mine), installed=is_installed, caches=agent_caches,
        ):
            installers[key] = package_of(str(entity.props.get("command_line") or entity.value)) or ""
        elif mine and mine <= update_services and not is_installed and is_signature_stub(entity):
            installers[key] = str(entity.props.get("image") or "")
        elif agent_caches and is_cache_installer(entity, (parent_image(p) for p in mine), installed=is_installed,
                                                 caches=agent_caches):
            installers[key] = str(entity.props.get("image") or "")
        else:
            continue
        if by_agents := {p for p in mine if p in caches}:
            agents.update(by_agents)
            agent_installers.add(key)
    programs = set()
    for key, entity in processes.items():
        mine = parents.get(key, set())
        others = {p for p in mine if parent_image(p) not in MANAGEMENT_PARENTS}
        if is_deployed_program(entity, (parent_image(p) for p in mine), by_installer=others <= installers.keys()):
            programs.add(key)
        # Defender's new platform build, which the Service Control Manager alone starts from its own folder;
        # a host's installed service is none, by its node or its command line (two nodes, as above: review R25)
        elif (mine and not others and key not in installed and _normalized_line(entity) not in installed_lines
              and is_platform_engine(entity)):
            programs.add(key)
    return ManagedInstalls(frozenset(installers), frozenset(programs), installers, frozenset(agents),
                           frozenset(agent_installers))


def _normalized_line(entity: Entity) -> str:
    return normalize_command_line(str(entity.props.get("command_line") or entity.value))


def builds_explain_download(behaviours: Iterable[str], new_members: Iterable[EntityKey], builds: Iterable[EntityKey]) -> bool:
    """Whether ``download_from_new_domain`` rests only on the cluster's own program builds.

    Each build a process ran is a file (projection 15), so a new program whose cluster holds a new
    domain reads as "a new domain, a new file, something new executed" without any fetch.  When no
    new URL is a member and every new file is a build nothing else brought (no write, download,
    install or detection: :func:`analytics.image_builds.image_builds`), the download is the
    installed program itself, which a managed deployment explains.

    Examples
    --------
    >>> new = [("domain", "d"), ("process", "p"), ("file", "build")]
    >>> builds_explain_download({"download_from_new_domain"}, new, {("file", "build")})
    True
    >>> builds_explain_download({"download_from_new_domain"}, [*new, ("url", "http://d/x.png")], {("file", "build")})
    False
    >>> builds_explain_download({"download_from_new_domain"}, [*new, ("file", "x.png")], {("file", "build")})
    False
    """
    if "download_from_new_domain" not in set(behaviours):
        return False
    built = set(builds)
    return all(kind != EntityType.URL and (kind != EntityType.FILE or (kind, key) in built) for kind, key in new_members)


def is_managed_deployment(
    managed: ManagedInstalls, new_members: Iterable[EntityKey], *, behaviours: Iterable[str], interpreters: int,
    fetched_by_agents: bool = False,
) -> bool:
    """Whether a cluster's new members are a managed deployment: an installer, and only deployed programs.

    An agent's package (:mod:`analytics.agent_caches`) is installed from a per-host cache folder, so its
    installer is a process of its own on every host, no member: a cluster whose download management
    agents fetched (``fetched_by_agents``) needs a deployed program instead.

    Parameters
    ----------
    managed : ManagedInstalls
    new_members : iterable of EntityKey
        The cluster's new members.
    behaviours : iterable of str
        The attack behaviours found on it (any: not a deployment).
    interpreters : int
        Its new pairs whose child is a script host or living-off-the-land binary (any: not one).
    fetched_by_agents : bool
        Every new URL member (one at least) was fetched by a management agent that ran a managed
        install (:func:`analytics.agent_caches.agents_delivered`).

    Examples
    --------
    >>> m = ManagedInstalls(frozenset({("process", "msi")}), frozenset({("process", "agent")}))
    >>> is_managed_deployment(m, [("domain", "d"), ("process", "msi"), ("process", "agent")], behaviours=(), interpreters=0)
    True
    >>> is_managed_deployment(m, [("process", "msi"), ("process", "x")], behaviours=(), interpreters=0)
    False
    >>> is_managed_deployment(m, [("process", "agent")], behaviours=(), interpreters=0)
    False
    """
    if interpreters or any(True for _ in behaviours):
        return False
    processes = [key for key in new_members if key[0] in (EntityType.PROCESS, EntityType.SCRIPT)]
    if any(key[0] == EntityType.SCRIPT for key in processes):
        return False
    if not any(key in managed.installers or (fetched_by_agents and key in managed.programs) for key in processes):
        return False
    return all(key in managed.installers or key in managed.programs for key in processes)
