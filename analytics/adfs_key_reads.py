"""The ``adfs_key_read`` host-finding rule: the AD FS key read from Active Directory (Golden SAML).

AD FS encrypts its token-signing certificate with a key kept in Active Directory, under the DKM
container (``CN=ADFS,CN=Microsoft,CN=Program Data``): the ``thumbnailPhoto`` attribute of a
``contact`` object there.  An intruder who reads that attribute and the AD FS configuration database
can sign SAML tokens for any user of any federated application (AADInternals ``Export-AADIntADFSSigningCertificate``,
OTRF's Golden SAML dataset).  With auditing on the container (what Microsoft's AD FS hardening guide and
OTRF's lab set), the domain controller logs each read as Security 4662: object type ``contact``,
access ``Read Property`` (0x10), the property set listing ``thumbnailPhoto``
(``8d3bca50-1d7e-11d0-a081-00aa006c33ed``), and the account.

The AD FS service itself reads the key at start; it runs as a group managed service account (its name
ends in ``$``, the default since Windows Server 2012 R2), and machine accounts end so too: those
readers are not findings.  A read by any other account is: the subject is the account and the object,
so a farm run under a named service account is judged benign once, with a verdict on that pair.
AD FS's own export events (1007, 18) were not in the corpus; they are not read.

The 4662 names the reader's log-on session (``SubjectLogonId``, kept as ``winlog.logon.id``); the domain
controller's 4624 that opened that session (``TargetLogonId``) says the address it came from.  The hit's
text names it (:func:`analytics.host_finding_reads.session_sources` joins them): where the key was read from
is the analyst's first question.  Text only: the rule, its subject and its risk do not depend on it.
"""

from __future__ import annotations

from collections.abc import Mapping

from analytics.host_finding_rules import ADFS_KEY_READ
from analytics.host_findings import Hit

__all__ = ["CONTACT_CLASS", "OBJECT_KIND", "THUMBNAIL_PHOTO", "key_read_hit"]

OBJECT_KIND = "winsec:object_operation"
THUMBNAIL_PHOTO = "8d3bca50-1d7e-11d0-a081-00aa006c33ed"
"""The schema GUID of ``thumbnailPhoto``, where AD FS keeps its DKM key."""
CONTACT_CLASS = "5cb41ed0-0e4c-11d0-a286-00aa003049e2"
"""The schema GUID of the ``contact`` class, the DKM key's object."""
_READ_PROPERTY = 0x10


def key_read_hit(host: str, event_id: str, ts: float, fields: Mapping[str, object],
                 sessions: Mapping[str, str] | None = None) -> Hit | None:
    """The hit of one 4662 when it reads a contact's ``thumbnailPhoto`` by an account not ending in ``$``.

    ``sessions`` maps a log-on id of this host to the source address of the 4624 that opened it: the
    read's session, when found, is named with it.

    >>> f = {"user.name": "corp\\\\eve", "winlog.object.type_name": "contact", "winlog.object.access_mask": "0x10",
    ...      "winlog.object.name": "%{9736f74f}", "winlog.object.properties": [THUMBNAIL_PHOTO]}
    >>> key_read_hit("dc01", "e1", 0.0, f).detail
    'corp\\\\eve read thumbnailPhoto of contact %{9736f74f} (the AD FS DKM key), Security 4662 on dc01'
    >>> key_read_hit("dc01", "e1", 0.0, {**f, "user.name": "corp\\\\gmsa_adfs$"}) is None
    True
    """
    properties = {str(p).strip().strip("{}%").lower() for p in _list(fields.get("winlog.object.properties"))}
    if THUMBNAIL_PHOTO not in properties:
        return None
    kind = str(fields.get("winlog.object.type_name") or "").lower()
    object_type = str(fields.get("winlog.object.type") or "").lower()
    if kind != "contact" and CONTACT_CLASS not in object_type and CONTACT_CLASS not in properties:
        return None
    mask = _mask(fields.get("winlog.object.access_mask"))
    if mask is not None and not mask & _READ_PROPERTY:
        return None
    account = str(fields.get("user.name") or "").strip()
    if not account or account.endswith("$"):
        return None
    target = str(fields.get("winlog.object.name") or "?")
    detail = f"{account} read thumbnailPhoto of contact {target} (the AD FS DKM key), Security 4662 on {host}"
    logon_id = str(fields.get("winlog.logon.id") or "")
    source = (sessions or {}).get(logon_id)
    if source:
        detail += f"; its log-on session {logon_id} came from {source} (4624)"
    return Hit(host, ADFS_KEY_READ, ts, event_id, "", "", f"{account.lower()}|{target.lower()}", detail)


def _list(value: object) -> list[object]:
    if isinstance(value, list | tuple):
        return list(value)
    return [] if value is None else [p for p in str(value).replace(",", " ").split() if p]


def _mask(value: object) -> int | None:
    try:
        return int(str(value), 0) if value is not None else None
    except ValueError:
        return None
