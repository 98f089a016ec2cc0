"""nnlearn.course.manual: the hand-written delta rule against torch.autograd (float64),
nnlearn's own autodiff, finite differences and numbers worked by hand."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import nnlearn
from nnlearn import backend, manual

BACKENDS = ["numpy", "torch"]
HIDDEN = ["sigmoid", "tanh", "relu", "identity"]
# (loss, output, number of outputs); the last two are unmatched pairs
PAIRS = [
    ("squared", "identity", 3),
    ("log", "sigmoid", 2),
    ("cross_entropy", "softmax", 4),
    ("squared", "sigmoid", 2),
    ("squared", "tanh", 3),
]
TORCH_ACT = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu,
             "identity": lambda u: u, "softmax": lambda u: torch.softmax(u, dim=1)}


def data(K, loss, N=7, n0=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(N, n0))
    if loss == "cross_entropy":
        D = rng.integers(0, K, size=N)
    elif loss == "log":
        D = rng.integers(0, 2, size=(N, K)).astype(float)
    else:
        D = rng.normal(size=(N, K)) * 0.5
    return X, D


def torch_reference(net, X, D, weight_decay=0.0):
    """Loss, gradients and deltas of the same network by torch.autograd (float64)."""
    Ws = [torch.tensor(backend.to_numpy(W), requires_grad=True) for W, _ in net.params]
    bs = [torch.tensor(backend.to_numpy(b), requires_grad=True) for _, b in net.params]
    Z = torch.tensor(np.asarray(X, dtype=float))
    Us = []
    for l, (W, b) in enumerate(zip(Ws, bs), start=1):
        U = Z @ W.T + b
        U.retain_grad()
        Us.append(U)
        Z = TORCH_ACT[net.activations[l - 1]](U)
    N = Z.shape[0]
    if net.loss_name == "squared":
        E = F.mse_loss(Z, torch.tensor(D).reshape(Z.shape), reduction="sum") / (2 * N)
    elif net.loss_name == "log":
        E = F.binary_cross_entropy(Z, torch.tensor(D).reshape(Z.shape), reduction="sum") / N
    else:
        assert net.activations[-1] == "softmax"
        E = F.cross_entropy(Us[-1], torch.tensor(D))
    E = E + weight_decay / 2 * sum((W**2).sum() for W in Ws)
    E.backward()
    grads = [(W.grad.numpy(), b.grad.numpy()) for W, b in zip(Ws, bs)]
    return E.item(), grads, [U.grad.numpy() for U in Us]


def assert_grads_close(ours, ref, tol=1e-10):
    assert len(ours) == len(ref)
    for l, ((dW, db), (rW, rb)) in enumerate(zip(ours, ref), start=1):
        np.testing.assert_allclose(backend.to_numpy(dW), rW, rtol=tol, atol=tol,
                                   err_msg=f"dE/dW of layer {l}")
        np.testing.assert_allclose(backend.to_numpy(db), rb, rtol=tol, atol=tol,
                                   err_msg=f"dE/db of layer {l}")


@pytest.mark.parametrize("name", BACKENDS)
@pytest.mark.parametrize("loss,output,K", PAIRS)
@pytest.mark.parametrize("hidden", HIDDEN)
def test_manual_equals_torch_autograd(hidden, loss, output, K, name):
    X, D = data(K, loss)
    with backend.use(name):
        net = manual.MLP([3, 5, 4, K], activation=hidden, output=output, loss=loss, seed=1)
        E = net.loss(X, D)
        grads = net.gradient(X, D)
        assert backend.backend_of(grads[0][0]) == name
    E_ref, ref, deltas_ref = torch_reference(net, X, D)
    assert E == pytest.approx(E_ref, rel=1e-12)
    assert_grads_close(grads, ref)
    for l, (delta, r) in enumerate(zip(net.deltas, deltas_ref), start=1):
        np.testing.assert_allclose(backend.to_numpy(delta), r, rtol=1e-10, atol=1e-12,
                                   err_msg=f"delta of layer {l}")
    assert max(np.abs(r).max() for r, _ in ref) > 1e-4  # nonzero gradients were compared


@pytest.mark.parametrize("loss,output,K", PAIRS[:3])
def test_general_and_matched_output_delta_agree(loss, output, K):
    X, D = data(K, loss, N=9)
    net = manual.MLP([3, 4, K], activation="tanh", output=output, loss=loss, seed=2)
    net.forward(X)
    general = net.output_delta(D, form="general")
    matched = net.output_delta(D, form="matched")
    np.testing.assert_allclose(general, matched, rtol=1e-12, atol=1e-15)
    Dh = D if D.ndim == 2 else np.eye(K)[D]
    np.testing.assert_allclose(matched, (net.Z[-1] - Dh) / 9, rtol=1e-15)  # (Y − D)/N


def test_unmatched_pair_needs_general_form():
    X, D = data(2, "squared")
    net = manual.MLP([3, 4, 2], activation="tanh", output="sigmoid", loss="squared", seed=0)
    net.forward(X)
    with pytest.raises(ValueError, match="not a matched pair"):
        net.output_delta(D, form="matched")
    # the general form has the extra factor f'(U) = y(1 − y) that (Y − D)/N lacks
    Y = net.Z[-1]
    np.testing.assert_allclose(net.output_delta(D), (Y - D) * Y * (1 - Y) / len(X), rtol=1e-14)


def test_relu_derivative_at_zero_is_zero_like_torch():
    _, fprime = manual.ACTIVATIONS["relu"]
    u = np.array([-1.0, 0.0, 2.0])
    np.testing.assert_array_equal(fprime(u, np.maximum(u, 0)), [0.0, 0.0, 1.0])
    t = torch.tensor([0.0], dtype=torch.float64, requires_grad=True)
    torch.relu(t).backward()
    assert t.grad.item() == 0.0  # slide text 004's table says 1 at u = 0


def test_derivative_table_by_finite_differences():
    u = np.linspace(-3, 3, 13) + 0.05
    h = 1e-6
    for name, (f, fprime) in manual.ACTIVATIONS.items():
        numeric = (f(u + h) - f(u - h)) / (2 * h)
        np.testing.assert_allclose(fprime(u, f(u)), numeric, rtol=1e-7, atol=1e-9, err_msg=name)


@pytest.mark.parametrize("name", BACKENDS)
@pytest.mark.parametrize("loss,output,K", PAIRS)
def test_per_sample_loop_equals_vectorized(loss, output, K, name):
    X, D = data(K, loss, N=6)
    with backend.use(name):
        net = manual.MLP([3, 4, 3, K], activation="sigmoid", output=output, loss=loss,
                         weight_decay=0.03, seed=3)
        vectorized = [(backend.to_numpy(a).copy(), backend.to_numpy(b).copy())
                      for a, b in net.gradient(X, D)]
        looped = net.backward_per_sample(X, D)
    assert_grads_close(looped, vectorized, tol=1e-13)


@pytest.mark.parametrize("name", BACKENDS)
def test_weight_decay_regularizes_weights_not_biases(name):
    X, D = data(2, "log")
    lam = 0.1
    with backend.use(name):
        plain = manual.MLP([3, 5, 2], activation="relu", output="sigmoid", loss="log", seed=4)
        decayed = manual.MLP.from_weights(plain.params, activation="relu", output="sigmoid",
                                          loss="log", weight_decay=lam)
        g0, g1 = plain.gradient(X, D), decayed.gradient(X, D)
    for (dW0, db0), (dW1, db1), (W, _) in zip(g0, g1, plain.params):
        np.testing.assert_allclose(backend.to_numpy(dW1 - dW0), lam * backend.to_numpy(W), rtol=1e-12)
        np.testing.assert_array_equal(backend.to_numpy(db1), backend.to_numpy(db0))
    # the penalty whose gradient this is: (λ/2) Σ‖W‖², biases excluded
    E_ref, ref, _ = torch_reference(decayed, X, D, weight_decay=lam)
    assert decayed.loss(X, D) == pytest.approx(E_ref, rel=1e-12)
    assert_grads_close(g1, ref)
    penalty = lam / 2 * sum(float((backend.to_numpy(W) ** 2).sum()) for W, _ in plain.params)
    assert decayed.loss(X, D) - plain.loss(X, D) == pytest.approx(penalty, rel=1e-10)


def test_gradients_by_finite_differences():
    X, D = data(3, "squared", N=5)
    net = manual.MLP([3, 4, 3], activation="tanh", output="identity", loss="squared",
                     weight_decay=0.05, seed=5)
    grads = net.gradient(X, D)
    h = 1e-6
    for l in (1, 2):
        for arr, grad in ((net.W[l], grads[l - 1][0]), (net.b[l], grads[l - 1][1])):
            numeric = np.zeros_like(arr)
            for idx in np.ndindex(arr.shape):
                old = arr[idx]
                arr[idx] = old + h
                up = net.loss(X, D)
                arr[idx] = old - h
                down = net.loss(X, D)
                arr[idx] = old
                numeric[idx] = (up - down) / (2 * h)
            np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-9)


def test_class_labels_and_one_hot_give_the_same_gradients():
    X, labels = data(4, "cross_entropy")
    net = manual.MLP([3, 5, 4], activation="relu", output="softmax", loss="cross_entropy", seed=6)
    a = [(W.copy(), b.copy()) for W, b in net.gradient(X, labels)]
    b = net.gradient(X, np.eye(4)[labels])
    assert_grads_close(b, a, tol=1e-15)


def test_gradient_descent_steps_match_torch_sgd():
    X, D = data(1, "log", N=10)
    net = manual.MLP([3, 6, 1], activation="tanh", output="sigmoid", loss="log", seed=7)
    model = torch.nn.Sequential(torch.nn.Linear(3, 6), torch.nn.Tanh(), torch.nn.Linear(6, 1),
                                torch.nn.Sigmoid()).double()
    with torch.no_grad():
        for layer, (W, b) in zip([model[0], model[2]], net.params):
            layer.weight.copy_(torch.tensor(W))
            layer.bias.copy_(torch.tensor(b))
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    losses = []
    for _ in range(30):
        losses.append(net.loss(X, D))
        net.backward(D)
        net.step(0.5)
        opt.zero_grad()
        F.binary_cross_entropy(model(torch.tensor(X)), torch.tensor(D)).backward()
        opt.step()
    np.testing.assert_allclose(net.W[1], model[0].weight.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(net.b[2], model[2].bias.detach().numpy(), rtol=1e-10, atol=1e-12)
    assert losses[-1] < losses[0]


# ---------------------------------------------------------------------------
# Loading weights from other models
# ---------------------------------------------------------------------------

def test_from_linears_with_a_torch_model():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.ReLU(), torch.nn.Linear(5, 4),
                                torch.nn.Tanh(), torch.nn.Linear(4, 2), torch.nn.Sigmoid()).double()
    net = manual.MLP.from_linears(model, loss="squared")
    assert net.activations == ["relu", "tanh", "sigmoid"] and net.sizes == [3, 5, 4, 2]
    X, D = data(2, "squared")
    grads = net.gradient(X, D)
    model.zero_grad()
    (0.5 * ((model(torch.tensor(X)) - torch.tensor(D)) ** 2).sum(1).mean()).backward()
    ref = [(model[i].weight.grad.numpy(), model[i].bias.grad.numpy()) for i in (0, 2, 4)]
    assert_grads_close(grads, ref)
    # copies, not views
    net.W[1][0, 0] += 1.0
    assert model[0].weight[0, 0].item() != net.W[1][0, 0]


def test_from_linears_logits_model_with_softmax_output():
    torch.manual_seed(1)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Sigmoid(), torch.nn.Linear(4, 3)).double()
    net = manual.MLP.from_linears(model, loss="cross_entropy", output="softmax")
    X, labels = data(3, "cross_entropy")
    grads = net.gradient(X, labels)
    model.zero_grad()
    F.cross_entropy(model(torch.tensor(X)), torch.tensor(labels)).backward()
    assert_grads_close(grads, [(model[i].weight.grad.numpy(), model[i].bias.grad.numpy()) for i in (0, 2)])
    with pytest.raises(ValueError, match="ends with 'sigmoid'"):
        manual.MLP.from_linears(list(model) + [torch.nn.Sigmoid()], output="softmax")
    with pytest.raises(ValueError, match="cannot translate a Dropout"):
        manual.MLP.from_linears([torch.nn.Linear(2, 2), torch.nn.Dropout()])


def test_from_weights_checks_shapes():
    W1, b1 = np.zeros((4, 3)), np.zeros(4)
    with pytest.raises(ValueError, match=r"layer 2 has W of shape \(2, 5\)"):
        manual.MLP.from_weights([(W1, b1), (np.zeros((2, 5)), np.zeros(2))])
    net = manual.MLP.from_weights([(torch.ones(4, 3, requires_grad=True), torch.zeros(4)),
                                   (np.ones((1, 4)), [0.5])])
    assert net.sizes == [3, 4, 1]
    assert isinstance(net.W[1], np.ndarray)


@pytest.mark.parametrize("name", BACKENDS)
@pytest.mark.parametrize("loss,output,K", PAIRS)
@pytest.mark.parametrize("hidden", HIDDEN)
def test_manual_equals_nnlearn_autodiff(hidden, loss, output, K, name):
    """The same network through nnlearn's Tensor autodiff (nn.Sequential + losses)."""
    X, D = data(K, loss)
    N = X.shape[0]
    with backend.use(name):
        net = manual.MLP([3, 5, 4, K], activation=hidden, output=output, loss=loss, seed=8)
        model = net.to_sequential()  # ends with the logits when the output is softmax
        out = model(nnlearn.Tensor(X))
        if loss == "squared":
            E = nnlearn.losses.mse_loss(out, nnlearn.Tensor(D), reduction="sum") * (0.5 / N)
        elif loss == "log":
            E = nnlearn.losses.binary_cross_entropy(out, nnlearn.Tensor(D), reduction="sum") * (1 / N)
        else:
            E = nnlearn.losses.cross_entropy(out, nnlearn.Tensor(D))
        E.backward()
        grads = net.gradient(X, D)
        linears = [m for m in model if isinstance(m, nnlearn.nn.Linear)]
        ref = [(backend.to_numpy(m.weight.grad), backend.to_numpy(m.bias.grad)) for m in linears]
        assert E.item() == pytest.approx(net.loss(X, D), rel=1e-12)
        # and back: from_linears reads the same weights and activations
        again = manual.MLP.from_linears(model, loss=loss, output=output)
    assert again.activations == net.activations
    for (W, b), (W2, b2) in zip(net.params, again.params):
        np.testing.assert_array_equal(backend.to_numpy(W), backend.to_numpy(W2))
    assert_grads_close(grads, ref)
    assert_grads_close(grads, torch_reference(net, X, D)[1])


