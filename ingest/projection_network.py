"""Network-sensor events (Zeek, Suricata, devices' records): IPs first, hosts through the IP map.

:meth:`SensorRules._sensor` reads an event with no host of its own: its ends map to hosts
at the event's time (``ingest.ipmap``), the flow's client is the actor of what it asked
for (DNS, URLs, TLS SNI), and certificates and files go to ``ingest.projection_names``
and ``ingest.projection_transfers``.
"""

from __future__ import annotations

from typing import Any

from graphsiem.model import SIGNATURE_CHARS, EntityKey, Event
from ingest.ipmap import IpHostMap, IpWatch
from ingest.ipmap_names import is_placeholder_workstation_name
from ingest.normalize import ip_or_none
from ingest.projection_accumulator import HOST, IP, Accumulator, EventContext, R
from ingest.projection_entities import FILE_FIELDS, NO_PEER
from ingest.projection_names import CERT_KEYS, NameRules
from ingest.projection_rdp import opens_rdp_session
from ingest.projection_realms import RealmNames
from ingest.projection_transfers import FILE_TRANSFER_KINDS, TransferRules, relate_served_from

_SENSOR_KEYS = frozenset((
    "dns.question.name", "url.full", "url.domain", "destination.domain", "source.domain", "client.ip",
    "dhcp.assigned_ip", "user.name", "zeek.resp_fuids", *FILE_FIELDS, *CERT_KEYS,
))
"""Every field :meth:`SensorRules._sensor` reads past the source and destination IPs (the file
fields give a file entity, the MIME type with a size one known by its sender; a Zeek http
record's ``resp_fuids`` name the downloads its server sent, URL or not): a sensor event
with none of them adds only its IPs, its hosts and their relation."""
_LOGON_KINDS = frozenset(("zeek:ntlm", "zeek:kerberos"))
"""Sensor records of an authentication the server accepted or refused (``event.outcome``): a success is
the account's log-on at the server (:meth:`SensorRules._sensor_logon`), for Kerberos only a ticket-granting
ticket's (``kerberos.request_type`` ``AS``): a service ticket (``TGS``) is asked with a TGT already held, so
each would be one more log-on at the KDC; its user is only sighted.  Other records with a user and an
outcome (a proxy's, a VPN's) are no log-on at their destination.  A Kerberos user is ``realm\\name``, or
``netbios\\name`` once the realm is known to be that NetBIOS domain (:mod:`ingest.projection_realms`)."""


