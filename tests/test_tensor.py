"""nnlearn.Tensor: values and gradients against torch.autograd (float64) and
central differences, on the numpy and torch backends."""

import math
import warnings

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import nnlearn
from nnlearn import Tensor, backend, no_grad
from nnlearn.backend import BackendError
from nnlearn._tensor import enable_grad, is_grad_enabled, linear

from conftest import as_numpy, to_torch, torch_reference

RNG = np.random.default_rng(20240601)


def draw(shape, domain="real", rng=RNG):
    """Random float64 inputs; ``domain`` keeps them where the op is smooth."""
    x = rng.standard_normal(shape)
    if domain == "positive":
        return np.abs(x) + 0.5
    if domain == "nonzero":  # away from the kinks of relu/abs and the pole of 1/x
        return np.where(x >= 0, x + 0.3, x - 0.3)
    if domain == "above-1":
        return np.abs(x) - 0.5
    return x


def central_difference(f, arrays, k, weights, eps=1e-6):
    """d/d arrays[k] of sum(f(*arrays) * weights), by central differences in NumPy
    (the forward runs through nnlearn without a graph)."""
    x = arrays[k]
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        vals = []
        for step in (eps, -eps):
            xs = [a.copy() for a in arrays]
            xs[k][idx] += step
            with no_grad():
                out = f(*[Tensor(a) for a in xs])
            vals.append(float(np.sum(as_numpy(out) * weights)))
        grad[idx] = (vals[0] - vals[1]) / (2 * eps)
    return grad


def check_op(f, tf, arrays, rtol=1e-10, fd=True):
    """nnlearn vs torch (value, gradients) and vs central differences (gradients)."""
    ts = [Tensor(a, requires_grad=True) for a in arrays]
    out = f(*ts)
    weights = RNG.standard_normal(out.shape)
    (out * Tensor(weights)).sum().backward()
    ref_value, ref_grads = torch_reference(tf, *arrays, weights=weights)
    np.testing.assert_allclose(as_numpy(out), ref_value, rtol=1e-12, atol=1e-12)
    for t, g in zip(ts, ref_grads):
        assert t.grad is not None and tuple(t.grad.shape) == t.shape
        np.testing.assert_allclose(as_numpy(t.grad), g, rtol=rtol, atol=1e-12)
    if fd:
        for k, t in enumerate(ts):
            num = central_difference(f, arrays, k, weights)
            np.testing.assert_allclose(as_numpy(t.grad), num, rtol=1e-5, atol=1e-7)


