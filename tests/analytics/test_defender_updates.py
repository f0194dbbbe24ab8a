"""Microsoft Defender's own updates as a managed deployment, and their forgeries (task BEN2).

Hand-built processes and ``SPAWNED`` relations through :func:`managed_installs`: System32's
``MpSigStub.exe`` run by Windows Update's service on a delta in ``SoftwareDistribution\\Download``
is a managed installer, and ``MsMpEng.exe`` that ``services.exe`` starts from a version folder of
Defender's ``Platform`` folder a deployed program.  Every forgery an attacker can afford without
Windows Update or Defender's own folder (a look-alike or user-writable folder, ``..`` out of the
folder, a renamed binary, another parent, another svchost service, an unsigned or differently
signed binary, a delta outside Windows Update's downloads, a service a host installed) is not.
"""

from __future__ import annotations

import pytest

from analytics.lineage import image_name
from analytics.managed_installs import is_managed_deployment, managed_installs
from graphsiem.model import Entity, Relation

SERVICES = r"C:\Windows\system32\services.exe"
SVCHOST = r"C:\Windows\System32\svchost.exe"
WUAUSERV = r"C:\Windows\system32\svchost.exe -k netsvcs -p -s wuauserv"
STUB = r"C:\Windows\System32\MpSigStub.exe"
DELTA = r"C:\Windows\SoftwareDistribution\Download\Install\AM_Delta_Patch_1.421.1180.0.exe"
STUB_LINE = STUB + r" /stub 1.1.24060.5 /payload 1.421.1180.0 /program " + DELTA
ENGINE = r"C:\ProgramData\Microsoft\Windows Defender\Platform\4.18.26110.3-0\MsMpEng.exe"


def _process(key: str, image: str, command_line: str | None = None, **props) -> Entity:
    line = command_line or f'"{image}"'
    return Entity("process", key, line, {"image": image, "command_line": line, **props})


def _managed(children: list[tuple[Entity, Entity]], installed=()):
    """``(parent, child)`` processes -> :func:`managed_installs` over them."""
    processes = {e.ref: e for pair in children for e in pair}
    spawned = [Relation(p.ref, "SPAWNED", c.ref, 0.0, 0.0) for p, c in children]
    images = {ref: image_name(e.value, e.props) for ref, e in processes.items()}
    return managed_installs(processes, spawned, images, installed)


def _services() -> Entity:
    return _process("services", SERVICES, SERVICES)


def _update_service(line: str = WUAUSERV, image: str = SVCHOST, **props) -> Entity:
    return _process("wu", image, line, **props)


def _update(stub: Entity, engine: Entity, service: Entity | None = None, engine_parent: Entity | None = None,
            installed=()):
    service = service or _update_service()
    return _managed([(_services(), service), (service, stub), (engine_parent or _services(), engine)], installed)


def test_the_signature_stub_and_the_new_platform_engine_are_a_managed_deployment():
    stub, engine = _process("stub", STUB, STUB_LINE), _process("engine", ENGINE)
    managed = _update(stub, engine)
    assert managed.installers == {stub.ref} and managed.programs == {engine.ref}
    members = [("url", "http://download.windowsupdate.com/c/msdownload/x.exe"), stub.ref, engine.ref]
    assert is_managed_deployment(managed, members, behaviours=(), interpreters=0)


STUB_FORGERIES = {
    "stub in a user folder": dict(stub=(r"C:\Users\Public\MpSigStub.exe", None)),
    "stub reached by '..' out of System32": dict(stub=(r"C:\Windows\System32\..\..\Users\Public\MpSigStub.exe", None)),
    "stub on another machine's share": dict(stub=(r"\\fs01\c$\Windows\System32\MpSigStub.exe", None)),
    "renamed binary in System32": dict(stub=(STUB, None), props={"original_file_name": "rundll32.exe"}),
    "unsigned stub": dict(stub=(STUB, None), props={"signed": False}),
    "stub signed by another": dict(stub=(STUB, None), props={"signature": "Contoso Ltd"}),
    "delta in a user folder": dict(stub=(STUB, STUB + r" /payload 1 /program C:\Users\Public\AM_Delta.exe")),
    "delta climbing out of the downloads": dict(
        stub=(STUB, STUB + r" /program C:\Windows\SoftwareDistribution\Download\..\..\..\Users\x\AM_Delta.exe")),
    "no delta named": dict(stub=(STUB, STUB + " /stub 1.1 /payload 1.421")),
    "a delta on a share": dict(stub=(STUB, STUB + r" /program \\evil.example\d\AM_Delta.exe")),
}


