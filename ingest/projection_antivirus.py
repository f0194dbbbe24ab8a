"""The projection of antivirus detections: ``host DETECTED file``, with what was found and done.

An ``av:detection`` event (:mod:`ingest.parsers.syslog_antivirus`: Symantec's
``Security Risk Found!`` sent as syslog text; :mod:`ingest.parsers.windows_defender`:
Microsoft Defender 1116/1117) names the host the product runs on and the file it
found a threat in.  The file is keyed as every file is
(:meth:`ingest.projection_entities.EntityBuilders._file`: a digest first, else its
path), so the same malware found on forty hosts is one file node with forty
``DETECTED`` edges: a host page leads to it, and a fan-out pivot counts its hosts.
Defender and Symantec name no digest, so a detection is path-keyed: it joins the
file any source saw at that path (a Sysmon 11 without a digest, on any host), never
a file keyed by its digest, whose path is a property (a cluster's check matches a
hashed file with a detection by path, per host: :mod:`analytics.antivirus`).
A "path" that is no path as the products write one (:func:`looks_like_a_path`:
a bare name, a digest's 64 hex characters) joins nothing: its file is keyed in its
own namespace (``path:``), so a forged line naming a real file's SHA-256 as its
path is no detection of that file (task AV3, projection version 8).

A detection naming no file (Defender's memory, registry, behaviour and WMI detections: its ``Path``
holds a ``regkey:_``, ``process:_``, ``behavior:_``... resource, or nothing) was the host's sighting
only, so no antivirus finding listed it.  Its resource is now a node of its own (:func:`resource_key`:
a ``file`` entity in the :data:`RESOURCE_KEY_PREFIX` namespace, props ``av_resource`` the scheme and
``resource`` the text as written, ``registry`` for a registry key), ``host DETECTED`` it as a file is:
it joins no file another source saw, and the analytics never match it to a cluster's file (task AVX,
projection version 10).

The edge tallies (:data:`graphsiem.model.TALLY_NAMES`) the threat names
(``threats``), what the product did (``av_actions``: :func:`action_outcome`'s
words) and the products (``av_products``), so a cluster's check step
(:mod:`analytics.antivirus`) names them from the graph alone, with or without the
journal.  The threat name is the vendor's, the path the file's writer's: both
are data, cut to :data:`graphsiem.model.TALLY_LABEL_CHARS`.

Journals written before detections were read (projection version 3 and
earlier) hold them as what was read then: Symantec's text as a
``syslog:message`` of its host, a Defender 1116/1117 as a ``windows:other``
with its event data (``winlog.event_data.*``).  Both keep enough to read the
detection again, so :func:`reread_detection` turns such an event into the
``av:detection`` it is before it is projected, and ``graphsiem rebuild`` finds
them (the event keeps its id: its evidence is the record journaled then).
No release since reads either as such, so an event of a newer journal is never
read twice.  A Zeek ``syslog.log`` record journaled before is hostless
``zeek:syslog`` text, kept beside the detection that newer releases add: it is
not read again here (the journal may hold its detection already); re-ingesting
the file adds the detection (README, Upgrading).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from graphsiem.model import TALLY_LABEL_CHARS, EntityKey, Event
from graphsiem.model import RelationType as R
from ingest.normalize import PATH_KEY_PREFIX
from ingest.parsers.syslog_antivirus import AV_DETECTION, antivirus_fields, may_be_antivirus
from ingest.parsers.windows_defender import DEFENDER_CHANNEL, MAPPERS
from ingest.projection_accumulator import FILE, EventContext

__all__ = ["AV_KINDS", "RESOURCE_KEY_PREFIX", "REREAD_KINDS", "UNNAMED_RESOURCE", "action_outcome", "detection_rule",
           "looks_like_a_path", "reread_detection", "resource_key"]

AV_KINDS = (AV_DETECTION,)
"""The event kinds this rule projects."""

REREAD_KINDS = frozenset({"syslog:message", "windows:other"})
"""The kinds an older journal holds detections as (:func:`reread_detection`)."""

RESOURCE_KEY_PREFIX = "avresource:"
"""The key namespace of a detected resource that is no file (:func:`resource_key`)."""
UNNAMED_RESOURCE = "unnamed"
"""The resource kind of a detection naming neither file nor resource (one journaled before they were read)."""

_EVENT_DATA = "winlog.event_data."
_RESOURCE_KEY_CHARS = 1024
_DIGEST_FIELDS = ("file.hash.sha256", "file.hash.sha1", "file.hash.md5")
_ABSOLUTE_PATH = re.compile(r"[A-Za-z]:[\\/]|\\\\|\\[A-Za-z?.]|/")
_SUCCESS_RESULTS = ("the operation completed successfully", "success")


def action_outcome(action: object, result: object = None, *, acted: bool = True) -> str:
    """What an antivirus did, in one word: ``quarantined``, ``removed``, ``blocked``, ``allowed``,
    ``failed``, ``detected`` (found, not acted on yet: Defender 1116) or ``other``.

    ``action`` is Defender's ``Action Name`` or Symantec's actual action (``Quarantine
    succeeded``); ``result`` Defender 1117's ``Error Description`` (anything but a success
    is a failure).  Symantec's second part (``: Access denied``) is its secondary
    action's, not a result.

    Examples
    --------
    >>> action_outcome("Quarantine succeeded")
    'quarantined'
    >>> action_outcome("Quarantine", "The operation completed successfully.")
    'quarantined'
    >>> action_outcome("Remove", "Access is denied.")
    'failed'
    >>> action_outcome("Not Applicable", acted=False), action_outcome("Left alone"), action_outcome("Clean failed")
    ('detected', 'allowed', 'failed')
    """
    text = str(action or "").strip().lower()
    if result is not None and str(result).strip():
        said = str(result).strip().lower().rstrip(".")
        if not said.startswith(_SUCCESS_RESULTS):
            return "failed"
    if "fail" in text or "error" in text:
        return "failed"
    if not acted or text in ("", "not applicable", "n/a"):
        return "detected"
    if "quarantin" in text:
        return "quarantined"
    if any(word in text for word in ("remov", "delet", "clean")):
        return "removed"
    if any(word in text for word in ("block", "denied")):
        return "blocked"
    if any(word in text for word in ("allow", "left alone", "no action", "ignore")):
        return "allowed"
    return "other"


def detection_rule(file_of: Callable[[EventContext], EntityKey | None]) -> Callable[[EventContext], None]:
    """The projector's rule for an antivirus detection: ``host DETECTED file``, tallied.

    Parameters
    ----------
    file_of : callable
        The projector's file rule (``EventContext -> file key``, None when the event names no file).
    """

    def detection(ctx: EventContext) -> None:
        file = file_of(ctx) if _names_a_file(ctx.fields) else _claimed_file(ctx)
        if file is None:  # a detection of memory, a registry value, a behaviour: its resource
            file = _resource(ctx)
        host = ctx.host
        ctx.rel(host, R.DETECTED, file)
        if file is None or host is None:
            return
        # A detection corroborates what the host did with the file; it is no sighting of it.  Sighted,
        # a file found on 7 of a 12-host process cluster's hosts became a 7-host file pivot that
        # outranked the process cluster and dropped it as its duplicate (task AV2); the checks read
        # the DETECTED edges themselves (analytics.antivirus), so the file needs no incidence.
        ctx.touched.discard(file)
        fields, acc = ctx.fields, ctx.acc
        code = str(fields.get("event.code") or "")
        acted = code != "1116"  # Defender's detection before any action; Symantec's text is after it
        outcome = action_outcome(fields.get("antivirus.action"), fields.get("antivirus.result") if code == "1117" else None,
                                 acted=acted)
        acc.tally(host, R.DETECTED, file, "av_actions", outcome)
        threat = fields.get("threat.name")
        if threat:
            acc.tally(host, R.DETECTED, file, "threats", str(threat)[:TALLY_LABEL_CHARS])
        product = fields.get("antivirus.product")
        if product:
            acc.tally(host, R.DETECTED, file, "av_products", str(product)[:TALLY_LABEL_CHARS])

    return detection


def looks_like_a_path(text: str) -> bool:
    r"""Whether a detection's file is written as the products write one: absolute, with its folders.

    Defender and Symantec name the file they found by its full path: a drive (``C:\x.exe``), a
    share or device (``\\srv\share\x``, ``\\?\C:\x``, ``\Device\HarddiskVolume3\x``) or a
    POSIX root (``/tmp/x``).  Anything else (a bare name, 64 hex characters) is a claim no product
    writes: a forged line's.

    >>> looks_like_a_path("C:\\Users\\Public\\upd.exe"), looks_like_a_path("\\\\srv\\c$\\x.exe")
    (True, True)
    >>> looks_like_a_path("9f" * 32), looks_like_a_path("upd.exe"), looks_like_a_path("C:upd.exe")
    (False, False, False)
    """
    text = text.strip().strip('"')
    return bool(_ABSOLUTE_PATH.match(text))


def _names_a_file(fields: dict) -> bool:
    """Whether the detection's file may be keyed as every file is: by a digest, else by a real path."""
    if any(fields.get(name) for name in _DIGEST_FIELDS):
        return True
    path = fields.get("file.path") or fields.get("file.name")
    return not path or looks_like_a_path(str(path))


