"""nnlearn.gradcheck: numerical gradients against hand-derived ones, and
detection of deliberately wrong backward passes."""

import numpy as np
import pytest

import nnlearn
from nnlearn import Tensor, backend, losses, nn
from nnlearn.gradcheck import assert_gradients_close, check_gradients, gradcheck, numerical_gradient

from conftest import as_numpy

RNG = np.random.default_rng(11)


class BrokenTanh(Tensor):
    """A Tensor whose tanh has the wrong derivative (1 - y instead of 1 - y**2)."""

    __slots__ = ()

    def tanh(self):
        out = super().tanh()
        y = out._data
        if out.requires_grad:
            out._backward = lambda g: self._accumulate(g * (1 - y), True)
        return out


def test_numerical_gradient_by_hand(backend_name):
    x = Tensor([1.0, -2.0, 0.5])
    g = numerical_gradient(lambda t: (t**3).sum(), x)
    assert backend.backend_of(g) == backend_name
    np.testing.assert_allclose(as_numpy(g), 3 * np.array([1.0, -2.0, 0.5]) ** 2, rtol=1e-8)
    np.testing.assert_array_equal(as_numpy(x), [1.0, -2.0, 0.5])  # restored


def test_numerical_gradient_on_a_plain_array():
    w = np.array([[0.3, -1.0], [2.0, 0.1]])
    g = numerical_gradient(lambda a: float(np.sin(a).sum()), w)
    np.testing.assert_allclose(g, np.cos(w), rtol=1e-8)


def test_numerical_gradient_errors():
    with pytest.raises(TypeError, match="floating-point.*int64"):
        numerical_gradient(lambda t: t.sum(), Tensor(np.array([1, 2])))
    with pytest.raises(ValueError, match=r"f must return a scalar.*\(2,\)"):
        numerical_gradient(lambda t: t * 2, Tensor([1.0, 2.0]))


def test_gradcheck_is_small_for_correct_code(backend_name, seeded):
    x = Tensor(RNG.standard_normal((4, 3)), requires_grad=True)
    assert gradcheck(lambda t: (t.tanh() * t).sum(), x) < 1e-8
    model = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 2))
    y = np.array([0, 1, 1, 0])
    err = gradcheck(lambda t, *ps: losses.cross_entropy(model(t), y), x, *model.parameters())
    assert err < 1e-4
    assert assert_gradients_close(lambda t, *ps: losses.cross_entropy(model(t), y), x, *model.parameters()) == err
    # non-scalar outputs are weighted and summed
    assert gradcheck(lambda t: t.sigmoid() * 3, x) < 1e-8


def test_gradcheck_leaves_existing_gradients_alone(backend_name):
    x = Tensor([1.0, 2.0], requires_grad=True)
    (x * 5).sum().backward()
    gradcheck(lambda t: (t * t).sum(), x)
    np.testing.assert_array_equal(as_numpy(x.grad), [5.0, 5.0])


def test_wrong_derivative_is_found_and_named(backend_name):
    a = Tensor(RNG.standard_normal((2, 3)), requires_grad=True)
    b = BrokenTanh(RNG.standard_normal((3, 2)), requires_grad=True)

    def f(a, b):
        return (a @ b.tanh()).sum()

    assert gradcheck(f, a, b) > 0.1
    with pytest.raises(AssertionError) as info:
        assert_gradients_close(f, a, b)
    msg = str(info.value)
    assert "inputs[1] (shape (3, 2), float64)" in msg
    assert "autodiff gives" in msg and "central differences give" in msg
    assert "wrong backward formula" in msg
    # the entry it names really is wrong by the amount it says
    i, j = map(int, msg.split("at index (")[1].split(")")[0].split(", "))
    bt = as_numpy(b)[i, j]
    assert f"central differences give {as_numpy(a).sum(axis=0)[i] * (1 - np.tanh(bt) ** 2):.8g}" in msg


def test_wrong_derivative_with_non_scalar_output():
    b = BrokenTanh(RNG.standard_normal(4), requires_grad=True)
    with pytest.raises(AssertionError, match=r"inputs\[0\] \(shape \(4,\)"):
        check_gradients(lambda t: t.tanh(), b)


def test_hints_for_float32_and_kinks():
    backend.set_default_dtype("float32")
    try:
        x32 = Tensor(RNG.standard_normal(5).astype(np.float32), requires_grad=True)
        with pytest.raises(AssertionError, match="(?s)float32.*Use float64"):
            assert_gradients_close(lambda t: (t.exp() * 1000.0).sum(), x32)
    finally:
        backend.set_default_dtype("float64")
    x = Tensor([0.0, 1.0, -1.0], requires_grad=True)
    with pytest.raises(AssertionError, match=r"(?s)index \(0,\).*within eps of 0.*kink"):
        assert_gradients_close(lambda t: t.relu().sum(), x)


def test_nothing_to_check():
    with pytest.raises(ValueError, match="none of the inputs requires grad"):
        gradcheck(lambda t: t.sum(), Tensor([1.0]))


def test_exported_names():
    assert nnlearn.gradcheck.check_gradients is assert_gradients_close
