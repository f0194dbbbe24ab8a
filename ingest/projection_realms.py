r"""The projection's Kerberos user names: ``netbios\name`` once the realm is known to be that domain.

:class:`RealmNames` is a mixin of :class:`ingest.projection.Projector` (through
:class:`ingest.projection_logons.LogonRules` and :class:`ingest.projection_network.SensorRules`).
It learns realm -> NetBIOS domain from Windows hosts' own machine accounts
(:func:`ingest.realm_domains.machine_account_witness`), once two distinct hosts gave the same name
(:func:`ingest.realm_domains.witness_realm`, :func:`ingest.realm_domains.learnt_domain`: one host's
word maps nothing and undoes nothing), takes the operator's map over it, and names the user of a
Kerberos event (Zeek ``kerberos.log``, a KDC's 4768/4769/4771) by it
(:func:`ingest.realm_domains.mapped_user`).

Bound without forgetting a decision: the learnt map holds at most :data:`REALM_LIMIT` realms.  A
realm that has a learnt name, or is conflicted, is never evicted (flooding the map with forged
realms must not forget a conflict and let a forged name in).  When the map is full, the older half
of the realms that no name has its hosts for yet is forgotten (they map nothing; their hosts' next
events give them again); when every realm held is decided, a new realm is not learnt (kept whole),
and a warning says so once per projector.

Order rule (as the SID names of :meth:`ingest.projection_endpoint.EndpointRules._learn_sid`): the
learnt map is join state, saved with the projection checkpoint (``_realm_domains``: each realm's
evidence, the names and the hosts that gave them, in the order first seen), and each event is named with the map as the events before it in the journal
left it.  So a Kerberos user projected before its realm's evidence stays ``realm\name`` (its node
is not renamed when the evidence comes; the realm's next events are ``netbios\name``), and a user
named while a mapping held keeps that name after a conflict drops the mapping.  The graph depends
on journal order only, never on batch or call boundaries: one record per call is the graph one
replay makes.  The operator's map applies from the projector built with it on (a replay applies
it to the whole journal).
"""

from __future__ import annotations

import logging

from graphsiem.model import EntityKey
from ingest.projection_accumulator import USER, EventContext
from ingest.projection_entities import EntityBuilders
from ingest.realm_domains import (
    WITNESSES_NEEDED,
    RealmEvidence,
    learnt_domain,
    machine_account_witness,
    mapped_user,
    names_its_realm,
    witness_realm,
)

REALM_LIMIT = 4096
"""Realms the learnt map holds (a fleet has a handful).  Decided realms are never evicted; past the
bound, undecided ones are (the older half), and when none is left a new realm is not learnt."""

_log = logging.getLogger(__name__)


class RealmNames(EntityBuilders):
    """Realm -> NetBIOS domain, learnt and the operator's, and the Kerberos user it names."""

    _realm_domains: dict[str, RealmEvidence]
    """Learnt: DNS domain (a realm) -> the NetBIOS names hosts gave it, each with its hosts (join state)."""
    _realm_overrides: dict[str, str]
    """The operator's realm -> NetBIOS domain (``""``: keep the realm whole); wins over the learnt."""
    _realms_all_decided = False
    """Set once the map is full of decided realms: it stays so (decided realms never leave), so the
    next new realm need not look for an undecided one to forget.  Not join state: a restored
    projector finds it again on its first new realm."""

    def _learn_realm(self, ctx: EventContext) -> None:
        """Count the event's host for the NetBIOS name it gave its DNS domain, when it names its own machine account."""
        witness = machine_account_witness(ctx.fields)
        if witness is None:
            return
        realm, netbios, computer = witness
        known = self._realm_domains.get(realm)
        if known is None and not self._room_for_realm(realm):
            return
        evidence = witness_realm(known or (), netbios, computer)
        if evidence is not None:
            self._realm_domains[realm] = evidence  # a realm known keeps its place in the order
            decided = [name for name, hosts in evidence if len(hosts) >= WITNESSES_NEEDED]
            if decided == [netbios] and len(dict(evidence)[netbios]) == WITNESSES_NEEDED \
                    and not names_its_realm(netbios, realm):  # just decided, once per realm
                _log.warning("Kerberos realm %r: its hosts name it NetBIOS domain %r, none of its own labels, so "
                             "it is kept whole (a forgery could name any domain); if that is its name, set "
                             "GRAPHSIEM_REALM_DOMAINS", realm, netbios)

    def _room_for_realm(self, realm: str) -> bool:
        """Whether a new realm may be added: below :data:`REALM_LIMIT`, or after forgetting undecided ones."""
        if len(self._realm_domains) < REALM_LIMIT:
            return True
        if self._realms_all_decided:
            return False
        undecided = [known for known, evidence in self._realm_domains.items()
                     if learnt_domain(evidence, realm=known) is None]
        if not undecided:
            self._realms_all_decided = True
            _log.warning("the learnt Kerberos realm map holds %d decided realms: new realms (%r first) are not "
                         "learnt and stay whole; name them in GRAPHSIEM_REALM_DOMAINS", REALM_LIMIT, realm)
            return False
        for known in undecided[:max(1, len(undecided) // 2)]:
            del self._realm_domains[known]
        return True

    def _kerberos_user(self, ctx: EventContext) -> EntityKey | None:
        r"""The user of a Kerberos event: ``user.name`` (``realm\name``) in its NetBIOS domain when known."""
        user = ctx.fields.get("user.name")
        if not user:
            return None
        key = mapped_user(str(user).lower(), self._realm_domains, self._realm_overrides)
        return ctx.acc.entity(USER, key, key)
