"""Chapter 5's corrected claims and checked verdicts (review A1, A2, A12, C5; issue 13's
symmetry cell), re-derived here on both backends."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import nnlearn
from nnlearn import backend, data, init, losses, train
from nnlearn.course import init_experiments as ie
from nnlearn.exercises import get_exercise

BACKENDS = ["numpy", "torch"]


def test_tanh_gain_is_above_he_not_between_lecun_and_he():
    """A1: 5/3 on LeCun's std is Var = 25/(9n), more than He's 2/n."""
    gain = init.calculate_gain("tanh")
    assert gain == pytest.approx(torch.nn.init.calculate_gain("tanh")) == pytest.approx(5 / 3)
    assert gain > math.sqrt(2) and gain ** 2 == pytest.approx(25 / 9) and 25 / 9 > 2


def test_relu_gradients_shrink_by_sqrt2_per_layer_going_down_with_xavier():
    """A2: with Var(w) = 1/n the backward variance halves per ReLU layer (std / √2 going down)."""
    rng = np.random.default_rng(2)
    X, y = rng.standard_normal((300, 500)), rng.integers(0, 10, size=300)
    factors = {}
    for name in ("xavier", "he"):
        nnlearn.manual_seed(0)
        stats = train.layer_statistics(ie.mlp([500] * 6 + [10], "relu", name), X, y, losses.cross_entropy)
        g = [np.std(v) for v in stats.values("activation_gradient")]
        assert g[0] < g[-1] if name == "xavier" else True
        factors[name] = (g[-1] / g[0]) ** 0.25
    assert factors["xavier"] == pytest.approx(math.sqrt(2), rel=0.08)
    assert factors["he"] == pytest.approx(1.0, rel=0.08)


@pytest.mark.parametrize("name", BACKENDS)
def test_twins_stay_twins_early_and_zeros_never_move(name):
    X, y = data.spirals(n=300, classes=3, seed=0)
    with backend.use(name):
        t, spread = ie.spread_during_training(X, y, lambda w: init.constant_(w, 0.5), steps=20, every=20)
        assert spread[0] == 0.0 and spread[-1] <= 1e-9
        models, _ = ie.symmetry_runs(X, y, {"zeros": "zeros"}, steps=200)
        assert not np.any(models["zeros"][0].weight.numpy()) and not np.any(models["zeros"][2].weight.numpy())


def test_distinct_rows_and_row_spread():
    W = np.array([[1.0, 2.0], [1.0, 2.0 + 1e-9], [0.0, 1.0], [1.0, 2.0]])
    assert ie.distinct_rows(W, 0.0) == 3 and ie.distinct_rows(W, 1e-6) == 2
    assert ie.row_spread(W) == pytest.approx(1.0)
    from nnlearn.exercises.ch05 import distinct_rows
    rng = np.random.default_rng(0)
    for _ in range(20):
        inputs = get_exercise("5.7").inputs(rng)
        assert distinct_rows(**inputs) == ie.distinct_rows(inputs["W"], inputs["tol"])


def test_factorial_verdicts():
    """C5: only ReLU + He learns in 5 epochs; each factor alone shrinks the gradient ratio."""
    split, _ = train.standardized_split(*data.digits(), seed=0)
    design = {("sigmoid", "default"): None, ("sigmoid", "Xavier"): "xavier",
              ("relu", "default"): None, ("relu", "He"): "he"}
    f = ie.activation_init_factorial(split, design, [64] + [128] * 8 + [10], seeds=(0, 1, 2))
    acc = {c: f.mean_accuracy(*c) for c in design}
    assert [c for c, v in acc.items() if v > 0.5] == [("relu", "He")]
    assert max(v for c, v in acc.items() if c != ("relu", "He")) < 0.2
    r = {c: f.ratio(*c) for c in design}
    assert r["sigmoid", "default"] / r["sigmoid", "Xavier"] > 3 and r["relu", "default"] / r["relu", "He"] > 3
    assert r["sigmoid", "default"] / r["relu", "default"] > 1000 and r["sigmoid", "Xavier"] / r["relu", "He"] > 1000


def test_raw_inputs_stability_limit_and_crawl():
    """A12: every grid rate from 0.01 up is above the raw inputs' stability limit; below it GD crawls."""
    rng = np.random.default_rng(3)
    s1, s2 = rng.standard_normal((2, 400))
    s2 = 0.9 * s1 + math.sqrt(1 - 0.9 ** 2) * s2
    X_raw = np.column_stack([50 + 10 * s1, 5 + 1 * s2])
    logit = 3 * (s2 - s1) / math.sqrt(0.2) + 0.5
    y = (rng.random(400) < 1 / (1 + np.exp(-logit))).astype(float)[:, None]
    Xt = np.column_stack([X_raw, np.ones(400)])
    limit = 8 / np.linalg.eigvalsh(Xt.T @ Xt / 400)[-1]
    assert 1e-3 < limit < 0.01
    bce = losses.binary_cross_entropy_with_logits
    with backend.fork_rng(0):
        from nnlearn import nn
        unit = nn.Linear(2, 1)
    _, curve = ie.steps_to_loss(unit, bce, X_raw, y, lr=1e-3, target=0, max_steps=1000)
    assert np.all(np.isfinite(curve)) and curve[-1] > 0.5          # stable, but far from ≈ 0.34
    # r8c F1: the unit does not start where every y_n ≈ ½ (its logits are far from 0); the
    # bound's partner is the limit at the minimum, 2/λmax(H(w*)), a little above the bound
    # and below 0.01, where many predictions are near ½
    limits = ie.logistic_step_limits(X_raw, y)
    assert limits["bound"] == pytest.approx(limit)
    assert limit < limits["at_minimum"] < 3 * limit and limits["at_minimum"] < 0.01
    with backend.fork_rng(0):
        unit = nn.Linear(2, 1)
    start = np.asarray(unit(nnlearn.Tensor(X_raw))).ravel()
    assert np.min(np.abs(start)) > 2                               # every y_n far from ½
    # Newton's method has converged: more steps give the same limit
    lo = ie.logistic_step_limits(X_raw, y, iters=60)["at_minimum"]
    assert lo == pytest.approx(limits["at_minimum"], rel=1e-9)


