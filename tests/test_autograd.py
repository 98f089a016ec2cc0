"""nnlearn.autograd: Function with ctx.save_for_backward and autograd.grad,
against torch.autograd."""

import math

import numpy as np
import pytest
import torch

import nnlearn
from nnlearn import Tensor, autograd, no_grad

from conftest import as_numpy, to_torch

RNG = np.random.default_rng(5)


def legendre(lib):
    """The tutorial's LegendrePolynomial3, written against ``lib`` (torch or nnlearn)."""

    class LegendrePolynomial3(lib.autograd.Function):
        @staticmethod
        def forward(ctx, input):
            ctx.save_for_backward(input)
            return 0.5 * (5 * input ** 3 - 3 * input)

        @staticmethod
        def backward(ctx, grad_output):
            input, = ctx.saved_tensors
            return grad_output * 1.5 * (5 * input ** 2 - 1)

    return LegendrePolynomial3


def test_custom_function_matches_torch(backend_name):
    """The 'defining new autograd functions' tutorial, a few steps of its loop."""
    x = np.linspace(-math.pi, math.pi, 200)
    y = np.sin(x)
    P3, TP3 = legendre(nnlearn), legendre(torch)
    ours = [Tensor(np.full((), v), requires_grad=True) for v in (0.0, -1.0, 0.0, 0.3)]
    theirs = [torch.full((), v, dtype=torch.float64, requires_grad=True) for v in (0.0, -1.0, 0.0, 0.3)]
    X, Y, TX, TY = Tensor(x), Tensor(y), torch.tensor(x), torch.tensor(y)
    for _ in range(20):
        for (a, b, c, d), XX, YY, P in ((ours, X, Y, P3), (theirs, TX, TY, TP3)):
            y_pred = a + b * P.apply(c + d * XX)
            loss = (y_pred - YY).pow(2).sum()
            loss.backward()
            with (no_grad() if P is P3 else torch.no_grad()):
                for p in (a, b, c, d):
                    p -= 5e-6 * p.grad
                    p.grad = None
    for o, t in zip(ours, theirs):
        assert o.item() == pytest.approx(t.item(), rel=1e-10)


def test_function_saved_tensor_changed_in_place_raises(backend_name):
    P3 = legendre(nnlearn)
    x = Tensor(RNG.standard_normal(3), requires_grad=True)
    h = x * 1.0
    y = P3.apply(h).sum()
    with no_grad():
        h.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


def test_function_needs_input_grad_and_shape_check(backend_name):
    class Scale(nnlearn.autograd.Function):
        @staticmethod
        def forward(ctx, x, factor, y):
            ctx.factor = factor
            ctx.seen = ctx.needs_input_grad
            return x * factor + y

        @staticmethod
        def backward(ctx, g):
            return g * ctx.factor, None, g.sum()     # wrong shape for y

    x = Tensor(np.ones(3), requires_grad=True)
    y = Tensor(np.ones(3), requires_grad=True)
    out = Scale.apply(x, 2.0, y)
    assert out.grad_fn.name() == "ScaleBackward0"
    with pytest.raises(RuntimeError, match="invalid gradient at index 2"):
        out.sum().backward()
    assert Scale.apply(x, 2.0, Tensor(np.ones(3))).requires_grad
    with no_grad():
        assert not Scale.apply(x, 2.0, y).requires_grad


def test_autograd_grad_matches_torch_and_leaves_grad_alone(backend_name):
    a, b = RNG.standard_normal(3), RNG.standard_normal(3)
    x, w = Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)
    tx, tw = to_torch(a, requires_grad=True), to_torch(b, requires_grad=True)
    h = x * w
    out = (h.tanh() * x).sum()
    th = tx * tw
    tout = (th.tanh() * tx).sum()
    gx, gh = autograd.grad(out, [x, h], retain_graph=True)
    tgx, tgh = torch.autograd.grad(tout, [tx, th], retain_graph=True)
    np.testing.assert_allclose(as_numpy(gx), tgx.numpy(), rtol=1e-13)
    np.testing.assert_allclose(as_numpy(gh), tgh.numpy(), rtol=1e-13)
    assert x.grad is None and w.grad is None
    (gw,) = autograd.grad(out, w)
    (tgw,) = torch.autograd.grad(tout, tw)
    np.testing.assert_allclose(as_numpy(gw), tgw.numpy(), rtol=1e-13)
    with pytest.raises(RuntimeError, match="second time"):
        autograd.grad(out, w)


def test_autograd_grad_unused_input_and_grad_outputs(backend_name):
    x = Tensor(np.ones(2), requires_grad=True)
    z = Tensor(np.ones(2), requires_grad=True)
    y = x * 3
    with pytest.raises(RuntimeError, match="appears to not have been used"):
        autograd.grad(y.sum(), [x, z], retain_graph=True)
    gx, gz = autograd.grad(y, [x, z], grad_outputs=Tensor([1.0, 2.0]), allow_unused=True)
    assert as_numpy(gx).tolist() == [3.0, 6.0] and gz is None


def test_autograd_backward_of_several_tensors(backend_name):
    x = Tensor(np.ones(2), requires_grad=True)
    autograd.backward([(x * 2).sum(), (x * x).sum()])
    assert as_numpy(x.grad).tolist() == [4.0, 4.0]
