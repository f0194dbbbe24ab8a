"""Security channel events -> normalised fields: logons (4624, 4625), special privileges (4672), process
creation (4688), an NTLM credential validation (4776), a service installed (4697), a scheduled task created or updated (4698, 4702); and the
System channel's service install (7045).

The mappers of :mod:`ingest.parsers.windows_events` for the Security and System events
they cover; any other event of those channels is ``windows:other``.  Services and tasks
are read by :mod:`ingest.parsers.windows_persistence` (shared with the MDE mapping).
"""

from __future__ import annotations

from ingest.normalize import normalize_host
from ingest.parsers.windows_fields import (
    Data,
    Fields,
    Mapper,
    first_set,
    process_setter,
    put_decoded,
    put_ip,
    put_port,
    user_name,
    value_of,
)
from ingest.parsers.windows_persistence import put_service, put_task
from ingest.parsers.windows_sysmon import int_or_text

__all__ = ["CREDENTIAL_VALIDATION", "MAPPERS", "SYSTEM_MAPPERS", "put_logon_id"]

CREDENTIAL_VALIDATION = "winsec:credential_validation"
"""The kind of a 4776: an account's credentials checked by NTLM on this machine (a DC: for the domain)."""

_put_logon_process = process_setter("process.", "ProcessName", "ProcessId")


_TARGET = ("TargetDomainName", "TargetUserName", "TargetUserSid")
_SUBJECT = ("SubjectDomainName", "SubjectUserName", "SubjectUserSid")


CLAIM_CHARS = 255
"""Characters kept of a workstation name a 4776 client claimed (whatever the client sent)."""


def claimed_name(value: object) -> str | None:
    """A workstation name a client claimed, as sent: stripped, lower case, at most :data:`CLAIM_CHARS`.

    A claim is no host name: ``WS01.partner.example`` is not cut to the host label ``ws01`` (the domain
    the client named is part of what it claimed).  None when it is empty.

    >>> claimed_name(" WS01.Partner.Example "), claimed_name(["YYGRHABRVPZNN8LB"]), claimed_name("  ")
    ('ws01.partner.example', 'yygrhabrvpznn8lb', None)
    """
    if isinstance(value, list):  # a shape that gives each value as a list of one
        value = " ".join(str(item) for item in value)
    text = str(value if value is not None else "").strip().lower()[:CLAIM_CHARS]
    return text or None


def _put_account(fields: Fields, data: Data, keys: tuple[str, str, str]) -> bool:
    """``user.name`` of the account of ``keys`` (:data:`_TARGET`, :data:`_SUBJECT`), and ``user.id`` its
    SID when the event gives one (the projection learns SID -> name from it, for task principals given
    as SIDs); False when the event names no such account."""
    domain_key, name_key, sid_key = keys
    user = user_name(value_of(data, domain_key), value_of(data, name_key))
    if user is None:
        return False
    fields["user.name"] = user
    sid = value_of(data, sid_key)
    if isinstance(sid, str) and sid[:4].upper() == "S-1-":
        fields["user.id"] = sid.strip()
    return True


def _logon(data: Data, fields: Fields) -> None:
    _put_account(fields, data, _TARGET)
    logon_type = value_of(data, "LogonType")
    if logon_type is not None:
        fields["winlog.logon.type"] = int_or_text(logon_type)
    put_ip(fields, "source.ip", value_of(data, "IpAddress"))
    put_port(fields, "source.port", value_of(data, "IpPort"))
    workstation = value_of(data, "WorkstationName")
    if workstation is not None:
        fields["source.workstation"] = normalize_host(str(workstation)) or str(workstation)
    _put_logon_process(fields, data)


def put_logon_id(fields: Fields, data: Data, key: str) -> None:
    """``winlog.logon.id``: the session of the event's ``user.name`` (4624 ``TargetLogonId``, 4662
    ``SubjectLogonId``), lower-case hex text as Sysmon's and MDE's ``LogonId``: the XML's ``0x8f0f2cd7`` and
    the message's ``0x8F0F2CD7`` are one session, which ties a DC's 4662 to the 4624 that opened it."""
    said = _said(value_of(data, key))
    if said is not None:
        fields["winlog.logon.id"] = said.lower()


def _security_4624(data: Data, fields: Fields) -> str:
    _logon(data, fields)
    put_logon_id(fields, data, "TargetLogonId")
    fields["event.outcome"] = "success"
    return "winsec:logon"


def _security_4625(data: Data, fields: Fields) -> str:
    _logon(data, fields)
    fields["event.outcome"] = "failure"
    # why it failed: 0xc000006a is a wrong password for a real account, 0xc0000064 an
    # account that does not exist (a spray's tell), 0xc0000234 a locked-out account
    for name, key in (("Status", "status"), ("SubStatus", "sub_status"), ("FailureReason", "reason")):
        value = value_of(data, name)
        if isinstance(value, list):  # a shape that gives each value as a list of one
            value = " ".join(str(item) for item in value)
        if value is not None and str(value).strip():
            text = str(value).strip()
            fields["winlog.logon.failure." + key] = text.lower() if text[:2] in ("0x", "0X") else text
    # which protocol refused it: an NTLM failure (package NTLM, logon process NtLmSsp) is the same try
    # as the DC's 4776, a Kerberos or Negotiate one is not (analytics.credential_companions)
    for name, key in (("AuthenticationPackageName", "authentication_package"), ("LogonProcessName", "logon_process")):
        said = _said(value_of(data, name))
        if said is not None:
            fields["winlog.logon." + key] = said
    return "winsec:logon_failed"


