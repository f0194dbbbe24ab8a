"""A process opening another (Sysmon 10, MDE's OpenProcess): ``ACCESSED`` only with rights over its memory;
a process using a file or registry key (Security 4663): ``WROTE``/``DELETED``/``MODIFIED`` only when its
access mask says so.

Windows logs every handle one process opens to another, whatever it may do with it, and most
are harmless: a service asking LSASS its exit code or image name opens it with
``PROCESS_QUERY_LIMITED_INFORMATION`` (``0x1000``), which cannot read a byte of its memory.
``process ACCESSED process`` (what "LSASS memory accessed" reads, ``analytics.lineage``) is kept
for a handle whose ``target.granted_access`` can read or change the target's memory, or can be
turned into such a handle (Microsoft, "Process Security and Access Rights"):

* ``PROCESS_VM_OPERATION`` 0x8, ``PROCESS_VM_READ`` 0x10, ``PROCESS_VM_WRITE`` 0x20: the memory
  itself (ReadProcessMemory, WriteProcessMemory, VirtualProtectEx);
* ``PROCESS_DUP_HANDLE`` 0x40: duplicating the target's own process handle gives full access;
* ``WRITE_DAC`` 0x40000, ``WRITE_OWNER`` 0x80000: the opener may grant itself any right;
* ``MAXIMUM_ALLOWED`` 0x2000000 and the generic rights ``GENERIC_ALL``, ``GENERIC_WRITE``,
  ``GENERIC_READ`` (which maps to ``PROCESS_VM_READ``): whatever the opener may have.

mimikatz's ``0x1010``, ``0x1410``, ``0x1438``, ``0x143a`` and ``PROCESS_ALL_ACCESS`` ``0x1fffff``
all hold one of them; ``0x1000``, ``0x1400`` (query), ``0x100000`` (synchronize), ``0x1``
(terminate) and ``0x800`` (suspend/resume) hold none.  Such a handle relates nothing: both
processes are sighted on the host (and ``host RAN`` each, as every process an endpoint event names
is), so the opener is still counted where it ran.  A mask that is
missing or unreadable keeps the relation (a source that does not say cannot be said to ask less).

Security 4663 (an object access the SACL audits) logs the access a process used on a file or a key.
``process WROTE file`` when its mask writes the content (``WriteData`` 0x2, ``AppendData`` 0x4, or a
generic write), ``process DELETED file`` for ``DELETE`` 0x10000, ``process MODIFIED`` the key for
``SetValue`` 0x2, ``CreateSubKey`` 0x4 or ``DELETE``; a read, an attribute read or no mask sights the
process and the file on the host and relates nothing (``ReadData`` is no write, and the
evidence of who read what stays the event).  The process ``RUN_AS`` the event's subject account.
"""

from __future__ import annotations

from ingest.projection_accumulator import EventContext, R
from ingest.projection_endpoint import EndpointRules
from ingest.projection_processes import PROCESS_FIELDS, TARGET_FIELDS

MEMORY_RIGHTS = 0x8 | 0x10 | 0x20 | 0x40 | 0x40000 | 0x80000 | 0x2000000 | 0x10000000 | 0x40000000 | 0x80000000
"""The access rights with which a handle can read or change a process's memory, or become such a handle."""
_GENERIC_WRITE = 0x40000000 | 0x10000000
"""GENERIC_WRITE and GENERIC_ALL."""
_DELETE = 0x10000
FILE_WRITE_RIGHTS = 0x2 | 0x4 | _GENERIC_WRITE
"""A file's ``WriteData`` and ``AppendData`` (4663): rights that change its content."""
KEY_WRITE_RIGHTS = 0x2 | 0x4 | _DELETE | _GENERIC_WRITE
"""A registry key's ``SetValue``, ``CreateSubKey`` and ``DELETE`` (4663)."""


def grants_memory_access(mask: object) -> bool:
    """Whether a process handle's access mask can read or change the process's memory.

    Parameters
    ----------
    mask : object
        ``target.granted_access`` as parsers write it: hex text (``"0x1010"``), decimal text or an
        int; ``None`` or unreadable text when the source did not say.

    Returns
    -------
    bool
        True when the mask holds one of :data:`MEMORY_RIGHTS`, or is missing or unreadable.

    Examples
    --------
    >>> [grants_memory_access(m) for m in ("0x1000", "0x1010", "0x1fffff", 4096, None, "n/a")]
    [False, True, True, False, True, True]
    """
    value = access_mask(mask)
    return value is None or bool(value & MEMORY_RIGHTS)


def access_mask(mask: object) -> int | None:
    """An access mask as an int (hex text ``"0x1010"``, decimal text, an int), ``None`` when unreadable.

    >>> access_mask("0x1010"), access_mask("4096"), access_mask(-1), access_mask("n/a")
    (4112, 4096, None, None)
    """
    if mask is None or isinstance(mask, bool):
        return None
    if isinstance(mask, int):
        value = mask
    else:
        try:
            value = int(str(mask).strip(), 0)
        except ValueError:
            return None
    return value if value >= 0 else None


_MASK_TEXTS = 1024
"""Mask texts whose answer :data:`_memory_access` remembers (a handful recur: ``0x1010``, ``0x1fffff``...)."""
_MASK_CHARS = 32
"""Longest mask text remembered (a mask is at most ``0xffffffff``; longer text is judged, not held)."""
_memory_access: dict[str, bool] = {}
"""Mask text -> :func:`grants_memory_access` of it: every Sysmon 10 reads one, and the same few recur."""


class AccessRules(EndpointRules):
    """The process-access rule of :class:`ingest.projection.Projector`."""

    def _process_access(self, ctx: EventContext) -> None:
        """``host RAN`` both processes, and ``process ACCESSED process`` for a handle with memory rights."""
        source = self._process(ctx, PROCESS_FIELDS)
        target = self._process(ctx, TARGET_FIELDS)
        # both ran on the host, whatever the rights: a host page leads to a query-only opener too
        ctx.rel(ctx.host, R.RAN, source)
        ctx.rel(ctx.host, R.RAN, target)
        mask = ctx.fields.get("target.granted_access")
        grants = _memory_access.get(mask) if mask.__class__ is str else None
        if grants is None:
            grants = grants_memory_access(mask)
            if mask.__class__ is str and len(mask) <= _MASK_CHARS:
                if len(_memory_access) >= _MASK_TEXTS:
                    _memory_access.clear()
                _memory_access[mask] = grants
        if grants:
            ctx.rel(source, R.ACCESSED, target)

    def _object_access(self, ctx: EventContext) -> None:
        """Security 4663: the process and what its access mask did to the file or key (module docstring)."""
        fields = ctx.fields
        process = self._process(ctx, PROCESS_FIELDS)
        ctx.rel(process, R.RUN_AS, self._user(ctx))
        ctx.rel(ctx.host, R.RAN, process)
        mask = access_mask(fields.get("winlog.object.access_mask")) or 0
        if "file.path" in fields:
            file = self._file(ctx)
            if mask & FILE_WRITE_RIGHTS:
                ctx.rel(process, R.WROTE, file)
            elif mask & _DELETE:
                ctx.rel(process, R.DELETED, file)
            else:
                ctx.touch(file)
        elif "registry.path" in fields and mask & KEY_WRITE_RIGHTS:
            self._registry(ctx)
