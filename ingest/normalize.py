"""Value normalisation shared by every parser: hosts, ids, IPs, domains, URLs, time.

Each function takes what a record holds (often a string of uncertain shape) and
returns the normalised form or ``None`` when the value is absent; it raises
``ValueError`` with a reason when a value is present but malformed.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from datetime import UTC, datetime
from functools import lru_cache
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

UNSET_TEXT = frozenset(("", "-", "(empty)"))
"""The strings that mean "absent" in the sources (hot paths test membership directly)."""


def is_unset(value: object) -> bool:
    """True for values that mean "absent" in the sources (``-``, ``(empty)``, ``""``)."""
    return value is None or (isinstance(value, str) and value in UNSET_TEXT)


@lru_cache(maxsize=65536)
def normalize_host(name: str | None) -> str | None:
    """Short, lower-case host name: ``WORKSTATION5.theshire.local`` -> ``workstation5``.

    IP literals are returned canonical and whole (they are not host names),
    and so is any dotted all-numeric text (no host name is all digits);
    a ``:port`` is dropped (``ws-1.corp:3389``, ``10.0.0.5:8080``,
    ``[2001:db8::1]:443``); ``DOMAIN\\HOST$`` machine accounts lose the
    domain and ``$``.

    Examples
    --------
    >>> normalize_host("WORKSTATION5.theshire.local")
    'workstation5'
    >>> normalize_host("10.0.0.5"), normalize_host("192.168.1.41:8080")
    ('10.0.0.5', '192.168.1.41')
    """
    if name is None:
        return None
    text = str(name).strip().strip(".")
    if is_unset(text):
        return None
    ip = canonical_ip(text, strict=False)
    if ip is not None:
        return ip
    host, sep, port = text.rpartition(":")
    if sep and port.isascii() and port.isdigit() and (host.startswith("[") or ":" not in host):
        # host:port or [IPv6]:port (a bare IPv6 address was taken whole above)
        return normalize_host(host)
    if text.replace(".", "").isdigit() and text.isascii():
        return text  # dotted digits: an address written oddly, not a name to cut
    if "\\" in text:
        text = text.rsplit("\\", 1)[1]
    text = text.rstrip("$")
    short = text.split(".", 1)[0].lower()
    return short or None


@lru_cache(maxsize=65536)
def canonical_ip(value: str | None, *, strict: bool = True) -> str | None:
    """Canonical text of an IPv4/IPv6 address (``::ffff:1.2.3.4`` -> ``1.2.3.4``).

    With ``strict=False`` a non-IP returns ``None`` instead of raising.
    """
    if value is None:
        return None
    text = str(value).strip()
    if is_unset(text):
        return None
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    try:
        address = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        if strict:
            raise ValueError(f"not an IP address: {text[:64]!r}") from None
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return str(address)


@lru_cache(maxsize=65536)
def ip_or_none(text: str) -> str | None:
    """``canonical_ip(text, strict=False)`` for hot paths: one positional argument is a cheaper cache key.

    >>> ip_or_none("::ffff:10.0.0.1"), ip_or_none("ws-0042")
    ('10.0.0.1', None)
    """
    return canonical_ip(text, strict=False)


def parse_int(value: object) -> int | None:
    """An int from an int, a decimal string or a hex string (``"0x2730"``)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value)
    text = str(value).strip()
    if is_unset(text):
        return None
    try:
        if text.lower().startswith("0x"):
            return int(text, 16)
        return int(text)
    except ValueError:
        raise ValueError(f"not an integer: {text[:32]!r}") from None


_DOMAIN_RE = re.compile(r"^[a-z0-9_*]([a-z0-9_\-*]{0,62})(\.[a-z0-9_\-*]{1,63})*$")


def normalize_domain(value: str | None) -> str | None:
    """Lower-case FQDN without a trailing dot; IDNA-encoded; ``None`` for IPs/empties."""
    if value is None:
        return None
    text = str(value).strip().rstrip(".").lower()
    if is_unset(text):
        return None
    if canonical_ip(text, strict=False) is not None:
        return None
    if not text.isascii():
        try:
            text = text.encode("idna").decode("ascii")
        except UnicodeError:
            raise ValueError(f"not a domain name: {text[:64]!r}") from None
    if not _DOMAIN_RE.match(text):
        raise ValueError(f"not a domain name: {text[:64]!r}")
    return text


