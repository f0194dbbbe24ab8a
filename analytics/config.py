"""``DetectionConfig``: every knob of a detection run, loadable from YAML or JSON.

Notebooks tune a configuration and save it (:meth:`DetectionConfig.save`);
``graphsiem detect --config FILE`` and the API load it back.  Unknown keys are
refused with their name, so a typo does not silently fall back to a default.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from numbers import Integral, Real
from pathlib import Path
from typing import Any

import yaml

from analytics.clusters import COOCCURRENCE_MINUTES
from analytics.credential_spray import Thresholds
from graphsiem.internal_networks import parse_internal_networks
from graphsiem.model import EntityKey

_CREDENTIAL_DEFAULTS = Thresholds()


class ConfigError(ValueError):
    """A detection configuration file or mapping is invalid."""


_WHOLE_NUMBER_MINIMUMS = {"min_hosts": 2, "n_estimators": 1, "evidence_top": 0, "evidence_per_cluster": 0}
"""Settings that are counts, and their least value (a forest of 0 trees fails inside scikit-learn's fit)."""

_NUMBER_SETTINGS = ("window_hours", "max_fraction", "min_coverage", "min_overlap", "dedupe_overlap",
                    "cooccurrence_minutes", "young_hours", "history_days", "credential_burst_minutes",
                    "antivirus_floor_host_share", "max_features")
_SWITCHES = ("new_pivots_only", "behaviour_pivots", "history_backfill", "credential_findings", "host_findings")


def _refuse_wrong_types(config: DetectionConfig) -> None:
    """Refuse a setting of the wrong type by name (``min_hosts="3"`` would fail later as a bare
    TypeError in a comparison, ``n_estimators=0`` inside scikit-learn)."""
    for name, least in _WHOLE_NUMBER_MINIMUMS.items():
        value = getattr(config, name)
        if isinstance(value, bool) or not isinstance(value, Integral):  # numpy's integers too
            raise ConfigError(f"{name} must be an integer, got {value!r}")
        if value < least:
            raise ConfigError(f"{name} must be >= {least}, got {value}")
    for name in _NUMBER_SETTINGS:
        value = getattr(config, name)
        if isinstance(value, bool) or not isinstance(value, Real):
            raise ConfigError(f"{name} must be a number, got {value!r}")
    for name in _SWITCHES:
        if not isinstance(getattr(config, name), bool):
            raise ConfigError(f"{name} must be true or false, got {getattr(config, name)!r}")
    if config.random_state is not None and (isinstance(config.random_state, bool)
                                            or not isinstance(config.random_state, Integral)):
        raise ConfigError(f"random_state must be an integer or None, got {config.random_state!r}")
    samples = config.max_samples
    if isinstance(samples, str) or isinstance(samples, bool) or not isinstance(samples, Real):
        if samples != "auto":
            raise ConfigError(f"max_samples must be 'auto', an integer >= 1 or a share in (0, 1], got {samples!r}")
    elif not ((isinstance(samples, Integral) and samples >= 1) or (not isinstance(samples, Integral) and 0.0 < samples <= 1.0)):
        raise ConfigError(f"max_samples must be 'auto', an integer >= 1 or a share in (0, 1], got {samples!r}")


@dataclass(slots=True, frozen=True)
class DetectionConfig:
    """Parameters of :func:`analytics.detect.detect`.

    Attributes
    ----------
    min_hosts : int
        Fewest hosts (active in the window) for a pivot.
    window_hours : float
        Length of the detection window, ending at the newest data; the
        baseline is everything before it.
    max_fraction : float
        Fleet share (all time) above which an entity is ubiquitous: never a
        pivot or member.  It spares an entity first seen in the window while
        the fleet has a baseline (most of the window's hosts, and of the
        entity's, have data from at least 0.9 of a day, or of a window if
        longer, before it): a campaign on most of the fleet still forms a
        cluster.  Without a baseline (a one-day store, a fresh install) it
        applies to everything, as everything looks new
        (:func:`analytics.clusters.ubiquitous`).
    min_coverage, min_overlap, dedupe_overlap : float
        Clustering thresholds (see :func:`analytics.clusters.fan_out_clusters`).
    cooccurrence_minutes : float
        On a pivot on more than ``max_fraction`` of the fleet, a host counts as
        shared with a new member only when the member was first seen there
        within this many minutes of the pivot (default 30,
        :data:`analytics.clusters.COOCCURRENCE_MINUTES`, where it is measured):
        unrelated fleet-wide rollouts of the same day then form clusters of
        their own instead of one whose features add up.  0: host sets alone.
    new_pivots_only : bool
        Only entities first seen in the window (or young and spreading, see
        ``young_hours``) start clusters.
    young_hours : float
        The young horizon, hours before the window (default a week; 0: none).
        An entity the fleet established within it (and at least a day after
        its data begin), not new in the window but first seen inside it by at
        least ``min_hosts`` hosts, is *young and spreading* and counts as new:
        a campaign adding a few hosts a day (:mod:`analytics.novelty`).
    behaviour_pivots : bool
        Two suspicious facts by new per-host processes on one host within
        ``cooccurrence_minutes`` (30 when that is 0), the same pair of kinds on at
        least ``min_hosts`` hosts, make a pivot (:mod:`analytics.behaviour_pivots`):
        a campaign that varies every entity per host still forms a cluster.
    suppressed : frozenset of (type, key)
        Pivots a benign triage verdict suppressed: they start no cluster.
    suppressed_members : mapping of (type, key) to frozenset of (type, key)
        For a suppressed pivot, the members of the cluster the verdict was given
        on: only those twins stay suppressed with it, one that appeared later
        can start a cluster (:func:`analytics.clusters.fan_out_clusters`).  A
        suppressed pivot missing here suppresses every twin.
    n_estimators, max_samples, random_state : scorer parameters
        Passed to :class:`analytics.scoring.ClusterScorer`.
    contamination : float or "auto"
        The forest's expected share of anomalies, in (0, 0.5]: it places the
        decision threshold, so where risk 50 falls ("auto": the original
        paper's threshold).  Rankings do not change; risks shift.
    max_features : float
        Share of the scored features each tree draws, in (0, 1].
    evidence_top : int
        Clusters (highest risk first) that get evidence references.
    evidence_per_cluster : int
        Most evidence references per cluster.
    history_days : float
        The scorer is fitted on today's candidate clusters and on those of the
        detection windows that ended in the ``history_days`` before this one
        (kept in the data directory's state, :mod:`analytics.candidate_history`),
        so that a cluster's risk does not hang on what else the day produced.
        0 fits on today's candidates alone.
    history_max_rows : int
        Most earlier candidate rows the scorer is fitted on (newest windows
        first, one row per cluster), >= 0.
    history_backfill : bool
        When the state holds no window of the last ``history_days`` under these
        candidate rules (a first run on a store with days of data), detect the
        earlier windows first (backtests, one ``window_hours`` apart, back to the
        first without a fleet baseline) and keep their candidates.
    internal_networks : tuple of str
        The organisation's own networks on public space (CIDR: a university's
        ``/16``, its provider-independent block), internal for this run beside
        the defaults (RFC 1918, CGN, ULA) and ``GRAPHSIEM_INTERNAL_NETWORKS``
        (:mod:`graphsiem.internal_networks`): a download from one is a deployment
        server's, not one from a new external address.  ``graphsiem detect
        --internal-network CIDR`` adds to it.  An invalid network is a
        :class:`ConfigError` naming it, when the config is made.
    credential_findings : bool
        Look for credential attacks on the hosts that validate credentials
        (:mod:`analytics.credential_spray`; needs the journal's events, so a
        detection over a bare store finds none and says so in its stats).
    host_findings : bool
        Apply the single-host rules (LSASS read, renamed tool, log cleared,
        stager and LOLBin command lines: :mod:`analytics.host_findings`; needs
        the journal's events, as credential findings do).
    credential_burst_minutes : float
        The sliding window every credential pattern is counted in (60: one hour).
    credential_known_scanners : tuple of str
        Addresses or networks (CIDR) of the operator's vulnerability scanners: their
        refusals spread over many hosts make no spread-spray finding
        (:mod:`analytics.credential_spread`).  An invalid one is a :class:`ConfigError`.
    spray_min_accounts : int
        Fewest accounts failing on one validator within the burst window, each
        at most ``spray_max_attempts`` times, for a password spray (10).
    spray_max_attempts : int
        Most failures of one account within the burst window that still count as
        a spray's few tries (3: under a usual lock-out threshold).
    brute_force_min_failures : int
        Fewest failures of one account within the burst window for a brute
        force (20).
    rotation_min_workstations : int
        Fewest different claimed workstation names one account was validated
        from within the burst window: a tool writing a random name per attempt (10).
    compromise_min_failures : int
        Fewest failures of an account within the burst window before a success
        (from a source the failures used) for a likely compromise (5); inside a
        spray, one failure before the success is enough.
    spray_daily_min_accounts : int
        Fewest accounts failing from one claimed workstation or address within
        a day, each at most ``spray_max_attempts`` times and not followed by
        their success within the burst window, for a slow password spray (30;
        never fewer than ``spray_min_accounts``): a sprayer pacing itself
        under the hourly threshold.
    antivirus_floor_host_share : float
        Share of a cluster's hosts an antivirus must have detected its file on
        (by SHA-256 or path), and never fewer than 2 hosts, before the
        detections raise its risk to the floor (0.1; :mod:`analytics.antivirus`).
        Fewer still give the step.
    """

    min_hosts: int = 3
    window_hours: float = 24.0
    max_fraction: float = 0.5
    min_coverage: float = 0.5
    min_overlap: float = 0.8
    dedupe_overlap: float = 0.5
    cooccurrence_minutes: float = COOCCURRENCE_MINUTES
    new_pivots_only: bool = True
    young_hours: float = 168.0
    behaviour_pivots: bool = True
    suppressed: frozenset[EntityKey] = field(default_factory=frozenset)
    suppressed_members: Mapping[EntityKey, frozenset[EntityKey]] = field(default_factory=dict)
    n_estimators: int = 200
    max_samples: int | float | str = "auto"
    random_state: int | None = 0
    contamination: float | str = "auto"
    max_features: float = 1.0
    evidence_top: int = 50
    evidence_per_cluster: int = 20
    history_days: float = 7.0
    history_max_rows: int = 1000
    history_backfill: bool = True
    internal_networks: tuple[str, ...] = ()
    credential_findings: bool = True
    host_findings: bool = True
    # The credential defaults are the patterns' own (one place: analytics.credential_spray.Thresholds).
    credential_burst_minutes: float = _CREDENTIAL_DEFAULTS.burst_seconds / 60.0
    spray_min_accounts: int = _CREDENTIAL_DEFAULTS.spray_min_accounts
    spray_max_attempts: int = _CREDENTIAL_DEFAULTS.spray_max_attempts
    brute_force_min_failures: int = _CREDENTIAL_DEFAULTS.brute_force_min_failures
    rotation_min_workstations: int = _CREDENTIAL_DEFAULTS.rotation_min_workstations
    compromise_min_failures: int = _CREDENTIAL_DEFAULTS.compromise_min_failures
    spray_daily_min_accounts: int = _CREDENTIAL_DEFAULTS.daily_spray_min_accounts
    credential_known_scanners: tuple[str, ...] = ()
    antivirus_floor_host_share: float = 0.1

    def __post_init__(self) -> None:
        _refuse_wrong_types(self)
        try:
            networks = parse_internal_networks(self.internal_networks, origin="internal_networks")
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
        # kept as canonical text: the config stays plain data (to_dict, save) and compares by value
        object.__setattr__(self, "internal_networks", tuple(str(n) for n in networks))
        try:
            scanners = parse_internal_networks(self.credential_known_scanners, origin="credential_known_scanners")
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
        object.__setattr__(self, "credential_known_scanners", tuple(str(n) for n in scanners))
        if self.window_hours <= 0:
            raise ConfigError(f"window_hours must be > 0, got {self.window_hours}")
        if self.contamination != "auto" and not (
            isinstance(self.contamination, int | float) and 0.0 < self.contamination <= 0.5
        ):
            raise ConfigError(f"contamination must be 'auto' or in (0, 0.5], got {self.contamination!r}")
        if not (isinstance(self.max_features, int | float) and 0.0 < self.max_features <= 1.0):
            raise ConfigError(f"max_features must be in (0, 1], got {self.max_features!r}")
        if not (isinstance(self.young_hours, int | float) and self.young_hours >= 0):
            raise ConfigError(f"young_hours must be >= 0, got {self.young_hours!r}")
        if not (isinstance(self.cooccurrence_minutes, int | float) and self.cooccurrence_minutes >= 0):
            raise ConfigError(f"cooccurrence_minutes must be >= 0 (0: host sets alone), got {self.cooccurrence_minutes!r}")
        if not (isinstance(self.history_days, int | float) and self.history_days >= 0):
            raise ConfigError(f"history_days must be >= 0, got {self.history_days!r}")
        if not (isinstance(self.history_max_rows, int) and self.history_max_rows >= 0):
            raise ConfigError(f"history_max_rows must be an integer >= 0, got {self.history_max_rows!r}")
        if not (isinstance(self.credential_burst_minutes, int | float) and self.credential_burst_minutes > 0):
            raise ConfigError(f"credential_burst_minutes must be > 0, got {self.credential_burst_minutes!r}")
        for name in ("spray_min_accounts", "spray_max_attempts", "brute_force_min_failures",
                     "rotation_min_workstations", "compromise_min_failures", "spray_daily_min_accounts"):
            value = getattr(self, name)
            if not (isinstance(value, int) and not isinstance(value, bool) and value >= 1):
                raise ConfigError(f"{name} must be an integer >= 1, got {value!r}")
        if not (isinstance(self.antivirus_floor_host_share, int | float)
                and 0.0 <= self.antivirus_floor_host_share <= 1.0):
            raise ConfigError(f"antivirus_floor_host_share must be in [0, 1], got {self.antivirus_floor_host_share!r}")
        for name in ("max_fraction", "min_coverage", "min_overlap", "dedupe_overlap"):
            value = getattr(self, name)
            if not 0.0 < value <= 1.0:
                raise ConfigError(f"{name} must be in (0, 1], got {value}")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DetectionConfig:
        """Build from a mapping; ``suppressed`` is a list of ``[type, key]`` pairs."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(f"unknown detection setting(s): {', '.join(unknown)}")
        values = dict(data)
        if "suppressed" in values:
            try:
                values["suppressed"] = frozenset((str(t), str(k)) for t, k in values["suppressed"])
            except (TypeError, ValueError) as exc:
                raise ConfigError("suppressed must be a list of [type, key] pairs") from exc
        if "suppressed_members" in values:
            try:
                values["suppressed_members"] = {
                    (str(t), str(k)): frozenset((str(mt), str(mk)) for mt, mk in members)
                    for (t, k), members in values["suppressed_members"]
                }
            except (TypeError, ValueError) as exc:
                raise ConfigError("suppressed_members must be a list of [[type, key], [[type, key], ...]]") from exc
        try:
            return cls(**values)
        except TypeError as exc:
            raise ConfigError(str(exc)) from exc

    @classmethod
    def load(cls, path: str | Path) -> DetectionConfig:
        """Read a YAML or JSON file (YAML is a superset of JSON, so one parser)."""
        text = Path(path).read_text(encoding="utf-8")
        try:
            data = yaml.safe_load(text) or {}
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path}: not YAML/JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: expected a mapping of settings")
        try:
            return cls.from_dict(data)
        except ConfigError as exc:
            raise ConfigError(f"{path}: {exc}") from exc

    def to_dict(self) -> dict[str, Any]:
        """Plain data (``suppressed`` as sorted pairs), the inverse of :meth:`from_dict`."""
        data = asdict(self)
        data["suppressed"] = [list(p) for p in sorted(self.suppressed)]
        data["internal_networks"] = list(self.internal_networks)
        data["credential_known_scanners"] = list(self.credential_known_scanners)
        data["suppressed_members"] = [
            [list(p), [list(m) for m in sorted(members)]] for p, members in sorted(self.suppressed_members.items())
        ]
        return data

    def save(self, path: str | Path) -> None:
        """Write as JSON (``.json``) or YAML (anything else)."""
        path = Path(path)
        if path.suffix == ".json":
            path.write_text(json.dumps(self.to_dict(), indent=2), encoding="utf-8")
        else:
            path.write_text(yaml.safe_dump(self.to_dict(), sort_keys=True), encoding="utf-8")

    def credential_thresholds(self) -> Thresholds:
        """The credential patterns' thresholds (:mod:`analytics.credential_spray`)."""
        return Thresholds(self.credential_burst_minutes * 60.0, self.spray_min_accounts, self.spray_max_attempts,
                          self.brute_force_min_failures, self.rotation_min_workstations,
                          self.compromise_min_failures, self.spray_daily_min_accounts)

    def scorer_params(self) -> dict[str, Any]:
        """Keyword arguments of :class:`analytics.scoring.ClusterScorer`."""
        return {
            "n_estimators": self.n_estimators,
            "max_samples": self.max_samples,
            "random_state": self.random_state,
            "contamination": self.contamination,
            "max_features": float(self.max_features),
        }
