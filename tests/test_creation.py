"""Making tensors, dtypes and devices, against PyTorch (nnlearn.creation,
nnlearn.float32, Tensor.to/float/long, nnlearn.device, nnlearn.cuda)."""

import threading

import numpy as np
import pytest
import torch

import nnlearn
from nnlearn import Tensor, backend

from conftest import as_numpy

RNG = np.random.default_rng(11)


# ------------------------------------------------------------ constructors

CONSTANT = [
    ("zeros", lambda m: m.zeros(2, 3)),
    ("zeros-tuple", lambda m: m.zeros((2, 3))),
    ("ones", lambda m: m.ones(4)),
    ("empty", lambda m: m.empty(2, 2).zero_()),
    ("full-float", lambda m: m.full((2, 2), 1.5)),
    ("full-int", lambda m: m.full((3,), 7)),
    ("full-bool", lambda m: m.full((2,), True)),
    ("eye", lambda m: m.eye(3)),
    ("eye-rect", lambda m: m.eye(2, 4)),
    ("arange", lambda m: m.arange(5)),
    ("arange-start-step", lambda m: m.arange(1, 10, 3)),
    ("arange-float", lambda m: m.arange(0.0, 1.0, 0.25)),
    ("linspace", lambda m: m.linspace(-1, 1, 5)),
    ("zeros-int", lambda m: m.zeros(3, dtype=m.int64)),
    ("ones-like", lambda m: m.ones_like(m.zeros(2, 3, dtype=m.int32))),
    ("full-like", lambda m: m.full_like(m.arange(3), 4)),
    ("zeros-like-float", lambda m: m.zeros_like(m.arange(3), dtype=m.float32)),
]


@pytest.mark.parametrize("name, make", CONSTANT, ids=[c[0] for c in CONSTANT])
def test_constant_constructors_match_torch(backend_name, name, make):
    ours, theirs = make(nnlearn), make(torch)
    assert ours.shape == tuple(theirs.shape) and ours.backend.name == backend_name
    np.testing.assert_array_equal(as_numpy(ours), theirs.numpy())
    # the dtype is PyTorch's, except that floats default to float64 (documented)
    want = theirs.dtype if theirs.dtype != torch.float32 or "float32" in name or "like" in name \
        else torch.float64
    assert ours.dtype == want


def test_requires_grad_and_device_arguments(backend_name):
    w = nnlearn.zeros(2, 3, requires_grad=True)
    assert w.requires_grad and w.is_leaf and w.dtype == nnlearn.float64
    assert nnlearn.ones(2, device="cpu").backend.name == backend_name
    assert nnlearn.ones(2, device="numpy").backend.name == "numpy"
    assert nnlearn.ones(2, device="torch").backend.name == "torch"
    with pytest.raises(TypeError, match="only floating-point"):
        nnlearn.arange(3, requires_grad=True)


def test_random_constructors_follow_one_seed_on_every_backend(backend_name):
    draws = {}
    for name in ("numpy", backend_name):
        with backend.use(name):
            nnlearn.manual_seed(5)
            draws[name] = [nnlearn.randn(3, 4), nnlearn.rand((2, 2)), nnlearn.normal(1.0, 0.1, size=(5,)),
                           nnlearn.randint(0, 10, (6,)), nnlearn.randperm(5),
                           nnlearn.randn_like(nnlearn.zeros(3)), nnlearn.rand_like(nnlearn.zeros(2))]
    for a, b in zip(draws["numpy"], draws[backend_name]):
        np.testing.assert_array_equal(as_numpy(a), as_numpy(b))
    randn, rand, normal, randint, perm = draws[backend_name][:5]
    assert randn.dtype == nnlearn.float64 and randint.dtype == nnlearn.int64
    assert as_numpy(rand).min() >= 0 and as_numpy(rand).max() < 1
    assert sorted(as_numpy(perm).tolist()) == [0, 1, 2, 3, 4]
    assert 0 <= as_numpy(randint).min() and as_numpy(randint).max() < 10


def test_random_draws_have_the_right_distribution():
    nnlearn.manual_seed(0)
    z = as_numpy(nnlearn.randn(100_000))
    assert abs(z.mean()) < 0.02 and abs(z.std() - 1) < 0.02
    n = as_numpy(nnlearn.normal(3.0, 0.5, size=(100_000,)))
    assert abs(n.mean() - 3) < 0.01 and abs(n.std() - 0.5) < 0.01
    m = nnlearn.normal(nnlearn.zeros(4), nnlearn.full((4,), 2.0))   # tensor arguments
    assert m.shape == (4,)


# ------------------------------------------------- copies versus sharing

