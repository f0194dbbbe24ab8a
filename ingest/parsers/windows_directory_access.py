"""Security 4662 ("An operation was performed on an object") -> normalised fields.

A domain controller writes 4662 when an audited Active Directory object is read or
changed (``ObjectServer`` ``DS``).  It is how the theft behind Golden SAML shows: the
AD FS token-signing certificate is encrypted with a key kept in the
``thumbnailPhoto`` attribute of a ``contact`` object in the AD FS container (the DKM
key), and reading it is a 4662 with that property (OTRF's GoldenSAMLADFSMailAccess,
MITRE ATT&CK T1552.004, T1606.002); a DCSync's replication rights are 4662s too.
The event names the object and what was read by GUIDs and message-table codes only,
so the mapper keeps them as written and adds the names of the few well-known ones:

* ``winlog.object.server`` (``DS``), ``winlog.object.type`` and ``winlog.object.name`` as
  written (``%{5cb41ed0-…}``), ``winlog.object.operation_type`` (``Object Access``),
  ``winlog.object.access_mask`` (lower-case hex text, as 4663's);
* ``winlog.object.type_name``: the class the type GUID is, when listed in :data:`DIRECTORY_GUIDS`;
* ``winlog.object.access``: the access words of ``AccessList`` (else ``Properties``) codes
  (``%%7684`` -> ``Read Property``, :data:`DS_ACCESS_CODES`);
* ``winlog.object.properties``: the GUIDs ``Properties`` lists (lower case, no braces, in order,
  once each) and ``winlog.object.property_names``: the listed ones' names;
* ``user.name`` / ``user.id``: the subject (``SubjectDomainName\\SubjectUserName``, its SID), and
  ``winlog.logon.id`` its session (``SubjectLogonId``: the DC's 4624 ``TargetLogonId`` that opened it).

The object is no entity: the model has no type for a directory object (a GUID is all the
event gives of it), so the account and the object stay the event's fields, shown in its
summary (:mod:`graphsiem.event_summary`) and found by a search for the event's id
(:mod:`graphsiem.api.services.event_kind_search`).
"""

from __future__ import annotations

import re

from ingest.parsers.windows_fields import Data, Fields, Mapper, value_of
from ingest.parsers.windows_security import _SUBJECT, _put_account, put_logon_id

__all__ = ["DIRECTORY_ACCESS_MAPPERS", "DIRECTORY_OPERATION", "DIRECTORY_GUIDS", "DS_ACCESS_CODES"]

DIRECTORY_OPERATION = "winsec:object_operation"
"""The kind of a 4662."""

DS_ACCESS_CODES: dict[str, str] = {
    "%%7680": "Create Child", "%%7681": "Delete Child", "%%7682": "List Contents", "%%7683": "Write Self",
    "%%7684": "Read Property", "%%7685": "Write Property", "%%7686": "Delete Tree", "%%7687": "List Object",
    "%%7688": "Control Access",
}
"""Directory service access codes (the message table's ``%%7680`` … ``%%7688``) -> their words."""

DIRECTORY_GUIDS: dict[str, str] = {
    "5cb41ed0-0e4c-11d0-a286-00aa003049e2": "contact",
    "bf967aba-0de6-11d0-a285-00aa003049e2": "user",
    "bf967a86-0de6-11d0-a285-00aa003049e2": "computer",
    "bf967a9c-0de6-11d0-a285-00aa003049e2": "group",
    "19195a5b-6da0-11d0-afd3-00c04fd930c9": "domainDNS",
    "8d3bca50-1d7e-11d0-a081-00aa006c33ed": "thumbnailPhoto",
    "77b5b886-944a-11d1-aebd-0000f80367c1": "Personal-Information",
    "e48d0154-bcf8-11d1-8702-00c04fb96050": "Public-Information",
    "1131f6aa-9c07-11d1-f79f-00c04fc2dcd2": "DS-Replication-Get-Changes",
    "1131f6ad-9c07-11d1-f79f-00c04fc2dcd2": "DS-Replication-Get-Changes-All",
    "89e95b76-444d-4c62-991a-0facbeda640c": "DS-Replication-Get-Changes-In-Filtered-Set",
}
"""Schema and extended-right GUIDs an analyst reads in 4662s of known attacks, -> their names: the
classes of the objects read, the DKM key's attribute and its property set (Golden SAML), the
replication rights (DCSync).  Only these: any other GUID is kept as written, never guessed."""

_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_CODE = re.compile(r"%%\d{4}")

PROPERTIES_MAX = 64
"""GUIDs of ``Properties`` kept (a read of a whole object lists every attribute, hundreds)."""


def _text(data: Data, key: str) -> str:
    value = value_of(data, key)
    return "" if value is None else str(value).strip()


def _guid_name(text: str) -> str | None:
    found = _GUID.search(text)
    return DIRECTORY_GUIDS.get(found.group(0).lower()) if found else None


def _security_4662(data: Data, fields: Fields) -> str:
    """4662: the object (server, type, name), the operation, the access and properties, the subject."""
    _put_account(fields, data, _SUBJECT)
    put_logon_id(fields, data, "SubjectLogonId")
    for key, field in (("ObjectServer", "server"), ("ObjectType", "type"), ("ObjectName", "name"),
                       ("OperationType", "operation_type")):
        text = _text(data, key)
        if text:
            fields[f"winlog.object.{field}"] = text
    type_name = _guid_name(_text(data, "ObjectType"))
    if type_name:
        fields["winlog.object.type_name"] = type_name
    mask = _text(data, "AccessMask")
    if mask:
        fields["winlog.object.access_mask"] = mask.lower()
    properties = _text(data, "Properties")
    codes = _CODE.findall(_text(data, "AccessList")) or _CODE.findall(properties)
    access = [DS_ACCESS_CODES.get(code, code) for code in dict.fromkeys(codes)]
    if access:
        fields["winlog.object.access"] = access
    guids = list(dict.fromkeys(guid.lower() for guid in _GUID.findall(properties)))[:PROPERTIES_MAX]
    if guids:
        fields["winlog.object.properties"] = guids
        names = [DIRECTORY_GUIDS[guid] for guid in guids if guid in DIRECTORY_GUIDS]
        if names:
            fields["winlog.object.property_names"] = names
    return DIRECTORY_OPERATION


DIRECTORY_ACCESS_MAPPERS: dict[int, Mapper] = {4662: _security_4662}
"""Security event id -> mapper, for the events of this module."""
