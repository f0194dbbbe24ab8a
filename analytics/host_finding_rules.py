"""The single-host rules of host findings (:mod:`analytics.host_findings`), written as data.

Each rule reads like a Sigma rule: what it matches, its MITRE ATT&CK techniques, its fixed risk and why.
Fan-out clusters need an entity shared by ``min_hosts`` hosts, so an attack on one machine (a renamed
mimikatz, a process reading LSASS, a cleared Security log, a script host starting an encoded PowerShell)
made no case at all; these rules make one per host.  Their risks are fixed, never the forest's
(:mod:`analytics.host_finding_words`), and chosen against the risks a detection already gives:

* ``lsass_read`` 90: reading LSASS memory is what credential dumping is (T1003.001); no benign reader
  outside the allow list needs it.
* ``log_cleared`` 85: a wiped Security or System log (T1070.001) is an intruder covering tracks, or
  an administrator doing what change control must explain.
* ``renamed_tool`` 85: an offensive tool or a system binary run under another name (T1036.003): the
  rename exists to pass name-based rules.
* ``script_stager`` 80: a script host or an Office program starting an encoded PowerShell
  (T1059.001 + T1027): the first stage of a mailed or downloaded lure.
* ``remote_exec`` 80: impacket's wmiexec/smbexec shape (T1047, T1021.002): ``cmd.exe /Q /c ...``
  writing its output to ``\\\\127.0.0.1\\ADMIN$\\__<time>``.
* ``defence_change`` 75: a command turning RDP on (``fDenyTSConnections`` 0, NLA off, the firewall's
  remote desktop rule) or Defender off (T1112, T1562.001, T1562.004, T1021.001).
* ``lolbin_download`` 70: a Windows binary used to fetch or decode a file (certutil ``-urlcache`` /
  ``-decode``, bitsadmin ``/transfer``, desktopimgdownldr ``/lockscreenurl``: T1105, T1197, T1140).
  Below the others: administrators do script these, and the file is the evidence to read next.
* ``adfs_key_read`` 90 (:mod:`analytics.adfs_key_reads`): an account other than a managed service account
  reading the AD FS key (``thumbnailPhoto`` of a contact, Security 4662): the first step of Golden SAML
  (T1552.004, T1606.002), whose forged tokens open every federated application.
* ``service_stager`` 85: services.exe starting a cmd or PowerShell that inflates a base64 gzip blob in
  memory, or a service installed with that command (Metasploit ``psexec_psh``: T1569.002, T1059.001,
  T1027): a remote service install running a payload that never touches the disk.
* ``cmd_stager`` 80 (:mod:`analytics.stager_chains`): an encoded PowerShell started through cmd.exe by a
  script host, Office, services.exe or WMI, or ``cmd /c powershell -enc`` whose decoded text downloads
  and runs code (T1059.001, T1059.003, T1027): ``script_stager`` with one more hop.
* ``obfuscated_cradle`` 80 (:mod:`analytics.script_block_cradles`): a script block (4104, 4103) whose
  download call or URLs appear only once its concatenations, backticks or character codes are undone
  (Emotet's loader: T1059.001, T1027, T1105): benign scripts do not hide where they download from.
* ``raw_disk_read`` 80: a process reading a volume directly (Sysmon 9, T1006, T1003.002/.003) that is not
  Windows' own reader of volumes (:func:`allowed_raw_reader`): copying NTDS.dit or the SAM hive past the
  locks the file system holds (Invoke-NinjaCopy).  Under the LSASS read: a backup agent of the
  organisation's own reads volumes too, and a verdict on its build closes it.
* ``network_stager`` 75 (:mod:`analytics.network_stagers`): a Windows executable fetched over plain HTTP
  from a bare address, then TLS or long sessions to that address on a port other than 80/443 within
  minutes (Metasploit's staged ``reverse_https``: T1105, T1071.001, T1573.002, T1571); lower: a network
  sensor sees no process, and an odd in-house server could do it.

Attacker text (command lines, image names, ``OriginalFileName``) is matched, never executed, and
quoted as plain text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from analytics.build_signers import Signer
from analytics.original_names import original_name

__all__ = [
    "ADFS_KEY_READ", "CMD_STAGER", "INSPECTOR_SIGNERS", "COMMAND_RULES", "DEFENCE_CHANGE", "ENCODED_SWITCH", "GZIP_STAGER", "NETWORK_STAGER",
    "OBFUSCATED_CRADLE", "SERVICE_STAGER", "LOG_CLEARED", "LOLBIN_DOWNLOAD", "LSASS_READ", "LSASS_READ_RIGHTS",
    "RAW_DISK_READ", "REMOTE_EXEC", "RENAMED_TOOL", "RULES", "SCRIPT_STAGER", "STAGER_PARENTS", "CommandRule", "Rule",
    "allowed_lsass_reader", "allowed_raw_reader", "reads_memory",
]

LSASS_READ = "lsass_read"
RENAMED_TOOL = "renamed_tool"
LOG_CLEARED = "log_cleared"
SCRIPT_STAGER = "script_stager"
REMOTE_EXEC = "remote_exec"
DEFENCE_CHANGE = "defence_change"
LOLBIN_DOWNLOAD = "lolbin_download"
ADFS_KEY_READ = "adfs_key_read"
SERVICE_STAGER = "service_stager"
CMD_STAGER = "cmd_stager"
OBFUSCATED_CRADLE = "obfuscated_cradle"
NETWORK_STAGER = "network_stager"
RAW_DISK_READ = "raw_disk_read"


@dataclass(frozen=True, slots=True)
class Rule:
    """A single-host rule: its title, fixed risk and ATT&CK techniques."""

    title: str
    risk: float
    attack: tuple[str, ...]


RULES: dict[str, Rule] = {
    LSASS_READ: Rule("LSASS memory read", 90.0, ("T1003.001",)),
    LOG_CLEARED: Rule("Event log cleared", 85.0, ("T1070.001",)),
    RENAMED_TOOL: Rule("Renamed tool", 85.0, ("T1036.003",)),
    SCRIPT_STAGER: Rule("Script host started encoded PowerShell", 80.0, ("T1059.001", "T1027", "T1204.002")),
    REMOTE_EXEC: Rule("Remote execution (wmiexec/smbexec shape)", 80.0, ("T1047", "T1021.002")),
    DEFENCE_CHANGE: Rule("Defences weakened or RDP enabled", 75.0, ("T1112", "T1562.001", "T1562.004", "T1021.001")),
    LOLBIN_DOWNLOAD: Rule("Windows binary used to download or decode", 70.0, ("T1105", "T1197", "T1140")),
    ADFS_KEY_READ: Rule("AD FS key read (Golden SAML)", 90.0, ("T1552.004", "T1606.002")),
    SERVICE_STAGER: Rule("Service started an in-memory PowerShell payload", 85.0,
                         ("T1569.002", "T1059.001", "T1027", "T1021.002")),
    CMD_STAGER: Rule("Encoded PowerShell through cmd.exe", 80.0, ("T1059.001", "T1059.003", "T1027")),
    OBFUSCATED_CRADLE: Rule("Obfuscated PowerShell download cradle", 80.0, ("T1059.001", "T1027", "T1105")),
    NETWORK_STAGER: Rule("Executable fetched from an address, then callbacks to it", 75.0,
                         ("T1105", "T1071.001", "T1573.002", "T1571")),
    RAW_DISK_READ: Rule("Volume read directly (raw disk access)", 80.0, ("T1006", "T1003.002", "T1003.003")),
}
"""Every rule by id (module docstring for each risk)."""

# -- LSASS read (Sysmon 10, MDE OpenProcess) ------------------------------------------------------------

LSASS_READ_RIGHTS = 0x10 | 0x2000000 | 0x10000000 | 0x80000000
"""The rights that read a process's memory: ``PROCESS_VM_READ`` 0x10 (mimikatz's ``0x1010``, ``0x1410``,
``0x1438``, ``0x143a``, ``PROCESS_ALL_ACCESS`` ``0x1fffff``), ``MAXIMUM_ALLOWED`` 0x2000000, ``GENERIC_ALL``
0x10000000 and ``GENERIC_READ`` 0x80000000 (which maps to ``PROCESS_VM_READ``).  Query-only handles
(``0x1000``, ``0x1400``) and the write-only rights the projection also keeps as ``ACCESSED``
(``ingest.projection_access.MEMORY_RIGHTS``) read nothing: not this rule."""

_SYSTEM_DIRS = (r"c:\windows\system32", r"c:\windows\syswow64")
_SYSTEM_READERS = frozenset({
    # the session and service managers, the log-on process and the LSA's own helpers
    "csrss.exe", "wininit.exe", "winlogon.exe", "services.exe", "smss.exe", "lsaiso.exe",
    "svchost.exe", "wbem\\wmiprvse.exe", "werfault.exe", "werfaultsecure.exe",
    "searchindexer.exe", "vssvc.exe",
})
"""System binaries that open LSASS with read rights in normal operation, by their path under System32:
the same names anywhere else are not allowed.  Only names Windows ships there on every release: those files
are TrustedInstaller's, where an administrator can create a free one.  ``lsm.exe`` (a process until Windows 7,
a service DLL since Windows 8) and ``mrt.exe`` (installed by Windows Update, absent on some hosts) are such
free names: they are read apart (:data:`_LSM`, :data:`_MRT`, HOSTF3).
``taskmgr.exe`` is none either: its own handles are query-only (``0x1000``/``0x1400``, no read), and a
read from it is its "Create dump file", a procdump of LSASS by hand."""
_LSM = r"c:\windows\system32\lsm.exe"
"""The Local Session Manager reads LSASS only where it is a process: Vista and 7 (their hosts' own binaries'
FileVersions say so, :func:`analytics.host_os_versions.windows_release`); on Windows 8 and later an
``lsm.exe`` is anyone's (HOSTF2).  Its PE name must agree when its creation is seen."""
_MRT = r"c:\windows\system32\mrt.exe"
"""The Malicious Software Removal Tool scans LSASS; the file is Windows Update's, where it was installed, and
a free name where not: allowed at System32 only when vouched for, as Process Explorer is: its own image load
(Sysmon 7) says Microsoft signed it validly, or, no signer said, its creation's PE OriginalFileName agrees."""
_SERVICE_HOST = "svchost.exe"
"""A service host is a reader when it hosts services: its creation, when seen, says ``-k <group>``."""
_SERVICE_GROUP = re.compile(r"(?:^|\s)[-/]k\s+\S", re.I)
_WOW64_READERS = frozenset({"svchost.exe", "wbem\\wmiprvse.exe", "werfault.exe"})
"""The readers Windows also ships a 32-bit copy of in SysWOW64.  The session and service managers have
none there: an administrator (which an LSASS read needs anyway) can create ``SysWOW64\\csrss.exe``, a
free name, where the System32 ones are TrustedInstaller's (T14)."""
_DEFENDER_READERS = (
    re.compile(r"c:\\programdata\\microsoft\\windows defender\\platform\\[^\\]+\\(msmpeng|mpcopyaccelerator|nissrv)\.exe"),
    re.compile(r"c:\\program files\\windows defender\\(msmpeng|nissrv)\.exe"),
    re.compile(r"c:\\program files\\windows defender advanced threat protection\\(mssense|sensecncproxy)\.exe"),
)
"""Microsoft Defender's engine and EDR sensor scan LSASS: allowed at their install paths only."""
PROCESS_INSPECTORS = frozenset({"procexp.exe", "procexp64.exe", "procexp64a.exe"})
"""Sysinternals Process Explorer reads every process's memory (``0x1410``) to show its strings and threads.
Allowed only when the opener's own creation in the window names it so in its PE ``OriginalFileName`` too
(a renamed mimikatz saved as ``procexp64.exe`` keeps ``mimikatz.exe`` there), *and* its build is vouched
for (T15L): signed by Microsoft with a valid signature when its own image load (Sysmon 7) said a signer,
else run from under Program Files.  ``OriginalFileName`` is the builder's text: a mimikatz rebuilt with
``procexp64.exe`` there and saved as ``C:\\Users\\Public\\procexp64.exe`` agreed with its name."""
INSPECTOR_SIGNERS = frozenset({"microsoft corporation", "microsoft windows"})
"""The subjects (lower case) Sysinternals binaries are signed by; the status must be valid too
(:attr:`analytics.build_signers.Signer.is_valid`): a self-made certificate named so is not ``Valid``."""
_PROGRAM_FILES = ("c:\\program files\\", "c:\\program files (x86)\\")
"""Where an unsigned-as-far-as-we-know inspector may run from: writing there takes an administrator
(as an LSASS read does, but a drop in a user-writable folder is the usual tool's path)."""


