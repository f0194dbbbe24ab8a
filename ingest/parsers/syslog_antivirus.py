"""Antivirus detections a Windows syslog forwarder sent as their rendered message text.

Symantec Endpoint Protection writes a detection to the Application log, and
EvntSLog (or a forwarder like it) sends its rendered text on one line:
``Security Risk Found! Trojan Horse in File: C:\\Windows\\yfHMhijb.exe by:
Auto-Protect scan. Action: Quarantine succeeded : Access denied. Action
Description: The file was quarantined successfully.`` (the Brim WRCCDC
``syslog.log``, host Kramer).  Its virus family writes ``Virus Found!`` with
an optional ``Virus name:`` before the threat.

Such a message is an ``av:detection`` event on the syslog HOSTNAME (the host
the antivirus runs on), with:

* ``threat.name``: the threat as the vendor names it (``Trojan Horse``);
* ``file.path``: the detected file, as written (the projection keys the file
  by it: ``host DETECTED file``);
* ``antivirus.action`` and ``antivirus.result``: what the product did and what
  came of it (``Quarantine succeeded`` / ``Access denied``), the result absent
  when the text names none;
* ``antivirus.scan``: the scan that found it (``Auto-Protect``, ``Manual``,
  ``Scheduled``...);
* ``antivirus.product``: ``Symantec Endpoint Protection``;
* ``message``: the text as sent.

Attacker strings are data: the file's name is chosen by whoever wrote it.
Windows forbids ``:`` in a file name (a stream name's separator, which never
holds blanks here), so the path ends at the first `` by: `` that the message's
own ``scan. Action:`` follows; a threat name ends at the first `` in File: ``
(Symantec's names hold neither).  A message that does not follow the layout
whole is no detection: it stays the syslog message it was.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["AV_DETECTION", "PRODUCT_SYMANTEC", "antivirus_fields", "may_be_antivirus"]

AV_DETECTION = "av:detection"
"""The kind of an antivirus detection event."""

PRODUCT_SYMANTEC = "Symantec Endpoint Protection"

_SYMANTEC_RE = re.compile(
    r"(?:Security Risk|Virus) Found!\s*(?:(?:Virus|Risk) name:\s*)?"
    r"(?P<threat>.+?) in File: (?P<path>.+?) by: (?P<scan>[\w .()/-]+?) scan\.\s+"
    r"Action: (?P<action>.+?)(?: : (?P<result>[^.]+?))?\.(?:\s+Action Description:.*)?",
    re.DOTALL | re.IGNORECASE,
)

_MARKERS = ("Risk Found!", "Virus Found!", "risk found!", "virus found!")


def may_be_antivirus(line: str) -> bool:
    """Whether a line may carry a detection this module reads (a cheap test before the header is read)."""
    return any(marker in line for marker in _MARKERS)


def antivirus_fields(message: str) -> dict[str, Any] | None:
    """The fields of an antivirus detection's rendered text, or None when the text is no detection.

    Parameters
    ----------
    message : str
        The syslog MSG, after the header.

    Examples
    --------
    >>> fields = antivirus_fields("Security Risk Found! Trojan Horse in File: C:\\\\Windows\\\\x.exe by: "
    ...                           "Auto-Protect scan. Action: Quarantine succeeded : Access denied. "
    ...                           "Action Description: The file was quarantined successfully.")
    >>> fields["threat.name"], fields["file.path"], fields["antivirus.action"], fields["antivirus.result"]
    ('Trojan Horse', 'C:\\\\Windows\\\\x.exe', 'Quarantine succeeded', 'Access denied')
    >>> antivirus_fields("Scan Complete: Risks: 0 Scanned: 183387") is None
    True
    """
    text = message.strip(" \t\r\n\ufeff")
    match = _SYMANTEC_RE.fullmatch(text)
    if match is None:
        return None
    path = match["path"].strip()
    threat = match["threat"].strip()
    if not path or not threat:
        return None
    fields: dict[str, Any] = {
        "threat.name": threat,
        "file.path": path,
        "file.name": re.split(r"[\\/]", path)[-1],
        "antivirus.scan": match["scan"].strip(),
        "antivirus.action": match["action"].strip(),
        "antivirus.product": PRODUCT_SYMANTEC,
        "message": message,
    }
    if match["result"]:
        fields["antivirus.result"] = match["result"].strip()
    return fields
