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


def test_the_matrix_form_is_faster_than_the_loop():
    net = manual.MLP([10, 16, 16, 3], activation="relu", output="softmax", loss="cross_entropy", seed=0)
    X, D = compare.random_batch("cross_entropy", N=300, n_in=10, n_out=3, seed=0)
    loop = best_time(lambda: net.backward_per_sample(X, D), threads=1)
    matrix = best_time(lambda: net.gradient(X, D), number=3, threads=1)
    assert loop > 2 * matrix


# ---------------------------------------------------------------------------
# nnlearn.course.timing
# ---------------------------------------------------------------------------

def test_best_time_is_the_fastest_run_per_call():
    durations = iter([0.08, 0.08, 0.02, 0.02, 0.08, 0.08])   # seconds slept, call by call
    t = best_time(lambda: time.sleep(next(durations)), number=2, repeat=3)
    # runs of 2 calls: 0.16, 0.04, 0.16 s → best 0.04 s, i.e. 0.02 s per call
    # (the mean would give 0.06, forgetting to divide by number 0.04)
    assert 0.02 <= t < 0.035
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
