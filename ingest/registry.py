"""The default parser registry: every built-in format, in sniff order.

Order matters for auto-detection (the first parser whose ``sniff`` accepts a
record wins): the export wrappers first, Elasticsearch (a ``_source`` beside
``_index``/``_id``, or ``hits.hits``) and Splunk (``result`` beside
``preview``/``offset``, ``_raw`` beside ``_time``/``sourcetype``, or only HEC's
keys): keys no format's own record has at its top; their inner records go back
through the others.  Then the Windows shapes (distinctive keys), Microsoft
Defender for Endpoint advanced hunting rows (``category: AdvancedHunting-*``,
``Type: Device*``, or ``Timestamp`` + ``DeviceId`` + ``DeviceName`` +
``ActionType``: keys no other format has; before Zeek's and Suricata's
schemaless sniffs so a later loosening of those cannot take them), Zeek
(``_path``/``uid``), Suricata EVE (``event_type``), Windows event XML (text
starting ``<Event``), classic Windows event text (Splunk ``WinEventLog``: a
header time line, then ``LogName=``), syslog (text lines: ``<PRI>`` is digits, so it never
claims ``<Event``) and the generic ECS parser last.  To add a format, see
``docs/adding-a-format.md``.
"""

from __future__ import annotations

from ingest.parsers import (
    ecs,
    elasticsearch,
    mde,
    splunk,
    suricata,
    syslog,
    windows,
    windows_kv,
    windows_xml,
    zeek,
)
from ingest.parsers.base import ParserRegistry

WRAPPER_MODULES = (elasticsearch, splunk)
"""Export wrappers, first; each exposes ``parsers(registry) -> list[Parser]``."""

DEFAULT_MODULES = (windows, mde, zeek, suricata, windows_xml, windows_kv, syslog, ecs)
"""Parser modules in sniff order; each exposes ``parsers() -> list[Parser]``."""


def default_registry() -> ParserRegistry:
    """A new registry holding the built-in parsers (specific before generic).

    The export wrappers (:mod:`ingest.parsers.elasticsearch`,
    :mod:`ingest.parsers.splunk`) are registered first and read the records
    they unwrap with this same registry.

    Examples
    --------
    >>> default_registry().names[0], default_registry().names[-1]
    ('elasticsearch', 'ecs')
    """
    registry = ParserRegistry()
    for wrapper in WRAPPER_MODULES:
        for parser in wrapper.parsers(registry):
            registry.register(parser)
    for module in DEFAULT_MODULES:
        for parser in module.parsers():
            registry.register(parser)
    return registry
