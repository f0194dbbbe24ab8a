"""The entities the projection's rules build: users, files, domains, IPs, URLs, scripts (and processes).

:class:`EntityBuilders` holds the builders the endpoint, name, transfer and sensor rules
share, with the memo tables that make a recurring entity cheap; the process builders and
their join by host and GUID or pid are its base, :class:`ingest.projection_processes.ProcessBuilders`
(which builds ``PROCESS_FIELDS`` and its parent and target variants).  The file field
names are built once here (``FILE_FIELDS``).
"""

from __future__ import annotations

from typing import Any

from graphsiem.model import Entity, EntityKey, stable_hash
from ingest.image_paths import basename, pe_original_name
from ingest.normalize import file_path_key, ip_or_none, normalize_domain, registered_domain
from ingest.projection_accumulator import (
    DOMAIN,
    FILE,
    IP,
    SCRIPT,
    URL,
    USER,
    Accumulator,
    EventContext,
)
from ingest.projection_processes import ProcessBuilders, field_names

SCRIPT_VALUE_CHARS = 200
SCRIPT_TEXT_CHARS = 65536
"""Script text kept as a property (searchable); longer blocks are truncated."""

_FILE_SUFFIXES = ("hash.sha256", "path", "name", "hash.sha1", "hash.md5", "mime_type")
_FILE_IMPHASH = "file.hash.imphash"
_FILE_ORIGINAL = "file.pe.original_file_name"

FILE_FIELDS = field_names("file", _FILE_SUFFIXES)

NO_PEER = frozenset(("0.0.0.0", "::", "255.255.255.255"))
"""Addresses that name no machine at the other end: unspecified (a DHCP client before its lease)
and the limited broadcast.  ``0.0.0.0 CONNECTED 255.255.255.255`` was one fleet-wide edge."""


class EntityBuilders(ProcessBuilders):
    """The entity builders of :class:`ingest.projection.Projector` (the process builders are its base).

    A mixin: the projector's ``__init__`` makes the state declared here.
    """

    _domains: dict[Any, str]

    def _user(self, ctx: EventContext, name: str = "user.name") -> EntityKey | None:
        user = ctx.fields.get(name)
        if not user:
            return None
        user = str(user).lower()
        return ctx.acc.entity(USER, user, user)

    def _file(self, ctx: EventContext) -> EntityKey | None:
        """The file an event names: by its strongest digest, SHA-256 > SHA-1 > MD5, else its path or name.

        A digest is the content; a path or name is only where it was, or what a sender called it.
        So digests come first for every source: two invoices.pdf from two servers, or a replaced
        DLL at a system path (a hijack), stay two files, and one payload is one node at every
        path and on every host.  A weaker digest of the same bytes still differs from a stronger
        one (hosts or sensors hashing differently give two nodes): the price of keying by content.
        """
        fields = ctx.fields
        k_sha256, k_path, k_name, k_sha1, k_md5, k_mime = FILE_FIELDS
        sha256 = fields.get(k_sha256)
        path = fields.get(k_path) or fields.get(k_name)
        sha1 = fields.get(k_sha1)
        md5 = fields.get(k_md5)
        if sha256:
            key = str(sha256).lower()
        elif sha1 or md5:
            key = str(sha1 or md5).lower()
        elif path:
            key = file_path_key(path)  # never a digest's key, whatever the record wrote as its path
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
        if "imphash" not in props:
            imphash = fields.get(_FILE_IMPHASH)
            if imphash:
                props["imphash"] = imphash
        if "original_file_name" not in props:
            original = pe_original_name(fields.get(_FILE_ORIGINAL))
            if original:
                props["original_file_name"] = original
        if path:
            if "path" not in props:
                props["path"] = path
            if "name" not in props:
                props["name"] = fields.get(k_name) or basename(str(path))
        if "mime_type" not in props:
            mime = fields.get(k_mime)
            if mime:
                props["mime_type"] = mime
        if entity is None:
            acc.entities[ref] = Entity(FILE, key, str(path or key), props)
        return ref

    def _domain(self, ctx: EventContext, value: Any) -> EntityKey | None:
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

    def _ip(self, ctx: EventContext | Accumulator, value: Any) -> EntityKey | None:
        ip = ip_or_none(str(value)) if value else None
        if not ip:
            return None
        acc = ctx.acc if isinstance(ctx, EventContext) else ctx
        return acc.entity(IP, ip, ip)

    def _url(self, ctx: EventContext) -> EntityKey | None:
        url = ctx.fields.get("url.full")
        if not url:
            return None
        return ctx.acc.entity(URL, str(url), str(url))

def script_entity(acc: Accumulator, text: str, parts: int = 0) -> EntityKey:
    """Add the script of ``text`` to ``acc``: keyed by its whitespace-collapsed text.

    Parameters
    ----------
    acc : Accumulator
        The batch it goes to.
    text : str
        The script text (a 4104 block, a joined block, a WMI consumer's command).
    parts : int, optional
        How many logged parts it was joined from (a ``parts`` prop when not 0).

    Returns
    -------
    EntityKey
        ``("script", key)``.
    """
    props: dict[str, Any] = {"text": text[:SCRIPT_TEXT_CHARS], "length": len(text)}
    if parts:
        props["parts"] = parts
    return acc.entity(SCRIPT, stable_hash(" ".join(text.split())), text[:SCRIPT_VALUE_CHARS], props)
