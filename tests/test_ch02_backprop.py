"""Chapter 2 (backpropagation by hand): the chapter's formulas and claims against
PyTorch autograd (float64), and nnlearn.course.compare, the tool the chapter checks with.

nnlearn.course.manual's own tests (tests/test_manual.py) already cover the MLP against
torch for every loss/activation pair, the slide-001 2-2-1 numbers, slide 002's
transposed form and the weight-decay gradient; this file covers what the chapter
adds on top."""

import math
import time

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch.overrides import TorchFunctionMode

from nnlearn import backend, manual

from nnlearn.course import compare
from nnlearn.course.timing import best_time
from nnlearn.exercises import ch02

BACKENDS = ["numpy", "torch"]
NBSP = "\u00a0"


def t64(a, grad=False):
    return torch.tensor(np.asarray(a, dtype=float), dtype=torch.float64, requires_grad=grad)


# ---------------------------------------------------------------------------
# nnlearn.course.compare
# ---------------------------------------------------------------------------

def test_max_abs_diff_values_and_shapes():
    assert compare.max_abs_diff([1.0, -2.0], [1.5, -4.0]) == 2.0
    assert compare.max_abs_diff(3.0, 3.0) == 0.0
    assert compare.max_abs_diff(torch.ones(2, 3), np.ones((2, 3))) == 0.0
    with pytest.raises(ValueError, match=r"shapes \(2, 3\) and \(3, 2\)"):
        compare.max_abs_diff(np.ones((2, 3)), np.ones((3, 2)))


def test_format_difference_rounds_up_to_a_bound():
    f = compare.format_difference
    assert f(0.0) == f(2e-17) == f"<{NBSP}10⁻¹³"
    assert f(3e-11) == f"<{NBSP}10⁻⁸"
    assert f(2e-6) == f"<{NBSP}10⁻⁴"
    assert f(0.0123) == "0.012"        # a real disagreement is shown as a number
    assert f(float("nan")) == "nan"
    assert f(5e-3, bounds=(1e-2,)) == f"<{NBSP}10⁻²"


def test_difference_table_layout_and_errors():
    ref = {"a": np.array([[1.0, 2.0]]), "b": 0.5}
    table = compare.difference_table(ref, {"m1": {"a": [[1.0, 2.5]], "b": 0.5}, "m2": {"b": 0.75}},
                                     exact=True)
    assert table.columns == ["quantity", "shape", "m1", "m2"]
    assert table.column("shape") == ["1×2", "scalar"]
    assert table.column("m1") == [0.5, 0.0]
    assert table.column("m2") == ["—", 0.25]
    with pytest.raises(ValueError, match="method 'm1' has quantity 'c'"):
        compare.difference_table(ref, {"m1": {"c": 1.0}})


def test_quantity_names():
    assert compare.quantity_names(2) == ["δ⁽¹⁾", "∂E/∂W⁽¹⁾", "∂E/∂b⁽¹⁾", "δ⁽²⁾", "∂E/∂W⁽²⁾", "∂E/∂b⁽²⁾"]
    assert compare.quantity_names(12, deltas=False)[-1] == "∂E/∂b⁽¹²⁾"


def _torch_reference(net, X, D):
    """Deltas and gradients of net's loss by plain torch code (independent of compare)."""
    Ws = [t64(backend.to_numpy(W), True) for W, _ in net.params]
    bs = [t64(backend.to_numpy(b), True) for _, b in net.params]
    act = {"tanh": torch.tanh, "relu": torch.relu, "sigmoid": torch.sigmoid, "identity": lambda u: u,
           "softmax": lambda u: torch.softmax(u, 1)}
    Z, Us = t64(X), []
    for W, b, f in zip(Ws, bs, net.activations):
        Us.append(Z @ W.T + b)
        Us[-1].retain_grad()
        Z = act[f](Us[-1])
    D = t64(D)
    N = len(D)
    E = {"squared": lambda: 0.5 * ((Z - D) ** 2).sum() / N,
         "log": lambda: -(D * torch.log(Z) + (1 - D) * torch.log(1 - Z)).sum() / N,
         "cross_entropy": lambda: -(D * torch.log(Z)).sum() / N}[net.loss_name]()
    E = E + net.weight_decay / 2 * sum((W ** 2).sum() for W in Ws)
    E.backward()
    out = {}
    for l, (U, W, b) in enumerate(zip(Us, Ws, bs), start=1):
        d, w, bb = compare.quantity_names(l)[-3:]
        out |= {d: U.grad.numpy(), w: W.grad.numpy(), bb: b.grad.numpy()}
    return out


CASES = [  # (sizes, hidden, output, loss, weight decay)
    ([3, 5, 2], "tanh", "identity", "squared", 0.0),
    ([4, 6, 5, 3], ["tanh", "relu"], "softmax", "cross_entropy", 0.0),
    ([3, 4, 2], "sigmoid", "sigmoid", "log", 0.1),
    ([3, 4, 2], "relu", "sigmoid", "squared", 0.05),     # an unmatched pair
]


@pytest.mark.parametrize("name", BACKENDS)
@pytest.mark.parametrize("sizes,hidden,output,loss,lam", CASES)
def test_every_method_of_mlp_quantities_matches_torch(name, sizes, hidden, output, loss, lam):
    X, D = compare.random_batch(loss, N=7, n_in=sizes[0], n_out=sizes[-1], seed=3)
    with backend.use(name):
        net = manual.MLP(sizes, activation=hidden, output=output, loss=loss, weight_decay=lam, seed=2)
        weights = [backend.to_numpy(W).copy() for W, _ in net.params]
        got = {m: compare.mlp_quantities(net, X, D, m) for m in compare.METHODS}
        for (W, _), W0 in zip(net.params, weights):   # finite differences restored the weights
            np.testing.assert_array_equal(backend.to_numpy(W), W0)
    ref = _torch_reference(net, X, D)
    assert set(got["manual"]) == set(ref)
    for method, values in got.items():
        tol = 1e-7 if method == "finite differences" else 1e-12
        if method in ("per-sample loop", "finite differences"):
            assert not any(q.startswith("δ") for q in values)
        for q, v in values.items():
            np.testing.assert_allclose(v, ref[q], rtol=tol, atol=tol, err_msg=f"{method}: {q}")
    assert max(np.abs(v).max() for v in ref.values()) > 1e-3


