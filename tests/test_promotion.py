"""Result dtypes against PyTorch: Python scalars are weak, 0-d tensors give way to
tensors with dimensions, mixed float widths promote (elementwise) or raise (matrix
products), and in-place updates keep the target's dtype -- on both backends.

Each case is run in PyTorch itself with its default dtype set to nnlearn's (float64,
the course's choice, and float32, PyTorch's), so the only difference left is the
library: the dtype (and the values) must agree, and where PyTorch raises nnlearn
must raise too.
"""

import contextlib
import itertools
import operator

import numpy as np
import pytest
import torch

import nnlearn
from nnlearn import backend

from conftest import as_numpy

OPS = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv, "**": operator.pow}
DTYPES = ["float32", "float64", "int64", "int32", "bool"]
SCALARS = [2, 0.5, True, np.float64(0.5), np.int64(3)]
VALUES = [1, 2, 3]


@contextlib.contextmanager
def default_dtype(name):
    """nnlearn's and PyTorch's default float dtype set to ``name`` for a block."""
    old_n, old_t = backend.get_default_dtype().name, torch.get_default_dtype()
    backend.set_default_dtype(name)
    torch.set_default_dtype(getattr(torch, name))
    try:
        yield
    finally:
        backend.set_default_dtype(old_n)
        torch.set_default_dtype(old_t)


def outcome(fn):
    """(dtype name, values) of ``fn()``, or "raises"."""
    try:
        r = fn()
    except (TypeError, RuntimeError, ValueError):
        return "raises", None
    name = str(r.dtype).replace("torch.", "")
    return name, as_numpy(r.detach() if isinstance(r, torch.Tensor) else r)


def agree(ours, theirs, what):
    assert ours[0] == theirs[0], f"{what}: nnlearn {ours[0]}, PyTorch {theirs[0]}"
    if theirs[1] is not None:
        np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-6, err_msg=what)


def pair(dtype_name, values=VALUES, shape=None):
    a = np.array(values).astype(dtype_name)
    if shape is not None:
        a = a.reshape(shape)
    return nnlearn.tensor(a), torch.tensor(a)


@pytest.mark.parametrize("default", ["float64", "float32"])
def test_python_scalars_never_change_a_tensors_dtype(backend_name, default):
    """``t * 0.1``, ``2.0 ** t``, ``a - lr * g``: every operator with a Python (or
    NumPy) scalar on either side gives PyTorch's result dtype and values."""
    with default_dtype(default):
        for (sym, f), dt, s in itertools.product(OPS.items(), DTYPES, SCALARS):
            if dt == "bool" and sym == "**" and s is True:
                continue   # PyTorch: bool; nnlearn raises (documented in book/pytorch.md)
            n, t = pair(dt)
            agree(outcome(lambda: f(n, s)), outcome(lambda: f(t, s)), f"{dt}[3] {sym} {s!r}")
            agree(outcome(lambda: f(s, n)), outcome(lambda: f(s, t)), f"{s!r} {sym} {dt}[3]")


@pytest.mark.parametrize("default", ["float64", "float32"])
def test_two_tensors_promote_as_in_pytorch(backend_name, default):
    """Categories bool < int < float; within one category a tensor with dimensions
    wins over a 0-d one (``float32[3] * float64[]`` is float32, where NumPy 2
    says float64), and two with dimensions promote to the wider type."""
    with default_dtype(default):
        for (sym, f), d1, d2, shapes in itertools.product(
                OPS.items(), DTYPES, DTYPES, [((3,), (3,)), ((3,), ()), ((), (3,)), ((), ())]):
            if d1 == d2 == "bool" and sym == "**":
                continue   # PyTorch raises as nnlearn does; its message differs by shape
            v1 = VALUES if shapes[0] else [2]
            v2 = VALUES if shapes[1] else [2]
            n1, t1 = pair(d1, v1, shapes[0])
            n2, t2 = pair(d2, v2, shapes[1])
            agree(outcome(lambda: f(n1, n2)), outcome(lambda: f(t1, t2)),
                  f"{d1}{list(shapes[0])} {sym} {d2}{list(shapes[1])}")


def test_bool_subtraction_raises_as_in_pytorch(backend_name):
    m = nnlearn.tensor([True, False])
    with pytest.raises(TypeError, match="Subtraction.*bool"):
        m - True
    with pytest.raises(TypeError, match="Subtraction.*bool"):
        1 - m
    with pytest.raises(TypeError, match="Subtraction.*bool"):
        nnlearn.ones(2) - m


