"""Cisco ASA/FTD/PIX/FWSM syslog: the line layouts, the message tag and the common connection messages.

Layouts (read by :mod:`ingest.parsers.syslog`, which calls the helpers here):
``[<PRI>]Mmm dd yyyy hh:mm:ss[:] [HOST :] %ASA-6-302013: MSG`` (``logging
timestamp``, the year written, ``device-id`` optional, :func:`dated_time`),
behind a relay's RFC 3164 header (``Mmm dd hh:mm:ss HOST %ASA-...``), or with
no timestamp at all (``<PRI>[HOST : ]%ASA-...``, :func:`cisco_head`).  The
message id is ``event.code`` (``302013``), the product ``observer.product``,
never the appname (:func:`split_cisco_tag`, :func:`put_cisco_tag`).

Messages (:func:`asa_traffic`): the common ones name the traffic the firewall
passed or stopped, and become the fields other network parsers set
(``docs/fields.md``), so the projection relates their ends:

* 302013/302015 ``Built {inbound|outbound} {TCP|UDP} connection ID for
  IFACE:REAL/PORT (MAPPED/PORT) to IFACE:REAL/PORT (MAPPED/PORT)``: an inbound
  connection was opened by the ``for`` side, an outbound one by the ``to``
  side (the initiator is the source).  The real addresses are ``source.ip``/
  ``destination.ip``; a mapped address that differs is ``*.nat.ip``/``*.nat.port``.
* 106023 ``Deny PROTO src IFACE:IP[/PORT] dst IFACE:IP[/PORT] ... by
  access-group "ACL"``; 106100 ``access-list ACL {permitted|denied|est-allowed}
  PROTO IFACE/IP(PORT) ... -> IFACE/IP(PORT)``; 106001/106006/106007/106015
  (``... denied from IP/PORT to IP/PORT``, ``Deny ... from IP/PORT to IP/PORT``).
* 304001 ``[USER@]SRC Accessed [JAVA ]URL DST:URL``: ``url.full`` (a bare path
  on the destination's address), the client the source.
* 305011 ``Built {dynamic|static} PROTO translation from IFACE:IP/PORT to
  IFACE:IP/PORT``: the inside address and its translation (``source.nat.*``).

``event.action`` names what happened (``connection-built``, ``deny``,
``permitted``/``denied``/``est-allowed``, ``url-accessed``,
``translation-built``); ``rule.name`` the access list; the interfaces
``observer.ingress.interface.name``/``observer.egress.interface.name``.
Such a line is the firewall's view of other machines' traffic: the syslog
parser gives it no host (the firewall stays ``observer.*``), so the
projection finds the machines through the IP -> host map.  Other messages
(teardowns, whose text does not say which side opened the connection,
configuration and VPN messages) stay text with their ``event.code``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from ingest.normalize import canonical_ip, normalize_url, normalize_user
from ingest.parsers.base import ParseContext, ParseError
from ingest.parsers.syslog_cef import put_request

CISCO_PRODUCTS = "ASA|FTD|PIX|FWSM"
_TAG_RE = re.compile(rf"%({CISCO_PRODUCTS})-(?:[a-z]+-)?([0-7])-(\d{{6}}): ?(.*)", re.DOTALL)
"""A Cisco firewall's message tag (``%ASA-6-302013:``): product, level and message id."""
_HEAD_RE = re.compile(rf"(?:(\S+) +: +)?(?=%(?:{CISCO_PRODUCTS})-)")
"""A Cisco line with no timestamp (``no logging timestamp``): the tag, after ``device-id :`` if any."""

CiscoTag = tuple[str, str, str]
"""Product, level and message id of a ``%ASA-6-302013`` tag."""


def split_cisco_tag(text: str) -> tuple[CiscoTag, str] | None:
    """The tag and the message after it, when ``text`` starts with a Cisco tag; else None.

    >>> split_cisco_tag("%ASA-6-302013: Built outbound TCP connection 7")
    (('ASA', '6', '302013'), 'Built outbound TCP connection 7')
    """
    match = _TAG_RE.match(text)
    if match is None:
        return None
    return (match.group(1), match.group(2), match.group(3)), match.group(4)


