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
    assert s.columns == ["metric", "mean", "σ", "mean ± 2σ", "mean ± 2SE", "min", "max", "seeds",
                         "diverged"]
    rec = s.records()[0]
    assert rec["mean ± 2σ"] == "2 ± 2" and rec["mean ± 2SE"].startswith("2 ± 1.15")  # 2/√3
    assert {k: rec[k] for k in ("metric", "mean", "σ", "min", "max", "seeds", "diverged")} == {
        "metric": "acc", "mean": 2.0, "σ": 1.0, "min": 1.0, "max": 3.0, "seeds": 3, "diverged": 0}
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


def test_compare_needs_two_seeds_and_seed_results():
    one = SeedResults([0], {"acc": [0.9]})
    two = SeedResults([0, 1], {"acc": [0.9, 0.8]})
    with pytest.raises(ValueError, match="at least 2 finite runs"):
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


# --------------------------------------------------------------------------
# The statistics against scipy.stats and a hand computation
# --------------------------------------------------------------------------

from nnlearn import experiment
from nnlearn.experiment import NonFiniteWarning, bootstrap_difference, paired, welch


def test_welch_matches_scipy_and_the_hand_formula():
    a = np.array([0.90, 0.91, 0.90, 0.92, 0.91])
    b = np.array([0.93, 0.95, 0.92, 0.96, 0.94, 0.95])
    w = welch(a, b)
    ref = stats.ttest_ind(b, a, equal_var=False)
    assert w["t"] == pytest.approx(ref.statistic, rel=1e-12)
    assert w["p"] == pytest.approx(ref.pvalue, rel=1e-10)
    # by hand: SE² = s_a²/n_a + s_b²/n_b, Welch–Satterthwaite ν
    va, vb = a.var(ddof=1) / 5, b.var(ddof=1) / 6
    nu = (va + vb) ** 2 / (va**2 / 4 + vb**2 / 5)
    assert w["se"] == pytest.approx(np.sqrt(va + vb), rel=1e-14)
    assert w["df"] == pytest.approx(nu, rel=1e-12)
    ci = ref.confidence_interval(0.95)
    np.testing.assert_allclose(w["ci"], (ci.low, ci.high), rtol=1e-10)
    h = stats.t.ppf(0.975, nu) * np.sqrt(va + vb)
    np.testing.assert_allclose(w["ci"], (b.mean() - a.mean() - h, b.mean() - a.mean() + h), rtol=1e-12)


def test_paired_matches_scipy_and_the_hand_formula():
    a = np.array([0.50, 0.55, 0.47, 0.60, 0.52])
    b = np.array([0.52, 0.58, 0.48, 0.63, 0.53])
    p = paired(a, b)
    ref = stats.ttest_rel(b, a)
    assert p["t"] == pytest.approx(ref.statistic, rel=1e-12)
    assert p["p"] == pytest.approx(ref.pvalue, rel=1e-10)
    d = b - a                                     # 0.02 0.03 0.01 0.03 0.01
    assert p["difference"] == pytest.approx(0.02)
    # by hand: d has mean 0.02 and squared deviations 0, 1, 1, 1, 1 (×1e-4): s_d² = 1e-4
    assert p["se"] == pytest.approx(0.01 / np.sqrt(5), rel=1e-9)
    assert p["se"] == pytest.approx(d.std(ddof=1) / np.sqrt(5), rel=1e-13)
    assert p["df"] == 4
    ci = ref.confidence_interval(0.95)
    np.testing.assert_allclose(p["ci"], (ci.low, ci.high), rtol=1e-10)


