"""The interpreter of scenario steps: one handler per action of the vocabulary.

Each handler takes the run context, the step, and the host the step runs on,
emits endpoint and network records, and reports ground-truth indicators with
the value the graph will show (domain FQDN, file SHA-256, normalised URL,
command line as logged, script text).
"""

from __future__ import annotations

import base64
import bisect
import random
from collections.abc import Callable
from functools import lru_cache
from itertools import accumulate
from typing import Any

from graphsiem.simulator import winevents
from graphsiem.simulator.catalog import binary_for, domain_ip, web_domains
from graphsiem.simulator.context import (
    SYSTEM_USER,
    Proc,
    RunContext,
    account_of,
    process_guid,
    standing_process,
)
from graphsiem.simulator.credential_actions import CREDENTIAL_HANDLERS, validated_logon
from graphsiem.simulator.fleet import NETBIOS_DOMAIN, Host
from graphsiem.simulator.network_logons import record_network_logon
from graphsiem.simulator.randomness import hex_digest, windows_guid, zeek_id
from graphsiem.simulator.scenario import Step, render

Handler = Callable[[RunContext, Step, Host], None]
_POWERSHELL_AGENT = "Mozilla/5.0 (Windows NT; Windows NT 10.0; en-US) WindowsPowerShell/5.1.19041.3570"
_BROWSER_AGENT = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
                  "(KHTML, like Gecko) Chrome/119.0.0.0 Safari/537.36")
_MIME = {"png": "image/png", "exe": "application/x-dosexec", "msi": "application/x-msi",
         "ps1": "text/plain", "html": "text/html", "zip": "application/zip", "cab": "application/vnd.ms-cab-compressed",
         "js": "application/javascript", "hta": "text/html"}


def _text(ctx: RunContext, step: Step, key: str, default: str | None = None) -> str | None:
    value = step.params.get(key, default)
    return None if value is None else render(str(value), ctx.variables)


def _word(ctx: RunContext, step: Step, key: str, default: str = "") -> str:
    """A string parameter, ``default`` when absent (required ones are checked when the scenario loads)."""
    return _text(ctx, step, key, default) or default


def _size(ctx: RunContext, value: Any, default: int) -> int:
    if value is None:
        return default
    if isinstance(value, list):
        return ctx.rng.randint(int(value[0]), int(value[1]))
    return int(value)


def _user(ctx: RunContext, host: Host, value: str | None) -> str:
    if value in (None, "user"):
        return host.domain_user
    if value == "system":
        return SYSTEM_USER
    if value == "admin":
        return f"{NETBIOS_DOMAIN}\\adm-{host.user}"
    return render(value, ctx.variables)


def _parent(ctx: RunContext, step: Step, host: Host, is_system: bool) -> Proc:
    name = step.params.get("parent")
    if name is None or name == "previous":
        return ctx.current(host, system=is_system)
    if "\\" not in name:
        return standing_process(ctx.seed, host, name, ctx.day)
    image = render(name, ctx.variables)
    command_line = _text(ctx, step, "parent_command_line", image)
    rng = random.Random(hash_int(ctx.seed, host.short, image, ctx.day))
    return Proc(image, command_line, windows_guid(rng), rng.randrange(500, 20000, 4),
                SYSTEM_USER if is_system else host.domain_user, "Medium", "C:\\Windows\\system32\\",
                binary_for(image))


def hash_int(*parts: object) -> int:
    return int(hex_digest(*map(str, parts))[:16], 16)


