"""Normalised events -> entities, aggregated relations and host sightings.

This is the one place that knows the entity model of ``PRODUCT.md``.  It reads
the fields of ``docs/fields.md`` and nothing format-specific beyond a few Zeek
join keys (``zeek.fuid``, ``zeek.resp_fuids``; ``zeek.cert_chain_fps`` /
``zeek.cert_chain_fuids`` of ssl and ``zeek.fingerprint`` / ``zeek.id`` of x509).

Identity rules
--------------
* host: normalised short name (``Event.host``; sensor events reach hosts through
  the time-aware :class:`ingest.ipmap.IpHostMap`).
* user: ``domain\\name`` lower case (already normalised by parsers); a Kerberos principal's
  ``realm\\name`` is ``netbios\\name`` once its realm is known to be that NetBIOS domain
  (``ingest.projection_realms``).
* process: key ``stable_hash(lower image path, normalize_command_line(cmdline))``;
  value the command line (else the image); props image, name, command_line,
  decoded_command; the image in a key is case-folded, with ``\\??\\``,
  ``\\SystemRoot\\`` and ``%windir%`` expanded.  A reference without a command
  line (Sysmon 3/7/10/11/13: image and GUID; Security 4688 under a policy
  without command lines: image and pid; a 4688 parent) is the full process of
  the same host and GUID (projected earlier, in this call or an earlier one:
  the join state below), else of the same host, pid and image name at that
  time or up to 2 s later (``PID_JOIN_SECONDS``), else an image-only node.
  When that process is not known yet, the reference is settled at the batch's
  end, so within a batch the arrival order does not matter; a reference in an
  earlier batch or call than the creation it names stays image-only.  A pid
  with another image, or a holder with another Sysmon GUID, never joins.
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
Its time is the event's, except for an event received on a live channel
(``graphsiem.received_at`` in its fields), whose sightings are dated no earlier
than its receipt minus that channel's allowed lateness (:mod:`ingest.receipt`:
the syslog listener's 6 h by default): a record cannot make the fleet have
known something before the fleet could have known it.  Its relations keep its
own time.

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

The rules live in sibling modules, one job each; :class:`Projector` is their mixins
and the driving loop:

* ``ingest.projection_accumulator``: :class:`Accumulator` (one batch) and
  ``EventContext`` (one event);
* ``ingest.projection_entities``: the entity builders and the process join;
* ``ingest.projection_endpoint``: the endpoint rules by event kind, and the
  PowerShell parts join;
* ``ingest.projection_access``: a process opening another (``ACCESSED`` only with memory rights), or
  a file or key (4663: by its access mask);
* ``ingest.projection_logons``: sshd and PAM log-ons (Windows' logon rules, and the client's name), and
  a domain controller's Kerberos events (4768/4769/4771) and NTLM credential validations (4776);
* ``ingest.projection_network``: the network-sensor rule;
* ``ingest.projection_realms``: Kerberos realm -> NetBIOS domain, learnt and the operator's;
* ``ingest.projection_names``: DNS answers and the x509/ssl certificate join;
* ``ingest.projection_transfers``: files on the wire and the Zeek files/http join;
* ``ingest.projection_state``: saving and restoring the join state.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from graphsiem.model import Entity, EntityKey, Event, Projection
from ingest.ipmap import IpHostMap, IpWatch
from ingest.normalize import ip_or_none
from ingest.projection_access import AccessRules
from ingest.projection_accumulator import (
    DOMAIN,
    FILE,
    HOST,
    IP,
    PROCESS,
    SCRIPT,
    URL,
    USER,
    Accumulator,
    EventContext,
    R,
)
from ingest.projection_antivirus import REREAD_KINDS, detection_rule, reread_detection
from ingest.projection_endpoint import GENERIC_KEYS, InstalledNames
from ingest.projection_entities import SCRIPT_TEXT_CHARS, SCRIPT_VALUE_CHARS
from ingest.projection_logons import DcDomain, LogonRules
from ingest.projection_network import SensorRules
from ingest.projection_state import JOIN_STATE_VERSION, JOINS, JoinState
from ingest.projection_transfers import PendingTransfer
from ingest.projection_wmi_runs import WmiRun, WmiTemplates
from ingest.realm_domains import RealmEvidence, parse_realm_domains, realm_domains_from_environment
from ingest.receipt import LatenessPolicy

__all__ = [
    "DOMAIN", "FILE", "HOST", "IP", "JOIN_STATE_VERSION", "PROCESS", "R", "SCRIPT", "SCRIPT_TEXT_CHARS",
    "SCRIPT_VALUE_CHARS", "URL", "USER", "Accumulator", "Projector", "project_events",
]


class Projector(LogonRules, AccessRules, SensorRules, JoinState):
    """Projects batches of events; keeps the cross-event join state (saved between calls, see above).

    Parameters
    ----------
    ipmap : IpHostMap, optional
        The IP -> host intervals for network-sensor events (empty if omitted).
    realm_domains : Mapping, optional
        The operator's Kerberos realm -> NetBIOS domain map (``ingest.realm_domains``); by default
        ``GRAPHSIEM_REALM_DOMAINS`` (none when unset).

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

    def __init__(self, ipmap: IpHostMap | IpWatch | None = None,
                 realm_domains: Mapping[str, str] | None = None, lateness: LatenessPolicy | None = None) -> None:
        self.ipmap = ipmap if ipmap is not None else IpHostMap()
        self.lateness = LatenessPolicy.from_environment() if lateness is None else lateness
        """How long before its receipt a live event may date its sightings, per channel (``ingest.receipt``;
        by default from ``GRAPHSIEM_ALLOWED_LATENESS_S`` and ``GRAPHSIEM_API_ALLOWED_LATENESS_S``)."""
        self._realm_overrides = (realm_domains_from_environment() if realm_domains is None
                                 else parse_realm_domains(realm_domains))
        """The operator's realm -> NetBIOS domain (``ingest.realm_domains``; by default ``GRAPHSIEM_REALM_DOMAINS``)."""
        self.errors = 0
        self.failed: list[str] = []
        self._processes: dict[tuple[str, str], EntityKey] = {}
        """Full process identities by (host, GUID)."""
        self._pids: dict[tuple[str, str], tuple[tuple[float, EntityKey, str], ...]] = {}
        """Per (host, pid), the processes that held it, each with the earliest time seen and its
        lower-case image name ("" when unknown), by time."""
        self._fuid_file: dict[str, EntityKey] = {}
        self._fuid_url: dict[str, tuple[EntityKey, EntityKey | None]] = {}
        self._fuid_pending: dict[str, PendingTransfer] = {}
        """Zeek files: HTTP downloads with no digest and no name whose http record (their URL) is not
        seen yet, by file id (see :meth:`_sensor_files`)."""
        self._cert_names: dict[str, tuple[str, ...]] = {}
        """Zeek x509: certificate id (fingerprint or file id) -> its names."""
        self._cert_servers: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {}
        """Zeek ssl: host certificate id -> ((server IP, client hosts), ...), immutable so forks share them."""
        self._script_parts: dict[tuple[str, str], tuple[int, tuple[tuple[int, str], ...]]] = {}
        """PowerShell 4104: (host, block id) -> (parts in all, ((number, text), ...) seen so far)."""
        self._installed_names: dict[EntityKey, InstalledNames] = {}
        """Installed command (process key) -> the service and task names it was installed as (see ``_installed``)."""
        self._sid_names: dict[str, str] = {}
        """Account SID (lower case) -> the account's user key, as logons name it (see ``_learn_sid``)."""
        self._wmi_templates: dict[str, WmiTemplates] = {}
        """Image -> the templated WMI consumers' commands installed of it (see ``ingest.projection_wmi_runs``)."""
        self._wmi_runs: dict[str, tuple[WmiRun, ...]] = {}
        """Image -> its latest WMI runs, for a consumer journaled after them (``ingest.projection_wmi_runs``)."""
        self._realm_domains: dict[str, RealmEvidence] = {}
        """Learnt realm -> the NetBIOS names hosts gave it, with the hosts (see ``ingest.projection_realms``)."""
        self._dc_domains: dict[str, DcDomain] = {}
        """Host -> its own NetBIOS domain, and whether it is a domain controller (see ``ingest.projection_logons``)."""
        self._domains: dict[Any, str] = {}
        self._process_keys: dict[tuple[str, str], tuple[EntityKey, str | None]] = {}
        self._placeholder_refs: dict[tuple[str, str, str], EntityKey] = {}
        """The key of a GUID's placeholder by (host, GUID, image): a cache, not join state (see ``_placeholder``)."""
        self._host_ips: dict[Any, str] = {}
        """``ip_or_none`` of each event host seen ("" for a name)."""
        self._kind_rules: dict[str, tuple[str, bool]] = {}
        """Per sensor event kind: its relation between the ends, and whether its ends are a file's sender
        and receiver."""
        self.state_seq = 0
        """The seq of the join state the journal holds for this projector's line (see ``ingest.replay``)."""
        self._ctx: EventContext = EventContext.__new__(EventContext)
        """The context of endpoint events, refilled for each (see project_into)."""
        self._handlers = {
            "sysmon:process_create": self._process_create,
            "winsec:process_create": self._process_create,
            "sysmon:network_connect": self._network_connect,
            "sysmon:dns_query": self._dns,
            "sysmon:file_create": self._file_action(R.WROTE),
            "sysmon:file_delete": self._file_action(R.DELETED),
            "sysmon:image_load": self._image_load,
            "sysmon:registry_set": self._registry,
            "sysmon:process_access": self._process_access,
            "sysmon:remote_thread": self._process_pair(R.INJECTED),
            "sysmon:process_terminate": self._process_only,
            "powershell:script_block": self._script_block,
            "winsec:logon": self._logon,
            "winsec:logon_failed": self._logon_failed,
            "syslog:logon": self._logon,
            "syslog:logon_failed": self._logon_failed,
            "winsec:kerberos_logon": self._kerberos_logon,
            "winsec:kerberos_logon_failed": self._kerberos_logon_failed,
            "winsec:kerberos_service_ticket": self._kerberos_logon_failed,  # sights the user; no log-on
            "winsec:credential_validation": self._credential_validation,  # NTLM 4776: no log-on either
            "winsec:special_privileges": self._special_privileges,
            "powershell:pipeline": self._pipeline,
            "sysmon:raw_access_read": self._raw_access_read,
            "windows:log_cleared": self._log_cleared,
            "winsec:network_connect": self._network_connect,
            "winsec:object_access": self._object_access,
            "sysmon:file_executable_detected": self._file_action(R.WROTE),
            "sysmon:file_delete_detected": self._file_action(R.DELETED),
            "sysmon:file_block_executable": self._file_blocked,
            "sysmon:file_block_shredding": self._file_blocked,
            "sysmon:file_stream_create": self._file_stream,
            "sysmon:driver_load": self._driver_load,
            "sysmon:wmi_consumer": self._wmi_consumer,
            "windows:service_installed": self._installed,
            "windows:task_created": self._installed,
            "windows:task_updated": self._installed,
            "av:detection": detection_rule(self._file),
        }

    def fork(self, ipmap: IpHostMap | IpWatch) -> Projector:
        """A projector that goes on from this one's join state (copied), with ``ipmap``.

        This projector is left as it is, so a caller can drop the fork and
        project the same events again from here.
        """
        other = Projector(ipmap, self._realm_overrides, self.lateness)
        other.errors = self.errors
        other.failed = list(self.failed)
        other.state_seq = self.state_seq
        for name in JOINS:
            setattr(other, name, dict(getattr(self, name)))
        other._domains = dict(self._domains)
        other._process_keys = dict(self._process_keys)
        other._host_ips = dict(self._host_ips)
        return other

    # -- driving ------------------------------------------------------------
    def project(self, events: Iterable[Event]) -> Projection:
        """The aggregated :class:`Projection` of ``events``.

        An event whose fields defeat a rule (a parser bug: a list where a name
        belongs) is skipped and counted in :attr:`errors`, with its id kept in
        :attr:`failed`: it stays in the journal, and the rest of the batch is
        projected.
        """
        acc = Accumulator(self.lateness)
        project_into = self.project_into
        for event in events:
            try:
                project_into(acc, event)
            except Exception:  # noqa: BLE001 - one odd event must not stop the graph
                self._note_failure(event)
        self._ctx = EventContext.__new__(EventContext)  # the refilled context lets go of this batch
        self._settle_deferred(acc)  # processes named before their creation in this batch
        return acc.projection()

    def _note_failure(self, event: Event) -> None:
        """Count an event a rule failed on, and keep its id (the first 1,000): it stays in the journal."""
        self.errors += 1
        if len(self.failed) < 1000:
            self.failed.append(event.id)

    def project_into(self, acc: Accumulator, event: Event) -> None:
        """Add one event's entities, relations and sightings to ``acc``."""
        if event.kind in REREAD_KINDS:  # an older journal's antivirus detection (ingest.projection_antivirus)
            event = reread_detection(event)
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
            # An image, a GUID or a command line makes it a process's event (most are): tested
            # first, as keys().isdisjoint pays an iterator and a generic containment test a key
            # (callgrind: 0.2k instructions against 1.4k when the image is there)
            if "process.executable" not in fields and fields.keys().isdisjoint(GENERIC_KEYS):
                # most unmapped Windows events (code, channel, host and message only,
                # a quarter of a Windows corpus): their host is all they add
                ref = (HOST, host)
                if ref not in acc.entities:  # as acc.entity(HOST, host, host), without the call
                    acc.entities[ref] = Entity(HOST, host, host, {})
                return
            handler = self._generic
        ctx = self._ctx
        ctx.fill_one(acc, event, host)
        handler(ctx)
        acc.sight_one(host, ctx.touched, ctx.seen)  # as self._sight(ctx): an endpoint event has its host


def project_events(events: Iterable[Event], ipmap: IpHostMap | None = None) -> Projection:
    """Convenience: project ``events`` with a fresh :class:`Projector`."""
    return Projector(ipmap).project(events)
