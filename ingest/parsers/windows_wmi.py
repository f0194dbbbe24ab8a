"""WMI permanent event subscriptions (Sysmon 20): the command a consumer will run.

A ``CommandLineEventConsumer`` bound to a filter runs its command each time the filter
fires, as ``LocalSystem``, started by the WMI provider host: it is persistence, like a
service or a scheduled task.  Sysmon 20 names it (``Type`` ``Command Line``,
``Destination`` its command line); this module reads that command as the ``process.*``
fields a Sysmon 1 of its run would give, expanded and qualified as a service's command is
(:func:`ingest.parsers.windows_persistence.command_line_of`), so the projection keys the
consumer's command and its later run as one process node (``host INSTALLED process``).

Sysmon writes a consumer's properties as WMI writes a string in MOF: in double quotes, with
each backslash and quote escaped (``"C:\\\\Windows\\\\evil.exe \\"x\\""``).  :func:`mof_text`
reads that back; a value without the quotes (another collector's rendering) is taken as it
is.  An ``ActiveScriptEventConsumer`` (``Type`` ``Script``) runs script text in the script
host: it is no command line; its text read back from the quoting is
``wmi.consumer.destination_decoded`` (the projection makes it a script entity, searchable by
the paths it names as they are written: ``C:\\Users``, not ``C:\\\\Users``), and
``wmi.consumer.destination`` keeps the text as the event gave it.
"""

from __future__ import annotations

import re

from ingest.parsers.task_definitions import NAME_CHARS
from ingest.parsers.windows_fields import Fields, basename, put_decoded
from ingest.parsers.windows_persistence import command_line_of

__all__ = ["CONSUMER_NAME_CHARS", "consumer_name", "is_command_line_consumer", "mof_text", "put_consumer_command"]

CONSUMER_NAME_CHARS = NAME_CHARS
"""Characters kept of a consumer's name (as of a service's or task's)."""


def mof_text(value: str) -> str:
    r"""``value`` without the MOF string quoting Sysmon 19-21 write WMI properties in.

    Only a value wholly in double quotes is read as MOF: its ``\\`` and ``\"`` escapes are
    undone; any other value is returned stripped, as it is.

    Examples
    --------
    >>> print(mof_text(' "C:\\\\Windows\\\\System32\\\\cmd.exe /c \\"echo hi\\""'))
    C:\Windows\System32\cmd.exe /c "echo hi"
    >>> print(mof_text("C:\\Windows\\System32\\notepad.exe"))
    C:\Windows\System32\notepad.exe
    """
    text = value.strip()
    if len(text) < 2 or text[0] != '"' or text[-1] != '"':
        return text
    return _MOF_ESCAPE.sub(r"\1", text[1:-1])


_MOF_ESCAPE = re.compile(r'\\([\\"])')
"""An escaped backslash or quote in a MOF string."""


def is_command_line_consumer(fields: Fields) -> bool:
    """Whether the Sysmon 20 of ``fields`` is a ``CommandLineEventConsumer`` (``Type`` ``Command Line``).

    A consumer without a type is read as one when its destination is given: Sysmon writes the type
    of every consumer, and a collector that dropped it dropped the script consumer's too.
    """
    kind = str(fields.get("wmi.consumer.type") or "").strip().lower()
    return kind in ("command line", "commandline", "")


def consumer_name(fields: Fields) -> str | None:
    """The consumer's name (``wmi.consumer.name``) unquoted and bounded, or None."""
    name = fields.get("wmi.consumer.name")
    if not isinstance(name, str):
        return None
    text = mof_text(name)
    return text[:CONSUMER_NAME_CHARS] if text else None


def put_consumer_command(fields: Fields) -> None:
    """The fields of what a consumer (``wmi.consumer.destination``) runs.

    A command-line consumer: the ``process.*`` fields, its image and command line as
    :func:`~ingest.parsers.windows_persistence.command_line_of` reads a service's ``ImagePath``
    (the consumer's ``CommandLineTemplate`` is passed to ``CreateProcess`` as a service's is),
    and its PowerShell payload decoded.  A script consumer: its script text read back from the
    MOF quoting (:func:`mof_text`), as ``wmi.consumer.destination_decoded``, the destination
    kept as given.  Nothing for an empty destination.
    """
    destination = fields.get("wmi.consumer.destination")
    if not isinstance(destination, str):
        return
    if not is_command_line_consumer(fields):
        # the script host runs the unquoted text: a search for the path it runs must find it
        script = mof_text(destination)
        if script:
            fields["wmi.consumer.destination_decoded"] = script
        return
    command = mof_text(destination)
    if not command:
        return
    executable, line = command_line_of(command)
    if not executable:
        return
    fields["process.executable"] = executable
    fields["process.name"] = basename(executable)
    fields["process.command_line"] = line
    put_decoded(fields, line)