# ---------------------------------------------------------------------------
# Slide text 001: the 2-2-1 sigmoid network with biases, worked by hand
# ---------------------------------------------------------------------------

def sig(s):
    return 1 / (1 + np.exp(-s))


def test_slide001_two_two_one_network_by_hand():
    # w^h_{i,j}: input i → hidden j (i = 0 is the bias); w^o_{j,1}: hidden j → output
    x1, x2, y_star = 1.0, -2.0, 1.0
    wh = {(0, 1): 0.1, (1, 1): 0.2, (2, 1): -0.3, (0, 2): -0.1, (1, 2): 0.4, (2, 2): 0.5}
    wo = {0: 0.2, 1: -0.6, 2: 0.7}
    # forward, as on the slide
    z1 = sig(wh[0, 1] + wh[1, 1] * x1 + wh[2, 1] * x2)
    z2 = sig(wh[0, 2] + wh[1, 2] * x1 + wh[2, 2] * x2)
    y = sig(wo[0] + wo[1] * z1 + wo[2] * z2)
    L = 0.5 * (y - y_star) ** 2
    # backward: ∂L/∂s_o = (y − y*) σ'(s_o) = (y − y*) y (1 − y)
    d_out = (y - y_star) * y * (1 - y)
    dL_dwo = {0: d_out, 1: d_out * z1, 2: d_out * z2}
    dL_dwh22 = d_out * wo[2] * z2 * (1 - z2) * x2

    W1 = np.array([[wh[1, 1], wh[2, 1]], [wh[1, 2], wh[2, 2]]])
    b1 = np.array([wh[0, 1], wh[0, 2]])
    W2 = np.array([[wo[1], wo[2]]])
    b2 = np.array([wo[0]])
    net = manual.MLP.from_weights([(W1, b1), (W2, b2)], activation="sigmoid",
                                  output="sigmoid", loss="squared")
    assert net.loss([[x1, x2]], [[y_star]]) == pytest.approx(L, rel=1e-14)
    (dW1, db1), (dW2, db2) = net.backward([[y_star]])
    # numbers checked against torch.autograd (float64)
    assert z1 == pytest.approx(0.710949502625, abs=1e-12)
    assert z2 == pytest.approx(0.331812227832, abs=1e-12)
    assert y == pytest.approx(0.501424710621, abs=1e-12)
    assert L == pytest.approx(0.124288659590, abs=1e-12)
    np.testing.assert_allclose(dW2, [[-0.088614744014, -0.041358008581]], atol=1e-12)
    np.testing.assert_allclose(db2, [-0.124642810336], atol=1e-12)
    np.testing.assert_allclose(dW1, [[0.015368481499, -0.030736962999],
                                     [-0.019344440931, 0.038688881861]], atol=1e-12)
    np.testing.assert_allclose(db1, [0.015368481499, -0.019344440931], atol=1e-12)
    # ... and against the hand formulas
    np.testing.assert_allclose(dW2[0], [dL_dwo[1], dL_dwo[2]], rtol=1e-14)
    assert db2[0] == pytest.approx(dL_dwo[0], rel=1e-14)
    assert dW1[1, 1] == pytest.approx(dL_dwh22, rel=1e-14)
    _, ref, _ = torch_reference(net, np.array([[x1, x2]]), np.array([[y_star]]))
    assert_grads_close(net.grads, ref, tol=1e-14)


