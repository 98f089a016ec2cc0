"""In-place operations, the version counter and the freed graph, against PyTorch.

PyTorch's rules: a leaf that requires grad refuses in-place changes outside
no_grad; a value the graph saved and that was changed in place afterwards
makes backward() raise; backward() frees the graph (a second one raises
unless retain_graph=True). nnlearn follows them, and is stricter in one
documented place: changes made through .data count too.
"""

import numpy as np
import pytest
import torch

import nnlearn
from nnlearn import Tensor, backend, nn, no_grad, optim

from conftest import as_numpy, to_torch

RNG = np.random.default_rng(7)

LEAF_MESSAGE = "a leaf Variable that requires grad is being used in an in-place operation"
VERSION_MESSAGE = "one of the variables needed for gradient computation has been modified by an inplace operation"
FREED_MESSAGE = "Trying to backward through the graph a second time"


# ---------------------------------------------------------------- values

INPLACE = [
    ("iadd", lambda t, o: t.__iadd__(o)),
    ("isub", lambda t, o: t.__isub__(o)),
    ("imul", lambda t, o: t.__imul__(o)),
    ("idiv", lambda t, o: t.__itruediv__(o)),
    ("add_", lambda t, o: t.add_(o)),
    ("add_alpha", lambda t, o: t.add_(o, alpha=-0.5)),
    ("sub_", lambda t, o: t.sub_(o)),
    ("sub_alpha", lambda t, o: t.sub_(o, alpha=2.0)),
    ("mul_", lambda t, o: t.mul_(o)),
    ("div_", lambda t, o: t.div_(o)),
    ("copy_", lambda t, o: t.copy_(o)),
]


@pytest.mark.parametrize("name, op", INPLACE, ids=[n for n, _ in INPLACE])
@pytest.mark.parametrize("other_kind", ["tensor", "broadcast", "number"])
def test_inplace_ops_match_torch_and_keep_identity(backend_name, name, op, other_kind):
    a = RNG.standard_normal((3, 4))
    o = {"tensor": RNG.standard_normal((3, 4)) + 3, "broadcast": RNG.standard_normal(4) + 3,
         "number": 2.5}[other_kind]
    t, tt = Tensor(a), to_torch(a)
    before = t._data
    out = op(t, Tensor(o) if isinstance(o, np.ndarray) else o)
    op(tt, to_torch(o) if isinstance(o, np.ndarray) else o)
    assert out is t and t._data is before              # in place: the same tensor and storage
    np.testing.assert_allclose(as_numpy(t), tt.numpy(), rtol=1e-15)
    assert t._version == 1


def test_fill_zero_clamp_setitem_match_torch(backend_name):
    a = RNG.standard_normal((4, 5))
    t, tt = Tensor(a), to_torch(a)
    t.clamp_(-0.3, 0.4)
    tt.clamp_(-0.3, 0.4)
    t[1] = 7.0
    tt[1] = 7.0
    t[:, 2] = Tensor(np.arange(4.0))
    tt[:, 2] = torch.arange(4.0, dtype=torch.float64)
    t[np.array([0, 3]), np.array([1, 1])] = -1.0
    tt[torch.tensor([0, 3]), torch.tensor([1, 1])] = -1.0
    t[t > 5] = 6.0
    tt[tt > 5] = 6.0
    np.testing.assert_array_equal(as_numpy(t), tt.numpy())
    assert t._version == 5
    t.fill_(2.0)
    assert np.all(as_numpy(t) == 2.0)
    t.zero_()
    assert np.all(as_numpy(t) == 0.0) and t._version == 7


def test_random_inplace_fills_follow_the_seed_on_every_backend(backend_name):
    nnlearn.manual_seed(3)
    t = Tensor(np.zeros((2000,))).normal_(1.0, 2.0)
    nnlearn.manual_seed(3)
    with backend.use("numpy"):
        ref = Tensor(np.zeros((2000,))).normal_(1.0, 2.0)
    np.testing.assert_array_equal(as_numpy(t), as_numpy(ref))
    assert abs(as_numpy(t).mean() - 1.0) < 0.15 and abs(as_numpy(t).std() - 2.0) < 0.15
    u = Tensor(np.zeros(2000)).uniform_(-1.0, 3.0)
    assert as_numpy(u).min() >= -1.0 and as_numpy(u).max() < 3.0 and abs(as_numpy(u).mean() - 1) < 0.1


