"""Log-ons outside Windows Security: sshd and PAM lines of a host's syslog.

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
"""

from __future__ import annotations

from ingest.projection_accumulator import EventContext
from ingest.projection_endpoint import EndpointRules


class LogonRules(EndpointRules):
    """The syslog log-on rules of :class:`ingest.projection.Projector`."""

    def _syslog_logon(self, ctx: EventContext) -> None:
        """sshd ``Accepted``: ``user LOGGED_ON host``, and the client's address or single-label name too."""
        self._logon(ctx)

    def _syslog_logon_failed(self, ctx: EventContext) -> None:
        """sshd ``Failed``/``Invalid user``, PAM's failure: the user touched, the client ``CONNECTED``."""
        self._logon_failed(ctx)