def reads_memory(mask: int | None) -> bool:
    """Whether a process handle's access mask can read the process's memory (:data:`LSASS_READ_RIGHTS`).

    >>> [reads_memory(m) for m in (0x1010, 0x1410, 0x1fffff, 0x1000, 0x1400, 0x20, None)]
    [True, True, True, False, False, False, False]
    """
    return mask is not None and bool(mask & LSASS_READ_RIGHTS)


def allowed_lsass_reader(image: str, original: str | None, command_line: str | None = None,
                         signer: Signer | None = None, *, lsm_process: bool = False) -> bool:
    """Whether ``image`` (a full path) is a known reader of LSASS (module data), checked by path.

    ``original`` is the opener's PE ``OriginalFileName`` when its creation was seen, else None;
    ``command_line`` its command line then (a service host's must name its group, ``-k``); ``signer``
    its image's signer when its own image load said one (Process Explorer's and MRT's are read);
    ``lsm_process`` whether the host runs a Windows where ``lsm.exe`` is a process (Vista, 7).

    >>> allowed_lsass_reader(r"C:\\Windows\\system32\\csrss.exe", None)
    True
    >>> allowed_lsass_reader(r"C:\\Users\\Public\\csrss.exe", None)
    False
    >>> allowed_lsass_reader(r"C:\\Windows\\SysWOW64\\csrss.exe", None), allowed_lsass_reader(r"C:\\Windows\\System32\\lsm.exe", "-")
    (False, False)
    >>> ms = Signer(True, "Microsoft Corporation", "Valid")
    >>> allowed_lsass_reader(r"C:\\Tools\\procexp64.exe", "procexp64.exe", signer=ms), allowed_lsass_reader(r"C:\\t\\procexp64.exe", "mimikatz.exe", signer=ms)
    (True, False)
    >>> allowed_lsass_reader(r"C:\\Program Files\\Sysinternals\\procexp64.exe", "procexp64.exe"), allowed_lsass_reader(r"C:\\Users\\Public\\procexp64.exe", "procexp64.exe")
    (True, False)
    >>> allowed_lsass_reader(r"C:\\Windows\\System32\\lsm.exe", None), allowed_lsass_reader(r"C:\\Windows\\System32\\taskmgr.exe", None)
    (False, False)
    >>> allowed_lsass_reader(r"C:\\Windows\\System32\\lsm.exe", None, lsm_process=True), allowed_lsass_reader(r"C:\\Windows\\System32\\mrt.exe", None)
    (True, False)
    >>> allowed_lsass_reader(r"C:\\Windows\\System32\\mrt.exe", "MRT.exe"), allowed_lsass_reader(r"C:\\Windows\\System32\\mrt.exe", None, signer=ms)
    (True, True)
    """
    path = image.strip().strip('"').lower().replace("/", "\\")
    folder, _, name = path.rpartition("\\")
    if path in (_LSM, _MRT):
        agrees = original is None or original_name(original) == name
        if path == _LSM:
            return lsm_process and agrees
        if signer is not None:  # said by its image load: Microsoft's valid signature, and no other PE name
            return agrees and signer.is_valid and (signer.name or "").strip().lower() in INSPECTOR_SIGNERS
        return original is not None and agrees
    for root, readers in ((_SYSTEM_DIRS[0], _SYSTEM_READERS), (_SYSTEM_DIRS[1], _WOW64_READERS)):
        if path.startswith(root + "\\") and path[len(root) + 1:] in readers:
            # its creation seen: its PE name must be its own (Windows' binaries all carry theirs, Sysmon's '-'
            # none), and a service host must host services (svchost.exe run bare hosts nothing)
            if original is None:
                return True
            return original_name(original) == name and (
                name != _SERVICE_HOST or bool(_SERVICE_GROUP.search(command_line or "")))
    if any(pattern.fullmatch(path) for pattern in _DEFENDER_READERS):
        return True
    if not folder or name not in PROCESS_INSPECTORS or (original or "").strip().lower() not in PROCESS_INSPECTORS:
        return False
    if signer is not None:  # said by its image load: Microsoft's valid signature, wherever it was saved
        return signer.is_valid and (signer.name or "").strip().lower() in INSPECTOR_SIGNERS
    return path.startswith(_PROGRAM_FILES)


