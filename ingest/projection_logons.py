"""Log-ons outside Windows Security: sshd and PAM lines of a host's syslog.

An sshd ``Accepted`` line is a log-on as Windows 4624 is, and an sshd ``Failed`` or ``Invalid
user`` line or PAM's ``authentication failure`` one a failure as 4625 is
(``ingest.parsers.syslog_sshd``): the rules of :mod:`ingest.projection_endpoint` relate them
(``user LOGGED_ON host``, ``ip LOGGED_ON host``; the user touched and ``ip CONNECTED host`` for a
failure).  What differs is the client's name: sshd (``UseDNS``) and PAM (``rhost=``) may write the
client's reverse DNS name instead of its address (``source.domain``).  That name is the address
owner's claim, as a 4624 ``WorkstationName`` is the client's: it is the host of that name (cut to
its first label as every host name is) and relates to the host as the address would, never when it
is a placeholder (``localhost``) or the host itself.
"""

from __future__ import annotations

from ingest.ipmap import is_placeholder_host_name
from ingest.normalize import normalize_host
from ingest.projection_accumulator import HOST, EventContext, R
from ingest.projection_endpoint import EndpointRules


class LogonRules(EndpointRules):
    """The syslog log-on rules of :class:`ingest.projection.Projector`."""

    def _syslog_logon(self, ctx: EventContext) -> None:
        """sshd ``Accepted``: ``user LOGGED_ON host`` and the client (address, else its name) too."""
        self._logon(ctx)
        self._named_client(ctx, R.LOGGED_ON)

    def _syslog_logon_failed(self, ctx: EventContext) -> None:
        """sshd ``Failed``/``Invalid user``, PAM's failure: the user touched, the client ``CONNECTED``."""
        self._logon_failed(ctx)
        self._named_client(ctx, R.CONNECTED)

    @staticmethod
    def _named_client(ctx: EventContext, relation: str) -> None:
        """The client's host by the name sshd or PAM wrote for it (``source.domain``) ``relation`` this host."""
        name = ctx.fields.get("source.domain")
        if not name or ctx.fields.get("source.ip"):
            return
        client = normalize_host(str(name))
        host = ctx.host
        if client and host is not None and client != host[1] and not is_placeholder_host_name(client):
            ctx.rel(ctx.acc.entity(HOST, client, client), relation, host)
