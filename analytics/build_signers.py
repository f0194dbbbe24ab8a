"""Who signed a build: the signer a carried verdict must find unchanged (task BEH3).

A benign verdict on a product's behaviour carries to the product's new build on the judged hosts
(:mod:`analytics.behaviour_verdicts`).  A trojanised update pushed through the vendor's own channel
to exactly those hosts meets that rule too; what differs is the signer.  The projection keeps an
image's signer on its file, keyed by its digest, from Sysmon 7 (its own image load) and ECS
``code_signature`` fields, and on an ECS process (:mod:`ingest.projection_signers`: props
``signed``, ``signature``, ``signature_status``).  :func:`refusal` is the rule:

- neither build's signer is known (most telemetry: no Sysmon 7 of process images): the carry
  stands on the hosts and shape alone, as before;
- else the new build's signer must be known, signed, valid (``Valid``, ECS ``trusted``) and the
  judged build's, by name; any other case is refused, with words saying why
  (``signer changed: Contoso Ltd (Valid) → unsigned``).  A judged build with no known signer and a
  new one with a signer is refused too: there is nothing to compare it with, and the analyst
  judges the new build once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, NamedTuple

from graphsiem.model import Entity, EntityKey

__all__ = ["VALID_STATUSES", "Signer", "SignerLookup", "refusal", "signer_lookup", "signer_of", "signers_said"]

VALID_STATUSES = frozenset(("valid", "trusted"))
"""Signature statuses (lower case) of a valid signature: Sysmon's ``Valid``, ECS's ``trusted``."""
_FILE = "file"


class Signer(NamedTuple):
    """A build's signer as the telemetry said it (any part may be unsaid)."""

    signed: bool | None
    name: str | None
    status: str | None

    @property
    def is_valid(self) -> bool:
        """Signed (or not said otherwise), by a named subject, with a valid status."""
        return self.signed is not False and bool(self.name) and (self.status or "").lower() in VALID_STATUSES

    def words(self) -> str:
        """``Contoso Ltd (Valid)``, ``unsigned``, ``Contoso Ltd (Expired)``.

        Examples
        --------
        >>> Signer(True, "Contoso Ltd", "Valid").words(), Signer(False, None, "Unavailable").words()
        ('Contoso Ltd (Valid)', 'unsigned')
        """
        if self.signed is False or not self.name:
            return "unsigned"
        return f"{self.name} ({self.status or 'status unknown'})"


SignerLookup = Callable[[tuple[str, str]], "Signer | None"]
"""A digest ``(algorithm, lower-case hex)`` -> its build's signer, None when unknown."""


def signer_of(props: Mapping[str, Any]) -> Signer | None:
    """The signer an entity's props say (None when they say none).

    Examples
    --------
    >>> signer_of({"signed": True, "signature": "Contoso Ltd", "signature_status": "Valid"})
    Signer(signed=True, name='Contoso Ltd', status='Valid')
    >>> signer_of({"path": "C:\\\\x.exe"}) is None
    True
    """
    signed, name, status = props.get("signed"), props.get("signature"), props.get("signature_status")
    if signed is None and name is None and status is None:
        return None
    return Signer(signed if isinstance(signed, bool) else None, None if name is None else str(name),
                  None if status is None else str(status))


def signer_lookup(processes: Mapping[EntityKey, Entity], digest_of: Callable[[Entity | None], tuple[str, str] | None],
                  file: Callable[[str], Entity | None] | None) -> SignerLookup:
    """A :data:`SignerLookup` over an ECS process's own signer, else the file keyed by the digest (``file``:
    a store's ``get_entity("file", ·)``; read only for the digests a carry asks about, once each)."""
    own: dict[tuple[str, str], Signer] = {}
    known: dict[tuple[str, str], Signer | None] = {}

    def processes_signers() -> dict[tuple[str, str], Signer]:
        if not own and not known:  # built on the first question: most detections carry nothing
            for entity in processes.values():
                signer = signer_of(entity.props) if "signature" in entity.props or "signed" in entity.props else None
                digest = None if signer is None else digest_of(entity)
                if signer is not None and digest is not None:
                    own.setdefault(digest, signer)
        return own

    def lookup(digest: tuple[str, str]) -> Signer | None:
        if digest not in known:
            signer = processes_signers().get(digest)
            if signer is None and file is not None:
                entity = file(digest[1])
                signer = None if entity is None else signer_of(entity.props)
            known[digest] = signer
        return known[digest]

    return lookup


def refusal(judged: Signer | None, new: Signer | None) -> str | None:
    """Why a verdict may not carry from the judged build to the new one by their signers (module rule), or None.

    Examples
    --------
    >>> contoso = Signer(True, "Contoso Ltd", "Valid")
    >>> refusal(None, None) is None, refusal(contoso, contoso) is None
    (True, True)
    >>> refusal(contoso, Signer(False, None, "Unavailable"))
    'signer changed: Contoso Ltd (Valid) → unsigned'
    >>> refusal(contoso, Signer(True, "Fabrikam", "Valid"))
    'signer changed: Contoso Ltd (Valid) → Fabrikam (Valid)'
    >>> refusal(contoso, None)
    "new build's signer unknown (judged build: Contoso Ltd (Valid))"
    """
    if judged is None and new is None:
        return None  # no signer known for either build: the hosts and the shape decide, as before
    if new is None:
        return f"new build's signer unknown (judged build: {judged.words() if judged else 'unknown'})"
    if judged is None:
        return f"judged build's signer unknown (new build: {new.words()})"
    if not new.is_valid or new.name != judged.name:
        return f"signer changed: {judged.words()} → {new.words()}"
    return None


def signers_said(pairs: Iterable[tuple[str, Signer | None]]) -> dict[str, str]:
    """Words for a carry record: ``{"judged_signer": ..., "signer": ...}`` of the builds whose signer is known."""
    return {name: signer.words() for name, signer in pairs if signer is not None}
