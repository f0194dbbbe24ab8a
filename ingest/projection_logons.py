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
"""

from __future__ import annotations

from typing import Any

from graphsiem.model import TALLY_LABEL_CHARS
from ingest.projection_accumulator import EventContext, R
from ingest.projection_endpoint import EndpointRules
from ingest.projection_realms import RealmNames


class LogonRules(EndpointRules, RealmNames):
    """The rules of a KDC's Kerberos events; sshd/PAM log-ons take 4624's and 4625's rules (``_logon``,
    ``_logon_failed``) in the projector's table."""

    def _learn_sid(self, ctx: EventContext) -> None:
        """A SID's name (:meth:`EndpointRules._learn_sid`), and a realm's NetBIOS name when the event is a
        host's own machine account (:meth:`RealmNames._learn_realm`): the same events teach both."""
        super()._learn_sid(ctx)
        self._learn_realm(ctx)

    def _kerberos_logon(self, ctx: EventContext) -> None:
        """4768 with ``0x0``: ``user LOGGED_ON`` the KDC, and the client's address; no SID learnt."""
        ctx.rel(self._kerberos_user(ctx), R.LOGGED_ON, ctx.host)
        self._logon_source(ctx, R.LOGGED_ON)

    def _kerberos_logon_failed(self, ctx: EventContext) -> None:
        """A refused 4768, a 4771, and a 4769 (a service ticket is no new log-on): the user sighted, the
        client ``CONNECTED`` the KDC, as 4625's rule (:meth:`EndpointRules._logon_failed`)."""
        ctx.touch(self._kerberos_user(ctx))
        self._logon_source(ctx, R.CONNECTED)

    def _credential_validation(self, ctx: EventContext) -> None:
        """4776: ``user VALIDATED_AT host``, tallied by outcome and by claimed workstation (module docstring).

        An event that names no account relates nothing (its host is added, the event stays in the journal).
        """
        user = self._user(ctx)
        host = ctx.host
        if user is None or host is None:
            return
        ctx.rel(user, R.VALIDATED_AT, host)
        fields = ctx.fields
        acc = ctx.acc
        acc.tally(user, R.VALIDATED_AT, host, "outcomes", validation_outcome(fields))
        workstation = str(fields.get("source.workstation") or "").strip()
        if workstation and workstation != "-":
            acc.tally(user, R.VALIDATED_AT, host, "workstations", workstation[:TALLY_LABEL_CHARS])


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
