"""The process builders of the projection: a process's key, and the join by host and GUID or pid.

:class:`ProcessBuilders` is the base of :class:`ingest.projection_entities.EntityBuilders`
(and so of :class:`ingest.projection.Projector`, whose ``__init__`` makes the state declared
here).  A reference to a process without a command line (Sysmon 3/7/10/11/13, Security
4688 and 5156) is joined to the full process of its host and GUID, else of its host, pid
and image at that time (Windows reuses pids); one not known yet is a placeholder, settled
at the batch's end.  The field names the process references are read by
(``PROCESS_FIELDS`` and its parent and target variants) are built once here.
"""

from __future__ import annotations

import re
from itertools import islice
from typing import Any

from graphsiem.model import Entity, EntityKey, stable_hash
from graphsiem.store.earliest_build import BUILD, BUILD_PROPS, BUILD_SEEN, build_seen, merge_props
from ingest.image_paths import basename, image_identity, pe_original_name, same_image
from ingest.normalize import normalize_command_line
from ingest.parsers.windows_persistence import expand_windows_path
from ingest.powershell import decode_powershell_command
from ingest.projection_accumulator import PROCESS, Accumulator, EventContext

_CACHE_LIMIT = 200_000
_PID_HOLDERS = 4
"""Processes remembered per host and pid (Windows reuses pids)."""
_PID_LIMIT = 100_000
"""(host, pid) keys remembered: with up to four processes each, about as much as the GUID cache."""
_PROCESS_KEY_LIMIT = 20_000
"""Cached process keys; command lines can be long, so this cache is kept smaller."""
_POWERSHELL_HINTS = ("powershell", "pwsh")
_PLACEHOLDER = "?pending:"
"""Prefix of the keys of placeholder processes: never in a projection (settled at each batch's end)."""
PID_JOIN_SECONDS = 2.0
"""How long after a reference without a command line the creation it names may be logged and
still be joined by pid (two clocks of one host, a Sysmon 10 before its Sysmon 1)."""
_CREATION_KIND = "winsec:process_create"
"""A 4688: its process fields name a process being created, never one that held the pid before."""

_DEVICE_VOLUME = re.compile(r"\\device\\harddiskvolume\d+(?=\\)", re.IGNORECASE)
"""The volume prefix of a device path (Security 5156's ``Application``): which drive it is, the event
does not say (volume 2 is C: on one machine, D: or a recovery partition on another)."""

_PROCESS_SUFFIXES = ("executable", "command_line", "guid", "name", "command_line_decoded", "hash.sha256", "pid",
                     "hash.sha1", "hash.md5", "hash.imphash", "pe.original_file_name")
WEAK_DIGESTS = ("sha1", "md5", "imphash")
"""Digests a process (its image's, Sysmon 1 ``Hashes``) and a loaded file (Sysmon 6/7) keep beside their key:
a hunter searches the MD5 or imphash a threat report gives (``graphsiem.store.base.DIGEST_PROPS``)."""
_DIGEST_FIELDS = (("sha256", 5), ("sha1", 7), ("md5", 8), ("imphash", 9))
"""A process's digest props and the index of each one's field in ``PROCESS_FIELDS`` and its variants."""


_BUILD_AND_STAMP = frozenset((*BUILD_PROPS, BUILD_SEEN))


def _build_of(props: dict[str, Any]) -> dict[str, Any]:
    """The build and its stamp among ``props`` (a settled placeholder's), to merge by the earliest rule."""
    return {name: props[name] for name in _BUILD_AND_STAMP if name in props}


def field_names(prefix: str, suffixes: tuple[str, ...]) -> tuple[str, ...]:
    """``prefix.suffix`` for each suffix: built once at import (f-strings per event were measurable)."""
    return tuple(f"{prefix}.{suffix}" for suffix in suffixes)


