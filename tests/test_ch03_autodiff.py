"""Chapter 3's claims: forward vs reverse mode (Jacobians and operation counts), the
hand-derived batch-norm backward pass, and chapter 2's deltas as reverse-mode adjoints.

The slide 003/002 trace numbers are tested in tests/test_autodiff.py.
"""

import math

import numpy as np
import pytest
import torch

from nnlearn import Tensor, backend, manual, nn
from nnlearn.autodiff import Value, trace
from nnlearn.autodiff.modes import graph_size, jacobian_forward, jacobian_reverse, jvp, vjp
from nnlearn.course.batchnorm_manual import (batchnorm_backward, batchnorm_backward_compact,
                                      batchnorm_forward, graph_nodes)

BACKENDS = ["numpy", "torch"]
WITH_CUDA = BACKENDS + [pytest.param("cuda", marks=[
    pytest.mark.gpu,
    pytest.mark.skipif(not backend.cuda_is_available(), reason="needs a CUDA device")])]


# ------------------------------------------------------------------ test functions
def tanh_layer(W):
    """y_i = tanh(Σ_j W_ij x_j) with Value operations; |E| = m(3n − 1)."""
    def f(*x):
        out = []
        for row in W.tolist():
            u = row[0] * x[0]
            for w, xj in zip(row[1:], x[1:]):
                u = u + w * xj
            out.append(u.tanh())
        return out
    return f


def mixed(x1, x2, x3):
    """Three inputs, four outputs, fan-out, a shared intermediate and an output that is
    an intermediate of another output."""
    s = x1 * x2
    a = s.sin() + x3.exp()
    b = a * x1 - x2 / x3
    return [a, b, s.tanh(), (x1 * x1 + 1.0).log()]


def mixed_torch(x):
    x1, x2, x3 = x
    s = x1 * x2
    a = torch.sin(s) + torch.exp(x3)
    b = a * x1 - x2 / x3
    return torch.stack([a, b, torch.tanh(s), torch.log(x1 * x1 + 1.0)])


