"""Log-ons outside Windows' 4624/4625: sshd and PAM lines of a host's syslog, and a domain controller's
Kerberos events (4768/4769/4771, :mod:`ingest.parsers.windows_kerberos`).

An sshd ``Accepted`` line is a log-on as Windows 4624 is, and an sshd ``Failed`` or ``Invalid
user`` line or PAM's ``authentication failure`` one a failure as 4625 is
(``ingest.parsers.syslog_sshd``): the rules of :mod:`ingest.projection_endpoint` relate them
(``user LOGGED_ON host``, ``ip LOGGED_ON host``; the user touched and ``ip CONNECTED host`` for a
failure).  What differs is the client's name: sshd (``UseDNS``) and PAM (``rhost=``) may write the
client's name instead of its address.

* A single label (``KALI``) is ``source.workstation``, the client's host name as a 4624
  ``WorkstationName`` is, and relates as that does (:meth:`EndpointRules._logon_source`: the host of
  that name, never a placeholder such as ``localhost`` or the host itself).
* A dotted name (``source.domain``) is the reverse DNS name of the client's address, written by
  whoever owns that address: ``dc01.attacker.example`` is not the fleet's ``dc01``, and
  ``mail.foo.example`` and ``mail.bar.example`` are two names.  It stays a field of the event, whole,
  and makes no entity, as a Sysmon 3 ``SourceHostname`` (``source.ptr``) and a CEF ``shost`` without
  its address do: the model has no relation from a domain to a host (a domain's relations are DNS
  facts, ``RESOLVES_TO``/``CLAIMED_AT`` an address, and the address is what sshd did not write).

The KDC's events relate as Zeek's ``kerberos.log`` does (:mod:`ingest.projection_network`), the host
being the KDC: a TGT issued (4768, ``0x0``) is ``user LOGGED_ON`` the DC, and its client address
``LOGGED_ON`` it as 4624's source does; a refused one (4768, 4771) is a failure as 4625 is; a service
ticket (4769) sights the user and the client ``CONNECTED`` the KDC (no new log-on: it was asked with a
TGT already held).  None of them teaches the SID's name (:meth:`EndpointRules._learn_sid`): their
``realm\\name`` would fight the ``DOMAIN\\name`` 4624 gives the same SID, and the name the map holds
would flip with the order the two kinds of events come in.

The KDC's user, as Zeek's, is ``realm\\name``, or ``netbios\\name`` once the realm is known to be that
NetBIOS domain (:mod:`ingest.projection_realms`: the operator's map, else a Windows host's own machine
account seen earlier in the journal), so a ticket on the wire joins the account's 4624 and 4688.  The
machine-account evidence is learnt by the rules that learn a SID's name (4624, 4672, 4688, an ECS
successful logon or process start).

An NTLM credential validation (4776, ``winsec:credential_validation``: the syslog text's, a Windows
record's) is ``user VALIDATED_AT host``, the host that checked the credentials (a DC for a domain
account), for a success as for a failure: neither is a log-on (the log-on, if any, is the target's
4624), so no ``LOGGED_ON``.  The edge tallies its validations by outcome (``success``, ``failure
0xc000006a``...) and the workstation names the clients claimed (:data:`graphsiem.model.TALLY_NAMES`).
4776 has no address: a claimed name has nothing to be ``CLAIMED_AT``, and what the client wrote
(``yygrhabrvpznn8lb``: a spray tool's random name per attempt) is a claim, never a host of the graph.
It stays a label of the edge, at most :data:`graphsiem.model.TALLY_CAP` of them, the rest counted.

4776 names the account without its domain (``Logon Account: guest``).  It is logged by the machine
that holds the account: a domain controller for a domain account, the machine itself for a local one
(a member server or workstation validates only its own SAM's accounts; a domain account's 4776 is
the DC's).  So the account is ``netbios\\name``, the user 4624 names on that DC (``jerry\\guest``),
when the validating host is known to be a domain controller of a known NetBIOS domain, as the
events before it in the journal left the join state ``_dc_domains`` (host -> its domain, whether it
is a KDC):

* a KDC: the host logged a KDC's own event (4768/4769/4771); only a domain controller does;
* its NetBIOS domain: the host named its own machine account in it (``JERRY\\KRAMER$`` under
  ``S-1-5-18`` on host ``kramer``: :func:`own_machine_domain`), its LSA's word, never a client's
  (a network logon's ``TargetDomainName``) and never guessed from the FQDN.

Otherwise (a member server, a DC whose KDC events or own machine account were not read yet, an
account already qualified) the name is kept as the event gives it.  The edge says which: its tally
``account_domain`` counts its validations by the domain that qualified the account, or
``unknown`` (:data:`UNKNOWN_DOMAIN`).  Order rule, as the Kerberos realms'
(:mod:`ingest.projection_realms`): a 4776 read before its DC's evidence keeps the bare name (the
node is not renamed later; the DC's next validations are ``netbios\\name``), so the graph depends
on journal order only, never on batch or call boundaries.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from graphsiem.model import TALLY_LABEL_CHARS, EntityKey
from ingest.ipmap_names import is_placeholder_host_name, is_placeholder_workstation_name
from ingest.projection_accumulator import HOST, USER, EventContext, R
from ingest.projection_endpoint import EndpointRules
from ingest.projection_realms import RealmNames
from ingest.realm_domains import MACHINE_SIDS

DcDomain = tuple[str, bool]
"""What the join state knows of a host: the NetBIOS domain of its own machine account (``""``: not
known yet), and whether it logged a KDC's events (it is a domain controller)."""
UNKNOWN_DOMAIN = "unknown"
"""The ``account_domain`` tally's label of a validation whose account was kept as the event gave it."""
DC_HOST_LIMIT = 65536
"""Hosts ``_dc_domains`` holds (every Windows host names its machine account).  Past it, a new host
is learnt only as a KDC (the few DCs are never left out), and a warning says so once."""
_NETBIOS_COMPUTER = re.compile(r"[^\\/:*?\"<>|.\s]{1,15}", flags=re.ASCII)
"""A NetBIOS computer name (what a 4624's ``WorkstationName`` is): at most 15 characters, none of
the characters Windows forbids in one (``\\ / : * ? " < > |``), no space, and no dot (the parser
cut a dotted name to its first label)."""
_NETBIOS_DOMAIN = re.compile(r"[^\\/:*?\"<>|.\s]{1,15}", flags=re.ASCII)
"""A NetBIOS domain name: at most 15 characters, none of Windows' reserved ones, no dot."""
_NOT_A_DOMAIN = frozenset(("workgroup", "nt authority", "nt-autorität", "autorite nt"))
"""Domain parts of a machine's own account that name no domain (a host outside one)."""
_NETBIOS_COMPUTER_CHARS = 15

