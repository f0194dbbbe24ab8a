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
"""

from __future__ import annotations

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
