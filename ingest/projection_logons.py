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
"""

from __future__ import annotations

from ingest.projection_accumulator import EventContext, R
from ingest.projection_endpoint import EndpointRules


class LogonRules(EndpointRules):
    """The log-on rule of a KDC's TGT; sshd/PAM log-ons and the other Kerberos events take
    4624's and 4625's rules (``_logon``, ``_logon_failed``) in the projector's table."""

    def _kerberos_logon(self, ctx: EventContext) -> None:
        """4768 with ``0x0``: ``user LOGGED_ON`` the KDC, and the client's address; no SID learnt."""
        ctx.rel(self._user(ctx), R.LOGGED_ON, ctx.host)
        self._logon_source(ctx, R.LOGGED_ON)