class SensorRules(NameRules, TransferRules, RealmNames):
    """The network-sensor rule of :class:`ingest.projection.Projector`."""

    ipmap: IpHostMap | IpWatch
    _kind_rules: dict[str, tuple[str, bool]]

    def _sensor(self, acc: Accumulator, event: Event, fields: dict[str, Any]) -> None:
        """A Zeek/Suricata-style event: IPs first, hosts through the time-aware map."""
        ts = event.ts
        src_ip = fields.get("source.ip")
        src_ip = ip_or_none(str(src_ip)) if src_ip else None
        dst_ip = fields.get("destination.ip")
        dst_ip = ip_or_none(str(dst_ip)) if dst_ip else None
        # a DHCP client without an address yet, a broadcast: no machine is at either end
        if src_ip in NO_PEER:
            src_ip = None
        if dst_ip in NO_PEER:
            dst_ip = None
        src_host = self.ipmap.lookup(src_ip, ts)
        dst_host = self.ipmap.lookup(dst_ip, ts)
        kind = event.kind
        if kind.endswith(":dhcp"):
            assigned = fields.get("dhcp.assigned_ip")
            named = fields.get("dhcp.hostname")
            holder = self.ipmap.lookup(assigned, ts) if assigned else None
            # the lease's holder is the client (an ACK without the name too: the IP map joins an
            # EVE ACK to the request that named the host): the destination of a reply that names
            # it (an EVE ACK from the server), else the source (a Zeek record, a request)
            if holder and (not named or holder == named):
                if dst_ip is not None and fields.get("client.ip") == dst_ip and dst_ip != src_ip:
                    dst_host = holder
                else:
                    src_host = holder
        # the distinct known hosts, source first (as tuple(dict.fromkeys(...)) filtered, without the dict)
        if src_host:
            hosts: tuple[str, ...] = (src_host,) if not dst_host or dst_host == src_host else (src_host, dst_host)
        else:
            hosts = (dst_host,) if dst_host else ()
        # most sensor events (flows, connections, alerts) are IPs and ports only:
        # nothing past their IP relation would add anything
        is_bare = fields.keys().isdisjoint(_SENSOR_KEYS)
        rule = self._kind_rules.get(kind)
        if rule is None:  # a handful of kinds: each is read once per run (endswith was ~0.1 us an event)
            rule = (R.ALERTED if kind.endswith((":alert", ":notice")) else R.CONNECTED, kind in FILE_TRANSFER_KINDS)
            self._remember(self._kind_rules, kind, rule)
        rel_type, is_transfer = rule
        if is_transfer and "client.ip" not in fields:
            # source and destination are the file's sender and receiver; which of them opened the
            # connection is not said (a Zeek files record without is_orig): no CONNECTED, which
            # would point from the server to its client for every download
            dst_ip_related = None
        else:
            dst_ip_related = dst_ip
        if is_bare and not hosts:
            # and with neither end mapped (most of them), nothing is sighted: no EventContext.
            # A lone IP (software.log's host...) relates to nothing: no entity.
            if src_ip and dst_ip_related:
                src, dst = acc.entity(IP, src_ip, src_ip), acc.entity(IP, dst_ip_related, dst_ip_related)
                acc.relate(src, rel_type, dst, ts, event.id)
                if rel_type == R.ALERTED:
                    _note_signature(acc, src, dst, fields)
                elif src_ip != dst_ip_related and opens_rdp_session(kind, fields):
                    acc.relate(src, R.LOGGED_ON, dst, ts, event.id)  # ingest.projection_rdp
            return
        ctx = EventContext(acc, event, src_host, hosts)
        if is_bare:
            if dst_ip_related:
                # an alert's target stays its IP (the model's rule); a connection reaches the server's host
                server_host = dst_host if rel_type != R.ALERTED and dst_host != src_host else None
                actor, target = self._actor(acc, src_host, src_ip), self._actor(acc, server_host, dst_ip_related)
                ctx.rel(actor, rel_type, target)
                if rel_type == R.ALERTED:
                    _note_signature(acc, actor, target, fields)
                elif (src_ip and src_ip != dst_ip_related and (src_host is None or src_host != dst_host)
                      and opens_rdp_session(kind, fields)):
                    # the client's address, as a 4624's source: the IP map names it at the sessions' times
                    ctx.rel(acc.entity(IP, src_ip, src_ip), R.LOGGED_ON, target)  # ingest.projection_rdp
            self._sight(ctx)
            return
        # The client's side: the source, unless the parser says the client is the destination
        # (a server-to-client packet); src_ip/dst_ip are canonical already, as client.ip is.
        client_ip = fields.get("client.ip")
        if client_ip is not None and client_ip == dst_ip and dst_ip != src_ip:
            client_host, client, server_host, server = dst_host, dst_ip, src_host, src_ip
            server_domain = fields.get("source.domain")
        else:
            client_host, client, server_host, server = src_host, src_ip, dst_host, dst_ip
            server_domain = fields.get("destination.domain")
        # an alert keeps its packet's direction (the signature's source and target: host|ip
        # ALERTED ip, the model's rule); a connection is the client's, and reaches the server's
        # host when mapped (an inbound connection, as an inbound Sysmon 3: ip CONNECTED host)
        if rel_type == R.ALERTED:
            if dst_ip:
                actor, target = self._actor(acc, src_host, src_ip), acc.entity(IP, dst_ip, dst_ip)
                ctx.rel(actor, rel_type, target)
                _note_signature(acc, actor, target, fields)
        elif server and dst_ip_related:
            # no host connects to itself: both ends on one host (its own second address) keep the address
            ctx.rel(self._actor(acc, client_host, client), rel_type,
                    self._actor(acc, server_host if server_host != client_host else None, server))
        if "dns.question.name" in fields:
            domain = self._domain(ctx, fields["dns.question.name"])
            if domain is not None:
                ctx.rel(self._actor(acc, client_host, client), R.RESOLVED, domain)
                ctx.touch(domain)
                self._answers(ctx, domain)
        url = self._url(ctx)
        domain = self._domain(ctx, fields.get("url.domain") or server_domain)
        if url is not None:
            ctx.rel(self._actor(acc, client_host, client), R.REQUESTED, url)
            ctx.rel(url, R.ON, domain)
            relate_served_from(ctx, url, server)  # the Host header is the client's: the address is the server
            ctx.touch(url)
        elif domain is not None:  # TLS SNI, an HTTP host without a URL: the name the client asked for
            ctx.rel(self._actor(acc, client_host, client), R.RESOLVED, domain)
            if server:
                # the client's claim, not a resolver's or the server's answer (module docstring)
                ctx.rel(domain, R.CLAIMED_AT, acc.entity(IP, server, server))
            ctx.touch(domain)
        if "dhcp.assigned_ip" in fields:
            ctx.touch(self._ip(ctx, fields["dhcp.assigned_ip"]))
        if not fields.keys().isdisjoint(CERT_KEYS):
            self._certificate(ctx, fields, server)
        if "user.name" in fields:  # a proxy's or VPN's user: seen where the client is
            # a Kerberos principal in its NetBIOS domain when its realm is known to be one
            user = self._kerberos_user(ctx) if kind == "zeek:kerberos" else self._user(ctx)
            ctx.touch(user)
            if (kind in _LOGON_KINDS and fields.get("event.outcome") == "success" and server
                    and (kind != "zeek:kerberos" or fields.get("kerberos.request_type") == "AS")):
                # the server's host, unless both ends are one host (its own second address keeps the address)
                server_end = self._actor(acc, server_host if server_host != client_host else None, server)
                # the client logged on too (its host, else its address), unless both ends are one machine
                same = client == server or (client_host is not None and client_host == server_host)
                client_end = None if same else self._actor(acc, client_host, client)
                self._sensor_logon(ctx, user, server_end, client_end)
        # the file's receiver and sender: the destination and source of records that follow
        # the file (Zeek files, EVE fileinfo), else the client that asked for it and the server
        # (a proxy's or firewall's record)
        if is_transfer:
            # a file the client sent (is_orig: an HTTP POST/PUT body, an SMB write) is its sender's upload
            uploader = self._actor(acc, src_host, src_ip) if client_ip is not None and client_ip == src_ip else None
            # else the sender is where the receiver's download came from (file SERVED_BY ip); an
            # upload's sender is the client, and its receiver the server: it served nothing
            self._sensor_files(ctx, fields, url, domain, dst_host, src_ip, uploader,
                               origin=src_ip if uploader is None else None)
        else:
            self._sensor_files(ctx, fields, url, domain, client_host, server)
        self._sight(ctx)

    @staticmethod
    def _sensor_logon(ctx: EventContext, user: EntityKey | None, server: EntityKey | None,
                      client: EntityKey | None) -> None:
        """An authentication the server accepted (Zeek NTLM, Kerberos): ``user LOGGED_ON`` the server.

        The server is its host when its address is mapped, else its IP (as a connection's end is).
        For Kerberos the server is the KDC and the request an ``AS`` one (:data:`_LOGON_KINDS`): the
        account was authenticated by the realm there, not at a service it asked a ticket for.  (Windows
        4768/4769/4771, the KDC's own record of these, relate the same way: ``ingest.projection_logons``.)
        The client (its host when mapped, else its address) ``LOGGED_ON`` the server, as a 4624's
        source address does.

        An NTLM client's workstation name (``source.workstation``) is only the client's claim: that
        host ``LOGGED_ON`` the server too (as 4624's ``WorkstationName``) and is ``CLAIMED_AT`` the
        client's address, so the name leads to the machine that sent it.  A placeholder or a tool's
        default (``WORKSTATION``, :func:`ingest.ipmap_names.is_placeholder_workstation_name`), the
        server itself or the client's own mapped host makes no host.  The claim never teaches the
        IP map (``ingest.ipmap`` reads no ``source.workstation``).
        """
        if server is None:
            return
        ctx.rel(user, R.LOGGED_ON, server)
        ctx.rel(client, R.LOGGED_ON, server)
        workstation = str(ctx.fields.get("source.workstation") or "").strip()
        if (workstation and not is_placeholder_workstation_name(workstation) and (HOST, workstation) != client
                and (HOST, workstation) != server):
            claimed = ctx.acc.entity(HOST, workstation, workstation)
            ctx.rel(claimed, R.LOGGED_ON, server)
            if client is not None and client[0] == IP:
                ctx.rel(claimed, R.CLAIMED_AT, client)

    @staticmethod
    def _actor(acc: Accumulator, host: str | None, ip: str | None) -> EntityKey | None:
        """The host at ``ip`` when mapped, else the IP itself (an entity only now, as a relation names it)."""
        if host:
            return (HOST, host)  # the event's hosts are entities already (EventContext.fill)
        return acc.entity(IP, ip, ip) if ip else None

    def _sight(self, ctx: EventContext) -> None:
        hosts = ctx.hosts
        if not hosts:  # a sensor event between unmapped IPs sights nothing
            return
        if len(hosts) == 1:  # one end mapped (most mapped sensor events): no loop over hosts
            ctx.acc.sight_one(hosts[0], ctx.touched, ctx.seen)
        else:
            ctx.acc.sight(hosts, ctx.touched, ctx.seen)