def test_pairing_finds_a_consistent_small_gain_that_welch_cannot():
    base = np.array([0.80, 0.90, 0.85, 0.95, 0.88])       # seeds differ a lot
    a = SeedResults(range(5), {"acc": base}, name="A")
    b = SeedResults(range(5), {"acc": base + np.array([0.010, 0.012, 0.009, 0.011, 0.010])}, name="B")
    c = compare(a, b, "acc")                               # same seeds: paired
    assert c.test == "paired" and c.significant and c.better == "B"
    assert c.conclusion == "B is better" and c.overlap     # the band screen cannot see it
    w = compare(a, b, "acc", paired=False)
    assert w.test == "welch" and not w.significant and w.conclusion == "too close to call"
    assert w.p_value == pytest.approx(stats.ttest_ind(b["acc"], a["acc"], equal_var=False).pvalue)


def test_bootstrap_interval_by_hand_and_reproducible():
    a, b = np.array([1.0, 2.0, 3.0]), np.array([2.0, 3.0, 4.0, 5.0])
    lo, hi = bootstrap_difference(a, b, resamples=20_000, seed=1)
    assert (lo, hi) == bootstrap_difference(a, b, resamples=20_000, seed=1)
    # the difference of resampled means lies in [min b − max a, max b − min a] = [−1, 4]
    assert -1.0 <= lo < 1.5 < hi <= 4.0
    # exact enumeration of the paired bootstrap of d = (1, 1, 1) is degenerate: always 1
    assert bootstrap_difference(a, a + 1.0, paired=True) == (1.0, 1.0)
    # against scipy's percentile bootstrap of the mean difference
    ref = stats.bootstrap((a, b), lambda x, y, axis: np.mean(y, axis) - np.mean(x, axis),
                          method="percentile", n_resamples=20_000, random_state=0,
                          vectorized=True).confidence_interval
    assert lo == pytest.approx(ref.low, abs=0.1) and hi == pytest.approx(ref.high, abs=0.1)


def test_binomial_se_and_sign_test():
    # B5: 97.5% on 359 images: sqrt(.975 · .025 / 359) = 0.0082
    assert experiment.binomial_se(0.975, 359) == pytest.approx(0.00824, abs=1e-5)
    with pytest.raises(ValueError):
        experiment.binomial_se(1.5, 10)
    # 16 of 16 the same sign: 2 · 2⁻¹⁶, as scipy's binomial test
    assert experiment.sign_test(np.ones(16)) == pytest.approx(2 * 0.5**16)
    assert experiment.sign_test(np.ones(16)) == pytest.approx(stats.binomtest(16, 16).pvalue)
    assert experiment.sign_test([1, 1, -1, 1, 0, 1, 1]) == pytest.approx(stats.binomtest(5, 6).pvalue)


def test_compare_a_clear_difference_reports_both_quantities():
    a = SeedResults(range(5), {"acc": [0.90, 0.91, 0.90, 0.92, 0.91]}, name="baseline")
    b = SeedResults(range(5), {"acc": [0.95, 0.96, 0.96, 0.97, 0.96]}, name="wider")
    c = compare(a, b, "acc")
    assert isinstance(c, Comparison)
    assert c.difference == pytest.approx(0.052)
    assert c.stds[0] == pytest.approx(np.std(a["acc"], ddof=1))
    assert c.bands[1] == pytest.approx((b.mean("acc") - 2 * b.std("acc"), b.mean("acc") + 2 * b.std("acc")))
    assert c.bands_separate and c.significant and c.better == "wider"
    assert c.conclusion == "wider is better"
    assert c.verdict.startswith("wider is better with 5 seeds: wider's mean acc is higher than baseline's")
    assert "excludes 0" in c.verdict and "bands of single runs do not overlap" in c.verdict
    assert c.p_value == pytest.approx(stats.ttest_rel(b["acc"], a["acc"]).pvalue)
    t = c.table()
    assert t.column("configuration") == ["baseline", "wider"] and "do not overlap" in t.title
    assert "95% CI" in t.title and "bootstrap" in t.title
    # for a loss, lower is better
    la = SeedResults(range(3), {"val_loss": [0.30, 0.31, 0.32]})
    lb = SeedResults(range(3), {"val_loss": [0.20, 0.21, 0.22]})
    c = compare(la, lb, "val_loss", names=("A", "B"))
    assert c.better == "B" and c.verdict.startswith("B is better with 3 seeds: B's mean val_loss is lower than A's")
    c = compare(lb, la, "val_loss", names=("B", "A"))
    assert c.better == "B" and c.verdict.startswith("B is better with 3 seeds: A's mean val_loss is higher than B's")


