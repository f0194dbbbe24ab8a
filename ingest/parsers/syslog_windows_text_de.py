"""German rendered Windows text on one line: its labels, read by the English templates.

A German Windows writes the events :mod:`ingest.parsers.syslog_windows_text` reads in English
with its own title (:data:`ingest.parsers.localized_windows_text.GERMAN_TITLES`) and labels:
``Antragsteller: Sicherheits-ID: S-1-5-18 Kontoname: DC01$ Kontodomäne: CORP ...``.  The layout
is the English one, label for label, in the same order: so each German label is named here by
the English label it stands for (:data:`GERMAN_LABELS`), the text is cut at the German labels
as the English text is at its own, and the lines are read by the English template
(:func:`ingest.parsers.windows_kv_templates.read_labels`) under their English labels: the same
event data, the same normalised event, the same protection of one value from labels forged in
another.

The labels are those of Windows' German message tables (as Windows Server 2008 R2 to 2022 and
Windows 10/11 write them); where a release wrote a label two ways both are listed
(``ID des neuen Prozesses`` and ``Neue Prozess-ID``).  A label one event writes for two English
ones (``Fehlercode``: 4769's and 4771's ``Failure Code``, 4776's ``Error Code``) is named by
the one the event's template has.

Windows' German explanation after the last value (``Dieses Ereignis wird generiert...``,
``Der Tokenerhöhungstyp gibt...``) is not part of that value: a value Windows writes as one word
(:data:`ONE_WORD_LAST`: a key length, a code, a logon id) keeps its first word, and 4688's
explanation is cut where its known first sentence (:data:`EXPLANATIONS`) starts and runs on to
the end as Windows writes it, whole or cut short: a command line holding those words elsewhere
keeps them.
"""

from __future__ import annotations

from ingest.parsers.localized_windows_text import GERMAN_TITLES

__all__ = ["EXPLANATIONS", "GERMAN_LABELS", "GERMAN_TITLES", "ONE_WORD_LAST", "german_explanation_start"]

GERMAN_LABELS: dict[str, tuple[str, ...]] = {
    # sections
    "Antragsteller": ("Subject", "Creator Subject"),
    "Zielantragsteller": ("Target Subject",),
    "Anmeldeinformationen": ("Logon Information",),
    "Neue Anmeldung": ("New Logon",),
    "Prozessinformationen": ("Process Information",),
    "Netzwerkinformationen": ("Network Information",),
    "Detaillierte Authentifizierungsinformationen": ("Detailed Authentication Information",),
    "Konto, für das die Anmeldung fehlgeschlagen ist": ("Account For Which Logon Failed",),
    "Fehlerinformationen": ("Failure Information",),
    "Kontoinformationen": ("Account Information",),
    "Dienstinformationen": ("Service Information",),
    "Zusätzliche Informationen": ("Additional Information",),
    "Zertifikatinformationen": ("Certificate Information",),
    # an account
    "Sicherheits-ID": ("Security ID",),
    "Kontoname": ("Account Name",),
    "Kontodomäne": ("Account Domain",),
    "Domänenname": ("Domain Name",),
    "Anmelde-ID": ("Logon ID",),
    "Verknüpfte Anmelde-ID": ("Linked Logon ID",),
    "Netzwerkkontoname": ("Network Account Name",),
    "Netzwerkkontodomäne": ("Network Account Domain",),
    "Anmelde-GUID": ("Logon GUID",),
    # a logon
    "Anmeldetyp": ("Logon Type",),
    "Eingeschränkter Administratormodus": ("Restricted Admin Mode",),
    "Virtuelles Konto": ("Virtual Account",),
    "Erhöhtes Token": ("Elevated Token",),
    "Identitätswechselebene": ("Impersonation Level",),
    "Prozess-ID": ("Process ID",),
    "Prozessname": ("Process Name",),
    "Arbeitsstationsname": ("Workstation Name",),
    "Quellnetzwerkadresse": ("Source Network Address",),
    "Quellport": ("Source Port",),
    "Anmeldeprozess": ("Logon Process",),
    "Authentifizierungspaket": ("Authentication Package",),
    "Durchlaufene Dienste": ("Transited Services",),
    "Übertragene Dienste": ("Transited Services",),
    "Paketname (nur NTLM)": ("Package Name (NTLM only)",),
    "Schlüssellänge": ("Key Length",),
    "Fehlerursache": ("Failure Reason",),
    "Status": ("Status",),
    "Unterstatus": ("Sub Status",),
    "Aufrufprozess-ID": ("Caller Process ID",),
    "Aufrufprozessname": ("Caller Process Name",),
    "Berechtigungen": ("Privileges",),
    # a process
    "ID des neuen Prozesses": ("New Process ID",),
    "Neue Prozess-ID": ("New Process ID",),
    "Neuer Prozessname": ("New Process Name",),
    "Tokenerhöhungstyp": ("Token Elevation Type",),
    "Verbindliche Beschriftung": ("Mandatory Label",),
    "Erstellerprozess-ID": ("Creator Process ID",),
    "Erstellerprozessname": ("Creator Process Name",),
    "Prozessbefehlszeile": ("Process Command Line",),
    # Kerberos and NTLM validation
    "Angegebener Bereichsname": ("Supplied Realm Name",),
    "Benutzer-ID": ("User ID",),
    "Dienstname": ("Service Name",),
    "Dienst-ID": ("Service ID",),
    "Clientadresse": ("Client Address",),
    "Clientport": ("Client Port",),
    "Ticketoptionen": ("Ticket Options",),
    "Ergebniscode": ("Result Code",),
    "Ticketverschlüsselungstyp": ("Ticket Encryption Type",),
    "Vorauthentifizierungstyp": ("Pre-Authentication Type",),
    "Fehlercode": ("Failure Code", "Error Code"),
    "Name des Zertifikatausstellers": ("Certificate Issuer Name",),
    "Seriennummer des Zertifikats": ("Certificate Serial Number",),
    "Zertifikatfingerabdruck": ("Certificate Thumbprint",),
    "Anmeldekonto": ("Logon Account",),
    "Quellarbeitsstation": ("Source Workstation",),
}
"""A German label (or section title) -> the English labels it stands for, in the events' templates."""

