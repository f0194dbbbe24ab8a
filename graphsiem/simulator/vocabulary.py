"""The scenario vocabulary: action names, their parameters, and schedule kinds.

Pure data, shared by the YAML validator (:mod:`.scenario`) and the interpreter
(:mod:`.actions`), so that a name added here without a handler (or the
reverse) fails a test instead of a run.
"""

from __future__ import annotations

ACTIONS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    # action: (required parameters, optional parameters)
    "process": (
        frozenset({"image", "command_line"}),
        frozenset({"parent", "parent_command_line", "user", "integrity", "current_directory",
                   "version", "encoded_command", "log_script", "loads", "long_running", "emit",
                   "copy_of"}),
    ),
    "script_block": (frozenset({"text"}), frozenset({"path"})),
    "dns": (frozenset({"domain"}), frozenset()),
    "connect": (
        frozenset({"port"}),
        frozenset({"domain", "ip", "protocol", "bytes_out", "bytes_in", "resolve"}),
    ),
    "download": (
        frozenset({"url"}),
        frozenset({"content", "file_name", "mime_type", "size", "status", "user_agent",
                   "save_to", "resolve", "server"}),
    ),
    "file_create": (frozenset({"path"}), frozenset()),
    "lsass_access": (frozenset(), frozenset({"granted_access"})),
    "image_load": (frozenset({"image"}), frozenset({"version"})),
    "logon": (frozenset(), frozenset({"logon_type", "user", "from", "package", "validated"})),
    "browse": (frozenset(), frozenset({"visits", "domains", "zipf", "http_fraction"})),
    "failed_logon": (frozenset(), frozenset({"user", "failure", "logon_type", "attempts", "recovers",
                                             "recover_after"})),
    "password_spray": (frozenset(), frozenset({"accounts", "rounds", "round_minutes", "pace", "found_in_round",
                                               "workstation", "targets", "admin"})),
    "service_install": (
        frozenset({"image_path"}),
        frozenset({"service_name", "service_type", "start_type", "account", "installer", "audit", "run",
                   "encoded_command"}),
    ),
    "scheduled_task": (
        frozenset({"task_name", "command"}),
        frozenset({"arguments", "principal", "principal_sid", "author", "description", "triggers", "hidden",
                   "updated", "installer", "run", "encoded_command"}),
    ),
}
"""Action name -> (required, optional) parameter names."""

STEP_KEYS = frozenset({"action", "host", "delay", "indicator"})
"""Keys every step may carry besides its action's parameters."""

SCHEDULES: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "once": (frozenset(), frozenset({"day", "at", "between", "spread_minutes"})),
    "daily": (frozenset(), frozenset({"days", "at", "jitter_minutes", "between", "probability"})),
    "hourly": (frozenset(), frozenset({"days", "between", "jitter_minutes", "probability"})),
    "periodic": (frozenset({"interval_minutes"}), frozenset({"days", "between", "jitter"})),
    "random": (frozenset({"per_day"}), frozenset({"days", "between"})),
}
"""Schedule kind (``every:``) -> (required, optional) keys."""

TEMPLATE_VARIABLES = frozenset({
    "user", "domain_user", "host", "host_fqdn", "temp", "source_host", "source_ip",
    "target", "target_fqdn", "encoded", "n", "date", "random",
})
"""Names usable as ``{{name}}`` in string parameters."""

LOGON_PACKAGES = frozenset({"kerberos", "ntlm"})
"""Authentication packages a ``logon`` step may name in ``package`` (network logons are Kerberos by default)."""

TASK_TRIGGERS = frozenset({"daily", "time", "boot", "logon"})
"""Trigger kinds a ``scheduled_task`` step may list in ``triggers``."""

LOGON_FAILURES = frozenset({"wrong_password", "expired", "must_change", "unknown_user"})
"""Reasons a ``failed_logon`` step may give in ``failure`` (:data:`.credential_events.FAILURES`)."""

KINDS = ("attack", "benign", "background")
INDICATOR_TYPES = ("domain", "url", "file", "process", "script", "ip", "user")
