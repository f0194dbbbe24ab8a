"""Check steps about how a cluster's pivot was installed: a kernel driver from outside the driver
directory (the scored feature's step) and a driver, service, scheduled task or WMI consumer (the
whole-cluster installation step).
"""

from __future__ import annotations

from analytics.checks_facts import (
    Facts,
    file_digest,
    hosts_text,
    install_names,
    quote,
)
from analytics.explain import Check
from graphsiem.model import EntityType


def _driver(f: Facts, feature: str) -> Check:
    drivers = [e for e in f.new if e.ref in set(f.explanation.drivers)] or [
        e for e in f.of_type(EntityType.FILE.value) if e.props.get("service")
    ]
    if not drivers:
        return Check(
            feature,
            "A kernel driver was loaded from outside the Windows driver directory: find it (Sysmon event 6, "
            f"System event 7045 on {hosts_text(f.hosts)}) and check its SHA-256 and signer against known "
            "vulnerable drivers (e.g. loldrivers.io)",
            _DRIVER_BENIGN,
        )
    # One driver is often two members: the file installed (keyed by its path: 7045 and the drop
    # name no digest) and the file the kernel loaded (keyed by its SHA-256, Sysmon 6), same path.
    path = drivers[0].props.get("path") or drivers[0].value
    same = [e for e in f.entities if e.type == EntityType.FILE.value and str(e.value).lower() == str(path).lower()]
    digest = file_digest(same or drivers)
    installed = next((e for e in same + drivers if e.props.get("service")), None)
    names = install_names(installed.props if installed is not None else {}, "service", len(f.hosts))
    twice = (
        " (it is two members: the file installed, by its path, and the file the kernel loaded, by its SHA-256)"
        if len(same) > 1 and digest else ""
    )
    return Check(
        feature,
        f"Kernel driver {quote(path)} was installed or loaded from outside the Windows driver directory"
        f"{names}{twice}: check its SHA-256{' ' + digest if digest else ''} and signer against "
        "known vulnerable drivers (e.g. loldrivers.io), and which process wrote it there and created the service "
        "(Sysmon 11, event 7045/4697)",
        _DRIVER_BENIGN,
    )


_DRIVER_BENIGN = (
    "the driver is a current version from a hardware or security vendor your fleet deploys, installed "
    "by that vendor's installer or your deployment tooling under one service name"
)


def installed_step(f: Facts) -> Check | None:
    """How the pivot was installed (a driver file; a service, scheduled-task or WMI consumer's command; a WMI
    script consumer's script)."""
    props, n = f.pivot.props, len(f.hosts)
    if f.pivot.type == EntityType.FILE.value and props.get("service"):
        # A driver's digest is the key of the file node its hash identifies (same path as value).
        digest = file_digest(f.entities)
        names = install_names(props, "service", n)
        return Check(
            None,
            f"{f.pivot_text} was installed as a driver{names}: "
            f"check its SHA-256{' ' + digest if digest else ''} and signer against known vulnerable drivers "
            "(e.g. loldrivers.io) and which process created the service",
            "the driver is a current version from a hardware or security vendor your fleet deploys, "
            "installed by your deployment tooling",
        )
    mechanism = next((m for m in _MECHANISMS if props.get(m[0])), None)
    # a WMI script consumer's script is installed as its command consumer's command is: the same step
    script = f.pivot.type == EntityType.SCRIPT.value
    if mechanism is None or not (f.pivot.type == EntityType.PROCESS.value or script and mechanism[0] == "wmi_consumer"):
        return None
    prop, kind, word, events = mechanism
    what = "the paths and programs the script runs" if script else "the binary's signer"
    return Check(
        None,
        f"{f.pivot_text} was installed as a {kind}{install_names(props, prop, n, word)}: check which account "
        f"and process created it ({events}) and {what}",
        "your management tooling or an installer you deploy created it, under its usual account",
    )


_MECHANISMS = (
    ("service", "service", "service", "event 7045"),
    ("task", "scheduled task", "task", "event 4698"),
    ("wmi_consumer", "WMI subscription", "WMI consumer",
     "Sysmon event 20; events 19 and 21 name the filter that fires it and the binding"),
)
"""How an installed command was installed: (its names' prop, the words, a name's word, the events that say who)."""


WRITERS = {"driver_outside_drivers_dir": _driver}
"""The step writer of the driver feature."""
