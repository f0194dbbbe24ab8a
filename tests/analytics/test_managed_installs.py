"""Managed installs (task ROLLOUT): msiexec run by a service from a package on a share, and what it deployed.

Hand-built processes and ``SPAWNED`` relations: what counts as a deployment, and each forgery an
attacker can afford without the deployment system (a script host, WMI or a scheduled task starting
msiexec, a package from a URL or a user's folder, a PsExec-style service whose command is msiexec,
a renamed copy, an image the telemetry calls unsigned) does not.
"""

from __future__ import annotations

import pytest

from analytics.lineage import image_name
from analytics.managed_installs import is_managed_deployment, managed_installs
from graphsiem.model import Entity, Relation
from tests.ingest.parsers.test_windows_variants import _sysmon, _winlogbeat, ingest_into

SERVICES = r"C:\Windows\system32\services.exe"
MSIEXEC = r"C:\Windows\System32\msiexec.exe"
SHARE_INSTALL = r"msiexec.exe /i \\deploy.corp.example\packages\PatchPilotAgent-4.2.msi /qn /norestart"
AGENT = r"C:\Program Files\PatchPilot\ppagent.exe"


def _process(key: str, image: str, command_line: str, **props) -> Entity:
    return Entity("process", key, command_line, {"image": image, "command_line": command_line, **props})


def _managed(children: list[tuple[Entity, Entity]], installed: tuple[str, ...] = ()):
    """``(parent, child)`` processes -> :func:`managed_installs` over them."""
    processes = {e.ref: e for pair in children for e in pair}
    spawned = [Relation(p.ref, "SPAWNED", c.ref, 0.0, 0.0) for p, c in children]
    images = {ref: image_name(e.value, e.props) for ref, e in processes.items()}
    return managed_installs(processes, spawned, images, [("process", key) for key in installed])


@pytest.fixture
def ingest(tmp_path):
    yield from ingest_into(tmp_path)


def _services() -> Entity:
    return _process("services", SERVICES, SERVICES)


def test_msiexec_started_by_a_service_from_a_share_is_a_managed_installer():
    msi = _process("msi", MSIEXEC, SHARE_INSTALL)
    agent = _process("agent", AGENT, f'"{AGENT}" /service')
    managed = _managed([(_services(), msi), (_services(), agent)])
    assert managed.installers == {msi.ref}
    assert managed.packages[msi.ref] == r"\\deploy.corp.example\packages\PatchPilotAgent-4.2.msi"
    assert managed.programs == {agent.ref}


def test_a_program_the_installer_started_is_deployed():
    msi = _process("msi", MSIEXEC, r'msiexec /i "C:\ProgramData\CorpIT\Deploy\cache\Notes.msi" /qn')
    agent = _process("agent", AGENT, f'"{AGENT}" --first-run')
    assert _managed([(_services(), msi), (msi, agent)]).programs == {agent.ref}


@pytest.mark.parametrize("parent_image", [
    r"C:\Windows\System32\wscript.exe",        # a script the user opened
    r"C:\Windows\explorer.exe",                # the user
    r"C:\Windows\System32\wbem\WmiPrvSE.exe",  # remote WMI execution
    r"C:\Windows\System32\svchost.exe",        # the Task Scheduler
    r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe",
])
def test_msiexec_started_by_anything_but_a_service_is_not_managed(parent_image):
    msi = _process("msi", MSIEXEC, SHARE_INSTALL)
    assert _managed([(_process("parent", parent_image, parent_image), msi)]).installers == frozenset()


@pytest.mark.parametrize("command_line", [
    "msiexec.exe /q /i http://patchpilot-update.example/agent.msi",   # a URL
    r"msiexec /i \\updates.example@SSL\dav\agent.msi /qn",           # WebDAV
    r"msiexec /i \\203.0.113.7\share\agent.msi /qn",                  # a share on an external address
    r"msiexec /i C:\Users\Public\agent.msi /qn",                      # a user-writable folder
    r"msiexec /i C:\Windows\Temp\agent.msi /qn",
    "msiexec /x {6F5E3A2B-0000-4000-8000-000000000001} /qn",          # an uninstall installs nothing
])
def test_a_package_from_an_untrusted_place_is_not_managed(command_line):
    msi = _process("msi", MSIEXEC, command_line)
    assert _managed([(_services(), msi)]).installers == frozenset()


def test_msiexec_as_a_services_installed_command_is_not_managed():
    """PsExec-style: ``sc create x binPath= "msiexec /i …"`` makes services.exe the parent too."""
    msi = _process("msi", MSIEXEC, SHARE_INSTALL)
    assert _managed([(_services(), msi)], installed=("msi",)).installers == frozenset()


def test_a_renamed_copy_or_an_unsigned_image_is_not_managed():
    renamed = _process("renamed", r"C:\Program Files\PatchPilot\msiexec.exe", SHARE_INSTALL)
    unsigned = _process("unsigned", MSIEXEC, SHARE_INSTALL, signed=False)
    invalid = _process("invalid", MSIEXEC, SHARE_INSTALL, signature_status="errorExpired")
    borrowed = _process("borrowed", r"C:\Program Files\PatchPilot\update.exe", SHARE_INSTALL,
                        original_file_name="msiexec.exe")
    managed = _managed([(_services(), e) for e in (renamed, unsigned, invalid, borrowed)])
    assert managed.installers == frozenset()