def test_compare_mlp_reports_agreement_and_catches_a_wrong_gradient():
    net = manual.MLP([3, 4, 2], activation="tanh", output="identity", loss="squared", seed=0)
    X, D = compare.random_batch("squared", N=5, n_in=3, n_out=2, seed=1)
    table = compare.compare_mlp(net, X, D)
    assert table.columns == ["quantity", "shape", "autodiff", "finite differences", "PyTorch"]
    assert set(table.column("autodiff")) == set(table.column("PyTorch")) == {f"<{NBSP}10⁻¹³"}
    assert set(table.column("finite differences")) == {"—", f"<{NBSP}10⁻⁸"}
    assert "N = 5" in table.title and "3-4-2" in table.title
    assert net.deltas is not None and net.dW is not None      # left with the manual pass
    # a gradient with the σ′ factor forgotten shows up as a number, not a bound
    wrong = compare.mlp_quantities(net, X, D)
    wrong["∂E/∂W⁽¹⁾"] = (net.delta[2] @ net.W[2]).T @ X
    cells = compare.difference_table(compare.mlp_quantities(net, X, D), {"wrong": wrong}).column("wrong")
    assert not cells[1].startswith("<") and float(cells[1]) > 1e-3
    with pytest.raises(ValueError, match="unknown method 'symbolic'"):
        compare.mlp_quantities(net, X, D, "symbolic")


def test_random_batch_targets_suit_the_loss():
    X, D = compare.random_batch("cross_entropy", N=9, n_in=2, n_out=4, seed=0)
    assert X.shape == (9, 2) and D.shape == (9, 4)
    np.testing.assert_array_equal(D.sum(axis=1), 1.0)
    _, D = compare.random_batch("log", N=50, n_in=2, n_out=3, seed=0)
    assert set(np.unique(D)) == {0.0, 1.0}
    with pytest.raises(ValueError, match="unknown loss 'hinge'"):
        compare.random_batch("hinge", 3, 2, 1)


# ---------------------------------------------------------------------------
# The chapter's derivations
# ---------------------------------------------------------------------------

def test_scalar_chain_by_hand_equals_torch():
    """σ(w2 σ(w1 x)) with E = ½(y − d)²: the deltas and both gradients, and the
    numbers the page prints."""
    x, w1, w2, d = 1.5, 0.8, -1.2, 1.0
    sig = lambda u: 1 / (1 + math.exp(-u))
    z1 = sig(w1 * x)
    y = sig(w2 * z1)
    delta2 = (y - d) * y * (1 - y)
    delta1 = delta2 * w2 * z1 * (1 - z1)
    W1, W2 = t64(w1, True), t64(w2, True)
    u1 = W1 * x
    u2 = W2 * torch.sigmoid(u1)
    u1.retain_grad(), u2.retain_grad()
    (0.5 * (torch.sigmoid(u2) - d) ** 2).backward()
    assert delta2 == pytest.approx(u2.grad.item(), rel=1e-14)
    assert delta1 == pytest.approx(u1.grad.item(), rel=1e-14)
    assert delta2 * z1 == pytest.approx(W2.grad.item(), rel=1e-14)
    assert delta1 * x == pytest.approx(W1.grad.item(), rel=1e-14)
    np.testing.assert_allclose([delta2, delta1, W2.grad.item(), W1.grad.item()],
                               [-0.145647, 0.031092, -0.111934, 0.046638], atol=5e-7)


def test_slide001_formula_value_on_the_page():
    """The page's numbers for slide 001's hidden gradient (without σ′(u⁽²⁾)) and ours."""
    W1, b1 = t64([[0.2, -0.3], [0.4, 0.5]], True), t64([0.1, -0.1], True)
    W2, b2 = t64([[-0.6, 0.7]], True), t64([0.2], True)
    x, d = t64([1.0, -2.0]), 1.0
    z = torch.sigmoid(W1 @ x + b1)
    y = torch.sigmoid(W2 @ z + b2)[0]
    (0.5 * (y - d) ** 2).backward()
    z, y = z.detach().numpy(), y.item()
    slide = (y - d) * 0.7 * z[1] * (1 - z[1]) * (-2.0)
    assert slide == pytest.approx(0.154757, abs=5e-7)
    assert W1.grad[1, 1].item() == pytest.approx(0.038689, abs=5e-7)
    assert W1.grad[1, 1].item() / slide == pytest.approx(y * (1 - y), rel=1e-12)


@pytest.mark.parametrize("loss,output", list(manual.MATCHED_PAIRS.items()))
def test_matched_pairs_all_give_Y_minus_D_over_N(loss, output):
    """∂E/∂U⁽ᴸ⁾ = (Y − D)/N for the three matched pairs, by torch autograd on the logits."""
    rng = np.random.default_rng(0)
    N, K = 6, 3
    U = t64(2 * rng.standard_normal((N, K)), True)
    _, D = compare.random_batch(loss, N=N, n_in=1, n_out=K, seed=1)
    Dt = t64(D)
    if loss == "squared":
        Y = U
        E = 0.5 * ((Y - Dt) ** 2).sum() / N
    elif loss == "log":
        Y = torch.sigmoid(U)
        E = F.binary_cross_entropy(Y, Dt, reduction="sum") / N
    else:
        Y = torch.softmax(U, dim=1)
        E = F.cross_entropy(U, Dt.argmax(dim=1))
    E.backward()
    np.testing.assert_allclose(U.grad.numpy(), (Y.detach().numpy() - D) / N, rtol=1e-12, atol=1e-15)


def test_unmatched_squared_sigmoid_has_the_extra_sigma_prime_factor():
    rng = np.random.default_rng(2)
    U = t64(3 * rng.standard_normal((5, 2)), True)
    D = rng.standard_normal((5, 2))
    Y = torch.sigmoid(U)
    (0.5 * ((Y - t64(D)) ** 2).sum() / 5).backward()
    y = Y.detach().numpy()
    np.testing.assert_allclose(U.grad.numpy(), (y - D) * y * (1 - y) / 5, rtol=1e-12)
    # the page's per-sample deltas at u = −8, −4, 0, 4 with d = 1
    u = np.array([-8.0, -4.0, 0.0, 4.0])
    y = 1 / (1 + np.exp(-u))
    np.testing.assert_allclose(y - 1, [-0.99966, -0.98201, -0.5, -0.01799], atol=5e-6)
    np.testing.assert_allclose((y - 1) * y * (1 - y), [-0.00034, -0.01735, -0.125, -0.00032], atol=5e-6)


