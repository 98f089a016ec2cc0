"""Chapter 6 (regularization and generalization): every formula and claim of the page,
checked against PyTorch (float64), finite differences or values derived by hand; and
``nnlearn.course.regularization``."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch

import nnlearn
from nnlearn import Tensor, backend, data, init, losses, nn, optim, train
from nnlearn.course import regularization as reg
from nnlearn.exercises import get_exercise
from nnlearn.train import predict

BACKENDS = ["numpy", "torch"]


def _net(M):
    return nn.Sequential(nn.Linear(1, M), nn.Tanh(), nn.Linear(M, 1))


def _torch_copy(model):
    """A float64 torch.nn.Sequential of Linear/Tanh with the same weights."""
    layers = []
    for m in model:
        if isinstance(m, nn.Linear):
            lin = torch.nn.Linear(m.in_features, m.out_features).double()
            with torch.no_grad():
                lin.weight.copy_(torch.from_numpy(m.weight.numpy()))
                lin.bias.copy_(torch.from_numpy(m.bias.numpy()))
            layers.append(lin)
        else:
            layers.append(torch.nn.Tanh())
    return torch.nn.Sequential(*layers)


# --------------------------------------------------------------------------
# Weight penalties
# --------------------------------------------------------------------------

@pytest.mark.parametrize("name", BACKENDS)
def test_l2_and_l1_penalties_match_pytorch_values_and_gradients(name):
    with backend.use(name):
        nnlearn.manual_seed(0)
        model = _net(5)
        ref = _torch_copy(model)
        lam = 0.3
        for ours, theirs in [
            (reg.l2_penalty, lambda m: 0.5 * lam * sum((p ** 2).sum() for p in m.parameters() if p.ndim >= 2)),
            (reg.l1_penalty, lambda m: lam * sum(p.abs().sum() for p in m.parameters() if p.ndim >= 2)),
        ]:
            model.zero_grad()
            ref.zero_grad()
            value = ours(model, lam)
            value.backward()
            expected = theirs(ref)
            expected.backward()
            assert float(value.item()) == pytest.approx(expected.item(), rel=1e-12)
            for mine, torch_layer in ((model[0], ref[0]), (model[2], ref[2])):
                np.testing.assert_allclose(backend.to_numpy(mine.weight.grad),
                                           torch_layer.weight.grad.numpy(), rtol=1e-12)
                assert mine.bias.grad is None          # biases are not penalized


def test_penalty_gradients_are_lambda_w_and_lambda_sign_w_by_finite_differences():
    nnlearn.manual_seed(1)
    model, lam, h = _net(4), 0.2, 1e-6
    for penalty, formula in [(reg.l2_penalty, lambda W: lam * W),
                             (reg.l1_penalty, lambda W: lam * np.sign(W))]:
        W = model[0].weight
        numeric = np.zeros(W.shape)
        for idx in np.ndindex(*W.shape):
            old = float(W.data[idx])
            W.data[idx] = old + h
            up = float(penalty(model, lam).item())
            W.data[idx] = old - h
            down = float(penalty(model, lam).item())
            W.data[idx] = old
            numeric[idx] = (up - down) / (2 * h)
        np.testing.assert_allclose(numeric, formula(W.numpy()), atol=1e-8)


def test_include_bias_penalizes_every_parameter_as_the_optimizers_do():
    nnlearn.manual_seed(0)
    model = _net(3)
    total = sum(float((p.numpy() ** 2).sum()) for p in model.parameters())
    assert float(reg.l2_penalty(model, 2.0, include_bias=True).item()) == pytest.approx(total)
    assert len(reg.weight_parameters(model)) == 2
    assert len(reg.weight_parameters(model, include_bias=True)) == 4


def test_batchnorm_parameters_are_not_weights():
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 1))
    assert [p.shape for p in reg.weight_parameters(model)] == [(4, 3), (1, 4)]


def test_penalty_arguments_are_checked():
    with pytest.raises(ValueError, match="weight_decay"):
        reg.l2_penalty(_net(2), -1.0)
    with pytest.raises(TypeError, match="Module"):
        reg.l1_penalty(np.ones(3), 0.1)


def test_weight_decay_groups_equal_the_l2_penalty_in_the_loss():
    X, d = data.sinusoid(10, seed=1, evenly_spaced=True)
    X, d = Tensor(X), Tensor(d)

    def run(use_groups):
        nnlearn.manual_seed(0)
        model = _net(6)
        params = reg.weight_decay_groups(model, 0.05) if use_groups else model.parameters()
        opt = optim.SGD(params, lr=0.1)
        for _ in range(20):
            opt.zero_grad()
            loss = 0.5 * losses.mse_loss(model(X), d)
            if not use_groups:
                loss = loss + reg.l2_penalty(model, 0.05)
            loss.backward()
            opt.step()
        return np.concatenate([p.numpy().ravel() for p in model.parameters()])

    np.testing.assert_allclose(run(True), run(False), rtol=0, atol=1e-14)


# --------------------------------------------------------------------------
# Weight decay: SGD coincides, Adam does not
# --------------------------------------------------------------------------

def _trajectory(opt_class, in_loss=0.0, in_optimizer=0.0, decoupled=0.0, lr=0.05, steps=60):
    X, d = data.sinusoid(10, seed=1, evenly_spaced=True)
    X, d = Tensor(X), Tensor(d)
    nnlearn.manual_seed(0)
    model = _net(10)
    opt = opt_class(model.parameters(), lr=lr, weight_decay=in_optimizer)
    for _ in range(steps):
        opt.zero_grad()
        loss = 0.5 * losses.mse_loss(model(X), d) + reg.l2_penalty(model, in_loss, include_bias=True)
        loss.backward()
        for p in model.parameters():
            p.data *= 1 - lr * decoupled
        opt.step()
    return np.concatenate([p.numpy().ravel() for p in model.parameters()])


def test_sgd_l2_in_loss_weight_decay_and_decoupled_decay_coincide():
    a = _trajectory(optim.SGD, in_loss=0.1)
    np.testing.assert_allclose(_trajectory(optim.SGD, in_optimizer=0.1), a, atol=1e-13)
    np.testing.assert_allclose(_trajectory(optim.SGD, decoupled=0.1), a, atol=1e-13)


def test_adam_l2_differs_from_decoupled_decay_which_is_adamw():
    a = _trajectory(optim.Adam, in_loss=0.1)
    np.testing.assert_allclose(_trajectory(optim.Adam, in_optimizer=0.1), a, atol=1e-13)
    decoupled = _trajectory(optim.Adam, decoupled=0.1)
    assert np.abs(decoupled - a).max() > 0.1
    np.testing.assert_allclose(_trajectory(optim.AdamW, in_optimizer=0.1), decoupled, atol=1e-13)


def test_adamw_and_adam_first_step_match_pytorch_and_exercise_6_8():
    got = {}
    for ours, theirs in ((optim.AdamW, torch.optim.AdamW), (optim.Adam, torch.optim.Adam)):
        theta = nn.Parameter(Tensor(np.array([2.0])))
        opt = ours([theta], lr=0.01, weight_decay=0.1)
        theta.grad = np.array([0.5])
        opt.step()
        t = torch.tensor([2.0], dtype=torch.float64, requires_grad=True)
        o = theirs([t], lr=0.01, weight_decay=0.1)
        t.grad = torch.tensor([0.5], dtype=torch.float64)
        o.step()
        assert float(theta.data[0]) == pytest.approx(t.item(), abs=1e-14)
        got[ours.__name__] = float(theta.data[0])
    assert got["AdamW"] == pytest.approx(get_exercise("6.8").reference, abs=1e-14)
    assert got["AdamW"] == pytest.approx(1.988, abs=1e-8)       # by hand: 2·0.999 − 0.01
    assert got["Adam"] == pytest.approx(1.99, abs=1e-8)         # the decay vanished in the normalization


# --------------------------------------------------------------------------
# Dropout
# --------------------------------------------------------------------------

def test_slide002_dropout_keeps_one_minus_keep_prob():
    rng, keep_prob = np.random.default_rng(0), 0.8
    inputs = np.full((1000, 100), 3.0)
    as_written = inputs * rng.binomial([np.ones_like(inputs)], (1 - keep_prob))[0] / (1 - keep_prob)
    corrected = inputs * rng.binomial(1, keep_prob, size=inputs.shape) / keep_prob
    assert np.mean(as_written != 0) == pytest.approx(0.2, abs=0.01)     # should have been 0.8
    assert np.mean(corrected != 0) == pytest.approx(0.8, abs=0.01)
    # both keep the expected value; the variance tells them apart: x²(1/k − 1)
    assert as_written.mean() == pytest.approx(3.0, abs=0.1)
    assert corrected.mean() == pytest.approx(3.0, abs=0.05)
    assert as_written.std() == pytest.approx(3 * math.sqrt(1 / 0.2 - 1), rel=0.02)
    assert corrected.std() == pytest.approx(3 * math.sqrt(1 / 0.8 - 1), rel=0.02)


@pytest.mark.parametrize("name", BACKENDS)
def test_inverted_dropout_train_and_eval(name):
    with backend.use(name):
        nnlearn.manual_seed(0)
        drop, x = nn.Dropout(0.2), Tensor(np.full((1000, 100), 3.0))
        y = backend.to_numpy(drop.train()(x).data)
        assert np.mean(y == 0) == pytest.approx(0.2, abs=0.01)
        assert set(np.unique(y)) == {0.0, 3.0 / 0.8}
        assert y.mean() == pytest.approx(3.0, abs=0.03)
        assert np.array_equal(backend.to_numpy(drop.eval()(x).data), backend.to_numpy(x.data))


def test_eval_network_is_the_normalized_geometric_mean_of_all_thinned_networks():
    nnlearn.manual_seed(3)
    small = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Dropout(0.5), nn.Linear(8, 3))
    x = np.array([[0.5, -1.0], [2.0, 0.3]])
    z = predict(small[:2], x)
    W, b = small[3].weight.numpy(), small[3].bias.numpy()
    masks = np.array(list(itertools.product([0.0, 1.0], repeat=8)))
    for row in range(len(x)):
        logits = (masks * z[row] / 0.5) @ W.T + b
        log_p = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
        g = np.exp(log_p.mean(axis=0))
        geometric = g / g.sum()
        evaluation = torch.softmax(torch.from_numpy(predict(small, x[row:row + 1])), dim=1).numpy()[0]
        np.testing.assert_allclose(evaluation, geometric, atol=1e-14)
        assert np.abs(np.exp(log_p).mean(axis=0) - evaluation).max() > 1e-6   # not the arithmetic mean


def test_dropout_average_is_exact_in_expectation_for_a_linear_output():
    # one dropout layer before a linear output: E over masks of the output = eval output
    nnlearn.manual_seed(0)
    model = nn.Sequential(nn.Linear(1, 6), nn.Tanh(), nn.Dropout(0.3), nn.Linear(6, 1))
    grid = np.linspace(0, 1, 5).reshape(-1, 1)
    mean, std = reg.dropout_average(model, grid, samples=4000)
    ev = predict(model, grid)
    assert np.all(np.abs(mean - ev) < 5 * std / math.sqrt(4000) + 1e-12)
    assert np.all(std > 0)
    assert model.training                      # modes restored
    assert all(m.training for m in model.modules())


def test_dropout_average_leaves_batchnorm_in_eval_and_restores_modes():
    model = nn.Sequential(nn.Linear(2, 4), nn.BatchNorm1d(4), nn.Dropout(0.5), nn.Linear(4, 1))
    model.eval()
    before = model[1].running_mean.numpy().copy()
    reg.dropout_average(model, np.ones((3, 2)), samples=5)
    np.testing.assert_array_equal(model[1].running_mean.numpy(), before)
    assert not any(m.training for m in model.modules())
    with pytest.raises(ValueError, match="no nn.Dropout"):
        reg.dropout_average(_net(2), np.ones((3, 1)))


# --------------------------------------------------------------------------
# Batch normalization
# --------------------------------------------------------------------------

@pytest.mark.parametrize("name", BACKENDS)
def test_batchnorm_forward_by_hand_and_pytorch(name):
    xb = np.array([[1.0, 10.0], [2.0, 20.0], [6.0, 60.0]])
    mu, var = xb.mean(axis=0), ((xb - xb.mean(axis=0)) ** 2).mean(axis=0)
    by_hand = (xb - mu) / np.sqrt(var + 1e-5)
    with backend.use(name):
        ours = backend.to_numpy(nn.BatchNorm1d(2)(Tensor(xb)).data)
    theirs = torch.nn.BatchNorm1d(2).double()(torch.from_numpy(xb)).detach().numpy()
    np.testing.assert_allclose(ours, by_hand, atol=1e-14)
    np.testing.assert_allclose(ours, theirs, atol=1e-12)
    np.testing.assert_allclose(ours[:, 0], ours[:, 1], atol=1e-5)   # the scale is removed


def test_batchnorm_standardizes_but_keeps_the_shape():
    rng = np.random.default_rng(0)
    h = np.maximum(rng.normal(0.5, 1.0, size=(256, 3)) * [1.0, 3.0, 0.2], 0.0)
    z = nn.BatchNorm1d(3)(Tensor(h)).numpy()

    def skewness(a):
        c = a - a.mean(axis=0)
        return (c ** 3).mean(axis=0) / (c ** 2).mean(axis=0) ** 1.5

    np.testing.assert_allclose(z.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(z.std(axis=0), np.sqrt(h.var(axis=0) / (h.var(axis=0) + 1e-5)), rtol=1e-10)
    np.testing.assert_allclose(skewness(z), skewness(h), rtol=1e-9)
    assert np.all(skewness(z) > 0.5)                                      # far from Gaussian (0)
    np.testing.assert_array_equal(z == z.min(axis=0), h == 0)            # the zeros stay tied


def test_running_statistics_follow_the_momentum_formula_and_match_pytorch():
    rng = np.random.default_rng(1)
    ours, theirs = nn.BatchNorm1d(4), torch.nn.BatchNorm1d(4).double()
    batches = [rng.normal(5.0, 3.0, size=(64, 4)) for _ in range(20)]
    mean = np.zeros(4)
    var = np.ones(4)
    for xb in batches:
        ours(Tensor(xb))
        theirs(torch.from_numpy(xb))
        mean = 0.9 * mean + 0.1 * xb.mean(axis=0)
        var = 0.9 * var + 0.1 * xb.var(axis=0, ddof=1)
    np.testing.assert_allclose(ours.running_mean.numpy(), mean, rtol=1e-12)
    np.testing.assert_allclose(ours.running_var.numpy(), var, rtol=1e-12)
    np.testing.assert_allclose(ours.running_mean.numpy(), theirs.running_mean.numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours.running_var.numpy(), theirs.running_var.numpy(), rtol=1e-12)
    # with no other change, the running mean after k batches of mean μ is μ(1 − 0.9^k)
    bn = nn.BatchNorm1d(1)
    for k in range(1, 6):
        bn(Tensor(np.array([[4.0], [6.0]])))
        assert float(bn.running_mean.numpy()[0]) == pytest.approx(5 * (1 - 0.9 ** k), rel=1e-12)


def test_eval_and_train_outputs_differ_until_running_stats_converge():
    rng = np.random.default_rng(1)
    bn = nn.BatchNorm1d(4)
    probe = rng.normal(5.0, 3.0, size=(64, 4))
    in_training = nn.BatchNorm1d(4)(Tensor(probe)).numpy()
    gaps = []
    for _ in range(3):
        gaps.append(np.abs(bn.eval()(Tensor(probe)).numpy() - in_training).max())
        for _ in range(20):
            bn.train()(Tensor(rng.normal(5.0, 3.0, size=(64, 4))))
    assert gaps[0] > 5 and gaps[1] < 1 and gaps[2] < 1


def test_batch_of_one_in_training_mode_raises_like_pytorch():
    bn = nn.BatchNorm1d(3)
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        bn.train()(Tensor(np.ones((1, 3))))
    with pytest.raises(ValueError):
        torch.nn.BatchNorm1d(3).train()(torch.ones(1, 3))
    assert bn.eval()(Tensor(np.ones((1, 3)))).shape == (1, 3)


# --------------------------------------------------------------------------
# Cross-validation
# --------------------------------------------------------------------------

@pytest.mark.parametrize("n,k", [(20, 5), (10, 10), (23, 4), (7, 2)])
def test_kfold_indices_partition_the_samples(n, k):
    folds = reg.kfold_indices(n, k, seed=0)
    assert len(folds) == k
    vals = np.concatenate([v for _, v in folds])
    assert sorted(vals.tolist()) == list(range(n))
    for tr, va in folds:
        assert set(tr.tolist()) | set(va.tolist()) == set(range(n))
        assert not set(tr.tolist()) & set(va.tolist())
    sizes = [len(v) for _, v in folds]
    from sklearn.model_selection import KFold
    assert sizes == [len(v) for _, v in KFold(k).split(np.zeros(n))]


def test_kfold_without_shuffle_is_contiguous_and_errors_are_clear():
    folds = reg.kfold_indices(6, 3, shuffle=False)
    assert [v.tolist() for _, v in folds] == [[0, 1], [2, 3], [4, 5]]
    with pytest.raises(ValueError, match="2 <= k <= n"):
        reg.kfold_indices(3, 5)


def test_cross_validate_calls_once_per_fold_and_averages():
    X = np.arange(10.0).reshape(-1, 1)
    y = 2 * X
    seen = []

    def fn(train_data, val_data):
        seen.append(len(val_data[0]))
        np.testing.assert_array_equal(train_data[1], 2 * train_data[0])
        return {"val mean": float(val_data[0].mean()), "n": len(train_data[0])}

    cv = reg.cross_validate(fn, X, y, k=5, seed=0)
    assert seen == [2] * 5
    assert cv.mean("val mean") == pytest.approx(4.5)        # every sample once: the overall mean
    assert cv.mean("n") == 8
    assert cv.std("n") == 0
    assert len(cv.table()) == 6
    with pytest.raises(KeyError):
        cv.values("missing")


# --------------------------------------------------------------------------
# The chapter's experiments (the settings of the page)
# --------------------------------------------------------------------------

def _train_full_batch(model, X, d, steps=5000, lr=0.02):
    opt = optim.Adam(model.parameters(), lr=lr)
    X, d = Tensor(X), Tensor(d)
    for _ in range(steps):
        opt.zero_grad()
        (0.5 * losses.mse_loss(model(X), d)).backward()
        opt.step()
    return model


def _rms(model, X, d):
    return float(np.sqrt(np.mean((predict(model, X) - d) ** 2)))


# --------------------------------------------------------------------------
# The exercises' references against nnlearn
# --------------------------------------------------------------------------

def test_exercise_references_agree_with_nnlearn():
    # 6.1: the penalty's gradient on a Linear with these parameters
    layer = nn.Linear(3, 2)
    layer.weight.data[...] = np.array([[0.5, -1.0, 2.0], [0.0, 1.5, -0.5]])
    layer.bias.data[...] = np.array([0.3, -0.2])
    model = nn.Sequential(layer)
    reg.l2_penalty(model, 0.1).backward()
    grad_b = np.zeros(2) if layer.bias.grad is None else layer.bias.grad
    np.testing.assert_allclose(np.hstack([layer.weight.grad, grad_b[:, None]]),
                               get_exercise("6.1").reference, atol=1e-15)
    # 6.2: the survivors of nn.Dropout(0.2)
    nnlearn.manual_seed(0)
    y = nn.Dropout(0.2)(Tensor(np.ones((10, 10)))).numpy()
    assert y.max() == pytest.approx(get_exercise("6.2").reference)
    # 6.6: BatchNorm1d(2, eps=0.01) with γ = (2, 1), β = (0, 1), and PyTorch
    X = np.array([[1.0, 4.0], [2.0, 0.0], [6.0, 2.0]])
    bn = nn.BatchNorm1d(2, eps=0.01)
    bn.weight.data[...] = np.array([2.0, 1.0])
    bn.bias.data[...] = np.array([0.0, 1.0])
    tbn = torch.nn.BatchNorm1d(2, eps=0.01).double()
    with torch.no_grad():
        tbn.weight.copy_(torch.tensor([2.0, 1.0]))
        tbn.bias.copy_(torch.tensor([0.0, 1.0]))
    np.testing.assert_allclose(bn(Tensor(X)).numpy(), get_exercise("6.6").reference, atol=1e-14)
    np.testing.assert_allclose(tbn(torch.from_numpy(X)).detach().numpy(), get_exercise("6.6").reference,
                               atol=1e-12)
    # 6.9: the running statistics of nnlearn's BatchNorm1d and PyTorch's
    ref = get_exercise("6.9").reference()
    bn, tbn = nn.BatchNorm1d(1), torch.nn.BatchNorm1d(1).double()
    for b in ([1.0, 3.0], [4.0, 6.0, 8.0]):
        bn.train()(Tensor(np.array(b)[:, None]))
        tbn.train()(torch.tensor(b, dtype=torch.float64)[:, None])
    for r in (float(bn.running_mean.numpy()[0]), float(tbn.running_mean[0])):
        assert r == pytest.approx(ref["running_mean"])
    assert float(tbn.running_var[0]) == pytest.approx(ref["running_var"])
    assert float(bn.running_var.numpy()[0]) == pytest.approx(ref["running_var"])
    assert float(bn.eval()(Tensor(np.array([[5.0]]))).numpy()[0, 0]) == pytest.approx(ref["eval_output"])
    # 6.10: the rule of train.EarlyStopping on a hand-made curve
    from nnlearn.exercises.ch06 import early_stopping_epochs
    assert early_stopping_epochs([1.0, 0.8, 0.79, 0.85, 0.78, 0.9], patience=2, min_delta=0.0) == (5, 6)
    assert early_stopping_epochs([1.0, 0.8, 0.79, 0.85, 0.78, 0.9], patience=2, min_delta=0.05) == (2, 4)
    # 6.7: simulate the L1 steps
    w, steps = 0.5, 0
    while w > 1e-12:
        w -= 0.1 * 0.01 * np.sign(w)
        steps += 1
    assert steps == round(get_exercise("6.7").reference)


def test_exercise_6_3_mistakes_are_told_apart_in_both_modes(capsys):
    ex = get_exercise("6.3")
    for _ in range(3):      # the training flag alternates between draws
        assert ex.check(ex.reference).status == "correct"
        ignores_mode = ex.mistakes[5].answer
        result = ex.check(ignores_mode)
        assert result.status == "incorrect" and ex.mistakes[5].hint in result.message


@pytest.mark.parametrize("name", BACKENDS)
def test_helpers_work_on_every_backend(name):
    with backend.use(name):
        b = backend.current()
        X = b.asarray(np.arange(12.0).reshape(6, 2))
        y = b.asarray(np.arange(6.0).reshape(6, 1))
        cv = reg.cross_validate(lambda tr, va: {"n": float(backend.to_numpy(va[1]).sum())}, X, y, k=3)
        assert sum(cv.values("n")) == pytest.approx(15.0)
        nnlearn.manual_seed(0)
        model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Dropout(0.5), nn.Linear(3, 1))
        mean, std = reg.dropout_average(model, X, samples=50)
        assert mean.shape == (6, 1) and np.all(np.isfinite(std))
        assert float(reg.l1_penalty(model, 1.0).item()) == pytest.approx(
            sum(np.abs(backend.to_numpy(p.data)).sum() for p in reg.weight_parameters(model)))