_log = logging.getLogger(__name__)


class LogonRules(EndpointRules, RealmNames):
    """The rules of a KDC's Kerberos events; sshd/PAM log-ons take 4624's and 4625's rules (``_logon``,
    ``_logon_failed``) in the projector's table."""

    _dc_domains: dict[str, DcDomain]
    """Host -> its own NetBIOS domain and whether it is a KDC (join state; the module docstring)."""
    _dc_hosts_full = False
    """Set once ``_dc_domains`` reached :data:`DC_HOST_LIMIT` (the warning is said once per projector)."""

    def _learn_sid(self, ctx: EventContext) -> None:
        """A SID's name (:meth:`EndpointRules._learn_sid`), and when the event is a host's own machine
        account a realm's NetBIOS name (:meth:`RealmNames._learn_realm`) and the host's own domain (the
        domain of its 4776 accounts once it is known to be a DC): the same events teach all three."""
        super()._learn_sid(ctx)
        self._learn_realm(ctx)
        host = ctx.host
        domain = own_machine_domain(ctx.fields, host)
        if domain is not None and host is not None:
            self._learn_dc_domain(host[1], domain, False)

    def _learn_dc_domain(self, host: str, domain: str, kdc: bool) -> None:
        """Add to what ``_dc_domains`` knows of ``host``: its own domain (the first one it gave stays), a KDC."""
        known = self._dc_domains.get(host)
        if known is None:
            if len(self._dc_domains) >= DC_HOST_LIMIT and not kdc:
                if not self._dc_hosts_full:
                    self._dc_hosts_full = True
                    _log.warning("the projection knows %d hosts' domains: new hosts are learnt only as domain "
                                 "controllers (their 4776 accounts stay unqualified until then)", DC_HOST_LIMIT)
                return
            self._dc_domains[host] = (domain, kdc)
            return
        merged = (known[0] or domain, known[1] or kdc)
        if merged != known:
            self._dc_domains[host] = merged

    def _claimed_workstation(self, ctx: EventContext, relation: str, ip: EntityKey | None,
                             account: EntityKey | None) -> None:
        """A logon's claimed workstation (``source.workstation``, the client's word): a host if it can be one.

        A name a computer can have is that host: ``host relation host`` (lateral movement,
        ``ws-0042 LOGGED_ON srv-01``) and ``CLAIMED_AT`` the address.  A name no computer can have
        makes no host: it is tallied (``workstations``) on the logon's edges, ``account``'s
        (``user LOGGED_ON host``) and the address's (``ip relation host``), as a 4776's claimed names
        are (review U1 #5).  That is a Windows name that is no NetBIOS computer name
        (:func:`is_computer_name`: Metasploit's random ``AIdqOuDhHrkCN8Hy`` has 16 characters where
        NetBIOS allows 15) or a tool's default (``WORKSTATION``,
        :func:`ingest.ipmap_names.is_placeholder_workstation_name`, which NTLM's claims share).  An
        sshd client's name (``source.address`` holds it as written) is a DNS host name the parser
        checked, not a NetBIOS one.  A blank, the host itself or a placeholder is no claim at all.
        The name alone decides, so the graph is the same whatever order the journal holds the
        events in (review R20 #1: a rule on the hosts read before lost the edge when the server's
        log was read first).
        """
        fields = ctx.fields
        workstation = str(fields.get("source.workstation") or "").strip()
        host = ctx.host
        if not workstation or host is None or workstation == host[1] or is_placeholder_host_name(workstation):
            return
        if not is_placeholder_workstation_name(workstation) and (
                "source.address" in fields or is_computer_name(workstation)):
            claimed = ctx.acc.entity(HOST, workstation, workstation)
            ctx.rel(claimed, relation, host)
            ctx.rel(claimed, R.CLAIMED_AT, ip)
            return
        label = workstation[:TALLY_LABEL_CHARS]
        if account is not None:
            ctx.acc.tally(account, relation, host, "workstations", label)
        if ip is not None:
            ctx.acc.tally(ip, relation, host, "workstations", label)

    def _note_kdc(self, ctx: EventContext) -> None:
        """The event's host logged a KDC's event (4768/4769/4771): it is a domain controller."""
        if ctx.host is not None:
            self._learn_dc_domain(ctx.host[1], "", True)

    def _kerberos_logon(self, ctx: EventContext) -> None:
        """4768 with ``0x0``: ``user LOGGED_ON`` the KDC, and the client's address; no SID learnt."""
        self._note_kdc(ctx)
        user = self._kerberos_user(ctx)
        ctx.rel(user, R.LOGGED_ON, ctx.host)
        self._logon_source(ctx, R.LOGGED_ON, user)

    def _kerberos_logon_failed(self, ctx: EventContext) -> None:
        """A refused 4768, a 4771, and a 4769 (a service ticket is no new log-on): the user sighted, the
        client ``CONNECTED`` the KDC, as 4625's rule (:meth:`EndpointRules._logon_failed`)."""
        self._note_kdc(ctx)
        ctx.touch(self._kerberos_user(ctx))
        self._logon_source(ctx, R.CONNECTED)

    def _credential_validation(self, ctx: EventContext) -> None:
        """4776: ``user VALIDATED_AT host``, tallied by outcome and by claimed workstation (module docstring).

        The account is ``netbios\\name`` on a domain controller of a known domain (module docstring), the
        name the event gives elsewhere, and the edge's ``account_domain`` tally says which.  An event
        that names no account relates nothing (its host is added, the event stays in the journal).
        """
        host = ctx.host
        name = ctx.fields.get("user.name")
        if not name or host is None:
            return
        user, domain = self._validated_account(ctx, str(name).lower(), host[1])
        ctx.rel(user, R.VALIDATED_AT, host)
        fields = ctx.fields
        acc = ctx.acc
        acc.tally(user, R.VALIDATED_AT, host, "account_domain", domain or UNKNOWN_DOMAIN)
        acc.tally(user, R.VALIDATED_AT, host, "outcomes", validation_outcome(fields))
        workstation = str(fields.get("source.workstation") or "").strip()
        if workstation and workstation != "-":
            acc.tally(user, R.VALIDATED_AT, host, "workstations", workstation[:TALLY_LABEL_CHARS])

    def _validated_account(self, ctx: EventContext, name: str, host: str) -> tuple[EntityKey, str]:
        """The user of a 4776 on ``host`` and the domain that qualified it (``""``: kept as given)."""
        domain = ""
        if "\\" not in name and "@" not in name:  # a name the event gave qualified stays as it is
            known = self._dc_domains.get(host)
            if known is not None and known[1]:
                domain = known[0]
        key = f"{domain}\\{name}" if domain else name
        return ctx.acc.entity(USER, key, key), domain


