"""Parser for Zeek logs: JSON records and the typed rows of the TSV reader.

Both shapes arrive as flat dicts with Zeek's dotted keys (``id.orig_h``) and
``_path`` (JSON streaming logs write it; the TSV reader sets it from ``#path``).
Plain Zeek JSON has no ``_path``: the log is the one whose fields the record's
keys are (:func:`ingest.parsers.zeek_logs.pathless_log`), else a known log named in the file name
(``ParseContext.path_hint``), else ``unknown`` (``zeek:unknown``).
Records re-shaped with nested objects (``"id": {"orig_h": ...}``, as some
shippers write them) are read as the dotted keys Zeek itself writes.

Rules, so that the TSV and JSON copies of one log give identical events:

* every Zeek field is kept as ``zeek.<name>`` (``_path``/``_write_ts`` dropped);
* times become epoch floats: ``ts`` and any ISO-8601 ``...Z`` string value
  (brim's JSON writes ``time`` fields that way, ``1970-01-01T00:00:00.000000Z``
  for zero); a numeric ``ts`` of :data:`MILLIS_FROM` or more is milliseconds
  (``LogAscii::json_timestamps=JSON::TS_MILLIS``), and the other ``time``
  fields of such a log stay as written (JSON does not say which numbers are
  times), and
* floats are rounded to microseconds, the precision of Zeek's ASCII writer.

On top of the ``zeek.*`` fields, conn, dns, http, files, ssl, x509, dhcp and
notice logs set the normalised fields of ``docs/fields.md``; every log maps
``id.orig_h/p`` and ``id.resp_h/p`` to ``source.*``/``destination.*``.

Documented choices:

* ``files``: ``source.ip`` is the host that sent the file, ``destination.ip``
  the one that received it (``tx_hosts``/``rx_hosts``; for Zeek >= 5 logs with
  ``id.*`` and ``is_orig``, the connection side that sent it).
* ``http`` without a ``host`` header uses the responder address (and its port
  when not 80) as the URL host; when Zeek did not see the request line
  (``uri`` unset) there is no URL and no path (none is made up): a ``host``
  header gives ``destination.domain``, and the files the record lists are
  known by the server's address (``ingest.projection_transfers``).  The file
  ids of an error response's page (status 4xx/5xx; ``resp_mime_types`` a page
  type or none) are ``zeek.error_resp_fuids``, not ``zeek.resp_fuids``: an
  error page is no downloaded file, but an executable served with 404 is.
  A ``CONNECT`` names no resource but the tunnel's far end (``uri`` is
  ``host:port``): ``url.full`` is that origin, ``https://host/`` (browsers
  tunnel through a proxy only for TLS) unless the port is 80
  (``http://host/``), ``url.original`` the target as written, and no
  ``url.path``; the responder is the proxy, not the target.
* A DNS query name or TLS SNI that is not a valid domain name stays in
  ``zeek.query``/``zeek.server_name`` but gets no normalised domain field.
* Event ids come from the record's content, not its bytes
  (:func:`ingest.event_ids.content_id`): the log, ``ts`` and the ``zeek.*``
  fields, serialised with sorted keys before the per-log mappings add the
  normalised fields, so the TSV and JSON copies of a record (whatever their
  key order, ``_write_ts`` or time format) are one event, and a record that
  differs in any value is another.  The mappings may change between releases
  without changing ids; a change to the normal form of values would change
  them (the pipeline's aliases cover only ids as read).  A Windows event that
  a syslog record carries is the record's event 1, unless it carries its
  ``EventRecordID``: then it keeps its Windows content id
  (:mod:`ingest.parsers.windows_record_ids`).  A ``syslog`` record that is a
  capture copy of one 2 ms before it in the same flow takes that record's ids
  (:mod:`ingest.parsers.zeek_syslog_copies`).
* Sensor events have no endpoint: ``Event.host`` is ``None``.  When a record
  proves which machine sent it (a successful Kerberos request by a machine
  account ``HOST$``), ``source.hostname`` names it, so the IP -> host map can
  learn ``source.ip`` = that host.  NTLM workstation names are client-supplied
  and unauthenticated, so they are not used that way.

The normal form of values is :mod:`ingest.parsers.zeek_values`, the per-log
mappings :mod:`ingest.parsers.zeek_mappings`; this module keeps the parser
and re-exports :func:`round_micro`, :data:`MILLIS_FROM`, :func:`tunnel_url`
and :data:`LABEL`.
"""

