"""The projector's join state: saved with the projection checkpoint, restored by the next ingest call.

What later events join on (processes by host and GUID or pid, Zeek file ids, downloads
waiting for their URL with the address they came from, certificates and their servers,
PowerShell parts, the names installed commands were installed as, account names by SID, the
NetBIOS domains of Kerberos realms, hosts' own domains and domain controllers) is
kept as bytes in the journal, so a graph built by many calls is the graph one replay builds.
"""

from __future__ import annotations

from typing import Any

import orjson

from graphsiem.model import EntityKey
from ingest.projection_transfers import PendingTransfer

JOIN_STATE_VERSION = 7
"""Format of :meth:`JoinState.join_state`; a state of another version is not read (the joins are
learnt again from the journal instead).  4: pid holders carry their image name, file keys
prefer SHA-1/MD5 to names (version 3's remembered Zeek file ids name the older keys), and the
parts of long PowerShell blocks wait for each other.  A state of version 4 saved before
``_installed_names`` (or ``_sid_names``) was a join lacks it and is not read either (``KeyError``).
5: a download waiting for its URL keeps the address it came from (``file SERVED_BY ip`` when it
arrives); version 4's waiting downloads lack it.  6: the Kerberos realms learnt to be NetBIOS domains
(``_realm_domains``, :mod:`ingest.projection_realms`); version 5 lacks them.  7: a realm holds the
NetBIOS names hosts gave it, each with the hosts that gave it (two hosts teach a name, not one);
version 6 held one name per realm, which one host could set.  A state of version 7 saved before the
templated WMI consumers' commands were a join (``_wmi_templates``, :mod:`ingest.projection_wmi_runs`)
lacks them and is not read (``KeyError``): the joins are learnt again from the journal.  Nor is one
saved before the hosts' own domains and domain controllers were a join (``_dc_domains``,
:mod:`ingest.projection_logons`: the domain of a DC's 4776 accounts).  A state saved while the hosts
that reported were a join (``_reporting_hosts``, projection 6 before review R20 #1) is read, that
part ignored: a claimed workstation is decided from its name alone.  Nor is one saved before WMI runs
waited for their consumer (``_wmi_runs``, :mod:`ingest.projection_wmi_runs`)."""
JOINS = ("_processes", "_pids", "_fuid_file", "_fuid_url", "_fuid_pending", "_cert_names", "_cert_servers",
         "_script_parts", "_installed_names", "_sid_names", "_realm_domains", "_wmi_templates",
         "_dc_domains", "_wmi_runs")
"""The projector's join state: what a later event joins on.  The other caches are memos of pure
functions of their keys, which are the same whether kept or not."""


class JoinState:
    """Saving and restoring the join state of :class:`ingest.projection.Projector` (a mixin)."""

    def join_state(self) -> bytes:
        """What later events join on, as bytes the journal keeps with the projection checkpoint.

        That is the process identities by host and GUID or pid, Zeek file ids
        of ``files`` and ``http`` records, and the certificates and servers of
        the x509/ssl join.  An ingest call that starts from the checkpoint
        restores it (:meth:`restore_join_state`), so events join across calls
        exactly as they do in one replay over the journal.
        """
        state: dict[str, Any] = {name: list(getattr(self, name).items()) for name in JOINS}
        state["version"] = JOIN_STATE_VERSION
        return orjson.dumps(state)

    def join_entries(self) -> int:
        """How many entries the join state holds: what saving it costs grows with this."""
        return sum(len(getattr(self, name)) for name in JOINS)

    def restore_join_state(self, state: bytes) -> bool:
        """Take over a :meth:`join_state`; False (and nothing changed) when it cannot be read.

        JSON has no tuples: each join's keys and values are made the tuples the
        projector itself makes, so they compare and hash the same.
        """
        try:
            data = orjson.loads(state)
            if data.get("version") != JOIN_STATE_VERSION:
                return False
            joins = {name: dict(map(_RESTORE[name], data[name])) for name in JOINS}
        except (orjson.JSONDecodeError, AttributeError, IndexError, KeyError, TypeError, ValueError):
            return False
        for name, join in joins.items():
            setattr(self, name, join)
        return True


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


