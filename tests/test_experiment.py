"""Tests of nnlearn.experiment: seeds, mean ± 2σ (ddof=1), comparisons and verdicts."""

import numpy as np
import pytest
from scipy import stats

import nnlearn
from nnlearn import data, losses, nn, optim, train
from nnlearn.experiment import Comparison, SeedResults, compare, run_seeds


def fixed(values_by_seed):
    """A make_and_train that returns prepared numbers per seed."""
    return lambda seed: values_by_seed[seed]


def test_run_seeds_collects_and_summarizes_with_the_sample_std():
    r = run_seeds(fixed({0: {"acc": 1.0, "loss": 0.5}, 1: {"acc": 2.0, "loss": 0.4},
                         2: {"acc": 3.0, "loss": 0.3}}), seeds=[0, 1, 2], name="base")
    assert r.seeds == [0, 1, 2] and r.metrics == ["acc", "loss"] and len(r) == 3
    np.testing.assert_array_equal(r["acc"], [1.0, 2.0, 3.0])
    # by hand: mean 2, sample variance ((1)^2 + 0 + 1^2) / (3 - 1) = 1
    assert r.mean("acc") == 2.0 and r.std("acc") == 1.0
    assert r.band("acc") == (0.0, 4.0)
    assert r.std("loss") == pytest.approx(np.std([0.5, 0.4, 0.3], ddof=1))
    s = r.summary()
    assert s.columns == ["metric", "mean", "σ", "mean ± 2σ", "min", "max", "seeds"]
    assert s.records()[0] == {"metric": "acc", "mean": 2.0, "σ": 1.0, "mean ± 2σ": "2 ± 2",
                              "min": 1.0, "max": 3.0, "seeds": 3}
    assert "ddof=1" in s.title and s.title.startswith("base:")
    assert len(r.table()) == 3
    assert "<table" in r._repr_html_()


def test_run_seeds_errors():
    with pytest.raises(TypeError, match="must return a dict"):
        run_seeds(lambda s: 0.5, seeds=[0, 1])
    with pytest.raises(ValueError, match="same metrics"):
        run_seeds(lambda s: {"a": 1.0} if s == 0 else {"b": 1.0}, seeds=[0, 1])
    with pytest.raises(ValueError, match="distinct"):
        run_seeds(lambda s: {"a": 1.0}, seeds=[1, 1])
    with pytest.raises(TypeError, match="not a number"):
        run_seeds(lambda s: {"a": "high"}, seeds=[0, 1])
    with pytest.raises(ValueError, match="no seeds"):
        run_seeds(lambda s: {"a": 1.0}, seeds=[])


def test_compare_a_clear_difference():
    a = SeedResults(range(5), {"acc": [0.90, 0.91, 0.90, 0.92, 0.91]}, name="baseline")
    b = SeedResults(range(5), {"acc": [0.95, 0.96, 0.95, 0.97, 0.96]}, name="wider")
    c = compare(a, b, "acc")
    assert isinstance(c, Comparison)
    assert c.difference == pytest.approx(0.05)
    assert c.stds[0] == pytest.approx(np.std(a["acc"], ddof=1))
    assert c.bands[1] == pytest.approx((b.mean("acc") - 2 * b.std("acc"), b.mean("acc") + 2 * b.std("acc")))
    assert not c.overlap and c.significant and c.better == "wider"
    assert c.verdict.startswith("wider is better: its mean acc is higher by 0.05")
    assert "do not overlap over 5 seeds" in c.verdict
    assert c.p_value == pytest.approx(stats.ttest_ind(a["acc"], b["acc"], equal_var=False).pvalue)
    t = c.table()
    assert t.column("configuration") == ["baseline", "wider"] and "do not overlap" in t.title
    assert "Welch" in t.title
    # for a loss, lower is better
    la = SeedResults(range(3), {"val_loss": [0.30, 0.31, 0.32]})
    lb = SeedResults(range(3), {"val_loss": [0.20, 0.21, 0.22]})
    c = compare(la, lb, "val_loss", names=("A", "B"))
    assert c.better == "B" and "lower by 0.1" in c.verdict


def test_compare_a_difference_within_the_seed_spread_is_not_claimed():
    a = SeedResults(range(5), {"acc": [0.950, 0.970, 0.960, 0.940, 0.980]})
    b = SeedResults(range(5), {"acc": [0.962, 0.982, 0.972, 0.952, 0.992]})
    c = compare(a, b, "acc")
    assert c.difference == pytest.approx(0.012)
    assert c.overlap and not c.significant and c.better is None
    spread = 2 * np.std(a["acc"], ddof=1)
    assert spread == pytest.approx(0.0316, abs=1e-4)
    assert c.verdict == ("Not distinguishable with 5 seeds: the difference of the mean acc (0.012, B "
                         "higher than A) is smaller than the seed-to-seed spread (±0.0316), and the "
                         "mean ± 2σ bands overlap.")
    assert "<p>Not distinguishable" in c._repr_html_()


def test_compare_needs_two_seeds_and_seed_results():
    one = SeedResults([0], {"acc": [0.9]})
    two = SeedResults([0, 1], {"acc": [0.9, 0.8]})
    with pytest.raises(ValueError, match="at least 2 seeds"):
        compare(one, two, "acc")
    with pytest.raises(TypeError, match="SeedResults"):
        compare({"acc": [1, 2]}, two, "acc")
    with pytest.raises(KeyError, match="no metric 'loss'"):
        compare(two, two, "loss")


def test_a_real_experiment_is_reproducible_seed_by_seed():
    X, y = data.two_moons(120, noise=0.25, seed=0)
    Xv, yv = data.two_moons(120, noise=0.25, seed=1)

    def run(hidden):
        def make_and_train(seed):
            nnlearn.manual_seed(seed)
            model = nn.Sequential(nn.Linear(2, hidden), nn.Tanh(), nn.Linear(hidden, 2))
            train.fit(model, losses.cross_entropy, optim.Adam(model.parameters(), lr=0.03), (X, y), 15,
                      batch_size=20, seed=seed, progress=False)
            return train.evaluate(model, losses.cross_entropy, (Xv, yv), metrics=["accuracy"])
        return make_and_train

    r1 = run_seeds(run(8), seeds=range(3), name="8 units")
    r2 = run_seeds(run(8), seeds=range(3))
    np.testing.assert_array_equal(r1["accuracy"], r2["accuracy"])
    assert r1.std("loss") > 0                     # seeds do differ
    c = compare(r1, run_seeds(run(2), seeds=range(3), name="2 units"), "accuracy")
    assert c.names == ("8 units", "2 units") and isinstance(c.verdict, str)


def test_compare_between_one_and_two_spreads_says_more_seeds_would_help():
    a = SeedResults(range(3), {"acc": [0.89, 0.90, 0.91]})          # σ = 0.01
    b = SeedResults(range(3), {"acc": [0.92, 0.93, 0.94]})          # σ = 0.01, 0.03 higher
    c = compare(a, b, "acc")
    assert c.overlap and not c.significant                          # 0.02 < 0.03 <= 0.02 + 0.02
    assert c.verdict.startswith("Not clearly distinguishable with 3 seeds: B's mean acc is higher by 0.03")
    assert "can score alike" in c.verdict and "p = 0.021" in c.verdict