def registered_domain(domain: str) -> str:
    """The registrable part of a domain, by a last-two-labels rule with common 2LD suffixes.

    A full public-suffix list would be more exact; this heuristic covers the
    ``co.uk``-style suffixes that matter in practice and needs no download.
    """
    labels = domain.split(".")
    if len(labels) <= 2:
        return domain
    if labels[-2] in {"co", "com", "net", "org", "gov", "ac", "edu"} and len(labels[-1]) == 2:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


_DEFAULT_PORTS = {"http": 80, "https": 443, "ftp": 21}


def normalize_url(url: str, *, host: str | None = None, scheme: str = "http") -> str:
    """``scheme://host[:port]/path?query``: scheme lower case, host as entities key it, default port dropped.

    The host is normalised as a domain entity is (:func:`normalize_domain`:
    IDNA, lower case, no trailing dot) or as an IP (:func:`canonical_ip`), so a
    URL and its domain name the same host: ``http://Bücher.example./`` ->
    ``http://xn--bcher-kva.example/``.  ``url`` may be a path only (Zeek
    ``uri``); then ``host`` and ``scheme`` complete it.

    Raises ``ValueError`` (the module's rule for a present but malformed value)
    for a URL without a host, a host that is not a domain name or an IP, or a
    port that is not a number from 0 to 65535: callers keep such a URL as
    written (``url.original``) or leave it to the raw record, never with its
    port silently dropped.

    >>> normalize_url("HTTP://Example.ORG:80/a?b=1"), normalize_url("/x", host="[::FFFF:10.0.0.1]:8080")
    ('http://example.org/a?b=1', 'http://10.0.0.1:8080/x')
    """
    text = url.strip()
    if not text.lower().startswith(("http://", "https://", "ftp://")):
        if host is None:
            raise ValueError(f"relative URL without a host: {text[:64]!r}")
        if not text.startswith("/"):
            text = "/" + text
        text = f"{scheme}://{host}{text}"
    parts = urlsplit(text)
    hostname = parts.hostname
    if not hostname:
        raise ValueError(f"URL without a host: {text[:64]!r}")
    ip = canonical_ip(hostname, strict=False)
    if ip is not None:
        netloc = f"[{ip}]" if ":" in ip else ip
    else:
        netloc = normalize_domain(hostname) or ""
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"URL with a bad port: {text[:64]!r}") from None
    if port is not None and port != _DEFAULT_PORTS.get(parts.scheme.lower()):
        netloc = f"{netloc}:{port}"
    return urlunsplit((parts.scheme.lower(), netloc, parts.path or "/", parts.query, ""))


def split_hashes(value: str | None) -> dict[str, str]:
    """Sysmon ``Hashes`` (``SHA1=..,MD5=..,SHA256=..,IMPHASH=..``) as ``{"sha1": ..}``."""
    result: dict[str, str] = {}
    if not value:
        return result
    for part in str(value).split(","):
        algorithm, sep, digest = part.partition("=")
        if sep and digest.strip():
            result[algorithm.strip().lower()] = digest.strip().lower()
    return result


# -- PowerShell -EncodedCommand ---------------------------------------------------
#
# The rule is PowerShell's own (CommandLineParameterParser of Windows PowerShell
# 5.1 and PowerShell 7), applied to the argument vector Windows gives the
# process (the MSVCRT / CommandLineToArgvW splitting):
#
# - a switch is one argument starting with "-", an en dash, an em dash, a
#   horizontal bar (a second dash allowed: "--enc") or "/"; its name matches a
#   parameter when it is a prefix of it, case-insensitive, at least as long as
#   the parameter's shortest unambiguous prefix.  -EncodedCommand's is "e", so
#   "-e", "-en", ... "-encodedcommand" are all it, and so is its alias "-ec";
#   "-ex" and "-ep" are -ExecutionPolicy.  "-EncodedCommand:<b64>" is no switch
#   (PowerShell reads it as a file or command name and fails).
# - the payload is the next argument: double quotes are argument syntax and go
#   (single quotes are not: "'SQBF...'" reaches .NET with its quotes and does
#   not decode); white space inside a quoted payload is skipped by .NET's
#   Convert.FromBase64String, so "SQBF AFgA" in quotes decodes.
# - -Command, -File or the first non-switch argument take the rest of the line:
#   an "-enc" after them is the script's text.
#
# One difference, on purpose: a payload without its "=" padding is decoded
# (.NET refuses it), because command lines reach the journal cut short by
# loggers, and the readable start of a script is worth more than nothing.

