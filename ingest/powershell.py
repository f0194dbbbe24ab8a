"""PowerShell ``-EncodedCommand``: which command lines carry one, and its script.

A PowerShell process started with ``-EncodedCommand <base64 of UTF-16LE>`` (or
any spelling PowerShell accepts) runs a script that its command line hides.
:func:`decode_powershell_command` returns that script, which parsers keep
beside the original command line (``process.command_line_decoded``) so that it
can be searched and clustered; the command line itself is never changed.
"""

from __future__ import annotations

import base64
import binascii
import re

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
    return _image_name(path) in _POWERSHELL_IMAGES


def _image_name(path: str | None) -> str:
    """The lower-cased file name of an image path (any folder, quotes), ``""`` for none."""
    if not path:
        return ""
    return path.strip().strip('"').rsplit("\\", 1)[-1].rsplit("/", 1)[-1].lower()


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


# -- cmd.exe /c powershell ... ------------------------------------------------------
#
# cmd.exe runs the text after its /C (/K, /R) switch as a command line of its
# own: "cmd.exe /c powershell -enc ..." is how droppers and WMI/Office macros
# start a stager.  That text is read as cmd reads it: the first and last
# quotes go when it starts with one (and is not a quoted program alone), "^"
# escapes outside quotes, redirections outside quotes (">nul", "2>&1",
# "1>c:\t\o.txt", "< nul") are cmd's and not the command's arguments, "&",
# "&&", "|", "||" separate commands (not the "&" of ">&"), and "start" (with
# its switches and title) or "call" run the command that follows.  "cmd/c" is
# "cmd /c": cmd ends its own name at the "/".

# "%COMSPEC%" is cmd.exe, which the variable expands to: a service's ImagePath, a WMI consumer's or a
# launcher's command line may name it unexpanded (PsExec-style "%COMSPEC% /b /c start ... powershell -enc")
_CMD_IMAGES = frozenset(("cmd", "cmd.exe", "%comspec%"))
# cmd's own switches before /C: /Q /D /A /U /S /X /Y, /E:, /F:, /V:, /T: with a value, and
# any other letter, which cmd ignores: Cobalt Strike's and Metasploit's service command
# "%COMSPEC% /b /c start /b /min powershell -enc ..." relies on that for its /b
_CMD_RUN_SWITCH = re.compile(r"(?:[ \t]*/(?:[abd-jl-qs-zABD-JL-QS-Z](?::[^ \t/]*)?))*[ \t]*/[ckrCKR]")
_COMMAND_SEPARATOR = re.compile(r'"[^"]*"?|[&|]')
# a quoted string (kept), or a redirection: [n]>, [n]>> to a handle (&n) or a
# file, or < from a file; the file ends at white space or at cmd's next operator
_REDIRECTION = re.compile(r'"[^"]*"?|[0-9]?>>?(?:&[0-9]|[ \t]*(?:"[^"]*"?|[^ \t&|<>"]+))|<[ \t]*(?:"[^"]*"?|[^ \t&|<>"]+)')
_START_SWITCH = re.compile(r'[ \t]*(?:"[^"]*"|/[^ \t]+)')
_START_DIRECTORY = re.compile(r'[ \t]*(?:"[^"]*"?|[^ \t]+)')
_CMD_DEPTH = 3


def powershell_run_by_cmd(command_line: str, depth: int = 0) -> str | None:
    """The PowerShell command line a ``cmd.exe /c ...`` line runs, else ``None``.

    The first command run through ``/c``, ``/k`` or ``/r`` (also after
    ``start``, ``call``, ``&``, ``|`` or a nested ``cmd /c``) whose program
    is powershell.exe, pwsh.exe or powershell_ise.exe.

    >>> powershell_run_by_cmd('cmd.exe /q /c "cd %TEMP% & start /b powershell -enc SQBFAFgA"')
    'powershell -enc SQBFAFgA'
    >>> powershell_run_by_cmd("cmd /c echo -e SGVsbG8=") is None
    True
    """
    lowered = command_line.lower()
    if "^" in lowered:
        lowered = lowered.replace("^", "")
    if "powershell" not in lowered and "pwsh" not in lowered:
        return None  # the common case, at C speed: most cmd lines run no PowerShell
    end = _program_end(command_line)
    if not is_cmd_image(command_line[:end]):
        # "cmd/c ..." (and "cmd.exe/c"): cmd ends its name at the first "/" after the folder
        slash = command_line.find("/", command_line.rfind("\\", 0, end) + 1, end)
        if slash < 0 or not is_cmd_image(command_line[:slash]):
            return None
        end = slash
    switch = _CMD_RUN_SWITCH.match(command_line, end)
    if switch is None:
        return None
    inner = command_line[switch.end() :].strip()
    candidates = [inner]
    if inner.startswith('"'):
        # cmd drops the first and the last quote, unless the text is a quoted program alone
        last = inner.rfind('"')
        candidates.insert(0, inner[1:last] + inner[last + 1 :] if last > 0 else inner[1:])
    for text in candidates:
        for command in _cmd_commands(text):
            program = command[: _program_end(command)]
            if is_powershell_image(program):
                return command
            if depth < _CMD_DEPTH and is_cmd_image(program):
                nested = powershell_run_by_cmd(command, depth + 1)
                if nested is not None:
                    return nested
    return None


