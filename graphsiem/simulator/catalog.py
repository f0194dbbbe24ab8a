"""Static knowledge of a Windows fleet: binaries, standing parent processes, web domains.

Binary hashes are derived from the image path and the file version, so the
same binary has the same SHA-256 on every host (as in a real fleet) and a new
version gets a new hash.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from functools import lru_cache

from graphsiem.simulator.randomness import derive_seed, hex_digest, rng_for


@dataclass(frozen=True, slots=True)
class Binary:
    """A Windows executable as Sysmon describes it."""

    path: str
    version: str
    description: str
    product: str
    company: str
    original_file_name: str
    content_path: str = ""
    """The path of the file whose bytes this one holds: a copy of a binary (a renamed LOLBin)
    has the original's hashes; empty for a file that is its own original."""

    @property
    def name(self) -> str:
        return self.path.rsplit("\\", 1)[-1]

    @property
    def _content(self) -> str:
        return (self.content_path or self.path).lower()

    @property
    def hashes(self) -> str:
        """The Sysmon ``Hashes`` field (upper-case hex, as Sysmon writes it)."""
        return _hashes(self._content, self.version)

    @property
    def sha256(self) -> str:
        return hex_digest("sha256", self._content, self.version)


@lru_cache(maxsize=4096)
def _hashes(path: str, version: str) -> str:
    sha1 = hex_digest("sha1", path, version, length=40)
    md5 = hex_digest("md5", path, version, length=32)
    sha256 = hex_digest("sha256", path, version)
    imphash = hex_digest("imphash", path.rsplit("\\", 1)[-1], length=32)
    return f"SHA1={sha1.upper()},MD5={md5.upper()},SHA256={sha256.upper()},IMPHASH={imphash.upper()}"


_MS = ("Microsoft® Windows® Operating System", "Microsoft Corporation")
_OS_VERSION = "10.0.19041.3636 (WinBuild.160101.0800)"

_KNOWN: dict[str, tuple[str, str, str, str]] = {
    # lower-case path: (version, description, product, company)
    "c:\\windows\\system32\\windowspowershell\\v1.0\\powershell.exe": (
        "10.0.19041.3570 (WinBuild.160101.0800)", "Windows PowerShell", *_MS),
    "c:\\windows\\system32\\cmd.exe": (_OS_VERSION, "Windows Command Processor", *_MS),
    "c:\\windows\\system32\\wscript.exe": ("5.812.10240.16384", "Microsoft ® Windows Based Script Host", "Microsoft ® Windows Script Host", "Microsoft Corporation"),
    "c:\\windows\\system32\\mshta.exe": ("11.00.19041.3636 (WinBuild.160101.0800)", "Microsoft (R) HTML Application host", "Internet Explorer", "Microsoft Corporation"),
    "c:\\windows\\explorer.exe": (_OS_VERSION, "Windows Explorer", *_MS),
    "c:\\program files\\google\\chrome\\application\\chrome.exe": ("119.0.6045.160", "Google Chrome", "Google Chrome", "Google LLC"),
    "c:\\program files\\microsoft office\\root\\office16\\outlook.exe": ("16.0.16924.20150", "Microsoft Outlook", "Microsoft Outlook", "Microsoft Corporation"),
    "c:\\program files\\microsoft office\\root\\office16\\winword.exe": ("16.0.16924.20150", "Microsoft Word", "Microsoft Office", "Microsoft Corporation"),
    "c:\\program files\\microsoft office\\root\\office16\\excel.exe": ("16.0.16924.20150", "Microsoft Excel", "Microsoft Office", "Microsoft Corporation"),
    "c:\\windows\\system32\\wbem\\wmiprvse.exe": (_OS_VERSION, "WMI Provider Host", *_MS),
    "c:\\windows\\system32\\svchost.exe": (_OS_VERSION, "Host Process for Windows Services", *_MS),
    "c:\\windows\\system32\\services.exe": (_OS_VERSION, "Services and Controller app", *_MS),
    "c:\\windows\\system32\\lsass.exe": (_OS_VERSION, "Local Security Authority Process", *_MS),
    "c:\\windows\\system32\\userinit.exe": (_OS_VERSION, "Userinit Logon Application", *_MS),
    "c:\\windows\\system32\\conhost.exe": (_OS_VERSION, "Console Window Host", *_MS),
    "c:\\windows\\system32\\wbem\\wmic.exe": (_OS_VERSION, "WMI Commandline Utility", *_MS),
    "c:\\windows\\system32\\usoclient.exe": (_OS_VERSION, "UsoClient", *_MS),
    "c:\\windows\\system32\\wuauclt.exe": (_OS_VERSION, "Windows Update", *_MS),
    # drivers (Sysmon 6 hashes and signature): a vulnerable signed driver dropped by attackers, a vendor's filter
    "c:\\windows\\temp\\rtcore64.sys": ("4.6.2.15658", "RTCore64.sys", "RTCore64", "Micro-Star Int'l Co. Ltd."),
    "c:\\windows\\system32\\drivers\\corpdlpflt.sys": ("7.4.1.2209", "CorpDLP file system filter", "CorpDLP Agent", "Contoso Security Ltd."),
    "c:\\windows\\psexesvc.exe": ("2.43", "PsExec Service", "Sysinternals PsExec", "Sysinternals - www.sysinternals.com"),
    # the company is what Sysmon 7 writes as the signer here: Process Explorer is signed by Microsoft (T15L)
    "c:\\tools\\sysinternals\\procexp64.exe": ("17.05", "Sysinternals Process Explorer", "Process Explorer",
                                               "Microsoft Corporation"),
}