_POWERSHELL_IMAGES = frozenset(
    ("powershell", "powershell.exe", "pwsh", "pwsh.exe", "powershell_ise", "powershell_ise.exe")
)
_DASHES = "-\u2013\u2014\u2015"
# (parameter, shortest unambiguous prefix) of the switches whose value is the
# next argument (union of 5.1 and 7), skipped so "-ep bypass -enc ..." and the
# downgrade "-version 2 -enc ..." reach the -enc.  "-i" is 5.1's -InputFormat
# here (in 7 it is the flag -Interactive); other unknown switches count as flags.
_VALUE_SWITCHES = (
    ("executionpolicy", "ex"), ("ep", "ep"), ("windowstyle", "w"), ("version", "v"),
    ("inputformat", "i"), ("if", "if"), ("outputformat", "o"), ("of", "of"),
    ("configurationname", "config"), ("configurationfile", "configurationfile"),
    ("custompipename", "cus"), ("encodedarguments", "encodeda"), ("ea", "ea"),
    ("workingdirectory", "wo"), ("wd", "wd"), ("settingsfile", "settings"),
    ("psconsolefile", "psc"),
)
_REST_SWITCHES = (("command", "c"), ("file", "f"))


def _names(switches: tuple[tuple[str, str], ...]) -> frozenset[str]:
    """Every name that matches one of ``switches`` (each prefix at least the shortest one long)."""
    return frozenset(
        parameter[:n] for parameter, shortest in switches for n in range(len(shortest), len(parameter) + 1)
    )


_ENCODED_COMMAND_NAMES = _names((("encodedcommand", "e"), ("ec", "ec")))
_VALUE_NAMES = _names(_VALUE_SWITCHES)
_REST_NAMES = _names(_REST_SWITCHES)
_BASE64_TEXT = re.compile(r"[A-Za-z0-9+/]+={0,2}")
# Characters no script is made of: C0/C1 controls other than tab, CR, LF;
# unpaired-surrogate replacements; private use; non-characters.
_NOT_SCRIPT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ue000-\uf8ff\ufdd0-\ufdef\ufffe\uffff\ufffd]")
_NOT_ASCII = re.compile(r"[^\x00-\x7f]")
_TOKEN = re.compile(r"[^ \t]*")
_EXE_END = re.compile(r"\.exe(?=[ \t]|$)", re.IGNORECASE)
_ARGUMENT = re.compile(r'(?:[^ \t"]+|"[^"]*"?)+')


def is_powershell_image(path: str | None) -> bool:
    """True when ``path`` names powershell.exe, pwsh.exe or powershell_ise.exe (any folder, case, ``.exe`` or not).

    >>> is_powershell_image(r"C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\PowerShell.EXE"), is_powershell_image("cmd")
    (True, False)
    """
    if not path:
        return False
    return path.strip().strip('"').rsplit("\\", 1)[-1].rsplit("/", 1)[-1].lower() in _POWERSHELL_IMAGES


def _program_end(command_line: str) -> int:
    """Where the program part of a command line ends (``CreateProcess``'s ``argv[0]``).

    Quoted: at the closing quote.  Unquoted: at the first white space, unless
    that cuts a path in a folder name (``C:\\Program Files\\PowerShell\\7\\pwsh.exe
    -ec ...``, found by ``CreateProcess`` trying each space): then after the
    first ``.exe`` followed by white space.
    """
    start = len(command_line) - len(command_line.lstrip())
    if command_line.startswith('"', start):
        close = command_line.find('"', start + 1)
        return len(command_line) if close < 0 else close + 1
    end = _TOKEN.match(command_line, start).end()  # type: ignore[union-attr]  # matches the empty string too
    token = command_line[start:end]
    if "\\" in token and "." not in token.rsplit("\\", 1)[-1]:
        exe = _EXE_END.search(command_line, end)
        if exe is not None and '"' not in command_line[end : exe.start()]:
            return exe.end()
    return end