def _said(value: object) -> str | None:
    """A label as written, stripped (the ``.evtx`` record pads ``NtLmSsp ``); None for none or ``-``.

    >>> _said("NtLmSsp "), _said(["NTLM"]), _said("-"), _said(None)
    ('NtLmSsp', 'NTLM', None, None)
    """
    if isinstance(value, list):  # a shape that gives each value as a list of one
        value = " ".join(str(item) for item in value)
    text = str(value if value is not None else "").strip()
    return text if text and text != "-" else None


def _security_4672(data: Data, fields: Fields) -> str:
    _put_account(fields, data, _SUBJECT)
    put_logon_id(fields, data, "SubjectLogonId")  # the 4624 session given the privileges (its TargetLogonId)
    privileges = value_of(data, "PrivilegeList")
    if privileges is not None:
        # one privilege per line in the event, separated by tabs and newlines (or a list)
        names = [str(name) for name in privileges] if isinstance(privileges, list) else str(privileges).split()
        names = [name for text in names for name in text.split()]
        if names:
            fields["winlog.privileges"] = names
    return "winsec:special_privileges"


_put_new_process = process_setter("process.", "NewProcessName", "NewProcessId", (), "CommandLine")
_put_new_parent = process_setter("process.parent.", "ParentProcessName", "ProcessId")


def _security_4688(data: Data, fields: Fields) -> str:
    _put_new_process(fields, data)
    _put_new_parent(fields, data)
    put_decoded(fields, fields.get("process.command_line"))
    # The target subject is the new process's account when it differs from the creator.
    if not _put_account(fields, data, _TARGET):
        _put_account(fields, data, _SUBJECT)
    return "winsec:process_create"


def _security_4776(data: Data, fields: Fields) -> str:
    """4776: the account checked, the workstation the client named, the outcome by ``Error Code``.

    Every shape gives the XML's names (``TargetUserName``, ``Workstation``, ``Status``); the classic text
    of a Splunk ``WinEventLog`` record, read without a template, gives its labels' (``Logon Account``,
    ``Source Workstation``, ``Error Code``).  The account has no domain in the event (``Logon Account:
    guest``); the workstation is the client's own claim, as 4624's ``WorkstationName`` is, and relates
    no more than that does: it is kept as sent (:func:`claimed_name`), a claimed FQDN whole, not cut to
    a host name's label.  An unreadable code states no outcome.
    """
    user = user_name(None, first_set(data, "TargetUserName", "LogonAccount"))
    if user is not None:
        fields["user.name"] = user
    workstation = first_set(data, "Workstation", "SourceWorkstation")
    claim = claimed_name(workstation)
    if claim:
        fields["source.workstation"] = claim
    code = first_set(data, "Status", "ErrorCode")
    if isinstance(code, list):  # a shape that gives each value as a list of one
        code = " ".join(str(item) for item in code)
    status = str(code if code is not None else "").strip().lower()
    if status:
        try:
            success = int(status, 16 if status.startswith("0x") else 10) == 0
        except ValueError:
            return CREDENTIAL_VALIDATION
        fields["event.outcome"] = "success" if success else "failure"
        if not success:
            fields["winlog.logon.failure.status"] = status
    return CREDENTIAL_VALIDATION


def _put_subject(data: Data, fields: Fields) -> None:
    """The account that installed the service or registered the task (``subject.user.name``)."""
    subject = user_name(value_of(data, "SubjectDomainName"), value_of(data, "SubjectUserName"))
    if subject is not None:
        fields["subject.user.name"] = subject


def _security_4697(data: Data, fields: Fields) -> str:
    _put_subject(data, fields)
    return put_service(
        fields, name=value_of(data, "ServiceName"), image_path=value_of(data, "ServiceFileName"),
        service_type=value_of(data, "ServiceType"), start_type=value_of(data, "ServiceStartType"),
        account=value_of(data, "ServiceAccount"),
    )


def _security_4698(data: Data, fields: Fields) -> str:
    _put_subject(data, fields)
    return put_task(fields, name=value_of(data, "TaskName"), content=value_of(data, "TaskContent"))


def _security_4702(data: Data, fields: Fields) -> str:
    _put_subject(data, fields)
    # 4702 writes the definition after the update as TaskContentNew
    content = first_set(data, "TaskContentNew", "TaskContent")
    return put_task(fields, name=value_of(data, "TaskName"), content=content, updated=True)


def _system_7045(data: Data, fields: Fields) -> str:
    # AccountName is the service's account here; NXLog's envelope has a key of that name too
    # (the account that wrote the event), and a flat record keeps one of the two: read as written.
    # The classic text's labels (Splunk WinEventLog) read as 4697's names: "Service File Name" is
    # ServiceFileName, "Service Start Type" ServiceStartType, "Service Account" ServiceAccount.
    return put_service(
        fields, name=value_of(data, "ServiceName"), image_path=first_set(data, "ImagePath", "ServiceFileName"),
        service_type=value_of(data, "ServiceType"), start_type=first_set(data, "StartType", "ServiceStartType"),
        account=first_set(data, "AccountName", "ServiceAccount"),
    )


MAPPERS: dict[int, Mapper] = {
    4624: _security_4624,
    4625: _security_4625,
    4672: _security_4672,
    4688: _security_4688,
    4697: _security_4697,
    4698: _security_4698,
    4702: _security_4702,
    4776: _security_4776,
}
"""Security event id -> mapper."""

SYSTEM_MAPPERS: dict[int, Mapper] = {7045: _system_7045}
"""System event id -> mapper (the Service Control Manager's install)."""
