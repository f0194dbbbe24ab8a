r"""Microsoft Defender's own updates: a signature delta Windows Update runs, a platform build it starts (task BEN2).

Every host takes Defender's updates within hours (``benchmarks/scenarios/fp_defender_update.yaml``):
Windows Update's service (``svchost.exe -k netsvcs -p -s wuauserv``) runs ``MpSigStub.exe`` on the
delta it downloaded into ``C:\Windows\SoftwareDistribution\Download\``, and the Service Control
Manager starts the new engine, ``MsMpEng.exe``, from its new versioned folder
``C:\ProgramData\Microsoft\Windows Defender\Platform\<version>\``: a new command line, a new image
path and a new build on every host, which read as a new program fanned out over the fleet (rank 5
to 7 in the benign fleet scenarios).  :mod:`analytics.managed_installs` takes the stub as a
managed installer and the engine as the program it deployed.

A **signature stub** (:func:`is_signature_stub`) is ``MpSigStub.exe`` in System32 whose every parent
is Windows Update's service (:func:`is_update_service`: System32's ``svchost.exe`` hosting
``wuauserv``, itself started by System32's ``services.exe``; checked by the caller) and whose
``/program`` (one at least) is a file below ``SoftwareDistribution\Download`` on a local volume.
A **platform engine** (:func:`is_platform_engine`) is ``MsMpEng.exe`` or ``NisSrv.exe`` in a
version-named subfolder of Defender's ``Platform`` folder on a local volume, started only by
System32's ``services.exe`` (checked by the caller).  Both must not be said unsigned or invalid,
must be signed by Microsoft (one of its own signing names) when the telemetry names a signer, and must not say another original
file name (a renamed binary).  Paths are read by :func:`analytics.driver_paths.read_windows_path`
(``..`` resolved, shares and shadow copies refused): a look-alike folder, a user's copy, a
version folder that is no version or a path climbing out of either folder is neither.

What is left to an attacker: Windows Update itself (a poisoned update server the hosts trust),
or an administrator who registers a service whose binary sits in Defender's own Platform folder
(which Defender's tamper protection keeps from administrators); where the telemetry names no
signer, a binary replaced there in place.  Paths and command lines are attacker data: they are
only compared, never run.
"""

from __future__ import annotations

import re

from analytics.agent_caches import not_microsoft_signed
from analytics.driver_paths import read_windows_path
from graphsiem.model import Entity

__all__ = [
    "PLATFORM_ENGINES", "PLATFORM_FOLDER", "SIGNATURE_STUB", "SYSTEM_FOLDERS", "is_platform_engine", "is_signature_stub",
    "is_update_service",
]

PLATFORM_FOLDER = "\\programdata\\microsoft\\windows defender\\platform\\"
"""Defender's platform builds, one version-named subfolder each (below the volume, lower case)."""
PLATFORM_ENGINES = frozenset({"msmpeng.exe", "nissrv.exe"})
"""The platform's services the Service Control Manager starts from it (lower case)."""
SIGNATURE_STUB = "mpsigstub.exe"
"""The stub Windows Update runs on a security-intelligence delta."""
SYSTEM_FOLDERS = ("\\windows\\system32", "\\windows\\syswow64")
"""Where Windows keeps its own binaries (below the volume, lower case); analytics.managed_installs reads it too."""
_UPDATE_DOWNLOADS = "\\windows\\softwaredistribution\\download\\"
_VERSION = re.compile(r"^\d+(?:\.\d+){3}(?:-\d+)?$")
_WUAUSERV = re.compile(r"(?i)(?:^|\s)[/-]s\s+wuauserv(?:\s|$)")
_PROGRAM = re.compile(r'(?i)(?:^|\s)/program\s+("[^"]*"|\S+)')


