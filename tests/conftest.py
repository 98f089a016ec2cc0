"""Shared fixtures and reference helpers for the test suite."""

import numpy as np
import pytest
import torch

import nnlearn
from nnlearn import backend

# "torch" runs the GPU code path on the CPU; "cuda" runs it on a GPU where there is one.
CUDA = pytest.param("cuda", marks=[
    pytest.mark.gpu,
    pytest.mark.skipif(not backend.cuda_is_available(), reason="needs a CUDA device"),
])
BACKENDS = ["numpy", "torch", CUDA]


@pytest.fixture(params=BACKENDS)
def backend_name(request):
    """Run the test once per backend; the previous backend is restored after."""
    with backend.use(request.param):
        yield request.param


@pytest.fixture
def seeded():
    """nnlearn's generator reseeded to 0 (restored to a fresh seed-0 state after)."""
    nnlearn.manual_seed(0)
    yield backend.rng()
    nnlearn.manual_seed(0)


def to_torch(a, requires_grad=False):
    """A float64 (or integer) torch tensor with the values of ``a`` (array or Tensor)."""
    arr = np.array(backend.to_numpy(a))
    if arr.dtype.kind == "f":
        arr = arr.astype(np.float64)
    t = torch.from_numpy(arr)
    return t.requires_grad_(requires_grad)


def torch_reference(f, *arrays, weights=None):
    """Value and gradients of ``f`` computed by torch.autograd in float64.

    ``f`` takes float64 torch tensors (one per array, all requiring grad) and
    returns a tensor; the gradients are those of ``(f(...) * weights).sum()``
    (``weights`` all ones by default). Returns ``(value, [grad, ...])`` as
    NumPy arrays.
    """
    ts = [to_torch(a, requires_grad=True) for a in arrays]
    out = f(*ts)
    w = torch.ones_like(out) if weights is None else to_torch(weights)
    (out * w).sum().backward()
    grads = [np.zeros(t.shape) if t.grad is None else t.grad.numpy() for t in ts]
    return out.detach().numpy(), grads


def as_numpy(x):
    """Any array or Tensor as a float NumPy array (for assertions)."""
    return np.asarray(backend.to_numpy(x), dtype=float)
