"""Normalised events -> entities, aggregated relations and host sightings.

This is the one place that knows the entity model of ``PRODUCT.md``.  It reads
the fields of ``docs/fields.md`` and nothing format-specific beyond a few Zeek
join keys (``zeek.fuid``, ``zeek.resp_fuids``; ``zeek.cert_chain_fps`` /
``zeek.cert_chain_fuids`` of ssl and ``zeek.fingerprint`` / ``zeek.id`` of x509).

Identity rules
--------------
* host: normalised short name (``Event.host``; sensor events reach hosts through
  the time-aware :class:`ingest.ipmap.IpHostMap`).
* user: ``domain\\name`` lower case (already normalised by parsers).
* process: key ``stable_hash(lower image path, normalize_command_line(cmdline))``;
  value the command line (else the image); props image, name, command_line,
  decoded_command.  Events that name a process only by image and GUID (Sysmon
  3/10/11...) resolve to the full process of the same host and GUID when its
  creation was projected earlier, in this ingest call or an earlier one
  (the join state below).  A creation's parent without a command line of its
  own (Security 4688 names only its image and pid, older Windows only its pid)
  is the process that held that pid on that host at that time, when one is
  known and its image name agrees, else an image-only node.
* script: key ``stable_hash`` of the whitespace-collapsed 4104 text; value the
  first 200 characters; a block logged in parts is also one script of its joined
  text, added by the part that completes it; 4104 is attributed to the process that held its pid on
  its host at the block's time (Windows reuses pids: the last process seen with
  that pid at or before that time), else to the host.
* file: its strongest digest, SHA-256 > SHA-1 > MD5, else the lower-case path
  (or name): a name never merges files whose digests differ, and one content is
  one node at every path; a file on the wire with none of them, by its URL, MIME type and size
  when the URL is known (the record's own, or for Zeek ``files`` the ``http``
  record's, joined by file id), else by its sender, MIME type and size.
* domain: FQDN (prop ``registered_domain``); ip: canonical text; url: normalised.

Every relation's evidence is the event id; relations are aggregated per batch
(one :class:`Relation` per ``(src, type, dst)``) because this is the hot path.
A :class:`Sighting` ``(host, entity)`` is added for every non-host entity an
event on a known host touches: that is what prevalence analytics count.

Network-sensor events (``host`` is ``None``) map their source and destination
IPs to hosts at the event's time; an unmapped source keeps the IP as the actor
(``ip CONNECTED ip``) and adds no host.  A connection reaches the server's host
when its address is mapped (``ip|host CONNECTED host``: an inbound connection to
a known machine, as an inbound Sysmon 3 is ``ip CONNECTED host``); an alert's
target stays its IP (``host|ip ALERTED ip``).  The actor of what a client does
(``CONNECTED``, ``RESOLVED`` a DNS name or TLS SNI, ``REQUESTED`` a URL) is the
flow's client: ``client.ip`` when the parser names it (Suricata's server-to-client
records), else the source.  An IP is an entity only when a relation names it, and
never the unspecified or broadcast address.  A file on the wire is ``DOWNLOADED``
by the host that received it and ``UPLOADED`` by the client that sent it (Zeek's
``is_orig``); a files record that does not say which side was the client relates
neither side to the other.
A certificate's names (``x509.san``, else the CN of ``x509.subject``) are
``domain RESOLVES_TO ip`` of the server that presented it, as a DNS answer's
addresses are; Zeek's x509 records reach that server through the ssl record
whose certificate chain starts with them (fingerprint or file id, either
order; see ``docs/fields.md``).  The name a client asked for without a DNS
answer (TLS SNI, an HTTP host without a URL) is only the client's claim: the
client chooses it, so malware can name ``login.microsoftonline.com`` to its
own server.  It is ``domain CLAIMED_AT ip``, never ``RESOLVES_TO``, so what
follows ``RESOLVES_TO`` reads only what a resolver or the server itself said.

What later events join on (process identities by host and GUID or pid, Zeek
file ids, Zeek HTTP downloads waiting for their URL, certificates and their
servers) is the projector's join state:
:meth:`Projector.join_state` is saved in the journal with the projection
checkpoint and restored by the next ingest call (``ingest.replay.resume_projector``),
so a graph built by many calls is the graph one replay of the journal builds.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from itertools import islice
from types import SimpleNamespace
from typing import Any

import orjson

from graphsiem.model import (
    EVIDENCE_CAP,
    Entity,
    EntityKey,
    EntityType,
    Event,
    Projection,
    Relation,
    RelationType,
    Sighting,
    stable_hash,
)
from ingest.ipmap import IpHostMap, IpWatch, connection_ends, is_placeholder_host_name
from ingest.normalize import (
    ip_or_none,
    normalize_command_line,
    normalize_domain,
    registered_domain,
)
from ingest.powershell import decode_powershell_command

HOST, USER, PROCESS, SCRIPT, FILE, DOMAIN, IP, URL = (
    EntityType.HOST.value,
    EntityType.USER.value,
    EntityType.PROCESS.value,
    EntityType.SCRIPT.value,
    EntityType.FILE.value,
    EntityType.DOMAIN.value,
    EntityType.IP.value,
    EntityType.URL.value,
)
# plain str values (not enum members), so stores and JSON see "RAN", never RelationType.RAN
R = SimpleNamespace(**{t.name: t.value for t in RelationType})

SCRIPT_VALUE_CHARS = 200
SCRIPT_TEXT_CHARS = 65536
"""Script text kept as a property (searchable); longer blocks are truncated."""

_CACHE_LIMIT = 200_000
_CERT_NAMES_LIMIT = 64
"""Names taken from one certificate (a CDN's can list hundreds of SANs)."""
_CERT_SERVERS_LIMIT = 16
"""Servers remembered per certificate, for x509 records projected after their ssl records."""
_CERT_LIMIT = 20_000
"""Certificates remembered for the x509/ssl join: up to 64 names each, so ~100 MB at most, not the
1 GiB that the general cache limit (200,000) would allow on CDN-heavy x509 logs."""
_PID_HOLDERS = 4
"""Processes remembered per host and pid (Windows reuses pids)."""
_PID_LIMIT = 100_000
"""(host, pid) keys remembered: with up to four processes each, about as much as the GUID cache."""
_PROCESS_KEY_LIMIT = 20_000
"""Cached process keys; command lines can be long, so this cache is kept smaller."""
_POWERSHELL_HINTS = ("powershell", "pwsh")
_SCRIPT_PARTS_LIMIT = 256
"""Parts a 4104 block may have to be joined (~32 KB each: 8 MB of script); longer ones are not."""
_SCRIPT_JOIN_CHARS = 4_000_000
"""Characters of parts one block may hold while it waits for the rest."""
_SCRIPT_BLOCKS_LIMIT = 1024
"""Blocks waiting for parts (one fleet-wide script logged in parts waits on every host at once)."""
_SCRIPT_WAITING_CHARS = 16_000_000
"""Characters of parts all waiting blocks may hold together (the join state is saved between calls)."""
JOIN_STATE_VERSION = 4
"""Format of :meth:`Projector.join_state`; a state of another version is not read (the joins are
learnt again from the journal instead).  4: pid holders carry their image name, file keys
prefer SHA-1/MD5 to names (version 3's remembered Zeek file ids name the older keys), and the
parts of long PowerShell blocks wait for each other."""
_JOINS = ("_processes", "_pids", "_fuid_file", "_fuid_url", "_fuid_pending", "_cert_names", "_cert_servers",
          "_script_parts")
"""The projector's join state: what a later event joins on.  The other caches are memos of pure
functions of their keys, which are the same whether kept or not."""
_PendingTransfer = tuple[str, float, str | None, tuple[str, ...], Any, Any]
"""A Zeek HTTP download waiting for its URL: the files record's event id and time, its receiver host
(or None), its hosts, and the file's MIME type and size."""


class Accumulator:
    """Per-batch aggregation of entities, relations and sightings."""

    __slots__ = ("entities", "relations", "sightings")

    def __init__(self) -> None:
        self.entities: dict[EntityKey, Entity] = {}
        self.relations: dict[tuple[EntityKey, str, EntityKey], list[Any]] = {}
        self.sightings: dict[tuple[str, EntityKey], list[float]] = {}

    def entity(self, type_: str, key: str, value: str, props: dict[str, Any] | None = None) -> EntityKey:
        """Add (or merge props into) an entity; returns its ``(type, key)``."""
        ref = (type_, key)
        known = self.entities.get(ref)
        if known is None:
            self.entities[ref] = Entity(type_, key, value, props or {})
        elif props:
            # the last value wins, as the stores merge props across batches: the
            # result is the same wherever batches happen to be cut (live ingest
            # cuts by records, a replay by events)
            known.props.update(props)
        return ref

    def relate(self, src: EntityKey, type_: str, dst: EntityKey, ts: float, event_id: str) -> None:
        """Count one observation of ``src -[type]-> dst``."""
        key = (src, type_, dst)
        agg = self.relations.get(key)
        if agg is None:
            self.relations[key] = [ts, ts, 1, [event_id], event_id]
            return
        if ts < agg[0]:
            agg[0] = ts
        if ts > agg[1]:
            agg[1] = ts
        # one event relates a pair at most once; its relations are added together,
        # so comparing with the last event seen is enough (O(1), not a list scan)
        if agg[4] != event_id:
            agg[4] = event_id
            agg[2] += 1
            if len(agg[3]) < EVIDENCE_CAP:
                agg[3].append(event_id)

    def sight(self, hosts: tuple[str, ...], refs: Iterable[EntityKey], ts: float) -> None:
        """Count one event of each of ``hosts`` touching each entity of ``refs`` but hosts.

        One call per event, not per sighting: this runs for every entity every event touches.
        """
        sightings = self.sightings
        for ref in refs:
            if ref[0] == HOST:
                continue
            for host in hosts:
                key = (host, ref)
                agg = sightings.get(key)
                if agg is None:
                    sightings[key] = [ts, ts, 1]
                    continue
                if ts < agg[0]:
                    agg[0] = ts
                if ts > agg[1]:
                    agg[1] = ts
                agg[2] += 1

    def projection(self) -> Projection:
        """The aggregated batch as a :class:`Projection`."""
        return Projection(
            entities=list(self.entities.values()),
            relations=[
                Relation(src, type_, dst, first, last, count, evidence)
                for (src, type_, dst), (first, last, count, evidence, _) in self.relations.items()
            ],
            sightings=[
                Sighting(host, ref, first, last, int(count))
                for (host, ref), (first, last, count) in self.sightings.items()
            ],
        )


class _Ctx:
    """One event being projected: its hosts, and the entities it touched."""

    __slots__ = ("acc", "event", "fields", "ts", "host", "hosts", "touched")

    def __init__(self, acc: Accumulator, event: Event, host: str | None, hosts: tuple[str, ...]):
        self.fill(acc, event, host, hosts)

    def fill(self, acc: Accumulator, event: Event, host: str | None, hosts: tuple[str, ...]) -> None:
        """Point the context at ``event`` (the projector refills one for endpoint events:
        building one was ~0.5 us of every endpoint event, measured)."""
        self.acc = acc
        self.event = event
        self.fields = event.fields
        self.ts = event.ts
        self.host: EntityKey | None = None
        entities = acc.entities
        if host:
            ref = self.host = (HOST, host)
            if ref not in entities:  # as acc.entity(HOST, host, host), without the call
                entities[ref] = Entity(HOST, host, host, {})
        for other in hosts:
            if other != host:  # the event's own host was added just above
                acc.entity(HOST, other, other)
        self.hosts = hosts
        self.touched: set[EntityKey] = set()

    def rel(self, src: EntityKey | None, type_: str, dst: EntityKey | None) -> None:
        if src is None or dst is None:
            return
        # Accumulator.relate, inlined: this runs for every relation of every event
        key = (src, type_, dst)
        ts = self.ts
        event_id = self.event.id
        relations = self.acc.relations
        agg = relations.get(key)
        if agg is None:
            relations[key] = [ts, ts, 1, [event_id], event_id]
        else:
            if ts < agg[0]:
                agg[0] = ts
            if ts > agg[1]:
                agg[1] = ts
            if agg[4] != event_id:  # see Accumulator.relate
                agg[4] = event_id
                agg[2] += 1
                if len(agg[3]) < EVIDENCE_CAP:
                    agg[3].append(event_id)
        touched = self.touched
        touched.add(src)
        touched.add(dst)

    def touch(self, ref: EntityKey | None) -> None:
        if ref is not None:
            self.touched.add(ref)


class Projector:
    """Projects batches of events; keeps the cross-event join state (saved between calls, see above).

    Parameters
    ----------
    ipmap : IpHostMap, optional
        The IP -> host intervals for network-sensor events (empty if omitted).

    Examples
    --------
    >>> from graphsiem.model import Event
    >>> event = Event(id="e1", kind="sysmon:process_create", ts=1.0, host="ws-1",
    ...               source="test", fields={"process.executable": "C:\\\\a.exe",
    ...                                      "process.command_line": "a.exe -x"})
    >>> p = Projector().project([event])
    >>> sorted(e.type for e in p.entities), [r.type for r in p.relations]
    (['host', 'process'], ['RAN'])
    """

    def __init__(self, ipmap: IpHostMap | IpWatch | None = None) -> None:
        self.ipmap = ipmap if ipmap is not None else IpHostMap()
        self.errors = 0
        self.failed: list[str] = []
        self._processes: dict[tuple[str, str], EntityKey] = {}
        """Full process identities by (host, GUID)."""
        self._pids: dict[tuple[str, str], tuple[tuple[float, EntityKey, str], ...]] = {}
        """Per (host, pid), the processes that held it, each with the earliest time seen and its
        lower-case image name ("" when unknown), by time."""
        self._fuid_file: dict[str, EntityKey] = {}
        self._fuid_url: dict[str, tuple[EntityKey, EntityKey | None]] = {}
        self._fuid_pending: dict[str, _PendingTransfer] = {}
        """Zeek files: HTTP downloads with no digest and no name whose http record (their URL) is not
        seen yet, by file id (see :meth:`_sensor_files`)."""
        self._cert_names: dict[str, tuple[str, ...]] = {}
        """Zeek x509: certificate id (fingerprint or file id) -> its names."""
        self._cert_servers: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {}
        """Zeek ssl: host certificate id -> ((server IP, client hosts), ...), immutable so forks share them."""
        self._script_parts: dict[tuple[str, str], tuple[int, tuple[tuple[int, str], ...]]] = {}
        """PowerShell 4104: (host, block id) -> (parts in all, ((number, text), ...) seen so far)."""
        self._domains: dict[Any, str] = {}
        self._process_keys: dict[tuple[str, str], tuple[EntityKey, str | None]] = {}
        self._host_ips: dict[Any, str] = {}
        """``ip_or_none`` of each event host seen ("" for a name)."""
        self._kind_rules: dict[str, tuple[str, bool]] = {}
        """Per sensor event kind: its relation between the ends, and whether its ends are a file's sender
        and receiver."""
        self.state_seq = 0
        """The seq of the join state the journal holds for this projector's line (see ``ingest.replay``)."""
        self._ctx: _Ctx = _Ctx.__new__(_Ctx)
        """The context of endpoint events, refilled for each (see project_into)."""
        self._handlers = {
            "sysmon:process_create": self._process_create,
            "winsec:process_create": self._process_create,
            "sysmon:network_connect": self._network_connect,
            "sysmon:dns_query": self._dns,
            "sysmon:file_create": self._file_action(R.WROTE),
            "sysmon:file_delete": self._file_action(R.DELETED),
            "sysmon:image_load": self._file_action(R.LOADED),
            "sysmon:registry_set": self._registry,
            "sysmon:process_access": self._process_pair(R.ACCESSED),
            "sysmon:remote_thread": self._process_pair(R.INJECTED),
            "sysmon:process_terminate": self._process_only,
            "powershell:script_block": self._script_block,
            "winsec:logon": self._logon,
            "winsec:logon_failed": self._logon_failed,
            "winsec:special_privileges": self._user_only,
            "sysmon:file_executable_detected": self._file_action(R.WROTE),
            "sysmon:file_delete_detected": self._file_action(R.DELETED),
            "sysmon:file_block_executable": self._file_blocked,
            "sysmon:file_block_shredding": self._file_blocked,
            "sysmon:file_stream_create": self._file_stream,
            "sysmon:driver_load": self._driver_load,
            "sysmon:wmi_consumer": self._wmi_consumer,
        }

    def fork(self, ipmap: IpHostMap | IpWatch) -> Projector:
        """A projector that goes on from this one's join state (copied), with ``ipmap``.

        This projector is left as it is, so a caller can drop the fork and
        project the same events again from here.
        """
        other = Projector(ipmap)
        other.errors = self.errors
        other.failed = list(self.failed)
        other.state_seq = self.state_seq
        for name in _JOINS:
            setattr(other, name, dict(getattr(self, name)))
        other._domains = dict(self._domains)
        other._process_keys = dict(self._process_keys)
        other._host_ips = dict(self._host_ips)
        return other

    # -- join state across calls ----------------------------------------------
    def join_state(self) -> bytes:
        """What later events join on, as bytes the journal keeps with the projection checkpoint.

        That is the process identities by host and GUID or pid, Zeek file ids
        of ``files`` and ``http`` records, and the certificates and servers of
        the x509/ssl join.  An ingest call that starts from the checkpoint
        restores it (:meth:`restore_join_state`), so events join across calls
        exactly as they do in one replay over the journal.
        """
        state: dict[str, Any] = {name: list(getattr(self, name).items()) for name in _JOINS}
        state["version"] = JOIN_STATE_VERSION
        return orjson.dumps(state)

    def join_entries(self) -> int:
        """How many entries the join state holds: what saving it costs grows with this."""
        return sum(len(getattr(self, name)) for name in _JOINS)

    def restore_join_state(self, state: bytes) -> bool:
        """Take over a :meth:`join_state`; False (and nothing changed) when it cannot be read.

        JSON has no tuples: each join's keys and values are made the tuples the
        projector itself makes, so they compare and hash the same.
        """
        try:
            data = orjson.loads(state)
            if data.get("version") != JOIN_STATE_VERSION:
                return False
            joins = {name: dict(map(_RESTORE[name], data[name])) for name in _JOINS}
        except (orjson.JSONDecodeError, AttributeError, IndexError, KeyError, TypeError, ValueError):
            return False
        for name, join in joins.items():
            setattr(self, name, join)
        return True

    # -- driving ------------------------------------------------------------
    def project(self, events: Iterable[Event]) -> Projection:
        """The aggregated :class:`Projection` of ``events``.

        An event whose fields defeat a rule (a parser bug: a list where a name
        belongs) is skipped and counted in :attr:`errors`, with its id kept in
        :attr:`failed`: it stays in the journal, and the rest of the batch is
        projected.
        """
        acc = Accumulator()
        project_into = self.project_into
        for event in events:
            try:
                project_into(acc, event)
            except Exception:  # noqa: BLE001 - one odd event must not stop the graph
                self.errors += 1
                if len(self.failed) < 1000:
                    self.failed.append(event.id)
        self._ctx = _Ctx.__new__(_Ctx)  # the refilled context lets go of this batch
        return acc.projection()

    def project_into(self, acc: Accumulator, event: Event) -> None:
        """Add one event's entities, relations and sightings to ``acc``."""
        fields = event.fields
        host = event.host
        if host:
            ip = self._host_ips.get(host)
            if ip is None:  # the same few host names recur: each is tested once per run
                ip = ip_or_none(str(host)) or ""
                self._remember(self._host_ips, host, ip)
            if ip:  # an IP in the host slot is not a host name
                host = self.ipmap.lookup(ip, event.ts)
        if not host:
            self._sensor(acc, event, fields)
            return
        handler = self._handlers.get(event.kind)
        if handler is None:
            if fields.keys().isdisjoint(_GENERIC_KEYS):
                # most unmapped Windows events (code, channel, host and message only,
                # a quarter of a Windows corpus): their host is all they add
                ref = (HOST, host)
                if ref not in acc.entities:  # as acc.entity(HOST, host, host), without the call
                    acc.entities[ref] = Entity(HOST, host, host, {})
                return
            handler = self._generic
        ctx = self._ctx
        ctx.fill(acc, event, host, (host,))
        handler(ctx)
        acc.sight(ctx.hosts, ctx.touched, ctx.ts)  # as self._sight(ctx): an endpoint event has its host

    def _sight(self, ctx: _Ctx) -> None:
        if not ctx.hosts:  # a sensor event between unmapped IPs sights nothing
            return
        ctx.acc.sight(ctx.hosts, ctx.touched, ctx.ts)

    # -- entity builders ----------------------------------------------------
    def _process(self, ctx: _Ctx, names: tuple[str, ...]) -> EntityKey | None:
        """The process named by the fields ``names`` (one of the ``_PROCESS*`` tuples), or None."""
        fields = ctx.fields
        k_exe, k_cmd, k_guid, k_name, k_decoded, k_sha256, k_pid = names
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
        # A process recurs in many events (image loads, registry writes...): its
        # key and decoded command are computed once per run, not per event.
        known_key = self._process_keys.get((exe, cmd))
        if known_key is None:
            decoded_guess = None
            if cmd and any(h in cmd.lower() for h in _POWERSHELL_HINTS):
                decoded_guess = decode_powershell_command(cmd)
            known_key = ((PROCESS, stable_hash(exe.lower(), normalize_command_line(cmd))), decoded_guess)
            self._remember(self._process_keys, (exe, cmd), known_key, _PROCESS_KEY_LIMIT)
        ref = known_key[0]  # the entity key itself, not rebuilt per event
        acc = ctx.acc
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
            name = fields.get(k_name) or _basename(exe) or None
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
        if "sha256" not in props:
            sha256 = fields.get(k_sha256)
            if sha256:
                props["sha256"] = sha256
        if entity is None:
            acc.entities[ref] = Entity(PROCESS, ref[1], cmd or exe, props)
        if host and cmd:  # a full identity: later events of this process resolve to it
            if guid:
                self._remember(self._processes, (host, guid), ref)
            pid = fields.get(k_pid)
            if pid is not None:
                self._held_pid(host, pid, ctx.ts, ref, exe)
        return ref

    def _held_pid(self, host: str, pid: Any, ts: float, ref: EntityKey, exe: str = "") -> None:
        """Remember that ``ref`` (image ``exe``) held ``pid`` on ``host`` at ``ts`` (the earliest such time).

        Windows reuses pids, so a pid names a process only at a time: see :meth:`_pid_holder`.
        """
        key = (host, str(pid))  # "4242" and 4242 are one pid
        held = self._pids.get(key)
        if held is None:
            self._remember(self._pids, key, ((ts, ref, _basename(exe)),), _PID_LIMIT)
            return
        if held[-1][1] == ref and held[-1][0] <= ts:
            return  # the common case: the same process seen again later
        others = [entry for entry in held if entry[1] != ref]
        first = min([ts, *(at for at, known, _ in held if known == ref)])
        self._pids[key] = tuple(sorted([*others, (first, ref, _basename(exe))])[-_PID_HOLDERS:])

    def _pid_holder(self, host: str, pid: Any, ts: float, name: str = "") -> EntityKey | None:
        """The process that last took ``pid`` on ``host`` at or before ``ts``, if one is known.

        With an image ``name`` (lower case), a holder of another image is no answer: the process
        that held the pid then was not seen (its creation was not logged), and the one seen
        before it had ended.
        """
        holder = None
        holder_name = ""
        for at, ref, held_name in self._pids.get((host, str(pid)), ()):
            if at > ts:
                break
            holder, holder_name = ref, held_name
        if holder is not None and name and holder_name and holder_name != name:
            return None
        return holder

    def _user(self, ctx: _Ctx, name: str = "user.name") -> EntityKey | None:
        user = ctx.fields.get(name)
        if not user:
            return None
        user = str(user).lower()
        return ctx.acc.entity(USER, user, user)

    def _file(self, ctx: _Ctx) -> EntityKey | None:
        """The file an event names: by its strongest digest, SHA-256 > SHA-1 > MD5, else its path or name.

        A digest is the content; a path or name is only where it was, or what a sender called it.
        So digests come first for every source: two invoices.pdf from two servers, or a replaced
        DLL at a system path (a hijack), stay two files, and one payload is one node at every
        path and on every host.  A weaker digest of the same bytes still differs from a stronger
        one (hosts or sensors hashing differently give two nodes): the price of keying by content.
        """
        fields = ctx.fields
        k_sha256, k_path, k_name, k_sha1, k_md5, k_mime = _FILE
        sha256 = fields.get(k_sha256)
        path = fields.get(k_path) or fields.get(k_name)
        sha1 = fields.get(k_sha1)
        md5 = fields.get(k_md5)
        if sha256:
            key = str(sha256).lower()
        elif sha1 or md5:
            key = str(sha1 or md5).lower()
        elif path:
            key = str(path).lower()
        else:
            return None
        acc = ctx.acc
        ref = (FILE, key)
        entity = acc.entities.get(ref)
        # A file recurs (the same DLLs load all day): only the properties it still
        # lacks are computed, as in _process (what Accumulator.entity's setdefault
        # merge would have kept).
        props: dict[str, Any] = {} if entity is None else entity.props
        if sha1 and "sha1" not in props:
            props["sha1"] = sha1
        if md5 and "md5" not in props:
            props["md5"] = md5
        if sha256 and "sha256" not in props:
            props["sha256"] = sha256
        if path:
            if "path" not in props:
                props["path"] = path
            if "name" not in props:
                props["name"] = fields.get(k_name) or _basename(str(path))
        if "mime_type" not in props:
            mime = fields.get(k_mime)
            if mime:
                props["mime_type"] = mime
        if entity is None:
            acc.entities[ref] = Entity(FILE, key, str(path or key), props)
        return ref

    def _domain(self, ctx: _Ctx, value: Any) -> EntityKey | None:
        if not value:
            return None
        if not isinstance(value, str):
            value = str(value)
        domain = self._domains.get(value)  # the same names recur: normalise each once per run
        if domain is None:
            try:
                domain = normalize_domain(str(value)) or ""
            except ValueError:
                domain = ""
            self._remember(self._domains, value, domain)
        if not domain:
            return None
        acc = ctx.acc
        ref = (DOMAIN, domain)
        entity = acc.entities.get(ref)
        if entity is None:
            acc.entities[ref] = Entity(DOMAIN, domain, domain, {"registered_domain": registered_domain(domain)})
        elif "registered_domain" not in entity.props:  # a recurring name: its props are set already
            entity.props["registered_domain"] = registered_domain(domain)
        return ref

    def _ip(self, ctx: _Ctx | Accumulator, value: Any) -> EntityKey | None:
        ip = ip_or_none(str(value)) if value else None
        if not ip:
            return None
        acc = ctx.acc if isinstance(ctx, _Ctx) else ctx
        return acc.entity(IP, ip, ip)

    def _url(self, ctx: _Ctx) -> EntityKey | None:
        url = ctx.fields.get("url.full")
        if not url:
            return None
        return ctx.acc.entity(URL, str(url), str(url))

    # -- endpoint handlers --------------------------------------------------
    def _process_create(self, ctx: _Ctx) -> None:
        process = self._process(ctx, _PROCESS)
        ctx.rel(ctx.host, R.RAN, process)
        ctx.rel(self._parent(ctx), R.SPAWNED, process)
        ctx.rel(process, R.RUN_AS, self._user(ctx))

    def _parent(self, ctx: _Ctx) -> EntityKey | None:
        """A creation's parent: itself when the event names it fully (a command line), else the
        process known by its GUID, else the one that held its pid on the host at the event's time
        (Security 4688 names the parent by image and pid only, older Windows by pid alone), else
        its image alone.

        Without the pid join every 4688 parent was one image-only node shared by the fleet, and a
        chain broke after one level (powershell -> cmd /c whoami, then "cmd.exe" -> net user).
        """
        fields = ctx.fields
        k_exe, k_cmd, k_guid = _PARENT[:3]
        if not fields.get(k_cmd):
            host = ctx.hosts[0]
            guid = fields.get(k_guid)
            if not guid or (host, guid) not in self._processes:
                pid = fields.get(_PARENT[6])
                # a process is never its own parent (a crafted 4688 with ProcessId = NewProcessId)
                if pid is not None and pid != fields.get(_PROCESS[6]):
                    exe = fields.get(k_exe)
                    holder = self._pid_holder(host, pid, ctx.ts, _basename(str(exe)) if exe else "")
                    if holder is not None:
                        return holder
        return self._process(ctx, _PARENT)

    def _process_only(self, ctx: _Ctx) -> None:
        ctx.touch(self._process(ctx, _PROCESS))

    def _network_connect(self, ctx: _Ctx) -> None:
        fields = ctx.fields
        inbound = fields.get("network.direction") == "inbound"
        peer = connection_ends(fields)[1]
        remote = None if peer in _NO_PEER else self._ip(ctx, peer)
        process = self._process(ctx, _PROCESS)
        domain = self._domain(ctx, fields.get("destination.domain"))
        if inbound:  # the peer connected to this host's process (RDP, SMB, WinRM: lateral movement)
            ctx.rel(remote, R.CONNECTED, process)
            ctx.rel(remote, R.CONNECTED, ctx.host)
            return
        ctx.rel(process, R.CONNECTED, remote)
        ctx.rel(ctx.host, R.CONNECTED, remote)
        ctx.rel(domain, R.RESOLVES_TO, remote)

    def _dns(self, ctx: _Ctx) -> None:
        domain = self._domain(ctx, ctx.fields.get("dns.question.name"))
        ctx.rel(self._process(ctx, _PROCESS), R.RESOLVED, domain)
        ctx.rel(ctx.host, R.RESOLVED, domain)
        self._answers(ctx, domain)

    def _answers(self, ctx: _Ctx, domain: EntityKey | None) -> None:
        """A DNS answer: the question ``RESOLVES_TO`` each address and along its CNAME chain.

        The chain is the answers' CNAME names in their order (``www.a.example`` -> ``a.cdn.example``
        -> ``e1.cdn.example``), each ``RESOLVES_TO`` the next, and its last name ``RESOLVES_TO`` the
        addresses as the question does.  Names answer MX, NS, SRV and PTR questions too, so a name
        is a CNAME only where the source says so (:func:`_cname_flags`).
        """
        fields = ctx.fields
        answers = fields.get("dns.answers")
        if domain is None or not answers:
            return
        if isinstance(answers, str):
            answers = answers.replace(";", " ").split()
        alias = domain  # the chain's last name so far
        is_cname: list[bool] | None = None  # read once, at the first name
        # An MX/NS/SRV question's addresses are its targets' (Sysmon lists the mail server's
        # A records after its MX name): not the question's.  Known by the question's type, or
        # from the first name answer that is no CNAME on.
        owns_addresses = _answers_address_question(fields)
        for index, answer in enumerate(answers):
            ip = self._ip(ctx, answer)
            if ip is not None:
                if owns_addresses:
                    ctx.rel(domain, R.RESOLVES_TO, ip)
                    if alias is not domain:
                        ctx.rel(alias, R.RESOLVES_TO, ip)
                continue
            if is_cname is None:
                is_cname = _cname_flags(fields, answers, domain[1])
            if is_cname[index]:
                name = self._domain(ctx, answer)
                # a CNAME names a host in a zone: one label is a parser's placeholder ("None")
                if name is not None and name != alias and "." in name[1]:
                    ctx.rel(alias, R.RESOLVES_TO, name)
                    alias = name
            else:
                owns_addresses = False

    def _file_action(self, relation: str):  # noqa: ANN202 - returns a handler
        def handler(ctx: _Ctx) -> None:
            ctx.rel(self._process(ctx, _PROCESS), relation, self._file(ctx))

        return handler

    def _registry(self, ctx: _Ctx) -> None:
        path = ctx.fields.get("registry.path")
        if not path:
            return
        text = str(path)
        ref = (FILE, text.lower())
        entities = ctx.acc.entities
        entity = entities.get(ref)
        if entity is None:
            entities[ref] = Entity(FILE, ref[1], text, {"path": path, "registry": True})
        else:  # a recurring key: what Accumulator.entity's setdefault merge keeps, without its props dict
            props = entity.props
            if "path" not in props:
                props["path"] = path
            if "registry" not in props:
                props["registry"] = True
        ctx.rel(self._process(ctx, _PROCESS), R.MODIFIED, ref)

    def _process_pair(self, relation: str):  # noqa: ANN202 - returns a handler
        def handler(ctx: _Ctx) -> None:
            ctx.rel(self._process(ctx, _PROCESS), relation, self._process(ctx, _TARGET))

        return handler

    def _script_block(self, ctx: _Ctx) -> None:
        fields = ctx.fields
        text = fields.get("powershell.script_block_text")
        if not text:
            return
        text = str(text)
        script = _script(ctx.acc, text)
        pid = fields.get("process.pid")
        process = None
        if pid is not None:
            process = self._pid_holder(ctx.hosts[0], pid, ctx.ts)
        if process is None:
            process = self._process(ctx, _PROCESS)
        runner = process if process is not None else ctx.host
        ctx.rel(runner, R.EXECUTED, script)
        total = fields.get("powershell.message_total")
        if isinstance(total, int) and 1 < total <= _SCRIPT_PARTS_LIMIT:
            ctx.rel(runner, R.EXECUTED, self._script_part(ctx, text, total))

    def _script_part(self, ctx: _Ctx, text: str, total: int) -> EntityKey | None:
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
        return _script(ctx.acc, "".join(parts[n] for n in range(1, total + 1)), total)

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

    # -- Sysmon 6, 15, 20, 27/28 ----------------------------------------------
    def _file_stream(self, ctx: _Ctx) -> None:
        """Sysmon 15: the process WROTE the file; a Zone.Identifier's ``HostUrl`` (``url.full``) is
        where it came from: ``host DOWNLOADED file SERVED_BY url ON domain``."""
        file = self._file(ctx)
        ctx.rel(self._process(ctx, _PROCESS), R.WROTE, file)
        url = self._url(ctx)
        if url is not None and file is not None:
            ctx.rel(ctx.host, R.DOWNLOADED, file)
            ctx.rel(file, R.SERVED_BY, url)
            ctx.rel(url, R.ON, self._domain(ctx, ctx.fields.get("url.domain")))

    def _driver_load(self, ctx: _Ctx) -> None:
        """Sysmon 6: ``host LOADED file`` (the kernel loads a driver: the event names no process),
        the file with its signature (props ``signed``, ``signature``, ``signature_status``)."""
        file = self._file(ctx)
        if file is None:
            return
        props = ctx.acc.entities[file].props
        fields = ctx.fields
        for field, prop in _SIGNATURE_PROPS:
            value = fields.get(field)
            if value is not None:
                props[prop] = value
        ctx.rel(ctx.host, R.LOADED, file)

    def _file_blocked(self, ctx: _Ctx) -> None:
        """Sysmon 27/28: a write or delete Sysmon blocked: the process and the file, no relation."""
        ctx.touch(self._process(ctx, _PROCESS))
        ctx.touch(self._file(ctx))

    def _wmi_consumer(self, ctx: _Ctx) -> None:
        """Sysmon 20: a WMI consumer's command or script (``wmi.consumer.destination``) as a script
        entity, searchable; a PowerShell ``-EncodedCommand`` is known by its decoded script, the
        entity its 4104 block gets when the consumer runs it.  No relation: nothing ran yet."""
        fields = ctx.fields
        ctx.touch(self._user(ctx))
        destination = fields.get("wmi.consumer.destination")
        if not destination:
            return
        text = str(fields.get("wmi.consumer.destination_decoded") or destination)
        props: dict[str, Any] = {"text": text[:SCRIPT_TEXT_CHARS], "length": len(text),
                                 "wmi_command": str(destination)[:SCRIPT_TEXT_CHARS]}
        name = fields.get("wmi.consumer.name")
        if name:
            props["wmi_consumer"] = str(name)
        ctx.touch(ctx.acc.entity(SCRIPT, stable_hash(" ".join(text.split())), text[:SCRIPT_VALUE_CHARS], props))

    def _logon(self, ctx: _Ctx) -> None:
        ctx.rel(self._user(ctx), R.LOGGED_ON, ctx.host)
        self._logon_source(ctx, R.LOGGED_ON)

    def _logon_failed(self, ctx: _Ctx) -> None:
        ctx.touch(self._user(ctx))
        self._logon_source(ctx, R.CONNECTED)  # it reached the host, but did not log on

    def _logon_source(self, ctx: _Ctx, relation: str) -> None:
        """A logon from another machine: its address and its workstation name ``relation`` this host.

        That is lateral movement (``ws-0042 LOGGED_ON srv-01``, ``203.0.113.9 CONNECTED dc01`` for a
        spray's failures).  The address stays an IP: endpoint events are projected before the
        call's IP -> host map is complete (``ingest.pipeline``), so mapping it here would make a
        graph that a replay does not.  A logon from the machine itself (loopback, its own name)
        relates nothing; its address is sighted as before.
        """
        fields = ctx.fields
        ip = self._ip(ctx, fields.get("source.ip"))
        if ip is not None:
            if ip[1] in _LOCAL_SOURCES:
                ctx.touch(ip)
            else:
                ctx.rel(ip, relation, ctx.host)
        workstation = str(fields.get("source.workstation") or "").strip()
        host = ctx.host
        # a blank, "localhost" or another placeholder names no other machine ("KALI" does: the
        # attacker's default name is evidence, unlike a DHCP lease's generic name)
        if workstation and host is not None and workstation != host[1] and not is_placeholder_host_name(workstation):
            ctx.rel(ctx.acc.entity(HOST, workstation, workstation), relation, host)

    def _user_only(self, ctx: _Ctx) -> None:
        ctx.touch(self._user(ctx))

    def _generic(self, ctx: _Ctx) -> None:
        """Events without a specific rule (ECS, other Windows events, syslog): by field presence.

        Only called for events with one of :data:`_GENERIC_KEYS` (see :meth:`project_into`).
        """
        fields = ctx.fields
        keys = fields.keys()
        process = self._process(ctx, _PROCESS)
        # A rule whose fields are all missing adds nothing: it is skipped (most generic
        # events are a process and fields no rule reads, e.g. Sysmon registry events)
        if process is not None:
            ctx.rel(ctx.host, R.RAN, process)
            if not keys.isdisjoint(_PARENT_IDENTITY):
                ctx.rel(self._process(ctx, _PARENT), R.SPAWNED, process)
            if "user.name" in fields:
                ctx.rel(process, R.RUN_AS, self._user(ctx))
        elif "user.name" in fields:
            ctx.touch(self._user(ctx))
        actor = process if process is not None else ctx.host
        if "dns.question.name" in fields:
            domain = self._domain(ctx, fields["dns.question.name"])
            ctx.rel(actor, R.RESOLVED, domain)
            self._answers(ctx, domain)
        if "destination.ip" in fields:
            ctx.rel(actor, R.CONNECTED, self._ip(ctx, fields["destination.ip"]))
        url = self._url(ctx) if "url.full" in fields else None
        if url is not None:
            ctx.rel(actor, R.REQUESTED, url)
            ctx.rel(url, R.ON, self._domain(ctx, fields.get("url.domain")))
        file = None if keys.isdisjoint(_FILE_IDENTITY) else self._file(ctx)
        if file is not None:
            if url is not None:
                ctx.rel(ctx.host, R.DOWNLOADED, file)
                ctx.rel(file, R.SERVED_BY, url)
            elif process is not None:
                ctx.rel(process, R.WROTE, file)
            else:
                ctx.touch(file)

    # -- network sensors ----------------------------------------------------
    def _sensor(self, acc: Accumulator, event: Event, fields: dict[str, Any]) -> None:
        """A Zeek/Suricata-style event: IPs first, hosts through the time-aware map."""
        ts = event.ts
        src_ip = fields.get("source.ip")
        src_ip = ip_or_none(str(src_ip)) if src_ip else None
        dst_ip = fields.get("destination.ip")
        dst_ip = ip_or_none(str(dst_ip)) if dst_ip else None
        # a DHCP client without an address yet, a broadcast: no machine is at either end
        if src_ip in _NO_PEER:
            src_ip = None
        if dst_ip in _NO_PEER:
            dst_ip = None
        src_host = self.ipmap.lookup(src_ip, ts)
        dst_host = self.ipmap.lookup(dst_ip, ts)
        kind = event.kind
        if kind.endswith(":dhcp"):
            assigned = fields.get("dhcp.assigned_ip")
            named = fields.get("dhcp.hostname")
            holder = self.ipmap.lookup(assigned, ts) if assigned else None
            # the lease's holder is the client (an ACK without the name too: the IP map joins an
            # EVE ACK to the request that named the host): the destination of a reply that names
            # it (an EVE ACK from the server), else the source (a Zeek record, a request)
            if holder and (not named or holder == named):
                if dst_ip is not None and fields.get("client.ip") == dst_ip and dst_ip != src_ip:
                    dst_host = holder
                else:
                    src_host = holder
        # the distinct known hosts, source first (as tuple(dict.fromkeys(...)) filtered, without the dict)
        if src_host:
            hosts: tuple[str, ...] = (src_host,) if not dst_host or dst_host == src_host else (src_host, dst_host)
        else:
            hosts = (dst_host,) if dst_host else ()
        # most sensor events (flows, connections, alerts) are IPs and ports only:
        # nothing past their IP relation would add anything
        is_bare = fields.keys().isdisjoint(_SENSOR_KEYS)
        rule = self._kind_rules.get(kind)
        if rule is None:  # a handful of kinds: each is read once per run (endswith was ~0.1 us an event)
            rule = (R.ALERTED if kind.endswith((":alert", ":notice")) else R.CONNECTED, kind in _FILE_TRANSFER_KINDS)
            self._remember(self._kind_rules, kind, rule)
        rel_type, is_transfer = rule
        if is_transfer and "client.ip" not in fields:
            # source and destination are the file's sender and receiver; which of them opened the
            # connection is not said (a Zeek files record without is_orig): no CONNECTED, which
            # would point from the server to its client for every download
            dst_ip_related = None
        else:
            dst_ip_related = dst_ip
        if is_bare and not hosts:
            # and with neither end mapped (most of them), nothing is sighted: no _Ctx.
            # A lone IP (software.log's host...) relates to nothing: no entity.
            if src_ip and dst_ip_related:
                acc.relate(acc.entity(IP, src_ip, src_ip), rel_type,
                           acc.entity(IP, dst_ip_related, dst_ip_related), ts, event.id)
            return
        ctx = _Ctx(acc, event, src_host, hosts)
        if is_bare:
            if dst_ip_related:
                # an alert's target stays its IP (the model's rule); a connection reaches the server's host
                server_host = dst_host if rel_type != R.ALERTED and dst_host != src_host else None
                ctx.rel(self._actor(acc, src_host, src_ip), rel_type, self._actor(acc, server_host, dst_ip_related))
            self._sight(ctx)
            return
        # The client's side: the source, unless the parser says the client is the destination
        # (a server-to-client packet); src_ip/dst_ip are canonical already, as client.ip is.
        client_ip = fields.get("client.ip")
        if client_ip is not None and client_ip == dst_ip and dst_ip != src_ip:
            client_host, client, server_host, server = dst_host, dst_ip, src_host, src_ip
            server_domain = fields.get("source.domain")
        else:
            client_host, client, server_host, server = src_host, src_ip, dst_host, dst_ip
            server_domain = fields.get("destination.domain")
        # an alert keeps its packet's direction (the signature's source and target: host|ip
        # ALERTED ip, the model's rule); a connection is the client's, and reaches the server's
        # host when mapped (an inbound connection, as an inbound Sysmon 3: ip CONNECTED host)
        if rel_type == R.ALERTED:
            if dst_ip:
                ctx.rel(self._actor(acc, src_host, src_ip), rel_type, acc.entity(IP, dst_ip, dst_ip))
        elif server and dst_ip_related:
            # no host connects to itself: both ends on one host (its own second address) keep the address
            ctx.rel(self._actor(acc, client_host, client), rel_type,
                    self._actor(acc, server_host if server_host != client_host else None, server))
        if "dns.question.name" in fields:
            domain = self._domain(ctx, fields["dns.question.name"])
            if domain is not None:
                ctx.rel(self._actor(acc, client_host, client), R.RESOLVED, domain)
                ctx.touch(domain)
                self._answers(ctx, domain)
        url = self._url(ctx)
        domain = self._domain(ctx, fields.get("url.domain") or server_domain)
        if url is not None:
            ctx.rel(self._actor(acc, client_host, client), R.REQUESTED, url)
            ctx.rel(url, R.ON, domain)
            ctx.touch(url)
        elif domain is not None:  # TLS SNI, an HTTP host without a URL: the name the client asked for
            ctx.rel(self._actor(acc, client_host, client), R.RESOLVED, domain)
            if server:
                # the client's claim, not a resolver's or the server's answer (module docstring)
                ctx.rel(domain, R.CLAIMED_AT, acc.entity(IP, server, server))
            ctx.touch(domain)
        if "dhcp.assigned_ip" in fields:
            ctx.touch(self._ip(ctx, fields["dhcp.assigned_ip"]))
        if not fields.keys().isdisjoint(_CERT_KEYS):
            self._certificate(ctx, fields, server)
        if "user.name" in fields:  # a proxy's or VPN's user: seen where the client is
            ctx.touch(self._user(ctx))
        # the file's receiver and sender: the destination and source of records that follow
        # the file (Zeek files, EVE fileinfo), else the client that asked for it and the server
        # (a proxy's or firewall's record)
        if is_transfer:
            # a file the client sent (is_orig: an HTTP POST/PUT body, an SMB write) is its sender's upload
            uploader = self._actor(acc, src_host, src_ip) if client_ip is not None and client_ip == src_ip else None
            self._sensor_files(ctx, fields, url, domain, dst_host, src_ip, uploader)
        else:
            self._sensor_files(ctx, fields, url, domain, client_host, server)
        self._sight(ctx)

    @staticmethod
    def _actor(acc: Accumulator, host: str | None, ip: str | None) -> EntityKey | None:
        """The host at ``ip`` when mapped, else the IP itself (an entity only now, as a relation names it)."""
        if host:
            return (HOST, host)  # the event's hosts are entities already (_Ctx.fill)
        return acc.entity(IP, ip, ip) if ip else None

    def _certificate(self, ctx: _Ctx, fields: dict[str, Any], server: str | None) -> None:
        """A certificate's names ``RESOLVES_TO`` the server that presented it.

        One record may name both (Suricata tls); Zeek logs the certificate (x509,
        no IPs) apart from the connection (ssl, whose chain starts with the host
        certificate's fingerprint or file id), so each side is remembered until
        the other arrives.
        """
        names = _certificate_names(fields)
        chain = fields.get("zeek.cert_chain_fps") or fields.get("zeek.cert_chain_fuids")
        if server is not None and names:
            pairs: tuple[tuple[str, tuple[str, ...]], ...] = ((server, ctx.hosts),)
        elif server is not None and (cert_id := _first_certificate(chain)) is not None:
            known = self._cert_servers.get(cert_id, ())
            if all(ip != server for ip, _ in known):
                servers = (*known[-(_CERT_SERVERS_LIMIT - 1):], (server, ctx.hosts))
                self._remember(self._cert_servers, cert_id, servers, _CERT_LIMIT)
            names = self._cert_names.get(cert_id, ())
            pairs = ((server, ctx.hosts),)
        elif names:
            own_id = fields.get("zeek.fingerprint") or fields.get("zeek.id")
            if not own_id:
                return
            self._remember(self._cert_names, str(own_id), names, _CERT_LIMIT)
            pairs = self._cert_servers.get(str(own_id), ())
        else:
            return
        if not pairs:  # no server known yet: no entities either (they would relate to nothing)
            return
        acc = ctx.acc
        refs = [ref for ref in (self._domain(ctx, name) for name in names) if ref is not None]
        for ip, hosts in pairs:
            server_ref = acc.entity(IP, ip, ip)
            for ref in refs:
                ctx.rel(ref, R.RESOLVES_TO, server_ref)
            if hosts and hosts != ctx.hosts:  # an x509 record has no hosts: the ssl record's clients saw it
                acc.sight(hosts, refs, ctx.ts)

    def _sensor_files(
        self,
        ctx: _Ctx,
        fields: dict[str, Any],
        url: EntityKey | None,
        domain: EntityKey | None,
        receiver: str | None,
        sender: str | None,
        uploader: EntityKey | None = None,
    ) -> None:
        """Files seen on the wire; Zeek's ``files`` and ``http`` logs join on file ids.

        ``receiver`` (a host) DOWNLOADED the file; ``uploader`` (a host or IP), the client that
        sent it, UPLOADED it.
        """
        fuid = fields.get("zeek.fuid")
        fuid = str(fuid) if fuid else None
        served = self._fuid_url.get(fuid) if fuid else None
        file = self._file(ctx)
        if file is None:
            mime = fields.get("file.mime_type")
            size = fields.get("file.size")
            if mime and size:
                known_url = url if url is not None else served[0] if served is not None else None
                if known_url is not None:
                    file = _url_transfer(ctx.acc, known_url, mime, size)
                elif fuid and _awaits_http_record(fields):
                    # Its identity is its URL, which the http record names (Zeek writes files.log
                    # and http.log apart, in either order): the file waits for it, so that the
                    # same download is one entity whichever log is read first.
                    pending = (ctx.event.id, ctx.ts, receiver, ctx.hosts, mime, size)
                    self._remember(self._fuid_pending, fuid, pending)
                elif sender:
                    file = _sender_transfer(ctx.acc, sender, mime, size)
        if file is not None:
            if receiver:
                ctx.rel((HOST, receiver), R.DOWNLOADED, file)
            if uploader is not None:  # the URL is where it went, not where it came from
                ctx.rel(uploader, R.UPLOADED, file)
            elif url is not None:
                ctx.rel(file, R.SERVED_BY, url)
                ctx.rel(file, R.SERVED_BY, domain)
            if fuid:
                self._remember(self._fuid_file, fuid, file)
                if served is not None:
                    ctx.rel(file, R.SERVED_BY, served[0])
                    ctx.rel(file, R.SERVED_BY, served[1])
        if url is not None:
            fuids = fields.get("zeek.resp_fuids") or ()
            if isinstance(fuids, str):
                fuids = fuids.split(",")
            for fuid in fuids:
                fuid = str(fuid)
                self._remember(self._fuid_url, fuid, (url, domain))
                known = self._fuid_file.get(fuid)
                if known is not None:
                    ctx.rel(known, R.SERVED_BY, url)
                    ctx.rel(known, R.SERVED_BY, domain)
                waiting = self._fuid_pending.pop(fuid, None)
                if waiting is not None:
                    self._remember(self._fuid_file, fuid, self._arrived(ctx.acc, waiting, url, domain))

    @staticmethod
    def _arrived(acc: Accumulator, pending: _PendingTransfer, url: EntityKey, domain: EntityKey | None) -> EntityKey:
        """A waiting download whose URL is now known: what its files record would have added then.

        The relations and sightings carry the files record's event id and time, so the graph is the
        one the files record gives when its http record came first (``_sensor_files``).
        """
        event_id, ts, receiver, hosts, mime, size = pending
        file = _url_transfer(acc, url, mime, size)
        for host in hosts:  # this batch may not hold them (the files record's may be another)
            acc.entity(HOST, host, host)
        if receiver:
            acc.relate((HOST, receiver), R.DOWNLOADED, file, ts, event_id)
        acc.relate(file, R.SERVED_BY, url, ts, event_id)
        touched = [file, url]
        if domain is not None:
            acc.relate(file, R.SERVED_BY, domain, ts, event_id)
            touched.append(domain)
        if hosts:
            acc.sight(hosts, touched, ts)
        return file

    @staticmethod
    def _remember(cache: dict, key: Any, value: Any, limit: int = _CACHE_LIMIT) -> None:
        if len(cache) > limit:
            # the older half goes (dicts keep insertion order): a long run keeps joining
            # what it saw recently, where clearing made every join miss at once
            for old in list(islice(cache, len(cache) // 2)):
                del cache[old]
        cache[key] = value


def _entity_key(pair: list[str]) -> EntityKey:
    type_, key = pair
    return (type_, key)


def _restore_process(item: list[list[Any]]) -> tuple[tuple[str, Any], EntityKey]:
    (host, guid), ref = item
    return (host, guid), _entity_key(ref)


def _restore_pid(item: list[Any]) -> tuple[tuple[str, str], tuple[tuple[float, EntityKey, str], ...]]:
    (host, pid), held = item
    return (host, pid), tuple((at, _entity_key(ref), str(name)) for at, ref, name in held)


def _restore_script_parts(item: list[Any]) -> tuple[tuple[str, str], tuple[int, tuple[tuple[int, str], ...]]]:
    (host, block_id), (total, parts) = item
    return (host, block_id), (int(total), tuple((int(number), str(text)) for number, text in parts))


def _restore_file(item: list[Any]) -> tuple[str, EntityKey]:
    fuid, ref = item
    return fuid, _entity_key(ref)


def _restore_url(item: list[Any]) -> tuple[str, tuple[EntityKey, EntityKey | None]]:
    fuid, (url, domain) = item
    return fuid, (_entity_key(url), None if domain is None else _entity_key(domain))


def _restore_pending(item: list[Any]) -> tuple[str, _PendingTransfer]:
    fuid, (event_id, ts, receiver, hosts, mime, size) = item
    return fuid, (event_id, ts, receiver, tuple(hosts), mime, size)


def _restore_names(item: list[Any]) -> tuple[str, tuple[str, ...]]:
    cert_id, names = item
    return cert_id, tuple(names)


def _restore_servers(item: list[Any]) -> tuple[str, tuple[tuple[str, tuple[str, ...]], ...]]:
    cert_id, servers = item
    return cert_id, tuple((ip, tuple(hosts)) for ip, hosts in servers)


_RESTORE = {
    "_processes": _restore_process,
    "_pids": _restore_pid,
    "_fuid_file": _restore_file,
    "_fuid_url": _restore_url,
    "_fuid_pending": _restore_pending,
    "_cert_names": _restore_names,
    "_cert_servers": _restore_servers,
    "_script_parts": _restore_script_parts,
}
"""Per join, one saved ``[key, value]`` pair back as the key and value the projector makes (tuples,
not JSON's lists); a pair of another shape raises, and the state is not taken."""


def _script(acc: Accumulator, text: str, parts: int = 0) -> EntityKey:
    """The script of ``text``: keyed by its whitespace-collapsed text; ``parts`` when joined from parts."""
    props: dict[str, Any] = {"text": text[:SCRIPT_TEXT_CHARS], "length": len(text)}
    if parts:
        props["parts"] = parts
    return acc.entity(SCRIPT, stable_hash(" ".join(text.split())), text[:SCRIPT_VALUE_CHARS], props)


def _url_transfer(acc: Accumulator, url: EntityKey, mime: Any, size: Any) -> EntityKey:
    """A file on the wire with no digest and no name, known by the URL it came from, type and size.

    The same payload fetched from one URL by many hosts is one entity (a payload's fan-out), and
    different files of one type and size from one server are not.  The same bytes served at two
    URLs are two files: the price of having no digest.
    """
    key = "transfer:" + stable_hash("url", url[1], str(mime).lower(), str(size))
    return acc.entity(FILE, key, f"{mime}, {size} bytes from {url[1]}",
                      {"mime_type": mime, "size": size, "url": url[1]})


def _sender_transfer(acc: Accumulator, sender: str, mime: Any, size: Any) -> EntityKey:
    """A file on the wire with no digest, no name and no known URL, known by its sender, type and size.

    Zeek hashes files only when its file analysis is on, and a transfer outside HTTP has no URL:
    two files of one type and size from one server are then one entity.
    """
    key = "transfer:" + stable_hash(sender, str(mime).lower(), str(size))
    return acc.entity(FILE, key, f"{mime}, {size} bytes from {sender}",
                      {"mime_type": mime, "size": size, "sender": sender})


def _awaits_http_record(fields: dict[str, Any]) -> bool:
    """Whether a Zeek files record is an HTTP download, whose http record lists it in ``resp_fuids``.

    An upload (``is_orig``: the client sent it) is listed in ``orig_fuids``, which names no place it
    came from; a record that does not say its direction keeps the sender rule.
    """
    return (fields.get("network.protocol") == "http" and "client.ip" in fields
            and fields.get("client.ip") == fields.get("destination.ip"))


def _first_certificate(chain: object) -> str | None:
    """The host certificate's id: the first of a Zeek ``cert_chain_fps``/``cert_chain_fuids`` list or text.

    Anything else (a number, an empty list: a damaged record) names no certificate.
    """
    if isinstance(chain, list):
        first = chain[0] if chain else None
    elif isinstance(chain, str):
        first = chain.split(",", 1)[0]
    else:
        return None
    return str(first) if first not in (None, "") else None


def project_events(events: Iterable[Event], ipmap: IpHostMap | None = None) -> Projection:
    """Convenience: project ``events`` with a fresh :class:`Projector`."""
    return Projector(ipmap).project(events)


_GENERIC_KEYS = frozenset((
    "process.executable", "process.command_line", "process.guid", "user.name", "dns.question.name",
    "destination.ip", "url.full", "file.hash.sha256", "file.path", "file.name", "file.hash.sha1",
    "file.hash.md5",
))
"""Every field :meth:`Projector._generic` can act on: an event with none of them adds only its host
(:meth:`Projector.project_into` does that without building a :class:`_Ctx`)."""

_FILE_SUFFIXES = ("hash.sha256", "path", "name", "hash.sha1", "hash.md5", "mime_type")
_PROCESS_SUFFIXES = ("executable", "command_line", "guid", "name", "command_line_decoded", "hash.sha256", "pid")


def _field_names(prefix: str, suffixes: tuple[str, ...]) -> tuple[str, ...]:
    """``prefix.suffix`` for each suffix: built once at import (f-strings per event were measurable)."""
    return tuple(f"{prefix}.{suffix}" for suffix in suffixes)


_PROCESS = _field_names("process", _PROCESS_SUFFIXES)
_PARENT = _field_names("process.parent", _PROCESS_SUFFIXES)
_TARGET = _field_names("target.process", _PROCESS_SUFFIXES)
_FILE = _field_names("file", _FILE_SUFFIXES)
_PARENT_IDENTITY = frozenset(_PARENT[:3])
"""The parent fields without which :meth:`Projector._process` finds no parent (image, command line, GUID)."""
_FILE_IDENTITY = frozenset(_FILE[:5])
"""The file fields without which :meth:`Projector._file` finds no file (hashes, path, name)."""

_SIGNATURE_PROPS = (("file.code_signature.signed", "signed"), ("file.code_signature.subject_name", "signature"),
                    ("file.code_signature.status", "signature_status"))
"""Sysmon 6 signature fields -> the driver file's props."""

_CERT_KEYS = frozenset(("x509.san", "x509.subject", "zeek.cert_chain_fps", "zeek.cert_chain_fuids"))
"""The fields :meth:`Projector._certificate` reads a certificate or a certificate chain from."""

_NO_PEER = frozenset(("0.0.0.0", "::", "255.255.255.255"))
"""Addresses that name no machine at the other end: unspecified (a DHCP client before its lease)
and the limited broadcast.  ``0.0.0.0 CONNECTED 255.255.255.255`` was one fleet-wide edge."""
_LOCAL_SOURCES = _NO_PEER | {"127.0.0.1", "::1"}
"""Logon source addresses of a logon from the machine itself."""
_ALIAS_QUERY_TYPES = frozenset(("A", "AAAA", "CNAME"))
"""Query types whose name answers are the CNAME chain (others' are PTR, MX, NS... targets)."""


def _answers_address_question(fields: dict[str, Any]) -> bool:
    """Whether the answer's addresses are the question's: its type asks for addresses (A, AAAA,
    CNAME, ANY), or no type is known.

    >>> _answers_address_question({"dns.question.type": "MX"}), _answers_address_question({"zeek.qtype_name": "AAAA"})
    (False, True)
    >>> _answers_address_question({})
    True
    """
    qtype = fields.get("dns.question.type") or fields.get("zeek.qtype_name")
    return not qtype or qtype in _ADDRESS_QUERY_TYPES


_ADDRESS_QUERY_TYPES = frozenset(("A", "AAAA", "CNAME", "ANY", "*"))
"""Query types whose address answers are addresses of the question (or of its CNAME chain)."""


def _cname_flags(fields: dict[str, Any], answers: list[Any], question: str) -> list[bool]:
    """Per answer, whether the source says it is a CNAME target.

    * ``dns.answer_types`` (each answer's record type: EVE, Sysmon 22's ``type:  N``, ECS) says
      it exactly: a name is a CNAME when its record is one;
    * else the question's type (``dns.question.type``, Zeek's ``qtype_name``): an A, AAAA or
      CNAME question is answered by names only along its CNAME chain;
    * else (no type at all: ECS without types, MDE's ``DnsQueryResult``) the names are a chain only
      when the answer goes on to addresses, which the chain's end resolves to, and the question
      is no reverse lookup (``.arpa``) and no service name (``_ldap._tcp...``, SRV): an MX or NS
      answer is names only, and was taken as a chain.

    >>> _cname_flags({"dns.answer_types": ["CNAME", "A", "MX"]}, ["b.example", "192.0.2.1", "mx.example"], "a.example")
    [True, False, False]
    >>> _cname_flags({}, ["mx1.example", "mx2.example"], "a.example")
    [False, False]
    >>> _cname_flags({}, ["cdn.example", "192.0.2.1"], "a.example")
    [True, True]
    """
    types = fields.get("dns.answer_types")
    if isinstance(types, list) and len(types) == len(answers):
        return [kind == "CNAME" for kind in types]
    qtype = fields.get("dns.question.type") or fields.get("zeek.qtype_name")
    if qtype:
        is_chain = qtype in _ALIAS_QUERY_TYPES
    else:
        is_chain = (not question.endswith(".arpa") and not question.startswith("_")
                    and any(ip_or_none(str(answer)) for answer in answers))
    return [is_chain] * len(answers)


_FILE_TRANSFER_KINDS = frozenset(("zeek:files", "suricata:fileinfo"))
"""Sensor records whose source and destination are a file's sender and receiver (elsewhere the
client and the server, whichever way the file went)."""
_SENSOR_KEYS = frozenset((
    "dns.question.name", "url.full", "url.domain", "destination.domain", "source.domain", "client.ip",
    "dhcp.assigned_ip", "user.name", *_FILE, *_CERT_KEYS,
))
"""Every field :meth:`Projector._sensor` reads past the source and destination IPs (the file
fields give a file entity, the MIME type with a size one known by its sender): a sensor event
with none of them adds only its IPs, its hosts and their relation."""


_COMMON_NAME = re.compile(r"(?:^|,)\s*CN=((?:\\.|[^,\\])*)", re.IGNORECASE)
_DN_ESCAPE = re.compile(r"\\(.)")


def _certificate_names(fields: dict[str, Any]) -> tuple[str, ...]:
    """The DNS names a certificate is for: its SAN DNS names, else its subject's CN (RFC 6125), no wildcards.

    >>> _certificate_names({"x509.subject": "emailAddress=a@b.example,CN=prosacco.sons.com,O=P\\, S"})
    ('prosacco.sons.com',)
    """
    san = fields.get("x509.san")
    if san:
        names = [san] if isinstance(san, str) else [str(name) for name in san if name]
    else:
        subject = fields.get("x509.subject")
        match = _COMMON_NAME.search(subject) if isinstance(subject, str) else None
        if match is None:
            return ()
        names = [_DN_ESCAPE.sub(r"\1", match.group(1)).strip()]
    # a wildcard ("*.cdn.example") names no one domain: it is left out
    return tuple(name for name in names if name and not name.startswith("*"))[:_CERT_NAMES_LIMIT]


def _basename(path: str) -> str:
    if not path:
        return ""
    return path.replace("\\", "/").rsplit("/", 1)[-1].lower()
