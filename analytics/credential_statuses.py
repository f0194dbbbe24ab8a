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
"""What a failure status means (Microsoft's tables for 4776, 4625 and 4771).  The only copy: the API
sends a tally entry's meaning (:func:`tally_meaning`) and the page shows it."""

UNKNOWN_DOMAIN_MEANING = "not known to be a DC: name as logged"
"""An ``account_domain`` tally's ``unknown``: 4776 names no domain, and the host was not known then to be a
domain controller of a known domain, so the account is kept as the event gave it."""


def tally_meaning(tally: str, label: str) -> str | None:
    """What one label of a credential validation edge's tally means, or None when it needs no words.

    Parameters
    ----------
    tally : str
        The tally's name (``outcomes``, ``workstations``, ``account_domain``).
    label : str
        One of its labels (``failure 0xc000006a``, ``success``, a claimed name).

    Returns
    -------
    str or None
        A failure status's meaning (:data:`STATUS_MEANINGS`, NTLM and Kerberos), the ``unknown`` account
        domain's, or None (a success, an unknown status, a claimed workstation: a client's words).

    Examples
    --------
    >>> tally_meaning("outcomes", "failure 0xC000006A"), tally_meaning("outcomes", "success")
    ('wrong password', None)
    >>> tally_meaning("workstations", "failure 0xc000006a") is None
    True
    """
    if tally == "outcomes" and label.startswith("failure "):
        return STATUS_MEANINGS.get(label[len("failure "):].lower())
    if tally == "account_domain" and label == "unknown":
        return UNKNOWN_DOMAIN_MEANING
    return None