ONE_WORD_LAST = frozenset(label.lower() for label in (
    "Key Length", "Logon Type", "Logon ID", "Error Code", "Failure Code", "Transited Services",
    "Pre-Authentication Type", "Certificate Thumbprint", "Privileges",
))
"""English labels of the values an event may end with that Windows writes as one word: after them,
the rest of the text is Windows' German explanation (4672's privileges: one word a line, the
first kept when the forwarder joined them; see :func:`ingest.parsers.syslog_windows_text.event_data`)."""

EXPLANATIONS: dict[int, str] = {
    4688: "Der Tokenerhöhungstyp gibt den Typ des Tokens an, das dem neuen Prozess gemäß der "
          "Benutzerkontensteuerungs-Richtlinie zugewiesen wurde.",
}
"""Event id -> the first sentence of the German explanation after a value an attacker may write
(4688's command line or, without command line auditing, the creator's process name)."""


def german_explanation_start(text: str, event_id: int) -> int | None:
    """Where 4688's German explanation starts in ``text`` (single blanks), else None.

    At the last place its first sentence (:data:`EXPLANATIONS`) starts, whole or cut short by
    the forwarder, and only when nothing but that sentence and Windows' words after it follow.

    Examples
    --------
    >>> german_explanation_start("cmd.exe /c whoami Der Tokenerhöhungstyp gibt den Typ", 4688)
    17
    >>> german_explanation_start("cmd.exe /c echo Der Tokenerhöhungstyp gibt x", 4688) is None
    True
    """
    sentence = EXPLANATIONS.get(event_id)
    if sentence is None:
        return None
    first_words = sentence[:len("Der Tokenerhöhungstyp gibt")]
    position = text.rfind(" " + first_words)
    if position < 0:
        return None
    rest = text[position + 1:]
    # cut short inside the sentence, or whole with nothing or Windows' next paragraph after it
    if sentence.startswith(rest) or rest == sentence or rest.startswith(sentence + " Typ 1 bedeutet"):
        return position
    return None
