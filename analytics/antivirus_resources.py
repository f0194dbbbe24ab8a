"""What an antivirus detection that names no file found, in words: a registry key, a process, a behaviour.

Defender lists the resources of a detection as ``scheme:_text`` (:mod:`ingest.parsers.windows_defender`);
a memory, registry or behaviour detection names no ``file:_`` resource, and the projection keeps its first
resource as a node of its own (:func:`ingest.projection_antivirus.resource_key`, props ``av_resource``).
:func:`resource_words` names it for an analyst: ``registry key HKLM\\...\\Run\\\\upd``, ``process
pid:4120,ProcessStart:1``, ``behaviour pid:4120:1234``, ``memory (no file or resource named)``.  The
text after the kind is the product's copy of what an attacker chose (a key name, a command line): data,
shown as text only (the finding's words pass through :func:`graphsiem.visible_text.visible`).
"""

from __future__ import annotations

__all__ = ["KIND_WORDS", "resource_words"]

KIND_WORDS = {
    "regkey": "registry key",
    "regkeyvalue": "registry value",
    "process": "process",
    "behavior": "behaviour",
    "internalbehavior": "behaviour",
    "wmi": "WMI object",
    "amsi": "script scanned by AMSI",
    "startup": "startup entry",
    "service": "service",
    "webfile": "downloaded file",
    "cmdline": "command line",
    "none": "memory (no file or resource named)",
    "unnamed": "a resource the event does not name",
}
"""Defender's resource schemes (and the projection's ``none``/``unnamed``) in words; another scheme is
shown as Defender wrote it (``<scheme> resource``)."""


def resource_words(kind: str, text: str) -> str:
    r"""A detected resource that is no file, in words: its kind, then its text as written.

    Parameters
    ----------
    kind : str
        The resource's scheme (the node's ``av_resource``).
    text : str
        The resource as Defender wrote it (may be empty).

    Examples
    --------
    >>> resource_words("regkey", r"HKLM\SOFTWARE\Run\\upd")
    'registry key HKLM\\SOFTWARE\\Run\\\\upd'
    >>> resource_words("none", "none"), resource_words("vbs", "x")
    ('memory (no file or resource named)', 'vbs resource x')
    """
    kind = kind.strip().lower()
    words = KIND_WORDS.get(kind, f"{kind} resource")
    text = text.strip()
    if not text or text.lower() == kind:  # the node's value is its kind when Defender wrote no text
        return words
    return f"{words} {text}"
