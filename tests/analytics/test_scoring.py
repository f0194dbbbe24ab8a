"""ClusterScorer: scikit-learn conventions, risk mapping, determinism."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.utils.estimator_checks import check_estimator

from analytics.scoring import ClusterScorer, signed_log1p


def test_scorer_passes_check_estimator():
    check_estimator(ClusterScorer(n_estimators=20, random_state=0))


@pytest.fixture
def features():
    rng = np.random.RandomState(1)
    normal = rng.normal(loc=[1.0, 100.0, 0.2], scale=[0.2, 20.0, 0.05], size=(200, 3))
    outlier = np.array([[5.0, 3.0, 1.0]])
    return np.vstack([normal, outlier])


def test_risk_is_highest_for_the_outlier(features):
    risk = ClusterScorer(n_estimators=50, random_state=0).fit(features).risk(features)
    assert int(np.argmax(risk)) == len(features) - 1
    assert risk[-1] > 90
    assert np.median(risk[:-1]) < 50


def test_risk_is_bounded_and_monotone_in_decision_function(features):
    scorer = ClusterScorer(n_estimators=50, random_state=0).fit(features)
    risk = scorer.risk(features)
    assert np.all((risk >= 0) & (risk <= 100))
    order = np.argsort(-scorer.decision_function(features))
    assert np.all(np.diff(risk[order]) >= -1e-9)


def test_risk_fifty_on_the_decision_threshold(features):
    scorer = ClusterScorer(n_estimators=50, random_state=0).fit(features)
    risk = scorer.risk(features)
    decision = scorer.decision_function(features)
    assert np.all((risk > 50) == (decision < 0))


def test_same_random_state_same_scores(features):
    a = ClusterScorer(n_estimators=50, random_state=3).fit(features).risk(features)
    b = ClusterScorer(n_estimators=50, random_state=3).fit(features).risk(features)
    np.testing.assert_array_equal(a, b)


def test_signed_log1p_keeps_sign_and_order():
    x = np.array([-10.0, -1.0, 0.0, 1.0, 10.0])
    y = signed_log1p(x)
    assert np.all(np.diff(y) > 0)
    assert y[2] == 0.0


def test_one_sided_scorer_passes_check_estimator():
    check_estimator(ClusterScorer(n_estimators=20, random_state=0, directions=1))