def _restore_pending(item: list[Any]) -> tuple[str, PendingTransfer]:
    fuid, (event_id, ts, receiver, hosts, mime, size, origin) = item
    if origin is not None and not isinstance(origin, str):
        raise TypeError("a waiting download's origin is an address or null")
    return fuid, (event_id, ts, receiver, tuple(hosts), mime, size, origin)


def _restore_names(item: list[Any]) -> tuple[str, tuple[str, ...]]:
    cert_id, names = item
    return cert_id, tuple(names)


def _restore_servers(item: list[Any]) -> tuple[str, tuple[tuple[str, tuple[str, ...]], ...]]:
    cert_id, servers = item
    return cert_id, tuple((ip, tuple(hosts)) for ip, hosts in servers)


def _restore_installed(
    item: list[Any],
) -> tuple[EntityKey, tuple[tuple[str, ...], tuple[str, ...], int, int, tuple[str, ...], int]]:
    # a state saved before WMI consumers were installed commands has four items: no consumer names
    ref, (services, tasks, services_dropped, tasks_dropped, *consumers) = item
    wmi, wmi_dropped = consumers if consumers else ((), 0)
    return _entity_key(ref), (tuple(map(str, services)), tuple(map(str, tasks)), int(services_dropped),
                              int(tasks_dropped), tuple(map(str, wmi)), int(wmi_dropped))


def _restore_sid(item: list[Any]) -> tuple[str, str]:
    sid, name = item
    if not isinstance(sid, str) or not isinstance(name, str):
        raise TypeError("a SID and its account name are text")
    return sid, name


def _restore_realm(item: list[Any]) -> tuple[str, tuple[tuple[str, tuple[str, ...]], ...]]:
    realm, names = item
    evidence = tuple((netbios, tuple(hosts)) for netbios, hosts in names)
    if not isinstance(realm, str) or not all(isinstance(netbios, str) and all(isinstance(host, str) for host in hosts)
                                             for netbios, hosts in evidence):
        raise TypeError("a realm, its NetBIOS domains and their hosts are text")
    return realm, evidence


def _restore_templates(item: list[Any]) -> tuple[str, tuple[tuple[tuple[str, ...], EntityKey], ...]]:
    image, templates = item
    restored = tuple((tuple(pieces), _entity_key(ref)) for pieces, ref in templates)
    if not isinstance(image, str) or not all(len(p) >= 2 and all(isinstance(s, str) for s in p) for p, _ in restored):
        raise TypeError("an image and its templates' pieces are text")
    return image, restored


def _restore_wmi_runs(item: list[Any]) -> tuple[str, tuple[tuple[str, str, tuple[str, ...], float, float, str], ...]]:
    image, runs = item
    restored = tuple((command_line, host, tuple(hosts), float(seen), float(ts), event_id)
                     for command_line, host, hosts, seen, ts, event_id in runs)
    if not isinstance(image, str) or not all(
            isinstance(c, str) and isinstance(h, str) and isinstance(e, str) and all(isinstance(x, str) for x in hs)
            for c, h, hs, _, _, e in restored):
        raise TypeError("an image, its runs' command lines, hosts and event ids are text")
    return image, restored


def _restore_dc_domain(item: list[Any]) -> tuple[str, tuple[str, bool]]:
    host, (domain, kdc) = item
    if not isinstance(host, str) or not isinstance(domain, str) or not isinstance(kdc, bool):
        raise TypeError("a host and its domain are text, whether it is a KDC a boolean")
    return host, (domain, kdc)


_RESTORE = {
    "_processes": _restore_process,
    "_pids": _restore_pid,
    "_fuid_file": _restore_file,
    "_fuid_url": _restore_url,
    "_fuid_pending": _restore_pending,
    "_cert_names": _restore_names,
    "_cert_servers": _restore_servers,
    "_script_parts": _restore_script_parts,
    "_installed_names": _restore_installed,
    "_sid_names": _restore_sid,
    "_realm_domains": _restore_realm,
    "_wmi_templates": _restore_templates,
    "_dc_domains": _restore_dc_domain,
    "_wmi_runs": _restore_wmi_runs,
}
"""Per join, one saved ``[key, value]`` pair back as the key and value the projector makes (tuples,
not JSON's lists); a pair of another shape raises, and the state is not taken."""