def do_process(ctx: RunContext, step: Step, host: Host) -> None:
    """Sysmon 1 (and optionally 4104 for an encoded command, Sysmon 7 for its loads)."""
    script = _set_encoded(ctx, step)
    user = _user(ctx, host, step.params.get("user"))
    is_system = user == SYSTEM_USER
    parent = _parent(ctx, step, host, is_system)
    image = _text(ctx, step, "image")
    command_line = _text(ctx, step, "command_line")
    default_dir = "C:\\Windows\\system32\\" if is_system else f"C:\\Users\\{user.split(chr(92))[-1]}\\"
    integrity = step.params.get("integrity") or ("System" if is_system else "High" if "adm-" in user else "Medium")
    if step.params.get("long_running"):
        # one identity per host and command line, so later runs can act as this process
        stable = random.Random(hash_int(ctx.seed, host.short, command_line))
        guid, pid = windows_guid(stable), stable.randrange(1000, 24000, 4)
    else:
        guid, pid = process_guid(host, ctx.ts), ctx.rng.randrange(1000, 24000, 4)
    proc = Proc(image, command_line, guid, pid,
                user, integrity, _text(ctx, step, "current_directory", default_dir),
                binary_for(image, None if step.params.get("version") is None else str(step.params["version"]),
                           copy_of=_text(ctx, step, "copy_of")))
    logon_id = f"0x{hash_int(ctx.seed, host.short, user, ctx.day) % 0xFFFFFF:x}" if not is_system else "0x3e7"
    logon_guid = "{" + f"{hash_int('logon', host.short, user, ctx.day):032x}"[:8] + "-0000-0000-0000-000000000000}"
    ctx.push(host, proc)
    if not step.params.get("emit", True):
        return
    ctx.endpoint(host, winevents.process_create(ctx.ts + host.skew, proc, parent,
                                                logon_guid=logon_guid, logon_id=logon_id))
    ctx.mark(host, "process", command_line, step)
    for dll in step.params.get("loads", []):
        ctx.ts += ctx.rng.uniform(0.01, 0.2)
        ctx.endpoint(host, winevents.image_load(ctx.ts + host.skew, proc, binary_for(render(dll, ctx.variables))))
    if script is not None and step.params.get("log_script", True):
        ctx.ts += ctx.rng.uniform(0.05, 0.5)
        _script(ctx, step, host, proc, script)


def _script(ctx: RunContext, step: Step, host: Host, proc: Proc, text: str, path: str = "") -> None:
    ctx.endpoint(host, winevents.script_block(ctx.ts + host.skew, text=text,
                                              block_id=windows_guid(ctx.rng)[1:-1], path=path,
                                              account=proc.account, pid=proc.pid))
    ctx.mark(host, "script", text, step)


def do_script_block(ctx: RunContext, step: Step, host: Host) -> None:
    """PowerShell 4104 by the current process."""
    _script(ctx, step, host, ctx.current(host), _text(ctx, step, "text"), _text(ctx, step, "path", ""))


def do_dns(ctx: RunContext, step: Step, host: Host) -> None:
    domain = _text(ctx, step, "domain").lower()
    ctx.resolve(host, ctx.current(host), domain)
    ctx.mark(host, "domain", domain, step)


def do_connect(ctx: RunContext, step: Step, host: Host) -> None:
    """A TCP/UDP connection, resolving its domain first unless ``resolve: false``."""
    proc = ctx.current(host)
    domain = _text(ctx, step, "domain")
    if domain:
        domain = domain.lower()
        ip = ctx.resolve(host, proc, domain) if step.params.get("resolve", True) else domain_ip(domain)
        ctx.mark(host, "domain", domain, step)
    else:
        ip = _text(ctx, step, "ip")
        ctx.mark(host, "ip", ip, step)
    ctx.connect(host, proc, ip=ip, port=int(step.params["port"]),
                protocol=step.params.get("protocol", "tcp"), hostname=domain or "",
                bytes_out=_size(ctx, step.params.get("bytes_out"), 900),
                bytes_in=_size(ctx, step.params.get("bytes_in"), 5000))


