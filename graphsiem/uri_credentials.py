"""Credentials written in a store URI (``bolt://user:password@host``): taken out, never shown.

An operator may write the Neo4j password into ``--store`` or
``GRAPHSIEM_NEO4J_URI``.  The driver refuses such a URI and its error quotes
the URI whole, so the password reached the terminal and the logs (review S2,
item 8).  :func:`split_credentials` takes them out (the store then connects
with them); :func:`redact_uri` is the form every message shows.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit, urlunsplit

MASK = "***"
"""What a password in a shown URI is replaced with."""


def split_credentials(uri: str) -> tuple[str, str | None, str | None]:
    """``uri`` without its user information, and the user and password it held (percent-decoded).

    Parameters
    ----------
    uri : str
        A URI, maybe ``scheme://user:password@host:port``.

    Returns
    -------
    (str, str or None, str or None)
        The URI with no ``user:password@`` part, the user and the password
        (``None`` for those it does not give).  A text that is no URI is
        returned as it is.

    Examples
    --------
    >>> split_credentials("bolt://neo4j:s3cret@db:7687")
    ('bolt://db:7687', 'neo4j', 's3cret')
    >>> split_credentials("neo4j://db")
    ('neo4j://db', None, None)
    >>> split_credentials("bolt://al%40ice:p%3Aw@db")
    ('bolt://db', 'al@ice', 'p:w')
    """
    try:
        parts = urlsplit(uri)
    except ValueError:
        return uri, None, None
    if "@" not in parts.netloc:
        return uri, None, None
    userinfo, _, host = parts.netloc.rpartition("@")
    user, has_password, password = userinfo.partition(":")
    bare = urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))
    return bare, unquote(user) or None, unquote(password) if has_password else None


def redact_uri(text: str) -> str:
    """``text`` (a URI, or a message quoting URIs) with the password of each ``scheme://user:password@`` masked.

    Examples
    --------
    >>> redact_uri("bolt://neo4j:topsecretpw@127.0.0.1:7687")
    'bolt://neo4j:***@127.0.0.1:7687'
    >>> redact_uri("unknown store 'http://u:p@x/'")
    "unknown store 'http://u:***@x/'"
    >>> redact_uri("bolt://u:p@ss@db/x")
    'bolt://u:***@db/x'
    >>> redact_uri("bolt://127.0.0.1:7687")
    'bolt://127.0.0.1:7687'
    """
    return _USERINFO.sub(lambda m: f"{m.group(1)}{MASK}@", text)



_USERINFO = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://[^\s/@:'\"]*:)[^\s/'\"]*@")
"""``scheme://user:`` then the password up to the authority's last ``@`` (a password may hold one)."""