def test_saturated_unit_escapes_much_later_with_the_squared_loss():
    """The page's training run of one sigmoid unit from u = −6, replayed with torch.optim.SGD."""
    first = {}
    for loss in ("log", "squared"):
        w, b = t64([-3.0], True), t64([-3.0], True)
        opt = torch.optim.SGD([w, b], lr=1.0)
        unit = manual.MLP.from_weights([([[-3.0]], [-3.0])], output="sigmoid", loss=loss)
        ys = []
        for _ in range(300):
            y = torch.sigmoid(w * 1.0 + b)
            assert unit.forward([[1.0]])[0, 0] == pytest.approx(y.item(), rel=1e-10, abs=1e-14)
            ys.append(y.item())
            E = 0.5 * (y - 1.0) ** 2 if loss == "squared" else -torch.log(y)
            opt.zero_grad()
            E.sum().backward()
            opt.step()
            unit.backward([[1.0]])
            unit.step(lr=1.0)
        first[loss] = next(t for t, v in enumerate(ys) if v > 0.5)
        assert (loss, round(ys[10], 4)) in {("log", 0.9343), ("squared", 0.0026)}
    assert first == {"log": 4, "squared": 214}


def test_bias_trick_gradient_of_bias_and_weights_together():
    """δᵀ[1 Z] is the gradient of [b W]: its first column is the column sum of δ."""
    net = manual.MLP([4, 6, 5, 3], activation=["tanh", "relu"], output="softmax",
                     loss="cross_entropy", seed=0)
    X, D = compare.random_batch("cross_entropy", N=8, n_in=4, n_out=3, seed=1)
    net.gradient(X, D)
    ref = _torch_reference(net, X, D)
    for l in (1, 2, 3):
        G = net.delta[l].T @ np.hstack([np.ones((8, 1)), net.Z[l - 1]])
        names = compare.quantity_names(l)[-3:]
        np.testing.assert_allclose(G[:, 0], ref[names[2]], rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(G[:, 1:], ref[names[1]], rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(G[:, 0], ref[names[0]].sum(axis=0), rtol=1e-12, atol=1e-15)


def test_relu_central_difference_at_zero_is_the_average_slope():
    f, fprime = manual.ACTIVATIONS["relu"]
    zero, h = np.array([0.0]), 1e-6
    assert ((f(zero + h) - f(zero - h)) / (2 * h))[0] == pytest.approx(0.5, rel=1e-9)
    assert fprime(zero, f(zero))[0] == 0.0


def test_torch_sgd_weight_decay_also_decays_biases_unless_grouped():
    """The page's note: SGD(weight_decay=λ) adds λθ to every parameter's gradient."""
    layer = torch.nn.Linear(2, 1).double()
    with torch.no_grad():
        layer.weight.fill_(0.5)
        layer.bias.fill_(2.0)
    lr, lam = 0.1, 0.3
    opt = torch.optim.SGD(layer.parameters(), lr=lr, weight_decay=lam)
    opt.zero_grad()
    (0.0 * layer(torch.zeros(1, 2, dtype=torch.float64))).sum().backward()   # zero loss gradient
    opt.step()
    assert layer.bias.item() == pytest.approx(2.0 * (1 - lr * lam), rel=1e-14)
    opt = torch.optim.SGD([{"params": [layer.weight]}, {"params": [layer.bias], "weight_decay": 0.0}],
                          lr=lr, weight_decay=lam)
    bias = layer.bias.item()
    opt.zero_grad()
    (0.0 * layer(torch.zeros(1, 2, dtype=torch.float64))).sum().backward()
    opt.step()
    assert layer.bias.item() == bias
    assert layer.weight[0, 0].item() == pytest.approx(0.5 * (1 - lr * lam) ** 2, rel=1e-14)


class _CountMatmul(TorchFunctionMode):
    def __init__(self):
        super().__init__()
        self.n = 0

    def __torch_function__(self, func, types, args=(), kwargs=None):
        if getattr(func, "__name__", "") in ("matmul", "__matmul__", "__rmatmul__"):
            self.n += 1
        return func(*args, **(kwargs or {}))


def test_per_sample_loop_evaluates_N_times_the_matrix_products():
    """Exercise 2.7's count: 3L − 1 products for the matrix form, N(3L − 1) for the loop."""
    N, sizes = 10, [20, 64, 64, 10]
    L = len(sizes) - 1
    X, D = compare.random_batch("cross_entropy", N=N, n_in=20, n_out=10, seed=0)
    with backend.use("torch"):
        net = manual.MLP(sizes, activation="relu", output="softmax", loss="cross_entropy", seed=8)
        with _CountMatmul() as matrix:
            net.gradient(X, D)
        with _CountMatmul() as loop:
            net.backward_per_sample(X, D)
    assert matrix.n == 3 * L - 1
    assert loop.n == N * (3 * L - 1)
    assert ch02.EXERCISES[6].id == "2.7"
    assert ch02.EXERCISES[6].reference() == 1000 * (3 * L - 1)


# ---------------------------------------------------------------------------
# nnlearn.course.timing
# ---------------------------------------------------------------------------

def test_best_time_is_the_fastest_run_per_call(monkeypatch):
    # A fake clock, so that the test asserts the arithmetic and never a real timing:
    # each call of fn advances it by the next duration.
    from nnlearn.course import timing

    now = [0.0]
    durations = iter([0.08, 0.08, 0.02, 0.02, 0.08, 0.08])   # seconds, call by call
    monkeypatch.setattr(timing.time, "perf_counter", lambda: now[0])

    def fn():
        now[0] += next(durations)

    t = best_time(fn, number=2, repeat=3)
    # runs of 2 calls: 0.16, 0.04, 0.16 s → best 0.04 s, i.e. 0.02 s per call
    # (the mean would give 0.06, forgetting to divide by number 0.04)
    assert t == pytest.approx(0.02, rel=1e-12)
    with pytest.raises(ValueError, match="number and repeat must be >= 1"):
        best_time(lambda: None, number=0)


def test_best_time_limits_the_blas_threads():
    from threadpoolctl import threadpool_info

    seen = []
    best_time(lambda: seen.append([p["num_threads"] for p in threadpool_info()]), threads=1)
    assert seen and all(n == 1 for calls in seen for n in calls)
    assert any(p["internal_api"] in ("openblas", "mkl", "blis") for p in threadpool_info())


# ---------------------------------------------------------------------------
# The exercises' references, against torch
# ---------------------------------------------------------------------------

def test_exercise_2_1_reference_and_solution_numbers():
    W1, b1 = t64(ch02.W1, True), t64(ch02.b1)
    W2, b2 = t64(ch02.W2), t64(ch02.b2)
    u1 = W1 @ t64(ch02.X_2_1) + b1
    u2 = (W2 @ torch.sigmoid(u1) + b2)[0]
    u2.retain_grad()
    y = torch.sigmoid(u2)
    (0.5 * (y - ch02.D_2_1) ** 2).backward()
    assert ch02.output_delta_2_1() == pytest.approx(u2.grad.item(), rel=1e-13)
    # the numbers of the book's solution
    np.testing.assert_allclose(u1.detach().numpy(), [-0.25, 0.85], atol=1e-15)
    np.testing.assert_allclose(torch.sigmoid(u1).detach().numpy(), [0.4378, 0.7006], atol=5e-5)
    assert (u2.item(), y.item(), u2.grad.item()) == pytest.approx((0.4277, 0.6053, 0.1446), abs=5e-5)


def test_exercise_2_2_backward_layer_reference():
    rng = np.random.default_rng(0)
    args = ch02._inputs_2_2(rng)
    U = t64(args["U"], True)
    U_next = torch.sigmoid(U) @ t64(args["W_next"]).T
    (U_next * t64(args["delta_next"])).sum().backward()     # ∂(·)/∂U_next = δ⁽ˡ⁺¹⁾
    np.testing.assert_allclose(ch02.backward_layer(**args), U.grad.numpy(), rtol=1e-12)


def test_exercise_2_3_layer_gradients_reference():
    rng = np.random.default_rng(1)
    args = ch02._inputs_2_3(rng)
    W = t64(rng.standard_normal((3, 4)), True)
    b = t64(rng.standard_normal(3), True)
    ((t64(args["Z_prev"]) @ W.T + b) * t64(args["delta"])).sum().backward()
    dW, db = ch02.layer_gradients(**args)
    np.testing.assert_allclose(dW, W.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(db, b.grad.numpy(), rtol=1e-12)


def test_exercise_2_4_softmax_ce_delta_reference():
    args = ch02._inputs_2_4(np.random.default_rng(2))
    U = t64(args["U"], True)
    F.cross_entropy(U, torch.tensor(args["labels"])).backward()
    np.testing.assert_allclose(ch02.softmax_ce_delta(**args), U.grad.numpy(), rtol=1e-12, atol=1e-15)


def test_exercise_2_6_ratio_reference():
    deltas = {}
    for loss in ("squared", "log"):
        u = t64(ch02.U_2_6, True)
        y = torch.sigmoid(u)
        (0.5 * (y - 1) ** 2 if loss == "squared" else -torch.log(y)).backward()
        deltas[loss] = u.grad.item()
    assert ch02.ratio_2_6() == pytest.approx(deltas["squared"] / deltas["log"], rel=1e-12)
    assert ch02.ratio_2_6() == pytest.approx(0.00665, abs=5e-6)
    assert 1 / ch02.ratio_2_6() == pytest.approx(150, abs=1)
    # r2a: the inverted ratio gets a hint that makes the learner reason, not "the inverse ratio"
    inverted = {e.id: e for e in ch02.EXERCISES}["2.6"].check(1 / ch02.ratio_2_6())
    assert inverted.status == "incorrect" and "inverse" not in inverted.hint
    assert "Which of the two deltas did you put on top?" in inverted.hint


# ---------------------------------------------------------------------------
# check_mlp: the one-line comparison the chapter uses after the first full table
# ---------------------------------------------------------------------------

def test_check_mlp_prints_only_the_bounds_and_raises_on_a_wrong_gradient(monkeypatch):
    net = manual.MLP([3, 4, 2], activation="tanh", output="identity", loss="squared", seed=0)
    X, D = compare.random_batch("squared", N=5, n_in=3, n_out=2, seed=0)
    line = compare.check_mlp(net, X, D)
    assert line == ("MLP 3-4-2, N = 5: all 6 deltas and gradients agree with the delta rule "
                    "(autodiff < 10⁻¹², finite differences < 10⁻⁷, PyTorch < 10⁻¹²) ✓")
    assert "all 4 gradients" in compare.check_mlp(net, X, D, deltas=False)
    real = compare.mlp_quantities

    def off_by_a_little(net, X, D, method="manual", deltas=True, h=1e-6):
        out = real(net, X, D, method, deltas, h)
        if method == "torch":
            out["∂E/∂W⁽²⁾"] = out["∂E/∂W⁽²⁾"] + 1e-9
        return out

    monkeypatch.setattr(compare, "mlp_quantities", off_by_a_little)
    with pytest.raises(AssertionError, match=r"PyTorch differs from the delta rule in ∂E/∂W⁽²⁾"):
        compare.check_mlp(net, X, D)


# ---------------------------------------------------------------------------
# Checking a gradient numerically: the section's claims and nnlearn.gradcheck's additions
# ---------------------------------------------------------------------------

def _chain():
    """The chapter's chain σ(w2 σ(w1 x)): E as a NumPy function of w = (w1, w2), and the exact gradient."""
    x, w1, w2, d = 1.5, 0.8, -1.2, 1.0
    W = t64([w1, w2], True)
    E = 0.5 * (torch.sigmoid(W[1] * torch.sigmoid(W[0] * x)) - d) ** 2
    E.backward()

    def E_np(w):
        z1 = 1 / (1 + np.exp(-w[0] * x))
        return 0.5 * (1 / (1 + np.exp(-w[1] * z1)) - d) ** 2
    return E_np, np.array([w1, w2]), W.grad.numpy()


def test_relative_error_is_scale_free_and_has_a_floor():
    from nnlearn.gradcheck import relative_error

    a, n = 0.0466378, 0.0466378 + 3e-11
    assert float(relative_error(1000 * a, 1000 * n)) == pytest.approx(float(relative_error(a, n)), rel=1e-9)
    assert float(relative_error(0.0, 0.0)) == 0.0
    np.testing.assert_allclose(relative_error([1.0, -2.0], [1.1, -2.0]), [0.1 / 1.1, 0.0])


def test_error_against_the_step_is_a_v_with_its_bottom_near_cube_root_of_epsilon():
    """The section's claims: slope 2 on the right (truncation), bottom near ε^(1/3), error
    of order ε^(2/3) there, float32 far worse than float64, nan where x ± h rounds to x."""
    from nnlearn.gradcheck import error_by_step

    E_np, w, exact = _chain()
    s64 = error_by_step(E_np, w.copy(), analytic=exact)
    s32 = error_by_step(E_np, w.astype(np.float32), analytic=exact)
    right = s64.steps >= 1e-3
    slope = np.polyfit(np.log(s64.steps[right]), np.log(s64.errors[right]), 1)[0]
    assert slope == pytest.approx(2.0, abs=0.05)
    assert s64.best_step in (1e-6, 1e-5)                      # ε^(1/3) ≈ 6e-6
    assert np.nanmin(s64.errors) < 1e-9                       # ε^(2/3) ≈ 4e-11
    assert all(e < 1e-8 for h, e in zip(s64.steps, s64.errors) if 1e-7 <= h <= 1e-4)
    assert s32.best_step in (1e-3, 1e-2)                      # ε^(1/3) ≈ 5e-3
    assert 1e-6 < np.nanmin(s32.errors) < 1e-3                # ε^(2/3) ≈ 2e-5
    assert np.isnan(s32.errors[-1]) and not np.isnan(s64.errors).any()


def test_error_by_step_takes_the_analytic_gradient_from_backward():
    import nnlearn
    from nnlearn.gradcheck import error_by_step

    x = nnlearn.Tensor([0.3, -1.2, 2.0], requires_grad=True)
    s = error_by_step(lambda t: (t.tanh() * t).sum(), x, steps=[1e-2, 1e-5])
    assert 1e-6 < s.errors[0] < 1e-3 and s.errors[1] < 1e-8     # truncation, then near the bottom
    assert x.grad is None                                      # left as it was
    with pytest.raises(ValueError, match="give the analytic gradient"):
        error_by_step(lambda a: float(a.sum()), np.ones(3))


def test_relu_kink_fails_the_check_although_the_backward_pass_is_right():
    import nnlearn
    from nnlearn.gradcheck import gradcheck

    relu_sum = lambda t: t.relu().sum()
    assert gradcheck(relu_sum, nnlearn.Tensor([0.0], requires_grad=True)) == pytest.approx(1.0)
    assert gradcheck(relu_sum, nnlearn.Tensor([4e-7], requires_grad=True)) == pytest.approx(0.3, rel=1e-6)
    assert gradcheck(relu_sum, nnlearn.Tensor([0.3], requires_grad=True)) < 1e-9


def test_gradcheck_sample_checks_k_random_entries_and_restores_them():
    import nnlearn
    from nnlearn import losses, nn
    from nnlearn.gradcheck import gradcheck_sample

    nnlearn.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 128), nn.Tanh(), nn.Linear(128, 10))
    X, D = compare.random_batch("cross_entropy", N=32, n_in=64, n_out=10, seed=0)
    X, labels = nnlearn.Tensor(X), D.argmax(axis=1)
    params = list(model.parameters())
    before = [backend.to_numpy(p.data).copy() for p in params]
    assert sum(int(np.prod(p.shape)) for p in params) == 9610
    f = lambda *ps: losses.cross_entropy(model(X), labels)
    check = gradcheck_sample(f, *params, k=5, seed=1, eps=1e-5)
    assert len(check.rows) == 20 and len({(r[0], r[1]) for r in check.rows}) == 20
    assert [r[0] for r in check.rows] == [0] * 5 + [1] * 5 + [2] * 5 + [3] * 5   # every array
    assert check.max_error < 1e-5                              # the page's verdict
    for p, b in zip(params, before):
        np.testing.assert_array_equal(backend.to_numpy(p.data), b)
        assert p.grad is None
    # the entries checked are autograd's: compare with torch on the same parameters
    Ws = [t64(b, True) for b in before]
    logits = torch.tanh(t64(backend.to_numpy(X.data)) @ Ws[0].T + Ws[1]) @ Ws[2].T + Ws[3]
    F.cross_entropy(logits, torch.tensor(labels)).backward()
    for i, idx, a, n, r in check.rows:
        assert a == pytest.approx(Ws[i].grad.numpy()[idx], rel=1e-10, abs=1e-15)
        assert n == pytest.approx(a, rel=1e-5, abs=1e-12)
    again = gradcheck_sample(f, *params, k=5, seed=1, eps=1e-5)
    assert [r[:2] for r in again.rows] == [r[:2] for r in check.rows]   # the seed fixes the entries
    assert "20 entries checked" in str(check.table())


def test_gradcheck_sample_checks_every_array_and_catches_a_bug_in_the_biases_only():
    """r2a A1: the page says a few random entries of *every* parameter array are checked.
    A backward pass wrong in the hidden bias only (value unchanged, gradient not) must fail
    for every seed; drawing 20 entries from all 9610 pooled missed it in 15 of 20 seeds."""
    import nnlearn
    from nnlearn import losses, nn
    from nnlearn.gradcheck import gradcheck_sample

    nnlearn.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 128), nn.Tanh(), nn.Linear(128, 10))
    X, D = compare.random_batch("cross_entropy", N=32, n_in=64, n_out=10, seed=0)
    X, labels = nnlearn.Tensor(X), D.argmax(axis=1)
    params = list(model.parameters())
    b1 = params[1]

    def buggy(*ps):
        s = (b1 * b1).sum() * 0.01
        return losses.cross_entropy(model(X), labels) + (s - s.detach())   # wrong ∂/∂b1 only

    right = lambda *ps: losses.cross_entropy(model(X), labels)
    for seed in range(20):
        bad = gradcheck_sample(buggy, *params, k=5, seed=seed, eps=1e-5)
        assert bad.max_error > 1e-3
        assert max(r[4] for r in bad.rows if r[0] != 1) < 1e-5        # only b1's rows fail
        assert gradcheck_sample(right, *params, k=5, seed=seed, eps=1e-5).max_error < 1e-5
    # k per input, capped at the input's size; an input without requires_grad is skipped
    a = nnlearn.Tensor(np.arange(3.0), requires_grad=True)
    c = nnlearn.Tensor(np.ones((4, 5)), requires_grad=True)
    k_rows = gradcheck_sample(lambda a, n, c: (a * a).sum() + (c * c).sum() * n.sum(),
                              a, nnlearn.Tensor([2.0]), c, k=4).rows
    assert [r[0] for r in k_rows] == [0, 0, 0, 2, 2, 2, 2]


