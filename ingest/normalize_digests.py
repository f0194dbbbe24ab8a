"""File digests: which hash values can be a file's identity, and the fields they become.

Part of :mod:`ingest.normalize` (which re-exports every public name).
"""

from __future__ import annotations

from collections.abc import Iterable

from ingest.normalize_text import UNSET_TEXT


def split_hashes(value: str | None) -> dict[str, str]:
    """Sysmon ``Hashes`` (``SHA1=..,MD5=..,SHA256=..,IMPHASH=..``) as ``{"sha1": ..}``, values as written.

    The values are not checked here: :func:`digest_fields` keeps only real digests.
    """
    result: dict[str, str] = {}
    if not value:
        return result
    for part in str(value).split(","):
        algorithm, sep, digest = part.partition("=")
        if sep and digest.strip():
            result[algorithm.strip().lower()] = digest.strip()
    return result


DIGEST_LENGTHS = {"md5": 32, "sha1": 40, "sha256": 64, "sha384": 96, "sha512": 128, "imphash": 32}
"""Hex length of each digest algorithm the sources write (Sysmon's IMPHASH is an MD5)."""

_HEX_DIGITS = "0123456789abcdef"
_DIGEST_KEY_LENGTHS = frozenset(DIGEST_LENGTHS.values())
_EMPTY_INPUT_DIGESTS = frozenset((
    "d41d8cd98f00b204e9800998ecf8427e",  # md5(b""), also an imphash of no imports
    "da39a3ee5e6b4b0d3255bfef95601890afd80709",
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "38b060a751ac96384cd9327eb1b1e36a21fdb71114be07434c0cc7bf63f6e1da274edebfe76f65fbd51ad2f14898b95b",
    "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e",
))


PATH_KEY_PREFIX = "path:"
"""What a path-keyed file's key starts with when its path has a digest's shape (:func:`file_path_key`)."""


def file_path_key(path: object) -> str:
    r"""The key of a file known only by its path or name: lower case, never equal to a digest key.

    A file with a digest is keyed by it (:func:`normalize_digest`: lower-case hex of a digest's
    length), one without by its path.  A "path" is whatever a record says (an antivirus line, a
    download's name), and a forged one written as a real file's SHA-256 became that file's key: the
    forged detection was the hashed file's (task AV3).  So a path with a digest's shape is moved into
    its own namespace (:data:`PATH_KEY_PREFIX`).  Any other path keeps its key as before: one
    character that is no hex digit (a separator, a dot) already sets it apart from every digest, and
    re-keying every path-only file would orphan the verdicts analysts gave on them.

    >>> file_path_key("C:\\Users\\Public\\UPD.exe")
    'c:\\users\\public\\upd.exe'
    >>> file_path_key("9F" * 32) == "path:" + "9f" * 32
    True
    """
    key = str(path).lower()
    if len(key) in _DIGEST_KEY_LENGTHS and not key.strip(_HEX_DIGITS):
        return PATH_KEY_PREFIX + key
    return key


def normalize_digest(algorithm: str, value: object) -> str | None:
    """A file digest as an identity: lower-case hex of ``algorithm``'s length, else ``None`` or ``ValueError``.

    A file entity is keyed by its SHA-256, so anything a source writes in a
    hash field that is not a digest would make one file of unrelated ones
    (three hosts writing ``N/A`` were one file sighted on three hosts: a fake
    fan-out).  The value is stripped and lower-cased; it must then be hex of
    the algorithm's length (:data:`DIGEST_LENGTHS`).

    Returns ``None`` for an unset value and for placeholders: an all-zero
    digest (Sysmon's IMPHASH of a file without imports, "not computed") and
    the digest of empty input.  The latter is a real file's content, the empty
    file, but every host has empty files: keyed by it, they would all be one
    file shared by the whole fleet, so an empty file is known by its path
    like a file without a digest.

    Raises ``ValueError`` for a present value that is not a digest (``N/A``,
    ``zz``, the wrong length, an unknown algorithm).

    >>> normalize_digest("md5", " 3A1F5C3E1B2E4D6F8A9B0C1D2E3F4A5B ")
    '3a1f5c3e1b2e4d6f8a9b0c1d2e3f4a5b'
    >>> normalize_digest("sha256", "0" * 64) is None, normalize_digest("sha1", "-") is None
    (True, True)
    """
    if value is None or isinstance(value, bool):
        return None
    text = str(value).strip()
    if text in UNSET_TEXT:
        return None
    digest = text.lower()
    length = DIGEST_LENGTHS.get(algorithm)
    if length is None:
        raise ValueError(f"unknown digest algorithm {algorithm[:16]!r}")
    # strip() of every hex digit leaves nothing only when all of them are hex
    if len(digest) != length or digest.strip(_HEX_DIGITS):
        raise ValueError(f"not a {algorithm} digest: {text[:64]!r}")
    if not digest.strip("0") or digest in _EMPTY_INPUT_DIGESTS:
        return None
    return digest


def digest_fields(prefix: str, digests: Iterable[tuple[str, object]]) -> dict[str, str]:
    """The fields of ``(algorithm, value)`` pairs: ``<prefix>hash.<algorithm>`` for each real digest.

    A malformed value (:func:`normalize_digest` raises) is kept, stripped, as
    ``<prefix>hash_invalid.<algorithm>`` (searchable, never an identity); a
    placeholder or an unset value gives no field; an algorithm outside
    :data:`DIGEST_LENGTHS` gives none either (the raw record keeps it all).
    Every parser reads hashes through this function, so one rule decides what
    a file's identity can be.

    >>> digest_fields("file.", [("sha256", "N/A"), ("md5", "0" * 32), ("sha1", "A" * 40)])
    {'file.hash_invalid.sha256': 'N/A', 'file.hash.sha1': 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'}
    """
    fields: dict[str, str] = {}
    for algorithm, value in digests:
        try:
            digest = normalize_digest(algorithm, value)
        except ValueError:
            if algorithm in DIGEST_LENGTHS:
                fields[f"{prefix}hash_invalid.{algorithm}"] = str(value).strip()
            continue
        if digest is not None:
            fields[f"{prefix}hash.{algorithm}"] = digest
    return fields
