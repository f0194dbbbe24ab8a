"""Look-alike domains: a new domain that is a near miss of one the fleet already trusts.

A typosquat borrows the trust of a name every host already talks to
(``api.driverhub-update.com`` for the vendor's ``api.driverhub-updates.com``):
to a reader, and to a rule that allows the vendor, it passes.  Rarity does not
see it: the new domain is as new as any other.  The resemblance is the signal,
so it is its own 0/1 behaviour column (``lookalike_domain``,
:mod:`analytics.features`).

**Trusted** domains are those detect already reads: domains in the window's
statistics that the fleet saw *before* the window on at least
:data:`TRUSTED_MIN_FRACTION` of its hosts (and :data:`TRUSTED_MIN_HOSTS`):
what the fleet uses widely and has used for a while (:func:`trusted_domains`).
A name every host has resolved for days is one an attacker gains by copying.

A new domain **looks like** a trusted one (:meth:`LookalikeIndex.match`) when,
on the registrable part (the Public Suffix List's registered domain, from the
``publicsuffixlist`` package already a dependency, with its bundled list: no
download at run time), it is

* within Damerau-Levenshtein distance 1 (optimal string alignment: one
  character added, removed, replaced, or two neighbours swapped), or 2 for
  long names (:data:`LONG_NAME`); names shorter than :data:`MIN_NAME` are not
  compared, as short names sit one edit apart by chance;
* the same after look-alike characters are folded (:func:`skeleton`: ``xn--``
  labels decoded, Unicode's confusables (UTS #39) such as Cyrillic, Greek or
  Armenian letters shaped like Latin ones, ``rn`` -> ``m``, ``0`` -> ``o``,
  ``1`` -> ``l``...); or
* the trusted registered domain embedded as labels of a name registered
  elsewhere (``driverhub-updates.com.evil.example``).

A subdomain of a trusted registered domain (``cdn.driverhub-updates.com``) is
the vendor's own and never a look-alike.

Cost: the index buckets trusted names by length and by skeleton, so a new
domain is compared with the trusted names of nearby length only, and each new
domain is matched once per detection (cached): new domains in clusters (few)
times trusted names (hundreds), never all pairs of domains.  Domain values are
attacker data: compared as strings, never resolved or fetched.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from publicsuffixlist import PublicSuffixList

from analytics.confusables import CONFUSABLE_PAIRS, fold_char

TRUSTED_MIN_FRACTION = 0.1
"""A domain seen before the window on at least this share of the fleet is trusted.