def test_gradcheck_sample_catches_a_kink_and_caps_k():
    import nnlearn
    from nnlearn.gradcheck import gradcheck_sample

    u = nnlearn.Tensor([0.0, 0.5, -0.5], requires_grad=True)
    check = gradcheck_sample(lambda t: t.relu().sum(), u, k=10)
    assert len(check.rows) == 3 and check.max_error == pytest.approx(1.0)
    with pytest.raises(ValueError, match="nothing to check"):
        gradcheck_sample(lambda t: t.sum(), nnlearn.Tensor([1.0]))


# ---------------------------------------------------------------------------
# Claims of the chapter, corrected
# ---------------------------------------------------------------------------

def test_hidden_unit_factor_is_at_most_a_quarter_for_sigmoid_and_one_for_tanh():
    """A6: f′ ≤ ¼ for the sigmoid and ≤ 1 for tanh (equal to 1 only at u = 0), so tanh alone
    does not attenuate the gradient; the product over layers also contains the weights."""
    u = np.linspace(-6, 6, 12001)
    for name, bound in (("sigmoid", 0.25), ("tanh", 1.0)):
        f, fprime = manual.ACTIVATIONS[name]
        d = fprime(u, f(u))
        assert d.max() == pytest.approx(bound, abs=1e-12) and d.max() <= bound + 1e-15
        assert u[np.argmax(d)] == pytest.approx(0.0, abs=1e-9)
    # one tanh layer with large weights amplifies the delta, one with small weights shrinks it
    rng = np.random.default_rng(0)
    delta = rng.standard_normal((200, 50))
    U = 0.1 * rng.standard_normal((200, 50))                 # near u = 0: tanh′ ≈ 1
    tanh_prime = 1 - np.tanh(U) ** 2
    for scale, grows in ((3.0, True), (0.3, False)):
        W = scale * rng.standard_normal((50, 50)) / np.sqrt(50)
        back = (delta @ W) * tanh_prime
        assert (np.linalg.norm(back) > np.linalg.norm(delta)) == grows


