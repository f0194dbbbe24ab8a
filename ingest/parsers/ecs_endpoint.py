"""Endpoint ECS records that stand for a Sysmon observation: their kind and the host's own end.

Used by :mod:`ingest.parsers.ecs` (see its docstring, "Kinds"): the projection
and the IP -> host map key their rules on the kind, so an ECS library load,
registry write or connection of a known host takes the Sysmon kind of that
observation, with its fields in the shape the Windows parser gives Sysmon's.
"""

from __future__ import annotations

from typing import Any

from ingest.normalize import can_be_a_host, canonical_ip, is_unset

GENERIC_KIND = "ecs:event"
"""The kind of every other ECS record."""


def addresses(value: Any) -> set[str]:
    """The valid addresses of an ECS IP field (a string or a list of them)."""
    values = value if isinstance(value, list) else [value]
    return {ip for ip in (canonical_ip(str(v), strict=False) for v in values if not is_unset(v)) if ip}


_HIVES = (
    ("HKEY_LOCAL_MACHINE\\", "HKLM\\"), ("HKEY_USERS\\", "HKU\\"), ("HKEY_CURRENT_USER\\", "HKCU\\"),
    ("HKEY_CLASSES_ROOT\\", "HKCR\\"), ("HKEY_CURRENT_CONFIG\\", "HKCC\\"),
    ("\\REGISTRY\\MACHINE\\", "HKLM\\"), ("\\REGISTRY\\USER\\", "HKU\\"),
)
"""Hive spellings -> Sysmon's abbreviations, so that a key is one entity whichever agent wrote it."""


def registry_path(path: str) -> str:
    r"""A registry path with its hive written as Sysmon writes it (``HKLM\...``, ``HKU\...``).

    >>> registry_path("HKEY_USERS\\S-1-5-21-1\\Software\\Run\\x")
    'HKU\\S-1-5-21-1\\Software\\Run\\x'
    """
    upper = path[:20].upper()
    for long, short in _HIVES:
        if upper.startswith(long):
            return short + path[len(long):]
    return path


def _categories(flat: dict[str, Any]) -> tuple[str, ...]:
    category = flat.get("event.category")
    if isinstance(category, str):
        return (category.lower(),)
    if isinstance(category, list):
        return tuple(str(item).lower() for item in category)
    return ()


_DIRECTIONS = {"ingress": "inbound", "egress": "outbound", "inbound": "inbound", "outbound": "outbound"}
"""ECS ``network.direction`` of an endpoint record (the host's point of view) as Sysmon 3's words."""


def endpoint_kind(flat: dict[str, Any], fields: dict[str, Any]) -> str:
    """The kind of an endpoint record (module docstring): a Sysmon kind for the observations it stands for."""
    if "registry.path" in fields:
        return "sysmon:registry_set" if "registry.value" in fields else "sysmon:registry_event"
    if "dll.path" in flat or "dll.name" in flat or "library" in _categories(flat):
        if "file.path" in fields or "file.name" in fields:
            return "sysmon:image_load"
        return GENERIC_KIND
    if (
        "source.ip" in fields and "destination.ip" in fields and "network" in _categories(flat)
        and "dns.question.name" not in fields and "url.full" not in fields and "url.original" not in fields
    ):
        _own_end(flat, fields)
        return "sysmon:network_connect"
    return GENERIC_KIND


def _own_end(flat: dict[str, Any], fields: dict[str, Any]) -> None:
    """``host.ip``: the host's own end of an endpoint connection, as the Windows parser names Sysmon 3's.

    The side among the host's own addresses (``host.ip`` of the record), when
    only one is; else the direction's (the source of an outbound connection,
    the destination of an inbound one).  A group, broadcast or unspecified
    address is never the host's; when no side is, ``host.ip_unknown``.
    """
    source, destination = fields["source.ip"], fields["destination.ip"]
    direction = _DIRECTIONS.get(str(flat.get("network.direction", "")).lower())
    if direction:
        fields["network.direction"] = direction
    own = addresses(flat.get("host.ip"))
    if (source in own) != (destination in own):
        local = source if source in own else destination
    elif direction:
        local = source if direction == "outbound" else destination
    else:
        local = None
    if local is not None and can_be_a_host(local):
        fields["host.ip"] = local
    else:
        fields["host.ip_unknown"] = True