def _claimed_file(ctx: EventContext) -> EntityKey:
    """The file of a detection whose "path" is no path (:func:`looks_like_a_path`): its own node, keyed in
    :data:`~ingest.normalize.PATH_KEY_PREFIX`'s namespace, so it joins no file another source saw
    (a digest written as a path was that digest's file: task AV3), only the same claim's detections."""
    claim = str(ctx.fields.get("file.path") or ctx.fields.get("file.name"))
    return ctx.acc.entity(FILE, PATH_KEY_PREFIX + claim.lower(), claim, {"path": claim, "name": claim})


def resource_key(kind: str, resource: str) -> str:
    r"""The key of a detected resource that is no file: its kind and its text, in lower case.

    >>> resource_key("regkey", r"HKLM\Software\Run\\Upd")
    'avresource:regkey:hklm\\software\\run\\\\upd'
    >>> resource_key("none", "")
    'avresource:none:'
    """
    return f"{RESOURCE_KEY_PREFIX}{kind.lower()}:{resource.lower()[:_RESOURCE_KEY_CHARS]}"


def _resource(ctx: EventContext) -> EntityKey:
    """The node of a detection's resource that is no file (module docstring)."""
    kind = str(ctx.fields.get("antivirus.resource_kind") or UNNAMED_RESOURCE).lower()
    resource = str(ctx.fields.get("antivirus.resource") or "")
    props: dict[str, object] = {"av_resource": kind, "resource": resource}
    if kind.startswith("regkey"):
        props["registry"] = True  # named a registry key in the API and page (graphsiem.entity_kinds)
    return ctx.acc.entity(FILE, resource_key(kind, resource), resource or kind, props)


