"""An image's signer, kept on its file (and an ECS process's on its process): who signed the binary.

Sysmon 1 names no signer; Sysmon 7 (ImageLoad) does, for every DLL and for the process's own
image, which its process loads first: ``Signed``, ``Signature``, ``SignatureStatus``
(:mod:`ingest.parsers.windows_sysmon` maps them to ``file.code_signature.*``, as Winlogbeat's ECS
names them).  The file an image load names is keyed by its digest
(:meth:`ingest.projection_entities.EntityBuilders._file`), so its signer is the signer of every
process whose image has that digest: a behaviour verdict carried to a product's new build checks
the new build is signed as the judged one was (:mod:`analytics.behaviour_verdicts`).

An ECS endpoint record (Elastic Defend) says it as ``<dll|file|process>.code_signature.*``
(``subject_name``, ``status``, ``exists``, ``trusted``), kept by the ECS parser as ``ecs.*``
remainder fields: read here into the same three props.  MDE's image loads carry no signer (its
``DeviceFileCertificateInfo`` table is not read).

The props are :data:`SIGNER_PROPS`: ``signed`` (a boolean), ``signature`` (the subject, as written)
and ``signature_status`` (``Valid``, ``Expired``, ``trusted``...: as written).  Each is data: shown
and compared, never executed or rendered as HTML.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["IMAGE_SIGNER_FIELDS", "PROCESS_SIGNER_FIELDS", "SIGNER_PROPS", "signer_props"]

SIGNER_PROPS = ("signed", "signature", "signature_status")
"""The props an image's signer is kept as (on a file; on an ECS process)."""

SignerFields = tuple[tuple[str, str], ...]
"""(event field, prop) pairs, the first set field of a prop winning."""
_TRUSTED = "trusted"
"""Not a prop: ECS's ``trusted`` boolean, the status (``trusted``/``untrusted``) when the record gives none."""


def _ecs(group: str) -> SignerFields:
    prefix = f"ecs.{group}.code_signature."
    return ((prefix + "exists", "signed"), (prefix + "signed", "signed"), (prefix + "subject_name", "signature"),
            (prefix + "status", "signature_status"), (prefix + "trusted", _TRUSTED))


IMAGE_SIGNER_FIELDS: SignerFields = (
    ("file.code_signature.signed", "signed"), ("file.code_signature.subject_name", "signature"),
    ("file.code_signature.status", "signature_status"), *_ecs("dll"), *_ecs("file"),
)
"""The signer of an image load's or driver load's file: Sysmon 6/7 (any Windows shape), then ECS."""
PROCESS_SIGNER_FIELDS: SignerFields = _ecs("process")
"""The signer of an ECS process record's image (Elastic Defend ``process.code_signature.*``)."""


def _boolean(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    return True if text == "true" else False if text == "false" else None


def signer_props(fields: Mapping[str, Any], names: SignerFields) -> dict[str, Any]:
    """The signer props (:data:`SIGNER_PROPS`) an event's ``fields`` give by ``names``; empty when none.

    Examples
    --------
    >>> signer_props({"file.code_signature.signed": True, "file.code_signature.subject_name": "Contoso Ltd",
    ...               "file.code_signature.status": "Valid"}, IMAGE_SIGNER_FIELDS)
    {'signed': True, 'signature': 'Contoso Ltd', 'signature_status': 'Valid'}
    >>> signer_props({"ecs.process.code_signature.exists": "true", "ecs.process.code_signature.trusted": False,
    ...               "ecs.process.code_signature.subject_name": "Contoso Ltd"}, PROCESS_SIGNER_FIELDS)
    {'signed': True, 'signature': 'Contoso Ltd', 'signature_status': 'untrusted'}
    >>> signer_props({"file.path": "C:\\\\x.dll"}, IMAGE_SIGNER_FIELDS)
    {}
    """
    props: dict[str, Any] = {}
    for field, prop in names:
        if prop in props:
            continue
        value = fields.get(field)
        if value is None or value == "" or value == "-":
            continue
        if prop == "signed" or prop == _TRUSTED:
            flag = _boolean(value)
            if flag is not None:
                props[prop] = flag
        else:
            props[prop] = str(value)
    trusted = props.pop(_TRUSTED, None)
    if trusted is not None and props and "signature_status" not in props:
        props["signature_status"] = "trusted" if trusted else "untrusted"
    return props
