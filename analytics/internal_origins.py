"""Whether a cluster's new downloads all came from the fleet's own, long-known servers (task FP2).

``download_from_new_domain`` (:func:`analytics.features.cluster_features`) was set whenever a
cluster held a new domain, downloaded something new and ran something new, without asking where
the download came from.  A ConfigMgr deployment (``benchmarks/scenarios/fp_sccm_deploy.yaml``)
fetches its package from the fleet's distribution point (``http://sccm-dp01.corp.example/...``,
polled every day for months) and the program it installs then calls its vendor's new CDN: the
check read "downloaded from new domain updates.pdfstudio-cdn.com (http://sccm-dp01.corp.example/...)"
and the deployment ranked 5th, just under the attacks.

A download is from an *old internal server* when its URL's host is an internal address, or a
domain every DNS answer of which (``RESOLVES_TO``, first seen by the window's end) is an internal
address, and that host is one the fleet saw before the window.  A domain with no answer known is
not taken as internal: an attacker's name the sensors never saw resolved stays a download.  A
payload staged on an old *external* domain, or on an internal server first seen in the window,
keeps the behaviour.

Cost: one neighbour read per distinct URL host asked about, and hosts are asked about only for
clusters that would otherwise get the behaviour (cached for the detection).
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from analytics.entity_stats import Window
from analytics.external_addresses import is_external_ip
from graphsiem.model import EntityType, RelationType
from graphsiem.store.base import GraphStore

MAX_ANSWERS = 200
"""DNS answers read for one domain: a name with more than this many is a CDN, not the fleet's own server."""


def url_host(url: str) -> str | None:
    """The host a URL names (lower case, IPv6 without brackets), or ``None`` when it names none.

    Examples
    --------
    >>> url_host("http://sccm-dp01.corp.example/SMS_DP_SMSPKG$/PS100042/setup.exe")
    'sccm-dp01.corp.example'
    >>> url_host("http://[fd00::5]:8080/a"), url_host("not a url")
    ('fd00::5', None)
    """
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    return host or None


class InternalServers:
    """Tells whether a host name or address is one of the fleet's internal servers, by the store's DNS answers.

    Parameters
    ----------
    store : GraphStore
    window : Window
        Answers first seen after its end are not read (a backtest must not learn of later ones).
    """

    def __init__(self, store: GraphStore, window: Window) -> None:
        self._store = store
        self._window = window
        self._known: dict[str, bool] = {}

    def __call__(self, host: str) -> bool:
        """True for an internal address, or a domain resolved only to internal addresses (one at least)."""
        if host not in self._known:
            self._known[host] = self._is_internal(host)
        return self._known[host]

    def _is_internal(self, host: str) -> bool:
        if _is_address(host):
            return not is_external_ip(host)
        answers = [
            n.entity.ref[1]
            for n in self._store.neighbors(EntityType.DOMAIN.value, host, direction="out",
                                           relation_types=[RelationType.RESOLVES_TO.value],
                                           entity_types=[EntityType.IP.value], limit=MAX_ANSWERS)
            if n.relation.first_seen <= self._window.end
        ]
        return bool(answers) and len(answers) < MAX_ANSWERS and not any(is_external_ip(a) for a in answers)


def _is_address(host: str) -> bool:
    """Whether ``host`` is written as an IP address (a domain name never ends in a bare number or holds ':')."""
    return ":" in host or host.rpartition(".")[2].isdigit()


def all_from_old_internal_servers(
    urls: list[str], *, known_before_window: Callable[[str], bool], is_internal: Callable[[str], bool],
) -> bool:
    """Whether every one of ``urls`` (at least one) is on an internal server the fleet knew before the window.

    Parameters
    ----------
    urls : list of str
        The cluster's new URL members.
    known_before_window : callable
        Host (domain or address) -> whether the fleet saw it before the window.
    is_internal : callable
        Host -> whether it is an internal server (:class:`InternalServers`).

    Examples
    --------
    >>> old = {"sccm-dp01.corp.example", "cdn.example.com"}.__contains__
    >>> internal = {"sccm-dp01.corp.example", "new-dp.corp.example"}.__contains__
    >>> all_from_old_internal_servers(["http://sccm-dp01.corp.example/p/setup.exe"],
    ...                               known_before_window=old, is_internal=internal)
    True
    >>> [all_from_old_internal_servers([u], known_before_window=old, is_internal=internal)
    ...  for u in ("http://cdn.example.com/a.exe", "http://new-dp.corp.example/a.exe")]
    [False, False]
    >>> all_from_old_internal_servers([], known_before_window=old, is_internal=internal)
    False
    """
    if not urls:
        return False
    for url in urls:
        host = url_host(url)
        if host is None or not known_before_window(host) or not is_internal(host):
            return False
    return True