# -- command lines (Sysmon 1, Security 4688, their ECS and MDE shapes) ----------------------------------

STAGER_PARENTS = frozenset({
    "wscript.exe", "cscript.exe", "mshta.exe", "winword.exe", "excel.exe", "powerpnt.exe", "outlook.exe",
    "msaccess.exe", "mspub.exe", "onenote.exe", "visio.exe",
})
"""Script hosts and Office programs: a user opened a document or a script, and it started PowerShell."""


@dataclass(frozen=True, slots=True)
class CommandRule:
    """A command-line pattern: which images it applies to (their file names, or any), what it says."""

    rule: str
    name: str
    images: frozenset[str]
    """Lower-case file names the process must be (its ``OriginalFileName`` when known); empty: any."""
    pattern: re.Pattern[str]
    words: str
    parents: frozenset[str] = frozenset()
    """When not empty: the parent's file name must be one of these."""


_DASH = "-/\u2013\u2014\u2015"
"""The characters that start a switch: PowerShell, certutil and bitsadmin read the en dash, em dash and
horizontal bar as a hyphen, so ``powershell \u2013enc`` runs as ``-enc`` (Beukema, *Windows Command-Line
Obfuscation*); a rule spelling only ``-`` and ``/`` is passed by one character."""
_ENCODED = re.compile(rf"(?:^|\s)\"?[{_DASH}]e(?:c|n|nc|nco|ncod|ncode|ncoded|ncodedc\w*)?\"?(?:\s+|:)\"?[a-z0-9+/=]{{20,}}",
                      re.I)
