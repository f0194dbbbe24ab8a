"""Zeek ``rdp.log``: one internal host opening a Remote Desktop session on another, as lateral movement.

A Windows 4624 of type 10 (RemoteInteractive) on the target says its client's address logged on
(``ip LOGGED_ON host``, :meth:`ingest.projection_endpoint.EndpointRules._logon_source`); a network
sensor sees the same session from the wire, on targets whose Security log nobody ships.  An
``rdp.log`` record whose negotiation went through (``result`` ``Success``, or ``encrypted``: TLS or
CredSSP took over, as every NLA session does) relates its client's address ``LOGGED_ON`` the server's
host, the host the IP map held ``id.resp_h`` on then (else the address), as a 4624's source does.  The
client stays its address, as a 4624's: :mod:`analytics.lateral_sources` names the host the IP map held
it on at the sessions' times and reads that host's remote commands.  A refused negotiation
(``User rejected``, ``Resources not available``...) opened nothing: its connection is all it is.

It is never credential evidence: with NLA the password is checked inside TLS, so ``result`` says
nothing about it (``encrypted`` is as likely a wrong password as a right one), and no user is related.
The ``cookie`` (``mstshash=``, the name the client typed, cut by mstsc to 9 characters: ``administr``)
and ``client_name`` are the client's claims, not an account or a host: they stay fields of the
journaled event (``zeek.cookie``, ``zeek.client_name``), shown as claims in its summary, and make no
entity.  Nor does ``id.orig_h`` teach the IP map anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

RDP_KIND = "zeek:rdp"
OPENED_RESULTS = frozenset(("success", "encrypted"))
"""``rdp.log`` results of a negotiation that went through (Zeek's ``RDP::result``): any other, or none, refused
or did not finish."""


def opens_rdp_session(kind: str, fields: Mapping[str, Any]) -> bool:
    """Whether a sensor event is an RDP session opened (its client then ``LOGGED_ON`` the server).

    Examples
    --------
    >>> opens_rdp_session("zeek:rdp", {"zeek.result": "encrypted"}), opens_rdp_session("zeek:rdp", {"zeek.result": "Success"})
    (True, True)
    >>> opens_rdp_session("zeek:rdp", {"zeek.result": "User rejected"}), opens_rdp_session("zeek:conn", {})
    (False, False)
    """
    return kind == RDP_KIND and str(fields.get("zeek.result") or "").strip().lower() in OPENED_RESULTS


def rdp_claims(fields: Mapping[str, Any]) -> str:
    """The client's claims in an ``rdp.log`` record, in words ("" when it makes none).

    Examples
    --------
    >>> rdp_claims({"zeek.cookie": "administr", "zeek.client_name": "ET-CARBON"})
    "the client claims user 'administr' (RDP cookie, cut to 9 characters) and computer name 'ET-CARBON'"
    >>> rdp_claims({})
    ''
    """
    parts = []
    cookie = str(fields.get("zeek.cookie") or "").strip()
    if cookie:
        parts.append(f"user {cookie!r} (RDP cookie, cut to 9 characters)")
    name = str(fields.get("zeek.client_name") or "").strip()
    if name:
        parts.append(f"computer name {name!r}")
    return f"the client claims {' and '.join(parts)}" if parts else ""