# ------------------------------------------------------------------ modes
def test_both_jacobians_match_torch_on_a_graph_with_fan_out():
    x = [0.7, -1.3, 0.4]
    ref = torch.autograd.functional.jacobian(mixed_torch, torch.tensor(x, dtype=torch.float64)).numpy()
    Jf, _ = jacobian_forward(mixed, x)
    Jr, _ = jacobian_reverse(mixed, x)
    np.testing.assert_allclose(Jf, ref, rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(Jr, ref, rtol=1e-13, atol=1e-14)


@pytest.mark.parametrize("n,m", [(1, 1), (5, 1), (1, 4), (7, 3), (30, 2)])
def test_tanh_layer_jacobian_and_counts(n, m):
    rng = np.random.default_rng(n * 10 + m)
    W, x = rng.normal(size=(m, n)), rng.normal(size=n)
    f = tanh_layer(W)
    edges = graph_size(f, x).edges
    assert edges == m * (3 * n - 1)                    # the chapter's formula for |E|
    Jf, ops_f = jacobian_forward(f, x)
    Jr, ops_r = jacobian_reverse(f, x)
    assert ops_f == n * edges and ops_r == m * edges   # n sweeps vs m sweeps of |E|
    ref = torch.autograd.functional.jacobian(lambda t: torch.tanh(torch.tensor(W) @ t),
                                             torch.tensor(x)).numpy()
    np.testing.assert_allclose(Jf, ref, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(Jr, ref, rtol=1e-12, atol=1e-14)


def test_counts_scale_linearly_with_n_forward_and_m_reverse():
    x = [0.7, -1.3, 0.4]
    size = graph_size(mixed, x)
    assert (size.inputs, size.outputs) == (3, 4)
    # s: 2, sin: 1, exp: 1, +: 2, a*x1: 2, x2/x3: 2, -: 2, tanh: 1, x1*x1: 2, +1: 1, log: 1
    assert size.edges == 17
    assert size.operations == 11
    assert jacobian_forward(mixed, x).multiply_adds == 3 * 17
    assert jacobian_reverse(mixed, x).multiply_adds == 4 * 17


def test_constants_are_not_edges():
    # 2 * x: one edge (x → product), the constant 2 is not differentiated
    assert graph_size(lambda x: 2 * x, [3.0]).edges == 1
    assert graph_size(lambda x: (2 * x).sin() + 1.0, [3.0]).edges == 3


def test_jvp_and_vjp_match_torch_for_general_seeds():
    x = torch.tensor([0.7, -1.3, 0.4], dtype=torch.float64)
    v = torch.tensor([0.5, -2.0, 1.5], dtype=torch.float64)
    u = torch.tensor([1.0, -0.5, 2.0, 0.25], dtype=torch.float64)
    _, ref_jvp = torch.autograd.functional.jvp(mixed_torch, x, v)
    _, ref_vjp = torch.autograd.functional.vjp(mixed_torch, x, u)
    sweep = jvp(mixed, x.tolist(), v.tolist())
    np.testing.assert_allclose(sweep.values, ref_jvp.numpy(), rtol=1e-13)
    assert sweep.multiply_adds == 17
    sweep = vjp(mixed, x.tolist(), u.tolist())
    np.testing.assert_allclose(sweep.values, ref_vjp.numpy(), rtol=1e-13)
    assert sweep.multiply_adds == 17


def test_scalar_vjp_is_the_gradient_of_the_slide003_function():
    def f(x1, x2):
        return x1.log() + x1 * x2 - x2.sin()
    g = vjp(f, [2.0, 5.0]).values
    assert g == pytest.approx([1 / 2 + 5, 2 - math.cos(5)], abs=1e-15)
    # one forward sweep per input gives the same numbers
    assert jvp(f, [2.0, 5.0], [1, 0]).values[0] == pytest.approx(g[0], abs=1e-15)
    assert jvp(f, [2.0, 5.0], [0, 1]).values[0] == pytest.approx(g[1], abs=1e-15)


def test_an_output_that_is_an_input_has_an_identity_row():
    J, ops = jacobian_reverse(lambda a, b: [a, a * b], [2.0, 3.0])
    assert J == [[1.0, 0.0], [3.0, 2.0]]
    J, _ = jacobian_forward(lambda a, b: [a, a * b], [2.0, 3.0])
    assert J == [[1.0, 0.0], [3.0, 2.0]]


def test_modes_explain_bad_arguments():
    with pytest.raises(TypeError, match="Value"):
        jacobian_forward(lambda x: 3.0, [1.0])
    with pytest.raises(ValueError, match="2 entries"):
        jvp(lambda a, b: a * b, [1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="at least one input"):
        jacobian_reverse(lambda: Value(1.0), [])


def test_seed000_product_read_from_either_end():
    # E = ½(σ(w2 σ(w1 x)) − d)²: left partial products are the adjoints, right ones the tangents
    def tiny_net(w1, w2, x, d):
        z1 = (w1 * x).sigmoid()
        return 0.5 * ((w2 * z1).sigmoid() - d) ** 2
    w1, w2, x, d = 0.8, -1.2, 1.5, 1.0
    t = trace(tiny_net, w1=w1, w2=w2, x=x, d=d)
    s = lambda u: 1 / (1 + math.exp(-u))
    u1 = w1 * x
    z1 = s(u1)
    u2 = w2 * z1
    y = s(u2)
    factors = [x, z1 * (1 - z1), w2, y * (1 - y), 1.0, 2 * (y - d), 0.5]   # ∂v_k/∂v_{k−1}, k = 1..7
    chain = t.variables[4:]                                                  # v1 … v7
    tangents = [r["value"] for r in t.tangent_table(wrt="w1").records()[4:-1]]
    for k in range(7):
        left = math.prod(factors[k + 1:])          # ∂E/∂v_k, read from the output end
        right = math.prod(factors[:k + 1])         # ∂v_k/∂w1, read from the input end
        assert t.adjoints[id(chain[k])] == pytest.approx(left, rel=1e-13)
        assert tangents[k] == pytest.approx(right, rel=1e-13)
    expected = (y - d) * y * (1 - y) * w2 * z1 * (1 - z1) * x
    assert t.gradients["w1"] == pytest.approx(expected, rel=1e-13)
    # the adjoint of u2 serves w2 too: ∂E/∂w2 = ū2 · z1
    assert t.gradients["w2"] == pytest.approx(t.adjoints[id(chain[2])] * z1, rel=1e-13)


def test_any_topological_order_gives_the_same_gradients():
    def slides(x1, x2):
        v1, v2, v3 = x1.log(), x1 * x2, x2.sin()
        return (v1 + v2) - v3
    def python(x1, x2):
        return x1.log() + x1 * x2 - x2.sin()
    a, b = trace(slides, x1=2, x2=5), trace(python, x1=2, x2=5)
    defs = lambda t: [str(d) for d in t.forward_table().column("definition")][2:-1]
    assert defs(a) == ["ln v₋₁", "v₋₁ × v₀", "sin v₀", "v₁ + v₂", "v₄ − v₃"]
    assert defs(b) == ["ln v₋₁", "v₋₁ × v₀", "v₁ + v₂", "sin v₀", "v₃ − v₄"]
    assert a.gradients == b.gradients and a.output == b.output


# ------------------------------------------------------------------ batch norm by hand
def _bn_torch(x, gamma, beta, g, eps):
    xt = torch.tensor(x, requires_grad=True)
    gt = torch.tensor(gamma, requires_grad=True)
    bt = torch.tensor(beta, requires_grad=True)
    y = torch.nn.functional.batch_norm(xt, None, None, gt, bt, training=True, eps=eps)
    y.backward(torch.tensor(g))
    return y.detach().numpy(), xt.grad.numpy(), gt.grad.numpy(), bt.grad.numpy()


@pytest.mark.parametrize("name", WITH_CUDA)
@pytest.mark.parametrize("shape", [(2, 1), (5, 3), (16, 4), (64, 2), (4, 3, 5)])
@pytest.mark.parametrize("eps", [1e-5, 0.1])
def test_batchnorm_manual_matches_torch(name, shape, eps):
    rng = np.random.default_rng(sum(shape))
    x = rng.normal(1.5, 3.0, size=shape)
    g = rng.normal(size=shape)
    gamma, beta = rng.normal(size=shape[1]), rng.normal(size=shape[1])
    y_ref, dx_ref, dg_ref, db_ref = _bn_torch(x, gamma, beta, g, eps)
    with backend.use(name):
        b = backend.current()
        y, cache = batchnorm_forward(b.asarray(x), b.asarray(gamma), b.asarray(beta), eps=eps)
        assert backend.backend_of(y) == name
        np.testing.assert_allclose(backend.to_numpy(y), y_ref, atol=1e-10, rtol=0)
        for backward in (batchnorm_backward, batchnorm_backward_compact):
            dx, dgamma, dbeta = backward(b.asarray(g), cache)
            assert tuple(dx.shape) == shape and tuple(dgamma.shape) == (shape[1],)
            np.testing.assert_allclose(backend.to_numpy(dx), dx_ref, atol=1e-10, rtol=0)
            np.testing.assert_allclose(backend.to_numpy(dgamma), dg_ref, atol=1e-10, rtol=0)
            np.testing.assert_allclose(backend.to_numpy(dbeta), db_ref, atol=1e-10, rtol=0)


@pytest.mark.parametrize("name", BACKENDS)
@pytest.mark.parametrize("shape", [(8, 3), (3, 2, 4)])
def test_batchnorm_manual_matches_nnlearn_batchnorm1d_autodiff(name, shape):
    rng = np.random.default_rng(7)
    x, g = rng.normal(-1.0, 2.0, size=shape), rng.normal(size=shape)
    gamma, beta = rng.normal(size=shape[1]), rng.normal(size=shape[1])
    with backend.use(name):
        b = backend.current()
        bn = nn.BatchNorm1d(shape[1])
        bn.weight.data = b.asarray(gamma)
        bn.bias.data = b.asarray(beta)
        xt = Tensor(x, requires_grad=True)
        y_auto = bn(xt)
        y_auto.backward(b.asarray(g))
        y, cache = batchnorm_forward(b.asarray(x), b.asarray(gamma), b.asarray(beta), eps=bn.eps)
        dx, dgamma, dbeta = batchnorm_backward(b.asarray(g), cache)
        tn = backend.to_numpy
        np.testing.assert_allclose(tn(y), tn(y_auto.data), atol=1e-10, rtol=0)
        np.testing.assert_allclose(tn(dx), tn(xt.grad), atol=1e-10, rtol=0)
        np.testing.assert_allclose(tn(dgamma), tn(bn.weight.grad), atol=1e-10, rtol=0)
        np.testing.assert_allclose(tn(dbeta), tn(bn.bias.grad), atol=1e-10, rtol=0)


def test_batchnorm_manual_matches_finite_differences():
    rng = np.random.default_rng(3)
    x, g = rng.normal(size=(6, 2)), rng.normal(size=(6, 2))
    gamma, beta = np.array([1.5, -0.7]), np.array([0.2, 0.1])
    loss = lambda x: float(np.sum(g * batchnorm_forward(x, gamma, beta)[0]))
    dx, _, _ = batchnorm_backward(g, batchnorm_forward(x, gamma, beta)[1])
    h = 1e-6
    for i in range(6):
        for j in range(2):
            e = np.zeros_like(x)
            e[i, j] = h
            fd = (loss(x + e) - loss(x - e)) / (2 * h)
            assert dx[i, j] == pytest.approx(fd, abs=1e-7)


def test_batchnorm_input_gradient_sums_to_zero_and_is_orthogonal_to_x_hat():
    # the one-line form removes the mean of g and (exactly when ε = 0) its component along x̂
    rng = np.random.default_rng(4)
    x, g = rng.normal(size=(10, 3)), rng.normal(size=(10, 3))
    _, cache = batchnorm_forward(x, np.ones(3), np.zeros(3), eps=0.0)
    dx, _, _ = batchnorm_backward(g, cache)
    np.testing.assert_allclose(dx.sum(0), 0, atol=1e-12)
    np.testing.assert_allclose((dx * cache.x_hat).sum(0), 0, atol=1e-12)


def test_treating_mean_and_variance_as_constants_is_wrong():
    # the mistake the chapter warns about: only γ g / √(σ² + ε)
    rng = np.random.default_rng(5)
    x, g = rng.normal(size=(8, 2)), rng.normal(size=(8, 2))
    _, cache = batchnorm_forward(x, np.ones(2), np.zeros(2))
    dx, _, _ = batchnorm_backward(g, cache)
    naive = g * cache.inv_std
    assert np.abs(dx - naive).max() > 0.1


def test_batchnorm_manual_errors_name_the_shapes():
    with pytest.raises(ValueError, match=r"gamma must have shape \(3,\)"):
        batchnorm_forward(np.zeros((4, 3)), np.ones(2), np.zeros(3))
    with pytest.raises(ValueError, match="at least 2 values"):
        batchnorm_forward(np.zeros((1, 3)), np.ones(3), np.zeros(3))
    _, cache = batchnorm_forward(np.arange(12.0).reshape(4, 3), np.ones(3), np.zeros(3))
    with pytest.raises(ValueError, match=r"shape of x, \(4, 3\)"):
        batchnorm_backward(np.zeros((3, 4)), cache)


def test_autodiff_batchnorm_graph_has_many_nodes_torch_has_one():
    x = Tensor(np.random.default_rng(0).normal(size=(8, 3)), requires_grad=True)
    nodes = graph_nodes(nn.BatchNorm1d(3)(x))
    assert len(nodes) == 14
    assert sum(shape == (8, 3) for _, shape in nodes) == 5
    y = torch.nn.BatchNorm1d(3, dtype=torch.float64)(torch.zeros(8, 3, dtype=torch.float64,
                                                                requires_grad=True))
    assert y.grad_fn.name() == "NativeBatchNormBackward0"


# ------------------------------------------------------------------ deltas are adjoints
@pytest.mark.parametrize("name", BACKENDS)
@pytest.mark.parametrize("activation,output,loss", [
    ("tanh", "identity", "squared"),
    ("sigmoid", "sigmoid", "log"),
    ("relu", "softmax", "cross_entropy"),
])
def test_manual_deltas_are_the_adjoints_of_the_pre_activations(name, activation, output, loss):
    rng = np.random.default_rng(11)
    X = rng.normal(size=(6, 3))
    if loss == "cross_entropy":
        labels = rng.integers(0, 2, size=6)
        D = np.eye(2)[labels]
    elif loss == "log":
        D = rng.integers(0, 2, size=(6, 2)).astype(float)
    else:
        D = rng.normal(size=(6, 2))
    with backend.use(name):
        net = manual.MLP([3, 4, 5, 2], activation=activation, output=output, loss=loss, seed=1)
        net.forward(X)
        net.backward(D)
        ours = _adjoints(Tensor, net, X, D, activation, output, loss)
        for l in (1, 2, 3):
            np.testing.assert_allclose(backend.to_numpy(ours[l - 1]), backend.to_numpy(net.delta[l]),
                                       atol=1e-12, rtol=0)
    theirs = _adjoints(_torch_tensor, net, X, D, activation, output, loss)
    for l in (1, 2, 3):
        np.testing.assert_allclose(theirs[l - 1], backend.to_numpy(net.delta[l]), atol=1e-12, rtol=0)


def _torch_tensor(a, requires_grad=False):
    return torch.tensor(np.asarray(backend.to_numpy(a), dtype=float), requires_grad=requires_grad)


def _adjoints(tensor, net, X, D, activation, output, loss):
    act = {"tanh": lambda u: u.tanh(), "sigmoid": lambda u: u.sigmoid(), "relu": lambda u: u.relu()}
    Z = tensor(X)
    Us = []
    for l in range(1, net.L + 1):
        W = tensor(net.W[l], requires_grad=True)
        b = tensor(net.b[l], requires_grad=True)
        U = Z @ W.T + b
        U.retain_grad()
        Us.append(U)
        Z = act[activation](U) if l < net.L else U
    N = X.shape[0]
    Dt = tensor(D)
    if loss == "squared":
        E = 0.5 * ((Z - Dt) ** 2).sum() / N
    elif loss == "log":   # sigmoid output, written as autodiff ops
        Y = Z.sigmoid()
        E = -(Dt * Y.log() + (1 - Dt) * (1 - Y).log()).sum() / N
    else:                 # softmax + cross-entropy from the logits
        shifted = Z - Z.amax(axis=1, keepdims=True) if isinstance(Z, Tensor) else \
            Z - Z.max(dim=1, keepdim=True).values
        logsum = shifted.exp().sum(axis=1, keepdims=True).log() if isinstance(Z, Tensor) else \
            shifted.exp().sum(dim=1, keepdim=True).log()
        E = -(Dt * (shifted - logsum)).sum() / N
    E.backward()
    return [U.grad for U in Us] if isinstance(Z, Tensor) else [U.grad.numpy() for U in Us]
