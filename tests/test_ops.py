"""PyTorch's function forms, methods and shape operations on nnlearn.Tensor:
values and gradients against torch.autograd (float64) and central differences,
on the numpy and torch backends."""

import numpy as np
import pytest
import torch

import nnlearn
from nnlearn import Tensor, backend
from nnlearn.autodiff import Value
from nnlearn.backend import BackendError

from conftest import as_numpy
from test_tensor import check_op, draw

RNG = np.random.default_rng(3)

FUNCTIONS = [
    ("exp", lambda m, x: m.exp(x), "real"),
    ("log", lambda m, x: m.log(x), "positive"),
    ("sqrt", lambda m, x: m.sqrt(x), "positive"),
    ("square", lambda m, x: m.square(x), "real"),
    ("tanh", lambda m, x: m.tanh(x), "real"),
    ("sigmoid", lambda m, x: m.sigmoid(x), "real"),
    ("relu", lambda m, x: m.relu(x), "nonzero"),
    ("abs", lambda m, x: m.abs(x), "nonzero"),
    ("sin", lambda m, x: m.sin(x), "real"),
    ("cos", lambda m, x: m.cos(x), "real"),
    ("sin-method", lambda m, x: x.sin() * x.cos(), "real"),
    ("erf", lambda m, x: m.erf(x), "real"),
    ("rsqrt", lambda m, x: m.rsqrt(x), "positive"),
    ("reciprocal", lambda m, x: x.reciprocal(), "nonzero"),
    ("log2", lambda m, x: x.log2(), "positive"),
    ("pow", lambda m, x: m.pow(x, 3), "real"),
    ("pow-method", lambda m, x: x.pow(2.5), "positive"),
    ("clamp", lambda m, x: m.clamp(x, -0.5, 0.5), "real"),
    ("sum-dim", lambda m, x: m.sum(x, dim=1), "real"),
    ("mean-keepdim", lambda m, x: m.mean(x, 0, keepdim=True), "real"),
    ("amax", lambda m, x: m.amax(x, dim=1), "real"),
    ("logsumexp", lambda m, x: m.logsumexp(x, dim=1), "real"),
    ("norm", lambda m, x: m.norm(x), "real"),
    ("norm-dim", lambda m, x: x.norm(dim=1), "real"),
    ("norm-p1", lambda m, x: x.norm(p=1), "nonzero"),
    ("t", lambda m, x: m.t(x) * 1.0, "real"),
    ("view", lambda m, x: x.view(4, 3) * 1.0, "real"),
    ("view-1", lambda m, x: x.view(-1), "real"),
    ("unsqueeze", lambda m, x: x.unsqueeze(1) * 1.0, "real"),
    ("unsqueeze-neg", lambda m, x: m.unsqueeze(x, -1), "real"),
    ("squeeze", lambda m, x: x[:1].squeeze(), "real"),
    ("squeeze-dim", lambda m, x: x[:, :1].squeeze(1), "real"),
    ("expand", lambda m, x: x[:, :1].expand(3, 5), "real"),
    ("expand-new", lambda m, x: x.expand(2, 3, 4), "real"),
    ("repeat", lambda m, x: x.repeat(2, 1), "real"),
    ("repeat-more", lambda m, x: x[0].repeat(2, 3), "real"),
    ("clone", lambda m, x: m.clone(x), "real"),
    ("flatten", lambda m, x: m.flatten(x), "real"),
    ("transpose", lambda m, x: m.transpose(x, 0, 1), "real"),
    ("permute", lambda m, x: m.permute(x, (1, 0)), "real"),
    ("max-dim", lambda m, x: m.max(x, 1).values, "real"),
    ("max-dim-keep", lambda m, x: x.max(dim=0, keepdim=True)[0], "real"),
    ("min-dim", lambda m, x: m.min(x, dim=1).values, "real"),
    ("max-all", lambda m, x: m.max(x), "real"),
    ("max-elementwise", lambda m, x: m.max(x, -x), "nonzero"),
    ("maximum", lambda m, x: m.maximum(x, x * 0.5), "nonzero"),
    ("minimum", lambda m, x: m.minimum(x, x * 0.5), "nonzero"),
    ("where", lambda m, x: m.where(x > 0, x, x * x), "nonzero"),
    ("add-alpha", lambda m, x: m.add(x, x * x, alpha=2), "real"),
    ("div", lambda m, x: m.div(x, x * x + 1), "real"),
]


