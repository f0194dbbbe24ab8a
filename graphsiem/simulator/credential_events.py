"""Security events of a credential check: a refused log-on (4625), an NTLM validation (4776) and an
administrator's session given its special privileges (4672).

A member machine logs 4625 when it refuses a log-on (its ``Status``/``SubStatus`` say why); the domain
controller logs 4776 each time it checks an account's password by NTLM, with the workstation name the
client wrote and the result code (``0x0`` when the password was right).  Field names and order are
the providers' (Windows Server 2022 schemas); values are strings, as the event log holds them.
"""

from __future__ import annotations

from graphsiem.simulator.winevents import SECURITY, SECURITY_CHANNEL, SYSTEM_ACCOUNT, WinEvent

FAILURES = {
    # name -> (4625 Status, 4625 SubStatus, 4776 Status)
    "wrong_password": ("0xC000006D", "0xC000006A", "0xC000006A"),
    "expired": ("0xC000006E", "0xC0000071", "0xC0000071"),
    "must_change": ("0xC000006E", "0xC0000224", "0xC0000224"),
    "unknown_user": ("0xC000006D", "0xC0000064", "0xC0000064"),
}
"""Why a log-on failed, as the two events code it: a wrong password (``%%2313``), a password that
expired, one an administrator set to be changed at next log-on, a name that is no account."""
_REASONS = {"0xC000006A": "%%2313", "0xC0000071": "%%2309", "0xC0000224": "%%2309", "0xC0000064": "%%2313"}
"""4625 ``FailureReason``: the message-table ids Windows writes (unknown user name or bad password;
the specified account's password has expired)."""
NTLM_PACKAGE = "MICROSOFT_AUTHENTICATION_PACKAGE_V1_0"


def logon_failed(ts: float, *, failure: str, logon_type: int, target: tuple[str, str], workstation: str,
                 ip: str, port: int, process: tuple[str, str]) -> WinEvent:
    """Security 4625 (Audit Failure): the machine refused ``target`` (``(domain, name)``).

    Parameters
    ----------
    ts : float
        The machine's clock, epoch seconds.
    failure : str
        A key of :data:`FAILURES`.
    logon_type : int
        2 interactive, 3 network, 5 service, 7 unlock...
    target : tuple of str
        The account as the client gave it; a refused log-on has no SID (``S-1-0-0``).
    workstation, ip : str
        The client's name and address (``-`` when the log-on was local).
    port : int
        The client's port (0 when local).
    process : tuple of str
        ``(ProcessId, ProcessName)`` of the caller (``0x0``, ``-`` for a network log-on).

    Examples
    --------
    >>> event = logon_failed(0.0, failure="wrong_password", logon_type=2, target=("CORP", "bob"),
    ...                      workstation="WS-01", ip="127.0.0.1", port=0, process=("0x2a4", "x"))
    >>> event.event_id, event.data["SubStatus"], event.audit_failure
    (4625, '0xC000006A', True)
    """
    status, sub_status, _ = FAILURES[failure]
    network = logon_type == 3
    pid, process_name = process
    return WinEvent(ts, SECURITY_CHANNEL, 4625, SECURITY, "Logon", "Info", 0, "information", {
        "SubjectUserSid": "S-1-0-0" if network else "S-1-5-18",
        "SubjectUserName": "-" if network else "SYSTEM",
        "SubjectDomainName": "-" if network else "NT AUTHORITY",
        "SubjectLogonId": "0x0" if network else "0x3e7",
        "TargetUserSid": "S-1-0-0",
        "TargetUserName": target[1],
        "TargetDomainName": target[0],
        "Status": status,
        "FailureReason": _REASONS[sub_status],
        "SubStatus": sub_status,
        "LogonType": str(logon_type),
        "LogonProcessName": "NtLmSsp " if network else "User32 " if logon_type in (2, 7, 11) else "Advapi  ",
        "AuthenticationPackageName": "NTLM" if network else "Negotiate",
        "WorkstationName": workstation,
        "TransmittedServices": "-",
        "LmPackageName": "-",
        "KeyLength": "0",
        "ProcessId": pid,
        "ProcessName": process_name,
        "IpAddress": ip,
        "IpPort": str(port),
    }, SYSTEM_ACCOUNT, audit_failure=True)