from __future__ import annotations

from collections.abc import Iterator
from collections.abc import Set as AbstractSet
from typing import Any

import orjson

from graphsiem.model import Event
from ingest.event_ids import content_id
from ingest.parsers.base import ParseContext, ParseError, Parser, Record
from ingest.parsers.sensor_fields import ip_field, port_field, sensor_event
from ingest.parsers.syslog import windows_events_in_zeek_syslog
from ingest.parsers.zeek_logs import claimed_layout, pathless_log
from ingest.parsers.zeek_mappings import _MAPPERS, LABEL, tunnel_url
from ingest.parsers.zeek_syslog_copies import first_copy_content
from ingest.parsers.zeek_values import (
    _NAME_CACHE_LIMIT,
    MILLIS_FROM,
    _dotted,
    _event_time,
    _zeek_fields,
    round_micro,
)
from ingest.sensor_clock_gaps import CLOCK_GAPS

__all__ = ["LABEL", "MILLIS_FROM", "SOURCE", "ZeekParser", "parsers", "round_micro", "tunnel_url"]

SOURCE = "zeek"


def _set_connection(record: dict[str, Any], fields: dict[str, Any]) -> None:
    """``source.*``/``destination.*`` from ``id.orig_h/p`` and ``id.resp_h/p``.

    The same as ``set_field(fields, "source.ip", ip_field(record, "id.orig_h", LABEL))``
    and so on, with the calls spared for absent keys and plain int ports (every record).
    """
    get = record.get
    for ip_key, ip_name, port_key, port_name in _CONNECTION:
        if get(ip_key) is not None:
            ip = ip_field(record, ip_key, LABEL)
            if ip:
                fields[ip_name] = ip
        port = get(port_key)
        if port is not None:
            fields[port_name] = port if port.__class__ is int else port_field(record, port_key, LABEL)


_CONNECTION = (
    ("id.orig_h", "source.ip", "id.orig_p", "source.port"),
    ("id.resp_h", "destination.ip", "id.resp_p", "destination.port"),
)
_KINDS: dict[str, str] = {}
_ABSENT = object()