@pytest.mark.parametrize("name, f, domain", FUNCTIONS, ids=[f[0] for f in FUNCTIONS])
def test_function_forms_and_methods_match_torch(backend_name, name, f, domain):
    check_op(lambda x: f(nnlearn, x), lambda x: f(torch, x), [draw((3, 4), domain)],
             fd=name not in ("max-all",))


BINARY = [
    ("matmul", lambda m, a, b: m.matmul(a, b), (3, 4), (4, 2)),
    ("mm", lambda m, a, b: m.mm(a, b), (3, 4), (4, 2)),
    ("mm-method", lambda m, a, b: a.mm(b), (3, 4), (4, 2)),
    ("mv", lambda m, a, b: a.mv(b), (3, 4), (4,)),
    ("dot", lambda m, a, b: m.dot(a, b), (4,), (4,)),
    ("pow-tensor", lambda m, a, b: a.abs() ** b, (3, 4), (3, 4)),
    ("pow-broadcast", lambda m, a, b: m.pow(a.abs() + 0.5, b), (3, 4), (4,)),
    ("rpow-number", lambda m, a, b: 2.0 ** a + 3.0 ** b, (3,), (3,)),
    ("cat", lambda m, a, b: m.cat([a, b, a], dim=0), (2, 3), (4, 3)),
    ("cat-dim1", lambda m, a, b: m.cat((a, b), 1), (2, 3), (2, 1)),
    ("stack", lambda m, a, b: m.stack([a, b]), (2, 3), (2, 3)),
    ("stack-dim", lambda m, a, b: m.stack([a, b, a], dim=-1), (2, 3), (2, 3)),
]


@pytest.mark.parametrize("name, f, sa, sb", BINARY, ids=[b[0] for b in BINARY])
def test_binary_operations_match_torch(backend_name, name, f, sa, sb):
    check_op(lambda a, b: f(nnlearn, a, b), lambda a, b: f(torch, a, b), [draw(sa), draw(sb)])


def test_pow_with_a_tensor_exponent_at_zero_as_torch(backend_name):
    a, b = np.array([0.0, 0.0, 2.0, 1.5]), np.array([2.0, 3.0, -1.0, 0.0])
    check_op(lambda x, p: x**p, lambda x, p: x**p, [a, b], fd=False)


def test_max_min_dim_return_values_and_indices_as_torch(backend_name):
    a = np.array([[1.0, 5.0, 3.0], [4.0, 2.0, 6.0]])
    x, tx = Tensor(a), torch.tensor(a)
    for dim in (0, 1, -1):
        for keepdim in (False, True):
            for ours, theirs in [(x.max(dim, keepdim), tx.max(dim, keepdim)),
                                 (nnlearn.min(x, dim=dim, keepdim=keepdim), torch.min(tx, dim=dim, keepdim=keepdim))]:
                values, indices = ours
                assert ours.values is values and ours.indices is indices
                np.testing.assert_array_equal(as_numpy(values), theirs.values.numpy())
                np.testing.assert_array_equal(as_numpy(indices), theirs.indices.numpy())
                assert indices.dtype == nnlearn.int64
    assert x.max(1)[0].sum().item() == tx.max(1)[0].sum().item() == 11.0   # review R3c
    np.testing.assert_array_equal(as_numpy(x.argmin(dim=1)), tx.argmin(dim=1).numpy())
    assert x.argmin().item() == tx.argmin().item()
    with pytest.raises(TypeError, match="amax"):
        x.max(dim=(0, 1))


def test_max_dim_gradient_goes_to_the_returned_index_amax_splits(backend_name):
    """Review §4.4: max(dim) as PyTorch (one index), amax ties split."""
    a = np.array([[1.0, 3.0, 3.0]])
    x, tx = Tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    x.max(dim=1).values.sum().backward()
    tx.max(dim=1).values.sum().backward()
    np.testing.assert_array_equal(as_numpy(x.grad), tx.grad.numpy())
    assert as_numpy(x.grad).tolist() == [[0.0, 1.0, 0.0]]
    y = Tensor(a, requires_grad=True)
    y.amax(dim=1).sum().backward()
    assert as_numpy(y.grad).tolist() == [[0.0, 0.5, 0.5]]


