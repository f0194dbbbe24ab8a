"""Seeded randomness: one independent generator per (seed, scope...) tuple.

Every random choice of the simulator comes from a generator derived from the
run seed and a scope (scenario, host, day...), never from global state and
never from Python's salted ``hash()``, so a run is byte-identical for a seed
and adding a scenario does not shift the random streams of the others.
"""

from __future__ import annotations

import hashlib
import random
import string

_ALPHABET = string.ascii_letters + string.digits


def derive_seed(seed: int, *scope: object) -> int:
    """A 64-bit integer seed for ``scope`` under the run ``seed``."""
    text = "\x1f".join([str(seed), *map(str, scope)])
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "big")


def rng_for(seed: int, *scope: object) -> random.Random:
    """An independent ``random.Random`` for ``scope`` (stable across runs and platforms)."""
    return random.Random(derive_seed(seed, *scope))


def hex_digest(*parts: str, length: int = 64) -> str:
    """Lower-case hex of SHA-256 over ``parts``: stand-in content hashes of binaries and files."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
    while len(digest) < length:  # pragma: no cover - only for lengths above 64
        digest += hashlib.sha256(digest.encode()).hexdigest()
    return digest[:length]


def zeek_id(rng: random.Random, prefix: str) -> str:
    """A Zeek-style connection/file id (``C`` or ``F`` + 17 base62 characters)."""
    return prefix + "".join(rng.choices(_ALPHABET, k=17))


def windows_guid(rng: random.Random) -> str:
    """A lower-case GUID in braces, ``{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}``."""
    value = rng.getrandbits(128)
    text = f"{value:032x}"
    return "{" + f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}" + "}"
