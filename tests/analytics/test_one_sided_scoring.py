"""One-sided risk: a value on the benign side of a feature's fleet baseline cannot add risk.

An isolation forest isolates whatever is rare in either direction; when most
candidate clusters sit on the suspicious side of a feature (confined to their
hosts, synchronised, ...), a cluster on its benign side is the rare one.  The
scorer clips each feature to the suspicious side of the median cluster
(``SUSPICIOUS_DIRECTION``), and explanations then give a benign-side value
exactly no credit.
"""

from __future__ import annotations

import numpy as np
import pytest

from analytics.attribution import contributions
from analytics.config import DetectionConfig
from analytics.features import SCORED_FEATURES, SUSPICIOUS_DIRECTION, scored_directions
from analytics.scoring import ClusterScorer

# The fleet-typical cluster: every feature off its floor, so each has a benign side to step onto.
TYPICAL = {
    "first_contact_spread_min": 20.0,
    "burst_hosts": 6.0,
    "interpreter_lineage": 1.0,
    "source_kinds": 1.0,
    "lsass_access": 1.0,
    "encoded_command": 1.0,
    "download_from_new_domain": 1.0,
    "remote_thread": 1.0,
    "driver_outside_drivers_dir": 1.0,
    "lookalike_domain": 1.0,
    "repeat_contacts": 48.0,
}
BENIGN_SIDE = {
    "first_contact_spread_min": 60.0,
    "burst_hosts": 0.0,
    "interpreter_lineage": 0.0,
    "source_kinds": 0.0,
    "lsass_access": 0.0,
    "encoded_command": 0.0,
    "download_from_new_domain": 0.0,
    "remote_thread": 0.0,
    "driver_outside_drivers_dir": 0.0,
    "lookalike_domain": 0.0,
    "repeat_contacts": 24.0,
}


def _row(values: dict[str, float]) -> np.ndarray:
    return np.array([values[name] for name in SCORED_FEATURES])


def _fleet(rng: np.random.RandomState) -> np.ndarray:
    """40 typical clusters and 20 that differ from it on one feature, either side, plus 2 campaigns."""
    rows = [_row(TYPICAL)] * 40
    for _ in range(20):
        row = _row(TYPICAL).copy()
        k = rng.randint(len(SCORED_FEATURES))
        row[k] *= rng.choice([0.7, 1.3])
        rows.append(row)
    campaign = _row(TYPICAL).copy()
    campaign[SCORED_FEATURES.index("burst_hosts")] = 40.0
    campaign[SCORED_FEATURES.index("first_contact_spread_min")] = 2.0
    rows += [campaign, campaign * [1, 1.2, 2, 2, 1, 1, 1, 1, 1, 1, 3]]
    return np.vstack(rows)


def _scorer() -> ClusterScorer:
    return ClusterScorer(**DetectionConfig().scorer_params(), directions=scored_directions())


def test_every_scored_feature_has_a_suspicious_direction():
    assert set(SUSPICIOUS_DIRECTION) == set(SCORED_FEATURES)
    assert set(SUSPICIOUS_DIRECTION.values()) <= {-1, 1}
    # The benign-side table below agrees with the declared directions.
    for name in SCORED_FEATURES:
        assert np.sign(TYPICAL[name] - BENIGN_SIDE[name]) == SUSPICIOUS_DIRECTION[name], name


@pytest.mark.parametrize("feature", SCORED_FEATURES)
def test_benign_side_of_one_feature_scores_no_higher_than_the_typical_cluster(feature):
    X = _fleet(np.random.RandomState(0))
    variant = _row(TYPICAL).copy()
    variant[SCORED_FEATURES.index(feature)] = BENIGN_SIDE[feature]
    X = np.vstack([X, variant])
    scorer = _scorer().fit(X)
    risk = scorer.risk(X)
    assert risk[-1] <= risk[0] + 1e-9, f"{feature}: {risk[-1]:.1f} > typical {risk[0]:.1f}"
    # And the explanation gives that benign-side value no credit at all.
    credit = contributions(scorer, X[-1:], scorer.reference_)[0, SCORED_FEATURES.index(feature)]
    assert credit == 0.0


def test_a_two_sided_forest_would_have_isolated_the_benign_side():
    """Why the clip is needed: without it the minority benign value stands out."""
    X = _fleet(np.random.RandomState(0))
    variant = _row(TYPICAL).copy()
    variant[SCORED_FEATURES.index("source_kinds")] = BENIGN_SIDE["source_kinds"]
    X = np.vstack([X, variant])
    two_sided = ClusterScorer(**DetectionConfig().scorer_params()).fit(X).risk(X)
    assert two_sided[-1] > two_sided[0] + 5


def test_the_suspicious_side_still_raises_risk():
    X = _fleet(np.random.RandomState(0))
    risk = _scorer().fit(X).risk(X)
    assert risk[-2] > risk[0] + 20 and risk[-1] > risk[0] + 20


def test_directions_are_validated():
    X = np.ones((5, 3))
    with pytest.raises(ValueError, match="2 values for 3 features"):
        ClusterScorer(directions=[1, -1]).fit(X)
    with pytest.raises(ValueError, match="-1, 0 or \\+1"):
        ClusterScorer(directions=[1, 2, 0]).fit(X)


def test_one_sided_clips_to_the_training_median():
    X = np.array([[0.0, 5.0, 7.0], [1.0, 5.0, 7.0], [1.0, 9.0, 1.0], [2.0, 1.0, 3.0]])
    scorer = ClusterScorer(directions=[1, -1, 0], n_estimators=5, random_state=0).fit(X)
    np.testing.assert_array_equal(scorer.reference_, [1.0, 5.0, 5.0])
    np.testing.assert_array_equal(scorer.one_sided(X), [[1, 5, 7], [1, 5, 7], [1, 5, 1], [2, 1, 3]])