def test_a_difference_within_the_noise_is_too_close_to_call():
    a = SeedResults(range(5), {"acc": [0.950, 0.970, 0.960, 0.940, 0.980]})
    b = SeedResults(range(5), {"acc": [0.962, 0.975, 0.958, 0.952, 0.992]})
    c = compare(a, b, "acc", paired=False)
    assert c.overlap and not c.significant and c.better is None
    assert c.conclusion == "too close to call"
    assert c.ci[0] < 0 < c.ci[1]
    assert c.verdict.startswith("Too close to call with 5 seeds")
    assert "contains 0" in c.verdict
    assert "<p>Too close to call" in c._repr_html_()


def test_the_verdict_never_uses_one_spread_only():
    # A11: the old sentence compared the difference with max(2σ_A, 2σ_B)
    a = SeedResults(range(3), {"acc": [0.89, 0.90, 0.91]})
    b = SeedResults(range(3), {"acc": [0.92, 0.93, 0.94]})
    c = compare(a, b, "acc", paired=False)
    assert "seed-to-seed spread (±" not in c.verdict and "either spread" not in c.verdict
    # Welch: t = 0.03 / sqrt(2 · 0.0001 / 3) = 3.67, ν = 4, p = 0.021: B is better
    assert c.t == pytest.approx(3.674, abs=1e-3) and c.df == pytest.approx(4.0)
    assert c.p_value == pytest.approx(0.0213, abs=1e-4)
    assert c.significant and c.overlap        # significant, though single runs overlap
    assert "single runs still overlap" in c.verdict


def test_the_band_rule_gets_stricter_with_more_seeds():
    # A4: non-overlapping bands with equal σ need |Δ| > 4σ, i.e. Welch t > 2·sqrt(2n)
    for n in (5, 20):
        z = np.linspace(-1, 1, n)
        z = (z - z.mean()) / z.std(ddof=1)
        a = SeedResults(range(n), {"acc": 0.5 + 0.01 * z})
        b = SeedResults(range(n), {"acc": 0.5 + 0.0401 + 0.01 * z})
        c = compare(a, b, "acc", paired=False)
        assert c.bands_separate
        assert c.t == pytest.approx(0.0401 / (0.01 * np.sqrt(2 / n)), rel=1e-9)
        assert c.t > 2 * np.sqrt(2 * n)


def test_diverged_seeds_are_counted_and_never_win():
    # reliability defect 3 (d03)
    a = SeedResults([0, 1, 2], {"val_loss": [0.50, 0.52, 0.51]}, name="A")
    b = SeedResults([0, 1, 2], {"val_loss": [0.49, float("nan"), 0.50]}, name="B")
    c = compare(a, b, "val_loss")                     # the reproducer: paired, 2 pairs left
    assert not c.significant and c.better is None and c.diverged == (0, 1)
    assert c.conclusion == "no verdict: runs diverged"
    one_left = SeedResults([0, 1, 2], {"val_loss": [0.49, float("nan"), float("nan")]})
    with pytest.raises(ValueError, match="at least 2 finite runs.*diverged"):
        compare(a, one_left, "val_loss")
    b = SeedResults([0, 1, 2, 3], {"val_loss": [0.49, float("nan"), 0.48, float("inf")]}, name="B")
    a = SeedResults([0, 1, 2, 3], {"val_loss": [0.50, 0.52, 0.51, 0.53]}, name="A")
    c = compare(a, b, "val_loss", paired=False)
    assert c.diverged == (0, 2) and c.n == (4, 2)
    assert not c.significant and c.better is None
    assert c.conclusion == "no verdict: runs diverged"
    assert c.verdict.startswith("No verdict: B diverged in 2 of 4 runs")
    assert "nan" not in c.verdict.lower().replace("nan or", "")
    assert b.diverged("val_loss") == [1, 3]
    np.testing.assert_array_equal(b.finite("val_loss"), [0.49, 0.48])
    assert b.summary().records()[0]["diverged"] == 2