PROCESS_FIELDS = field_names("process", _PROCESS_SUFFIXES)
PARENT_FIELDS = field_names("process.parent", _PROCESS_SUFFIXES)
TARGET_FIELDS = field_names("target.process", _PROCESS_SUFFIXES)


class ProcessBuilders:
    """The process builders of :class:`ingest.projection.Projector`, and the process join they keep.

    A mixin: the projector's ``__init__`` makes the state declared here.  :meth:`_remember`
    bounds every memo table of the builders (these and the ones built on them).
    """

    _processes: dict[tuple[str, str], EntityKey]
    _pids: dict[tuple[str, str], tuple[tuple[float, EntityKey, str], ...]]
    _process_keys: dict[tuple[str, str], tuple[EntityKey, str | None]]
    _placeholder_refs: dict[tuple[str, str, str], EntityKey]

    def _process(self, ctx: EventContext, names: tuple[str, ...]) -> EntityKey | None:
        """The process named by the fields ``names`` (``PROCESS_FIELDS``, ``PARENT_FIELDS`` or ``TARGET_FIELDS``), or None.

        A reference with a command line is a full identity (its own key).  One without (Sysmon
        3/7/10/11/13 name only the image and GUID, Security 4688 only the image and pid) is the
        full process of the same host and GUID, else of the same host, pid and image name at that
        time; when that is not known yet it is a placeholder, settled at the batch's end
        (:meth:`_settle_deferred`), so the order the sources arrive in does not split a process.
        """
        fields = ctx.fields
        # all eleven names unpacked at once: a slice and a zip a call were measurable (this
        # runs for every process an endpoint event names, ~1.5 times an event)
        k_exe, k_cmd, k_guid, k_name, k_decoded, _, k_pid, _, _, _, k_original = names
        exe = fields.get(k_exe)
        cmd = fields.get(k_cmd)
        guid = fields.get(k_guid)
        host = ctx.hosts[0] if ctx.hosts else None
        if guid and host and not cmd:
            known = self._processes.get((host, guid))
            if known is not None:
                return known
        if not exe and not cmd:
            return None
        exe = str(exe) if exe else ""
        cmd = str(cmd) if cmd else ""
        acc = ctx.acc
        pid = fields.get(k_pid)
        if names is PARENT_FIELDS and pid is not None and pid == fields.get(PROCESS_FIELDS[6]):
            pid = None  # a process is never its own parent (a crafted 4688 with ProcessId = NewProcessId)
        if not cmd and host and (guid or pid is not None):
            # a 4688 without a command line announces a new process: a holder of its pid seen
            # earlier than the creation's own moment is an older process that had that pid
            creation = names is PROCESS_FIELDS and ctx.event.kind == _CREATION_KIND
            if not guid:
                holder = self._pid_holder(host, pid, ctx.ts, image_identity(exe),
                                          since=ctx.ts - PID_JOIN_SECONDS if creation else None)
                if holder is not None:
                    return holder
            ref = self._placeholder(acc, host, str(guid) if guid else "", pid, ctx.ts, exe, creation)
            known_key: tuple[EntityKey, str | None] = (ref, None)
        else:
            # A process recurs in many events (image loads, registry writes...): its
            # key and decoded command are computed once per run, not per event.
            known_key = self._process_key(exe, cmd)
            ref = known_key[0]  # the entity key itself, not rebuilt per event
        entity = acc.entities.get(ref)
        if entity is None:
            props: dict[str, Any] = {}
        else:
            # A process recurs: only the properties it still lacks are computed,
            # but the spellings of its image and command line (one key covers
            # case and spacing variants) are the last event's, as the stores keep
            # the last value across batches: the graph is then the same wherever
            # batches are cut (a live ingest cuts by records, a replay by events).
            props = entity.props
            entity.value = cmd or exe
        if exe:
            props["image"] = exe
        if "name" not in props:
            name = fields.get(k_name) or basename(exe) or None
            if name:
                props["name"] = name
        if cmd:
            props["command_line"] = cmd
            if "decoded_command" not in props:
                decoded = fields.get(k_decoded)
                if decoded is None:
                    decoded = known_key[1]
                if decoded:
                    props["decoded_command"] = decoded
        # The build this event says (its digests, _DIGEST_FIELDS, and the PE version resource's name: a
        # renamed copy of powershell.exe still says PowerShell.EXE), stamped with the event and kept whole
        # when it is the earliest (graphsiem.store.earliest_build): not each prop the batch's first
        # event's.  A field is read first, since most references name none.
        build: dict[str, Any] | None = None
        for prop, index in _DIGEST_FIELDS:
            digest = fields.get(names[index])
            if digest:
                if build is None:
                    build = {}
                build[prop] = digest
        original = fields.get(k_original)
        if original is not None:
            original = pe_original_name(original)
            if original:
                if build is None:
                    build = {}
                build["original_file_name"] = original
        if build is not None:
            build[BUILD_SEEN] = build_seen(ctx.ts, ctx.event.id, names_sha256=BUILD in build)
            merge_props(props, build)
        if entity is None:
            acc.entities[ref] = Entity(PROCESS, ref[1], cmd or exe, props)
        if host and cmd:  # a full identity: later events of this process resolve to it
            if guid:
                self._remember(self._processes, (host, guid), ref)
            if pid is not None:
                self._held_pid(host, pid, ctx.ts, ref, exe)
        return ref

    def _process_key(self, exe: str, cmd: str) -> tuple[EntityKey, str | None]:
        """The key of the process of image ``exe`` and command line ``cmd``, and its decoded command.

        The image is a Windows path: case-insensitive, and written ``\\??\\C:\\...``,
        ``\\SystemRoot\\...`` or ``%windir%\\...`` by some sources, so those are made one path
        (as the service and task parsers expand them) before it is lower-cased into the key.
        A device path (``\\device\\harddiskvolume2\\windows\\...``, Security 5156) is keyed
        without its volume (``\\windows\\...``): its drive is unknown, so it is not made the
        ``C:`` path of a Sysmon node (a guess), but the same program on hosts whose volumes are
        numbered differently is one node, as a Sysmon image path is.
        """
        known_key = self._process_keys.get((exe, cmd))
        if known_key is None:
            decoded_guess = None
            if cmd and any(h in cmd.lower() for h in _POWERSHELL_HINTS):
                decoded_guess = decode_powershell_command(cmd)
            image = expand_windows_path(exe) if exe else exe
            if image[:8].lower() == "\\device\\":
                image = _DEVICE_VOLUME.sub("", image, count=1)
            known_key = ((PROCESS, stable_hash(image.lower(), normalize_command_line(cmd))), decoded_guess)
            self._remember(self._process_keys, (exe, cmd), known_key, _PROCESS_KEY_LIMIT)
        return known_key

    def _placeholder(
        self, acc: Accumulator, host: str, guid: str, pid: Any, ts: float, exe: str, creation: bool = False,
    ) -> EntityKey:
        """A placeholder for a process named without a command line whose full identity is not known yet.

        One per host and GUID (Sysmon), else per host, pid, image name and time (a pid names a
        process only at a time).  It lives in this batch only: :meth:`_settle_deferred` replaces it.
        """
        if guid:
            # A process's references repeat its host, GUID and image all batch long (every
            # image load, registry write and handle it opens): the key is built once a run.
            named = (host, guid, exe)
            ref = self._placeholder_refs.get(named)
            if ref is None:
                # the repr of a tuple: fields an event writes can never make two placeholders one
                ref = (PROCESS, f"{_PLACEHOLDER}{(host, guid, basename(exe))!r}")
                self._remember(self._placeholder_refs, named, ref, _PROCESS_KEY_LIMIT)
        else:
            ref = (PROCESS, f"{_PLACEHOLDER}{(host, str(pid), basename(exe), ts)!r}")
        pending = acc.deferred.get(ref)
        if pending is None:
            acc.deferred[ref] = [host, guid, pid, ts, exe, creation]
        elif ts < pending[3]:  # a GUID's placeholder joins by pid at its earliest time
            pending[3] = ts
            if pid is not None:
                pending[2] = pid
        return ref

    def _settle_deferred(self, acc: Accumulator) -> None:
        """Replace this batch's placeholders by the processes they name, now the whole batch is seen.

        A placeholder is the full process of its host and GUID, else the one that held its pid
        with the same image name at its time (:meth:`_pid_holder_near`), else (one without a
        GUID: Security 4688 and 5156) the process a GUID placeholder of this batch with the same
        host, pid and image name settled to (:meth:`_guid_pid_holder`: a Sysmon 3 of the process
        whose creation was not logged, where the 5156 names its image by a device path), else the
        image-only process (the node a reference without a command line always was).  Its relations and
        sightings move to that process (:meth:`Accumulator.remap`); a full process keeps its own
        image and name, and takes only a digest it lacked.

        Only the batch is waited for: a reference in an earlier batch than the creation it names
        stays the image-only process (batches are 5,000 events, in a live ingest and a replay alike).
        """
        deferred = acc.deferred
        if not deferred:
            return
        entities = acc.entities
        mapping: dict[EntityKey, EntityKey] = {}
        with_guids: set[EntityKey] | None = None
        # GUID placeholders first (a stable sort keeps the batch's order within each kind), so a
        # placeholder without a GUID can join what one of them settled to
        # by host, pid and image name; each with its image_identity, compared by same_image (a
        # Sysmon reference may name its image by name only, a 4688 by its path)
        guid_pids: dict[tuple[str, str, str], list[tuple[float, EntityKey, str]]] = {}
        for ref, (host, guid, pid, ts, exe, creation) in sorted(deferred.items(), key=lambda item: not item[1][1]):
            target = self._processes.get((host, guid)) if guid else None
            image = image_identity(exe)
            if target is None and pid is not None:
                target = self._pid_holder_near(host, pid, ts, image, since=ts - PID_JOIN_SECONDS if creation else None)
                if target is not None and guid:
                    # a holder Sysmon named by a GUID of its own is another process (that pid, reused
                    # by the same image): only a creation logged without GUIDs (4688) joins by pid
                    if with_guids is None:
                        with_guids = set(self._processes.values())
                    if target in with_guids:
                        target = None
                if target is None and not guid:
                    held = guid_pids.get((host, str(pid), basename(exe)), ())
                    target = _guid_pid_holder([(at, ref) for at, ref, named in held if same_image(named, image)], ts)
            placeholder = entities.pop(ref)
            if target is None:
                target = self._process_key(exe, "")[0]
                known = entities.get(target)
                if known is None:
                    entities[target] = Entity(PROCESS, target[1], placeholder.value, placeholder.props)
                else:
                    for prop, value in placeholder.props.items():
                        if prop not in _BUILD_AND_STAMP:
                            known.props.setdefault(prop, value)
                    merge_props(known.props, _build_of(placeholder.props))
            else:
                known = entities.get(target)
                if known is not None:
                    merge_props(known.props, _build_of(placeholder.props))
            mapping[ref] = target
            if guid and pid is not None:
                guid_pids.setdefault((host, str(pid), basename(exe)), []).append((ts, target, image))
        deferred.clear()
        acc.remap(mapping)

    def _command_process(self, ctx: EventContext, executable: str, command_line: str) -> EntityKey | None:
        """The process of a command an event names beside its own (a scheduled task's second action).

        Keyed by :meth:`_process` itself, over fields of its own for the call: so it is the node
        a Sysmon 1 event of that command gives, with no second copy of the keying rule.
        """
        fields = ctx.fields
        ctx.fields = {PROCESS_FIELDS[0]: executable, PROCESS_FIELDS[1]: command_line}
        try:
            return self._process(ctx, PROCESS_FIELDS)
        finally:
            ctx.fields = fields

    def _held_pid(self, host: str, pid: Any, ts: float, ref: EntityKey, exe: str = "") -> None:
        """Remember that ``ref`` (image ``exe``) held ``pid`` on ``host`` at ``ts`` (the earliest such time).

        Windows reuses pids, so a pid names a process only at a time: see :meth:`_pid_holder`.
        """
        key = (host, str(pid))  # "4242" and 4242 are one pid
        held = self._pids.get(key)
        if held is None:
            self._remember(self._pids, key, ((ts, ref, image_identity(exe)),), _PID_LIMIT)
            return
        if held[-1][1] == ref and held[-1][0] <= ts:
            return  # the common case: the same process seen again later
        others = [entry for entry in held if entry[1] != ref]
        first = min([ts, *(at for at, known, _ in held if known == ref)])
        self._pids[key] = tuple(sorted([*others, (first, ref, image_identity(exe))])[-_PID_HOLDERS:])

    def _pid_holder(
        self, host: str, pid: Any, ts: float, name: str = "", *, since: float | None = None,
    ) -> EntityKey | None:
        """The process that last took ``pid`` on ``host`` at or before ``ts``, if one is known.

        With an image ``name`` (:func:`image_identity`), a holder of another image is no answer
        (:func:`same_image`: another folder is another image): the process that held the pid
        then was not seen (its creation was not logged), and the one seen before it had ended.
        With ``since``, a holder first seen before it is no answer either (a creation's pid
        held earlier was another process's).
        """
        holder = None
        holder_name = ""
        holder_at = 0.0
        for at, ref, held_name in self._pids.get((host, str(pid)), ()):
            if at > ts:
                break
            holder, holder_name, holder_at = ref, held_name, at
        if holder is not None and not same_image(holder_name, name):
            return None
        if holder is not None and since is not None and holder_at < since:
            return None
        return holder

    def _pid_holder_near(
        self, host: str, pid: Any, ts: float, name: str, *, since: float | None = None,
    ) -> EntityKey | None:
        """The process of image ``name`` that held ``pid`` on ``host`` at ``ts``: :meth:`_pid_holder`,
        else one first seen with that pid and image within :data:`PID_JOIN_SECONDS` after ``ts``.

        The second is a reference logged before the creation it names (a Sysmon 10 of the new
        process 12 ms before its Sysmon 1; a 4688 and a Sysmon 1 of one creation stamped by two
        clocks).  Another image never joins: Windows reuses pids at once.
        """
        holder = self._pid_holder(host, pid, ts, name, since=since)
        if holder is not None:
            return holder
        for at, ref, held_name in self._pids.get((host, str(pid)), ()):
            if ts < at <= ts + PID_JOIN_SECONDS and same_image(held_name, name):
                return ref
        return None

    @staticmethod
    def _remember(cache: dict, key: Any, value: Any, limit: int = _CACHE_LIMIT) -> None:
        if len(cache) > limit:
            # the older half goes (dicts keep insertion order): a long run keeps joining
            # what it saw recently, where clearing made every join miss at once
            for old in list(islice(cache, len(cache) // 2)):
                del cache[old]
        cache[key] = value


def _guid_pid_holder(held: Any, ts: float) -> EntityKey | None:
    """Of ``held`` (``(earliest time, process)`` of GUID placeholders with one host, pid and image
    name), the process that held the pid at ``ts``: the last seen at or before it, else the first
    seen within :data:`PID_JOIN_SECONDS` after it (the rule of ``EntityBuilders._pid_holder_near``)."""
    holder = None
    for at, ref in sorted(held):
        if at <= ts:
            holder = ref
        elif holder is None and at <= ts + PID_JOIN_SECONDS:
            return ref
    return holder
