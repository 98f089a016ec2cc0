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
    assert "lr" in first.on_boundary("select_loss")              # exercise 8.3: widen the range
    assert first.best_params("select_loss")["lr"] > 2e-4
    second = search.search(_trial, {"lr": (1e-4, 1e-1, "log"), "weight_decay": (1e-4, 1e-1, "log")},
                           n_trials=8)
    assert second.on_boundary("select_loss") == []
    best = second.best_params("select_loss")
    w16 = recipe.hastie_runs(width=16, name="width 16", **best)
    w64 = recipe.hastie_runs(width=64, name="width 64", **best)
    for metric in ("loss", "accuracy"):                          # exercise 8.4: option a
        c = experiment.compare(w16, w64, metric)
        assert c.conclusion == "width 64 is better" and c.p_value < 0.01