UNARY = [
    ("exp", lambda x: x.exp(), torch.exp, "real"),
    ("log", lambda x: x.log(), torch.log, "positive"),
    ("log1p", lambda x: x.log1p(), torch.log1p, "above-1"),
    ("tanh", lambda x: x.tanh(), torch.tanh, "real"),
    ("sigmoid", lambda x: x.sigmoid(), torch.sigmoid, "real"),
    ("relu", lambda x: x.relu(), torch.relu, "nonzero"),
    ("abs", lambda x: abs(x), torch.abs, "nonzero"),
    ("sqrt", lambda x: x.sqrt(), torch.sqrt, "positive"),
    ("softplus", lambda x: x.softplus(), torch.nn.functional.softplus, "real"),
    ("neg", lambda x: -x, torch.neg, "real"),
    ("pow2", lambda x: x**2, lambda x: x**2, "real"),
    ("pow3", lambda x: x**3, lambda x: x**3, "real"),
    ("pow-1", lambda x: x**-1, lambda x: x**-1, "nonzero"),
    ("pow0.5", lambda x: x**0.5, lambda x: x**0.5, "positive"),
    ("rpow", lambda x: 2.0**x, lambda x: 2.0**x, "real"),
    ("radd", lambda x: 2 + x, lambda x: 2 + x, "real"),
    ("rsub", lambda x: 2 - x, lambda x: 2 - x, "real"),
    ("rmul", lambda x: 3 * x, lambda x: 3 * x, "real"),
    ("rdiv", lambda x: 2 / x, lambda x: 2 / x, "nonzero"),
    ("sub-scalar", lambda x: x - 1.5, lambda x: x - 1.5, "real"),
    ("div-scalar", lambda x: x / 4, lambda x: x / 4, "real"),
    ("clip", lambda x: x.clip(-0.5, 0.7), lambda x: x.clamp(-0.5, 0.7), "real"),
    ("sum", lambda x: x.sum(), torch.sum, "real"),
    ("sum0", lambda x: x.sum(axis=0), lambda x: x.sum(dim=0), "real"),
    ("sum1k", lambda x: x.sum(1, keepdims=True), lambda x: x.sum(1, keepdim=True), "real"),
    ("sum-dim-alias", lambda x: x.sum(dim=-1), lambda x: x.sum(dim=-1), "real"),
    ("mean", lambda x: x.mean(), torch.mean, "real"),
    ("mean0", lambda x: x.mean(axis=0), lambda x: x.mean(dim=0), "real"),
    ("mean-tuple", lambda x: x.mean(axis=(0, 1), keepdims=True), lambda x: x.mean(dim=(0, 1), keepdim=True), "real"),
    ("var", lambda x: x.var(), torch.var, "real"),
    ("var0-biased", lambda x: x.var(axis=0, correction=0), lambda x: x.var(dim=0, correction=0), "real"),
    ("std1", lambda x: x.std(axis=1), lambda x: x.std(dim=1), "real"),
    ("max", lambda x: x.max(), torch.amax, "real"),
    ("amax1", lambda x: x.amax(axis=1), lambda x: x.amax(dim=1), "real"),
    ("amin0k", lambda x: x.amin(axis=0, keepdims=True), lambda x: x.amin(dim=0, keepdim=True), "real"),
    ("max-dim", lambda x: x.max(dim=1).values, lambda x: x.max(dim=1).values, "real"),
    ("min-dim-keep", lambda x: x.min(0, keepdim=True)[0], lambda x: x.min(0, keepdim=True)[0], "real"),
    ("logsumexp", lambda x: x.logsumexp(axis=1), lambda x: torch.logsumexp(x, dim=1), "real"),
    ("reshape", lambda x: x.reshape(4, 3) * 1.0, lambda x: x.reshape(4, 3) * 1.0, "real"),
    ("reshape-1", lambda x: x.reshape(-1), lambda x: x.reshape(-1), "real"),
    ("T", lambda x: x.T, lambda x: x.T, "real"),
    ("transpose", lambda x: x.transpose(0, 1), lambda x: x.transpose(0, 1), "real"),
    ("flatten", lambda x: x.flatten(), lambda x: x.flatten(), "real"),
    ("slice", lambda x: x[1:, ::2], lambda x: x[1:, ::2], "real"),
    ("int-index", lambda x: x[1], lambda x: x[1], "real"),
    ("pick-per-row", lambda x: x[np.arange(3), np.array([0, 3, 1])],
     lambda x: x[torch.arange(3), torch.tensor([0, 3, 1])], "real"),
    ("repeated-index", lambda x: x[np.array([0, 2, 0, 0])], lambda x: x[torch.tensor([0, 2, 0, 0])], "real"),
    ("bool-mask", lambda x: x[np.array([[True, False, True, False]] * 3)],
     lambda x: x[torch.tensor([[True, False, True, False]] * 3)], "real"),
]


@pytest.mark.parametrize("name, f, tf, domain", UNARY, ids=[u[0] for u in UNARY])
def test_unary_ops_match_torch_and_central_differences(backend_name, name, f, tf, domain):
    check_op(f, tf, [draw((3, 4), domain)])


def test_permute_3d(backend_name):
    check_op(lambda x: x.permute(2, 0, 1), lambda x: x.permute(2, 0, 1), [draw((2, 3, 4))])


BINARY = [
    ("add", lambda a, b: a + b),
    ("sub", lambda a, b: a - b),
    ("mul", lambda a, b: a * b),
    ("div", lambda a, b: a / b),
]
BROADCAST_SHAPES = [((3, 4), (3, 4)), ((3, 1), (1, 4)), ((5,), (2, 5)), ((2, 5), (5,)),
                    ((), (2, 3)), ((2, 1, 3), (4, 1))]