_NAMES = {
    "powershell.exe": "PowerShell.EXE", "cmd.exe": "Cmd.Exe", "wscript.exe": "wscript.exe",
    "mshta.exe": "MSHTA.EXE", "explorer.exe": "EXPLORER.EXE", "chrome.exe": "chrome.exe",
}


@lru_cache(maxsize=4096)
def binary_for(path: str, version: str | None = None, copy_of: str | None = None) -> Binary:
    """The catalog entry of ``path``; an unknown image gets a generic, still stable, entry.

    With ``copy_of`` the file at ``path`` is a copy of that binary (a LOLBin renamed into a user
    folder): the same bytes, so the same hashes and version resource (description, product,
    company and PE ``OriginalFileName``, which Sysmon reads from the file, not from its name).
    """
    if copy_of:
        original = binary_for(copy_of, version)
        return Binary(path, original.version, original.description, original.product, original.company,
                      original.original_file_name, original.content_path or original.path)
    known = _KNOWN.get(path.lower())
    name = path.rsplit("\\", 1)[-1]
    if known is not None:
        ver, description, product, company = known
        return Binary(path, version or ver, description, product, company,
                      _NAMES.get(name.lower(), name))
    stem = name.rsplit(".", 1)[0]
    return Binary(path, version or "1.0.0.0", stem, stem, "-", name)


@dataclass(frozen=True, slots=True)
class StandingProcess:
    """A long-running parent that started before the simulated window (no create event)."""

    image: str
    command_line: str
    is_system: bool