def do_download(ctx: RunContext, step: Step, host: Host) -> None:
    """An HTTP GET: DNS, Sysmon 3, Zeek conn + http + files (one hash per content).

    ``server`` (an address) sends the request there with the URL's domain only in its ``Host`` header:
    no lookup, and the connection names no host (the client chose the address, not a resolver).
    """
    url = _text(ctx, step, "url")
    scheme, _, rest = url.partition("://")
    authority, slash, path = rest.partition("/")
    domain = authority.lower()
    uri = slash + path or "/"
    proc = ctx.current(host)
    server = _text(ctx, step, "server")
    if server:
        ip = server
    else:
        ip = ctx.resolve(host, proc, domain) if step.params.get("resolve", True) else domain_ip(domain)
    name = _text(ctx, step, "file_name") or uri.rsplit("/", 1)[-1].split("?", 1)[0] or "index.html"
    extension = name.rsplit(".", 1)[-1].lower()
    mime = step.params.get("mime_type") or _MIME.get(extension, "application/octet-stream")
    content = _text(ctx, step, "content", url)
    size = _size(ctx, step.params.get("size"), 48_000)
    uid, client, client_port = ctx.connect(host, proc, ip=ip, port=80, hostname="" if server else domain,
                                           bytes_out=180 + len(uri), bytes_in=size + 320, service="http")
    fuid = zeek_id(ctx.rng, "F")
    status = int(step.params.get("status", 200))
    agent = _text(ctx, step, "user_agent") or (_POWERSHELL_AGENT if "powershell" in proc.image.lower() else _BROWSER_AGENT)
    ctx.sink.network("http", ctx.ts + 0.02, {
        "ts": ctx.ts + 0.02, "uid": uid, "id.orig_h": client, "id.orig_p": client_port,
        "id.resp_h": ip, "id.resp_p": 80, "trans_depth": 1, "method": "GET", "host": domain,
        "uri": uri, "version": "1.1", "user_agent": agent, "request_body_len": 0,
        "response_body_len": size, "status_code": status, "status_msg": "OK" if status == 200 else "Not Found",
        "tags": [], "resp_fuids": [fuid], "resp_mime_types": [mime],
    })
    ctx.sink.network("files", ctx.ts + 0.05, {
        "ts": ctx.ts + 0.05, "fuid": fuid, "tx_hosts": [ip], "rx_hosts": [client], "conn_uids": [uid],
        "source": "HTTP", "depth": 0, "analyzers": ["MD5", "SHA1", "SHA256"], "mime_type": mime,
        "filename": name if extension not in {"html"} else None, "duration": 0.01, "local_orig": False,
        "is_orig": False, "seen_bytes": size, "total_bytes": size, "missing_bytes": 0,
        "overflow_bytes": 0, "timedout": False, "md5": hex_digest("md5", content, length=32),
        "sha1": hex_digest("sha1", content, length=40), "sha256": hex_digest("sha256", content),
    })
    ctx.mark(host, "domain", domain, step)
    ctx.mark(host, "url", f"{scheme.lower()}://{domain}{uri}", step)
    ctx.mark(host, "file", hex_digest("sha256", content), step)
    save_to = _text(ctx, step, "save_to")
    if save_to:
        ctx.ts += ctx.rng.uniform(0.05, 0.3)
        ctx.endpoint(host, winevents.file_create(ctx.ts + host.skew, proc, save_to))


def do_file_create(ctx: RunContext, step: Step, host: Host) -> None:
    proc = ctx.current(host)
    ctx.endpoint(host, winevents.file_create(ctx.ts + host.skew, proc, _text(ctx, step, "path")))
    ctx.mark(host, None, None, step)


def do_lsass_access(ctx: RunContext, step: Step, host: Host) -> None:
    """Sysmon 10: the current process opens LSASS."""
    lsass = standing_process(ctx.seed, host, "lsass", ctx.day)
    ctx.endpoint(host, winevents.process_access(
        ctx.ts + host.skew, ctx.current(host), lsass,
        granted_access=str(step.params.get("granted_access", "0x1010")),
        thread_id=ctx.rng.randrange(1000, 20000, 4)))
    ctx.mark(host, None, None, step)


def do_image_load(ctx: RunContext, step: Step, host: Host) -> None:
    binary = binary_for(_text(ctx, step, "image"), _text(ctx, step, "version"))
    ctx.endpoint(host, winevents.image_load(ctx.ts + host.skew, ctx.current(host), binary))