def is_computer_name(name: str) -> bool:
    """Whether ``name`` can be a Windows computer's NetBIOS name (:data:`_NETBIOS_COMPUTER`).

    >>> [is_computer_name(n) for n in ("ws-0042", "kali", "aidqoudhhrkcn8hy", "a b", "x*y", "ws|1")]
    [True, True, False, False, False, False]
    """
    return _NETBIOS_COMPUTER.fullmatch(name) is not None


def own_machine_domain(fields: Mapping[str, Any], host: EntityKey | None) -> str | None:
    r"""The NetBIOS domain an event's host names its own machine account in; None for anything else.

    That is: ``user.id`` is the machine's own SID (SYSTEM, NETWORK SERVICE), and ``user.name`` is
    ``domain\label$`` with ``label`` the host's name (cut to 15 characters, as NetBIOS computer names
    are), ``domain`` a NetBIOS name and no workgroup.  Another machine's account (a network logon of
    ``PC-SUSAN$`` on the DC) or a client's word says nothing of this host.

    Parameters
    ----------
    fields : Mapping
        A normalised event's fields.
    host : EntityKey or None
        The event's host (``("host", "kramer")``).

    Returns
    -------
    str or None
        The domain, lower case.

    Examples
    --------
    >>> own_machine_domain({"user.id": "S-1-5-18", "user.name": "jerry\\kramer$"}, ("host", "kramer"))
    'jerry'
    >>> own_machine_domain({"user.id": "S-1-5-18", "user.name": "jerry\\pc-susan$"}, ("host", "kramer")) is None
    True
    """
    sid, user = fields.get("user.id"), fields.get("user.name")
    if host is None or not isinstance(sid, str) or sid.lower() not in MACHINE_SIDS or not isinstance(user, str):
        return None
    domain, _, account = user.lower().partition("\\")
    if (not account.endswith("$") or account[:-1] != str(host[1])[:_NETBIOS_COMPUTER_CHARS]
            or domain in _NOT_A_DOMAIN or not _NETBIOS_DOMAIN.fullmatch(domain)):
        return None
    return domain


def validation_outcome(fields: dict[str, Any]) -> str:
    """A credential validation's outcome label: ``success``, ``failure <status>``, ``failure`` or ``unknown``.

    Examples
    --------
    >>> validation_outcome({"event.outcome": "failure", "winlog.logon.failure.status": "0xC000006A"})
    'failure 0xc000006a'
    >>> validation_outcome({"event.outcome": "success"}), validation_outcome({})
    ('success', 'unknown')
    """
    outcome = fields.get("event.outcome")
    if outcome == "success":
        return "success"
    if outcome != "failure":
        return "unknown"  # the event stated no readable code
    status = str(fields.get("winlog.logon.failure.status") or "").strip().lower()
    return f"failure {status[:TALLY_LABEL_CHARS - 8]}" if status else "failure"
