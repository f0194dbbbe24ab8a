"""Stable event ids: what of a record is hashed, per journal id scheme.

An event's id is derived from the parser that read it and the record, so the
same record always gets the same id and ingesting a file twice adds nothing.
Which text of the record is hashed, and how, is the journal's **id scheme**
(:attr:`ingest.journal.Journal.id_scheme`), fixed when the journal is made:

Scheme 1 (journals that held events before schemes existed)
    ``stable_hash(parser name, text)``: blake2b over ``name \\x1f text``
    (UTF-8), hex cut to 32 characters, where a JSON object's text is
    :func:`~ingest.readers.ndjson.canonical_json` (sorted keys, compact), so
    the id ignores key order and spacing.
Scheme 2 (every journal made since)
    sha256 over ``name \\x1f`` and the record's bytes **as read** (an NDJSON
    line without its line ending), hex cut to 32 characters.  No re-dump: the
    bytes the reader already holds are hashed, with the CPU's SHA extensions
    (2.0 us for a 2.8 KB Windows record against 3.7 us for blake2b, plus the
    ~2 us sorted-key re-dump scheme 1 needs).  A JSON object a reader has no
    line for (an array element, concatenated or pretty-printed objects,
    ``evtx_dump -o json``, an API body's objects) hashes the object re-serialised
    compactly in its own key order (:func:`~ingest.readers.ndjson.own_order_json`):
    the bytes of its compact NDJSON line, so the record framed either way is one
    event (review T11 F4).  EVTX records, CSV rows and a wrapper's parts
    (Elasticsearch hits, Splunk results: re-dumped in any framing) hash their
    canonical text.

In both schemes a record that yields several events gives event ``i`` the id
of ``(name, text, str(i))`` joined by the same ``\x1f`` separator.  The same
record reformatted keeps its scheme-1 id.  In scheme 2 a JSON object's events
without a content id hash the object's compact dump **with sorted keys**, at
every depth (:mod:`ingest.pipeline_ids`, task IDS3), and the line is journaled
as read: the record written compactly, spaced, with ``\u003c`` escapes, in an
array, by Go's encoder or by a collector that re-serialises it in another key
order is one event.  The dump is made only for events the parser gives no
content id (EVE, ECS, MDE, Sentinel rows; not Windows events with a record
number or Zeek records), and only when the line is not that dump already.
Before it, such an object hashed its compact dump in its own key order (a
compact NDJSON line's bytes as read; a line that is not compact,
:func:`ingest.readers.ndjson.may_not_be_compact`, by its compact dump): that
id is the event's alias on a journal that held events when this release
first opened it (``sorted_ids_from_seq``, :mod:`ingest.event_id_aliases`).

Framing-independent ids (scheme 2)
    Releases before them hashed an object without a line by its canonical
    (sorted) text.  On a journal that held events when this release first
    opened it (:func:`ingest.event_id_aliases.former_ids`) that id is
    the event's alias, so a file journaled before adds nothing again.
    Lines that are not compact were hashed as read until the release of
    Windows record-number ids: that id is their alias on a journal that held
    events when that release first opened it (``export_ids_from_seq``).

Content ids (any scheme)
    A parser whose records come in several serialisations of one content
    (Zeek: a log's TSV and JSON copies; Windows events with an
    ``EventRecordID``: Winlogbeat, NXLog, evtx_dump, XML, the ``.evtx`` file,
    :mod:`ingest.parsers.windows_record_ids`) sets ``Event.id`` itself to
    :func:`content_id` of the record's values in normal form, so both copies
    of a record get one id; the pipeline keeps it and passes the scheme's id
    of the record as read as an alias (:meth:`ingest.journal.Journal.append`),
    so a file journaled before content ids adds nothing when ingested again
    (Windows events: on a journal that held events before their record-number
    ids, ``export_ids_from_seq``; Zeek events: before Zeek's content ids).
    sha256 over ``name \\x1e content``: the ``\\x1e`` after the name keeps
    content ids apart from scheme-2 ids (``name \\x1f ...``).  A record's
    first event has the id of its content, event ``i > 0`` that of
    ``content \\x1e i``: the first event keeps its id when a parser learns to
    read more events from a record.
"""