"""``-EncodedCommand`` and its prefixes, the switch or its value quoted (``-enc "SQBFAFgA..."``)."""
ENCODED_SWITCH = _ENCODED
""":data:`_ENCODED` for the rules of other modules (:mod:`analytics.stager_chains`)."""
GZIP_STAGER = re.compile(r"frombase64string\b.{0,400}?\b(gzipstream|deflatestream)\b"
                         r"|\b(gzipstream|deflatestream)\b.{0,400}?frombase64string\b", re.I | re.S)
"""A base64 blob inflated in memory (``IO.Compression.GzipStream`` over ``[Convert]::FromBase64String``):
the payload of Metasploit's ``psexec_psh`` and of many PowerShell loaders, never written to disk."""
COMMAND_RULES: tuple[CommandRule, ...] = (
    CommandRule(SCRIPT_STAGER, "encoded_powershell_from_script_host", frozenset({"powershell.exe", "pwsh.exe"}),
                _ENCODED, "PowerShell with an encoded command (-enc), started by a script host or Office",
                STAGER_PARENTS),
    CommandRule(LOLBIN_DOWNLOAD, "certutil_urlcache", frozenset({"certutil.exe"}),
                re.compile(rf"[{_DASH}](urlcache|verifyctl)\b.*\b(https?|ftp)://", re.I),
                "certutil fetching a URL (-urlcache)"),
    CommandRule(LOLBIN_DOWNLOAD, "certutil_decode", frozenset({"certutil.exe"}),
                re.compile(rf"[{_DASH}]decode(hex)?\b", re.I), "certutil decoding a file (-decode)"),
    CommandRule(LOLBIN_DOWNLOAD, "bitsadmin_transfer", frozenset({"bitsadmin.exe"}),
                re.compile(rf"[{_DASH}](transfer|addfile)\b.*\b(https?|ftp)://", re.I), "bitsadmin downloading a URL (/transfer)"),
    CommandRule(LOLBIN_DOWNLOAD, "desktopimgdownldr", frozenset({"desktopimgdownldr.exe"}),
                re.compile(rf"[{_DASH}]lockscreenurl:\s*\S*(https?|ftp)://", re.I),
                "desktopimgdownldr fetching a URL as lock-screen image (/lockscreenurl)"),
    CommandRule(DEFENCE_CHANGE, "rdp_enabled", frozenset(),
                re.compile(r"fdenytsconnections\b.{0,60}?(/d\s*0\b|-value\s*0\b|\s0\s*(/f)?\s*$)", re.I),
                "Remote Desktop allowed (fDenyTSConnections set to 0)"),
    CommandRule(DEFENCE_CHANGE, "rdp_nla_off", frozenset(),
                re.compile(r"\\rdp-tcp\b.{0,40}?userauthentication\b.{0,40}?(/d\s*0\b|-value\s*0\b)", re.I),
                "Remote Desktop without network-level authentication (UserAuthentication 0)"),
    CommandRule(DEFENCE_CHANGE, "rdp_firewall_opened", frozenset({"netsh.exe"}),
                re.compile(r"firewall\s+set\s+(service\s+type\s*=\s*remotedesktop\s+mod(e)?\s*=\s*enable"
                           r"|rule\s+group\s*=\s*\"?remote desktop\"?\s+new\s+enable\s*=\s*yes)", re.I),
                "the firewall opened for Remote Desktop"),
    CommandRule(DEFENCE_CHANGE, "defender_disabled", frozenset(),
                re.compile(r"(disableantispyware|disablerealtimemonitoring|disablebehaviormonitoring|disableioavprotection)"
                           r"\b(?:[\s:]+1\b|.{0,40}?(/d\s*1\b|\$true\b|-value\s*1\b))", re.I),
                "Microsoft Defender protection turned off"),
    CommandRule(SERVICE_STAGER, "service_gzip_stager", frozenset({"cmd.exe", "powershell.exe", "pwsh.exe"}),
                GZIP_STAGER, "services.exe started a command inflating a base64 gzip payload in memory "
                "(FromBase64String + GzipStream: Metasploit psexec_psh)", frozenset({"services.exe"})),
    CommandRule(REMOTE_EXEC, "impacket_exec_output", frozenset({"cmd.exe"}),
                re.compile(r"/q\s+/c\b.*\\\\127\.0\.0\.1\\admin\$\\__\d", re.I),
                "cmd /Q /c writing its output to \\\\127.0.0.1\\ADMIN$\\__<time> (impacket wmiexec/smbexec)"),
)
"""The command-line rules, first match per rule and process."""