def _arguments(text: str) -> list[str]:
    """The arguments of a command line after its program, split as MSVCRT does.

    White space separates arguments outside double quotes; ``2n`` backslashes
    before a quote are ``n`` backslashes and the quote toggles quoting, ``2n+1``
    are ``n`` and a literal quote; ``""`` inside quotes is a literal quote.
    """
    if '\\"' not in text and '""' not in text:
        # no backslash-quote or doubled-quote rule applies: tokens at C speed
        return [token.replace('"', "") for token in _ARGUMENT.findall(text)]
    args: list[str] = []
    current: list[str] = []
    in_arg = quoted = False
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char in " \t" and not quoted:
            if in_arg:
                args.append("".join(current))
                current, in_arg = [], False
            i += 1
            continue
        in_arg = True
        if char == "\\":
            run = i
            while run < n and text[run] == "\\":
                run += 1
            count = run - i
            if run < n and text[run] == '"':
                current.append("\\" * (count // 2))
                if count % 2:
                    current.append('"')
                    run += 1
                i = run
            else:
                current.append("\\" * count)
                i = run
            continue
        if char == '"':
            if quoted and i + 1 < n and text[i + 1] == '"':
                current.append('"')
                i += 2
                continue
            quoted = not quoted
        else:
            current.append(char)
        i += 1
    if in_arg:
        args.append("".join(current))
    return args


def _switch_name(arg: str) -> str | None:
    """The lower-case name of a switch argument (``--EnC`` -> ``enc``), else ``None``."""
    if len(arg) < 2:
        return None
    if arg[0] in _DASHES:
        name = arg[2:] if arg[1] in _DASHES else arg[1:]
    elif arg[0] == "/":
        name = arg[1:]
    else:
        return None
    return name.lower() or None


def encoded_command_payload(command_line: str) -> str | None:
    """The argument PowerShell would decode as ``-EncodedCommand`` in ``command_line``, else ``None``.

    ``command_line`` is the whole line, program first; the program is not
    checked here (see :func:`decode_powershell_command`).

    >>> encoded_command_payload('pwsh.exe -NoP -ep Bypass -ec "SQBFAFgA"')
    'SQBFAFgA'
    >>> encoded_command_payload("powershell -c echo -enc SQBFAFgA") is None  # the script's text
    True
    >>> encoded_command_payload("powershell -enc SQBF AFgA") is None  # PowerShell refuses AFgA
    True
    """
    args = _arguments(command_line[_program_end(command_line) :])
    i = 0
    while i < len(args):
        name = _switch_name(args[i].strip())
        if name is None or name in _REST_NAMES:
            return None
        if name in _ENCODED_COMMAND_NAMES:
            if i + 1 == len(args) or _has_second_command(args[i + 2 :]):
                return None
            return args[i + 1]
        i += 2 if name in _VALUE_NAMES else 1
    return None


def _has_second_command(args: list[str]) -> bool:
    """True when ``args`` (after the payload) hold a command PowerShell refuses beside an encoded one.

    A free argument (``-enc SQBF AFgA`` unquoted: ``AFgA``) or ``-Command``/
    ``-File`` after ``-EncodedCommand`` makes PowerShell stop with an error.
    """
    i = 0
    while i < len(args):
        name = _switch_name(args[i].strip())
        if name is None or name in _REST_NAMES:
            return True
        i += 2 if name in _VALUE_NAMES else 1
    return False


def _is_script_text(text: str) -> bool:
    """Mostly printable, mostly ASCII text: what a decoded script is and garbage is not.

    At most 2% of the characters may be controls (other than tab, CR, LF),
    replacements of unpaired surrogates or private-use/non-characters, and at
    least half must be ASCII (PowerShell's syntax is; ASCII bytes read as
    UTF-16LE, the common false decode, give CJK-range characters).
    """
    if not text:
        return False
    bad = len(_NOT_SCRIPT.findall(text))
    if bad * 50 > len(text):
        return False
    return text.isascii() or len(_NOT_ASCII.findall(text)) * 2 <= len(text)


def decode_powershell_command(command_line: str | None, executable: str | None = None) -> str | None:
    """The script of a PowerShell ``-EncodedCommand`` (any accepted spelling), base64 UTF-16LE.

    Parameters
    ----------
    command_line : str or None
        The process's command line, program first; kept untouched by callers,
        the decoded text goes beside it.
    executable : str, optional
        The process image.  Decoding happens only when it (or, when not given,
        the command line's program) is powershell.exe, pwsh.exe or
        powershell_ise.exe: ``cmd /c echo -e SGVsbG8=`` carries no script.

    Returns
    -------
    str or None
        The decoded script; ``None`` when the program is not PowerShell, there
        is no encoded command, the payload is not base64, or its UTF-16LE text
        is not mostly printable, mostly ASCII text (see ``_is_script_text``).

    Examples
    --------
    >>> decode_powershell_command("powershell.exe -nop -enc SQBFAFgA")
    'IEX'
    >>> decode_powershell_command("cmd /c echo -e SQBFAFgA") is None
    True
    """
    if not command_line:
        return None
    if executable is not None:
        if not is_powershell_image(executable):
            return None
    elif not is_powershell_image(command_line[: _program_end(command_line)]):
        return None
    payload = encoded_command_payload(command_line)
    if not payload:
        return None
    # .NET skips white space anywhere in a base64 string
    payload = "".join(payload.split())
    if not _BASE64_TEXT.fullmatch(payload) or len(payload) % 4 == 1:
        return None
    payload += "=" * (-len(payload) % 4)
    try:
        raw = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        return None
    # as .NET's Encoding.Unicode: a lone surrogate or odd last byte becomes U+FFFD
    text = raw.decode("utf-16-le", errors="replace")
    return text if _is_script_text(text) else None


def normalize_command_line(command_line: str) -> str:
    """Case-folded command line with runs of whitespace collapsed, for identity keys."""
    return " ".join(command_line.split()).lower()


# -- time -----------------------------------------------------------------

_SYSMON_UTC = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d+)?$")


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


# Epoch units by magnitude: each unit's range starts where the previous one's
# ends, 1e11 seconds (year 5138) = 1e11 ms (1973-03-03) and so on up.
_EPOCH_UNITS = ((1e11, 1), (1e14, 1_000), (1e17, 1_000_000))


def epoch_seconds(number: int | float) -> float:
    """Epoch seconds from an epoch count in s, ms, us or ns, told apart by magnitude.

    Below 1e11 it is seconds (up to year 5138); below 1e14 milliseconds, below
    1e17 microseconds, else nanoseconds, each from 1973-03-03 on (an earlier
    millisecond or finer count reads as seconds).  Raises ``ValueError`` for a
    value that is not finite.

    >>> epoch_seconds(1772359200), epoch_seconds(1772359200123), epoch_seconds(1772359200123456)
    (1772359200.0, 1772359200.123, 1772359200.123456)
    >>> epoch_seconds(1772359200123456789)
    1772359200.1234567
    """
    size = abs(number)
    if size != size or size == float("inf"):
        raise ValueError(f"not a finite epoch time: {number!r}")
    for limit, per_second in _EPOCH_UNITS:
        if size < limit:
            return number / per_second if per_second != 1 else float(number)
    return number / 1_000_000_000


def parse_timestamp(value: object, *, default_timezone: str = "UTC") -> float:
    """Epoch seconds (UTC) from the timestamp shapes of the corpus.

    Accepted: epoch numbers and epoch strings in seconds, milliseconds,
    microseconds or nanoseconds, told apart by magnitude (:func:`epoch_seconds`),
    ISO-8601 with ``Z``, ``+02:00`` or ``+0200`` offsets, and zone-less
    ``YYYY-MM-DD[ T]HH:MM:SS[.fff]``.  Zone-less values are read in
    ``default_timezone`` (the documented rule: Sysmon ``UtcTime`` is UTC by
    definition; other zone-less fields use the configured source zone).
    """
    if value is None or isinstance(value, bool):
        raise ValueError("missing timestamp")
    if isinstance(value, int | float):
        return epoch_seconds(value)
    text = str(value).strip()
    if not text:
        raise ValueError("empty timestamp")
    if text.isascii() and text.lstrip("-").isdigit():
        return epoch_seconds(int(text))  # an int keeps a nanosecond count exact
    try:
        number = float(text)
    except ValueError:
        pass
    else:
        return epoch_seconds(number)
    iso = text.replace(" ", "T", 1) if _SYSMON_UTC.match(text) else text
    if iso.endswith(("Z", "z")):
        iso = iso[:-1] + "+00:00"
    # +0200 -> +02:00 (EVE writes offsets without a colon)
    if len(iso) > 5 and iso[-5] in "+-" and iso[-4:].isascii() and iso[-4:].isdigit() and "T" in iso:
        iso = iso[:-2] + ":" + iso[-2:]
    # Python < 3.12 fromisoformat accepts only 3 or 6 fractional digits
    iso = re.sub(r"(\.\d{6})\d+", r"\1", iso)
    iso = re.sub(r"\.(\d{1,5})(?=[+-]|$)", lambda m: "." + m.group(1).ljust(6, "0"), iso)
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        raise ValueError(f"unrecognised timestamp {text[:40]!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_zone(default_timezone))
    return moment.astimezone(UTC).timestamp()
