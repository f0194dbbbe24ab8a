"""The sensor's records of credential checks: refused and granted tries on the wire (task CRED5 item 3).

The endpoints' side of a failed log-on is the member's 4625 and the DC's 4776
(:mod:`.credential_actions`); a sensor watching the domain controller sees the same tries, so the
detection's sensor path (:mod:`analytics.credential_network`) and its dedupe of an attempt both sides
recorded are exercised at fleet scale:

* **a user's log-on at their own machine** (a mistype, an expired password) asks the KDC for a ticket
  with the password typed: Zeek ``kerberos.log`` writes an AS request refused ``KDC_ERR_PREAUTH_FAILED``
  (a wrong password or one that must change: the KDC checks it the same way), and a granted one when
  the user gets it right.  Only the machines on the segments the sensor taps (:data:`TAPPED_SHARE` of
  them, chosen by name, stable across runs) are seen: a sensor watches part of a network, and the
  detection must count each try once whether one side or both logged it.  The DC's own record stays
  the simulator's 4776 (its NTLM check of the same try).
* **a sprayer's try** is an NTLM log-on in an SMB session to the DC: Zeek ``ntlm.log`` with the
  account, the workstation name the tool wrote, and ``success`` false (true for the password it found).

Every draw comes from a generator of its own (:func:`graphsiem.simulator.randomness.rng_for`), so the
run's other events keep their values.
"""

from __future__ import annotations

from graphsiem.simulator.context import RunContext
from graphsiem.simulator.fleet import DOMAIN, DOMAIN_CONTROLLER_IP, NETBIOS_DOMAIN, Host
from graphsiem.simulator.randomness import derive_seed, rng_for, zeek_id

__all__ = ["TAPPED_SHARE", "is_tapped", "record_kerberos_try", "record_ntlm_try"]

TAPPED_SHARE = 50
"""Percent of the machines whose traffic to the DC the sensor sees."""
_TICKET_HOURS = 10


def is_tapped(short: str) -> bool:
    """Whether the sensor sees the traffic to the DC of the host named ``short`` (stable: by its name,
    not the run's draws).

    Examples
    --------
    >>> 70 < sum(is_tapped(f"ws-{n:04d}") for n in range(200)) < 130
    True
    """
    return derive_seed(0, "sensor_tap", short) % 100 < TAPPED_SHARE


def record_kerberos_try(ctx: RunContext, client: Host, name: str, *, refused: bool) -> None:
    """A ``kerberos.log`` AS request of ``name`` from ``client`` at ``ctx.ts``: refused for the password
    (``KDC_ERR_PREAUTH_FAILED``), else granted; nothing when the sensor does not see ``client``."""
    if not is_tapped(client.short):
        return
    rng = rng_for(ctx.seed, "sensor_kerberos", client.short, name, round(ctx.ts, 3))
    ts = ctx.ts - rng.uniform(0.02, 0.3)  # the ticket is asked before the log-on is decided
    record = {
        "ts": ts, "uid": zeek_id(rng, "C"), "id.orig_h": client.ip_at(ts), "id.orig_p": rng.randrange(49152, 65535),
        "id.resp_h": DOMAIN_CONTROLLER_IP, "id.resp_p": 88, "request_type": "AS", "client": f"{name}/{DOMAIN.upper()}",
        "service": f"krbtgt/{DOMAIN.upper()}", "success": not refused,
    }
    if refused:
        record["error_msg"] = "KDC_ERR_PREAUTH_FAILED"
    else:
        record.update({"from": ts, "till": ts + _TICKET_HOURS * 3600, "cipher": "aes256-cts-hmac-sha1-96",
                       "forwardable": True, "renewable": True})
    ctx.sink.network("kerberos", ts, record)


def record_ntlm_try(ctx: RunContext, client: Host, server: Host, name: str, *, claimed: str, right: bool) -> None:
    """An ``ntlm.log`` record of ``name``'s NTLM log-on from ``client`` to ``server`` over SMB at ``ctx.ts``,
    the workstation name ``claimed`` as the client wrote it."""
    rng = rng_for(ctx.seed, "sensor_ntlm", client.short, name, round(ctx.ts, 3))
    ts = ctx.ts - rng.uniform(0.02, 0.3)
    ctx.sink.network("ntlm", ts, {
        "ts": ts, "uid": zeek_id(rng, "C"), "id.orig_h": client.ip_at(ts), "id.orig_p": rng.randrange(49152, 65535),
        "id.resp_h": server.ip_at(ts), "id.resp_p": 445, "username": name, "hostname": claimed,
        "domainname": NETBIOS_DOMAIN, "server_nb_computer_name": server.upper,
        "server_dns_computer_name": server.fqdn, "server_tree_name": DOMAIN, "success": right,
    })