STANDING: dict[str, StandingProcess] = {
    "explorer": StandingProcess("C:\\Windows\\explorer.exe", "C:\\Windows\\Explorer.EXE", False),
    "userinit": StandingProcess("C:\\Windows\\System32\\userinit.exe", "C:\\Windows\\system32\\userinit.exe", False),
    "services": StandingProcess("C:\\Windows\\System32\\services.exe", "C:\\Windows\\system32\\services.exe", True),
    "schedule": StandingProcess("C:\\Windows\\System32\\svchost.exe", "C:\\Windows\\system32\\svchost.exe -k netsvcs -p -s Schedule", True),
    "dcomlaunch": StandingProcess("C:\\Windows\\System32\\svchost.exe", "C:\\Windows\\system32\\svchost.exe -k DcomLaunch -p", True),
    "wmiprvse": StandingProcess("C:\\Windows\\System32\\wbem\\WmiPrvSE.exe", "C:\\Windows\\system32\\wbem\\wmiprvse.exe -secured -Embedding", True),
    "lsass": StandingProcess("C:\\Windows\\System32\\lsass.exe", "C:\\Windows\\system32\\lsass.exe", True),
}
"""Named parents a scenario step may use (``parent: explorer``)."""


FIRST_NAMES = (
    "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy",
    "mallory", "niaj", "olivia", "peggy", "rupert", "sybil", "trent", "victor", "walter", "yusuf",
    "zoe", "amir", "bea", "chen", "dmitri", "elena", "fatima", "goran", "hana", "igor",
)
LAST_NAMES = (
    "smith", "jones", "garcia", "miller", "davis", "lopez", "wilson", "moore", "taylor", "lee",
    "martin", "clark", "lewis", "walker", "hall", "young", "king", "wright", "scott", "green",
)

_POPULAR = (
    "www.google.com", "outlook.office365.com", "teams.microsoft.com", "login.microsoftonline.com",
    "www.bing.com", "www.youtube.com", "www.linkedin.com", "github.com", "www.wikipedia.org",
    "slack.com", "zoom.us", "www.amazon.com", "docs.google.com", "drive.google.com",
    "www.salesforce.com", "stackoverflow.com", "www.reddit.com", "news.ycombinator.com",
    "www.bbc.co.uk", "www.nytimes.com", "cdn.jsdelivr.net", "fonts.googleapis.com",
    "ajax.googleapis.com", "www.dropbox.com", "www.atlassian.com", "api.github.com",
    "www.office.com", "graph.microsoft.com", "www.apple.com", "www.adobe.com",
)
_SYLLABLES = (
    "blue", "north", "data", "cloud", "market", "river", "alpha", "zen", "pixel", "green",
    "media", "star", "tech", "open", "smart", "fast", "metro", "global", "prime", "nova",
    "bright", "urban", "silver", "quick", "solid", "swift", "true", "deep", "lumen", "vista",
)
_TLDS = ("com", "net", "org", "io", "co.uk", "de", "fr", "info")
_PUBLIC_FIRST_OCTETS = (13, 20, 23, 34, 35, 40, 52, 54, 104, 142, 151, 185, 199, 208)


@lru_cache(maxsize=8)
def web_domains(count: int) -> tuple[str, ...]:
    """``count`` distinct browsing domains, most popular first (fixed for a given ``count``)."""
    rng = rng_for(0, "web-domains")
    domains = list(_POPULAR[:count])
    seen = set(domains)
    while len(domains) < count:
        name = rng.choice(_SYLLABLES) + rng.choice(_SYLLABLES) + str(rng.randrange(100))
        prefix = rng.choice(("www.", "", "cdn.", "static.", "api."))
        domain = f"{prefix}{name}.{rng.choice(_TLDS)}"
        if domain not in seen:
            seen.add(domain)
            domains.append(domain)
    return tuple(domains)


@lru_cache(maxsize=65536)
def domain_ip(domain: str) -> str:
    """The stable public IPv4 address ``domain`` resolves to (internal names: 10.1/16)."""
    value = derive_seed(0, "domain-ip", domain)
    if domain.endswith(".corp.example"):
        return str(ipaddress.IPv4Address((10 << 24) | (1 << 16) | (value % 65000 + 256)))
    first = _PUBLIC_FIRST_OCTETS[value % len(_PUBLIC_FIRST_OCTETS)]
    rest = (value >> 8) % (1 << 24)
    return str(ipaddress.IPv4Address((first << 24) | rest | 1))
