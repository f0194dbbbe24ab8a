"""A templated WMI consumer's runs related to the command it installed (red team T12, finding 3).

A command-line consumer whose template holds WMI tokens (``svcw.exe /silent
%TargetInstance.ProcessId%``) is ``host INSTALLED process`` as written, and each run is its own
process (``svcw.exe /silent 4242``): WMI fills the token when it starts it.  A process creation whose
parent is the WMI provider host (or the script consumer host), of the image of an installed
template, with a command line that fills it (:mod:`ingest.wmi_templates`), is also ``host RAN`` the
installed command, its evidence the run's event: the installed node then says it ran, where, when.
The run keeps its own node (its children and connections are its own); other processes' keys are
untouched.

A template whose executable's path holds a token (``C:\\P\\%TargetInstance.Name%.exe``) is kept under
:data:`TOKEN_IN_PATH`, not an image, and every WMI run is also matched against those (at most
:data:`TEMPLATES_PER_IMAGE`): its run's image is the token filled.

The templates are a join of the projector (``_wmi_templates``: image -> templates, fleet-wide, saved
with its state), so a run in a later ingest call than its consumer is related as in one replay.
The order the two events are journaled in does not matter either (task BEH3): a collector may send
the payload's Sysmon 1 before the 5861 or Sysmon 20 of its consumer (two channels, two files).  Every
WMI run is remembered too (``_wmi_runs``: image -> its latest :data:`RUNS_PER_IMAGE` runs, each with
its hosts, times and event id, also saved with the state), and a consumer's template, when it is
remembered, relates the runs that came before it exactly as it relates those after: ``host RAN``
dated and evidenced by the run's event, the installed command sighted on the run's hosts at the
run's time.  No time order is required of a run and its consumer, whichever came first in the journal
(neither was before: hosts' clocks differ, and one ingest order must give the graph the other does).
"""

from __future__ import annotations

from graphsiem.model import EntityKey
from ingest.image_paths import image_identity
from ingest.projection_accumulator import HOST, EventContext, R
from ingest.projection_entities import EntityBuilders
from ingest.projection_processes import PARENT_FIELDS, PROCESS_FIELDS
from ingest.wmi_templates import fills, holds_token, is_wmi_runner, template_pieces

WmiTemplates = tuple[tuple[tuple[str, ...], EntityKey], ...]
"""Of one image: each installed template's pieces and the installed command's key."""
TEMPLATES_PER_IMAGE = 8
"""Templates kept of one image (one implant installed with a few argument shapes; a ninth is not kept)."""
_TEMPLATE_IMAGES = 4096
"""Images whose templates the join state remembers (the older half goes past this)."""
WmiRun = tuple[str, str, tuple[str, ...], float, float, str]
"""A WMI run waiting for its consumer: its command line, host, hosts, sighting time, time and event id."""
RUNS_PER_IMAGE = 8
"""Runs of one image remembered for a consumer journaled after them (the latest; an image WMI runs all day,
a management agent's, keeps its last few: a payload is related when its consumer comes soon after)."""
_RUN_IMAGES = 256
"""Images whose WMI runs the join state remembers (the older half goes past this)."""
RUN_COMMAND_CHARS = 8192
"""A WMI run's command line longer than this is not remembered: the join state is saved every call, and
256 images x 8 runs of Windows' 32,767-character command lines would be 64 MB of it (at most 16 MB so)."""
TOKEN_IN_PATH = "<token in its path>"
"""The image the templates whose executable's path holds a token are kept under (``C:\\P\\%TargetInstance.Name%.exe``
runs as any name in that folder; ``<`` and ``>`` are in no Windows path, so no real image is this)."""


class WmiRunRules(EntityBuilders):
    """Remembering templated consumers' commands, and relating their runs (a mixin of the projector)."""

    _wmi_templates: dict[str, WmiTemplates]
    _wmi_runs: dict[str, tuple[WmiRun, ...]]

    def _remember_wmi_template(self, ctx: EventContext, installed: EntityKey) -> None:
        """Remember the command a consumer installed (``installed``, of the event's ``process.*``) when its
        template holds WMI tokens."""
        fields = ctx.fields
        pieces = template_pieces(str(fields.get(PROCESS_FIELDS[1]) or ""))
        executable = fields.get(PROCESS_FIELDS[0])
        if pieces is None or not executable:
            return
        # a token in the path: each run is another image, so looked for whatever image a run has
        image = TOKEN_IN_PATH if holds_token(str(executable)) else image_identity(str(executable))
        known = self._wmi_templates.get(image, ())
        if len(known) >= TEMPLATES_PER_IMAGE or any(template == (pieces, installed) for template in known):
            return
        self._remember(self._wmi_templates, image, (*known, (pieces, installed)), _TEMPLATE_IMAGES)
        self._relate_earlier_runs(ctx, image, pieces, installed)

    def _relate_earlier_runs(self, ctx: EventContext, image: str, pieces: tuple[str, ...],
                             installed: EntityKey) -> None:
        """The runs journaled before this template that fill it: related as :meth:`_relate_wmi_run` relates a
        later one (the run's host, time, event and sighting, not the consumer's)."""
        waiting = self._wmi_runs
        if not waiting:
            return
        runs = (run for runs in waiting.values() for run in runs) if image == TOKEN_IN_PATH else waiting.get(image, ())
        acc = ctx.acc
        for command_line, host, hosts, seen, ts, event_id in runs:
            if fills(pieces, command_line):
                acc.entity(HOST, host, host)
                acc.relate((HOST, host), R.RAN, installed, ts, event_id)
                acc.sight(hosts, (installed,), seen)

    def _relate_wmi_run(self, ctx: EventContext) -> None:
        """A process creation that is the run of an installed template: ``host RAN`` that installed command too;
        a WMI run is remembered for a consumer journaled after it (module docstring)."""
        fields = ctx.fields
        parent = fields.get(PARENT_FIELDS[0])
        if not parent or not is_wmi_runner(str(parent)):  # most processes: WMI did not start them
            return
        executable, command_line = fields.get(PROCESS_FIELDS[0]), fields.get(PROCESS_FIELDS[1])
        if not executable or not command_line or ctx.host is None:
            return
        image, command_line = image_identity(str(executable)), str(command_line)
        templates = (*self._wmi_templates.get(image, ()), *self._wmi_templates.get(TOKEN_IN_PATH, ()))
        for pieces, installed in templates:
            if fills(pieces, command_line):
                ctx.rel(ctx.host, R.RAN, installed)
        if len(command_line) > RUN_COMMAND_CHARS:
            return
        run: WmiRun = (command_line, ctx.host[1], tuple(ctx.hosts), ctx.seen, ctx.ts, ctx.event.id)
        runs = self._wmi_runs.get(image, ())
        if run not in runs:  # the same event projected again (a replay's overlap) is one run
            self._remember(self._wmi_runs, image, (*runs, run)[-RUNS_PER_IMAGE:], _RUN_IMAGES)