def _microsoft_binary(entity: Entity) -> tuple[str, str] | None:
    """(folder below the volume, file name), lower case, of a process whose image is on a local volume,
    not said unsigned, signed by Microsoft when a signer is named and not renamed from another file;
    else None."""
    props = entity.props
    read = read_windows_path(str(props.get("image") or props.get("path") or ""))
    if read is None or read.elsewhere is not None or not_microsoft_signed(props):
        return None
    folder, _, file_name = read.folders.rpartition("\\")
    original = props.get("original_file_name")
    if isinstance(original, str) and original and original.strip().lower() != file_name:
        return None
    return folder, file_name


def is_update_service(entity: Entity | None) -> bool:
    r"""Whether a process is System32's ``svchost.exe`` hosting Windows Update (``-s wuauserv``).

    Its own parent (the Service Control Manager) is the caller's to check.

    Examples
    --------
    >>> svc = r"C:\Windows\System32\svchost.exe"
    >>> is_update_service(Entity("process", "s", "s", props={"image": svc, "command_line": svc + " -k netsvcs -p -s wuauserv"}))
    True
    >>> is_update_service(Entity("process", "s", "s", props={"image": svc, "command_line": svc + " -k netsvcs -p -s BITS"}))
    False
    """
    if entity is None:
        return False
    binary = _microsoft_binary(entity)
    return binary is not None and binary[1] == "svchost.exe" and binary[0] in SYSTEM_FOLDERS and bool(_WUAUSERV.search(str(entity.props.get("command_line") or "")))


def is_signature_stub(entity: Entity) -> bool:
    r"""Whether a process is System32's ``MpSigStub.exe`` applying a delta Windows Update downloaded.

    Its parents (Windows Update's service only: :func:`is_update_service`) are the caller's to check.

    Examples
    --------
    >>> stub = r"C:\Windows\System32\MpSigStub.exe"
    >>> line = stub + r" /stub 1.1 /payload 1.421 /program C:\Windows\SoftwareDistribution\Download\Install\AM_Delta.exe"
    >>> is_signature_stub(Entity("process", "m", "m", props={"image": stub, "command_line": line}))
    True
    >>> is_signature_stub(Entity("process", "m", "m", props={"image": stub,
    ...     "command_line": stub + r" /program C:\Users\Public\AM_Delta.exe"}))
    False
    """
    binary = _microsoft_binary(entity)
    if binary is None or binary[1] != SIGNATURE_STUB or binary[0] not in SYSTEM_FOLDERS:
        return False
    programs = _PROGRAM.findall(str(entity.props.get("command_line") or ""))
    return bool(programs) and all(_in_update_downloads(program.strip('"')) for program in programs)


def _in_update_downloads(path: str) -> bool:
    read = read_windows_path(path)
    return (read is not None and read.elsewhere is None and read.folders.startswith(_UPDATE_DOWNLOADS)
            and read.folders[len(_UPDATE_DOWNLOADS):].rpartition("\\")[2] != "")


def is_platform_engine(entity: Entity) -> bool:
    r"""Whether a process is Defender's engine in a version-named folder of its ``Platform`` folder.

    Its parents (System32's ``services.exe`` only) are the caller's to check.

    Examples
    --------
    >>> engine = r"C:\ProgramData\Microsoft\Windows Defender\Platform\4.18.26110.3-0\MsMpEng.exe"
    >>> is_platform_engine(Entity("process", "e", "e", props={"image": engine}))
    True
    >>> [is_platform_engine(Entity("process", "e", "e", props={"image": p})) for p in (
    ...     r"C:\ProgramData\Microsoft\Windows Defender\Platform\latest\MsMpEng.exe",
    ...     r"C:\ProgramData\Microsoft\Windows Defender\Platform\4.18.1.0-0\..\..\..\..\..\Users\Public\MsMpEng.exe")]
    [False, False]
    """
    binary = _microsoft_binary(entity)
    if binary is None or binary[1] not in PLATFORM_ENGINES or not binary[0].startswith(PLATFORM_FOLDER):
        return False
    return bool(_VERSION.match(binary[0][len(PLATFORM_FOLDER):]))
