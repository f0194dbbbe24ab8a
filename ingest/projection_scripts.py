"""PowerShell script blocks (4104) and pipeline execution (4103) on endpoints, and a long block's parts joined.

:class:`ScriptRules` is a base of :class:`ingest.projection_endpoint.EndpointRules`: a
block is a script executed by its process (joined by pid) or its host; a block logged in
parts (``MessageNumber`` of ``MessageTotal``) also adds the whole text once its last part
arrives.  The parts wait in the join state (``_script_parts``), bounded below.  A 4103
(module logging: one command the pipeline ran, with its parameter bindings) is the same
evidence: its ``Payload`` is a script its PowerShell process executed, run as its account.
"""

from __future__ import annotations

from graphsiem.model import EntityKey
from ingest.projection_accumulator import EventContext, R
from ingest.projection_entities import EntityBuilders, script_entity
from ingest.projection_processes import PROCESS_FIELDS

_SCRIPT_PARTS_LIMIT = 256
"""Parts a 4104 block may have to be joined (~32 KB each: 8 MB of script); longer ones are not."""
_SCRIPT_JOIN_CHARS = 4_000_000
"""Characters of parts one block may hold while it waits for the rest."""
_SCRIPT_BLOCKS_LIMIT = 1024
"""Blocks waiting for parts (one fleet-wide script logged in parts waits on every host at once)."""
_SCRIPT_WAITING_CHARS = 16_000_000
"""Characters of parts all waiting blocks may hold together (the join state is saved between calls)."""


class ScriptRules(EntityBuilders):
    """The script-block rule of :class:`ingest.projection.Projector` (a mixin: its ``__init__`` makes the state)."""

    _script_parts: dict[tuple[str, str], tuple[int, tuple[tuple[int, str], ...]]]

    def _script_block(self, ctx: EventContext) -> None:
        fields = ctx.fields
        text = fields.get("powershell.script_block_text")
        if not text:
            return
        text = str(text)
        script = script_entity(ctx.acc, text)
        pid = fields.get("process.pid")
        process = None
        if pid is not None:
            process = self._pid_holder(ctx.hosts[0], pid, ctx.ts)
        if process is None:
            process = self._process(ctx, PROCESS_FIELDS)
        ctx.rel(ctx.host, R.RAN, process)
        runner = process if process is not None else ctx.host
        ctx.rel(runner, R.EXECUTED, script)
        total = fields.get("powershell.message_total")
        if isinstance(total, int) and 1 < total <= _SCRIPT_PARTS_LIMIT:
            ctx.rel(runner, R.EXECUTED, self._script_part(ctx, text, total))

    def _pipeline(self, ctx: EventContext) -> None:
        """PowerShell 4103: ``process EXECUTED script`` of the invocation, ``process RUN_AS user``.

        Module logging writes one event per command a pipeline ran (``CommandInvocation(New-Object)``
        and its ``ParameterBinding`` lines, the ``Payload``): where script-block logging is off it is
        the only record of what a PowerShell session did (87 of the OTRF Empire launcher's records).
        The payload is keyed as a 4104 block's text, so the same invocation on many hosts is one
        script.  The runner is the PowerShell process that wrote the event (its pid, joined as a
        4104's), else the host.  The ``Host Application`` command line is not made a process: it is
        written differently from the Sysmon/4688 line of the same process and would be a second node.
        The account (``ContextInfo``'s ``User``) is the process's.  An MDE ``PowerShellCommand`` row names
        the command alone (``New-Object``) and its process fully: that name is the script.
        """
        fields = ctx.fields
        # MDE's PowerShellCommand row gives the command's name alone (``AdditionalFields.Command``)
        payload = fields.get("powershell.payload") or fields.get("powershell.command")
        process = None
        pid = fields.get("process.pid")
        if pid is not None:
            process = self._pid_holder(ctx.hosts[0], pid, ctx.ts)
        if process is None:
            process = self._process(ctx, PROCESS_FIELDS)  # MDE names its PowerShell host process
        ctx.rel(ctx.host, R.RAN, process)
        user = self._user(ctx)
        if process is not None:
            ctx.rel(process, R.RUN_AS, user)
        else:
            ctx.touch(user)
        ctx.touch(self._file(ctx))  # the script file it ran from (``Script Name``), sighted as before
        text = str(payload).strip() if payload else ""
        if text:
            ctx.rel(process if process is not None else ctx.host, R.EXECUTED, script_entity(ctx.acc, text))

    def _script_part(self, ctx: EventContext, text: str, total: int) -> EntityKey | None:
        """The whole script once ``text``, one of its ``total`` parts, completes it; else None.

        PowerShell logs a long block as parts of ~32 KB (4104 ``MessageNumber`` of
        ``MessageTotal``, one ``ScriptBlockId``), cut anywhere: each part stays a script of its
        own (a lost part loses no other), and the part that completes the block adds the whole
        text as one more, so text across a cut is found and the same long script on many hosts
        is one node.  The parts wait in the join state (saved between calls), by host and block
        id, immutable so that forks share them.
        """
        fields = ctx.fields
        block_id = fields.get("powershell.script_block_id")
        number = fields.get("powershell.message_number")
        if not block_id or not isinstance(number, int) or not 1 <= number <= total:
            return None
        key = (ctx.hosts[0], str(block_id))
        waiting = self._script_parts
        known = waiting.pop(key, None)
        if known is None and number != 1 and len(waiting) >= _SCRIPT_BLOCKS_LIMIT:
            # a later part of a block that is not waiting (read before its first, or its first
            # was dropped when the state was full) may wait for nothing: when full it does not
            # push out a block that can still complete (dropping those emptied the state of a
            # fleet's parts read by part number, so nothing above the limit joined)
            return None
        parts = dict(known[1]) if known is not None and known[0] == total else {}
        parts[number] = text
        if len(parts) < total:
            if sum(map(len, parts.values())) <= _SCRIPT_JOIN_CHARS:
                waiting[key] = (total, tuple(sorted(parts.items())))  # re-inserted: the last touched
                self._bound_script_parts()
            # else too long to hold: its parts stay scripts of their own
            return None
        return script_entity(ctx.acc, "".join(parts[n] for n in range(1, total + 1)), total)

    def _bound_script_parts(self) -> None:
        """Drop the blocks touched longest ago until the waiting parts fit both bounds.

        One block at a time, so a state that overflows still joins what it holds (dropping
        half at once, with a fleet's parts arriving by part number, joined nothing above the
        limit).  The sum is taken over the few blocks that wait: 4104 parts are rare events.
        """
        waiting = self._script_parts
        chars = sum(len(text) for _, items in waiting.values() for _, text in items)
        while waiting and (len(waiting) > _SCRIPT_BLOCKS_LIMIT or chars > _SCRIPT_WAITING_CHARS):
            _, items = waiting.pop(next(iter(waiting)))  # dicts keep insertion order: the oldest
            chars -= sum(len(text) for _, text in items)