def test_an_unsigned_program_or_one_outside_program_files_is_not_deployed():
    outside = _process("outside", r"C:\ProgramData\Microsoft\Network\Downloader\netsvchost.exe", "netsvchost.exe")
    unsigned = _process("unsigned", AGENT, f'"{AGENT}"', signed=False)
    lolbin = _process("lolbin", r"C:\Program Files\PatchPilot\rundll32.exe", "rundll32.exe x.dll,Run",
                      original_file_name="RUNDLL32.EXE")
    assert _managed([(_services(), e) for e in (outside, unsigned, lolbin)]).programs == frozenset()


def test_a_deployment_needs_an_installer_and_nothing_but_deployed_programs():
    msi = _process("msi", MSIEXEC, SHARE_INSTALL)
    agent = _process("agent", AGENT, f'"{AGENT}" /service')
    managed = _managed([(_services(), msi), (_services(), agent)])
    domain = ("domain", "checkin.patchpilot-cloud.com")
    assert is_managed_deployment(managed, [domain, msi.ref, agent.ref], behaviours=(), interpreters=0)
    # a beacon riding the same hosts, an attack behaviour, a script host started anew: no deployment
    assert not is_managed_deployment(managed, [domain, msi.ref, agent.ref, ("process", "beacon")],
                                     behaviours=(), interpreters=0)
    assert not is_managed_deployment(managed, [domain, msi.ref, agent.ref], behaviours=("lsass_access",),
                                     interpreters=0)
    assert not is_managed_deployment(managed, [domain, msi.ref, agent.ref], behaviours=(), interpreters=1)
    assert not is_managed_deployment(managed, [domain, msi.ref, ("script", "abc")], behaviours=(), interpreters=0)
    # the agent without its install (a later day, or copied by other means) is not called a deployment
    assert not is_managed_deployment(managed, [domain, agent.ref], behaviours=(), interpreters=0)


@pytest.mark.parametrize("parent_image", [
    r"C:\ProgramData\Updater\services.exe",               # any binary named services.exe
    r"C:\Users\Public\Windows\System32\services.exe",     # System32's name nested in a writable folder
    r"C:\Windows\System32\..\..\Users\Public\services.exe",  # climbing out of System32 by ".."
    r"\\fs1\c$\Windows\System32\services.exe",              # another machine's System32, over a share
])
def test_a_services_exe_outside_system32_is_no_management_parent(parent_image):
    """The Service Control Manager is System32's services.exe: an attacker's copy of the name (admin on no
    host needed) starting msiexec, or the program it deploys, makes no deployment."""
    fake = _process("fake", parent_image, parent_image)
    msi = _process("msi", MSIEXEC, SHARE_INSTALL)
    agent = _process("agent", AGENT, f'"{AGENT}" /service')
    managed = _managed([(fake, msi), (fake, agent)])
    assert (managed.installers, managed.programs) == (frozenset(), frozenset())


@pytest.mark.parametrize("parent_image", [
    r"\Device\HarddiskVolume3\Windows\System32\services.exe",  # as Windows' own events write it
    r"\\?\C:\Windows\System32\services.exe",
    r"D:\Windows\system32\services.exe",                      # a host whose Windows is on D:
])
def test_system32s_services_exe_in_any_spelling_is_the_management_parent(parent_image):
    scm = _process("scm", parent_image, parent_image)
    msi = _process("msi", MSIEXEC, SHARE_INSTALL)
    assert _managed([(scm, msi)]).installers == frozenset({msi.ref})


def test_msiexec_copied_under_a_nested_system32_is_not_the_installer():
    nested = _process("nested", r"C:\Users\Public\Windows\System32\msiexec.exe", SHARE_INSTALL)
    assert _managed([(_services(), nested)]).installers == frozenset()


@pytest.mark.parametrize("image_path", [
    r"C:\Windows\System32\msiexec",                      # no .exe: CreateProcess adds it, the parser does not
    r"%windir%\system32\msiexec",
])
def test_a_service_whose_image_path_names_msiexec_without_exe_is_no_managed_install(ingest, image_path):
    """Through the real ingest: the 7045's installed node and the Sysmon 1 of its run are keyed by different
    images (``...\\msiexec`` and ``...\\msiexec.exe``), so the run must be matched by its command line."""
    command = image_path + r" /i \\deploy.corp.example\packages\Agent.msi /qn"
    service = _winlogbeat(7045, {"ServiceName": "x1", "ImagePath": command, "ServiceType": "user mode service",
                                 "StartType": "demand start", "AccountName": "LocalSystem"}, channel="System")
    run = _sysmon(1, 9, ProcessGuid="{5770385f-0000-0000-0000-00000000a001}", ProcessId="5120",
                  Image=MSIEXEC, CommandLine=command.replace("%windir%", r"C:\Windows"),
                  User="NT AUTHORITY\\SYSTEM", ParentProcessGuid="{5770385f-0000-0000-0000-000000000270}",
                  ParentProcessId="624", ParentImage=SERVICES, ParentCommandLine=SERVICES)
    got = ingest(service, run)
    processes = {("process", key): entity for key, entity in got.entities("process").items()}
    spawned = [Relation(parent, "SPAWNED", child, 0.0, 0.0) for parent, child in got.edges("SPAWNED")]
    images = {ref: image_name(e.value, e.props) for ref, e in processes.items()}
    installed = [dst for _, dst in got.edges("INSTALLED")]
    assert len(spawned) == 1 and installed  # the run and the install are both in the graph
    assert managed_installs(processes, spawned, images, installed).installers == frozenset()