def do_logon(ctx: RunContext, step: Step, host: Host) -> None:
    """Security 4624 on the step's host; ``from: source`` makes it a network logon from the source,
    which the sensor sees too (Zeek ``kerberos.log``, or ``ntlm.log`` with ``package: ntlm``).

    ``TargetUserSid`` is the account's SID everywhere it appears (:func:`account_of`), so the ingest
    can learn the account's name from any of its logons.
    """
    logon_type = int(step.params.get("logon_type", 3))
    account = _user(ctx, host, step.params.get("user"))
    domain, _, name = account.partition("\\")
    remote = ctx.source if step.params.get("from") == "source" else None
    ntlm = step.params.get("package") == "ntlm"
    ip = remote.ip_at(ctx.ts) if remote is not None else ("-" if logon_type != 3 else "127.0.0.1")
    process = ("0x0", "-") if logon_type == 3 else ("0x2a4", "C:\\Windows\\System32\\svchost.exe")
    target = (domain.upper() if domain != "NT AUTHORITY" else domain, name, account_of(account)[2])
    ctx.endpoint(host, winevents.logon(
        ctx.ts + host.skew, logon_type=logon_type, target=target,
        target_logon_id=f"0x{ctx.rng.getrandbits(24):x}",
        workstation=remote.upper if remote is not None else host.upper, ip=ip,
        port=ctx.rng.randrange(49152, 65535) if remote is not None else 0,
        logon_guid=windows_guid(ctx.rng), process=process, ntlm=ntlm))
    if step.params.get("validated") and remote is None:
        validated_logon(ctx, host, account)
    ctx.mark(host, "user", account.lower(), step)
    if remote is not None:
        record_network_logon(ctx, client=remote, server=host, account=target[0] + "\\" + name, ntlm=ntlm)
        if ctx.truth is not None:
            ctx.truth.observe(remote.short, ctx.ts, None, None)


@lru_cache(maxsize=16)
def _zipf_cdf(count: int, exponent: float) -> tuple[float, ...]:
    weights = [1.0 / (rank ** exponent) for rank in range(1, count + 1)]
    total = sum(weights)
    return tuple(value / total for value in accumulate(weights))


def do_browse(ctx: RunContext, step: Step, host: Host) -> None:
    """Zipf-distributed web visits by the current process (a browser)."""
    count_domains = int(step.params.get("domains", 2000))
    domains = web_domains(count_domains)
    cdf = _zipf_cdf(count_domains, float(step.params.get("zipf", 1.1)))
    mean = float(step.params.get("visits", 10)) * ctx.density
    visits = max(0, round(ctx.rng.gauss(mean, mean * 0.3)))
    http_fraction = float(step.params.get("http_fraction", 0.1))
    proc = ctx.current(host)
    for _ in range(visits):
        domain = domains[min(bisect.bisect_left(cdf, ctx.rng.random()), count_domains - 1)]
        ip = ctx.resolve(host, proc, domain)
        if ctx.rng.random() < http_fraction:
            page = f"/{ctx.rng.choice(('index', 'news', 'article', 'search', 'product'))}/{ctx.rng.randrange(1, 40)}.html"
            params = {"url": f"http://{domain}{page}", "size": [2000, 90000], "resolve": False}
            do_download(ctx, Step("download", params, False, (0, 0), False), host)
        else:
            ctx.connect(host, proc, ip=ip, port=443, hostname=domain,
                        bytes_out=ctx.rng.randint(600, 4000), bytes_in=ctx.rng.randint(2000, 400_000))
        ctx.ts += ctx.rng.uniform(5.0, 180.0)


# What a service's ImagePath or a task's command expands to when it runs: the values of a
# default installation (services.exe and the Task Scheduler expand REG_EXPAND_SZ / %vars%).
_ENVIRONMENT = {
    "%comspec%": "C:\\Windows\\system32\\cmd.exe",
    "%systemroot%": "C:\\Windows",
    "%windir%": "C:\\Windows",
    "%programfiles%": "C:\\Program Files",
    "%programfiles(x86)%": "C:\\Program Files (x86)",
    "%programdata%": "C:\\ProgramData",
}
_SERVICE_ACCOUNTS = {"localsystem": "system", "nt authority\\localservice": "NT AUTHORITY\\LOCAL SERVICE",
                     "nt authority\\networkservice": "NT AUTHORITY\\NETWORK SERVICE"}
