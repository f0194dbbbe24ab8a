"""Check steps about timing and destinations: a synchronised first contact, a download from a new
domain, look-alike domains, endpoint plus network members, and repeated contacts (beacons).

One writer per scored feature (:data:`WRITERS`, merged by :func:`analytics.checks.cluster_checks`).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

from analytics.checks_facts import (
    Facts,
    hosts_text,
    names_text,
    quote,
)
from analytics.cluster_summary import duration_text
from analytics.credited_processes import CreditedProcesses
from analytics.credited_words import (
    credited_sentence,
)
from analytics.explain import Check
from analytics.external_addresses import is_external_ip
from analytics.features import is_private_ip
from graphsiem.model import Entity, EntityType

_ENDPOINT = {EntityType.PROCESS.value, EntityType.SCRIPT.value, EntityType.USER.value}
_NETWORK = {EntityType.DOMAIN.value, EntityType.URL.value, EntityType.IP.value}


def _synchronised(f: Facts, feature: str) -> Check:
    n = len(f.hosts)
    full = float(f.features.get("first_contact_range_min", f.features.get("first_contact_spread_min", 0.0)))
    burst = int(f.features.get("burst_hosts", 0))
    contacts = f.explanation.contacts
    who = f"{contacts.hosts} of {n}" if contacts is not None and 0 < contacts.hosts < n else str(n)
    head = f"{who} hosts first {f.verb} {f.pivot_text} within {duration_text(full)}"
    if 0 < burst < n:
        head += f" ({burst} of them within one 10-minute span)"
    return Check(
        feature,
        f"{head}, at {f.span(full)}{_earlier_sighting(f)}: look for a deployment job (SCCM/Intune/GPO), "
        f"login script or change ticket at that time that targeted these hosts ({hosts_text(f.hosts)})",
        "a scheduled deployment or change from your management tooling explains the timing "
        "and the host list (the same collection or group)",
    )


def _earlier_sighting(f: Facts) -> str:
    """Why the cluster's "first seen" is earlier than the pivot's first contacts, when it is.

    The cluster's ``first_seen`` (the page's header) and each host's first contact in the host
    table are of *any* member: a beacon's implant starts at 00:49, its first contact with the
    domain is at 01:15 (review U5B #1: three start times and no word on which to search for).
    """
    contacts = f.explanation.contacts
    if contacts is None or contacts.first - f.first_seen < 60:
        return ""
    first = datetime.fromtimestamp(math.floor(f.first_seen / 60) * 60, tz=UTC)
    same_day = first.date() == datetime.fromtimestamp(contacts.first, tz=UTC).date()
    when = first.strftime("%H:%MZ" if same_day else "%Y-%m-%d %H:%MZ")
    return (f" ({when}, the cluster's first sighting, is the earliest of any member, as are the host "
            "table's first contacts)")


def _download(f: Facts, feature: str) -> Check:
    domains = [e for e in f.of_type(EntityType.DOMAIN.value)]
    # a stager fetched from a raw address names no domain (analytics.external_addresses)
    addresses = [e for e in f.of_type(EntityType.IP.value) if is_external_ip(e.value)]
    payload = f.of_type(EntityType.URL.value) or f.of_type(EntityType.FILE.value)
    known = f.explanation.credited_for(feature)
    if known is not None and known.source is not None and not domains and not addresses:
        return _download_from_known_source(feature, known, known.source, payload)
    if domains or not addresses:
        domain = quote(domains[0].value) if domains else "the domain"
        where = f"{f.new_word}domain {domain}" if domains else f"a {f.new_word}domain or address"
        whose, benign = "the domain's registration age", f"{domain} is an established vendor or CDN domain (registered long ago, good reputation)"
    else:
        domain = quote(addresses[0].value)
        where = f"{f.new_word}address {domain} (no domain name)"
        whose, benign = "who holds the address (the network's owner)", f"{domain} belongs to an established vendor or CDN (the network's owner, good reputation)"
    what = f" ({quote(payload[0].value)})" if payload else ""
    ran = "something new" if f.explanation.history else "what came with it"
    credit = f.explanation.credited_for(feature)
    who = f"{credited_sentence(credit)}; " if credit is not None else ""
    return Check(
        feature,
        f"Hosts downloaded from {where}{what} and ran {ran}: {who}check {whose} "
        "and reputation, whether it is a software vendor's site or CDN, and the "
        "downloaded file's hash and signer",
        f"{benign} and the download is that vendor's signed installer or update",
    )


def _download_from_known_source(
    feature: str, credit: CreditedProcesses, known_source: tuple[str, str], payload: list[Entity]
) -> Check:
    """A new payload fetched by per-host cradles from a source the fleet used before the window
    (:mod:`analytics.known_source_downloads`): the source is no new domain, the fetch is the finding."""
    kind, value = known_source
    source = f"{'address' if kind == EntityType.IP.value else 'domain'} {quote(value)}"
    what = f"a new file ({quote(payload[0].value)})" if payload else "a new file"
    return Check(
        feature,
        f"Hosts downloaded {what} from {source}, which the fleet contacted before the window: "
        f"{credited_sentence(credit)}; check what the fleet used {source} for before, whether it still serves "
        "that (a compromised site, a rented cloud bucket or CDN account serving someone else's files), and the "
        "downloaded file's hash and signer",
        "the fetching command is your IT's or a vendor's tooling and the file is that vendor's signed installer or update",
    )


def _source_kinds(f: Facts, feature: str) -> Check:
    # Processes say best who connected, domains best where to: scripts, users, drivers and IPs only
    # without them.  What is counted is the kind of member (activity on the hosts, a remote
    # destination), not which sensor reported it: the graph does not record that for most
    # members, so the text claims no sensor.
    endpoint = f.of_type(EntityType.PROCESS.value) or f.of_type(*_ENDPOINT) or [
        e for e in f.of_type(EntityType.FILE.value) if e.props.get("service") or e.ref in set(f.explanation.drivers)
    ]
    external = [e for e in f.of_type(*_NETWORK) if not (e.type == EntityType.IP.value and is_private_ip(e.value))]
    network = [e for e in external if e.type == EntityType.DOMAIN.value] or external
    where = quote(network[0].value) if network else "an external address"
    who = names_text(endpoint, limit=2) if endpoint else f"a {f.new_word}process"
    return Check(
        feature,
        f"The cluster's {f.new_word}members are both activity on the hosts ({who}) and an external destination "
        f"({where}): check which process made the connections to {where} (its DNS/HTTP events on the same host and minute)",
        "the connecting process is a known application talking to its own vendor (signed binary, "
        "destination owned by that vendor)",
    )


def _repeats(f: Facts, feature: str) -> Check:
    contacts = f.explanation.contacts
    target = f.pivot_text
    if contacts is not None and contacts.destination is not None:
        # a payload's hash pivots, its hosts beacon to a new member destination (analytics.repeat_rates)
        kind, key = contacts.destination
        member = next((e for e in f.entities if e.ref == contacts.destination), None)
        target = f"{kind} {quote(member.value if member is not None else key)}"
    if contacts is not None and contacts.interval_min is not None:
        # Over each host's own first-to-last contact, not per calendar day: an agent polling every
        # 5 minutes for 14 hours read "about every 9 minutes" (review T2 #4).  "about": the median
        # interval, rounded (not rounded up as a "within" is).
        how_often = (
            f"about {contacts.contacts or 0:.0f} times over {_about_minutes(contacts.span_min or 0.0)}, "
            f"about every {_about_minutes(contacts.interval_min)} (the median host)"
        )
    else:
        per_day = float(f.features.get("repeat_contacts_raw", f.features.get("repeat_contacts", 0.0)))
        every = f" (about every {_about_minutes(1440.0 / per_day)})" if per_day > 0 else ""
        how_often = f"about {per_day:.0f} times a day{every}"
    regularity = contacts.regularity if contacts is not None else None
    # the kept contact times answer "are the intervals regular?" (analytics.contact_regularity); a regular
    # schedule is a beacon's or an agent's heartbeat alike, so the process and the destination's owner decide
    if regularity is None:
        to_check = "check whether the intervals are regular (a beacon, perhaps with jitter), which process makes"
    else:
        schedule = " (a schedule: a beacon's, or an agent's heartbeat)" if regularity.regular_hosts else ""
        how_often += f", {regularity.text()}{schedule}"
        to_check = "check which process makes"
    return Check(
        feature,
        f"Each host contacted {target} {how_often}: {to_check} the contacts, and who hosts the destination",
        "the contacts come from a known updater or telemetry agent polling its vendor on a documented schedule",
    )


def _about_minutes(minutes: float) -> str:
    """A mean interval, rounded: ``"10 minutes"``, ``"a minute"``, ``"3 hours"``."""
    if minutes < 1.5:
        return "a minute"
    if minutes < 120:
        return f"{round(minutes)} minutes"
    return f"{round(minutes / 60)} hours"


def _lookalike(f: Facts, feature: str) -> Check:
    found = list(f.explanation.lookalikes)
    if not found:
        return Check(
            feature,
            f"A {f.new_word}domain of the cluster looks like a domain the fleet uses widely: compare its spelling "
            "with your vendors' domains and check who registered it",
            _LOOKALIKE_BENIGN,
        )
    first = found[0]
    domain, trusted = quote(first.domain), quote(first.trusted)
    more = f" ({len(found) - 1} more look-alike domain{'s' if len(found) > 2 else ''} in the cluster)" if len(found) > 1 else ""
    return Check(
        feature,
        f"Domain {domain} looks like {trusted}, which {first.trusted_hosts} hosts used before the window: "
        f"{quote(first.difference, 160)}{more}. Check who registered {domain} and when (a look-alike is "
        f"usually days old), whether the owner of {trusted} owns it too, and which process on "
        f"{hosts_text(f.hosts)} contacted it and what it fetched",
        f"the owner of {trusted} registered {domain} too (same registrant, a documented alternate name of that vendor)",
    )


_LOOKALIKE_BENIGN = (
    "the domain belongs to the same vendor as the trusted one (same registrant, documented by that vendor)"
)


WRITERS = {
    "first_contact_spread_min": _synchronised,
    "burst_hosts": _synchronised,
    "download_from_new_domain": _download,
    "source_kinds": _source_kinds,
    "repeat_contacts": _repeats,
    "lookalike_domain": _lookalike,
}
"""The step writer of each timing and destination feature."""
