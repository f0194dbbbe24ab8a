"""Microsoft Defender Antivirus 1116 and 1117 -> ``av:detection``.

The ``Microsoft-Windows-Windows Defender/Operational`` channel writes 1116 when
it detects malware or unwanted software and 1117 when it has acted on it.  Both
become ``av:detection`` (the kind of :mod:`ingest.parsers.syslog_antivirus`,
Symantec's text), so the projection's ``host DETECTED file`` and every search
treat the products alike.  Event data (Windows' XML names them with blanks):

* ``Threat Name`` -> ``threat.name`` (``Trojan:Win32/Wacatac.B!ml``);
* ``Path`` -> ``file.path`` and ``file.name``: Defender lists the resources it
  found as ``file:_C:\\x\\y.exe;process:_pid:42,...``; the first ``file:_`` (or
  ``containerfile:_``) resource is the file, and a detection naming none (a
  process, a registry value, a behaviour, a WMI object, or an empty ``Path``: a
  memory scan) has no file: its first resource is ``antivirus.resource_kind``
  (the scheme, ``regkey``, ``process``, ``behavior``...; ``none`` for an empty
  ``Path``) and ``antivirus.resource`` (the rest, as written: the analytics
  name it in words, :mod:`analytics.antivirus_resources`);
* ``Action Name`` -> ``antivirus.action`` (``Quarantine``; 1116 says ``Not
  Applicable``: nothing was done yet) and, for 1117, ``Error Description`` ->
  ``antivirus.result`` (``The operation completed successfully.``);
* ``Source Name`` -> ``antivirus.scan`` (``Real-Time Protection``, ``Scheduled``...);
* ``antivirus.product``: ``Microsoft Defender Antivirus``.

The path and threat name are data: an attacker names the file.
"""

from __future__ import annotations

import re

from ingest.parsers.syslog_antivirus import AV_DETECTION
from ingest.parsers.windows_fields import Data, Fields, Mapper, value_of

__all__ = ["DEFENDER_CHANNEL", "MAPPERS", "NO_RESOURCE", "PRODUCT_DEFENDER", "detected_file", "detected_resource"]

DEFENDER_CHANNEL = "microsoft-windows-windows defender/operational"
"""The channel's family (its name in lower case, :func:`ingest.parsers.windows_events._family`)."""

PRODUCT_DEFENDER = "Microsoft Defender Antivirus"

_FILE_SCHEMES = ("file:_", "containerfile:_")
_RESOURCE_SEPARATOR = re.compile(r";(?=[A-Za-z]+:_)")
_RESOURCE = re.compile(r"^([A-Za-z]+):_(.*)$", re.DOTALL)
NO_RESOURCE = "none"
"""The ``antivirus.resource_kind`` of a detection whose ``Path`` is empty (a memory scan names nothing)."""


def detected_file(resources: object) -> str | None:
    """The file of Defender's ``Path`` (its first ``file:_`` or ``containerfile:_`` resource), or None.

    >>> detected_file("file:_C:\\\\Users\\\\bob\\\\x.exe;process:_pid:4,ProcessStart:1")
    'C:\\\\Users\\\\bob\\\\x.exe'
    >>> detected_file("process:_pid:4,ProcessStart:1") is None
    True
    """
    if not isinstance(resources, str):
        return None
    # a file name may hold ";": only one a resource's scheme follows ("process:_") separates resources
    for resource in _RESOURCE_SEPARATOR.split(resources):
        resource = resource.strip()
        for scheme in _FILE_SCHEMES:
            if resource[:len(scheme)].lower() == scheme:
                # a container's member follows "->": the container is the file on disk
                path = resource[len(scheme):].partition("->")[0].strip()
                if path:
                    return path
    return None


def detected_resource(resources: object) -> tuple[str, str]:
    r"""The first resource of Defender's ``Path`` that is no file: ``(scheme in lower case, the rest)``.

    A ``Path`` naming nothing (empty, absent) is ``(NO_RESOURCE, "")``; a text of no scheme is kept whole
    as an ``other`` resource (a product's word, never dropped).

    >>> detected_resource("regkey:_HKLM\\SOFTWARE\\Run\\\\upd;process:_pid:4,ProcessStart:1")
    ('regkey', 'HKLM\\SOFTWARE\\Run\\\\upd')
    >>> detected_resource(""), detected_resource("behavior:_pid:4120:1234")
    (('none', ''), ('behavior', 'pid:4120:1234'))
    """
    text = resources.strip() if isinstance(resources, str) else ""
    if not text:
        return NO_RESOURCE, ""
    first = _RESOURCE_SEPARATOR.split(text)[0].strip()
    matched = _RESOURCE.match(first)
    if matched is None:
        return "other", first
    return matched.group(1).lower(), matched.group(2).strip()


def _text(data: Data, key: str) -> str | None:
    value = value_of(data, key)
    if isinstance(value, list):  # a shape that gives each value as a list of one
        value = " ".join(str(item) for item in value)
    text = str(value).strip() if value is not None else ""
    return text or None


def _detection(data: Data, fields: Fields, *, acted: bool) -> str:
    fields["antivirus.product"] = PRODUCT_DEFENDER
    threat = _text(data, "Threat Name")
    if threat:
        fields["threat.name"] = threat
    resources = _text(data, "Path")
    path = detected_file(resources)
    if path:
        fields["file.path"] = path
        fields["file.name"] = path.replace("/", "\\").rpartition("\\")[2]
    else:
        fields["antivirus.resource_kind"], fields["antivirus.resource"] = detected_resource(resources)
    for key, name in (("Action Name", "antivirus.action"), ("Source Name", "antivirus.scan")):
        value = _text(data, key)
        if value:
            fields[name] = value
    result = _text(data, "Error Description") if acted else None
    if result:
        fields["antivirus.result"] = result
    return AV_DETECTION


def _defender_1116(data: Data, fields: Fields) -> str:
    return _detection(data, fields, acted=False)


def _defender_1117(data: Data, fields: Fields) -> str:
    return _detection(data, fields, acted=True)


MAPPERS: dict[int, Mapper] = {1116: _defender_1116, 1117: _defender_1117}
"""Event id -> mapper, for :data:`DEFENDER_CHANNEL`."""