_TASK_PRINCIPALS = {"S-1-5-18": "system", "S-1-5-19": "NT AUTHORITY\\LOCAL SERVICE",
                    "S-1-5-20": "NT AUTHORITY\\NETWORK SERVICE"}


def _expand(text: str) -> str:
    lowered = text.lower()
    for variable, value in _ENVIRONMENT.items():
        at = lowered.find(variable)
        while at >= 0:
            text = text[:at] + value + text[at + len(variable):]
            lowered = text.lower()
            at = lowered.find(variable, at + len(value))
    return text


def _image_of(command_line: str) -> str:
    """The executable a command line starts (quoted first token, else up to the first space)."""
    if command_line.startswith('"'):
        return command_line[1:command_line.find('"', 1)]
    return command_line.split(" ", 1)[0]


def _installer(ctx: RunContext, step: Step, host: Host) -> tuple[str, tuple[str, str, str], str]:
    """(account, its ``(domain, name, sid)``, logon id) of who installs a service or task."""
    user = _user(ctx, host, step.params.get("installer", "admin"))
    logon_id = "0x3e7" if user == SYSTEM_USER else f"0x{hash_int(ctx.seed, host.short, user, ctx.day) % 0xFFFFFF:x}"
    return user, account_of(user), logon_id


def _set_encoded(ctx: RunContext, step: Step) -> str | None:
    """Set ``{{encoded}}`` to the step's ``encoded_command``, rendered, as base64 UTF-16LE; return the rendered text."""
    encoded = step.params.get("encoded_command")
    if encoded is None:
        return None
    script = render(str(encoded), ctx.variables)
    ctx.variables["encoded"] = base64.b64encode(script.encode("utf-16-le")).decode("ascii")
    return script


def _run_installed(ctx: RunContext, step: Step, host: Host, command_line: str, parent: str, user: str) -> None:
    """Sysmon 1 of the installed command started by ``parent`` (services.exe, the Schedule service)."""
    ctx.ts += ctx.rng.uniform(0.3, 2.5)
    params = {"image": _image_of(command_line), "command_line": command_line, "parent": parent, "user": user}
    do_process(ctx, Step("process", params, False, (0, 0), step.is_indicator), host)