@pytest.mark.parametrize("case", sorted(STUB_FORGERIES))
def test_a_forged_signature_stub_is_no_installer(case):
    spec = STUB_FORGERIES[case]
    image, line = spec["stub"]
    stub = _process("stub", image, line or STUB_LINE.replace(STUB, image), **spec.get("props", {}))
    assert _update(stub, _process("engine", ENGINE)).installers == frozenset(), case


@pytest.mark.parametrize("service", [
    _update_service(WUAUSERV.replace("wuauserv", "BITS")),  # another svchost service
    _update_service(r"C:\Users\Public\svchost.exe -k netsvcs -p -s wuauserv", image=r"C:\Users\Public\svchost.exe"),
    _update_service(signature="Contoso Ltd"),
    _process("cmd", r"C:\Windows\System32\cmd.exe", r"cmd.exe /c MpSigStub.exe -s wuauserv"),
], ids=["bits", "user-folder-svchost", "other-signer-svchost", "cmd"])
def test_a_stub_another_parent_started_is_no_installer(service):
    stub = _process("stub", STUB, STUB_LINE)
    assert _update(stub, _process("engine", ENGINE), service=service).installers == frozenset()


def test_an_update_service_no_service_control_manager_started_starts_no_installer():
    shell = _process("explorer", r"C:\Windows\explorer.exe")
    service, stub = _update_service(), _process("stub", STUB, STUB_LINE)
    managed = _managed([(shell, service), (service, stub)])
    assert managed.installers == frozenset()


ENGINE_FORGERIES = {
    "look-alike Defender folder": r"C:\ProgramData\Microsoft\Windows Defender Advanced\Platform\4.18.26110.3-0\MsMpEng.exe",
    "user-writable copy": r"C:\Users\Public\Windows Defender\Platform\4.18.26110.3-0\MsMpEng.exe",
    "no version folder": r"C:\ProgramData\Microsoft\Windows Defender\Platform\MsMpEng.exe",
    "a folder that is no version": r"C:\ProgramData\Microsoft\Windows Defender\Platform\update\MsMpEng.exe",
    "'..' out of the platform folder":
        r"C:\ProgramData\Microsoft\Windows Defender\Platform\4.18.1.0-0\..\..\..\..\Temp\MsMpEng.exe",
    "a version folder deeper down": r"C:\ProgramData\Microsoft\Windows Defender\Platform\4.18.1.0-0\x\MsMpEng.exe",
    "another program in the folder": r"C:\ProgramData\Microsoft\Windows Defender\Platform\4.18.26110.3-0\svc.exe",
    "a share": r"\\fs01\c$\ProgramData\Microsoft\Windows Defender\Platform\4.18.26110.3-0\MsMpEng.exe",
}


@pytest.mark.parametrize("case", sorted(ENGINE_FORGERIES))
def test_a_forged_platform_engine_is_no_deployed_program(case):
    engine = _process("engine", ENGINE_FORGERIES[case])
    assert _update(_process("stub", STUB, STUB_LINE), engine).programs == frozenset(), case


@pytest.mark.parametrize("props", [{"signed": False}, {"signature": "Contoso Ltd"}, {"signature_status": "Expired"},
                                   {"original_file_name": "payload.exe"}], ids=["unsigned", "other-signer", "expired", "renamed"])
def test_an_engine_whose_signature_or_name_is_wrong_is_no_deployed_program(props):
    engine = _process("engine", ENGINE, **props)
    assert _update(_process("stub", STUB, STUB_LINE), engine).programs == frozenset()


def test_an_engine_a_user_or_an_installed_service_started_is_no_deployed_program():
    shell = _process("explorer", r"C:\Windows\explorer.exe")
    engine = _process("engine", ENGINE)
    assert _update(_process("stub", STUB, STUB_LINE), engine, engine_parent=shell).programs == frozenset()
    # a service a host installed (sc create ... binPath= <the folder>): no platform update writes a 7045
    assert _update(_process("stub", STUB, STUB_LINE), engine, installed=[engine.ref]).programs == frozenset()


def test_a_signature_stub_that_starts_anything_else_is_no_deployment():
    stub, engine = _process("stub", STUB, STUB_LINE), _process("engine", ENGINE)
    payload = _process("payload", r"C:\Windows\Temp\x.exe")
    managed = _managed([(_services(), _update_service()), (_update_service(), stub), (_services(), engine), (stub, payload)])
    assert not is_managed_deployment(managed, [stub.ref, engine.ref, payload.ref], behaviours=(), interpreters=0)
