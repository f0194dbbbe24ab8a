"""The traffic an ECS record names and the device that saw it: network ends, DNS, URL, ``observer.*``.

Used by :mod:`ingest.parsers.ecs` (see its docstring, "Host"): the ends of a
flow (``source``/``destination``, with ECS's ``client``/``server`` roles),
``destination.domain``, the DNS question and its typed answers, the URL; and
whether the record is a device's view of other machines' traffic
(:func:`device_view`: a firewall, proxy or IDS record, whose ``host.name``
is the shipper, not a party), with the device as ``observer.*``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from ingest.normalize import canonical_ip, is_unset, normalize_domain, normalize_host, normalize_url
from ingest.parsers.ecs_endpoint import addresses
from ingest.parsers.sensor_fields import record_type

_SENSOR_AGENTS = frozenset(("zeek", "suricata", "snort", "squid", "netflow", "packetbeat"))
"""``event.module``, ``agent.type`` or ``event.dataset`` prefix of shippers of network-sensor
records that may carry no ``observer.*`` (Filebeat's zeek and suricata modules, Packetbeat)."""
_TRAFFIC = ("source.ip", "destination.ip", "client.ip", "server.ip", "url.full", "url.original",
            "dns.question.name")
"""Fields that name the traffic a record reports: without one a device's record is about the device."""
_ADDRESSES = ("source.ip", "destination.ip", "client.ip", "server.ip")
_OBSERVER_TEXT = ("observer.hostname", "observer.type", "observer.vendor", "observer.product")

NETWORK_KEYS = frozenset((
    *(f"{side}.ip" for side in ("source", "destination", "client", "server")),
    "destination.domain", "dns.question.name", "dns.question.type", "dns.answers", "dns.answers.data",
    "dns.answers.type", "dns.resolved_ip",
    "url.full", "url.original", "url.domain", "url.path",
    "observer.name", "observer.ip", *_OBSERVER_TEXT,
))
"""Flattened keys this module maps (the ECS parser keeps no ``ecs.<key>`` remainder of them)."""


def device_view(flat: dict[str, Any]) -> tuple[bool, bool]:
    """Whether a flattened ECS record is a device's view of other machines' traffic, and whether
    it has an ``observer.*`` field (one pass).

    A device view names no process (an endpoint agent's record names the
    process behind a connection: Elastic Defend, Sysmon via Winlogbeat,
    Auditbeat), comes from a device (an ``observer.*`` field: Filebeat's
    firewall, proxy and IDS modules; or a network-sensor shipper,
    :data:`_SENSOR_AGENTS`), names traffic (:data:`_TRAFFIC`), and the
    shipping host is neither end of it (``host.ip`` is not among the
    addresses: Packetbeat on an endpoint, a firewall's own connection).

    Returns
    -------
    tuple of bool
        ``(is a device view, has an observer.* field)``: the parser reads
        ``observer.*`` (:func:`read_observer`) when either is true.

    Examples
    --------
    >>> device_view({"host.name": "zeek-sensor01", "observer.type": "ids",
    ...              "source.ip": "10.0.0.5", "destination.ip": "198.51.100.7"})
    (True, True)
    >>> device_view({"host.name": "ws-1", "process.pid": 4, "observer.vendor": "crowdstrike",
    ...              "source.ip": "10.0.0.5", "destination.ip": "198.51.100.7"})
    (False, True)
    """
    has_observer = has_process = False
    for key in flat:
        first = key[:1]  # most keys start with neither letter: one comparison each
        if first == "o" and key.startswith("observer."):
            has_observer = True
        elif first == "p" and key.startswith("process."):
            has_process = True
    if has_process or (not has_observer and not _is_sensor_shipper(flat)):
        return False, has_observer
    if all(is_unset(flat.get(key)) for key in _TRAFFIC):
        return False, has_observer
    own = addresses(flat.get("host.ip"))
    return not own or own.isdisjoint(
        ip for key in _ADDRESSES for ip in addresses(flat.get(key))
    ), has_observer


def _is_sensor_shipper(flat: dict[str, Any]) -> bool:
    dataset = flat.get("event.dataset")
    names = (flat.get("event.module"), flat.get("agent.type"),
             dataset.split(".", 1)[0] if isinstance(dataset, str) else None)
    return any(isinstance(name, str) and name.lower() in _SENSOR_AGENTS for name in names)


def read_observer(flat: dict[str, Any], fields: dict[str, Any], shipper: str | None) -> None:
    """``observer.*``: the device; ``shipper`` (a device view's host.name) names it when it has no name."""
    for name in _OBSERVER_TEXT:
        value = _text(flat.get(name))
        if value:
            fields[name] = value
    written = _text(flat.get("observer.name")) or _text(flat.get("observer.hostname"))
    device = normalize_host(written) if written else shipper
    if device:
        fields["observer.name"] = device
    written_ips = flat.get("observer.ip")  # not `addresses`: that is the ECS IP field reader
    for value in written_ips if isinstance(written_ips, list) else [written_ips]:
        ip = canonical_ip(_text(value), strict=False)
        if ip:
            fields["observer.ip"] = ip  # ECS allows a list: the first valid address
            break


def _text(value: Any) -> str | None:
    return None if is_unset(value) else str(value)


def read_network(flat: dict[str, Any], fields: dict[str, Any]) -> None:
    """The flow's ends and roles, ``destination.domain``, the DNS question and answers, the URL, into ``fields``.

    An IP is canonical (a bad ``source.ip``/``destination.ip`` rejects the
    record; a bad ``client.ip``/``server.ip`` is left out), a domain
    normalised, a URL normalised when it can be (else kept as
    ``url.original``).
    """
    for side, peer in (("source", "client"), ("destination", "server")):
        ip = canonical_ip(_text(flat.get(side + ".ip")))
        # lenient: the roles only add to the ends, so a bad one ("unknown") must not reject
        # the record, as a bad source.ip or destination.ip does
        peer_ip = canonical_ip(_text(flat.get(peer + ".ip")), strict=False)
        if peer_ip:
            # ECS client/server name the flow's roles whichever way the record points;
            # the sensor rule reads client.ip (docs/fields.md); alone they stand for the ends
            fields[peer + ".ip"] = peer_ip
        if ip or peer_ip:
            fields[side + ".ip"] = ip or peer_ip
    domain = normalize_domain(_text(flat.get("destination.domain")))
    if domain:
        fields["destination.domain"] = domain
    question = normalize_domain(_text(flat.get("dns.question.name")))
    if question:
        fields["dns.question.name"] = question
        _dns_answers(flat, fields)
    url = _text(flat.get("url.full")) or _text(flat.get("url.original"))
    url_domain = normalize_domain(_text(flat.get("url.domain")))
    if url:
        try:
            full = normalize_url(url, host=url_domain)
        except ValueError:
            # a URL without a host, or with a bad host or port: kept as written, not fixed up
            fields["url.original"] = url
        else:
            fields["url.full"] = full
            # normalize_url wrote the host as normalize_domain does, or as an IP
            url_domain = url_domain or normalize_domain(urlsplit(full).hostname)
    if url_domain:
        fields["url.domain"] = url_domain
    path = _text(flat.get("url.path"))
    if path:
        fields["url.path"] = path


def _dns_answers(flat: dict[str, Any], fields: dict[str, Any]) -> None:
    """``dns.question.type``, ``dns.answers`` and, parallel to them, ``dns.answer_types``.

    The types are what tells the projection which name answers are CNAMEs (an
    MX or NS target is no alias of the question): each ``dns.answers`` object's
    ``type``, or a dotted ``dns.answers.type`` list as long as the
    ``dns.answers.data`` one (an export's ``fields``).  An answer without a type
    is None in the list (no list when none has one); the projection reads it by
    the question's type, else by the rule for answers without types
    (``ingest.projection_names._cname_flags``, the same for every source).
    """
    qtype = record_type(flat.get("dns.question.type"))
    if qtype:
        fields["dns.question.type"] = qtype
    answers, types = _answers(flat.get("dns.answers", flat.get("dns.answers.data")), flat.get("dns.answers.type"))
    if not answers:
        # answers without data (type and TTL only) say nothing: the resolved addresses do
        answers, types = _answers(flat.get("dns.resolved_ip"), None)
    if answers:
        fields["dns.answers"] = answers
        if any(types):  # else each answer takes the question's type, or the rule for no types
            fields["dns.answer_types"] = types


def _answers(value: Any, dotted_types: Any) -> tuple[list[str], list[str | None]]:
    """DNS answers (``dns.answers`` objects' ``data``, or plain values) and each one's record type.

    IPs canonical, unset ones left out with their types; a type is None where
    the record gives none.
    """
    values = value if isinstance(value, list) else [value]
    if not isinstance(dotted_types, list):
        dotted_types = [dotted_types]
    if len(dotted_types) != len(values):
        dotted_types = [None] * len(values)  # not parallel to the data: which type is whose is unknown
    answers: list[str] = []
    types: list[str | None] = []
    for answer, dotted_type in zip(values, dotted_types, strict=True):
        data = answer.get("data") if isinstance(answer, dict) else answer
        if is_unset(data) or isinstance(data, dict | list):
            continue
        text = str(data)
        answers.append(canonical_ip(text, strict=False) or text)
        types.append(record_type(answer.get("type") if isinstance(answer, dict) else dotted_type))
    return answers, types