class ZeekParser:
    """Zeek JSON records and Zeek TSV reader rows -> ``zeek:<log>`` events."""

    name = SOURCE
    sniff_reads_values = True
    """A nested ``id`` must be an object holding ``orig_h`` or ``resp_h`` (:mod:`ingest.parsers.base`)."""

    def could_claim_layout(self, keys: AbstractSet[str]) -> bool:
        """Whether some object with exactly ``keys`` is Zeek's, whatever its values (:meth:`sniff`'s keys).

        >>> ZeekParser().could_claim_layout({"ts", "uid", "id"}), ZeekParser().could_claim_layout({"ts", "uid"})
        (True, False)
        """
        if "_path" in keys:
            return True
        if "ts" not in keys:
            return False
        if "id.orig_h" in keys or "id.resp_h" in keys or "fuid" in keys or "uid" in keys and "id" in keys:
            return True
        return claimed_layout(dict.fromkeys(keys))

    def sniff(self, record: Record) -> bool:
        """A dict with ``_path``; or with ``ts`` and a key only Zeek writes, or with ``ts`` and one log's own keys.

        Keys only Zeek writes are ``id.orig_h``, ``id.resp_h``, ``fuid``, and
        ``uid`` beside a connection (``id.*`` flat, or nested as
        ``"id": {"orig_h": ...}``); ``uid`` alone is an application's user id
        as often.  Without them, plain Zeek JSON of logs without a connection
        (x509, pe, software, dhcp...) is claimed when its keys are one log's
        fields with two only that log has (:func:`ingest.parsers.zeek_logs.claimed_layout`, decided
        once per key layout): ``{"ts", "level", "message"}`` or
        ``{"ts", "user", "password", "command"}`` is not Zeek.
        """
        if not isinstance(record, dict):
            return False
        if "_path" in record:
            return True
        if "ts" not in record:
            return False
        if "id.orig_h" in record or "id.resp_h" in record or "fuid" in record:
            return True
        if "uid" in record:
            nested = record.get("id")
            if isinstance(nested, dict) and ("orig_h" in nested or "resp_h" in nested):
                return True
        return claimed_layout(record)

    def parse(self, record: Record, context: ParseContext) -> Iterator[Event]:
        """One event per record; :class:`ParseError` names what is wrong."""
        if not isinstance(record, dict):
            raise ParseError("a Zeek record must be a JSON object")
        path = record.get("_path")
        ts = record.get("ts", _ABSENT)
        if ts is _ABSENT:
            raise ParseError(f"Zeek {path if isinstance(path, str) and path else 'log'} record without ts")
        ts = _event_time(ts)
        raw = record
        fields = _zeek_fields(record)
        if fields is None:  # nested objects (Filebeat-style "id": {...}): Zeek's dotted keys first
            record = _dotted(record)
            fields = _zeek_fields(record)
            assert fields is not None
        if not isinstance(path, str) or not path:
            path = pathless_log(record, context.path_hint)
        kind = _KINDS.get(path)
        if kind is None:
            kind = f"zeek:{path}"
            if len(_KINDS) < _NAME_CACHE_LIMIT:  # bounded: paths are attacker-controlled
                _KINDS[path] = kind
        # the id's input, taken before the mappers add the normalised fields (module docstring)
        content = _content(kind, ts, fields)
        if path == "syslog":
            # a capture copy of the same datagram takes its first copy's ids (ingest.parsers.zeek_syslog_copies)
            content = first_copy_content(kind, ts, fields, content, context)
        _set_connection(record, fields)
        event = sensor_event(SOURCE, kind, ts, record, fields, _MAPPERS.get(path), context, raw)
        event.id = content_id(SOURCE, content)
        yield event
        if path == "syslog":
            # Zeek's syslog.log carries Windows events in RFC 5424 lines, as "@cee:" JSON or
            # as their rendered text: the endpoint event joins the graph like an endpoint log would.
            for index, carried in enumerate(windows_events_in_zeek_syslog(record, context), 1):
                if not carried.id:
                    # a Windows event with its EventRecordID keeps the Windows content id the
                    # Windows parser gave it: the same in every copy and in the endpoint's export
                    carried.id = content_id(SOURCE, content, index)
                _note_clocks(carried, ts, record, context)
                yield carried


def _note_clocks(carried: Event, captured_at: float, record: dict[str, Any], context: ParseContext) -> None:
    """Both clocks of a carried event: its host's (its header) and the capture's (ingest.sensor_clock_gaps)."""
    gaps = context.extras.get(CLOCK_GAPS)
    if gaps is not None and carried.host:
        sender = record.get("id.orig_h")
        gaps.observe(host=carried.host, sender=sender if isinstance(sender, str) else "?", sensor="zeek",
                     sent_at=carried.ts, captured_at=captured_at)


def _content(kind: str, ts: float, fields: dict[str, Any]) -> bytes:
    """A record's values in normal form, canonically serialised: the input of its events' ids.

    The log, the time and the ``zeek.*`` fields (every value of the record but
    ``_path`` and ``_write_ts``), with sorted keys: the TSV and JSON copies of a
    record give the same bytes, any two records that differ in a value do not.
    """
    try:
        return orjson.dumps((kind, ts, fields), default=str, option=orjson.OPT_SORT_KEYS)
    except TypeError as error:  # orjson.JSONEncodeError: an integer beyond 64 bits, a lone surrogate
        raise ParseError(f"{kind} record: a value cannot be serialised ({error})") from None


def parsers() -> list[Parser]:
    """The parsers this module provides, for the default registry."""
    return [ZeekParser()]
