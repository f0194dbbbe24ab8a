"""The default parser registry: every built-in format, in sniff order.

Order matters for auto-detection (the first parser whose ``sniff`` accepts a
record wins): the Windows shapes (distinctive keys) first, then Zeek
(``_path``/``uid``), Suricata EVE (``event_type``), syslog (text lines) and
the generic ECS parser last.  To add a format, see ``docs/adding-a-format.md``.
"""

from __future__ import annotations

from ingest.parsers import ecs, suricata, syslog, windows, zeek
from ingest.parsers.base import ParserRegistry

DEFAULT_MODULES = (windows, zeek, suricata, syslog, ecs)
"""Parser modules in sniff order; each exposes ``parsers() -> list[Parser]``."""


def default_registry() -> ParserRegistry:
    """A new registry holding the built-in parsers (specific before generic).

    Examples
    --------
    >>> default_registry().names[-1]
    'ecs'
    """
    registry = ParserRegistry()
    for module in DEFAULT_MODULES:
        for parser in module.parsers():
            registry.register(parser)
    return registry