def test_exercise_5_8_interval_is_welchs():
    from scipy import stats

    from nnlearn.exercises.ch05 import welch_interval

    a, b = np.array([0.90, 0.92, 0.91, 0.89, 0.93]), np.array([0.10, 0.13, 0.10, 0.11, 0.10])
    ci = stats.ttest_ind(a, b, equal_var=False).confidence_interval(0.95)
    w = welch_interval(a, b)
    assert w["lower"] == pytest.approx(ci.low) and w["upper"] == pytest.approx(ci.high)
    assert w["difference"] == pytest.approx(a.mean() - b.mean())


def test_top_sigmoid_layer_saturates_towards_zero_b8():
    """B8 (Glorot & Bengio's figure 2): the top hidden sigmoid layer is driven towards 0."""
    split, _ = train.standardized_split(*data.digits(), seed=0)
    for seed in (0, 1):
        m = ie.mean_activation_during_training(split, [64, 200, 200, 200, 200, 10], "sigmoid", "standard",
                                               epochs=10, lr=0.1, seed=seed)
        assert m.shape == (11, 4) and np.all(np.abs(m[0] - 0.5) < 0.02)
        assert m[-1, 3] < 0.2 and np.all(np.diff(m[:, 3]) < 0)      # falls every epoch
        assert m[:, :3].min() > 0.45 and m[:, :3].max() < 0.65     # the page: "between 0.45 and 0.65"


