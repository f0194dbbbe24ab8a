"""Single detection settings given to ``Workspace.detect(**settings)``, checked by name."""

from __future__ import annotations

import difflib
from dataclasses import fields, replace
from typing import Any

from analytics.config import ConfigError, DetectionConfig


def with_settings(config: DetectionConfig, settings: dict[str, Any]) -> DetectionConfig:
    """``config`` with single settings overridden, an unknown name refused by name.

    Raises
    ------
    analytics.config.ConfigError
        A name that is no setting (``min_host=4``), or a value of the wrong type (``min_hosts="3"``).

    Examples
    --------
    >>> with_settings(DetectionConfig(), {"min_hosts": 4}).min_hosts
    4
    >>> with_settings(DetectionConfig(), {"min_host": 4})
    Traceback (most recent call last):
    ...
    analytics.config.ConfigError: unknown detection setting(s): min_host (did you mean min_hosts?)
    """
    known = [f.name for f in fields(DetectionConfig)]
    unknown = sorted(set(settings) - set(known))
    if unknown:
        close = difflib.get_close_matches(unknown[0], known, n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        raise ConfigError(f"unknown detection setting(s): {', '.join(unknown)}{hint}")
    return replace(config, **settings)