def cisco_head(text: str) -> tuple[str | None, str] | None:
    """``(device-id or None, the tag and message)`` of a Cisco line with no timestamp; else None."""
    match = _HEAD_RE.match(text)
    if match is None:
        return None
    return match.group(1), text[match.end():]


def dated_time(year: int, month: int, day: int, clock: tuple[int, int, int, int], context: ParseContext) -> float:
    """A 3164-style date that carries its year (Cisco's ``logging timestamp``), read in ``context.default_timezone``."""
    try:
        moment = datetime(year, month, day, *clock, tzinfo=ZoneInfo(context.default_timezone))
    except ValueError as exc:
        raise ParseError(f"invalid syslog date: {exc}") from None
    return moment.timestamp()


def put_cisco_tag(fields: dict[str, Any], tag: CiscoTag, severities: tuple[str, ...]) -> None:
    """``event.code``, ``observer.vendor``/``.product`` and, without a PRI, the tag's severity."""
    product, level, message_id = tag
    fields["event.code"] = message_id
    fields["observer.vendor"] = "Cisco"
    fields["observer.product"] = product
    fields.setdefault("log.syslog.severity", severities[int(level)])


_IP = r"[0-9A-Fa-f.:]+"


def _end(side: str) -> str:
    """``IFACE:IP[/PORT]``, its groups named after ``side`` (``sif``, ``sip``, ``sport``)."""
    return rf"(?P<{side}if>[^\s:/]+):(?P<{side}ip>{_IP})(?:/(?P<{side}port>\d{{1,5}}))?"


def _mapped(side: str) -> str:
    """`` (MAPPED/PORT)`` after an end (groups ``{side}mip``, ``{side}mport``), and any ``(user)`` groups."""
    return rf"(?: ?\((?P<{side}mip>{_IP})/(?P<{side}mport>\d{{1,5}})\))?(?: ?\([^)]*\))*"


_BUILT_RE = re.compile(
    r"Built (?P<dir>inbound|outbound) (?P<proto>\S+) connection \d+ for "
    + _end("f") + _mapped("f") + " to " + _end("t") + _mapped("t")
)
_DENY_ACL_RE = re.compile(
    r"Deny (?P<proto>protocol \d+|\S+) src " + _end("s") + " dst " + _end("d")
    + r'.*? by access-group "(?P<acl>[^"]*)"'
)
_ACL_RE = re.compile(
    r"access-list (?P<acl>\S+) (?P<action>permitted|denied|est-allowed) (?P<proto>\S+) "
    rf"(?P<sif>[^\s/]+)/(?P<sip>{_IP})\((?P<sport>\d{{1,5}})\)(?: \([^)]*\))* -> "
    rf"(?P<dif>[^\s/]+)/(?P<dip>{_IP})\((?P<dport>\d{{1,5}})\)"
)
_DENY_FROM_RE = re.compile(
    r"(?:Deny (?:inbound )?|Inbound )(?P<proto>\S+)(?: \(no connection\)| connection denied)? "
    rf"from (?P<sip>{_IP})/(?P<sport>\d{{1,5}}) to (?P<dip>{_IP})/(?P<dport>\d{{1,5}})"
)
_URL_RE = re.compile(
    rf"(?:(?P<user>\S+)@)?(?P<sip>{_IP}) Accessed (?:JAVA )?URL (?P<dip>\d{{1,3}}(?:\.\d{{1,3}}){{3}}|{_IP}): ?(?P<url>\S+)"
)
_NAT_RE = re.compile(
    r"Built (?:dynamic|static) (?P<proto>\S+) translation from " + _end("s") + " to " + _end("t")
)


def asa_traffic(message_id: str, message: str) -> dict[str, Any]:
    """The normalised fields of the traffic an ASA message names; empty for other messages.

    Examples
    --------
    >>> fields = asa_traffic("302013", "Built outbound TCP connection 123 for outside:203.0.113.5/443 "
    ...                      "(203.0.113.5/443) to inside:10.1.2.3/51234 (198.51.100.7/51234)")
    >>> fields["source.ip"], fields["destination.ip"], fields["source.nat.ip"], fields["event.action"]
    ('10.1.2.3', '203.0.113.5', '198.51.100.7', 'connection-built')
    """
    reader = _READERS.get(message_id)
    if reader is None:
        return {}
    fields: dict[str, Any] = {}
    try:
        reader(message, fields)
    except ValueError:  # an address or a URL that does not read: the message stays text
        return {}
    if "source.ip" not in fields:
        return {}
    return fields