def test_size_dim_is_tensor_grad_fn(backend_name):
    x = Tensor(draw((2, 3)), requires_grad=True)
    tx = torch.tensor(as_numpy(x), requires_grad=True)
    assert x.size() == tuple(tx.size()) and x.size(1) == tx.size(1) == 3 and x.size(-2) == 2
    assert x.dim() == tx.dim() == 2 and x.numel() == 6
    assert nnlearn.is_tensor(x) and not nnlearn.is_tensor(as_numpy(x))
    assert x.grad_fn is None and tx.grad_fn is None
    for ours, theirs in [(x * 2, tx * 2), (x + x, tx + tx), (x.exp(), tx.exp()), (x.sum(), tx.sum()),
                         (x @ x.T, tx @ tx.T), (x.relu(), tx.relu()), (x.tanh(), tx.tanh()),
                         (x.clone(), tx.clone()), (nnlearn.cat([x, x]), torch.cat([tx, tx]))]:
        assert ours.grad_fn.name() == theirs.grad_fn.name()
        assert repr(ours.grad_fn).startswith(f"<{theirs.grad_fn.name()}")
    y = x * 2
    assert y.grad_fn.next_functions[0][0].name() == "AccumulateGrad"


def test_clone_copies_storage_and_passes_the_gradient(backend_name):
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    c = x.clone()
    with nnlearn.no_grad():
        c.add_(1.0)
    assert as_numpy(x).tolist() == [1.0, 2.0]
    (x.clone() * 3).sum().backward()
    assert as_numpy(x.grad).tolist() == [3.0, 3.0]


def test_tensor_exponent_and_numpy_interplay(backend_name):
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = np.array([3.0, 4.0]) * x            # array on the left: the Tensor operation
    assert isinstance(y, Tensor) and y.requires_grad
    assert np.all(x > 0) and bool(np.isfinite(x).all()) and np.asarray(x).tolist() == [1.0, 2.0]
    assert isinstance(np.float64(2.0) * x, Tensor)


# ----------------------------------------------------- clear error messages

def test_obscure_errors_of_defect_21_are_clear(backend_name):
    with pytest.raises(IndexError, match="no two axes to swap"):
        Tensor([1.0, 2.0]).transpose()
    assert Tensor([1.0, 2.0]).t().shape == (2,)              # t() leaves 1-D alone, as PyTorch
    with pytest.raises(TypeError, match="dim .axis. must be an int.*1.0.*float"):
        Tensor(np.ones((2, 2))).sum(axis=1.0)
    with pytest.raises(TypeError, match="scalar autodiff"):
        Tensor([1.0]) + Value(2.0)
    with pytest.raises(TypeError, match="scalar autodiff"):
        Tensor([1.0]) * Value(2.0)


def test_comparisons_across_backends_raise_backend_error():
    a = Tensor([1.0, 2.0])
    with backend.use("torch"):
        b = Tensor([1.0, 2.0])
    for compare in (lambda: a < b, lambda: a >= b, lambda: a == b, lambda: b > a):
        with pytest.raises(BackendError, match="cannot combine a tensor on backend"):
            compare()


def test_max_result_pair_in_arithmetic_says_take_values():
    x = Tensor(np.ones((2, 3)))
    with pytest.raises(TypeError, match=r"take \.values"):
        x - x.max(dim=1, keepdim=True)


def test_dimension_errors_are_index_errors_as_torch(backend_name):
    x = Tensor(np.ones((2, 3)))
    for f in (lambda t: t.sum(dim=2), lambda t: t.unsqueeze(4), lambda t: t.max(dim=-3),
              lambda t: t.size(5), lambda t: t.transpose(0, 2)):
        with pytest.raises(IndexError, match="out of range"):
            f(x)
        with pytest.raises(IndexError):
            f(torch.ones(2, 3))


def test_mixed_float_matmul_raises_as_torch(backend_name):
    a = Tensor(np.ones((2, 2)))
    b = a.float()
    with pytest.raises(TypeError, match="same dtype"):
        a @ b
    with pytest.raises(RuntimeError):
        torch.ones(2, 2, dtype=torch.float64) @ torch.ones(2, 2)
    # a raw array takes the tensor's dtype instead
    assert (b @ np.ones((2, 2))).dtype == nnlearn.float32