def test_slide001_hidden_formula_misses_the_output_sigmoid_derivative():
    """Erratum: slide text 001 writes ∂L/∂w^h_22 = ∂L/∂y · w^o_21 · ∂z2/∂s · ∂s/∂w^h_22,
    dropping σ'(s_o) = y(1 − y) between ∂L/∂y and w^o_21."""
    net = manual.MLP.from_weights([(np.array([[0.2, -0.3], [0.4, 0.5]]), np.array([0.1, -0.1])),
                                   (np.array([[-0.6, 0.7]]), np.array([0.2]))],
                                  activation="sigmoid", output="sigmoid", loss="squared")
    x, y_star = np.array([[1.0, -2.0]]), np.array([[1.0]])
    (dW1, _), _ = net.gradient(x, y_star)
    y, z2 = net.Z[2][0, 0], net.Z[1][0, 1]
    slide = (y - y_star[0, 0]) * 0.7 * z2 * (1 - z2) * x[0, 1]
    assert slide != pytest.approx(dW1[1, 1], rel=0.1)
    assert slide * y * (1 - y) == pytest.approx(dW1[1, 1], rel=1e-14)


# ---------------------------------------------------------------------------
# Slide text 002: transposed weights, tanh, G recursion
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", BACKENDS)
def test_slide002_convention_gives_the_transposed_gradients(name):
    X, Y = data(2, "squared", N=8)
    with backend.use(name):
        net = manual.MLP([3, 5, 4, 2], activation="tanh", output="identity", loss="squared", seed=9)
        grads = net.gradient(X, Y)
        out = manual.tanh_mlp_backward_slide002(X, Y, [W.T for W, _ in net.params],
                                                [b for _, b in net.params])
    N = X.shape[0]
    assert len(out.grads) == 3 and out.grads[0][1].shape == (1, 5)
    for (dW, db), (gW, gb) in zip(grads, out.grads):
        np.testing.assert_allclose(backend.to_numpy(gW), N * backend.to_numpy(dW).T, rtol=1e-12)
        np.testing.assert_allclose(backend.to_numpy(gb)[0], N * backend.to_numpy(db), rtol=1e-12)
    for k, delta in enumerate(net.deltas):  # G_k = N δ⁽ᵏ⁺¹⁾
        np.testing.assert_allclose(backend.to_numpy(out.G[k]), N * backend.to_numpy(delta), rtol=1e-12)
    # and against torch with the slide's own loss ½ ΣΣ (F − Y)²
    Ws = [torch.tensor(backend.to_numpy(W).T.copy(), requires_grad=True) for W, _ in net.params]
    bs = [torch.tensor(backend.to_numpy(b)[None, :], requires_grad=True) for _, b in net.params]
    A = torch.tensor(X)
    for W, b in zip(Ws[:-1], bs[:-1]):
        A = torch.tanh(A @ W + b)
    (0.5 * ((A @ Ws[-1] + bs[-1] - torch.tensor(Y)) ** 2).sum()).backward()
    for (gW, gb), W, b in zip(out.grads, Ws, bs):
        np.testing.assert_allclose(backend.to_numpy(gW), W.grad.numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(backend.to_numpy(gb), b.grad.numpy(), rtol=1e-10, atol=1e-12)


# ---------------------------------------------------------------------------
# Errors a student will see
# ---------------------------------------------------------------------------

def test_errors():
    with pytest.raises(ValueError, match="sizes must list"):
        manual.MLP([3])
    with pytest.raises(ValueError, match="unknown activation 'softplus'"):
        manual.MLP([2, 3, 1], activation="softplus")
    with pytest.raises(ValueError, match="2 hidden layers need 2 activations"):
        manual.MLP([2, 3, 3, 1], activation=["tanh"])
    with pytest.raises(ValueError, match="unknown loss"):
        manual.MLP([2, 1], loss="hinge")
    net = manual.MLP([2, 3, 1], seed=0)
    with pytest.raises(RuntimeError, match="call forward"):
        net.backward([[1.0]])
    with pytest.raises(ValueError, match=r"X has shape \(2,\), expected \(N, 2\)"):
        net.forward([1.0, 2.0])
    net.forward([[1.0, 2.0], [0.0, 1.0]])
    with pytest.raises(ValueError, match=r"targets D have shape \(3, 1\), expected \(2, 1\)"):
        net.backward([[1.0], [2.0], [3.0]])
    with pytest.raises(ValueError, match="form must be"):
        net.backward([1.0, 2.0], form="simplified")
    with pytest.raises(RuntimeError, match="compute the gradients first"):
        manual.MLP([2, 1], seed=0).step(0.1)


def test_repr_summary_and_seed():
    a = manual.MLP([2, 3, 1], seed=0)
    b = manual.MLP([2, 3, 1], seed=0)
    np.testing.assert_array_equal(a.W[1], b.W[1])
    assert np.abs(a.W[1]).max() <= 1 / np.sqrt(2)
    assert repr(a) == ("MLP(sizes=[2, 3, 1], activation='sigmoid', output='identity', "
                       "loss='squared', weight_decay=0.0)")
    a.gradient([[1.0, 2.0]], [[0.5]])
    text = str(a.summary())
    assert "δ⁽ˡ⁾" in text and "3×2" in text


def test_slide003_log_likelihood_sign():
    """Erratum: slide text 003 writes L = y log ŷ + (1 − y) log(1 − ŷ) (no minus sign) and
    derives δ = y − a from it; its algorithm then uses δ = a − y, the delta of the loss −L.
    With the slide's L, the update Θ ← Θ − η ∂L/∂Θ would *increase* the log loss."""
    W, b = np.array([[0.8, -0.4]]), np.array([0.1])
    x, y = np.array([[1.0, 2.0]]), np.array([[1.0]])
    net = manual.MLP.from_weights([(W, b)], output="sigmoid", loss="log")
    net.forward(x)
    a = net.Z[1][0, 0]
    delta = net.output_delta(y, form="general")[0, 0]
    assert delta == pytest.approx(a - y[0, 0], rel=1e-14)          # the algorithm's a − y
    u = torch.tensor(net.U[1][0, 0], requires_grad=True)
    slide_L = y[0, 0] * torch.log(torch.sigmoid(u)) + (1 - y[0, 0]) * torch.log(1 - torch.sigmoid(u))
    slide_L.backward()
    assert u.grad.item() == pytest.approx(y[0, 0] - a, rel=1e-12)  # the slide's y − a = −δ
    before = net.loss(x, y)
    net.backward(y)
    net.dW[1], net.db[1] = -net.dW[1], -net.db[1]                    # descend the slide's L
    net.step(0.5)
    assert net.loss(x, y) > before
