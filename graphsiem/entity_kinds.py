"""What kind of thing an entity is when its type alone would mislead: a registry value kept as a file.

The projection keys a registry value a process set (Sysmon 13, a 4663 on a key) as a ``file`` entity by
its path (:meth:`ingest.projection_endpoint.EndpointRules._registry`, props ``registry: True``): the
relations and analytics read it as a written thing.  An analyst read ``file HKLM\\System\\...\\
fDenyTSConnections`` (review U2 #2).  :func:`entity_kind` names it ``registry`` for the API and page,
from the props when the store has them, else from the path's shape (a cluster stored with its members'
type, key and value only).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

REGISTRY = "registry"
"""The kind of a file entity that is a registry key or value."""
_REGISTRY_PATH = re.compile(
    r"^(?:\\registry\\|hkey_[a-z_]+(?:\\|$)|hk(?:lm|cu|cr|u|cc)(?::)?(?:\\|$))", re.IGNORECASE)
"""A registry path as Sysmon (``HKLM\\...``, ``HKU\\...``), the kernel (``\\REGISTRY\\MACHINE\\...``),
reg.exe or PowerShell (``HKEY_LOCAL_MACHINE\\...``, ``HKLM:\\...``) write it."""


def is_registry_path(value: str) -> bool:
    r"""Whether ``value`` is a registry path.

    Examples
    --------
    >>> is_registry_path(r"HKLM\System\CurrentControlSet\Control\Terminal Server\fDenyTSConnections")
    True
    >>> is_registry_path(r"\REGISTRY\MACHINE\SOFTWARE\x"), is_registry_path(r"HKEY_USERS\S-1-5-18\x")
    (True, True)
    >>> is_registry_path(r"C:\Windows\Temp\hklm\x.dll"), is_registry_path("hklmx.exe")
    (False, False)
    """
    return bool(_REGISTRY_PATH.match(str(value or "").strip()))


def entity_kind(entity_type: str, value: str, props: Mapping[str, Any] | None = None) -> str | None:
    """``"registry"`` for a file entity that is a registry key or value, else ``None``."""
    if entity_type != "file":
        return None
    if props and props.get("registry") is True:
        return REGISTRY
    return REGISTRY if is_registry_path(value) else None