INPLACE = {"+=": operator.iadd, "-=": operator.isub, "*=": operator.imul, "/=": operator.itruediv}


@pytest.mark.parametrize("default", ["float64", "float32"])
def test_in_place_ops_keep_the_targets_dtype_or_raise_as_pytorch(backend_name, default):
    """``float32 += float64`` is allowed and stays float32 (PyTorch computes in the
    promoted type and casts back); ``int += float`` raises ("result type Double
    can't be cast to the desired output type Long")."""
    with default_dtype(default):
        for (sym, f), d1, other in itertools.product(
                INPLACE.items(), ["float32", "float64", "int64", "int32"],
                ["float32", "float64", "int64", "int32", 0.5, 2]):
            def run(lib):
                target = pair(d1)[0 if lib == "nn" else 1]
                o = other if not isinstance(other, str) else pair(other, [2, 2, 2])[0 if lib == "nn" else 1]
                return outcome(lambda: f(target, o))
            agree(run("nn"), run("torch"), f"{d1} {sym} {other}")


def test_manual_sgd_step_on_float32_keeps_float32_and_matches_torch(backend_name):
    """The tutorials' update ``a -= lr * a.grad`` (on the torch backend this raised
    "can't alias tensor with dtype Double into dtype Float")."""
    x0 = np.linspace(-1, 1, 5).astype(np.float32)
    results = []
    for lib in (nnlearn, torch):
        x = lib.tensor(x0)
        a = lib.full((), 0.5, dtype=lib.float32, requires_grad=True)
        w = lib.tensor(np.float32([0.1, -0.2, 0.3, 0.0, 1.0]), requires_grad=True)
        for _ in range(3):
            loss = ((a * x + w) ** 2).sum()
            loss.backward()
            with lib.no_grad():
                a -= 1e-2 * a.grad
                w -= 1e-2 * w.grad
                a.grad = None
                w.grad.zero_()
        assert str(a.dtype).endswith("float32") and str(w.dtype).endswith("float32")
        results.append((a.item(), as_numpy(w.detach())))
    assert results[0][0] == pytest.approx(results[1][0], rel=1e-6)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-6)


@pytest.mark.parametrize("op", [
    lambda m, a, b: a @ b,
    lambda m, a, b: m.matmul(a, b),
    lambda m, a, b: a.mm(b),
    lambda m, a, b: m.mm(a, b),
    lambda m, a, b: m.nn.functional.linear(a, b.T),
])
def test_matrix_products_of_mixed_float_widths_raise_as_in_pytorch(backend_name, op):
    a32 = np.ones((2, 3), np.float32)
    b64 = np.ones((3, 4), np.float64)
    with pytest.raises(RuntimeError, match="same dtype"):
        op(torch, torch.tensor(a32), torch.tensor(b64))
    with pytest.raises(TypeError, match="same dtype.*set_default_dtype"):
        op(nnlearn, nnlearn.tensor(a32), nnlearn.tensor(b64))
    # same dtype: the product as PyTorch's
    np.testing.assert_allclose(as_numpy(op(nnlearn, nnlearn.tensor(a32), nnlearn.tensor(b64.astype(np.float32)))),
                               op(torch, torch.tensor(a32), torch.tensor(b64.astype(np.float32))).numpy())


def test_a_float32_tensor_from_a_wide_array_on_the_torch_backend():
    """torch.asarray(float64 ndarray, dtype=float32, copy=True) raises "can't alias";
    nnlearn converts on the host first."""
    with backend.use("torch"):
        t = nnlearn.full((), 0.0, dtype=nnlearn.float32)
        u = nnlearn.tensor(np.arange(3.0), dtype=nnlearn.float32)
    assert t.dtype == nnlearn.float32 and u.dtype == nnlearn.float32
    np.testing.assert_array_equal(as_numpy(u), [0, 1, 2])


@pytest.mark.parametrize("name", ["zeros", "ones", "empty", "rand", "randn"])
def test_size_keyword_as_in_pytorch(backend_name, name):
    t = getattr(nnlearn, name)(size=(2, 3))
    assert t.shape == tuple(getattr(torch, name)(size=(2, 3)).shape) == (2, 3)
    assert getattr(nnlearn, name)(size=()).shape == ()
    assert getattr(nnlearn, name)(size=4).shape == (4,)
    r = nnlearn.randn(size=(), requires_grad=True)
    assert r.requires_grad and r.shape == ()
    with pytest.raises(TypeError):
        getattr(nnlearn, name)(2, size=(2, 3))