@pytest.mark.parametrize("shapes", BROADCAST_SHAPES, ids=str)
@pytest.mark.parametrize("name, f", BINARY, ids=[b[0] for b in BINARY])
def test_binary_ops_with_broadcasting(backend_name, name, f, shapes):
    a = draw(shapes[0])
    b = draw(shapes[1], "nonzero" if name == "div" else "real")
    check_op(f, f, [a, b])


MATMUL_SHAPES = [((3, 4), (4, 2)), ((4,), (4, 2)), ((3, 4), (4,)), ((4,), (4,)),
                 ((2, 3, 4), (4, 5)), ((3, 4), (2, 4, 5)), ((2, 1, 3, 4), (5, 4, 2)), ((4,), (2, 4, 3))]


@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=str)
def test_matmul_shapes(backend_name, shapes):
    check_op(lambda a, b: a @ b, lambda a, b: a @ b, [draw(s) for s in shapes])


@pytest.mark.parametrize("x_shape", [(5, 4), (4,), (2, 3, 4)], ids=str)
@pytest.mark.parametrize("bias", [True, False])
def test_linear_primitive_matches_torch(backend_name, x_shape, bias):
    arrays = [draw(x_shape), draw((3, 4))] + ([draw((3,))] if bias else [])
    check_op(lambda *t: linear(*t), lambda *t: torch.nn.functional.linear(*t), arrays)


def test_linear_input_without_grad_gets_no_gradient(backend_name):
    x = Tensor(draw((5, 4)))
    w = Tensor(draw((3, 4)), requires_grad=True)
    linear(x, w).sum().backward()
    assert x.grad is None
    np.testing.assert_allclose(as_numpy(w.grad), np.tile(as_numpy(x).sum(0), (3, 1)), rtol=1e-12)


# ---------------------------------------------------------------- properties

_settings = settings(max_examples=25, deadline=None,
                     suppress_health_check=[HealthCheck.function_scoped_fixture])


@_settings
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3),
       op=st.sampled_from(BINARY), seed=st.integers(0, 2**31))
def test_broadcasting_property(backend_name, shapes, op, seed):
    rng = np.random.default_rng(seed)
    a, b = (draw(s, "nonzero", rng) for s in shapes.input_shapes)
    check_op(op[1], op[1], [a, b], fd=False)


@_settings
@given(n=st.integers(1, 3), k=st.integers(1, 3), m=st.integers(1, 3),
       batch=st.sampled_from([(), (2,), (2, 1)]), left_1d=st.booleans(), right_1d=st.booleans(),
       seed=st.integers(0, 2**31))
def test_matmul_property(backend_name, n, k, m, batch, left_1d, right_1d, seed):
    rng = np.random.default_rng(seed)
    a = draw((k,) if left_1d else (*batch, n, k), rng=rng)
    b = draw((k,) if right_1d else (k, m), rng=rng)
    check_op(lambda x, y: x @ y, lambda x, y: x @ y, [a, b], fd=False)


@_settings
@given(shape=st.sampled_from([(3,), (2, 3), (2, 1, 3)]), seed=st.integers(0, 2**31))
def test_fan_out_property(backend_name, shape, seed):
    """A tensor used several times collects every path's gradient (sum rule)."""
    x = draw(shape, "positive", np.random.default_rng(seed))

    def f(t):
        u = t * t
        return u + t.exp() * t - u.log() / t + t.sum(axis=-1, keepdims=True) * u

    check_op(f, f, [x], fd=False)


def test_same_tensor_on_both_sides(backend_name):
    x = Tensor([1.5, -2.0], requires_grad=True)
    (x * x + x + x).sum().backward()
    np.testing.assert_array_equal(as_numpy(x.grad), 2 * np.array([1.5, -2.0]) + 2)


# ---------------------------------------------------------------- backward

