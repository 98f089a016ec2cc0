"""nnlearn.search: quasi-random designs (scipy.stats.qmc), log scales, the boundary check,
and the same trials whatever runs them."""

import math

import numpy as np
import pytest
from scipy.stats import qmc

from nnlearn.search import Range, SearchResults, quasi_random, search

SPACE = {"lr": (1e-4, 1e-1, "log"), "dropout": (0.0, 0.5)}


def test_points_are_scipys_scrambled_halton_mapped_onto_the_space():
    pts = quasi_random(SPACE, 10, seed=3)
    u = qmc.Halton(2, scramble=True, seed=3).random(10)
    np.testing.assert_allclose([p["lr"] for p in pts], 10 ** (-4 + 3 * u[:, 0]), rtol=1e-12)
    np.testing.assert_allclose([p["dropout"] for p in pts], 0.5 * u[:, 1], rtol=1e-12, atol=1e-15)
    assert pts == quasi_random(SPACE, 10, seed=3)            # seeded
    assert pts != quasi_random(SPACE, 10, seed=4)


def test_sobol_needs_a_power_of_two_and_covers_the_log_range_evenly():
    pts = quasi_random({"lr": (1e-5, 1e-1, "log")}, 16, method="sobol", seed=0)
    decades = np.floor(np.log10([p["lr"] for p in pts])).astype(int)
    # a balanced design: every one of the 4 decades gets exactly 4 of the 16 points
    assert np.bincount(decades + 5).tolist() == [4, 4, 4, 4]
    with pytest.raises(ValueError, match="power of 2"):
        quasi_random(SPACE, 10, method="sobol")


def test_quasi_random_tries_more_distinct_values_than_a_grid():
    pts = quasi_random(SPACE, 16, seed=0)
    assert len({p["lr"] for p in pts}) == 16 and len({p["dropout"] for p in pts}) == 16
    # a 4 × 4 grid tries 4 values of each; Halton's discrepancy is lower than the grid's too
    grid = np.array([[i, j] for i in np.linspace(0, 1, 4) for j in np.linspace(0, 1, 4)])
    u = np.array([[Range(1e-4, 1e-1, True).to_unit(p["lr"]), p["dropout"] / 0.5] for p in pts])
    assert qmc.discrepancy(u) < qmc.discrepancy(grid)


@pytest.mark.parametrize("bad", [{"lr": (0.0, 1.0, "log")}, {"lr": (1.0, 0.5)}, {"lr": (1, 2, 3, 4)}, {}])
def test_bad_spaces_are_refused(bad):
    with pytest.raises(ValueError):
        quasi_random(bad, 4)


def _bowl(params, seed):
    # best at lr = 1e-2, dropout = 0.2; the seed shifts nothing
    return {"val_loss": (math.log10(params["lr"]) + 2) ** 2 + (params["dropout"] - 0.2) ** 2 + seed}


def test_search_finds_the_best_trial_and_the_boundary_check():
    r = search(_bowl, SPACE, n_trials=32, seed=0, n_jobs=1)
    best = r.best_params("val_loss")
    assert abs(math.log10(best["lr"]) + 2) < 0.35 and abs(best["dropout"] - 0.2) < 0.1
    assert r.on_boundary("val_loss") == []
    # the optimum outside the range: the best trial sits at the edge, and the check says so
    edge = search(_bowl, {"lr": (1e-6, 1e-3, "log"), "dropout": (0.0, 0.5)}, n_trials=32, n_jobs=1)
    assert "lr" in edge.on_boundary("val_loss")
    assert edge.best_params("val_loss")["lr"] > 10 ** (-3 - 0.3)
    t = r.table("val_loss")
    assert t.columns == ["trial", "lr", "dropout", "val_loss"]
    assert t.column("val_loss") == sorted(t.column("val_loss"))


def test_nan_trials_never_win():
    r = SearchResults(SPACE, [{"lr": 1e-3, "dropout": 0.1}, {"lr": 1e-2, "dropout": 0.2}],
                      {"val_loss": [float("nan"), 0.5]})
    assert r.best("val_loss") == 1
    r.values["acc"] = np.array([0.9, float("inf")])
    assert r.best("acc") == 0                      # inf is a diverged run, not a perfect one


def test_trials_are_the_same_sequentially_and_in_worker_processes():
    a = search(_bowl, SPACE, n_trials=6, seed=1, n_jobs=1)
    b = search(_bowl, SPACE, n_trials=6, seed=1, n_jobs=2)
    assert a.trials == b.trials
    np.testing.assert_array_equal(a.values["val_loss"], b.values["val_loss"])


def test_an_interrupted_search_keeps_the_finished_trials():
    def train(params, seed):
        if params["dropout"] > 0.4:
            raise KeyboardInterrupt
        return {"val_loss": params["dropout"]}
    pts = [{"lr": 1e-3, "dropout": d} for d in (0.1, 0.2, 0.45, 0.3)]
    with pytest.raises(KeyboardInterrupt) as info:
        search(train, SPACE, trials=pts, n_jobs=1)
    assert [t["dropout"] for t in info.value.results.trials] == [0.1, 0.2]
