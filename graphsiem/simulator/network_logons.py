"""A network logon as the core sensor sees it: Zeek ``kerberos.log`` or ``ntlm.log``, with its ``conn.log``.

The endpoint's Security 4624 says who logged on and which package authenticated
them; the sensor sees the same logon on the wire.  Kerberos: the client asks the
domain controller (the KDC) for a ticket-granting ticket (an AS request of
``account/REALM``: explicit credentials) and then a service ticket to the
server (a TGS request for ``host/<server fqdn>``).  NTLM: the challenge-response
runs inside the SMB session from the client to the server, and Zeek logs the
account, the workstation name the client wrote and the server's names.
"""

from __future__ import annotations

from graphsiem.simulator.context import RunContext
from graphsiem.simulator.fleet import DOMAIN, DOMAIN_CONTROLLER_IP, Host
from graphsiem.simulator.randomness import zeek_id

_TICKET_HOURS = 10


def record_network_logon(ctx: RunContext, *, client: Host, server: Host, account: str, ntlm: bool) -> None:
    """Zeek records of ``account`` (``DOMAIN\\name``) authenticating from ``client`` to ``server`` at ``ctx.ts``.

    Parameters
    ----------
    ctx : RunContext
        The run; its clock is the sensor's (the 4624 carries the endpoint's skew on top).
    client, server : Host
        The machine the logon comes from and the one it logs on to.
    account : str
        ``DOMAIN\\name`` of the account, as 4624's ``TargetDomainName``/``TargetUserName`` say it.
    ntlm : bool
        NTLM in the SMB session to the server (``ntlm.log``), else Kerberos AS and TGS requests to the KDC.
    """
    domain, _, name = account.partition("\\")
    ts = ctx.ts - ctx.rng.uniform(0.02, 0.3)  # authentication precedes the logon the server records
    client_ip = client.ip_at(ts)
    port = ctx.rng.randrange(49152, 65535)
    uid = zeek_id(ctx.rng, "C")
    if ntlm:
        server_ip, server_port, service = server.ip_at(ts), 445, "smb,gssapi,ntlm"
        ctx.sink.network("ntlm", ts, {
            "ts": ts, "uid": uid, "id.orig_h": client_ip, "id.orig_p": port, "id.resp_h": server_ip,
            "id.resp_p": server_port, "username": name, "hostname": client.upper, "domainname": domain,
            "server_nb_computer_name": server.upper, "server_dns_computer_name": server.fqdn,
            "server_tree_name": DOMAIN, "success": True,
        })
    else:
        # explicit credentials: a ticket-granting ticket first (AS), then the server's service ticket (TGS)
        server_ip, server_port, service = DOMAIN_CONTROLLER_IP, 88, "krb_tcp"
        _kerberos(ctx, ts, uid, client_ip, port, "AS", f"krbtgt/{DOMAIN.upper()}", name)
        _conn(ctx, ts, uid, client_ip, port, server_ip, server_port, service)
        ts += ctx.rng.uniform(0.005, 0.05)
        port, uid = ctx.rng.randrange(49152, 65535), zeek_id(ctx.rng, "C")
        _kerberos(ctx, ts, uid, client_ip, port, "TGS", f"host/{server.fqdn.lower()}", name)
    _conn(ctx, ts, uid, client_ip, port, server_ip, server_port, service)


def _kerberos(ctx: RunContext, ts: float, uid: str, client_ip: str, port: int, request: str, ticket_for: str,
              name: str) -> None:
    """One successful ``kerberos.log`` request of ``name`` in the domain's realm."""
    ctx.sink.network("kerberos", ts, {
        "ts": ts, "uid": uid, "id.orig_h": client_ip, "id.orig_p": port, "id.resp_h": DOMAIN_CONTROLLER_IP,
        "id.resp_p": 88, "request_type": request, "client": f"{name}/{DOMAIN.upper()}", "service": ticket_for,
        "success": True, "from": ts, "till": ts + _TICKET_HOURS * 3600, "cipher": "aes256-cts-hmac-sha1-96",
        "forwardable": True, "renewable": True,
    })


def _conn(ctx: RunContext, ts: float, uid: str, client_ip: str, port: int, server_ip: str, server_port: int,
          service: str) -> None:
    """The ``conn.log`` record of one short authentication exchange."""
    bytes_out, bytes_in = ctx.rng.randint(1200, 2400), ctx.rng.randint(1400, 3000)
    ctx.sink.network("conn", ts, {
        "ts": ts, "uid": uid, "id.orig_h": client_ip, "id.orig_p": port, "id.resp_h": server_ip,
        "id.resp_p": server_port, "proto": "tcp", "service": service,
        "duration": ctx.rng.uniform(0.005, 0.2), "orig_bytes": bytes_out, "resp_bytes": bytes_in,
        "conn_state": "SF", "local_orig": True, "local_resp": True, "missed_bytes": 0,
        "history": "ShADadFf", "orig_pkts": 6, "orig_ip_bytes": bytes_out + 240, "resp_pkts": 5,
        "resp_ip_bytes": bytes_in + 200, "tunnel_parents": [],
    })