@pytest.mark.parametrize("name", BACKENDS)
def test_zero_start_output_biases_move_under_adam_but_loss_stays_ln3_rev56_1(name):
    """rev56 R56-1: from zeros the output biases' gradient is 0 only in exact arithmetic;
    Adam turns its rounding residue into real steps, so the biases do *not* stay at 0
    (the old text said they did), while every weight stays exactly 0 and the loss ends
    at ln 3 (softmax ignores the common shift)."""
    X, y = data.spirals(n=300, classes=3, seed=0)
    assert np.all(np.bincount(y) == 100)           # balanced: the exact gradient is 0
    with backend.use(name):
        models, _ = ie.symmetry_runs(X, y, {"zeros": "zeros"}, steps=1000, lr=0.05)
        model = models["zeros"]
        b2 = np.asarray(model[2].bias)
        loss = losses.cross_entropy(model(nnlearn.tensor(X)), nnlearn.tensor(y)).item()
        # the step-0 gradient of the output biases: zero to rounding, not exactly zero
        nnlearn.manual_seed(0)
        fresh = ie.mlp([2, 16, 3], "tanh", init="zeros")
        losses.cross_entropy(fresh(nnlearn.tensor(X)), nnlearn.tensor(y)).backward()
        g0 = np.asarray(fresh[2].bias.grad)
    assert not np.any(np.asarray(model[0].weight)) and not np.any(np.asarray(model[2].weight))
    assert np.abs(g0).max() < 1e-15
    assert np.ptp(b2) < 1e-2 and np.abs(b2).max() < 0.05
    assert abs(loss - math.log(3)) < 1e-6
    # the mechanism: for |g| far below eps, Adam's first step is (lr/eps)·g, an effective
    # learning rate of 5e6 (SGD's would be 0.05): far beyond the stability limit of the
    # biases' curvature (about 1/3), so the residue grows until the steps reach size lr
    p = nnlearn.nn.Parameter(nnlearn.tensor(np.zeros(1)))
    opt = nnlearn.optim.Adam([p], lr=0.05)
    (p * 1e-13).sum().backward()
    opt.step()
    assert abs(float(np.asarray(p)[0])) == pytest.approx(0.05 * 1e-13 / (1e-13 + 1e-8), rel=1e-6)


# --------------------------------------------------------------------------
# Review r2c (2026-12-06)
# --------------------------------------------------------------------------

@pytest.mark.parametrize("name", BACKENDS)
def test_twins_need_equal_biases_too_r2c_a1(name):
    """r2c A1: equal incoming and outgoing weights make twins only with equal biases. The same
    all-0.5 weights with nn.Linear's random biases give 16 different units at once; with the
    biases at 0 the units are twins (to 1e-9) after the same 20 Adam steps."""
    X, y = data.spirals(n=300, classes=3, seed=0)

    def train_20(bias_zero):
        nnlearn.manual_seed(0)
        model = ie.mlp([2, 16, 3], "tanh")                 # random default biases
        for lin in (model[0], model[2]):
            init.constant_(lin.weight, 0.5)
            if bias_zero:
                init.constant_(lin.bias, 0.0)
        opt = nnlearn.optim.Adam(model.parameters(), lr=0.05)
        for _ in range(20):
            opt.zero_grad()
            losses.cross_entropy(model(nnlearn.tensor(X)), nnlearn.tensor(y)).backward()
            opt.step()
        return model[0].weight

    with backend.use(name):
        random_bias, zero_bias = train_20(False), train_20(True)
    assert ie.distinct_rows(random_bias, 1e-6) == 16 and ie.row_spread(random_bias) > 0.1
    assert ie.distinct_rows(zero_bias, 1e-6) == 1 and ie.row_spread(zero_bias) < 1e-9


def test_zero_start_gives_no_weight_a_gradient_but_output_biases_one_r2c_a4():
    """r2c A4: from all-zero weights and biases no weight gets a gradient, but the output
    biases do when the classes are unbalanced: the gradient of the mean cross-entropy with
    respect to them is p̄ − ȳ = 1/3 − (class share), here (−1/15, −1/15, 2/15)."""
    X, y = data.spirals(n=300, classes=3, seed=0)
    keep = np.concatenate([np.where(y == 0)[0], np.where(y == 1)[0], np.where(y == 2)[0][:50]])
    X, y = X[keep], y[keep]
    nnlearn.manual_seed(0)
    model = ie.mlp([2, 16, 3], "tanh", init="zeros")
    losses.cross_entropy(model(nnlearn.tensor(X)), nnlearn.tensor(y)).backward()
    assert not np.any(np.asarray(model[0].weight.grad)) and not np.any(np.asarray(model[2].weight.grad))
    assert not np.any(np.asarray(model[0].bias.grad))
    share = np.bincount(y) / len(y)                                 # (0.4, 0.4, 0.2)
    np.testing.assert_allclose(np.asarray(model[2].bias.grad), 1 / 3 - share, atol=1e-15)
    np.testing.assert_allclose(1 / 3 - share, [-1 / 15, -1 / 15, 2 / 15], atol=1e-15)
    # and PyTorch agrees: a zero Linear-tanh-Linear has the same output-bias gradient
    t = torch.nn.Sequential(torch.nn.Linear(2, 16), torch.nn.Tanh(), torch.nn.Linear(16, 3)).double()
    for p in t.parameters():
        torch.nn.init.zeros_(p)
    torch.nn.functional.cross_entropy(t(torch.tensor(X)), torch.tensor(y)).backward()
    np.testing.assert_allclose(t[2].bias.grad.numpy(), np.asarray(model[2].bias.grad), atol=1e-15)


