"""Files on the wire: who downloaded or uploaded them, where from, and the Zeek files/http join by file id.

A file with a digest or a name is keyed as any file (``ingest.projection_entities``); one
with neither is known by its URL, MIME type and size, and a Zeek HTTP download whose
``http`` record (its URL) is not read yet waits for it in the join state, so the same
download is one entity whichever log is read first.  The sender of a download (Zeek's
``tx_hosts``, the server side; EVE fileinfo's source) is ``file SERVED_BY ip``, as an
endpoint's origin address is (:func:`download_origin_ip`): a payload many hosts fetched
from one bare address has no domain, and the address is then its only origin.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from graphsiem.addresses import names_no_other_machine
from graphsiem.model import EntityKey, stable_hash
from ingest.normalize import ip_or_none
from ingest.projection_accumulator import FILE, HOST, IP, Accumulator, EventContext, R
from ingest.projection_entities import EntityBuilders

PendingTransfer = tuple[str, float, str | None, tuple[str, ...], Any, Any, str | None]
"""A Zeek HTTP download waiting for its URL: the files record's event id and time, its receiver host
(or None), its hosts, the file's MIME type and size, and the address it came from (or None: see
:func:`origin_address`)."""
FILE_TRANSFER_KINDS = frozenset(("zeek:files", "suricata:fileinfo"))
"""Sensor records whose source and destination are a file's sender and receiver (elsewhere the
client and the server, whichever way the file went)."""


class TransferRules(EntityBuilders):
    """Files seen by network sensors, for :class:`ingest.projection.Projector`."""

    _fuid_file: dict[str, EntityKey]
    _fuid_url: dict[str, tuple[EntityKey, EntityKey | None]]
    _fuid_pending: dict[str, PendingTransfer]

    def _sensor_files(
        self,
        ctx: EventContext,
        fields: dict[str, Any],
        url: EntityKey | None,
        domain: EntityKey | None,
        receiver: str | None,
        sender: str | None,
        uploader: EntityKey | None = None,
        origin: str | None = None,
    ) -> None:
        """Files seen on the wire; Zeek's ``files`` and ``http`` logs join on file ids.

        ``receiver`` (a host) DOWNLOADED the file; ``uploader`` (a host or IP), the client that
        sent it, UPLOADED it.  ``origin`` is the address a download came from (a transfer
        record's sender; never an upload's, whose sender is the client): ``file SERVED_BY ip``,
        unless it names no other machine (:func:`origin_address`).
        """
        fuid = fields.get("zeek.fuid")
        fuid = str(fuid) if fuid else None
        served = self._fuid_url.get(fuid) if fuid else None
        origin = origin_address(origin) if origin else None
        file = self._file(ctx)
        if file is None:
            mime = fields.get("file.mime_type")
            size = fields.get("file.size")
            if mime and size:
                known_url = url if url is not None else served[0] if served is not None else None
                if known_url is not None:
                    file = _served_transfer(ctx.acc, known_url, mime, size)
                elif fuid and _awaits_http_record(fields):
                    # Its identity is its URL, which the http record names (Zeek writes files.log
                    # and http.log apart, in either order): the file waits for it, so that the
                    # same download is one entity whichever log is read first.
                    # with its sighting time (ingest.receipt: a live record's is bounded by its
                    # receipt), which the relations it waits with take too
                    pending = (ctx.event.id, ctx.seen, receiver, ctx.hosts, mime, size, origin)
                    self._remember(self._fuid_pending, fuid, pending)
                    # sighted by this record, as when the file is known at once (its relation to
                    # the file waits with it: _arrived); sighting it there again would count twice
                    if origin is not None:
                        ctx.touch(ctx.acc.entity(IP, origin, origin))
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
            if origin is not None:
                ctx.rel(file, R.SERVED_BY, ctx.acc.entity(IP, origin, origin))
            if fuid:
                self._remember(self._fuid_file, fuid, file)
                if served is not None:
                    ctx.rel(file, R.SERVED_BY, served[0])
                    ctx.rel(file, R.SERVED_BY, served[1])
        # a Zeek http record without a request line names no URL: its downloads are known by
        # the server's address, as a transfer outside HTTP is (_sender_transfer)
        served_at = url if url is not None else _urlless_server(ctx.acc, fields, sender)
        if served_at is not None:
            url = served_at
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
    def _arrived(acc: Accumulator, pending: PendingTransfer, url: EntityKey, domain: EntityKey | None) -> EntityKey:
        """A waiting download whose URL is now known: what its files record would have added then.

        The relations and sightings carry the files record's event id and time, so the graph is the
        one the files record gives when its http record came first (``_sensor_files``).  The
        origin address was sighted by the files record itself; only its relation waited.
        """
        event_id, ts, receiver, hosts, mime, size, origin = pending
        file = _served_transfer(acc, url, mime, size)
        for host in hosts:  # this batch may not hold them (the files record's may be another)
            acc.entity(HOST, host, host)
        if receiver:
            acc.relate((HOST, receiver), R.DOWNLOADED, file, ts, event_id)
        acc.relate(file, R.SERVED_BY, url, ts, event_id)
        # a server's address (no URL known) was sighted by the files record itself, as its origin
        touched = [file] if url[0] == IP else [file, url]
        if domain is not None:
            acc.relate(file, R.SERVED_BY, domain, ts, event_id)
            touched.append(domain)
        if origin is not None:
            acc.relate(file, R.SERVED_BY, acc.entity(IP, origin, origin), ts, event_id)
        if hosts:
            acc.sight(hosts, touched, ts)
        return file


def download_origin_ip(fields: dict[str, Any]) -> str | None:
    """The address a downloaded file came from, as the endpoint marked it; None when it names no other machine.

    MDE's ``FileOriginIP`` (``file.origin.ip``), else the host of the origin URL (Sysmon 15's
    ``HostUrl``, MDE's ``FileOriginUrl``) when that host is an address.  The projection makes it
    ``file SERVED_BY ip``, as the URL and its domain are: a payload fetched by many hosts from one
    bare address has no domain to join its cluster, and the address is then its only origin.
    An unspecified, broadcast or loopback address is the machine itself (or nothing): one such
    ``ip`` node would join every host's local downloads.

    Parameters
    ----------
    fields : dict
        The event's normalised fields.

    Returns
    -------
    str or None
        The canonical address.

    Examples
    --------
    >>> download_origin_ip({"file.origin.ip": "198.51.100.23", "url.full": "http://203.0.113.9/a.png"})
    '198.51.100.23'
    >>> download_origin_ip({"url.full": "http://[2001:db8::9]:8080/a.png"})
    '2001:db8::9'
    >>> download_origin_ip({"url.full": "http://cdn.example/a.png"}) is None
    True
    >>> download_origin_ip({"file.origin.ip": "127.0.0.1"}) is None
    True
    """
    origin = fields.get("file.origin.ip")
    if not origin:
        url = fields.get("url.full")
        if not url:
            return None
        try:
            origin = urlsplit(str(url)).hostname
        except ValueError:  # url.full is normalised already; a hand-made field may not be
            return None
        if not origin:
            return None
    return origin_address(origin)


def relate_served_from(ctx: EventContext, url: EntityKey | None, address: str | None) -> None:
    """``url SERVED_FROM ip``: the server address a request for ``url`` reached (none for an address
    naming no other machine, :func:`origin_address`).

    A URL's domain is what the client wrote (the HTTP ``Host`` header), so a request can name any
    domain and go to any server; the address it reached is what says who served it
    (:mod:`analytics.agent_caches` compares it with the domain's DNS answers).  Not sighted: the
    address adds no prevalence (a mapped server's address was no entity of the client's before); one
    relation per URL and address, merged as the others are.
    """
    if url is None or not address:
        return
    ip = _served_address(str(address))
    if ip is not None:  # related, not touched: ctx.rel would sight a mapped server's address on the client
        ctx.acc.relate(url, R.SERVED_FROM, ctx.acc.entity(IP, ip, ip), ctx.ts, ctx.event.id)


@lru_cache(maxsize=65_536)
def _served_address(address: str) -> str | None:
    """:func:`origin_address`, remembered: an HTTP log names few servers, each on many records (its two
    address parses were most of the relation's cost on the sensor path)."""
    return origin_address(address)


def origin_address(value: Any) -> str | None:
    """``value`` as the canonical address a file came from; None when it names no other machine.

    Not an address, unspecified, the limited broadcast, loopback, link-local or multicast:
    the machine itself (a download from a local proxy or service), its own link (the cloud
    metadata service at ``169.254.169.254`` that every cloud machine fetches from) or a
    group, and one such ``ip`` node would join unrelated hosts' transfers (analytics leave
    the same addresses out of clusters: ``analytics.inputs.names_no_remote_machine``).  The rule of endpoint origins (:func:`download_origin_ip`)
    and of network sensors' senders alike.

    Parameters
    ----------
    value : Any
        An address as a record gave it.

    Returns
    -------
    str or None
        The address in canonical form (:func:`ingest.normalize.ip_or_none`), or None.

    Examples
    --------
    >>> origin_address("10.0.5.13")
    '10.0.5.13'
    >>> origin_address("::1") is None, origin_address("0.0.0.0") is None, origin_address("dl.example") is None
    (True, True, True)
    >>> origin_address("169.254.169.254") is None, origin_address("224.0.0.251") is None
    (True, True)
    """
    ip = ip_or_none(str(value))
    return None if ip is None or names_no_other_machine(ip) else ip


def _urlless_server(acc: Accumulator, fields: dict[str, Any], server: str | None) -> EntityKey | None:
    """The server's ``ip`` of a Zeek http record that lists downloads but names no URL, else None.

    Zeek writes ``method``, ``host`` and ``uri`` unset when it saw no request line (a capture
    of the responses only): the parser makes up no URL (``ingest.parsers.zeek_mappings``), and
    the files the record lists are known by the address that served them.
    """
    if not fields.get("zeek.resp_fuids") or not server:
        return None
    address = origin_address(server)
    return acc.entity(IP, address, address) if address is not None else None


def _served_transfer(acc: Accumulator, served_at: EntityKey, mime: Any, size: Any) -> EntityKey:
    """A nameless file on the wire by where it was served: its URL, or its server's ``ip`` (no URL known)."""
    if served_at[0] == IP:
        return _sender_transfer(acc, served_at[1], mime, size)
    return _url_transfer(acc, served_at, mime, size)


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
