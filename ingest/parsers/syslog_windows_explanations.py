"""Where the explanation Windows appends to a Security event's rendered text starts, in one-line syslog text.

Windows ends some events' messages with an explanation (``This event is generated when...``;
4688's ``Token Elevation Type indicates...``; the KDC's ``Certificate information is only
provided...``).  On one line (:mod:`ingest.parsers.syslog_windows_text`) nothing but its words
separates it from the last value, and those words may be in a value too: a 4688 command line is
the attacker's text, and a forwarder that cuts a long message short (1 or 2 kB) leaves Windows'
own explanation out, so the last occurrence of the words is the attacker's.  Cutting there hid
the rest of the command line (review T10, finding 9).

The words start the explanation only where

* what follows them to the end is Windows' known wording (:data:`KNOWN_EXPLANATIONS`), whole or
  cut short: nothing but Windows' own words is left out, whichever value they follow; or
* they come right after the value of a label Windows ends the event with (:data:`CLOSING_LABELS`,
  a value Windows writes, of at most its known number of words), no label of the event follows
  them, and no label before them comes later in the event's template (a closing label forged
  inside an earlier value closes nothing).  This reads the wordings of versions not listed.

Otherwise the text has no explanation cut from it: a value keeps every word.
"""

from __future__ import annotations

__all__ = ["CLOSING_LABELS", "KNOWN_EXPLANATIONS", "MARKERS", "explanation_start"]

MARKERS: dict[int, str] = {
    **dict.fromkeys((4624, 4625, 4634, 4769), " This event is generated"),
    **dict.fromkeys((4768, 4771), " Certificate information is only provided"),
    4688: " Token Elevation Type indicates",
}
"""Event id -> the first words of the explanation Windows appends after its last value, after a blank
(events without one: none).  Words, not a sentence: a forwarder may cut the message right after them."""

_LOGON_EXPLANATION = (
    "This event is generated when a logon session is created. It is generated on the computer that was accessed. "
    "The subject fields indicate the account on the local system which requested the logon. This is most commonly "
    "a service such as the Server service, or a local process such as Winlogon.exe or Services.exe. The logon type "
    "field indicates the kind of logon that occurred. The most common types are 2 (interactive) and 3 (network). "
    "The New Logon fields indicate the account for whom the new logon was created, i.e. the account that was logged "
    "on. The network fields indicate where a remote logon request originated. Workstation name is not always "
    "available and may be left blank in some cases.{impersonation} The authentication information fields provide "
    "detailed information about this specific logon request. - Logon GUID is a unique identifier that can be used "
    "to correlate this event with a KDC event. - Transited services indicate which intermediate services have "
    "participated in this logon request. - Package name indicates which sub-protocol was used among the NTLM "
    "protocols. - Key length indicates the length of the generated session key. This will be 0 if no session key "
    "was requested."
)
_KDC_RFC = " Pre-authentication types, ticket options, encryption types and result codes are defined in RFC 4120."

KNOWN_EXPLANATIONS: dict[int, tuple[str, ...]] = {
    # Server 2008 R2 / 2012 (the Brim corpus), then Windows 10 / Server 2016+ (OTRF), which adds a sentence
    4624: (_LOGON_EXPLANATION.format(impersonation=""),
           _LOGON_EXPLANATION.format(impersonation=" The impersonation level field indicates the extent to which a "
                                                   "process in the logon session can impersonate.")),
    4625: ("This event is generated when a logon request fails. It is generated on the computer where access was "
           "attempted. The Subject fields indicate the account on the local system which requested the logon. This "
           "is most commonly a service such as the Server service, or a local process such as Winlogon.exe or "
           "Services.exe. The Logon Type field indicates the kind of logon that was requested. The most common types "
           "are 2 (interactive) and 3 (network). The Process Information fields indicate which account and process "
           "on the system requested the logon. The Network Information fields indicate where a remote logon request "
           "originated. Workstation name is not always available and may be left blank in some cases. The "
           "authentication information fields provide detailed information about this specific logon request. - "
           "Transited services indicate which intermediate services have participated in this logon request. - "
           "Package name indicates which sub-protocol was used among the NTLM protocols. - Key length indicates the "
           "length of the generated session key. This will be 0 if no session key was requested.",),
    4634: ("This event is generated when a logon session is destroyed. It may be positively correlated with a logon "
           "event using the Logon ID value. Logon IDs are only unique between reboots on the same computer.",),
    4769: ("This event is generated every time access is requested to a resource such as a computer or a Windows "
           "service. The service name indicates the resource to which access was requested. This event can be "
           "correlated with Windows logon events by comparing the Logon GUID fields in each event. The logon event "
           "occurs on the machine that was accessed, which is often a different machine than the domain controller "
           "which issued the service ticket. Ticket options, encryption types, and failure codes are defined in RFC "
           "4120.",),
    4768: ("Certificate information is only provided if a certificate was used for pre-authentication." + _KDC_RFC,),
    4771: ("Certificate information is only provided if a certificate was used for pre-authentication. "
           "Pre-authentication types, ticket options and failure codes are defined in RFC 4120. If the ticket was "
           "malformed or damaged during transit and could not be decrypted, then many fields in this event might "
           "not be present.",),
    4688: ("Token Elevation Type indicates the type of token that was assigned to the new process in accordance with "
           "User Account Control policy. Type 1 is a full token with no privileges removed or groups disabled. A "
           "full token is only used if User Account Control is disabled or if the user is the built-in "
           "Administrator account or a service account. Type 2 is an elevated token with no privileges removed or "
           "groups disabled. An elevated token is used when User Account Control is enabled and the user chooses to "
           "start the program using Run as administrator. An elevated token is also used when an application is "
           "configured to always require administrative privilege or to always require maximum privilege, and the "
           "user is a member of the Administrators group. Type 3 is a limited token with administrative privileges "
           "removed and administrative groups disabled. The limited token is used when User Account Control is "
           "enabled, the application does not require administrative privilege, and the user does not choose to "
           "start the program using Run as administrator.",),
}
"""Event id -> Windows' explanation texts, word for word with single blanks (the wordings of the versions seen):
text from its marker to the end of the message that is one of these, or the start of one (a forwarder cut the
message), is the explanation whatever value it follows."""