from __future__ import annotations

from hashlib import sha256
from typing import Any

from graphsiem.model import stable_hash

CANONICAL_TEXT = 1
"""Scheme 1: blake2b over the parser name and the record's canonical text."""

AS_READ = 2
"""Scheme 2: sha256 over the parser name and the record's bytes as read."""

SCHEMES = (CANONICAL_TEXT, AS_READ)
NEWEST = AS_READ
"""The scheme a new journal gets."""

# parser name -> sha256 state after b"name\x1f" (a handful of names); copying a
# state costs ~0.6 us less than making a new sha256 object (OpenSSL set-up)
_started: dict[str, Any] = {}
_started_content: dict[str, Any] = {}  # the same for content ids: the state after b"name\x1e"


def canonical_text_id(name: str, text: str, index: int | None = None) -> str:
    """The scheme-1 id: ``stable_hash(name, text)``, or ``stable_hash(name, text, str(index))``.

    Parameters
    ----------
    name : str
        The parser's name.
    text : str
        The record's text (canonical JSON for JSON objects).
    index : int, optional
        The event's position when the record yields several events.

    Examples
    --------
    >>> import hashlib
    >>> expected = hashlib.blake2b(b'ecs\x1f{"a":1}', digest_size=32).hexdigest()[:32]
    >>> canonical_text_id("ecs", '{"a":1}') == expected
    True
    """
    return stable_hash(name, text) if index is None else stable_hash(name, text, str(index))


def content_id(name: str, content: bytes, index: int = 0) -> str:
    """A content id: sha256 of ``name``, ``\\x1e`` and ``content`` (and ``\\x1e index`` for ``index > 0``).

    Parameters
    ----------
    name : str
        The parser's name.
    content : bytes
        The record's values in the parser's normal form, canonically serialised
        (sorted keys): the same for every serialisation of the record.
    index : int, optional
        The event's position among the record's events (0: the first).

    Examples
    --------
    >>> import hashlib
    >>> content_id("zeek", b'["zeek:conn",1.5,{}]') == hashlib.sha256(b'zeek\\x1e["zeek:conn",1.5,{}]').hexdigest()[:32]
    True
    >>> content_id("zeek", b"c", 1) == hashlib.sha256(b"zeek\\x1ec\\x1e1").hexdigest()[:32]
    True
    """
    started = _started_content.get(name)
    if started is None:
        started = _started_content[name] = sha256(name.encode("utf-8", "surrogatepass") + b"\x1e")
    digest = started.copy()
    digest.update(content)
    if index:
        digest.update(b"\x1e%d" % index)
    return digest.hexdigest()[:32]


def as_read_id(name: str, data: bytes, index: int | None = None) -> str:
    """The scheme-2 id: sha256 of ``name``, ``\\x1f`` and ``data`` (and ``\\x1f index``).

    Parameters
    ----------
    name : str
        The parser's name.
    data : bytes
        The record as read (UTF-8), e.g. an NDJSON line without its line ending.
    index : int, optional
        The event's position when the record yields several events.

    Examples
    --------
    >>> import hashlib
    >>> as_read_id("ecs", b'{"a":1}') == hashlib.sha256(b'ecs\\x1f{"a":1}').hexdigest()[:32]
    True
    """
    started = _started.get(name)
    if started is None:
        started = _started[name] = sha256(name.encode("utf-8", "surrogatepass") + b"\x1f")
    digest = started.copy()
    digest.update(data)  # hashed where it lies: no copy of a 2.8 KB record
    if index is not None:
        digest.update(b"\x1f%d" % index)
    return digest.hexdigest()[:32]
