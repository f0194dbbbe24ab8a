"""When a live channel received an event, and how far back that lets it date what the fleet saw.

An event's time is what its record says.  On a live channel the record's
writer chooses that time *and* the host it speaks for: on the syslog listener,
which needs no key, 21 lines dated the day before the window, sent after a
campaign was ingested, made the campaign's entities "old" and it left the
queue (review R5, item 1).  The rule here: **an event cannot make the fleet
have known something earlier than the fleet could have known it.**  The
projection dates the per-host sightings of an event received live
(``first_seen``/``last_seen``, which novelty, windows and prevalence read) no
earlier than its receipt time minus the allowed lateness
(:meth:`LatenessPolicy.sighting_time`); the event itself keeps its own ``ts``
in the journal, in its relations and in the evidence, where
:data:`RECEIVED_AT` shows when it arrived.

Channels: every event of the syslog listener and of the API (``POST
/v1/events``, ``/v1/files``) is stamped with its receipt time (:data:`RECEIVED_AT`,
set by :class:`ingest.pipeline_session.Session` only, never by a parser).  The
bound applies by channel (:class:`LatenessPolicy`): to the listener's events,
6 h unless ``GRAPHSIEM_ALLOWED_LATENESS_S`` says otherwise; to the API's only when
``GRAPHSIEM_API_ALLOWED_LATENESS_S`` is set.  The API needs an ingest key, and
is also how operators upload last month's exports (CSV, EVTX) and how shippers
catch up after an outage: bounded by default, a backfill would date a month of
history to the last hours and every old entity would look new.  Files ingested
with ``graphsiem ingest``, and journals written before this rule, carry no
receipt time: trusted, dated as written, so last week's logs still make last
week's entities old.  The receipt is journaled, so a replay or a rebuild projects
the same sightings as the live ingest did; a changed lateness applies to what is
projected from then on, and to everything on ``graphsiem rebuild``.

Allowed lateness: :data:`DEFAULT_LATENESS_S` (6 h).  Real backlogs are mostly
shorter: Winlogbeat's and NXLog's buffers hold minutes while the collector is
away, a service restart replays its disk queue within the hour.  A laptop
offline overnight (8 to 16 h) or a weekend is longer: its events keep their
times, but their sightings are dated ``receipt - lateness``, later than they
happened, so what only it saw looks *newer*, never older (a false positive, not
a missed campaign).  The bound matters against the window: a forged event dates
sightings at most ``lateness`` before it arrives, so a campaign stays new for
the detection windows that start less than ``lateness`` before the forgery
reaches the listener; with a 24 h window and a forgery sent right after the
campaign, 18 of its 24 h in the window with 6 h, 12 with 12 h.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import cast

RECEIVED_AT = "graphsiem.received_at"
"""The field of an event received on a live channel: its receipt time, epoch seconds (float).

Set by the ingest session for the syslog listener and the API, never by a parser (a
record's own keys land under ``ecs.``/``cef.`` prefixes), so a record cannot claim one.
"""

LATENESS_ENV = "GRAPHSIEM_ALLOWED_LATENESS_S"
"""The allowed lateness of the syslog listener's events, seconds (a number, 0 or more)."""

API_LATENESS_ENV = "GRAPHSIEM_API_ALLOWED_LATENESS_S"
"""The allowed lateness of the API's events (``/v1/events``, ``/v1/files``); unset: none, dated as written."""

DEFAULT_LATENESS_S = 6 * 3600.0
"""How long before its receipt a syslog event may date its sightings (module docstring)."""

SYSLOG_ORIGIN = "syslog-"
"""How the origin of a syslog listener's record starts (``syslog-udp/<batch>:N``, ``syslog-tcp/...``)."""


@dataclass(frozen=True, slots=True)
class LatenessPolicy:
    """How long before its receipt an event of each live channel may date its sightings.

    ``syslog``: the listener's events (no key: anyone who reaches the port);
    ``api``: ``POST /v1/events`` and ``/v1/files`` (an ingest key), ``None`` for
    no bound.  An event's channel is its origin's: the listener's records are
    ``syslog-<transport>/...``; every other event with a receipt came by the API.
    """

    syslog: float = DEFAULT_LATENESS_S
    api: float | None = None

    def sighting_time(self, ts: float, received_at: object, origin: str) -> float:
        """The time the sightings of an event of ``origin`` take (:func:`sighting_time`).

        Examples
        --------
        >>> policy = LatenessPolicy(syslog=60.0)
        >>> policy.sighting_time(1000.0, 90000.0, "syslog-udp/ab12:1")
        89940.0
        >>> policy.sighting_time(1000.0, 90000.0, "api/5f0c:3")  # an ingest key's: as written
        1000.0
        """
        lateness = self.syslog if origin.startswith(SYSLOG_ORIGIN) else self.api
        return ts if lateness is None else sighting_time(ts, received_at, lateness)

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> LatenessPolicy:
        """The policy of :data:`LATENESS_ENV` (default 6 h) and :data:`API_LATENESS_ENV` (default none).

        Raises
        ------
        ValueError
            When either is set to anything but a finite number of seconds, 0 or more.

        Examples
        --------
        >>> LatenessPolicy.from_environment({})
        LatenessPolicy(syslog=21600.0, api=None)
        >>> LatenessPolicy.from_environment({"GRAPHSIEM_API_ALLOWED_LATENESS_S": "43200"}).api
        43200.0
        """
        env = os.environ if environ is None else environ
        syslog = _seconds(env, LATENESS_ENV)
        return cls(DEFAULT_LATENESS_S if syslog is None else syslog, _seconds(env, API_LATENESS_ENV))


def _seconds(env: Mapping[str, str], name: str) -> float | None:
    """The number of seconds ``env[name]`` holds (``None`` when unset or blank)."""
    text = env.get(name)
    if text is None or not text.strip():
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value >= 0):
        raise ValueError(f"{name}={text!r}: the allowed lateness must be a number of seconds, 0 or more")
    return value


def sighting_time(ts: float, received_at: object, lateness: float) -> float:
    """The time an event's sightings take: ``ts``, but not before ``received_at - lateness``.

    ``received_at`` is the event's :data:`RECEIVED_AT` field (``None``: a trusted file's
    event, dated as written; anything but a number is ignored the same way).

    Examples
    --------
    >>> sighting_time(1000.0, None, 60.0)
    1000.0
    >>> sighting_time(1000.0, 1030.0, 60.0)  # 30 s late: as written
    1000.0
    >>> sighting_time(1000.0, 90000.0, 60.0)  # back-dated by a day: a minute before its receipt
    89940.0
    """
    if received_at.__class__ is not float:  # the class, not isinstance: this runs for every live event
        return ts
    floor = cast(float, received_at) - lateness
    return floor if ts < floor else ts


def received_suffix(received_at: float) -> str:
    """What a record dated by its receipt adds to its id's input, so a repeat is another event.

    A message with no time of its own (an RFC 5424 NILVALUE TIMESTAMP) is dated when
    it arrives; the same bytes arriving again later are another occurrence (a second
    failed log-on), and must not share the first one's id (review R5, item 6).

    Examples
    --------
    >>> received_suffix(1795991462.08983)
    'received 1795991462.08983'
    """
    return f"received {received_at!r}"
