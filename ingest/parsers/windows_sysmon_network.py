"""Sysmon network events -> normalised fields: connections (3) and DNS queries (22).

The mappers of :mod:`ingest.parsers.windows_events` for Sysmon 3, with the rule
that tells which end of a connection is the event's own host
(:func:`_local_side`, ``host.ip`` for the IP map), and Sysmon 22.
"""

from __future__ import annotations

from functools import lru_cache

from ingest.normalize import can_be_a_host, canonical_ip, is_internal, normalize_host
from ingest.parsers.sensor_fields import domain_or_none, record_type
from ingest.parsers.windows_fields import (
    Data,
    Fields,
    Mapper,
    put_ip,
    put_port,
    value_of,
)
from ingest.parsers.windows_sysmon import sysmon_process

__all__ = ["EPHEMERAL_PORTS", "MAPPERS"]


def _sysmon_3(data: Data, fields: Fields) -> str:
    sysmon_process(fields, data)
    protocol = value_of(data, "Protocol")
    if protocol is not None:
        fields["network.transport"] = str(protocol).lower()
    put_ip(fields, "source.ip", value_of(data, "SourceIp"))
    put_port(fields, "source.port", value_of(data, "SourcePort"))
    put_ip(fields, "destination.ip", value_of(data, "DestinationIp"))
    put_port(fields, "destination.port", value_of(data, "DestinationPort"))
    for name_field, ptr_field in _PTR_FIELDS:
        hostname = value_of(data, name_field)
        if hostname is not None:
            # A reverse (PTR) lookup of the address, whose owner writes it: it is
            # no name the host asked for, so it is not destination.domain.
            ptr = domain_or_none(str(hostname))
            if ptr is not None:
                fields[ptr_field] = ptr
    initiated = value_of(data, "Initiated")
    if initiated is not None:
        initiated = str(initiated).lower() in ("true", "1")
        fields["network.direction"] = "outbound" if initiated else "inbound"
    local = _local_side(data, fields, initiated)
    if local is not None and can_be_a_host(local):
        fields["host.ip"] = local
    else:
        # said, so that the IP map tells "not told" from an event journaled before
        # this rule (no host.ip either), for which it keeps the rule of then
        fields["host.ip_unknown"] = True
    return "sysmon:network_connect"


_PTR_FIELDS = (("SourceHostname", "source.ptr"), ("DestinationHostname", "destination.ptr"))

EPHEMERAL_PORTS = 49152
"""First port of the dynamic range (IANA, Windows since Vista): a port below it is taken to listen."""


def _local_side(data: Data, fields: Fields, initiated: bool | None) -> str | None:
    """The address of the event's own host in a Sysmon 3 connection, or ``None`` when it cannot be told.

    Sysmon writes the two ends as it found them in the socket, not as client
    and server: for a connection it did not initiate, the local end is
    ``Source`` in some events and ``Destination`` in others.  The rule (``docs/fields.md``):

    1. the one side whose ``SourceHostname``/``DestinationHostname`` names the
       event's computer (short names equal, and the domains too when both
       are written), unless rule 2 picks the other side;
    2. else, for ``Initiated`` true, the source; for false, the side whose port
       is below :data:`EPHEMERAL_PORTS` while the other's is not (the
       listening end); when both sides name the computer, the address they
       share if rule 2 picks none;
    3. else none.
    """
    source_ip = fields.get("source.ip")
    destination_ip = fields.get("destination.ip")
    by_role = None
    if initiated:
        by_role = source_ip
    elif initiated is not None:
        source_port, destination_port = fields.get("source.port"), fields.get("destination.port")
        if source_port is not None and destination_port is not None:
            if source_port < EPHEMERAL_PORTS <= destination_port:
                by_role = source_ip
            elif destination_port < EPHEMERAL_PORTS <= source_port:
                by_role = destination_ip
    computer = fields.get("host.name.original")
    source_named = _names_computer(value_of(data, "SourceHostname"), computer)
    destination_named = _names_computer(value_of(data, "DestinationHostname"), computer)
    if source_named != destination_named:
        named = source_ip if source_named else destination_ip
        # The remote end's name is a PTR record its owner writes: a name that
        # contradicts the connection's own roles proves nothing either way, and
        # alone it is taken only for an internal address (an outside one naming
        # our computer is a crafted PTR that would map the attacker's IP to us)
        if by_role is not None:
            return named if by_role == named else None
        return named if is_internal(named) else None
    if by_role is None and source_named and source_ip == destination_ip:
        return source_ip  # a loopback or self connection, both ends named
    return by_role


