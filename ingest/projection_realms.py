r"""The projection's Kerberos user names: ``netbios\name`` once the realm is known to be that domain.

:class:`RealmNames` is a mixin of :class:`ingest.projection.Projector` (through
:class:`ingest.projection_logons.LogonRules` and :class:`ingest.projection_network.SensorRules`).
It learns realm -> NetBIOS domain from Windows hosts' own machine accounts
(:func:`ingest.realm_domains.machine_account_evidence`), takes the operator's map over it, and
names the user of a Kerberos event (Zeek ``kerberos.log``, a KDC's 4768/4769/4771) by it
(:func:`ingest.realm_domains.mapped_user`).

Order rule (as the SID names of :meth:`ingest.projection_endpoint.EndpointRules._learn_sid`): the
learnt map is join state, saved with the projection checkpoint (``_realm_domains``, bounded by
:data:`REALM_LIMIT`), and each event is named with the map as the events before it in the journal
left it.  So a Kerberos user projected before its realm's evidence stays ``realm\name`` (its node
is not renamed when the evidence comes; the realm's next events are ``netbios\name``), and a user
named while a mapping held keeps that name after a conflict drops the mapping.  The graph depends
on journal order only, never on batch or call boundaries: one record per call is the graph one
replay makes.  The operator's map applies from the projector built with it on (a replay applies
it to the whole journal).
"""

from __future__ import annotations

from graphsiem.model import EntityKey
from ingest.projection_accumulator import USER, EventContext
from ingest.projection_entities import EntityBuilders
from ingest.realm_domains import learn_realm, machine_account_evidence, mapped_user

REALM_LIMIT = 4096
"""Realms the learnt map remembers (a fleet has a handful; the older half goes past this, and a
realm forgotten is learnt again from its hosts' next events, a conflict forgotten with it)."""


class RealmNames(EntityBuilders):
    """Realm -> NetBIOS domain, learnt and the operator's, and the Kerberos user it names."""

    _realm_domains: dict[str, str]
    """Learnt: DNS domain (a realm) -> NetBIOS domain, ``""`` when conflicting (join state)."""
    _realm_overrides: dict[str, str]
    """The operator's realm -> NetBIOS domain (``""``: keep the realm whole); wins over the learnt."""

    def _learn_realm(self, ctx: EventContext) -> None:
        """Learn the DNS domain's NetBIOS name when the event is a host naming its own machine account."""
        evidence = machine_account_evidence(ctx.fields)
        if evidence is None:
            return
        realm, netbios = evidence
        value = learn_realm(self._realm_domains, realm, netbios)
        if value is not None:
            self._remember(self._realm_domains, realm, value, REALM_LIMIT)

    def _kerberos_user(self, ctx: EventContext) -> EntityKey | None:
        r"""The user of a Kerberos event: ``user.name`` (``realm\name``) in its NetBIOS domain when known."""
        user = ctx.fields.get("user.name")
        if not user:
            return None
        key = mapped_user(str(user).lower(), self._realm_domains, self._realm_overrides)
        return ctx.acc.entity(USER, key, key)
