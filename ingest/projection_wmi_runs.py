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
"""

from __future__ import annotations

from graphsiem.model import EntityKey
from ingest.projection_accumulator import EventContext, R
from ingest.projection_entities import PARENT_FIELDS, PROCESS_FIELDS, EntityBuilders, image_identity
from ingest.wmi_templates import fills, holds_token, is_wmi_runner, template_pieces

WmiTemplates = tuple[tuple[tuple[str, ...], EntityKey], ...]
"""Of one image: each installed template's pieces and the installed command's key."""
TEMPLATES_PER_IMAGE = 8
"""Templates kept of one image (one implant installed with a few argument shapes; a ninth is not kept)."""
_TEMPLATE_IMAGES = 4096
"""Images whose templates the join state remembers (the older half goes past this)."""
TOKEN_IN_PATH = "<token in its path>"
"""The image the templates whose executable's path holds a token are kept under (``C:\\P\\%TargetInstance.Name%.exe``
runs as any name in that folder; ``<`` and ``>`` are in no Windows path, so no real image is this)."""


class WmiRunRules(EntityBuilders):
    """Remembering templated consumers' commands, and relating their runs (a mixin of the projector)."""

    _wmi_templates: dict[str, WmiTemplates]

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

    def _relate_wmi_run(self, ctx: EventContext) -> None:
        """A process creation that is the run of an installed template: ``host RAN`` that installed command too."""
        if not self._wmi_templates:  # no templated consumer seen: the common case costs one test
            return
        fields = ctx.fields
        executable, command_line = fields.get(PROCESS_FIELDS[0]), fields.get(PROCESS_FIELDS[1])
        if not executable or not command_line or not is_wmi_runner(str(fields.get(PARENT_FIELDS[0]) or "")):
            return
        templates = (*self._wmi_templates.get(image_identity(str(executable)), ()),
                     *self._wmi_templates.get(TOKEN_IN_PATH, ()))
        for pieces, installed in templates:
            if fills(pieces, str(command_line)):
                ctx.rel(ctx.host, R.RAN, installed)