Measured on the S3 look-alike fleet (200 hosts, 2 days): of the 56 window
domains known before the window, 8 reach 20 % of the fleet or more (Windows
Update, Office, the inventory server, the driver vendor's updater at 27.5 %),
12 reach 10 % (with the sign-in portal, search and video sites), and the rest
is the browsing tail (47 at 2 % or more, sites a few users visit).  A tenth
keeps what a department or more relies on and leaves out the tail, whose
names are not trusted by anyone and only add chance near misses."""
TRUSTED_MIN_HOSTS = 5
"""...and on at least this many hosts (a 4-host fleet's every domain is not "widely used")."""
MIN_NAME = 6
"""Registered names (without the public suffix) shorter than this are compared by skeleton only."""
LONG_NAME = 12
"""Registered names at least this long allow two edits."""


@dataclass(slots=True, frozen=True)
class Lookalike:
    """A new domain that looks like a trusted one, and how.

    ``kind`` is ``"edit"`` (Damerau-Levenshtein), ``"homoglyph"`` (the same after
    folding look-alike characters) or ``"embedded"`` (the trusted name inside
    another registered domain); ``difference`` says it in words.
    """

    domain: str
    trusted: str
    trusted_hosts: int
    kind: str
    difference: str


@lru_cache(maxsize=1)
def _public_suffixes() -> PublicSuffixList:
    """The bundled Public Suffix List, parsed once on first use."""
    return PublicSuffixList()


def registrable(domain: str) -> str:
    """The registered domain of ``domain`` by the Public Suffix List (itself when it has none).

    Examples
    --------
    >>> registrable("api.driverhub-updates.com"), registrable("www.example.co.uk"), registrable("ws-01")
    ('driverhub-updates.com', 'example.co.uk', 'ws-01')
    """
    return _public_suffixes().privatesuffix(domain) or domain


def _name_part(registered: str) -> str:
    """The registered domain without its public suffix (``driverhub-updates``)."""
    suffix = _public_suffixes().publicsuffix(registered) or ""
    return registered[: -len(suffix) - 1] if suffix and registered.endswith("." + suffix) else registered


def decode_idna(domain: str) -> str:
    """``domain`` with its ``xn--`` labels decoded to Unicode; a label that does not decode stays as it is.

    Examples
    --------
    >>> decode_idna("xn--pple-43d.com")
    'аpple.com'
    """
    labels = []
    for label in domain.split("."):
        if label.startswith("xn--"):
            try:
                label = label[4:].encode("ascii").decode("punycode")
            except (UnicodeError, ValueError):
                pass
        labels.append(label)
    return ".".join(labels)


def skeleton(domain: str) -> str:
    """What ``domain`` reads as: ``xn--`` decoded, lower case, look-alike characters folded.

    Examples
    --------
    >>> skeleton("xn--pple-43d.com") == skeleton("apple.com"), skeleton("rnicrosoft.com") == skeleton("microsoft.com")
    (True, True)
    >>> skeleton("g00gle.com") == skeleton("google.com"), skeleton("paypa1.com") == skeleton("paypal.com")
    (True, True)
    """
    # lower case first: DNS ignores case (IDNA lowers a name), so a capital I in a domain is an i
    text = "".join(fold_char(ch) for ch in decode_idna(domain).lower())  # UTS #39, shared with file names
    for pair, letter in CONFUSABLE_PAIRS:
        text = text.replace(pair, letter)
    return text


def edit_distance(a: str, b: str, limit: int = 2) -> int:
    """Damerau-Levenshtein distance (optimal string alignment), or ``limit + 1`` once it exceeds ``limit``.

    Examples
    --------
    >>> edit_distance("driverhub-update", "driverhub-updates"), edit_distance("micorsoft", "microsoft")
    (1, 1)
    >>> edit_distance("example", "elpmaxe", limit=2)
    3
    """
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        row = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            row[j] = min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                row[j] = min(row[j], prev2[j - 2] + 1)
        if min(row) > limit:
            return limit + 1
        prev2, prev = prev, row
    return min(prev[-1], limit + 1)


def describe_edit(new: str, trusted: str) -> str:
    """The difference of two names one edit apart, in words (else how many edits).

    Examples
    --------
    >>> describe_edit("driverhub-update.com", "driverhub-updates.com")
    "one character removed ('s' after 'driverhub-update')"
    >>> describe_edit("micorsoft.com", "microsoft.com")
    "two characters swapped ('ro' written 'or')"
    """
    i = 0
    while i < min(len(new), len(trusted)) and new[i] == trusted[i]:
        i += 1
    after = f" after '{trusted[max(0, i - 16):i]}'" if i else " at the start"
    if len(new) + 1 == len(trusted) and new[i:] == trusted[i + 1:]:
        return f"one character removed ('{trusted[i]}'{after})"
    if len(new) == len(trusted) + 1 and new[i + 1:] == trusted[i:]:
        return f"one character added ('{new[i]}'{after})"
    if len(new) == len(trusted):
        if new[i + 1:] == trusted[i + 1:]:
            return f"one character replaced ('{trusted[i]}' written '{new[i]}'{after})"
        if i + 1 < len(new) and new[i] == trusted[i + 1] and new[i + 1] == trusted[i] and new[i + 2:] == trusted[i + 2:]:
            return f"two characters swapped ('{trusted[i:i + 2]}' written '{new[i:i + 2]}')"
    return f"{edit_distance(new, trusted)} characters changed"


@dataclass(slots=True)
class LookalikeIndex:
    """The trusted domains, indexed for near-miss look-ups (:func:`trusted_domains` builds one).

    ``trusted`` maps each trusted registered domain to the full domain the fleet uses most
    under it and that domain's host count (what a check names).
    """

    trusted: dict[str, tuple[str, int]]
    _by_length: dict[int, list[str]] = field(init=False, default_factory=dict)
    _by_skeleton: dict[str, list[str]] = field(init=False, default_factory=dict)
    _cache: dict[str, Lookalike | None] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        for registered in sorted(self.trusted):
            self._by_length.setdefault(len(_name_part(registered)), []).append(registered)
            self._by_skeleton.setdefault(skeleton(registered), []).append(registered)

    def __len__(self) -> int:
        return len(self.trusted)

    def match(self, domain: str) -> Lookalike | None:
        """The trusted domain ``domain`` looks like, or ``None`` (a trusted name's own subdomain is ``None``).

        Examples
        --------
        >>> index = LookalikeIndex({"driverhub-updates.com": ("api.driverhub-updates.com", 200)})
        >>> index.match("api.driverhub-update.com").difference
        "one character removed ('s' after 'driverhub-update')"
        >>> index.match("cdn.driverhub-updates.com") is None, index.match("example.org") is None
        (True, True)
        """
        if domain not in self._cache:
            self._cache[domain] = self._match(domain) if self.trusted else None
        return self._cache[domain]

    def _match(self, domain: str) -> Lookalike | None:
        registered = registrable(domain)
        if registered in self.trusted:
            return None
        for trusted in self._by_skeleton.get(skeleton(registered), ()):
            if trusted != registered:
                shown = decode_idna(registered)
                spelled = f"spelled '{shown}' ({registered})" if shown != registered else f"spelled '{registered}'"
                return self._found(domain, trusted, "homoglyph", f"look-alike characters: {spelled}, which reads as '{trusted}'")
        embedded = self._embedded(domain, registered)
        if embedded is not None:
            return self._found(domain, embedded, "embedded", f"'{embedded}' written inside a name registered under '{registered}'")
        name = _name_part(registered)
        if len(name) < MIN_NAME:
            return None
        limit = 2 if len(name) >= LONG_NAME else 1
        best: tuple[int, str] | None = None
        for length in range(len(name) - limit, len(name) + limit + 1):
            for trusted in self._by_length.get(length, ()):
                distance = edit_distance(registered, trusted, limit)
                if distance <= limit and (best is None or (distance, trusted) < best):
                    best = (distance, trusted)
        if best is None:
            return None
        return self._found(domain, best[1], "edit", describe_edit(registered, best[1]))

    def _embedded(self, domain: str, registered: str) -> str | None:
        """A trusted registered domain written as labels of ``domain`` outside its own registered domain."""
        prefix = domain[: -len(registered)].rstrip(".") if domain.endswith(registered) else ""
        if not prefix:
            return None
        labels = prefix.split(".")
        for start in range(len(labels)):
            for end in range(start + 2, len(labels) + 1):
                candidate = ".".join(labels[start:end])
                if candidate in self.trusted:
                    return candidate
        # the dots written as dashes: driverhub-updates-com.evil.example
        for label in labels:
            for trusted in self.trusted:
                if trusted.replace(".", "-") in label and len(trusted) >= MIN_NAME:
                    return trusted
        return None

    def _found(self, domain: str, registered: str, kind: str, difference: str) -> Lookalike:
        full, hosts = self.trusted[registered]
        return Lookalike(domain, full, hosts, kind, difference)


def trusted_domains(
    domains: Iterable[tuple[str, bool, float]], n_hosts: int,
    *, min_fraction: float = TRUSTED_MIN_FRACTION, min_hosts: int = TRUSTED_MIN_HOSTS,
) -> LookalikeIndex:
    """The index of the domains the fleet used widely before the window.

    Parameters
    ----------
    domains : iterable of (str, bool, float)
        Each domain seen in the window: its name, whether it is new (first seen in the
        window), and how many hosts ever saw it.
    n_hosts : int
        Fleet size.

    Examples
    --------
    >>> index = trusted_domains([("api.vendor-app.com", False, 90.0), ("new.example", True, 90.0),
    ...                          ("rare.example", False, 2.0)], n_hosts=100)
    >>> sorted(index.trusted)
    ['vendor-app.com']
    """
    floor = max(float(min_hosts), min_fraction * n_hosts)
    trusted: dict[str, tuple[str, int]] = {}
    for name, is_new, hosts in domains:
        if is_new or hosts < floor:
            continue
        registered = registrable(name)
        known = trusted.get(registered)
        if known is None or (hosts, known[0]) > (known[1], name):
            trusted[registered] = (name, int(hosts))
    return LookalikeIndex(trusted)