def test_long_chain_backpropagates_without_recursion():
    x = Tensor(1.0, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.000001
    y.backward()
    assert float(x.grad) == pytest.approx(1.000001**100_000, rel=1e-9)
    assert backend.backend_of(x.grad) == "numpy" and x.grad.shape == ()
    del y  # freeing the chain must not overflow the stack either


def test_second_backward_accumulates_on_leaves_and_needs_retain_graph_like_torch(backend_name):
    a = draw((3,))
    x = Tensor(a, requires_grad=True)
    tx = to_torch(a, requires_grad=True)
    for _ in range(2):
        (x.tanh() * x).sum().backward()
        (tx.tanh() * tx).sum().backward()
    np.testing.assert_allclose(as_numpy(x.grad), tx.grad.numpy(), rtol=1e-12)
    # the same graph twice needs retain_graph=True, as in PyTorch
    loss, tloss = (x.tanh() * x).sum(), (tx.tanh() * tx).sum()
    loss.backward(retain_graph=True)
    loss.backward()
    tloss.backward(retain_graph=True)
    tloss.backward()
    np.testing.assert_allclose(as_numpy(x.grad), tx.grad.numpy(), rtol=1e-12)
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        loss.backward()


def test_intermediate_grads_are_freed_unless_retained(backend_name):
    a = draw((2, 3))
    x = Tensor(a, requires_grad=True)
    h = x.tanh()
    kept = (h * 3).retain_grad()
    loss = (kept * h).sum()
    loss.backward()
    assert h.grad is None and loss.grad is None
    tx = to_torch(a, requires_grad=True)
    th = tx.tanh()
    tk = th * 3
    tk.retain_grad()
    (tk * th).sum().backward()
    np.testing.assert_allclose(as_numpy(kept.grad), tk.grad.numpy(), rtol=1e-12)
    assert x.is_leaf and not h.is_leaf


def test_backward_on_non_scalar_raises_pytorch_error(backend_name):
    x = Tensor(draw((2, 3)), requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match=r"grad can be implicitly created only for scalar outputs.*\(2, 3\).*sum\(\)"):
        y.backward()
    g = draw((2, 3))
    y.backward(gradient=g)
    np.testing.assert_allclose(as_numpy(x.grad), 2 * g, rtol=1e-15)
    with pytest.raises(ValueError, match=r"gradient has shape \(3,\).*\(2, 3\)"):
        y.backward(gradient=np.ones(3))


def test_backward_without_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        Tensor([1.0, 2.0]).sum().backward()


def test_leaf_gradients_never_alias(backend_name):
    """``a + b`` hands the same upstream array to both; each leaf must own a copy."""
    a = Tensor(np.zeros(3), requires_grad=True)
    b = Tensor(np.zeros(3), requires_grad=True)
    g = backend.current().asarray(np.array([1.0, 2.0, 3.0]))
    (a + b).backward(gradient=g)
    a.grad *= 10  # what gradient clipping does
    np.testing.assert_array_equal(as_numpy(b.grad), [1, 2, 3])
    np.testing.assert_array_equal(as_numpy(g), [1, 2, 3])
    # accumulating into an owned leaf gradient happens in place, like PyTorch
    before = a.grad
    (a * 1.0).sum().backward()
    assert a.grad is before
    np.testing.assert_array_equal(as_numpy(a.grad), [11, 21, 31])


def test_broadcast_sum_gradient_is_writable(backend_name):
    x = Tensor(draw((2, 3)), requires_grad=True)
    x.sum().backward()
    x.grad *= 2  # must not fail on a read-only broadcast view
    np.testing.assert_array_equal(as_numpy(x.grad), np.full((2, 3), 2.0))


def test_no_grad_records_nothing(backend_name):
    w = Tensor(draw((3,)), requires_grad=True)
    with no_grad():
        assert not is_grad_enabled()
        y = (w * 2).exp().sum()
        with enable_grad():
            z = w * 3
    assert is_grad_enabled()
    assert not y.requires_grad and y._prev == () and y._backward is None
    assert z.requires_grad and z._prev == (w,)

    @no_grad()
    def f(t):
        return t * t

    out = f(w)
    assert not out.requires_grad and out._prev == ()
    assert is_grad_enabled()


def test_graph_records_op_and_parents():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x * 2  # a Python scalar stays a number, not a node
    assert y._op == "*" and y._prev == (x,)
    z = x @ y
    assert z._op == "@" and z._prev == (x, y)
    c = Tensor([1.0, 2.0])  # no input requires grad: nothing recorded
    assert (c * c)._prev == () and (c * c)._backward is None


# ---------------------------------------------------------------- numerics

@pytest.mark.parametrize("value", [1e4, -1e4])
def test_sigmoid_softplus_logsumexp_stable_without_warnings(backend_name, value):
    x = Tensor([value, 0.0, -value], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = x.sigmoid()
        sp = x.softplus()
        lse = x.logsumexp()
        (s.sum() + sp.sum() + lse).backward()
    np.testing.assert_array_equal(as_numpy(s), [1.0 if value > 0 else 0.0, 0.5, 0.0 if value > 0 else 1.0])
    np.testing.assert_allclose(as_numpy(sp), [max(value, 0), math.log(2), max(-value, 0)])
    assert float(lse.item()) == pytest.approx(abs(value))
    assert np.all(np.isfinite(as_numpy(x.grad)))


def test_max_splits_ties_like_torch_amax(backend_name):
    a = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]])
    check_op(lambda x: x.amax(axis=1), lambda x: x.amax(dim=1), [a], fd=False)
    check_op(lambda x: x.max(), lambda x: x.max(), [a], fd=False)  # no dim: ties split
    check_op(lambda x: x.amin(0), lambda x: x.amin(0), [a], fd=False)
    # max(dim) sends the whole gradient to the index it returns, as PyTorch
    check_op(lambda x: x.max(dim=1).values, lambda x: x.max(dim=1).values, [a], fd=False)