def test_inplace_keeps_shape_and_dtype_or_raises(backend_name):
    t = Tensor(np.zeros(3))
    with pytest.raises(RuntimeError, match=r"add_.*shape \(3,\).*\(2, 3\)"):
        t += Tensor(np.ones((2, 3)))
    labels = Tensor(np.array([1, 2, 3]))
    with pytest.raises(RuntimeError, match="in place"):
        labels /= 2          # PyTorch: result type Float can't be cast to Long
    with pytest.raises(RuntimeError):
        torch.tensor([1, 2, 3]).div_(2)


def test_an_inplace_change_of_a_reduction_result_is_kept():
    """NumPy gives a scalar for a full reduction; an in-place change must still stick."""
    s = Tensor(np.ones(3)).sum()
    s += 1.0
    assert s.item() == 4.0
    v = Tensor(np.arange(3.0))[1]
    v.add_(10.0)
    assert v.item() == 11.0


# ----------------------------------------------------------- leaf rules

def test_inplace_on_a_leaf_that_requires_grad_raises_as_torch(backend_name):
    w = Tensor(np.ones(3), requires_grad=True)
    tw = torch.ones(3, requires_grad=True)
    for change in (lambda t: t.__iadd__(1.0), lambda t: t.mul_(2.0), lambda t: t.__setitem__(0, 5.0),
                   lambda t: t.zero_()):
        with pytest.raises(RuntimeError, match=LEAF_MESSAGE):
            change(w)
        with pytest.raises(RuntimeError, match=LEAF_MESSAGE):
            change(tw)
    assert np.all(as_numpy(w) == 1.0) and w.is_leaf and w.requires_grad


def test_manual_sgd_update_changes_the_models_parameters(backend_name):
    """`param -= lr * param.grad` under no_grad: the tutorials' update loop (review §4.1)."""
    nnlearn.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    tmodel = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1)).double()
    with torch.no_grad():
        for p, q in zip(model.parameters(), tmodel.parameters()):
            q.copy_(to_torch(p))
    X, y = RNG.standard_normal((16, 3)), RNG.standard_normal((16, 1))
    params = list(model.parameters())
    losses, tlosses = [], []
    for _ in range(5):
        loss = ((model(Tensor(X)) - Tensor(y)) ** 2).sum()
        tloss = ((tmodel(to_torch(X)) - to_torch(y)) ** 2).sum()
        model.zero_grad()
        tmodel.zero_grad()
        loss.backward()
        tloss.backward()
        with no_grad():
            for p in model.parameters():
                p -= 0.01 * p.grad
        with torch.no_grad():
            for q in tmodel.parameters():
                q -= 0.01 * q.grad
        losses.append(loss.item())
        tlosses.append(tloss.item())
    np.testing.assert_allclose(losses, tlosses, rtol=1e-10)
    assert losses[-1] < losses[0]
    assert [p for p in model.parameters()] == params and all(p.is_leaf and p.requires_grad for p in params)


def test_grad_and_data_tutorial_idioms(backend_name):
    w = Tensor(RNG.standard_normal(3), requires_grad=True)
    (w * w).sum().backward()
    w.data.sub_(0.1 * w.grad)            # the nn_tutorial/d2l spelling
    w.grad.zero_()
    w.grad.data.zero_()
    assert np.all(as_numpy(w.grad) == 0.0) and float(w.grad.norm()) == 0.0


# ------------------------------------------------------- version counter

def test_changing_a_saved_input_before_backward_raises_as_torch(backend_name):
    x = Tensor(np.ones(2), requires_grad=True)
    y = Tensor(np.array([2.0, 3.0]))
    out = (x * y).sum()
    y += 1                                   # y was saved by the product
    tx, ty = torch.ones(2, requires_grad=True), torch.tensor([2.0, 3.0])
    tout = (tx * ty).sum()
    ty += 1
    with pytest.raises(RuntimeError, match=VERSION_MESSAGE):
        out.backward()
    with pytest.raises(RuntimeError, match=VERSION_MESSAGE):
        tout.backward()


def test_changing_a_saved_output_raises_as_torch(backend_name):
    x = Tensor(RNG.standard_normal(3), requires_grad=True)
    e = x.exp()
    with no_grad():
        e.add_(1.0)
    with pytest.raises(RuntimeError, match=VERSION_MESSAGE + r".*output 0 of ExpBackward0"):
        e.sum().backward()