CLOSING_LABELS: dict[int, dict[str, int]] = {
    **dict.fromkeys((4624, 4625), {"key length": 1}),
    4634: {"logon type": 1},
    4769: {"transited services": 1},
    **dict.fromkeys((4768, 4771), {"certificate thumbprint": 1}),
    # Server 2008 R2 ends at Creator Process ID; with command-line auditing off, later versions
    # write the Process Command Line label with no value.  A command line is the attacker's text:
    # one that is not empty never closes the event by this rule.
    4688: {"creator process id": 1, "process command line": 0},
}
"""Event id -> labels (lower case) that may end the event's data -> the most blank-separated words of their value
Windows writes: the explanation's marker right after such a value, with no label after it, starts the explanation
even in a wording :data:`KNOWN_EXPLANATIONS` lacks."""


def explanation_start(
    text: str, event_id: int, found: list[tuple[int, int, str]], by_label: dict[str, tuple[int, ...]]
) -> int | None:
    """Where Windows' explanation starts in an event's one-line text; None where it has none.

    Parameters
    ----------
    text : str
        The message after its title, with single blanks.
    event_id : int
        The event's id (its title's).
    found : list of (int, int, str)
        The event's labels in ``text``: start, end after the colon, label as written, in order.
    by_label : dict
        The event's template: lower-case label -> its positions in the template.

    Returns
    -------
    int or None
        The index of the blank before the explanation's first word: the text up to it is the event's.

    Examples
    --------
    >>> explanation_start("Process Command Line: a Token Elevation Type indicates b", 4688,
    ...                   [(0, 21, "Process Command Line")], {"process command line": (0,)}) is None
    True
    >>> explanation_start("Process Command Line: a Token Elevation Type indicates the type", 4688,
    ...                   [(0, 21, "Process Command Line")], {"process command line": (0,)})
    23
    """
    marker = MARKERS.get(event_id)
    if marker is None:
        return None
    known = KNOWN_EXPLANATIONS.get(event_id, ())
    longest = max((len(explanation) for explanation in known), default=0)
    closing_until = _closing_value_end(text, found, CLOSING_LABELS.get(event_id, {}), by_label)
    position = len(text)
    # the last marker that qualifies: Windows' explanation comes after every value.  Each test reads
    # no more than the known wording's length: a long value full of markers costs one pass.
    while (position := text.rfind(marker, 0, position)) >= 0:
        if text[position + len(marker):position + len(marker) + 1] not in ("", " "):
            continue  # "indicatesX": the marker's last word runs on
        size = len(text) - position - 1
        # Windows' wording, whole or cut short (never shorter than the marker): nothing but its words is cut
        if size <= longest and any(text.startswith(explanation[:size], position + 1)
                                   for explanation in known if len(explanation) >= size):
            return position
        if found and found[-1][1] <= position <= closing_until:
            return position
    return None


def _closing_value_end(
    text: str, found: list[tuple[int, int, str]], closing: dict[str, int], by_label: dict[str, tuple[int, ...]]
) -> int:
    """The last blank the explanation may start at after the event's last label, if that label closes the event.

    -1 (none) unless the last label found is one of ``closing`` and no label before it comes later
    in the template (a closing label forged inside an earlier value follows such a label); else the
    blank that ends the label's value at its most words: the explanation starts there or before.
    """
    if not found:
        return -1
    _, value_start, label = found[-1]
    words = closing.get(label.lower())
    if words is None:
        return -1
    last = min(by_label[label.lower()])
    if any(min(by_label[other.lower()]) > last for _, _, other in found[:-1]):
        return -1
    # text has single blanks: the value's first blank follows the colon, one more after each word
    blank = text.find(" ", value_start)
    for _ in range(words):
        if blank < 0:
            break
        blank = text.find(" ", blank + 1)
    return len(text) if blank < 0 else blank