def credential_validation(ts: float, *, account: str, workstation: str, failure: str | None) -> WinEvent:
    """Security 4776 on the domain controller: it checked ``account``'s password by NTLM.

    Parameters
    ----------
    ts : float
        The DC's clock, epoch seconds.
    account : str
        The bare account name (4776 carries no domain).
    workstation : str
        The name the client wrote (a claim: a spray tool writes what it likes).
    failure : str or None
        A key of :data:`FAILURES`, or None for a right password (``Status`` ``0x0``, Audit Success).

    Examples
    --------
    >>> event = credential_validation(0.0, account="bob", workstation="WS-01", failure="expired")
    >>> event.event_id, event.data["Status"], event.audit_failure
    (4776, '0xC0000071', True)
    """
    status = FAILURES[failure][2] if failure is not None else "0x0"
    return WinEvent(ts, SECURITY_CHANNEL, 4776, SECURITY, "Credential Validation", "Info", 0, "information", {
        "PackageName": NTLM_PACKAGE,
        "TargetUserName": account,
        "Workstation": workstation,
        "Status": status,
    }, SYSTEM_ACCOUNT, audit_failure=failure is not None)


def service_ticket(ts: float, *, account: str, realm: str, service: str, service_sid: str,
                   logon_guid: str) -> WinEvent:
    """Security 4769 on the domain controller: its KDC issued ``account@realm`` a ticket for ``service``.

    Only a KDC logs it, so it tells the ingest the host is a domain controller (and 4776's bare names
    there are the domain's accounts).

    Examples
    --------
    >>> service_ticket(0.0, account="DC-01$", realm="CORP.EXAMPLE", service="DC-01$", service_sid="S-1-5-21-1",
    ...                logon_guid="{0}").data["TargetUserName"]
    'DC-01$@CORP.EXAMPLE'
    """
    return WinEvent(ts, SECURITY_CHANNEL, 4769, SECURITY, "Kerberos Service Ticket Operations", "Info", 0,
                    "information", {
                        "TargetUserName": f"{account}@{realm}",
                        "TargetDomainName": realm,
                        "ServiceName": service,
                        "ServiceSid": service_sid,
                        "TicketOptions": "0x40810000",
                        "TicketEncryptionType": "0x12",
                        "IpAddress": "::1",
                        "IpPort": "0",
                        "Status": "0x0",
                        "LogonGuid": logon_guid,
                        "TransmittedServices": "-",
                    }, SYSTEM_ACCOUNT)


ADMIN_PRIVILEGES = ("SeSecurityPrivilege", "SeTakeOwnershipPrivilege", "SeLoadDriverPrivilege", "SeBackupPrivilege",
                    "SeRestorePrivilege", "SeDebugPrivilege", "SeSystemEnvironmentPrivilege",
                    "SeImpersonatePrivilege", "SeDelegateSessionUserImpersonatePrivilege")
"""What Windows Server 2022 lists in the 4672 of a local administrator's log-on, in its order."""


def special_privileges(ts: float, *, account: tuple[str, str, str], logon_id: str) -> WinEvent:
    """Security 4672: the session ``logon_id`` (the 4624's ``TargetLogonId``) of an administrator was given
    :data:`ADMIN_PRIVILEGES`, in the same instant as its 4624.

    Parameters
    ----------
    ts : float
        The machine's clock, epoch seconds (the 4624's).
    account : tuple of str
        ``(domain, name, sid)`` of the account that logged on (the event's subject).
    logon_id : str
        The session, as its 4624 wrote it.

    Examples
    --------
    >>> event = special_privileges(0.0, account=("CORP", "bob", "S-1-5-21-1"), logon_id="0x3a1f")
    >>> event.event_id, event.data["SubjectLogonId"], event.data["PrivilegeList"].split()[:2]
    (4672, '0x3a1f', ['SeSecurityPrivilege', 'SeTakeOwnershipPrivilege'])
    """
    domain, name, sid = account
    return WinEvent(ts, SECURITY_CHANNEL, 4672, SECURITY, "Special Logon", "Info", 0, "information", {
        "SubjectUserSid": sid,
        "SubjectUserName": name,
        "SubjectDomainName": domain,
        "SubjectLogonId": logon_id,
        # the event log's own layout: one privilege a line, indented by tabs
        "PrivilegeList": "\r\n\t\t\t".join(ADMIN_PRIVILEGES),
    }, SYSTEM_ACCOUNT)
