"""Service installs and scheduled tasks -> the command they will run, its account, and their names.

Shared by the Windows mapping (System 7045, Security 4697, 4698, 4702) and the
MDE mapping (``ServiceInstalled``, ``ScheduledTaskCreated``/``Updated``): each
says what will run, as the ``process.*`` fields a Sysmon 1 event of that run
would give, so the projection keys it as the same process node
(``host INSTALLED process``).  A kernel or file-system driver is no process: the kernel loads
it, nothing runs it, so a driver install says which file, as ``file.*`` (:func:`driver_path`),
and the projection relates ``host INSTALLED file``.

A task's definition (``TaskContent``: the task XML of 4698/4702, a JSON rendering
of it in MDE's ``AdditionalFields``) is read by :mod:`ingest.parsers.task_definitions`
without executing or fetching anything; a definition refused says why in
``task.content_error`` and the event keeps its name.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from ingest.normalize import parse_int
from ingest.parsers.task_definitions import (
    TaskContentError,
    TaskDefinition,
    bounded_text,
    parse_task_content,
)
from ingest.parsers.windows_fields import Fields, basename, put_decoded, put_file, user_name

__all__ = [
    "SERVICE_KIND",
    "TASK_CREATED_KIND",
    "TASK_UPDATED_KIND",
    "command_line_of",
    "driver_path",
    "put_service",
    "put_task",
    "service_command_line",
    "task_command_line",
]

SERVICE_KIND = "windows:service_installed"
TASK_CREATED_KIND = "windows:task_created"
TASK_UPDATED_KIND = "windows:task_updated"


# Where a service's or task's command expands to when it runs: the values of a default
# installation, so the command a 7045 or 4698 names is keyed like the one Sysmon 1 sees.
_ENVIRONMENT = {
    "%comspec%": "C:\\Windows\\system32\\cmd.exe",
    "%systemroot%": "C:\\Windows",
    "%windir%": "C:\\Windows",
    "%systemdrive%": "C:",
    "%programfiles%": "C:\\Program Files",
    "%programfiles(x86)%": "C:\\Program Files (x86)",
    "%programdata%": "C:\\ProgramData",
    "%allusersprofile%": "C:\\ProgramData",
    "%public%": "C:\\Users\\Public",
    "%commonprogramfiles%": "C:\\Program Files\\Common Files",
    "%commonprogramfiles(x86)%": "C:\\Program Files (x86)\\Common Files",
}
_VARIABLE = re.compile(r"%[A-Za-z()0-9_]{1,32}%")
_SYSTEM_ROOT_PREFIXES = ("\\systemroot\\", "systemroot\\", "\\??\\")
_SYSTEM32 = "C:\\Windows\\System32\\"
_BARE_SYSTEM_IMAGES = {
    name: _SYSTEM32 + name
    for name in ("cmd.exe", "rundll32.exe", "regsvr32.exe", "mshta.exe", "wscript.exe", "cscript.exe",
                 "schtasks.exe", "sc.exe", "msiexec.exe", "certutil.exe", "bitsadmin.exe", "wmic.exe",
                 "net.exe", "reg.exe", "svchost.exe", "conhost.exe", "taskkill.exe")
} | {"powershell.exe": _SYSTEM32 + "WindowsPowerShell\\v1.0\\powershell.exe"}
"""A task action or service that names a system binary without its folder: where Windows finds it
(its ``PATH`` search), so the node is the one Sysmon 1 gives that binary's run."""

_WELL_KNOWN_ACCOUNTS = {
    "localsystem": "nt authority\\system",
    "s-1-5-18": "nt authority\\system",
    "system": "nt authority\\system",
    "s-1-5-19": "nt authority\\local service",
    "s-1-5-20": "nt authority\\network service",
    "nt authority\\localservice": "nt authority\\local service",
    "nt authority\\networkservice": "nt authority\\network service",
}
"""Service accounts and task principals as Sysmon writes the user of what runs under them."""


def expand_windows_path(text: str) -> str:
    """``text`` with the variables of :data:`_ENVIRONMENT` expanded and a ``\\SystemRoot\\`` prefix made a path."""
    if "%" in text:
        text = _VARIABLE.sub(lambda match: _ENVIRONMENT.get(match.group(0).lower(), match.group(0)), text)
    lowered = text[:16].lower()
    for prefix in _SYSTEM_ROOT_PREFIXES:
        if lowered.startswith(prefix):
            rest = text[len(prefix):]
            return rest if prefix == "\\??\\" else "C:\\Windows\\" + rest
    if lowered.startswith("system32\\"):  # a driver's ImagePath relative to the Windows folder
        return "C:\\Windows\\" + text
    return text