# ---------------------------------------------------------------- errors

def test_mixing_backends_raises_backend_error():
    a = Tensor([1.0, 2.0])
    with backend.use("torch"):
        b = Tensor([1.0, 2.0])
    for op in (lambda: a + b, lambda: a * b, lambda: a @ b, lambda: b - a):
        with pytest.raises(BackendError, match=r"backend 'numpy'.*backend 'torch'|backend 'torch'.*backend 'numpy'"):
            op()
    np.testing.assert_array_equal(as_numpy(a + b.to("numpy")), [2.0, 4.0])


def test_shape_errors_name_op_and_shapes(backend_name):
    a, b = Tensor(np.ones((32, 63))), Tensor(np.ones((64, 10)))
    with pytest.raises(ValueError, match=r"matmul.*\(32, 63\).*\(64, 10\)"):
        a @ b
    with pytest.raises(ValueError, match=r"add.*\(3, 2\).*\(4,\)"):
        Tensor(np.ones((3, 2))) + Tensor(np.ones(4))
    with pytest.raises(ValueError, match=r"multiply.*\(3, 2\).*\(3,\)"):
        Tensor(np.ones((3, 2))) * np.ones(3)
    with pytest.raises(ValueError, match=r"reshape.*\(3, 2\).*\(4,\)"):
        Tensor(np.ones((3, 2))).reshape(4)
    with pytest.raises(IndexError, match=r"dimension 2 is out of range.*2 dimensions"):
        Tensor(np.ones((3, 2))).sum(axis=2)
    with pytest.raises(ValueError, match=r"linear.*\(5, 3\).*\(2, 4\).*\(\*, 4\)"):
        linear(Tensor(np.ones((5, 3))), Tensor(np.ones((2, 4))))


def test_requires_grad_on_integers_is_refused(backend_name):
    with pytest.raises(TypeError, match="only floating-point tensors can require gradients.*int64"):
        Tensor(np.array([1, 2, 3]), requires_grad=True)
    with pytest.raises(RuntimeError, match="Integers to negative integer powers"):
        Tensor([1, 2]) ** -1


# ---------------------------------------------------------------- basics

def test_creation_dtypes_and_accessors(backend_name):
    x = Tensor([[1.0, 2.0], [3.0, 4.0]])
    assert x.shape == (2, 2) and x.ndim == 2 and x.numel() == 4 and len(x) == 2
    assert "float64" in str(x.dtype) and x.backend.name == backend_name
    labels = Tensor(np.array([0, 2, 1]))
    assert "int64" in str(labels.dtype)
    assert Tensor(3).item() == 3 and isinstance(Tensor(2.5).item(), float)
    arr = x.numpy().copy()
    arr[0, 0] = 99.0  # a copy
    assert as_numpy(x)[0, 0] == 1.0
    d = x.detach()
    assert not d.requires_grad and d.is_leaf
    assert x.T.shape == (2, 2) and as_numpy(x.T)[0, 1] == 3.0
    assert x.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    assert bool((x > 2).sum() == 2)
    assert as_numpy(x.argmax(axis=1)).tolist() == [1, 1]
    d[0, 1] = -2.0  # detach() shares the storage, as in PyTorch
    assert as_numpy(x)[0, 1] == -2.0


