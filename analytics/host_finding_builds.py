"""The builds a fan-out cluster's process member vouches for: those most of its hosts ran (red team T15).

:mod:`analytics.host_finding_carry` carries a hit of an LSASS read or a renamed image only when its
image's SHA-256 is a build the cluster's process member holds.  The member is a graph node keyed by image
and command line, shared by every host that ran it, and its ``sha256`` prop was whatever build the store
merged last (props updated in order).  So a trojanised build dropped at a judged updater's path and run
with its command line on **one** host, ingested after the genuine runs, became the node's build: its LSASS
read was carried under the judged cluster, and the genuine build's reads on every other host were no
longer (T15 finding 1).  The node now holds its earliest creation's build (:mod:`graphsiem.store.earliest_build`,
HOSTF3), which a trojan run first still is: one host's build is never the fleet's.

:func:`vouched_builds` asks the journal instead: over the detection window, which builds each such
member ran as on each host holding it (its process creations; a 4688 or a Sysmon without hashes
counts its host, of no known build), and keeps the builds that ran on more than half of those hosts (a
strict majority: on a two-host cluster half is the one host a trojan ran on, HOSTF3).  One host's odd build
is not what a fan-out of the process across the fleet judged.  A member whose creations the window does not hold keeps the
node's build, as before.  A campaign that replaces the build on most of a cluster's hosts is the
cluster itself, which is shown or judged as such.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping

import orjson

from analytics.host_findings import PROCESS_CREATES, Hit, process_key

__all__ = ["NO_BUILD", "vouched_builds"]

NO_BUILD = "-"
"""The build set of a member whose hosts ran no build on more than half of them: no digest is vouched for (an
empty set would mean "no known build", which carries any)."""
_CREATIONS = ("SELECT fields FROM events WHERE host = ? AND ts >= ? AND ts <= ? AND kind IN (?, ?) "
              "AND CAST(fields AS TEXT) LIKE ? ESCAPE '\\'")
"""One host's process creations in the window naming an image's file name (the ``events_by_host`` index;
``LIKE`` skips the JSON decoding of the other creations)."""


def vouched_builds(connection: sqlite3.Connection, window: tuple[float, float], hits: Iterable[Hit],
                   held: Mapping[str, set[tuple[str, str]]],
                   builds: Mapping[tuple[str, str], frozenset[str]]) -> dict[tuple[str, str], frozenset[str]]:
    """``builds`` with each member some hit names replaced by the builds most of its hosts ran.

    Parameters
    ----------
    connection : sqlite3.Connection
        The journal's.
    window : tuple of float
        The detection window (epoch seconds).
    hits : iterable of Hit
        The window's hits: only the members one of them names are read.
    held : mapping
        Host -> ``(image, command line)`` of the cluster members on it
        (:func:`analytics.host_finding_words._cluster_processes`).
    builds : mapping
        Member -> the digests its node holds; members without one carry any build and are not read.

    Returns
    -------
    dict
        Member -> the builds run on more than half its hosts (``{NO_BUILD}`` when none was), or the
        node's when the window holds no creation of it.
    """
    named = {process_key(hit.image, hit.command_line) for hit in hits if hit.image}
    named_images = {image for image, _ in named}
    wanted = {key for key in builds if key in named or (not key[1] and key[0] in named_images)}
    vouched = dict(builds)
    for key in sorted(wanted):
        hosts = sorted(host for host, members in held.items() if key in members)
        ran = _builds_by_host(connection, window, key, hosts)
        if not ran:
            continue
        counts: dict[str, int] = {}
        for digests in ran.values():
            for digest in digests:
                counts[digest] = counts.get(digest, 0) + 1
        vouched[key] = frozenset(d for d, n in counts.items() if 2 * n > len(ran)) or frozenset({NO_BUILD})
    return vouched


def _builds_by_host(connection: sqlite3.Connection, window: tuple[float, float], key: tuple[str, str],
                    hosts: Iterable[str]) -> dict[str, set[str]]:
    """Host -> the SHA-256 digests its creations of member ``key`` in the window carried (none: an empty set,
    a creation logged without hashes)."""
    image, command = key
    name = image.replace("/", "\\").rsplit("\\", 1)[-1]
    pattern = "%" + name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    found: dict[str, set[str]] = {}
    for host in hosts:
        for (blob,) in connection.execute(_CREATIONS, (host, *window, *PROCESS_CREATES, pattern)):
            fields = orjson.loads(blob)
            ran = process_key(str(fields.get("process.executable") or ""), str(fields.get("process.command_line") or ""))
            if ran[0] == image and (not command or ran[1] == command):
                digest = str(fields.get("process.hash.sha256") or "").strip().lower()
                # a creation that says no build (a 4688) still counts its host: of unknown build, not the trojan's
                found.setdefault(host, set()).update({digest} if digest else ())
    return found
