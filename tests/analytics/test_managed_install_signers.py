"""Review R25: the benign deployment rules' signer check and installed-service check cannot be met by a look-alike.

The agent, Windows Update and Defender rules (:mod:`analytics.agent_caches`,
:mod:`analytics.defender_updates`) took any signer whose name *starts with* "microsoft": a binary
replaced in place and signed by "Microsoft Update Tools Ltd" (a name anyone may register a
certificate for) passed as Microsoft's own.  The signer must be one of Microsoft's own
code-signing names.  And the platform engine was a deployed program unless its *own node* was a
host's installed service, while the installers' rule also compares the installed command line (a
service's ImagePath is keyed by what its parser read, the run by the image that ran: two nodes).
"""

from __future__ import annotations

import pytest

from analytics.agent_caches import agent_cache_of, is_microsoft_signer
from tests.analytics.test_defender_updates import (
    ENGINE,
    SERVICES,
    STUB,
    STUB_LINE,
    SVCHOST,
    WUAUSERV,
    _managed,
    _process,
)

IME = r"C:\Program Files (x86)\Microsoft Intune Management Extension\AgentExecutor.exe"
LOOK_ALIKES = ["Microsoft Update Tools Ltd", "Microsoftt Corporation", "Microsoft-Contoso LLC", "MICROSOFT CORP."]


def _update(stub_props=None, engine_props=None, service_props=None, installed=(), extra=()):
    """The real update (services.exe -> wuauserv -> stub; services.exe -> engine), each part's props changed."""
    services = _process("services", SERVICES, SERVICES)
    service = _process("wu", SVCHOST, WUAUSERV, **(service_props or {}))
    stub = _process("stub", STUB, STUB_LINE, **(stub_props or {}))
    engine = _process("engine", ENGINE, **(engine_props or {}))
    return _managed([(services, service), (service, stub), (services, engine), *extra], installed), stub, engine


@pytest.mark.parametrize("signer", ["Microsoft Corporation", "Microsoft Windows", "Microsoft Windows Publisher"])
def test_microsofts_own_signing_names_still_pass(signer):
    managed, stub, engine = _update({"signature": signer}, {"signature": signer}, {"signature": signer})
    assert managed.installers == {stub.ref} and managed.programs == {engine.ref}
    assert agent_cache_of(_process("ime", IME, signature=signer)) == "\\windows\\imecache"


@pytest.mark.parametrize("signer", LOOK_ALIKES)
def test_a_signer_that_only_starts_with_microsoft_is_no_microsoft_binary(signer):
    assert not is_microsoft_signer(signer)
    assert _update(stub_props={"signature": signer})[0].installers == frozenset()
    assert _update(service_props={"signature": signer})[0].installers == frozenset()
    assert _update(engine_props={"signature": signer})[0].programs == frozenset()
    assert agent_cache_of(_process("ime", IME, signature=signer)) is None


def test_an_engine_installed_as_a_service_under_another_spelling_is_no_deployed_program():
    # the service's ImagePath as its parser read it (in lower case): another node, the same command line
    installed = _process("installed", ENGINE.lower(), f'"{ENGINE.lower()}"')
    managed, _, engine = _update(installed=[installed.ref], extra=[(_process("sc", SERVICES, SERVICES), installed)])
    assert engine.ref not in managed.programs