def test_slide001_error_depends_on_the_sample():
    """C10: slide 001's hidden gradient is 1/(y(1−y)) times ours, ≈ 4 near y = ½ and much
    more for a confident output (the page's second network and sample)."""
    W1, b1 = np.array([[0.2, -0.3], [0.4, 0.5]]), np.array([0.1, -0.1])
    W2, b2 = np.array([[-0.6, 0.7]]), np.array([0.2])
    X, d = np.array([[1.0, -2.0], [-3.0, 4.0]]), np.array([1.0, 1.0])
    for k in (1, 5):
        net = manual.MLP.from_weights([(W1, b1), (k * W2, k * b2)], activation="sigmoid",
                                      output="sigmoid")
        r = manual.slide001_hidden_gradient(net, X, d)
        for n in range(2):
            Wt1, bt1 = t64(W1, True), t64(b1, True)
            y = torch.sigmoid(k * t64(W2) @ torch.sigmoid(Wt1 @ t64(X[n]) + bt1) + k * t64(b2))[0]
            (0.5 * (y - d[n]) ** 2).backward()
            assert r.ours[n] == pytest.approx(Wt1.grad[1, 1].item(), rel=1e-12)
            assert r.y[n] == pytest.approx(y.item(), rel=1e-14)
        np.testing.assert_allclose(r.ours / r.slide, r.y * (1 - r.y), rtol=1e-12)
    assert r.slide[1] / r.ours[1] == pytest.approx(19.79, abs=0.01)     # y ≈ 0.947
    with pytest.raises(ValueError, match="2-2-1"):
        manual.slide001_hidden_gradient(manual.MLP([2, 3, 1], seed=0), X, d)