def is_cmd_image(path: str | None) -> bool:
    """True when ``path`` names cmd.exe (any folder, case, quotes, ``.exe`` or not, or ``%COMSPEC%``).

    >>> is_cmd_image(r"C:\\Windows\\System32\\CMD.EXE"), is_cmd_image("%ComSpec%"), is_cmd_image("command.com")
    (True, True, False)
    """
    return _image_name(path) in _CMD_IMAGES


def _cmd_commands(text: str) -> list[str]:
    """The commands of a cmd line: split at unquoted ``&``/``|``, ``^`` escapes, redirections and ``@`` gone.

    ``start`` and ``call`` are dropped too: the command they run is the command.
    """
    if "^" in text:
        text = _without_carets(text)
    if ">" in text or "<" in text:
        # before splitting: the "&" of "2>&1" separates no command
        text = _REDIRECTION.sub(_blank_redirection, text)
    commands: list[str] = []
    start = 0
    for match in _COMMAND_SEPARATOR.finditer(text):
        if match.group() in ("&", "|"):
            commands.append(text[start : match.start()])
            start = match.end()
    commands.append(text[start:])
    return [command for command in map(_run_command, commands) if command]


def _blank_redirection(match: re.Match[str]) -> str:
    """A quoted string as it is; a redirection as one space (it separates words like white space)."""
    found = match.group()
    return found if found[0] == '"' else " "


def _without_carets(text: str) -> str:
    """cmd's escape: a ``^`` outside double quotes goes, the character after it stays."""
    out: list[str] = []
    quoted = escaped = False
    for char in text:
        if escaped:
            out.append(char)
            escaped = False
        elif char == "^" and not quoted:
            escaped = True
        else:
            if char == '"':
                quoted = not quoted
            out.append(char)
    return "".join(out)


def _run_command(command: str) -> str:
    """The command ``command`` runs: without a leading ``@``, ``call``, or ``start`` with its switches and title."""
    command = command.strip().lstrip("@").strip()
    word = command.split(None, 1)[0].lower() if command else ""
    if word == "call":
        return command[4:].strip()
    if word == "start":
        rest, titled = command[5:], False
        while (switch := _START_SWITCH.match(rest)) is not None:
            token = switch.group().strip()
            if token.startswith('"'):
                if titled:  # start's first quoted argument is its title; a second is the program
                    break
                titled = True
            rest = rest[switch.end() :]
            if token.lower() == "/d":  # /D takes the working directory as its next argument
                rest = rest[_START_DIRECTORY.match(rest).end() :]  # type: ignore[union-attr]  # matches ""
        return rest.strip()
    return command


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


def _is_script_text(text: str, *, strict: bool = False) -> bool:
    """Mostly printable, mostly ASCII text: what a decoded script is and garbage is not.

    At most 2% of the characters may be controls (other than tab, CR, LF),
    replacements of unpaired surrogates or private-use/non-characters, and at
    least half must be ASCII (PowerShell's syntax is; ASCII bytes read as
    UTF-16LE, the common false decode, give CJK-range characters).  ``strict``
    (a program not named PowerShell) asks for nine tenths ASCII.
    """
    if not text:
        return False
    bad = len(_NOT_SCRIPT.findall(text))
    if bad * 50 > len(text):
        return False
    if text.isascii():
        return True
    return len(_NOT_ASCII.findall(text)) * (10 if strict else 2) <= len(text)


def decode_powershell_command(command_line: str | None, executable: str | None = None) -> str | None:
    """The script of a PowerShell ``-EncodedCommand`` (any accepted spelling), base64 UTF-16LE.

    Parameters
    ----------
    command_line : str or None
        The process's command line, program first; kept untouched by callers,
        the decoded text goes beside it.
    executable : str, optional
        The process image.  When it (or, when not given, the command line's
        program) is not powershell.exe, pwsh.exe or powershell_ise.exe, the
        payload is still decoded, since a renamed copy of PowerShell
        (``svch0st.exe -enc ...``, MITRE T1036.003) runs it just the same, but
        the text must be nine tenths ASCII: ``cmd /c echo -e SGVsbG8gV29ybGQhISE=``
        gives CJK-range garbage, not a script.

    Returns
    -------
    str or None
        The decoded script; ``None`` when there is no encoded command, the
        payload is not base64, or its UTF-16LE text is not mostly printable,
        mostly ASCII text (see ``_is_script_text``).

    A ``cmd.exe /c`` (``/k``, ``/r``) line that runs PowerShell is decoded
    as the PowerShell command line it runs (:func:`powershell_run_by_cmd`),
    so the stager is searchable on the cmd.exe process too.

    Examples
    --------
    >>> decode_powershell_command("powershell.exe -nop -enc SQBFAFgA")
    'IEX'
    >>> decode_powershell_command('cmd.exe /c "powershell -nop -enc SQBFAFgA"', r"C:\\Windows\\System32\\cmd.exe")
    'IEX'
    >>> decode_powershell_command("svch0st.exe -nop -enc SQBFAFgA", r"C:\\Users\\Public\\svch0st.exe")
    'IEX'
    >>> decode_powershell_command("cmd /c echo -e SGVsbG8gV29ybGQhISE=") is None
    True
    """
    if not command_line:
        return None
    payload = encoded_command_payload(command_line)
    if not payload:
        # cmd.exe /c powershell -enc ...: the stager is decoded on the cmd.exe process too
        inner = powershell_run_by_cmd(command_line)
        return None if inner is None else decode_powershell_command(inner)
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
    if executable is None:
        executable = command_line[: _program_end(command_line)]
    return text if _is_script_text(text, strict=not is_powershell_image(executable)) else None
