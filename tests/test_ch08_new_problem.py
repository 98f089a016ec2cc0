"""Workbook 8: the recipe on Hastie et al.'s sphere. The conclusions its checkers grade
(exercises 8.2-8.4) are asserted here, on the same cached experiments the workbook runs."""

import math

import numpy as np
import pytest

from nnlearn import experiment, search
from nnlearn.course import recipe
from nnlearn.exercises import get_exercise


def _trial(params, seed):
    _, h = recipe.train_hastie(seed=seed, **params)
    return {"select_loss": h.best["val_loss"]}


def test_splits_are_stratified_and_standardized():
    tr, select, report, test = recipe.hastie_splits()
    assert [len(p[1]) for p in (tr, select, report, test)] == [1800, 300, 300, 600]
    np.testing.assert_allclose(tr[0].mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(tr[0].std(axis=0), 1, atol=1e-12)
    assert abs(select[1].mean() - report[1].mean()) < 0.01


def test_the_mlp_leaves_the_linear_baseline_far_behind():
    linear = recipe.hastie_runs(depth=0, lr=1e-2, name="linear")
    mlp = recipe.hastie_runs(width=64, lr=3e-3, name="MLP")
    c = experiment.compare(linear, mlp, "accuracy")
    assert abs(linear.mean("accuracy") - 0.5) < 0.05            # at chance
    assert c.conclusion == "MLP is better" and c.ci[0] > 0.3     # a clear, seed-robust margin
    assert linear.mean("loss") == pytest.approx(math.log(2), abs=0.01)
    assert get_exercise("8.2").check({"difference": round(c.difference, 2), "low": round(c.ci[0], 2),
                                      "high": round(c.ci[1], 2)}).status == "correct"


def test_the_first_search_round_hits_the_boundary_and_the_second_does_not():
    first = search.search(_trial, {"lr": (1e-5, 3e-4, "log"), "weight_decay": (1e-4, 1e-1, "log")},
                          n_trials=8)
    # exercise 8.3 and the text after it: both are flagged, the learning rate at the very top of
    # its range and the selection loss falling steadily towards it (best trials sorted by lr)
    assert first.on_boundary("select_loss") == ["lr", "weight_decay"]
    assert first.best_params("select_loss")["lr"] == max(t["lr"] for t in first.trials)
    assert first.best_params("select_loss")["lr"] > 2e-4
    by_lr = np.argsort([t["lr"] for t in first.trials])
    assert np.all(np.diff(np.asarray(first.values["select_loss"])[by_lr]) < 0)
    second = search.search(_trial, {"lr": (1e-4, 1e-1, "log"), "weight_decay": (1e-4, 1e-1, "log")},
                           n_trials=8)
    assert second.on_boundary("select_loss") == []
    best = second.best_params("select_loss")
    w16 = recipe.hastie_runs(width=16, name="width 16", **best)
    w64 = recipe.hastie_runs(width=64, name="width 64", **best)
    for metric in ("loss", "accuracy"):                          # exercise 8.4: option a
        c = experiment.compare(w16, w64, metric)
        assert c.conclusion == "width 64 is better" and c.p_value < 0.01


def test_the_best_hyperplane_is_barely_above_chance_and_logistic_regression_is_at_chance():
    # The workbook (and data.hastie_10_2's docstring): the best half-space x_1 > c is right
    # 54.6% of the time, at c ≈ 1.0, where P(outside | x_1 = c) = 1/2. Reference: numerical
    # integration over x_1 of P(outside | x_1) = P(χ²_9 > t − x_1²), against Monte Carlo.
    from scipy import integrate, optimize, stats
    from nnlearn.data import hastie_10_2
    from nnlearn.data.hastie import HASTIE_THRESHOLD

    t = stats.chi2(10).median()
    outside = lambda x1: stats.chi2(9).sf(max(t - x1 * x1, 0.0))

    def accuracy(c):
        right_of_c = integrate.quad(lambda x: stats.norm.pdf(x) * outside(x), c, 12)[0]
        left_of_c = integrate.quad(lambda x: stats.norm.pdf(x) * (1 - outside(x)), -12, c)[0]
        return right_of_c + left_of_c

    best = optimize.minimize_scalar(lambda c: -accuracy(c), bounds=(0, 3), method="bounded")
    assert best.x == pytest.approx(1.0, abs=0.01)
    assert outside(best.x) == pytest.approx(0.5, abs=1e-3)
    assert accuracy(best.x) == pytest.approx(0.546, abs=5e-4)
    assert accuracy(0.0) == pytest.approx(0.5, abs=1e-9)
    X, y = hastie_10_2(400_000, seed=1)
    assert HASTIE_THRESHOLD == pytest.approx(t, abs=0.005)
    assert np.mean((X[:, 0] > best.x) == y) == pytest.approx(0.546, abs=0.004)
    # logistic regression: by the symmetry x → −x the convex log loss is minimized at w = 0,
    # probability 1/2 everywhere (loss ln 2); the sign of its tiny w·x + b is a nearly
    # arbitrary hyperplane, whose accuracy lies between 1 − 0.546 and 0.546
    from sklearn.linear_model import LogisticRegression
    for part in range(3):
        rows = slice(100_000 * part, 100_000 * (part + 1))
        lr = LogisticRegression(C=1e6).fit(X[rows], y[rows])
        assert np.abs(lr.coef_).max() < 0.03
        p = lr.predict_proba(X[300_000:])[:, 1]
        y_test = y[300_000:]
        log_loss = -np.mean(y_test * np.log(p) + (1 - y_test) * np.log(1 - p))
        assert log_loss == pytest.approx(math.log(2), abs=1e-3)
        assert 1 - 0.546 - 0.005 < lr.score(X[300_000:], y_test) < 0.546 + 0.005
