"""What each scored feature means, in the words a first-week analyst reads on the page.

:data:`analytics.features.FEATURE_DESCRIPTIONS` defines the features for
whoever tunes them (inter-quartile ranges, caps, floors, "new members" of a
"pivot").  The explanation's rows ("Why it scored high") carry these instead
(review R4, finding 13): what was measured on the cluster's hosts, without
statistics or the clustering's vocabulary.  The first thing the cluster grew
from is "the cluster's main entity"; an entity "new" is one the fleet had not
seen before the detection window, or, low and slow, one a few hosts first saw in
the days before it that is now reaching new hosts (the summary then says when the
fleet first saw it and on how many hosts: :class:`analytics.young_pivots.YoungPivot`).
"""

from __future__ import annotations

PLAIN_DESCRIPTIONS: dict[str, str] = {
    "first_contact_spread_min": (
        "minutes in which the middle half of the hosts first contacted the cluster's main entity "
        "(fewer minutes: more synchronised; an hour or more, an entity seen before the window, or an account "
        "on 5 hosts or fewer (one person's logon: the workstation, the domain controllers, a jump host) counts as 60)"
    ),
    "burst_hosts": (
        "hosts that first contacted the cluster's main entity within the same 10 minutes "
        "(counted only when that is at least half of the hosts, else 0; 0 for an account on 5 hosts or fewer)"
    ),
    "interpreter_lineage": (
        "new parent → child process pairs where the child is a script host or a Windows tool attackers "
        "misuse (PowerShell, cmd, wscript, mshta, rundll32...)"
    ),
    "source_kinds": (
        "whether the new things are both activity on the hosts (processes, scripts, accounts, drivers) "
        "and an outside destination (a domain, address or URL on the internet): 2 for both, 1 for one"
    ),
    "lsass_access": "yes (1) when a new process read the memory of LSASS, where Windows keeps credentials",
    "encoded_command": "yes (1) when a new process runs a PowerShell command hidden in base64 (-enc)",
    "download_from_new_domain": (
        "yes (1) when the hosts downloaded from a domain or an internet address (no domain name) the fleet had "
        "never used and then ran something new, or when PowerShell or another Windows tool attackers misuse, "
        "with its own command line on each of several hosts, fetched a new file from an internet source the "
        "fleet had used before but its own scripts had not fetched from (a compromised site, a rented cloud bucket)"
    ),
    "remote_thread": "yes (1) when a new process started a thread inside another process (code injection)",
    "driver_outside_drivers_dir": (
        "yes (1) when a new kernel driver was installed or loaded from outside the Windows driver folders "
        "(System32\\drivers, the DriverStore)"
    ),
    "lookalike_domain": (
        "yes (1) when a new domain is spelled like one the fleet used widely before (a character or two "
        "apart, look-alike characters, or the trusted name inside another domain)"
    ),
    "repeat_contacts": (
        "how often a day the typical host contacted the cluster's main entity when it is a destination (a "
        "domain, address or URL), else the cluster's new destination it contacted most, over the time from its "
        "first to its last contact (at least 6 hours), each contact counted once whichever sensors logged it "
        "(24 or fewer, hourly or less, counts as ordinary: beacons call home more often; every 15 minutes or "
        "more often, 96 a day, counts the same however fast)"
    ),
}
"""The analyst's words for each scored feature (:data:`analytics.features.SCORED_FEATURES`)."""
