"""The detection settings the service runs with: a tuned config file, read once at start (review T11, F3).

Notebook 02 saves a tuned :class:`~analytics.config.DetectionConfig` and says
``graphsiem detect --config FILE`` and the service load it back, but the
service always detected with the defaults: the analysts' queue and the webhook
never used what was tuned.  ``GRAPHSIEM_DETECTION_CONFIG`` (``graphsiem serve
--detection-config FILE``) names the file; it is validated when the settings
are read (a bad file refuses to start, naming the file, the setting and the
reason, as ``detect --config`` does), read again once when the service starts,
and every run the service makes, scheduled or posted, starts from it.  Each
run's record names the file and the SHA-256 of the bytes read, so an analyst
can tell which settings produced a queue.

An API caller cannot pass a config per request: the active queue, its
candidate history and the webhook's "new / grown" decisions are shared by
every analyst, and a run with other settings would make them depend on who
posted last.  Changing the settings is an operator's act: edit the file and
restart the service.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import yaml

from analytics.config import ConfigError, DetectionConfig


@dataclass(frozen=True, slots=True)
class ServiceDetectionConfig:
    """A detection config as the service read it.

    Attributes
    ----------
    config : DetectionConfig
        The settings every run starts from (the defaults without a file).
    path : str or None
        The file they were read from (``None``: the defaults).
    sha256 : str or None
        The SHA-256 (hex) of the file's bytes as read.
    """

    config: DetectionConfig
    path: str | None = None
    sha256: str | None = None

    def record(self) -> dict[str, str | None]:
        """The fields a detection run's record keeps of these settings."""
        return {"detection_config": self.path, "detection_config_sha256": self.sha256}


def read_detection_config(path: str | Path | None) -> ServiceDetectionConfig:
    """Read and validate the service's detection config file (``None``: the defaults).

    Parameters
    ----------
    path : path, optional
        A YAML or JSON file of :class:`DetectionConfig` settings, as
        ``DetectionConfig.save`` writes it.

    Returns
    -------
    ServiceDetectionConfig

    Raises
    ------
    ConfigError
        The file cannot be read, is not YAML/JSON, or holds an unknown setting
        or a bad value; the message names the file and the reason.

    Examples
    --------
    >>> read_detection_config(None).record()
    {'detection_config': None, 'detection_config_sha256': None}
    """
    if path is None:
        return ServiceDetectionConfig(DetectionConfig())
    where = Path(path).expanduser().resolve()
    try:
        data = where.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{where}: cannot read it: {exc.strerror or exc}") from None
    # parsed from the bytes the digest is made of, so the record names exactly what ran
    try:
        settings = yaml.safe_load(data.decode("utf-8")) or {}
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"{where}: not YAML/JSON: {exc}") from None
    if not isinstance(settings, dict):
        raise ConfigError(f"{where}: expected a mapping of settings")
    try:
        config = DetectionConfig.from_dict(settings)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    return ServiceDetectionConfig(config, str(where), hashlib.sha256(data).hexdigest())