def test_seed000_mini_network_global_derivatives():
    """B1: the local/global derivative table of seed 000's mini network (linear output,
    x₀ = z₀ = 1 bias inputs, g = tanh) against torch autograd and manual.MLP."""
    x0 = np.array([1.0, 0.5, -1.0])
    W_h = np.array([[0.1, 0.4, -0.3], [-0.2, 0.6, 0.2]])
    w_o = np.array([0.3, -0.5, 0.8])
    d = 1.0
    u = W_h @ x0
    z = np.r_[1.0, np.tanh(u)]
    y = w_o @ z
    delta = (y - d) * w_o[1:] * (1 - np.tanh(u) ** 2)              # ∂E/∂u_i = (y − d) w_i g′(u_i)
    Wh_t, wo_t = t64(W_h, True), t64(w_o, True)
    yt = wo_t @ torch.cat([torch.ones(1, dtype=torch.float64), torch.tanh(Wh_t @ t64(x0))])
    (0.5 * (yt - d) ** 2).backward()
    np.testing.assert_allclose(np.outer(delta, x0), Wh_t.grad.numpy(), rtol=1e-13)
    np.testing.assert_allclose((y - d) * z, wo_t.grad.numpy(), rtol=1e-13)
    net = manual.MLP.from_weights([(W_h[:, 1:], W_h[:, 0]), (w_o[None, 1:], w_o[:1])],
                                  activation="tanh", output="identity")
    (dW1, db1), (dW2, db2) = net.gradient(x0[None, 1:], [[d]])
    np.testing.assert_allclose(np.c_[db1, dW1], Wh_t.grad.numpy(), rtol=1e-13)
    np.testing.assert_allclose(np.r_[db2, dW2[0]], wo_t.grad.numpy(), rtol=1e-13)
    np.testing.assert_allclose(net.delta[2][0, 0], y - d, rtol=1e-13)   # linear output: δ = y − d