def _names_computer(hostname: object, computer: object) -> bool:
    """Whether a Sysmon 3 host name is the event's computer: short names equal, domains too when both have one."""
    if hostname is None or not computer:
        return False
    return _is_computer_name(str(hostname), str(computer))


@lru_cache(maxsize=4096)  # a host's connections repeat the same few (name, computer) pairs
def _is_computer_name(hostname: str, computer: str) -> bool:
    name, computer = hostname.strip().rstrip("."), computer.strip().rstrip(".")
    short = normalize_host(name)
    if short is None or short != normalize_host(computer) or canonical_ip(short, strict=False) is not None:
        return False
    _, _, domain = name.partition(".")
    _, _, computer_domain = computer.partition(".")
    # "HR001.evil.example" (a PTR the remote end wrote) is not HR001.shire.com
    return not (domain and computer_domain) or domain.lower() == computer_domain.lower()


def _dns_answers(value: str) -> tuple[list[str], list[str | None]]:
    """Sysmon ``QueryResults`` -> its answers (names, canonical IPs) and each one's record type.

    A name is written with its record type's number (``type:  5 cdn.example``
    for a CNAME, ``type:  15 mx1.example.net`` for an MX), an address bare
    (``::ffff:192.0.2.25``, ``2001:db8::1``): its type is ``A`` or ``AAAA`` by
    its form.  The types tell the projection which names are CNAMEs: an MX
    target and its addresses are not the question's.  A number is named as
    the ECS parser names it (``5`` -> ``CNAME``, ``99`` -> ``TYPE99``).

    >>> _dns_answers("type:  15 mx1.example.net;::ffff:192.0.2.25;2001:db8::25;")
    (['mx1.example.net', '192.0.2.25', '2001:db8::25'], ['MX', 'A', 'AAAA'])
    """
    answers: list[str] = []
    types: list[str | None] = []
    for part in value.split(";"):
        part = part.strip()
        if not part:
            continue
        if part.startswith("type:"):
            # "type:  5 alias.example" -> the name after the record type number
            pieces = part[5:].split(None, 1)
            if len(pieces) == 2:
                answers.append(pieces[1].strip().rstrip(".").lower())
                types.append(record_type(pieces[0]))
            continue
        ip = canonical_ip(part, strict=False)
        answers.append(ip or part)
        # anything else bare is no form Sysmon writes: its type is not known
        types.append(None if ip is None else "AAAA" if ":" in ip else "A")
    return answers, types


def _sysmon_22(data: Data, fields: Fields) -> str:
    sysmon_process(fields, data)
    name = value_of(data, "QueryName")
    if name is not None:
        domain = domain_or_none(str(name)) or str(name).strip().rstrip(".").lower()
        if domain:
            fields["dns.question.name"] = domain
    status = value_of(data, "QueryStatus")
    if status is not None:
        fields["dns.rcode"] = str(status)
    results = value_of(data, "QueryResults")
    if results is not None:
        answers, types = _dns_answers(str(results))
        fields["dns.answers"] = answers
        if any(types):  # as the ECS parser: none known leaves the projection's rule for untyped answers
            fields["dns.answer_types"] = types
    return "sysmon:dns_query"


MAPPERS: dict[int, Mapper] = {3: _sysmon_3, 22: _sysmon_22}
"""Sysmon event id -> mapper, for the events of this module."""