def test_exercise_5_5_options_are_balanced_r2c_c2():
    """r2c C2: the right option of 5.5 is no longer the one long, detailed option."""
    ex = get_exercise("5.5")
    lengths = {k: len(v) for k, v in ex.options.items()}
    assert ex.reference == "a"
    assert lengths["a"] < 1.6 * min(lengths.values())


def test_twins_split_on_torch_by_rounding_alone_r6c_f1():
    """r6c F1: the summary no longer says identical units stay identical 'forever'. Whether
    rounding splits the twin rows depends on the backend's kernels (on this machine numpy
    keeps them bit for bit alike and torch does not); wherever a split appears it starts in
    the last bits and grows to order 1 within 300 steps."""
    X, y = data.spirals(n=300, classes=3, seed=0)
    for name in BACKENDS:
        with backend.use(name):
            _, spread = ie.spread_during_training(X, y, lambda w: init.constant_(w, 0.5),
                                                  steps=300, every=10)
        spread = np.asarray(spread)
        if np.any(spread > 0):
            first = spread[np.argmax(spread > 0)]
            assert first < 1e-12 and spread[-1] > 0.5, name


def test_exercise_5_7_inputs_catch_every_slip_on_every_draw_r7c_a1_r9c_f1():
    """r7c A1, r9c F1, r10c A1: the checker's inputs had no unit differing from another in only some
    weights and no twins of a second unit, so 'every weight differs', np.allclose (with its
    relative tolerance) and 'compare with the first row only' passed on some checks. Now
    every declared slip gives a wrong count on every draw, and the slips that are easiest to
    confuse (every-weight, mean distance, allclose) give different counts from each other."""
    from nnlearn.exercises import ch05

    slips = [lambda W, tol: len(np.unique(W, axis=0)),
             lambda W, tol: ch05.distinct_rows(np.asarray(W).T, tol),
             ch05._rows_all_entries_differ, ch05._rows_allclose, ch05._rows_against_first,
             ch05._rows_mean_distance, ch05._rows_against_every_earlier,
             lambda W, tol: len(W) - ch05.distinct_rows(W, tol)]
    rng = np.random.default_rng(0)
    for _ in range(300):
        inputs = ch05._inputs_5_7(rng)
        right = ch05.distinct_rows(**inputs)
        assert all(f(**inputs) != right for f in slips)
        assert ch05._rows_all_entries_differ(**inputs) != ch05._rows_mean_distance(**inputs)
    ex = get_exercise("5.7")
    for slip in slips:
        assert ex.check(slip).status == "incorrect"


def test_exercise_5_7_counted_rows_not_every_earlier_row_r10c_a1():
    """r10c A1: the rule compares a row with the rows counted so far. On A, A + 0.7·tol,
    A + 1.4·tol the middle row is an uncounted twin of A and the last differs from A by more
    than tol: the reference counts 2, comparing with every earlier row counts 1."""
    from nnlearn.exercises import ch05

    tol = 1e-6
    A = np.array([0.5, -1.0, 2.0])
    e = np.array([tol, 0.0, 0.0])
    W = np.stack([A, A + 0.7 * e, A + 1.4 * e])
    assert ch05.distinct_rows(W, tol) == 2 and ch05._rows_against_every_earlier(W, tol) == 1
    r = get_exercise("5.7").check(ch05._rows_against_every_earlier)
    assert r.status == "incorrect" and "not with every earlier" in r.hint