def test_run_seeds_warns_on_non_finite_metrics():
    with pytest.warns(NonFiniteWarning, match="seed 1 returned a non-finite loss"):
        r = run_seeds(lambda s: {"loss": float("inf") if s == 1 else 0.1 * s}, seeds=[0, 1, 2], n_jobs=1)
    assert r.diverged("loss") == [1]


def test_interrupting_run_seeds_keeps_the_finished_seeds():
    # reliability defect 22 (d22)
    def f(s):
        if s == 3:
            raise KeyboardInterrupt
        return {"loss": float(s)}
    with pytest.raises(KeyboardInterrupt) as info:
        run_seeds(f, range(5), n_jobs=1, name="cut")
    kept = info.value.results
    assert kept.seeds == [0, 1, 2] and kept.name == "cut"
    np.testing.assert_array_equal(kept["loss"], [0.0, 1.0, 2.0])
    with pytest.raises(ZeroDivisionError) as info:
        run_seeds(lambda s: {"loss": 1 / (s - 2)}, range(5), n_jobs=1)
    assert info.value.results.seeds == [0, 1]


def test_interrupting_parallel_seeds_keeps_what_finished():
    def f(s):
        if s == 3:
            raise KeyboardInterrupt
        return {"loss": float(s)}
    with pytest.raises(KeyboardInterrupt) as info:
        run_seeds(f, range(4), n_jobs=2)
    kept = info.value.results
    assert kept is None or set(kept.seeds) <= {0, 1, 2}
    if kept is not None:
        np.testing.assert_array_equal(kept["loss"], kept.seeds)


def test_run_seeds_keeps_outputs_of_a_pair():
    r = run_seeds(lambda s: ({"loss": 0.5 + s}, f"model {s}"), seeds=[3, 4], n_jobs=1)
    assert r.outputs == ["model 3", "model 4"] and list(r["loss"]) == [3.5, 4.5]


# --------------------------------------------------------------------------
# The same numbers, seed for seed, whatever runs them
# --------------------------------------------------------------------------

_X, _Y = data.two_moons(160, noise=0.25, seed=0)


def _train_moons(seed):
    nnlearn.manual_seed(seed)
    model = nn.Sequential(nn.Linear(2, 12), nn.Tanh(), nn.Linear(12, 2))
    h = train.fit(model, losses.cross_entropy, optim.Adam(model.parameters(), lr=0.03), (_X, _Y), 6,
                  batch_size=20, seed=seed, progress=False)
    return {"loss": h["loss"][-1], "first": h["loss"][0]}


@pytest.fixture(scope="module")
def sequential_moons():
    return run_seeds(_train_moons, range(4), n_jobs=1)


def test_worker_processes_give_the_same_numbers(sequential_moons):
    loky = run_seeds(_train_moons, range(4), n_jobs=2)
    for k in ("loss", "first"):
        np.testing.assert_array_equal(loky[k], sequential_moons[k])
    assert sequential_moons.std("loss") > 0


def test_a_dask_cluster_gives_the_same_numbers(sequential_moons):
    # dask is pinned in requirements.txt (an optional dependency of the package): no skip here,
    # so that a missing install fails instead of passing silently
    import joblib
    from dask import distributed
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, distributed.Client(cluster):
        with joblib.parallel_config(backend="dask"):
            on_dask = run_seeds(_train_moons, range(4))
    for k in ("loss", "first"):
        np.testing.assert_array_equal(on_dask[k], sequential_moons[k])


def test_sign_test_refuses_what_has_no_sign():
    with pytest.raises(TypeError, match="differences must be numbers"):
        experiment.sign_test("abc")
    with pytest.raises(ValueError, match="nan"):
        experiment.sign_test([0.1, float("nan"), 0.2])