def _split_image(command: str) -> str:
    r"""The image of a service's command line, read as Windows reads an unquoted one.

    A quoted first token is the image.  Unquoted, ``CreateProcess`` tries each blank in turn as the
    image's end, the first word first, until a file exists; this reads the same text without the
    disk: the image ends at the first word that ends in ``.exe`` (or a driver's ``.sys``), or before
    the first word that does not go on with the path (``C:\Program Files\Tool\svc -k``: ``Files\Tool\svc``
    goes on with ``C:\Program``, ``-k`` does not).  Whatever the form, a program whose file name has
    no extension is run as its ``.exe`` (:func:`_with_extension`): ``cmd /c ...`` runs ``cmd.exe``,
    ``C:\ProgramData\x\svc`` runs ``svc.exe``.

    Examples
    --------
    >>> [_split_image(c) for c in ("C:\\Program Files\\Tool\\svc -k", '"C:\\x\\svc" -k', "C:\\A B\\my svc.exe")]
    ['C:\\Program Files\\Tool\\svc.exe', 'C:\\x\\svc.exe', 'C:\\A B\\my svc.exe']
    """
    if command.startswith('"'):
        end = command.find('"', 1)
        if end > 0:
            return _with_extension(command[1:end])
    words = [(match.end(), match.group()) for match in _WORD.finditer(command)]
    for index, (end, word) in enumerate(words):
        if word.lower().endswith(_IMAGE_EXTENSIONS):
            return command[:end]
        following = words[index + 1][1] if index + 1 < len(words) else ""
        if not _goes_on_with_the_path(following):
            return _with_extension(command[:end])
    return ""


_WORD = re.compile(r"\S+")
_IMAGE_EXTENSIONS = (".exe", ".sys")
r"""What ends an unquoted image with spaces: a program's ``.exe`` or a driver's ``.sys`` (a driver's
``ImagePath`` is a path, ``\??\C:\Program Files\Vendor\drv.sys``)."""
_OWN_PATH_START = re.compile(r'[A-Za-z]:|[\\/"%-]')
r"""A word that starts a path or switch of its own (``C:``, ``\\server``, ``/s``, ``-k``, a quote, a variable):
an argument, not more of the image's path."""


def _goes_on_with_the_path(word: str) -> bool:
    r"""Whether ``word``, after a blank in an unquoted command, is more of the image's path: a relative
    path (``Files\Tool\svc``) or a file name ending it (``svc.exe`` of ``C:\Tools\my svc.exe``).

    Examples
    --------
    >>> [_goes_on_with_the_path(w) for w in ("Files\\Tool\\svc", "svc.exe", "-k", "C:\\x\\y.exe", "run", "")]
    [True, True, False, False, False, False]
    """
    if not word or _OWN_PATH_START.match(word):
        return False
    return "\\" in word or word.lower().endswith(_IMAGE_EXTENSIONS)


def _with_extension(image: str) -> str:
    r"""``image`` as ``CreateProcess`` runs it: ``.exe`` added when its file name, with or without a
    folder, has no extension (``powershell`` runs ``powershell.exe``, ``C:\ProgramData\x\svc`` runs
    ``svc.exe``; a dot in a folder's name is no extension).  A name ending in a dot gets none, and
    Windows opens it without the dot (``svc.`` is ``svc``); an empty name (a folder) stays as it is.

    Examples
    --------
    >>> [_with_extension(p) for p in ("cmd", "C:\\x\\svc", "C:\\A.B\\svc", "C:\\x\\svc.com", "C:\\x\\svc.")]
    ['cmd.exe', 'C:\\x\\svc.exe', 'C:\\A.B\\svc.exe', 'C:\\x\\svc.com', 'C:\\x\\svc']
    """
    name = image[max(image.rfind("\\"), image.rfind("/")) + 1:]
    if not name.strip("."):
        return image
    if name.endswith("."):
        return image.rstrip(".")
    return image if "." in name else image + ".exe"


def _qualified(image: str) -> str:
    """A system binary named without its folder with the folder Windows finds it in."""
    if "\\" in image or "/" in image:
        return image
    return _BARE_SYSTEM_IMAGES.get(image.lower(), image)


def service_command_line(image_path: str) -> tuple[str, str]:
    r"""(executable, command line) of what a service's ``ImagePath`` runs.

    The command line is the ``ImagePath`` as written, with the variables of a default
    installation expanded (``%COMSPEC%``, ``%SystemRoot%``...), whole: it is what Sysmon 1
    shows of the service's run, and the projection keys both by the same normalised text
    (:func:`ingest.normalize.normalize_command_line`), so nothing is cut here (a cut line
    would key another node and hide what follows the cut).

    >>> service_command_line("cmd /c start /b C:\\Users\\Public\\evil.exe -s")[0]
    'C:\\Windows\\System32\\cmd.exe'
    >>> service_command_line("C:\\Program Files\\Vendor Tool\\svc.exe -k run")[0]
    'C:\\Program Files\\Vendor Tool\\svc.exe'
    """
    line = expand_windows_path(image_path.strip())
    return _qualified(_split_image(line)), line