def test_default_float32_applies_to_python_numbers_arrays_keep_their_dtype():
    backend.set_default_dtype("float32")
    try:
        x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
        assert x.dtype == nnlearn.float32 and x.dtype == torch.tensor([1.0]).dtype
        (x * 2.0).sum().backward()
        assert x.grad.dtype == nnlearn.float32
        # as torch.tensor: an array keeps its own dtype whatever the default
        assert Tensor(np.ones(3, dtype=np.float64)).dtype == torch.tensor(np.ones(3)).dtype
    finally:
        backend.set_default_dtype("float64")


def test_repr_is_pytorch_like():
    x = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    assert repr(x) == "Tensor([[1., 2.],\n        [3., 4.]], requires_grad=True)"
    assert repr(x.sum()) == "Tensor(10., grad_fn=<SumBackward0>)"
    assert repr(Tensor(np.array([1, 2]))) == "Tensor([1, 2], dtype=int64)"


def test_grad_and_data_are_tensors_of_the_backend(backend_name):
    a = draw((2,))
    x = Tensor(a.copy(), requires_grad=True)
    (x * x).sum().backward()
    assert isinstance(x.grad, Tensor) and isinstance(x.data, Tensor)
    assert backend.backend_of(x.grad) == backend_name and x.grad.dtype == x.dtype
    assert x.grad is x.grad and not x.grad.requires_grad
    assert not x.data.requires_grad and x.data.is_leaf
    np.testing.assert_array_equal(np.asarray(x.grad), 2 * a)
    # what the PyTorch tutorials write, the same on every backend
    x.grad.zero_()
    np.testing.assert_array_equal(as_numpy(x.grad), [0.0, 0.0])
    x.data.sub_(Tensor([1.0, 1.0]))  # .data shares the storage
    np.testing.assert_array_equal(as_numpy(x), a - 1)
    x.data = Tensor([5.0, 6.0])  # assigning replaces the storage
    np.testing.assert_array_equal(as_numpy(x), [5.0, 6.0])
    assert x.requires_grad and x.is_leaf


def test_grad_assignment_accepts_tensor_array_or_none(backend_name):
    x = Tensor(draw((3,)), requires_grad=True)
    g = Tensor(draw((3,)))
    x.grad = g
    assert x.grad is g
    x.grad = backend.current().asarray(np.ones(3))
    np.testing.assert_array_equal(as_numpy(x.grad), np.ones(3))
    x.grad = None
    assert x.grad is None
    with pytest.raises(RuntimeError, match="different size"):
        x.grad = Tensor(np.ones(2))
    with pytest.raises(RuntimeError, match="different type"):
        x.grad = Tensor(np.ones(3), dtype="float32")
    with pytest.raises(TypeError, match="Tensor, a backend array or None"):
        x.grad = 0
    # an assigned gradient is the caller's: backward() does not change it in place
    x.grad = g
    before = as_numpy(g).copy()
    (x * 2.0).sum().backward()
    np.testing.assert_array_equal(as_numpy(g), before)
    np.testing.assert_array_equal(as_numpy(x.grad), before + 2.0)


def test_numpy_array_on_the_left_calls_tensor(backend_name):
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = np.array([3.0, 4.0]) * x
    assert isinstance(y, Tensor)
    y.sum().backward()
    np.testing.assert_array_equal(as_numpy(x.grad), [3.0, 4.0])


def test_lazy_exports():
    assert nnlearn.Tensor is Tensor and nnlearn.no_grad is no_grad
    assert isinstance(nnlearn.tensor([1.0]), Tensor) and nnlearn.tensor is nnlearn.creation.tensor


def test_leaf_gradient_has_the_leaf_dtype():
    w = Tensor(np.ones(3, dtype=np.float32), dtype="float32", requires_grad=True)
    x = Tensor(np.arange(3.0))  # float64
    (w * x).sum().backward()
    assert str(w.grad.dtype) == "float32"
    np.testing.assert_array_equal(w.grad, [0.0, 1.0, 2.0])