def test_changing_an_unsaved_input_is_allowed_as_in_torch(backend_name):
    x = Tensor(np.ones(2), requires_grad=True)
    y = Tensor(np.array([2.0, 3.0]))
    out = (x + y).sum()                       # addition saves nothing
    y += 1
    out.backward()
    np.testing.assert_array_equal(as_numpy(x.grad), [1.0, 1.0])


def test_change_through_data_raises_where_torch_is_silently_wrong(backend_name):
    """Defect 11: nnlearn shares the version counter with .data (documented)."""
    w = nn.Parameter([2.0, 3.0])
    x = Tensor([1.0, 1.0], requires_grad=True)
    y = (x * w).sum()
    w.data[...] = 100.0
    with pytest.raises(RuntimeError, match=VERSION_MESSAGE):
        y.backward()
    tw, tx = torch.nn.Parameter(torch.tensor([2.0, 3.0])), torch.ones(2, requires_grad=True)
    ty = (tx * tw).sum()
    tw.data[...] = 100.0
    ty.backward()                              # PyTorch misses it: a gradient of the new values
    assert tx.grad.tolist() == [100.0, 100.0]


def test_optimizer_step_between_forward_and_backward_raises(backend_name):
    nnlearn.manual_seed(0)
    model = nn.Linear(3, 1)
    opt = optim.SGD(model.parameters(), lr=0.1)
    X = Tensor(RNG.standard_normal((4, 3)), requires_grad=True)
    loss = model(X).sum()
    for p in model.parameters():
        p.grad = p.xp.ones_like(p._data)
    opt.step()
    with pytest.raises(RuntimeError, match=VERSION_MESSAGE):
        loss.backward()


def test_views_share_the_version_counter(backend_name):
    x = Tensor(RNG.standard_normal((2, 3)), requires_grad=True)
    h = x * 1.0
    y = (h * h).sum()
    with no_grad():
        h.reshape(-1)[0] = 5.0               # through a view
    with pytest.raises(RuntimeError, match=VERSION_MESSAGE):
        y.backward()
    d = x.detach()
    assert d._vc is x._vc


def test_inplace_on_a_non_leaf_in_a_graph_raises_clearly(backend_name):
    x = Tensor(np.ones(3), requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match="nnlearn does not record in-place operations"):
        y += 1
    z = Tensor(np.zeros(3))
    with pytest.raises(RuntimeError, match="does not require grad depend on one that does"):
        z += x
    with no_grad():                             # outside recording it is a plain update
        y += 1
    np.testing.assert_array_equal(as_numpy(y), [3.0, 3.0, 3.0])


# ------------------------------------------------------------ freed graph

def test_second_backward_raises_unless_retain_graph(backend_name):
    x = Tensor(RNG.standard_normal(3), requires_grad=True)
    tx = to_torch(as_numpy(x), requires_grad=True)
    y, ty = (x * x).sum(), (tx * tx).sum()
    y.backward()
    ty.backward()
    with pytest.raises(RuntimeError, match=FREED_MESSAGE):
        y.backward()
    with pytest.raises(RuntimeError, match=FREED_MESSAGE):
        ty.backward()
    y, ty = (x * x).sum(), (tx * tx).sum()
    y.backward(retain_graph=True)
    y.backward()
    ty.backward(retain_graph=True)
    ty.backward()
    np.testing.assert_allclose(as_numpy(x.grad), tx.grad.numpy(), rtol=1e-14)


def test_a_graph_that_saved_nothing_can_run_twice_as_in_torch(backend_name):
    x = Tensor(np.ones(2), requires_grad=True)
    y = (x + 1.0).sum()
    y.backward()
    y.backward()
    np.testing.assert_array_equal(as_numpy(x.grad), [2.0, 2.0])


def test_retained_intermediate_gradients_accumulate_as_in_torch(backend_name):
    a = RNG.standard_normal(3)
    x, tx = Tensor(a, requires_grad=True), to_torch(a, requires_grad=True)
    y, ty = x.tanh(), tx.tanh()
    y.retain_grad()
    ty.retain_grad()
    for _ in range(2):
        (y * y).sum().backward(retain_graph=True)
        (ty * ty).sum().backward(retain_graph=True)
    np.testing.assert_allclose(as_numpy(y.grad), ty.grad.numpy(), rtol=1e-14)
    np.testing.assert_allclose(as_numpy(x.grad), tx.grad.numpy(), rtol=1e-14)