def do_service_install(ctx: RunContext, step: Step, host: Host) -> None:
    """System 7045 (and Security 4697 with ``audit: true``): a service installed; ``run: true``
    adds services.exe starting it (Sysmon 1 of the expanded ImagePath, as the ingest keys it).

    Without ``service_name`` the name is random per install, as PsExec-style tools make it.  A
    ``service_type`` of ``kernel mode driver`` or ``file system driver`` installs a driver: no
    account, the ImagePath is a ``.sys`` file, and ``run: true`` is the kernel loading it (Sysmon 6).
    """
    _set_encoded(ctx, step)
    name = _word(ctx, step, "service_name") or "".join(
        ctx.rng.choice("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(8))
    image_path = _word(ctx, step, "image_path")
    service_type = _word(ctx, step, "service_type", "user mode service")
    start_type = _word(ctx, step, "start_type", "demand start")
    account = _word(ctx, step, "account", "LocalSystem")
    if service_type.lower() in _DRIVER_TYPES:
        account = _word(ctx, step, "account", "")  # a driver runs as no account: 7045 writes none
    _, subject, logon_id = _installer(ctx, step, host)
    ctx.endpoint(host, winevents.service_installed(
        ctx.ts + host.skew, name=name, image_path=image_path, service_type=service_type,
        start_type=start_type, account=account, installer=subject))
    if step.params.get("audit"):
        ctx.endpoint(host, winevents.security_service_installed(
            ctx.ts + host.skew + 0.001, name=name, image_path=image_path, service_type=service_type,
            start_type=start_type, account=account, subject=subject, logon_id=logon_id))
    if service_type.lower() in _DRIVER_TYPES:
        _install_driver(ctx, step, host, image_path)
        return
    command_line = _expand(image_path)
    ctx.mark(host, "process", command_line, step)
    if step.params.get("run"):
        _run_installed(ctx, step, host, command_line, "services",
                       _SERVICE_ACCOUNTS.get(account.lower(), account))


_DRIVER_TYPES = frozenset(("kernel mode driver", "file system driver"))


def driver_file(image_path: str) -> str:
    r"""The absolute path of the file a driver service's ``ImagePath`` names, as Sysmon writes paths.

    ``\??\C:\x.sys`` and ``\SystemRoot\System32\drivers\x.sys`` are NT paths, ``System32\drivers\x.sys``
    is relative to the Windows folder; the graph keys the installed driver by this path.

    >>> driver_file("\\??\\C:\\Windows\\Temp\\RTCore64.sys")
    'C:\\Windows\\Temp\\RTCore64.sys'
    >>> driver_file("System32\\drivers\\dhfilter.sys")
    'C:\\Windows\\System32\\drivers\\dhfilter.sys'
    """
    text = image_path.strip().strip('"')
    lowered = text.lower()
    if lowered.startswith("\\??\\"):
        text = text[4:]
    elif lowered.startswith("\\systemroot\\"):
        text = "C:\\Windows\\" + text[len("\\SystemRoot\\"):]
    elif lowered.startswith("system32\\"):
        text = "C:\\Windows\\" + text
    return _expand(text)


def _install_driver(ctx: RunContext, step: Step, host: Host, image_path: str) -> None:
    """The driver file a 7045 installed (indicator: its path, what the graph keys it by); ``run: true``
    adds the kernel loading it (Sysmon 6 with its hashes and signature; indicator: its SHA-256)."""
    path = driver_file(image_path)
    ctx.mark(host, "file", path, step)
    if step.params.get("run"):
        ctx.ts += ctx.rng.uniform(0.2, 1.5)
        binary = binary_for(path)
        ctx.endpoint(host, winevents.driver_load(ctx.ts + host.skew, binary))
        ctx.mark(host, "file", binary.sha256, step)


def do_scheduled_task(ctx: RunContext, step: Step, host: Host) -> None:
    """Security 4698 (4702 with ``updated: true``) with the task's XML definition; ``run: true``
    adds the Schedule service starting its action (Sysmon 1, the command as the scheduler passes it)."""
    _set_encoded(ctx, step)
    name = _word(ctx, step, "task_name")
    command = _word(ctx, step, "command")
    arguments = _word(ctx, step, "arguments", "")
    principal = _word(ctx, step, "principal", "S-1-5-18")
    if step.params.get("principal_sid"):
        # a task registered for a domain account names it by SID in <UserId>, as the scheduler stores it
        runs_as = _user(ctx, host, principal)
        user_id = account_of(runs_as)[2]
    else:
        user_id, runs_as = principal, _TASK_PRINCIPALS.get(principal, principal)
    installer, subject, logon_id = _installer(ctx, step, host)
    content = winevents.task_xml(
        uri=name, registered=ctx.ts + host.skew, author=_word(ctx, step, "author") or installer, user_id=user_id,
        command=command, arguments=arguments, triggers=tuple(step.params.get("triggers", ["daily"])),
        hidden=bool(step.params.get("hidden", False)), description=_word(ctx, step, "description", ""))
    ctx.endpoint(host, winevents.task_registered(ctx.ts + host.skew, name=name, content=content, subject=subject,
                                                 logon_id=logon_id, updated=bool(step.params.get("updated"))))
    image = _expand(command)
    # the scheduler quotes an image holding a space before appending the arguments
    command_line = (f'"{image}"' if " " in image else image) + (f" {_expand(arguments)}" if arguments else "")
    ctx.mark(host, "process", command_line, step)
    if step.params.get("run"):
        _run_installed(ctx, step, host, command_line, "schedule", runs_as)


HANDLERS: dict[str, Handler] = {
    "process": do_process,
    "script_block": do_script_block,
    "dns": do_dns,
    "connect": do_connect,
    "download": do_download,
    "file_create": do_file_create,
    "lsass_access": do_lsass_access,
    "image_load": do_image_load,
    "logon": do_logon,
    "browse": do_browse,
    "service_install": do_service_install,
    "scheduled_task": do_scheduled_task,
    **CREDENTIAL_HANDLERS,
}