def alert_signature(fields: dict[str, Any]) -> str | None:
    """An alert's signature as an ``ALERTED`` edge keeps it: ``"<rule.name> (sid <rule.id>, severity
    <alert.severity>)"``, the parts the record has (a Zeek notice has its note only); None without a name.

    >>> alert_signature({"rule.name": "ET SCAN  Nmap", "rule.id": "2009582", "alert.severity": 2})
    'ET SCAN Nmap (sid 2009582, severity 2)'
    >>> alert_signature({"rule.name": "SSL::Invalid_Server_Cert"})
    'SSL::Invalid_Server_Cert'
    """
    name = fields.get("rule.name")
    if name is None:
        return None
    text = " ".join(str(name).split())[:SIGNATURE_CHARS]  # the sensor's text is data: kept, whitespace folded
    if not text:
        return None
    details = [f"{label} {fields[field]}" for field, label in (("rule.id", "sid"), ("alert.severity", "severity"))
               if fields.get(field) not in (None, "")]
    return f"{text} ({', '.join(details)})" if details else text


def _note_signature(acc: Accumulator, src: EntityKey | None, dst: EntityKey | None, fields: dict[str, Any]) -> None:
    """Count the alert's signature on its ``ALERTED`` edge (none without both ends or a name)."""
    if src is None or dst is None:
        return
    signature = alert_signature(fields)
    if signature is not None:
        acc.signature(src, R.ALERTED, dst, signature)
