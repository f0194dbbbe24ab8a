"""When a live channel received an event, and how far back that lets it date what the fleet saw.

An event's time is what its record says.  On a live channel (the syslog
listener, which needs no key, and the API's ``POST /v1/events`` and
``/v1/files``) the record's writer chooses that time *and* the host it speaks
for: 21 syslog lines dated the day before the window, sent after a campaign was
ingested, made the campaign's entities "old" and it left the queue (review R5,
item 1).  The rule here: **an event cannot make the fleet have known something
earlier than the fleet could have known it.**  The projection dates the
per-host sightings of an event received live (``first_seen``/``last_seen``,
which novelty, windows and prevalence read) no earlier than its receipt time
minus the allowed lateness (:func:`sighting_time`); the event itself keeps
its own ``ts`` in the journal, in its relations and in the evidence, where
:data:`RECEIVED_AT` shows when it arrived.

The receipt time is journaled in the event's fields (:data:`RECEIVED_AT`, set
by :class:`ingest.pipeline_session.Session` only, never by a parser), so a
replay or a rebuild projects the same sightings as the live ingest did.  Files
an operator ingests with ``graphsiem ingest`` (and journals written before this
rule) carry no receipt time: they are trusted, dated as written, so last
week's logs still make last week's entities old.

Allowed lateness: :data:`DEFAULT_LATENESS_S` (6 h), or ``GRAPHSIEM_ALLOWED_LATENESS_S``
(:func:`lateness_from_environment`).  Real backlogs are mostly shorter:
Winlogbeat's and NXLog's buffers hold minutes while the collector is away, a
service restart replays its disk queue within the hour.  A laptop offline
overnight (8 to 16 h) or a weekend is longer: its events keep their times, but
their sightings are dated ``receipt - lateness``, later than they happened, so
what only it saw looks *newer*, never older (a false positive, not a missed
campaign).  The bound matters against the window: a forged event dates
sightings at most ``lateness`` before it arrives, so a campaign stays new for
the detection windows that start less than ``lateness`` before the forgery
reaches the listener; with a 24 h window and a forgery sent right after the
campaign, 18 of its 24 h in the window with 6 h, 12 with 12 h.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from typing import cast

RECEIVED_AT = "graphsiem.received_at"
"""The field of an event received on a live channel: its receipt time, epoch seconds (float).

Set by the ingest session for the syslog listener and the API, never by a parser (a
record's own keys land under ``ecs.``/``cef.`` prefixes), so a record cannot claim one.
"""

LATENESS_ENV = "GRAPHSIEM_ALLOWED_LATENESS_S"
"""The environment variable of the allowed lateness, seconds (a number, 0 or more)."""

DEFAULT_LATENESS_S = 6 * 3600.0
"""How long before its receipt a live event may date its sightings (module docstring)."""


def lateness_from_environment(environ: Mapping[str, str] | None = None) -> float:
    """The allowed lateness from :data:`LATENESS_ENV`, else :data:`DEFAULT_LATENESS_S`.

    Raises
    ------
    ValueError
        When the variable is set to anything but a finite number of seconds, 0 or more.

    Examples
    --------
    >>> lateness_from_environment({})
    21600.0
    >>> lateness_from_environment({"GRAPHSIEM_ALLOWED_LATENESS_S": "43200"})
    43200.0
    """
    env = os.environ if environ is None else environ
    text = env.get(LATENESS_ENV)
    if text is None or not text.strip():
        return DEFAULT_LATENESS_S
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value >= 0):
        raise ValueError(f"{LATENESS_ENV}={text!r}: the allowed lateness must be a number of seconds, 0 or more")
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