def _put_end(fields: dict[str, Any], side: str, groups: dict[str, str | None], group: str) -> None:
    """``side.ip``/``.port`` from the groups ``{group}ip``/``{group}port``, and ``side.nat.*`` from
    ``{group}mip``/``{group}mport`` when that mapped address differs."""
    ip = canonical_ip(groups[group + "ip"])
    fields[side + ".ip"] = ip
    port = groups.get(group + "port")
    if port is not None and int(port) <= 65535:
        fields[side + ".port"] = int(port)
    mapped_ip, mapped_port = groups.get(group + "mip"), groups.get(group + "mport")
    if mapped_ip is not None and mapped_port is not None and canonical_ip(mapped_ip) != ip:
        fields[side + ".nat.ip"] = canonical_ip(mapped_ip)
        fields[side + ".nat.port"] = int(mapped_port)


def _put_traffic(fields: dict[str, Any], match: re.Match[str], action: str, source: str = "s",
                 destination: str = "d") -> None:
    """The two ends (groups prefixed ``source`` and ``destination``), their interfaces, the protocol,
    the access list (``acl``) and ``action``."""
    groups = match.groupdict()
    _put_end(fields, "source", groups, source)
    _put_end(fields, "destination", groups, destination)
    if groups.get(source + "if"):
        fields["observer.ingress.interface.name"] = groups[source + "if"]
        fields["observer.egress.interface.name"] = groups[destination + "if"]
    proto = groups.get("proto")
    if proto and not proto.startswith("protocol"):  # "protocol 47" names a number, not a transport
        fields["network.transport"] = proto.lower()
    if groups.get("acl"):
        fields["rule.name"] = groups["acl"]
    fields["event.action"] = action


def _built(message: str, fields: dict[str, Any]) -> None:
    match = _BUILT_RE.match(message)
    if match is not None:
        # the initiator is the source: the "for" side of an inbound connection, the "to" side of an outbound one
        direction = match.group("dir")
        _put_traffic(fields, match, "connection-built", *(("f", "t") if direction == "inbound" else ("t", "f")))
        fields["network.direction"] = direction


def _plain(pattern: re.Pattern[str], action: str | None = None) -> Callable[[str, dict[str, Any]], None]:
    """The reader of a message whose ends ``pattern`` names: ``action``, else the pattern's ``action`` group."""
    def read(message: str, fields: dict[str, Any]) -> None:
        match = pattern.match(message)
        if match is not None:
            _put_traffic(fields, match, action or match.group("action"))

    return read


def _url_accessed(message: str, fields: dict[str, Any]) -> None:
    match = _URL_RE.match(message)
    if match is None:
        return
    _put_traffic(fields, match, "url-accessed")
    url = match.group("url")
    if url.startswith("/"):  # a path only: the server is the destination
        ip = fields["destination.ip"]
        fields["url.full"] = normalize_url(url, host=f"[{ip}]" if ":" in ip else ip)
    else:
        put_request(fields, url, {})
    user = match.group("user")
    if user:
        fields["user.name"] = normalize_user(None, user)


def _translation(message: str, fields: dict[str, Any]) -> None:
    match = _NAT_RE.match(message)
    if match is None:
        return
    groups = match.groupdict()
    _put_end(fields, "source", groups, "s")
    fields["source.nat.ip"] = canonical_ip(groups["tip"])  # the "to" side is the source's translation
    if groups["tport"] is not None:
        fields["source.nat.port"] = int(groups["tport"])
    fields["observer.ingress.interface.name"] = groups["sif"]
    fields["observer.egress.interface.name"] = groups["tif"]
    fields["network.transport"] = groups["proto"].lower()
    fields["event.action"] = "translation-built"


_READERS = {
    "302013": _built, "302015": _built,
    "106023": _plain(_DENY_ACL_RE, "deny"), "106100": _plain(_ACL_RE),
    **dict.fromkeys(("106001", "106006", "106007", "106015"), _plain(_DENY_FROM_RE, "deny")),
    "304001": _url_accessed,
    "305011": _translation,
}
"""Per message id, the reader of its traffic fields."""