def test_tensor_copies_as_torch_tensor(backend_name):
    """Defect 13: Tensor(ndarray) and nnlearn.tensor copy."""
    a = np.array([1.0, 2.0, 3.0])
    t, u = Tensor(a), nnlearn.tensor(a)
    a[0] = 99.0
    assert as_numpy(t)[0] == 1.0 and as_numpy(u)[0] == 1.0
    w0 = np.array([1.0, 2.0, 3.0])
    p = nnlearn.nn.Parameter(w0)
    (p * p).sum().backward()
    nnlearn.optim.SGD([p], lr=0.5).step()
    np.testing.assert_array_equal(w0, [1.0, 2.0, 3.0])   # the caller's array is untouched


def test_from_numpy_and_as_tensor_share_memory_as_torch():
    a = np.array([1.0, 2.0, 3.0])
    t, s = nnlearn.from_numpy(a), nnlearn.as_tensor(a)
    a[0] = 99.0
    assert as_numpy(t)[0] == 99.0 and as_numpy(s)[0] == 99.0
    t.add_(1.0)
    assert a[0] == 100.0
    ta = np.array([1.0, 2.0])
    tt = torch.from_numpy(ta)
    ta[0] = 5.0
    assert tt[0] == 5.0
    x = nnlearn.tensor([1.0])
    assert nnlearn.as_tensor(x) is x and nnlearn.as_tensor(x, dtype=nnlearn.float32) is not x


def test_numpy_shares_memory_on_the_cpu_as_torch(backend_name):
    """The tensorqs tutorial's bridge: an in-place change shows in .numpy() (review §4.7)."""
    t = nnlearn.ones(5)
    n = t.numpy()
    t.add_(1)
    assert n.tolist() == [2.0] * 5
    tt = torch.ones(5)
    tn = tt.numpy()
    tt.add_(1)
    assert tn.tolist() == [2.0] * 5
    # nnlearn allows numpy() on a tensor that requires grad (documented)
    assert Tensor([1.0], requires_grad=True).numpy().tolist() == [1.0]


@pytest.mark.parametrize("bad, match", [
    (None, "from None"),
    ([1 + 2j], "complex"),
    (np.array([1 + 2j]), "complex"),
    (["a", "b"], "cannot make a tensor"),
    ([1.0, None], "cannot make a tensor"),
])
def test_none_complex_and_strings_raise(backend_name, bad, match):
    """Defect 14: no silent NaN, no dropped imaginary part."""
    with pytest.raises(TypeError, match=match):
        Tensor(bad)
    with pytest.raises(TypeError, match=match):
        nnlearn.tensor(bad)


# ------------------------------------------------------------------ dtypes

def test_float32_arrays_stay_float32_and_python_floats_are_float64(backend_name):
    x32 = Tensor(np.ones((4, 3), dtype=np.float32))
    assert x32.dtype == nnlearn.float32 and Tensor([1.0]).dtype == nnlearn.float64
    assert Tensor(np.array([1, 2], dtype=np.uint8)).dtype == nnlearn.uint8
    assert Tensor([1, 2]).dtype == nnlearn.int64 and Tensor([True]).dtype == nnlearn.bool
    # a float32 model fed float32 arrays runs in float32, gradients included
    lin = nnlearn.nn.Linear(3, 2)
    for p in lin.parameters():
        p.data = p.data.float()
    out = lin(np.ones((4, 3), dtype=np.float32))
    loss = nnlearn.nn.functional.cross_entropy(out, np.array([0, 1, 0, 1]))
    loss.backward()
    assert out.dtype == loss.dtype == lin.weight.grad.dtype == nnlearn.float32


def test_dtype_objects_compare_with_every_backends_dtypes(backend_name):
    t = Tensor(np.ones(2, dtype=np.float32))
    assert t.dtype == nnlearn.float32 == nnlearn.float and t.dtype != nnlearn.float64
    assert t.dtype == np.float32 and t.dtype == "float32" and t.dtype == torch.float32
    assert nnlearn.long == nnlearn.int64 and nnlearn.double == nnlearn.float64 and nnlearn.int == nnlearn.int32
    assert np.zeros(2, dtype=nnlearn.float32).dtype == np.float32
    assert {nnlearn.float32: 1}[t.dtype] == 1 and repr(nnlearn.float32) == "nnlearn.float32"
    assert Tensor([1.0], dtype=nnlearn.float32).dtype == nnlearn.float32
    assert Tensor([1.0], dtype=torch.float32).dtype == nnlearn.float32