@pytest.mark.parametrize("name", BACKENDS)
def test_xor_training_by_hand_learns_on_every_backend(name):
    """The page's closing run: the loss falls by well over an order of magnitude and the
    training accuracy is at least 95% (the page glues the exact numbers of its run)."""
    import nnlearn

    with backend.use(name):
        X, labels = nnlearn.data.xor(200, noise=0.15, seed=0)
        net = manual.MLP([2, 4, 1], activation="tanh", output="sigmoid", loss="log", seed=0)
        first = net.loss(X, labels)
        for _ in range(1500):
            last = net.loss(X, labels)
            net.backward(labels)
            net.step(lr=0.5)
        acc = float(np.mean((backend.to_numpy(net.forward(X))[:, 0] > 0.5) == backend.to_numpy(labels)))
    assert first / last > 20
    assert acc >= 0.95


def test_no_stray_control_characters_in_the_chapters():
    """A1: a literal tab had eaten the backslash of \\top in a solution formula."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    files = [root / "book" / f for f in ("intro.md", "notation.md", "ch01_chain_rule.md",
                                         "ch02_backprop.md", "ch03_autodiff.md")]
    files += sorted((root / "notebooks").glob("0[0123]_*.md"))
    # r2a D7: the same slip in the docstrings of the helpers these pages call (\tfrac12)
    files += [root / "nnlearn" / f for f in ("gradcheck.py", "course/manual.py", "course/compare.py",
                                             "exercises/ch00.py", "exercises/ch01.py",
                                             "exercises/ch02.py")]
    for path in files:
        text = path.read_text()
        bad = [c for c in text if ord(c) < 32 and c != "\n"]
        assert not bad, f"{path.name} contains control characters {sorted(set(bad))!r}"
    assert r"\boldsymbol\delta^{(l)}_n\mathbf z^{(l-1)\top}_n" in (root / "book" / "ch02_backprop.md").read_text()


# ---------------------------------------------------------------------------
# The new exercises' references, against torch
# ---------------------------------------------------------------------------

def test_exercise_2_9_hidden_gradient_reference():
    W1 = t64(ch02.W1, True)
    z = torch.sigmoid(W1 @ t64(ch02.X_2_1) + t64(ch02.b1))
    y = torch.sigmoid(t64(ch02.W2) @ z + t64(ch02.b2))[0]
    (0.5 * (y - ch02.D_2_1) ** 2).backward()
    assert ch02.hidden_gradient_2_9() == pytest.approx(W1.grad[1, 1].item(), rel=1e-13)
    assert ch02.hidden_gradient_2_9() == pytest.approx(0.03185, abs=5e-6)      # the solution's number
    slide = ch02._hidden_2_9(sigma_prime_out=False)
    assert slide == pytest.approx(0.1333, abs=5e-5)
    assert slide / ch02.hidden_gradient_2_9() == pytest.approx(4.2, abs=0.05)


def test_exercise_2_10_two_layer_gradients_reference():
    args = ch02._inputs_2_10(np.random.default_rng(3))
    ts = {k: t64(v, k in ("W1", "b1", "W2", "b2")) for k, v in args.items()}
    Y = torch.tanh(ts["X"] @ ts["W1"].T + ts["b1"]) @ ts["W2"].T + ts["b2"]
    (0.5 * ((Y - ts["D"]) ** 2).sum() / len(args["X"])).backward()
    for got, name in zip(ch02.two_layer_gradients(**args), ("W1", "b1", "W2", "b2")):
        np.testing.assert_allclose(got, ts[name].grad.numpy(), rtol=1e-12, atol=1e-15)


def test_exercise_2_10_rejects_the_mse_loss_convention_r3a():
    """r3a-1: gradients of PyTorch's mse_loss (2/n_L times E's) are a wrong answer to 2.10; with
    n_L = 2 the factor was 1 and the checker passed them. Built here with torch's own mse_loss."""
    from nnlearn.exercises import get_exercise

    def with_mse_loss(X, D, W1, b1, W2, b2):
        ts = [t64(a, True) for a in (W1, b1, W2, b2)]
        Y = torch.tanh(t64(X) @ ts[0].T + ts[1]) @ ts[2].T + ts[3]
        F.mse_loss(Y, t64(D)).backward()
        return tuple(t.grad.numpy() for t in ts)

    args = ch02._inputs_2_10(np.random.default_rng(0))
    assert args["D"].shape[1] != 2                      # else mse_loss and E coincide
    ex = get_exercise("2.10")
    verdict, hint = ex.judge(with_mse_loss)[:2]
    assert verdict == "incorrect" and "mse_loss" in hint
    assert ex.judge(ch02.two_layer_gradients)[0] == "correct"


def test_exercise_2_11_central_difference_reference():
    from nnlearn.gradcheck import numerical_gradient

    rng = np.random.default_rng(4)
    for _ in range(5):
        args = ch02._inputs_2_11(rng)
        x = args["x"].copy()
        got = ch02.central_difference(args["f"], x, args["h"])
        np.testing.assert_array_equal(x, args["x"])               # restored
        ref = numerical_gradient(args["f"], args["x"].copy(), eps=args["h"])
        np.testing.assert_allclose(got, ref, rtol=1e-10, atol=1e-12)
        xt = t64(args["x"], True)
        f_t = {ch02._f_sin: lambda a: (torch.sin(a) * a).sum() * torch.cos(a.sum()),
               ch02._f_quartic: lambda a: (a ** 4).sum() / 4 + a.sum() ** 2}[args["f"]]
        f_t(xt).backward()
        np.testing.assert_allclose(got, xt.grad.numpy(), rtol=1e-6, atol=1e-8)


def test_exercise_2_12_max_at_a_tie():
    table = ch02.max_tie_table()
    assert table == pytest.approx({"max": 0.5, "max_dim": 1.0, "maximum": 0.5,
                                   "central_difference": 0.5}, abs=1e-9)


