"""An internet bot guessing default SSH names is not a targeted spray (task CRED7 item 2).

SSH brute-force bots scan the whole internet: every exposed server of a fleet sees the same address try
``root``, ``admin``, ``test``, ``oracle``, ``ubuntu``, ``pi``... a few times each, for minutes or days.
Pooled by source over the servers (:mod:`analytics.credential_spread`) that is a password spray by the
counts (ten accounts or more, at most three tries each), and it reached the spray's risk (85) beside a
sprayer that knows the organisation's user list.  What tells them apart is the *accounts tried*: sshd
says whether the name exists on the host (``Invalid user NAME``, outcome ``failure ssh invalid user``).
A bot's list is the world's default names, most of which no server of ours has; a targeted sprayer's is
our users', which exist.  So an SSH-only spray (every attempt an sshd/PAM line) in which at least
:data:`GUESSING_MIN_SHARE` of the sprayed accounts do not exist, and those that exist are too few to be a
spray on their own (``spray_min_accounts``: a sprayer padding our users' names with as many made-up ones
stays a spray), is read as :data:`analytics.credential_spray.GUESSING`, at a risk under every targeted pattern (:data:`analytics.credential_spray.
PATTERN_RISK`); its other patterns stand (a brute force of ``root`` is still one, and a success after
failures, a bot that got in, is still a likely compromise at its own risk).

The other two tells, and why they are not the rule: the operator's own scanners are listed
(``credential_known_scanners``: no spread finding at all), and volume (a bot hits every exposed server)
is what a targeted spray of all servers shows too.  An address outside ``internal_networks`` is said in
the words, not scored: a sprayer on the internet trying our users' names is no less targeted.
"""

from __future__ import annotations

from analytics.credential_spray import GUESSING, SPRAY, CredentialFinding
from analytics.credential_syslog import SYSLOG_FAILURE_KIND, SYSLOG_SUCCESS_KIND

__all__ = ["GUESSING_MIN_SHARE", "INVALID_USER", "as_guessing"]

INVALID_USER = "failure ssh invalid user"
"""sshd's refusal of a name the host does not have (:mod:`analytics.credential_attempts`)."""
GUESSING_MIN_SHARE = 0.5
"""Least share of the sprayed accounts that do not exist for the spray to be a bot's guessing: a
targeted list may hold a few departed users, a bot's default names mostly miss."""
_SSH = frozenset({SYSLOG_FAILURE_KIND, SYSLOG_SUCCESS_KIND})


def as_guessing(finding: CredentialFinding, *, spray_min_accounts: int = 10) -> CredentialFinding:
    """``finding`` with its password spray read as SSH guessing when the module docstring's rule holds.

    Parameters
    ----------
    finding : CredentialFinding
        A validator's, or a merged, finding.
    spray_min_accounts : int
        The spray's least account count (:class:`analytics.credential_spray.Thresholds`): this many sprayed
        names that exist are a targeted spray whatever else was tried.

    Returns
    -------
    CredentialFinding
        The same object, its ``password_spray`` pattern renamed ``ssh_guessing`` (same accounts) when its
        attempts are all SSH, at least :data:`GUESSING_MIN_SHARE` of the sprayed accounts do not exist and
        fewer than ``spray_min_accounts`` do.

    Examples
    --------
    >>> from analytics.credential_attempts import Attempt
    >>> tries = [Attempt(float(n), name, INVALID_USER, None, "198.51.100.23", f"e{n}", SYSLOG_FAILURE_KIND)
    ...          for n, name in enumerate(["admin", "test", "oracle"])]
    >>> as_guessing(CredentialFinding("web01", {SPRAY: ["admin", "oracle", "test"]}, 0.0, 2.0, tries)).worst
    'ssh_guessing'
    """
    sprayed = finding.patterns.get(SPRAY)
    if not sprayed or not finding.attempts or any(a.kind not in _SSH for a in finding.attempts):
        return finding
    unknown = {a.account for a in finding.attempts if a.outcome == INVALID_USER}
    missing = len(unknown.intersection(sprayed))
    if missing < GUESSING_MIN_SHARE * len(sprayed) or len(sprayed) - missing >= spray_min_accounts:
        return finding
    finding.patterns = {GUESSING if name == SPRAY else name: accounts for name, accounts in finding.patterns.items()}
    return finding
