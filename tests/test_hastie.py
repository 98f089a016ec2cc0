"""nnlearn.data.hastie_10_2: the rule of ESL eq. 10.2, balance, and the headroom over a linear model."""

import numpy as np
import pytest
from scipy.stats import chi2
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier

from nnlearn.data.hastie import HASTIE_THRESHOLD, hastie_10_2


def test_the_rule_and_the_threshold():
    X, y = hastie_10_2(500, seed=0)
    assert X.shape == (500, 10) and X.dtype == np.float64 and y.dtype == np.int64
    np.testing.assert_array_equal(y, (np.sum(X**2, axis=1) > 9.34).astype(int))
    assert HASTIE_THRESHOLD == pytest.approx(chi2.median(10), abs=0.005)     # 9.3418
    X3, y3 = hastie_10_2(200, seed=0, n_features=3)
    np.testing.assert_array_equal(y3, (np.sum(X3**2, axis=1) > chi2.median(3)).astype(int))


def test_seeded_and_balanced():
    a, b = hastie_10_2(100, seed=5), hastie_10_2(100, seed=5)
    np.testing.assert_array_equal(a[0], b[0])
    _, y = hastie_10_2(20_000, seed=1)
    assert y.mean() == pytest.approx(0.5, abs=0.01)          # the median sphere halves the mass
    with pytest.raises(ValueError):
        hastie_10_2(0)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_a_linear_model_is_at_chance_and_an_mlp_is_not():
    # the reason the recipe's workbook uses it: real headroom over the linear baseline
    X, y = hastie_10_2(3000, seed=0)
    Xt, yt = hastie_10_2(2000, seed=1)
    linear = LogisticRegression(max_iter=1000).fit(X, y).score(Xt, yt)
    mlp = MLPClassifier((64,), max_iter=400, random_state=0).fit(X, y).score(Xt, yt)
    assert abs(linear - 0.5) < 0.05
    assert mlp > 0.85