def test_exercise_2_8_summed_loss_with_weight_decay_is_the_mean_loss_with_lambda_over_N():
    net = manual.MLP([3, 4, 2], activation="tanh", output="identity", loss="squared", seed=1)
    X, D = compare.random_batch("squared", N=7, n_in=3, n_out=2, seed=2)
    lam, N = 0.3, 7
    colleague = [(N * dW + lam * backend.to_numpy(W), N * db)
                 for (dW, db), (W, _) in zip(net.gradient(X, D), net.params)]
    option_a = manual.MLP.from_weights(net.params, activation="tanh", output="identity",
                                       weight_decay=lam / N).gradient(X, D)
    for (cW, cb), (aW, ab) in zip(colleague, option_a):
        np.testing.assert_allclose(cW, N * np.asarray(aW), rtol=1e-12)
        np.testing.assert_allclose(cb, N * np.asarray(ab), rtol=1e-12)
    assert ch02.EXERCISES[7].id == "2.8" and ch02.EXERCISES[7].reference == "a"


def test_checkers_accept_the_solutions_rounded_as_the_questions_ask(capsys):
    """C7: 2.1 and 2.9 to 4 significant digits, 2.6 to 3, as the solutions print them;
    2.3 also with a (1, n) bias gradient (keepdims=True)."""
    ex = {e.id: e for e in ch02.EXERCISES}
    assert ex["2.1"].check(0.1446).status == "correct"
    assert ex["2.6"].check(0.00665).status == "correct"
    assert ex["2.9"].check(0.03185).status == "correct"
    assert ex["2.1"].check(0.1440).status == "incorrect"
    keepdims = lambda delta, Z_prev: (delta.T @ Z_prev, delta.sum(axis=0, keepdims=True))
    assert ex["2.3"].check(keepdims).status == "correct"


def test_softmax_output_delta_needs_the_jacobian_not_an_elementwise_derivative():
    """A2 (rev12): the box's δ⁽ᴸ⁾ = ∂E/∂Y ⊙ f′(U) holds for element-wise outputs only. For
    softmax, the Jacobian product Σ_k ∂E/∂y_k · y_k(1[k=j] − y_j) is PyTorch's gradient,
    and the element-wise product with y(1 − y) is not."""
    rng = np.random.default_rng(3)
    N, K = 5, 4
    U = t64(1.5 * rng.standard_normal((N, K)), True)
    labels = rng.integers(0, K, size=N)
    F.cross_entropy(U, torch.tensor(labels)).backward()
    Y = torch.softmax(U, dim=1).detach().numpy()
    D = np.eye(K)[labels]
    G = -D / Y / N                                                # ∂E/∂Y of the mean CE
    jacobian_form = np.einsum("nk,nk,nkj->nj", G, Y, np.eye(K)[None] - Y[:, None, :])
    elementwise = G * Y * (1 - Y)
    np.testing.assert_allclose(jacobian_form, U.grad.numpy(), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(jacobian_form, (Y - D) / N, rtol=1e-12, atol=1e-15)
    assert np.abs(elementwise - U.grad.numpy()).max() > 0.05
    # and manual.MLP's general form uses the Jacobian
    net = manual.MLP.from_weights([(np.eye(K), np.zeros(K))], output="softmax",
                                  loss="cross_entropy")
    net.forward(U.detach().numpy())
    np.testing.assert_allclose(np.asarray(net.output_delta(labels, form="general")),
                               U.grad.numpy(), rtol=1e-12, atol=1e-15)


def test_mistakes_typed_to_the_asked_precision_get_their_hint():
    """C1 (rev12): a number exercise with `digits` recognises a listed or generic mistake
    typed to that many significant digits, as it accepts the right answer so typed."""
    ex = {e.id: e for e in ch02.EXERCISES}
    slide = ch02._hidden_2_9(sigma_prime_out=False)
    assert f"{slide:.4g}" == "0.1333"                            # the number the solution quotes
    r = ex["2.9"].check(0.1333)
    assert r.status == "incorrect" and "slide 001's formula" in r.hint
    r = ex["2.1"].check(-float(f"{ch02.output_delta_2_1():.4g}"))  # sign flipped, 4 digits
    assert r.status == "incorrect" and "a sign or a constant factor" in r.hint
    r = ex["2.1"].check(float(f"{ch02._y:.4g}"))                   # ∂E/∂y only, 4 digits
    assert r.status == "incorrect" and "one more factor" in r.hint
    assert ex["2.9"].check(float(f"{ch02.hidden_gradient_2_9():.4g}")).status == "correct"
    assert ex["2.1"].check(0.145).status == "incorrect"           # 3 digits is not 4


def test_the_numbers_the_finite_difference_section_works_out_by_hand_r6a_d1():
    """r6a D1: the numbers ch02 derives by hand rather than in a cell: the best step
    ε^{1/3} ('about 6·10⁻⁶ in float64 and 5·10⁻³ in float32'), float32's floor ε^{2/3}
    ('≈ 2·10⁻⁵'), and the pooled draw's chance of touching the 10-entry output bias among
    9610 entries in 20 draws ('a 2% chance')."""
    eps64, eps32 = np.finfo(np.float64).eps, np.finfo(np.float32).eps
    assert f"{eps64:.1e}" == "2.2e-16" and f"{eps32:.1e}" == "1.2e-07"
    assert f"{eps64 ** (1 / 3):.0e}" == "6e-06" and f"{eps32 ** (1 / 3):.0e}" == "5e-03"
    assert f"{eps32 ** (2 / 3):.0e}" == "2e-05"
    assert 64 * 128 + 128 + 128 * 10 + 10 == 9610
    assert f"{1 - (1 - 10 / 9610) ** 20:.0%}" == "2%"


def test_exercise_2_7_is_graded_as_a_count_r8a_1():
    """r8a-1: 8000 is a count. A miscount never gets "keep more decimal places" or the
    generic sign-and-factor hint; 8000.0 is right, 8000.4 and 7999 are not."""
    from nnlearn.exercises import core

    ex = {e.id: e for e in ch02.EXERCISES}["2.7"]
    assert ex.check(8000).status == ex.check(8000.0).status == "correct"
    for wrong in (7999, 8001, 8000.4, 4000, 16000):
        r = ex.check(wrong)
        assert r.status == "incorrect", wrong
        assert r.hint not in (core._sentence(core.HINT_CLOSE), core._sentence(core.HINT_FACTOR))
    assert "Count each `@` once" in ex.check(16000).hint
