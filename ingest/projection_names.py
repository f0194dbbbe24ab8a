"""Names and the addresses they resolve to: DNS answers with their CNAME chains, and certificates.

A DNS answer's addresses and a certificate's names are both ``domain RESOLVES_TO ip``: a
resolver's or the server's own statement (a client's claim, TLS SNI, is ``CLAIMED_AT``,
in ``ingest.projection_network``).  Zeek logs a certificate (x509) apart from the
connection that presented it (ssl): :class:`NameRules` remembers each side until the
other arrives.
"""

from __future__ import annotations

import re
from typing import Any

from graphsiem.model import EntityKey
from ingest.normalize import ip_or_none
from ingest.projection_accumulator import IP, EventContext, R
from ingest.projection_entities import EntityBuilders

_CERT_NAMES_LIMIT = 64
"""Names taken from one certificate (a CDN's can list hundreds of SANs)."""
_CERT_SERVERS_LIMIT = 16
"""Servers remembered per certificate, for x509 records projected after their ssl records."""
_CERT_LIMIT = 20_000
"""Certificates remembered for the x509/ssl join: up to 64 names each, so ~100 MB at most, not the
1 GiB that the general cache limit (200,000) would allow on CDN-heavy x509 logs."""
CERT_KEYS = frozenset(("x509.san", "x509.subject", "zeek.cert_chain_fps", "zeek.cert_chain_fuids"))
"""The fields :meth:`NameRules._certificate` reads a certificate or a certificate chain from."""
_ALIAS_QUERY_TYPES = frozenset(("A", "AAAA", "CNAME"))
"""Query types whose name answers are the CNAME chain (others' are PTR, MX, NS... targets)."""
_ADDRESS_QUERY_TYPES = frozenset(("A", "AAAA", "CNAME", "ANY", "*"))
"""Query types whose address answers are addresses of the question (or of its CNAME chain)."""


class NameRules(EntityBuilders):
    """DNS answers and the x509/ssl certificate join, for :class:`ingest.projection.Projector`."""

    _cert_names: dict[str, tuple[str, ...]]
    _cert_servers: dict[str, tuple[tuple[str, tuple[str, ...]], ...]]

    def _answers(self, ctx: EventContext, domain: EntityKey | None) -> None:
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

    def _certificate(self, ctx: EventContext, fields: dict[str, Any], server: str | None) -> None:
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
                acc.sight(hosts, refs, ctx.seen)


def _answers_address_question(fields: dict[str, Any]) -> bool:
    """Whether the answer's addresses are the question's: its type asks for addresses (A, AAAA,
    CNAME, ANY), or no type is known.

    >>> _answers_address_question({"dns.question.type": "MX"}), _answers_address_question({"zeek.qtype_name": "AAAA"})
    (False, True)
    >>> _answers_address_question({})
    True

    A type that is not text (a JSON record's ``"qtype_name": [...]``) is no known type:

    >>> _answers_address_question({"zeek.qtype_name": [{"x": 1}]})
    True
    """
    qtype = _question_type(fields)
    return qtype is None or qtype in _ADDRESS_QUERY_TYPES


def _question_type(fields: dict[str, Any]) -> str | None:
    """The question's record type, or ``None`` when none is given or it is not text (a JSON
    record can put anything there: a type that is no string is no known type)."""
    qtype = fields.get("dns.question.type") or fields.get("zeek.qtype_name")
    return qtype if isinstance(qtype, str) and qtype else None


def _cname_flags(fields: dict[str, Any], answers: list[Any], question: str) -> list[bool]:
    """Per answer, whether the source says it is a CNAME target.

    * an answer's own type (``dns.answer_types``: EVE, Sysmon 22's ``type:  N``, MDE, ECS) says it
      exactly: a name is a CNAME when its record is one;
    * an answer without a type (no list, or ``None`` in it: an ECS answer without ``type``, an MDE
      item without one, EVE without ``rrtype``) takes the question's type (``dns.question.type``,
      Zeek's ``qtype_name``): an A, AAAA or CNAME question is answered by names only along its
      CNAME chain, an MX, NS, SRV or PTR question by its targets;
    * with no question type either, the names are a chain only when the answer goes on to
      addresses, which the chain's end resolves to, the question is no reverse lookup (``.arpa``)
      and no service name (``_ldap._tcp...``, SRV), and no typed answer is a name of another kind
      (MX, NS, SRV, PTR...: the question asked for those): an MX or NS answer is names only, and
      was taken as a chain.

    One rule for every source: an untyped name is read the same whether the answers beside it
    have types or not (beside a typed address, under an A question, it is a chain link too).

    >>> _cname_flags({"dns.answer_types": ["CNAME", "A", "MX"]}, ["b.example", "192.0.2.1", "mx.example"], "a.example")
    [True, False, False]
    >>> _cname_flags({}, ["mx1.example", "mx2.example"], "a.example")
    [False, False]
    >>> _cname_flags({}, ["cdn.example", "192.0.2.1"], "a.example")
    [True, True]
    >>> _cname_flags({"dns.question.type": "A", "dns.answer_types": [None, "A"]}, ["cdn.example", "192.0.2.1"], "a.example")
    [True, False]
    >>> _cname_flags({"dns.question.type": "MX", "dns.answer_types": [None, "A"]}, ["mx.example", "192.0.2.1"], "a.example")
    [False, False]
    >>> _cname_flags({"dns.answer_types": ["NS", None, "A"]}, ["ns1.example", "ns2.example", "192.0.2.1"], "a.example")
    [False, False, False]
    >>> _cname_flags({"zeek.qtype_name": [{}], "dns.answer_types": [{}, "A"]}, ["cdn.example", "192.0.2.1"], "a.example")
    [True, False]
    """
    types = fields.get("dns.answer_types")
    if not isinstance(types, list) or len(types) != len(answers):
        types = None
    else:
        types = [kind if isinstance(kind, str) else None for kind in types]  # junk is no type
        if all(types):
            return [kind == "CNAME" for kind in types]
    qtype = _question_type(fields)
    if qtype:
        is_chain = qtype in _ALIAS_QUERY_TYPES
    else:
        is_chain = (not question.endswith(".arpa") and not question.startswith("_")
                    and any(ip_or_none(str(answer)) for answer in answers)
                    # an address question's answers are its chain and addresses: those types, no other
                    and not any(kind and kind not in _ALIAS_QUERY_TYPES for kind in types or ()))
    if types is None:
        return [is_chain] * len(answers)
    return [kind == "CNAME" if kind else is_chain for kind in types]


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


_COMMON_NAME = re.compile(r"(?:^|,)\s*CN=((?:\\.|[^,\\])*)", re.IGNORECASE)
_DN_ESCAPE = re.compile(r"\\(.)")


def _certificate_names(fields: dict[str, Any]) -> tuple[str, ...]:
    r"""The DNS names a certificate is for: its SAN DNS names, else its subject's CN (RFC 6125), no wildcards.

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