def task_command_line(command: str, arguments: str = "") -> tuple[str, str]:
    r"""(executable, command line) of a task's ``Exec`` action (its ``Command`` and ``Arguments``).

    The command is the executable whole (no splitting at blanks); variables of a default
    installation are expanded, a program whose file name has no extension gets ``.exe``
    (:func:`_with_extension`) and, named without a folder, a system binary its folder; it is quoted when it holds a space, with or
    without arguments, as the Task Scheduler passes it to ``CreateProcess``.

    >>> task_command_line("C:\\Program Files\\Contoso\\updater.exe")[1]
    '"C:\\Program Files\\Contoso\\updater.exe"'
    """
    image = _with_extension(expand_windows_path(command.strip()).strip('"'))
    executable = _qualified(image)
    line = f'"{image}"' if " " in image else image
    arguments = arguments.strip()
    if arguments:
        line += " " + expand_windows_path(arguments)
    return executable, line


def command_line_of(command: str, arguments: str | None = None) -> tuple[str, str]:
    r"""(executable, command line) of a service's ``ImagePath`` (``arguments`` None) or a task's
    ``Exec`` action (``arguments`` a string, empty when it has none).

    See :func:`service_command_line` and :func:`task_command_line`.

    >>> command_line_of("%COMSPEC% /c whoami")
    ('C:\\Windows\\system32\\cmd.exe', 'C:\\Windows\\system32\\cmd.exe /c whoami')
    >>> command_line_of("powershell.exe", "-nop -enc SQBFAFgA")[0]
    'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe'
    """
    if arguments is None:
        return service_command_line(command)
    return task_command_line(command, arguments)


_DRIVER_TYPES = frozenset(("kernel mode driver", "file system driver"))
"""``service.type`` of a driver (7045's words; 4697's and MDE's ``0x1``, ``0x2`` are worded so)."""

_PROCESS_TYPES = frozenset(("user mode service", "own process", "share process",
                            "win32 own process", "win32 share process"))
"""``service.type`` of a service the Service Control Manager starts as a process, whatever its
image's extension (4697's and MDE's ``0x10``, ``0x20`` are worded ``user mode service``)."""


def driver_path(image_path: str, service_type: object = None) -> str | None:
    r"""The path of the driver a service's ``ImagePath`` loads, or None when the service is no driver.

    The type the event gives wins: a driver type (``service_type`` in 7045's words, as
    :func:`put_service` writes ``service.type``) is a driver, its ``ImagePath`` the driver's
    path whole; a user-mode type is no driver, even when its image is a ``.sys`` (the Service
    Control Manager runs that file as a program, so it is the process it runs).  With no type
    (or one this module does not know), a service is a driver when its image, the executable
    part of the command line as :func:`_split_image` reads it, is a ``.sys``: a command line
    that only ends in ``.sys`` (``cmd.exe /c evil.exe & rem x.sys``) is a program's.  The path
    is unquoted and written as Sysmon writes a file's path (``\SystemRoot\``, ``\??\`` and a
    ``System32\drivers`` path relative to the Windows folder made absolute), so the projection
    keys it as the same file node as a Sysmon 11 of its drop.

    >>> driver_path("\\SystemRoot\\System32\\drivers\\RTCore64.sys")
    'C:\\Windows\\System32\\drivers\\RTCore64.sys'
    >>> driver_path('"\\??\\C:\\Users\\x\\gdrv.sys"')
    'C:\\Users\\x\\gdrv.sys'
    >>> driver_path("C:\\Windows\\PSEXESVC.exe") is None
    True
    >>> driver_path("C:\\Users\\Public\\svc.sys", "user mode service") is None
    True
    """
    if service_type in _PROCESS_TYPES:
        return None
    text = image_path.strip()
    quoted = text.startswith('"')
    if quoted:
        end = text.find('"', 1)
        text = text[1:end] if end > 0 else text[1:]
    path = expand_windows_path(text.strip())
    if service_type in _DRIVER_TYPES:
        return path
    image = path if quoted else _split_image(path)
    return image if image.lower().endswith(".sys") else None


def _account(value: object) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    known = _WELL_KNOWN_ACCOUNTS.get(text.lower())
    if known is not None:
        return known
    if text.lower().startswith("nt authority\\"):
        return text.lower()
    return user_name(None, text)


