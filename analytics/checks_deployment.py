"""The check step of a managed deployment: why its timing, check-ins and processes were not scored (task ROLLOUT).

A cluster :func:`analytics.managed_installs.is_managed_deployment` called a deployment (the
``managed_deployment`` context feature) took the benign spread, burst, repeats and endpoint kind.  The analyst is told so,
with what it rests on (the installer, its package, its parent, the programs it deployed), and what
would make it an attack after all: a deployment system that is not the organisation's, or a package
nobody published.  All values are quoted as plain text (:func:`analytics.checks_facts.quote`).
"""

from __future__ import annotations

from analytics.checks_facts import Facts, hosts_text, quote
from analytics.defender_updates import PLATFORM_ENGINES, SIGNATURE_STUB
from analytics.explain import Check
from analytics.lineage import image_file_name, image_name
from analytics.managed_installs import INSTALLERS, MANAGEMENT_PARENTS, package_of
from graphsiem.model import EntityType

MANAGED_FEATURE = "managed_deployment"
"""The context feature :mod:`analytics.features` sets to 1 on a managed deployment."""


def deployment_step(f: Facts) -> Check | None:
    """The step of a managed deployment (``features["managed_deployment"]`` 1), else None."""
    if float(f.features.get(MANAGED_FEATURE, 0.0)) != 1.0:
        return None
    processes = f.of_type(EntityType.PROCESS.value)
    installers = [e for e in processes if image_name(e.value, e.props) in INSTALLERS]
    programs = sorted({image_file_name(e.value, e.props) for e in processes if e not in installers})
    packages = sorted({p for e in installers if (p := package_of(str(e.props.get("command_line") or e.value)))})
    if not installers and (step := _defender_update_step(f, processes)) is not None:
        return step
    installer = image_file_name(installers[0].value, installers[0].props) if installers else "msiexec.exe"
    package = f" {quote(packages[0])}" + (f" (and {len(packages) - 1} more)" if len(packages) > 1 else "") if packages else ""
    deployed = f", and deployed {', '.join(quote(p, 40) for p in programs[:3])}" if programs else ""
    parents = " or ".join(sorted(MANAGEMENT_PARENTS))
    return Check(
        None,
        f"A managed deployment: {installer} installed package{package}, started by {parents} (a service, "
        f"not a user, a script or WMI){deployed} on {hosts_text(f.hosts)}; nothing else new ran, so it was "
        "scored as software the organisation installed: its synchronised first contacts (the deployment job's "
        "schedule), its check-ins (the product working) and its processes as endpoint evidence were not scored.  "
        "Confirm the deployment job or change ticket and that the share and the service that started the "
        "installer are yours",
        "the package was published by your deployment team to that share and the job targeted these hosts; "
        "if the share or the deploying service is not yours, or the deployed program's signer is not its "
        "vendor's, it is an attack through a deployment channel",
    )


def _defender_update_step(f: Facts, processes: list) -> Check | None:
    """The step of Defender's own update (:mod:`analytics.defender_updates`), when its stub or engine is a member."""
    names = {image_file_name(e.value, e.props): e for e in processes}
    if not names or not set(names) <= {SIGNATURE_STUB} | PLATFORM_ENGINES:
        return None
    engines = [e for name, e in sorted(names.items()) if name in PLATFORM_ENGINES]
    ran = []
    if SIGNATURE_STUB in names:
        ran.append(f"Windows Update's service (svchost.exe -s wuauserv) ran {SIGNATURE_STUB} on a delta it downloaded")
    if engines:
        image = str(engines[0].props.get("image") or engines[0].value)
        ran.append(f"services.exe started Defender's platform build {quote(image, 100)}")
    return Check(
        None,
        f"Microsoft Defender's update: {' and '.join(ran)} on {hosts_text(f.hosts)}; nothing else new ran, so it "
        "was scored as the product updating itself: its synchronised first contacts and its processes as endpoint "
        "evidence were not scored.  Confirm the binaries are signed by Microsoft and the platform version is a "
        "Defender release",
        "the binaries are Microsoft's and the hosts take their updates from Microsoft or your own update server; "
        "an unsigned binary, another signer or an update server that is not yours makes it an attack",
    )
