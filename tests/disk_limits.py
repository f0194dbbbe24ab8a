"""Real disk refusals for a child process, without root tricks CI cannot do.

* A full disk: ``RLIMIT_FSIZE`` set in the child (``preexec_fn``), ``SIGXFSZ``
  ignored, so a write past the limit fails with ``EFBIG`` as the kernel
  reports it (SQLite: "disk I/O error" / "database or disk is full").
  :func:`set_file_size_limit` moves a running child's limit (``prlimit``):
  the disk "gets room again".
* A read-only directory: a mode without write bits.  Root writes through
  modes (``CAP_DAC_OVERRIDE``); the child of a root test drops that
  capability from its bounding set before it executes, so the kernel
  applies the modes to it as to any user.
"""

from __future__ import annotations

import ctypes
import os
import resource
import signal
from collections.abc import Callable

import pytest

_PR_CAPBSET_DROP = 24
_CAPS_OVER_MODES = (1, 2, 3)  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER


def file_size_limit(limit: int) -> Callable[[], None]:
    """A ``preexec_fn`` capping the size of any file the child writes at ``limit`` bytes."""

    def cap() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of a kill
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))

    return cap


def set_file_size_limit(pid: int, limit: int) -> None:
    """Change a running child's file size cap (``resource.RLIM_INFINITY``: none)."""
    resource.prlimit(pid, resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))


def modes_apply() -> Callable[[], None] | None:
    """A ``preexec_fn`` under which file modes bind the child even when the tests run as root.

    ``None`` when not root (modes bind already).  Skips the test when the
    capability cannot be dropped (a sandbox without ``CAP_SETPCAP``).
    """
    if os.geteuid() != 0:
        return None
    libc = ctypes.CDLL(None, use_errno=True)
    probe = os.fork()
    if probe == 0:  # try it in a throwaway child: the bounding set cannot be given back
        os._exit(0 if all(libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0) == 0 for cap in _CAPS_OVER_MODES) else 1)
    _, status = os.waitpid(probe, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        pytest.skip("cannot drop CAP_DAC_OVERRIDE here: root would write through a read-only mode")

    def drop() -> None:
        for cap in _CAPS_OVER_MODES:
            if libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
                raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")

    return drop
