"""Value normalisation shared by every parser: hosts, ids, IPs, domains, URLs, time.

Each function takes what a record holds (often a string of uncertain shape) and
returns the normalised form or ``None`` when the value is absent; it raises
``ValueError`` with a reason when a value is present but malformed.

The functions live in one module per kind of value; parsers import them from
here, the one place that names them all:

- :mod:`ingest.normalize_text`: "absent" markers, integers, command lines;
- :mod:`ingest.normalize_ip`: IP addresses, the fleet's networks;
- :mod:`ingest.normalize_hosts`: host and user names;
- :mod:`ingest.normalize_urls`: domain names, registered domains, URLs;
- :mod:`ingest.normalize_digests`: file digests;
- :mod:`ingest.normalize_time`: timestamps.
"""

from __future__ import annotations

from ingest.normalize_digests import (
    DIGEST_LENGTHS,
    PATH_KEY_PREFIX,
    digest_fields,
    file_path_key,
    normalize_digest,
    split_hashes,
)
from ingest.normalize_hosts import normalize_host, normalize_user
from ingest.normalize_ip import (
    INTERNAL_NETWORKS,
    can_be_a_host,
    canonical_ip,
    ip_or_none,
    is_internal,
)
from ingest.normalize_text import UNSET_TEXT, is_unset, normalize_command_line, parse_int
from ingest.normalize_time import epoch_seconds, parse_timestamp
from ingest.normalize_urls import normalize_domain, normalize_url, registered_domain

__all__ = [
    "DIGEST_LENGTHS",
    "INTERNAL_NETWORKS",
    "PATH_KEY_PREFIX",
    "UNSET_TEXT",
    "can_be_a_host",
    "canonical_ip",
    "digest_fields",
    "epoch_seconds",
    "file_path_key",
    "ip_or_none",
    "is_internal",
    "is_unset",
    "normalize_command_line",
    "normalize_digest",
    "normalize_domain",
    "normalize_host",
    "normalize_url",
    "normalize_user",
    "parse_int",
    "parse_timestamp",
    "registered_domain",
    "split_hashes",
]
