"""What a logon failure's status means, in plain words: a leaf module with no imports.

:mod:`graphsiem.event_summary` (every timeline row, the CLI's ``graphsiem events``) needs only
this table; importing it from :mod:`analytics.credential_words` pulled in the explanations and
scikit-learn, about 5 s of the ``events`` command's start on a loaded machine.
"""

from __future__ import annotations

STATUS_MEANINGS = {
    "0xc0000064": "no such user",
    "0xc000006a": "wrong password",
    "0xc000006d": "bad user name or authentication information",
    "0xc000006f": "outside allowed hours",
    "0xc0000070": "workstation not allowed",
    "0xc0000071": "password expired",
    "0xc0000072": "account disabled",
    "0xc0000193": "account expired",
    "0xc0000224": "must change password",
    "0xc0000234": "account locked out",
    "0xc0000371": "no secret in the local account store",
    "kerberos 0x6": "no such user (Kerberos)",
    "kerberos 0x12": "account disabled, expired or locked out (Kerberos)",
    "kerberos 0x17": "password expired (Kerberos)",
    "kerberos 0x18": "wrong password (Kerberos pre-authentication)",
    "ssh": "refused by sshd or PAM",
    "ssh invalid user": "no such user (sshd)",
}
"""What a failure status means (Microsoft's tables for 4776, 4625 and 4771; the page's
``validation_tallies.js`` has the NTLM ones)."""
