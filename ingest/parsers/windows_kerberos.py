r"""Security events of a domain controller's KDC -> normalised fields: 4768 (a TGT requested), 4769 (a
service ticket requested), 4771 (Kerberos pre-authentication failed).

Mappers of :mod:`ingest.parsers.windows_events`, beside :mod:`ingest.parsers.windows_security`.  The
event's host is the KDC, and these are the KDC's own record of what Zeek's ``kerberos.log`` sees on
the wire, so they give the same graph (:mod:`ingest.parsers.zeek_accounts`):

* the user is ``realm\name`` with the realm whole, by :func:`ingest.parsers.accounts.kerberos_user`,
  the key Zeek gives the same principal: 4768's ``TargetUserName`` in ``TargetDomainName`` (the realm
  the client supplied, as Zeek's ``client`` realm is), 4769's ``TargetUserName`` ``name@REALM``, 4771's
  ``TargetUserName`` in the realm of its ``ServiceName`` (``krbtgt/REALM``).  Machine accounts
  (``WS01$``) are users like others.  The projection names the user ``netbios\\name`` once the realm
  is known to be that NetBIOS domain (:mod:`ingest.projection_realms`), as it does Zeek's.
* a 4768 whose ``Status`` is ``0x0`` is ``winsec:kerberos_logon``, the account's log-on at the KDC
  (``user LOGGED_ON`` the DC, the client address ``LOGGED_ON`` it, as 4624's logon source); a failed
  4768 and every 4771 are ``winsec:kerberos_logon_failed``, as 4625 is (the user sighted, the client
  ``CONNECTED``); a 4768 without a ``Status`` proves no log-on and is read as a failure without an
  ``event.outcome``.  A 4769 is ``winsec:kerberos_service_ticket``, as Zeek's ``TGS`` request: asked
  with a TGT already held, it is no new log-on (the user sighted, the client ``CONNECTED`` the KDC).
* ``user.id`` is 4768's and 4771's ``TargetSid``; the projection does not learn SID -> name from
  these events (their realm-keyed name would fight 4624's NetBIOS one for the SID).
* ``kerberos.request_type`` (``AS``/``TGS``, as Zeek's), ``kerberos.status`` (``Status``, lower-case
  hex: ``0x6`` an unknown principal, ``0x12`` a revoked or locked account, ``0x18`` a wrong password),
  ``kerberos.service`` (``ServiceName``), ``kerberos.ticket_encryption`` (``TicketEncryptionType``,
  lower-case hex: ``0x17`` RC4 on a 4769 is Kerberoasting's tell) and ``kerberos.pre_auth_type``
  (``PreAuthType``) are kept for analysts.

The classic text (Splunk ``WinEventLog``) has no layout of its own for these events: its labels reach
the mappers as their camel-case names (``Account Name`` ``AccountName``, ``Supplied Realm Name``,
``Client Address``, ``Result Code``, ``Failure Code``...), read when the event-data name is absent.
"""

from __future__ import annotations

from ingest.parsers.accounts import kerberos_user
from ingest.parsers.windows_fields import (
    Data,
    Fields,
    Mapper,
    first_set,
    put_ip,
    put_port,
    value_of,
)

__all__ = ["KERBEROS_LOGON", "KERBEROS_LOGON_FAILED", "KERBEROS_MAPPERS", "KERBEROS_SERVICE_TICKET"]

KERBEROS_LOGON = "winsec:kerberos_logon"
KERBEROS_LOGON_FAILED = "winsec:kerberos_logon_failed"
KERBEROS_SERVICE_TICKET = "winsec:kerberos_service_ticket"


def _text(value: object) -> str | None:
    """``value`` as stripped text (a list of one, as some shapes give values, joined); None when blank."""
    if value is None:
        return None
    if isinstance(value, list):
        value = " ".join(str(item) for item in value)
    text = str(value).strip()
    return text if text and text != "-" else None


def _code(value: object) -> str | None:
    """A result or type code as lower-case text (``0x0``, ``0x17``); None when unset."""
    text = _text(value)
    return text.lower() if text is not None else None


def _is_success(status: str) -> bool:
    """Whether a KDC result code is 0 (``0x0``, ``0``)."""
    try:
        return int(status, 16 if status[:2] == "0x" else 10) == 0
    except ValueError:
        return False


def _put_user(fields: Fields, realm: object, name: object, data: Data) -> None:
    """``user.name`` of ``name`` in ``realm`` (:func:`kerberos_user`), and ``user.id`` the account's SID."""
    principal = _text(name)
    if principal is None:
        return
    user = kerberos_user(_text(realm) or "", principal)
    if user is not None:
        fields["user.name"] = user
    sid = _text(value_of(data, "TargetSid"))
    if sid is not None and sid[:4].upper() == "S-1-":
        fields["user.id"] = sid


def _put_common(fields: Fields, data: Data, request_type: str) -> str | None:
    """The client's address and port, the request type, the service, codes; returns the status."""
    put_ip(fields, "source.ip", first_set(data, "IpAddress", "ClientAddress"))
    put_port(fields, "source.port", first_set(data, "IpPort", "ClientPort"))
    fields["kerberos.request_type"] = request_type
    service = _text(value_of(data, "ServiceName"))
    if service is not None:
        fields["kerberos.service"] = service
    for key, names in (("kerberos.ticket_encryption", ("TicketEncryptionType",)),
                       ("kerberos.pre_auth_type", ("PreAuthType", "PreAuthenticationType"))):
        code = _code(first_set(data, *names))
        if code is not None:
            fields[key] = code
    status = _code(first_set(data, "Status", "ResultCode", "FailureCode"))
    if status is not None:
        fields["kerberos.status"] = status
    return status


def _security_4768(data: Data, fields: Fields) -> str:
    _put_user(fields, first_set(data, "TargetDomainName", "SuppliedRealmName"),
              first_set(data, "TargetUserName", "AccountName"), data)
    status = _put_common(fields, data, "AS")
    if status is None:  # no result code: no proven log-on, and no outcome to state
        return KERBEROS_LOGON_FAILED
    if _is_success(status):
        fields["event.outcome"] = "success"
        return KERBEROS_LOGON
    fields["event.outcome"] = "failure"
    return KERBEROS_LOGON_FAILED


def _security_4769(data: Data, fields: Fields) -> str:
    # TargetUserName is "name@REALM"; without its "@" the realm is TargetDomainName
    account = _text(first_set(data, "TargetUserName", "AccountName")) or ""
    name, at, realm = account.rpartition("@")
    if not at:
        name, realm = account, _text(first_set(data, "TargetDomainName", "AccountDomain")) or ""
    _put_user(fields, realm, name, data)
    status = _put_common(fields, data, "TGS")
    if status is not None:
        fields["event.outcome"] = "success" if _is_success(status) else "failure"
    return KERBEROS_SERVICE_TICKET


def _security_4771(data: Data, fields: Fields) -> str:
    # 4771 names no realm of the account: its ServiceName is krbtgt/REALM, the realm asked in
    service = _text(value_of(data, "ServiceName")) or ""
    realm = service.partition("/")[2] if service.lower().startswith("krbtgt/") else ""
    _put_user(fields, realm, first_set(data, "TargetUserName", "AccountName"), data)
    _put_common(fields, data, "AS")
    fields["event.outcome"] = "failure"
    return KERBEROS_LOGON_FAILED


KERBEROS_MAPPERS: dict[int, Mapper] = {4768: _security_4768, 4769: _security_4769, 4771: _security_4771}
"""Security event id -> mapper, for the KDC's events."""
