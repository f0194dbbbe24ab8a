"""The default parser registry: every built-in format, in sniff order.

Order matters for auto-detection (the first parser whose ``sniff`` accepts a
record wins): the Windows shapes (distinctive keys) first, then Zeek
(``_path``/``uid``), Suricata EVE (``event_type``), syslog (text lines) and
the generic ECS parser last.  To add a format, see ``docs/adding-a-format.md``.
"""

from __future__ import annotations

from ingest.parsers import ecs, suricata, windows, zeek
from ingest.parsers.base import ParserRegistry

try:  # TEMPORARY during parallel development: a plain import by 14:30
    from ingest.parsers import syslog
except ImportError:  # pragma: no cover
    syslog = None  # type: ignore[assignment]


def default_registry() -> ParserRegistry:
    """A new registry holding the built-in parsers (specific before generic).

    Examples
    --------
    >>> default_registry().names[-1]
    'ecs'
    """
    registry = ParserRegistry()
    modules = [windows, zeek, suricata]
    if syslog is not None:
        modules.append(syslog)
    modules.append(ecs)
    for module in modules:
        for parser in module.parsers():
            registry.register(parser)
    return registry
