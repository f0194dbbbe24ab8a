"""Links to the analysts' page, for tools that hand a cluster to a person (tickets, chat, SOAR).

The service does not know the address people reach it by (a reverse proxy,
a DNS name, TLS in front), so a link is given only when the operator says it:
``GRAPHSIEM_PUBLIC_URL`` (``https://siem.corp.example``, or with a path prefix
the proxy serves the page under).  Cluster items, their detail and webhook
alerts then carry ``url``, the page's deep link to the cluster
(``<public_url>/#/clusters/<id>``, which the page opens after sign-in); without
it ``url`` is ``null`` (review T3: neither the API nor the webhook linked to
the page).
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit

__all__ = ["check_public_url", "cluster_page_url"]


def check_public_url(value: str | None) -> str | None:
    """``value`` as the base of links (no trailing slash), or ``None``; ``ValueError`` says what is wrong.

    Examples
    --------
    >>> check_public_url("https://siem.corp.example/graphsiem/")
    'https://siem.corp.example/graphsiem'
    >>> check_public_url("siem.corp.example")
    Traceback (most recent call last):
    ...
    ValueError: public_url must be an http:// or https:// address with a host (got 'siem.corp.example')
    """
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - reading it checks the port (ValueError for a bad one)
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"public_url must be an http:// or https:// address with a host (got {text[:200]!r})")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise ValueError("public_url may not hold credentials, a query or a fragment: it is copied into "
                         "every link the API and the webhook give")
    return text.rstrip("/")


def cluster_page_url(public_url: str | None, cluster_id: str) -> str | None:
    """The page's link to ``cluster_id`` under ``public_url`` (``None`` without one).

    Examples
    --------
    >>> cluster_page_url("https://siem.corp.example", "19fb1f0a4d2f404c")
    'https://siem.corp.example/#/clusters/19fb1f0a4d2f404c'
    >>> cluster_page_url(None, "19fb1f0a4d2f404c") is None
    True
    """
    if not public_url:
        return None
    return f"{public_url}/#/clusters/{quote(cluster_id, safe='')}"
