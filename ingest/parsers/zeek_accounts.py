"""Accounts in Zeek's authentication logs: ``kerberos.log`` clients and ``ntlm.log`` users.

Part of :mod:`ingest.parsers.zeek_mappings` (its :data:`_MAPPERS` names these two mappers).  Both
give ``user.name`` as the key of the account's user node, and that key is only as good as who
vouches for its domain part:

* **Kerberos**: the client principal ``NAME/REALM`` is the account the KDC authenticated in that
  realm.  The realm is kept whole (``bob/CORP.EXAMPLE.COM`` -> ``corp.example.com\\bob``): cut to
  its first label, two forests' realms ``CORP.EXAMPLE.COM`` and ``CORP.PARTNER.NET`` would be one
  ``corp``, and a realm's first label is not its NetBIOS name anyway (``AD.CONTOSO.COM`` is
  ``CONTOSO``), and a false merge is worse than a split.  It is the user the domain controller's own
  4768/4769/4771 name (:func:`ingest.parsers.accounts.kerberos_user` composes both keys).  The
  projection, not the parser, names it ``contoso\\bob`` (the user of a Windows 4624) once the realm is
  known to be that NetBIOS domain (:mod:`ingest.projection_realms`: the operator's map, or a Windows
  host of the domain naming its own machine account earlier in the journal); the parser cannot know
  it from one record.
  ``kerberos.request_type`` says whether the client asked for a ticket-granting ticket (``AS``: it
  authenticated at the KDC, the projection's log-on) or a service ticket (``TGS``); an old log
  without the type is read from the service (``krbtgt/...`` is an ``AS`` request).
* **NTLM**: ``domainname`` (or the domain in a ``DOMAIN\\user`` / ``user@domain`` user name) is typed
  by the client.  A server accepts a local account under any domain it does not know (the Brim
  sample has ``JERRY\\Administrator`` accepted by ``PC-HELEN``), so the claim is trusted only when it
  is the server's own domain, as the server wrote it in its CHALLENGE (Zeek logs no NetBIOS domain
  name: the first label of ``server_dns_computer_name``'s domain, else of ``server_tree_name``, as
  Windows events' domains are cut).  Any other claim is the server's local account,
  ``<server_nb_computer_name>\\user``, as a 4624 on that server names it; with no server name in the
  record the user is its bare name and the claim stays only in ``zeek.domainname``.
"""

from __future__ import annotations

from typing import Any

from ingest.ipmap_names import is_placeholder_host_name
from ingest.normalize import normalize_host, normalize_user
from ingest.parsers.accounts import account_key as _account_key
from ingest.parsers.accounts import kerberos_user
from ingest.parsers.sensor_fields import set_field


def _text(value: Any) -> str | None:
    """``value`` stripped, or ``None`` for a non-string, an empty one or Zeek's unset ``-``."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    return text if text and text != "-" else None


def map_kerberos(record: dict[str, Any], fields: dict[str, Any]) -> None:
    """``user.name`` (the whole realm), ``kerberos.request_type`` and ``event.outcome`` of a kerberos.log record."""
    # Zeek writes the client principal as "NAME/REALM" (a name of several parts keeps its own
    # slashes: the realm is the last part)
    client = record.get("client")
    if not isinstance(client, str):
        return
    principal, _, realm = client.rpartition("/") if "/" in client else (client, "", "")
    principal = principal.split("@", 1)[0]
    # the key the domain controller's 4768/4769/4771 give the same account (ingest.parsers.windows_kerberos)
    set_field(fields, "user.name", kerberos_user(realm, principal))
    request_type = _text(record.get("request_type"))
    service = _text(record.get("service"))
    if request_type is None and service is not None:
        request_type = "AS" if service.lower().startswith("krbtgt/") else None
    if request_type is not None:
        fields["kerberos.request_type"] = request_type.upper()
    success = record.get("success")
    if isinstance(success, bool):
        fields["event.outcome"] = "success" if success else "failure"
    # A successful request by a machine account ("MKT01$/PANDALAB.COM") proves the
    # originator holds that computer's secret: the IP -> host evidence of a
    # network without DHCP logs.  Failed requests prove nothing.
    if success is not True:
        return
    if len(principal) > 1 and principal.endswith("$"):
        set_field(fields, "source.hostname", normalize_host(principal))


def map_ntlm(record: dict[str, Any], fields: dict[str, Any]) -> None:
    """``user.name`` (the domain only when the server's own), ``source.workstation`` and ``event.outcome``
    of an ntlm.log record."""
    set_field(fields, "user.name", _ntlm_account(record))
    # hostname is the workstation name the client wrote, unauthenticated: source.workstation, as
    # 4624's WorkstationName (a claim, never IP -> host evidence)
    workstation = _text(record.get("hostname"))
    if workstation is not None:
        set_field(fields, "source.workstation", normalize_host(workstation) or workstation)
    # event.outcome from success (Zeek >= 3), else status ("SUCCESS", "STATUS_LOGON_FAILURE")
    success = record.get("success")
    status = _text(record.get("status"))
    if isinstance(success, bool):
        fields["event.outcome"] = "success" if success else "failure"
    elif status is not None:
        fields["event.outcome"] = "success" if status.upper() == "SUCCESS" else "failure"


def _ntlm_account(record: dict[str, Any]) -> str | None:
    r"""The NTLM user's key: ``domain\user`` when the claimed domain is the server's, else the server's
    local account, else the bare user (module docstring)."""
    username = _text(record.get("username"))
    if username is None:
        return None
    # a DOMAIN\ or @domain in the user name is the same claim (and wins over domainname, as Windows
    # reads it): normalize_user reads it, and the claim is what it put before the first "\\"
    parsed = normalize_user(_text(record.get("domainname")), username)
    claim, _, username = parsed.partition("\\") if "\\" in parsed else ("", "", parsed)
    server_domain = _server_domain_label(record)
    if claim and server_domain is not None and _first_label(claim) == server_domain:
        return _account_key(server_domain, username)
    server = normalize_host(_text(record.get("server_nb_computer_name"))
                            or _text(record.get("server_dns_computer_name")))
    if server is not None and not is_placeholder_host_name(server):
        return _account_key(server, username)
    return _account_key("", username)  # no server name: the claim stays out of the key (in zeek.domainname)


def _server_domain_label(record: dict[str, Any]) -> str | None:
    """The first label of the server's domain as its CHALLENGE names it: ``server_dns_computer_name``'s
    domain (``Kramer.jerry.land`` -> ``jerry``), else ``server_tree_name``'s; ``None`` for a standalone server."""
    dns_name = _text(record.get("server_dns_computer_name"))
    if dns_name is not None and "." in dns_name.strip("."):
        return _first_label(dns_name.strip(".").split(".", 1)[1])
    tree = _text(record.get("server_tree_name"))
    return _first_label(tree) if tree is not None else None


def _first_label(domain: str) -> str:
    """A domain's first label, lower case (``JERRY.LAND`` -> ``jerry``), as Windows events' domains are cut."""
    return domain.strip().strip(".").split(".", 1)[0].lower()