# -- raw disk read (Sysmon 9) ---------------------------------------------------------------------------

_RAW_SYSTEM_READERS = frozenset({
    # the service host (volume shadow copies, storage and defragmentation services), the shadow copy and
    # virtual disk services, Windows Backup, the disk checkers and the optimiser
    "svchost.exe", "vssvc.exe", "vds.exe", "wbengine.exe", "wbadmin.exe", "chkdsk.exe", "autochk.exe",
    "defrag.exe", "dfrgui.exe",
})
"""System32 binaries that read volumes directly in normal operation, by name under System32 or SysWOW64:
the same names anywhere else are not allowed (:data:`_SYSTEM_DIRS`, as for LSASS readers)."""
_DEFENDER_DIRS = (r"c:\programdata\microsoft\windows defender\platform", r"c:\program files\windows defender")
"""Where Microsoft Defender's engine runs from: it scans volumes directly (``MsMpEng.exe``)."""


def allowed_raw_reader(image: str) -> bool:
    r"""Whether ``image`` is one of Windows' own readers of volumes (a Sysmon 9 that is no finding).

    The kernel (Sysmon's ``System``, pid 4: the file systems and paging read the volume), the System32
    binaries of :data:`_RAW_SYSTEM_READERS` and Defender's engine at its install paths.  Anything else
    (a renamed copy, a backup agent of another vendor, ``powershell.exe`` running Invoke-NinjaCopy) is a
    finding: what an organisation's own backup agent is, the analyst's verdict on its build says.

    >>> allowed_raw_reader("System"), allowed_raw_reader("C:\\Windows\\System32\\svchost.exe")
    (True, True)
    >>> allowed_raw_reader("C:\\Users\\Public\\svchost.exe"), allowed_raw_reader("C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe")
    (False, False)
    """
    path = image.strip().strip('"').replace("/", "\\").lower()
    if path.startswith("\\??\\"):
        path = path[4:]
    if path == "system":
        return True
    folder, _, name = path.rpartition("\\")
    if folder in _SYSTEM_DIRS and name in _RAW_SYSTEM_READERS:
        return True
    return name == "msmpeng.exe" and any(folder == root or folder.startswith(root + "\\") for root in _DEFENDER_DIRS)