def _put_command(fields: Fields, executable: str, line: str) -> None:
    fields["process.executable"] = executable
    fields["process.name"] = basename(executable)
    fields["process.command_line"] = line
    put_decoded(fields, line)


_START_TYPES = {0: "boot start", 1: "system start", 2: "auto start", 3: "demand start", 4: "disabled"}
"""``StartType`` numbers (4697, MDE) as System 7045 words them."""


def _service_type(number: int) -> str | None:
    """A ``ServiceType`` number (4697, MDE: ``0x10``) as System 7045 words it (``user mode service``)."""
    if number & 0x30:  # own process (0x10) or shared (0x20), interactive (0x100) or not
        return "user mode service"
    if number & 0x2:
        return "file system driver"
    if number & 0x1:
        return "kernel mode driver"
    return None


def _in_words(text: str, words: Callable[[int], str | None]) -> str:
    """``text`` lower-cased, a number (``3``, ``0x10``) in the words 7045 writes, so one vocabulary
    serves 4697, MDE and 7045 (an unknown number stays as written)."""
    try:
        number = parse_int(text)
    except ValueError:
        return text.lower()
    worded = None if number is None else words(number)
    return worded if worded is not None else text.lower()


def put_service(
    fields: Fields, *, name: object, image_path: object, service_type: object = None,
    start_type: object = None, account: object = None,
) -> str:
    """The fields of a service install; returns :data:`SERVICE_KIND`.

    ``service.name``; ``service.type`` and ``service.start_type`` in 7045's words, lower-cased
    (4697's and MDE's numbers ``0x10``, ``3`` as ``user mode service``, ``demand start``); the command it
    runs as ``process.*`` (:func:`command_line_of`, its PowerShell payload decoded), or for a driver
    the file the kernel loads as ``file.path``/``file.name`` (:func:`driver_path`) and no ``process.*``;
    its account as ``user.name`` (``LocalSystem`` is ``nt authority\\system``, as Sysmon
    writes the user of what runs under it).
    """
    text = bounded_text(name)
    if text is not None:
        fields["service.name"] = text
    for field_name, value, words in (("service.type", service_type, _service_type),
                                     ("service.start_type", start_type, _START_TYPES.get)):
        text = bounded_text(value, 64)
        if text is not None:
            fields[field_name] = _in_words(text, words)
    command = bounded_text(image_path, None)
    if command is not None:
        driver = driver_path(command, fields.get("service.type"))
        if driver is not None:
            if driver:
                put_file(fields, driver)
        else:
            executable, line = service_command_line(command)
            if executable:
                _put_command(fields, executable, line)
    user = _account(account)
    if user is not None:
        fields["user.name"] = user
    return SERVICE_KIND


def put_task(fields: Fields, *, name: object, content: object, updated: bool = False) -> str:
    """The fields of a scheduled task created or updated; returns its kind.

    ``task.name``; of the definition (:func:`parse_task_content`): each ``Exec`` action's
    command line in ``task.command_lines`` and executable in ``task.executables`` (the
    first also as ``process.*``, its PowerShell payload decoded), the principal as
    ``user.name``, ``task.triggers`` (trigger kinds: ``TimeTrigger``, ``BootTrigger``...),
    ``task.author``, ``task.hidden``; actions past :data:`TASK_ACTIONS` are counted in
    ``task.actions_dropped``.  A definition refused leaves ``task.content_error``.
    """
    task_name = bounded_text(name)
    if task_name is not None:
        fields["task.name"] = task_name
    if content is not None and not (isinstance(content, str) and not content.strip()):
        try:
            task = parse_task_content(content)
        except TaskContentError as exc:
            fields["task.content_error"] = str(exc)[:256]
        else:
            _put_definition(fields, task)
    return TASK_UPDATED_KIND if updated else TASK_CREATED_KIND


def _put_definition(fields: Fields, task: TaskDefinition) -> None:
    executables: list[str] = []
    lines: list[str] = []
    for command, arguments in task.actions:
        executable, line = task_command_line(command, arguments)
        if executable:
            executables.append(executable)
            lines.append(line)
    if lines:
        _put_command(fields, executables[0], lines[0])
        fields["task.executables"] = executables
        fields["task.command_lines"] = lines
    if task.actions_dropped:
        fields["task.actions_dropped"] = task.actions_dropped
    user = _account(task.user)
    if user is not None:
        fields["user.name"] = user
    if task.triggers:
        fields["task.triggers"] = task.triggers
    if task.author:
        fields["task.author"] = task.author
    if task.hidden is not None:
        fields["task.hidden"] = task.hidden