def test_casts_match_torch_and_carry_the_gradient(backend_name):
    a = RNG.standard_normal(4)
    x = Tensor(a, requires_grad=True)
    tx = torch.tensor(a, requires_grad=True)
    for ours, theirs in [(x.float(), tx.float()), (x.half(), tx.half()), (x.long(), tx.long()),
                         (x.int(), tx.int()), (x.bool(), tx.bool()), (x.to(nnlearn.float32), tx.to(torch.float32)),
                         (x.type(nnlearn.int64), tx.type(torch.int64)), (x.double(), tx.double())]:
        assert ours.dtype == theirs.dtype
        np.testing.assert_array_equal(as_numpy(ours), theirs.detach().numpy())
        assert ours.requires_grad == theirs.requires_grad
    assert x.double() is x and x.type() == "nnlearn.DoubleTensor" and tx.type() == "torch.DoubleTensor"
    (x.float() * x.float()).sum().backward()
    (tx.float() * tx.float()).sum().backward()
    assert x.grad.dtype == nnlearn.float64
    np.testing.assert_allclose(as_numpy(x.grad), tx.grad.numpy(), rtol=1e-6)


def test_integer_min_stays_integer_and_division_promotes(backend_name):
    t = Tensor([3, 1, 2])
    assert t.min().dtype == nnlearn.int64 and t.min().item() == 1 and t.max().item() == 3
    q = Tensor([1, 2]) / Tensor([2, 4])                 # defect 21: not "negative integer powers"
    assert q.dtype == nnlearn.float64 and as_numpy(q).tolist() == [0.5, 0.5]
    assert (Tensor([1, 2]) / 2).tolist() == [0.5, 1.0]


def test_int_and_float32_combine_to_float32_on_every_backend(backend_name):
    """PyTorch's promotion, the same on NumPy (where NumPy alone gives float64)."""
    i = nnlearn.arange(3)
    f = nnlearn.ones(3, dtype=nnlearn.float32)
    ti, tf = torch.arange(3), torch.ones(3, dtype=torch.float32)
    for ours, theirs in [(i * f, ti * tf), (f + i, tf + ti), (i * 2.5, ti.double() * 2.5)]:
        assert ours.dtype == theirs.dtype


def test_default_dtype_set_inside_a_backend_block_holds_after_it():
    """Defect 16."""
    try:
        with backend.use("torch"):
            backend.set_default_dtype("float32")
        assert backend.get_default_dtype() == "float32" == nnlearn.get_default_dtype()
        assert Tensor([1.0]).dtype == nnlearn.float32 and nnlearn.zeros(2).dtype == nnlearn.float32
    finally:
        backend.set_default_dtype("float64")
    assert Tensor([1.0]).dtype == nnlearn.float64


# ----------------------------------------------------------------- devices

def test_to_device_and_backend(backend_name):
    x = Tensor(RNG.standard_normal(3), requires_grad=True)
    assert x.to("cpu") is x and x.cpu() is x and x.device == nnlearn.device("cpu") == "cpu"
    assert str(x.device) == "cpu" and x.device.type == "cpu"
    other = "numpy" if backend_name == "torch" else "torch"
    y = x.to(other)
    assert y.backend.name == other and not y.is_leaf
    (y * y).sum().to(backend_name).backward()               # the gradient comes back
    np.testing.assert_allclose(as_numpy(x.grad), 2 * as_numpy(x), rtol=1e-15)
    z = x.to(other, nnlearn.float32)
    assert z.dtype == nnlearn.float32 and z.backend.name == other
    assert x.to(z).backend.name == other and x.to(dtype=nnlearn.float32).dtype == nnlearn.float32
    device = "cuda" if nnlearn.cuda.is_available() else "cpu"
    assert x.to(device).backend.name == (backend_name if device == "cpu" else "cuda")
    assert nnlearn.cuda.is_available() == torch.cuda.is_available()
    assert nnlearn.cuda.device_count() == torch.cuda.device_count()


def test_cuda_without_a_gpu_says_so():
    if nnlearn.cuda.is_available():
        pytest.skip("this machine has a GPU")
    with pytest.raises(backend.BackendError, match="CUDA GPU"):
        Tensor([1.0]).to("cuda")


# ---------------------------------------------------------- thread-local

def test_no_grad_and_backend_are_per_thread():
    """Defect 17: a no_grad block or a backend switch in one thread leaves the others alone."""
    inside, go_on = threading.Event(), threading.Event()
    seen = {}

    def other():
        with nnlearn.no_grad(), backend.use("torch"):
            seen["other"] = (nnlearn.is_grad_enabled(), backend.current().name)
            inside.set()
            go_on.wait(10)

    th = threading.Thread(target=other)
    th.start()
    inside.wait(10)
    w = Tensor([1.0, 2.0], requires_grad=True)
    y = (w * w).sum()
    seen["main"] = (nnlearn.is_grad_enabled(), backend.current().name, y.requires_grad,
                    Tensor([1.0]).backend.name)
    go_on.set()
    th.join()
    assert seen["other"] == (False, "torch")
    assert seen["main"] == (True, "numpy", True, "numpy")


def test_a_plain_use_call_reaches_threads_started_later():
    try:
        backend.use("torch")
        names = []
        th = threading.Thread(target=lambda: names.append(backend.current().name))
        th.start()
        th.join()
        assert names == ["torch"]
    finally:
        backend.use("numpy")