def reread_detection(event: Event) -> Event:
    """The ``av:detection`` an older journal's event is (module docstring), else ``event`` itself.

    Parameters
    ----------
    event : Event
        A journaled event of one of :data:`REREAD_KINDS`.
    """
    fields = event.fields
    if event.kind == "syslog:message":
        message = fields.get("message")
        if not isinstance(message, str) or not may_be_antivirus(message):
            return event
        found = antivirus_fields(message)
        if found is None:
            return event
        return _as_detection(event, {**fields, **found})
    channel = str(fields.get("event.channel") or "").lower()
    code = _code(fields.get("event.code"))
    mapper = MAPPERS.get(code) if channel == DEFENDER_CHANNEL and code is not None else None
    if mapper is None:
        return event
    data = {name[len(_EVENT_DATA):]: value for name, value in fields.items() if name.startswith(_EVENT_DATA)}
    mapped = {name: value for name, value in fields.items() if not name.startswith(_EVENT_DATA)}
    mapper(data, mapped)
    return _as_detection(event, mapped)


def _code(value: object) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None


def _as_detection(event: Event, fields: dict) -> Event:
    # positional (id, kind, ts, host, source, fields, origin, raw), as the parsers make events
    return Event(event.id, AV_DETECTION, event.ts, event.host, event.source, fields, event.origin, event.raw)
