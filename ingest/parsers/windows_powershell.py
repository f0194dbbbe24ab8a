"""PowerShell events -> normalised fields: pipeline execution (4103) and script blocks (4104).

The mappers of :mod:`ingest.parsers.windows_events` for Windows PowerShell's
``Microsoft-Windows-PowerShell/Operational`` and PowerShell 7's
``PowerShellCore/Operational``, which write the same events.
"""

from __future__ import annotations

from ingest.parsers.windows_fields import (
    Data,
    Fields,
    Mapper,
    normalize_guid,
    parse_pid,
    put_decoded,
    put_file,
    put_user,
    user_name,
    value_of,
)

__all__ = ["MAPPERS"]

_CONTEXT_KEYS = frozenset(("Command Name", "Host Application", "User", "Script Name"))
"""The ``ContextInfo`` lines :func:`_powershell_4103` reads (of the sixteen or so it has)."""


def _context_info(text: str) -> dict[str, str]:
    """4103 ``ContextInfo``: the ``Key = value`` lines of :data:`_CONTEXT_KEYS` (the last of a key wins)."""
    result = {}
    for line in text.splitlines():
        key, sep, value = line.partition(" = ")
        if sep:
            key = key.strip()
            if key in _CONTEXT_KEYS:  # the other values are not stripped and kept for nothing
                result[key] = value.strip()
    return result


def _powershell_4103(data: Data, fields: Fields) -> str:
    context = _context_info(str(value_of(data, "ContextInfo") or ""))
    command = context.get("Command Name")
    if command:
        fields["powershell.command"] = command
    application = context.get("Host Application")
    if application:
        # Kept apart from process.command_line on purpose: it is written
        # differently from the Sysmon/4688 command line of the same process
        # (quotes, spacing), and would make a second process entity.
        fields["powershell.host_application"] = application
        put_decoded(fields, application)
    put_user(fields, user_name(None, context.get("User")))
    script = context.get("Script Name")
    if script:
        put_file(fields, script)
    payload = value_of(data, "Payload")
    if payload is not None:
        fields["powershell.payload"] = str(payload)
    return "powershell:pipeline"


def _powershell_4104(data: Data, fields: Fields) -> str:
    text = value_of(data, "ScriptBlockText")
    if text is not None:
        fields["powershell.script_block_text"] = str(text)
    block_id = value_of(data, "ScriptBlockId")
    if block_id is not None:
        fields["powershell.script_block_id"] = normalize_guid(block_id)
    for key, name in (("MessageNumber", "powershell.message_number"),
                      ("MessageTotal", "powershell.message_total")):
        number = parse_pid(data.get(key), key)
        if number is not None:
            fields[name] = number
    put_file(fields, value_of(data, "Path"))
    return "powershell:script_block"


MAPPERS: dict[int, Mapper] = {4103: _powershell_4103, 4104: _powershell_4104}
"""PowerShell event id -> mapper."""
