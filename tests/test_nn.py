"""nnlearn.nn against torch.nn (float64, weights copied across), on both backends."""

import math

import numpy as np
import pytest
import torch

import nnlearn
from nnlearn import Tensor, backend, losses, nn

from conftest import as_numpy, to_torch

RNG = np.random.default_rng(3)


def copy_to_torch(model, tmodel):
    """Load nnlearn's state dict into the torch model (names must agree)."""
    tmodel = tmodel.double()
    tmodel.load_state_dict({k: to_torch(v) for k, v in model.state_dict().items()})
    return tmodel


def assert_grads_equal(model, tmodel, rtol=1e-10):
    tparams = dict(tmodel.named_parameters())
    for name, p in model.named_parameters():
        np.testing.assert_allclose(as_numpy(p.grad), tparams[name].grad.numpy(), rtol=rtol, atol=1e-13,
                                   err_msg=name)


# ---------------------------------------------------------------- Linear

def test_linear_shapes_and_pytorch_initialization(seeded):
    layer = nn.Linear(400, 300)
    assert layer.weight.shape == (300, 400) and layer.bias.shape == (300,)
    w = as_numpy(layer.weight)
    bound = 1 / math.sqrt(400)
    assert np.abs(w).max() <= bound and np.abs(as_numpy(layer.bias)).max() <= bound
    # U(-1/sqrt(M), 1/sqrt(M)) has variance 1/(3M), not the 1/M quoted as PyTorch's default
    assert w.var() == pytest.approx(1 / (3 * 400), rel=0.02)
    assert layer.weight.requires_grad and isinstance(layer.weight, nn.Parameter)


def test_linear_same_initial_weights_on_every_backend():
    nnlearn.manual_seed(11)
    a = nn.Linear(5, 3)
    with backend.use("torch"):
        nnlearn.manual_seed(11)
        b = nn.Linear(5, 3)
    assert b.weight.backend.name == "torch"
    np.testing.assert_array_equal(as_numpy(a.weight), as_numpy(b.weight))
    np.testing.assert_array_equal(as_numpy(a.bias), as_numpy(b.bias))


@pytest.mark.parametrize("x_shape", [(6, 4), (4,), (2, 3, 4)], ids=str)
@pytest.mark.parametrize("bias", [True, False])
def test_linear_forward_backward_match_torch(backend_name, seeded, x_shape, bias):
    layer = nn.Linear(4, 3, bias=bias)
    tlayer = copy_to_torch(layer, torch.nn.Linear(4, 3, bias=bias))
    xa = RNG.standard_normal(x_shape)
    x, tx = Tensor(xa, requires_grad=True), to_torch(xa, requires_grad=True)
    out, tout = layer(x), tlayer(tx)
    np.testing.assert_allclose(as_numpy(out), tout.detach().numpy(), rtol=1e-12)
    w = RNG.standard_normal(tout.shape)
    (out * Tensor(w)).sum().backward()
    (tout * to_torch(w)).sum().backward()
    assert_grads_equal(layer, tlayer)
    np.testing.assert_allclose(as_numpy(x.grad), tx.grad.numpy(), rtol=1e-12)
    assert (layer.bias is None) == (not bias)


def test_linear_shape_error_names_the_layer(backend_name):
    layer = nn.Linear(64, 10)
    with pytest.raises(ValueError, match=r"^Linear\(in_features=64, out_features=10\) got input of shape "
                                         r"\(32, 63\): expected \(\*, 64\)$"):
        layer(Tensor(np.zeros((32, 63))))


# ---------------------------------------------------------------- containers

def make_mlp(nn_module):
    return nn_module.Sequential(nn_module.Linear(4, 8), nn_module.ReLU(), nn_module.Linear(8, 8),
                                nn_module.Tanh(), nn_module.Linear(8, 3), nn_module.Sigmoid())


def test_sequential_names_repr_and_indexing_like_torch(seeded):
    model, tmodel = make_mlp(nn), make_mlp(torch.nn)
    assert [n for n, _ in model.named_parameters()] == [n for n, _ in tmodel.named_parameters()]
    assert repr(model) == repr(tmodel)
    assert len(model) == 6 and isinstance(model[0], nn.Linear) and model[-1] is list(model)[-1]
    tail = model[2:]
    assert isinstance(tail, nn.Sequential) and [n for n, _ in tail.named_parameters()][0] == "2.weight"
    assert tail[0] is model[2]
    model.append(nn.Identity())
    assert len(model) == 7 and list(model._modules)[-1] == "6"
    assert [type(m).__name__ for m in model.children()][:2] == ["Linear", "ReLU"]
    assert [name for name, _ in model.named_modules()][:3] == ["", "0", "1"]
    with pytest.raises(TypeError, match="did you pass a class"):
        nn.Sequential(nn.ReLU)


def test_mlp_forward_backward_match_torch(backend_name, seeded):
    model = make_mlp(nn)
    tmodel = copy_to_torch(model, make_mlp(torch.nn))
    xa = RNG.standard_normal((5, 4))
    out, tout = model(Tensor(xa)), tmodel(to_torch(xa))
    np.testing.assert_allclose(as_numpy(out), tout.detach().numpy(), rtol=1e-12)
    y = np.array([0, 2, 1, 1, 0])
    losses.cross_entropy(out, y).backward()
    torch.nn.functional.cross_entropy(tout, to_torch(y)).backward()
    assert_grads_equal(model, tmodel)


def test_mlp_gradients_identical_on_numpy_and_torch_backends():
    grads = {}
    for name in ("numpy", "torch"):
        with backend.use(name):
            nnlearn.manual_seed(5)
            model = nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 16), nn.ReLU(),
                                  nn.Linear(16, 4))
            x = Tensor(np.random.default_rng(0).standard_normal((10, 6)))
            y = np.random.default_rng(1).integers(0, 4, 10)
            losses.cross_entropy(model(x), y).backward()
            grads[name] = {n: as_numpy(p.grad) for n, p in model.named_parameters()}
            assert model[0].weight.backend.name == name
    for n in grads["numpy"]:
        np.testing.assert_allclose(grads["torch"][n], grads["numpy"][n], rtol=1e-10, atol=1e-14, err_msg=n)


def test_state_dict_round_trip_and_torch_names(seeded):
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2))
    tmodel = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.ReLU(),
                                 torch.nn.Linear(4, 2)).double()
    sd = model.state_dict()
    assert list(sd) == list(tmodel.state_dict())
    # copies, not views
    sd["0.weight"][0, 0] = 123.0
    assert as_numpy(model[0].weight)[0, 0] != 123.0
    # torch -> nnlearn -> torch
    model.load_state_dict(tmodel.state_dict())
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(as_numpy(v), tmodel.state_dict()[k].numpy())
    other = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2))
    weight_array = other[0].weight._data
    other.load_state_dict(model.state_dict())
    assert other[0].weight._data is weight_array  # loaded in place
    x = RNG.standard_normal((5, 3))
    np.testing.assert_allclose(as_numpy(other(Tensor(x))), as_numpy(model(Tensor(x))), rtol=1e-15)


def test_load_state_dict_errors(seeded):
    model = nn.Sequential(nn.Linear(3, 4))
    with pytest.raises(RuntimeError, match=r'Missing key\(s\) in state_dict: "0.bias".*\n.*Unexpected key\(s\) '
                                           r'in state_dict: "extra"'):
        model.load_state_dict({"0.weight": np.zeros((4, 3)), "extra": np.zeros(1)})
    with pytest.raises(RuntimeError, match=r"size mismatch for 0.weight: copying a param with shape \(4, 2\) "
                                           r"from checkpoint, the shape in current model is \(4, 3\)"):
        model.load_state_dict({"0.weight": np.zeros((4, 2)), "0.bias": np.zeros(4)})
    missing, unexpected = model.load_state_dict({"0.weight": np.ones((4, 3))}, strict=False)
    assert missing == ["0.bias"] and unexpected == []
    np.testing.assert_array_equal(as_numpy(model[0].weight), np.ones((4, 3)))
    result = model.load_state_dict({"0.weight": np.ones((4, 3)), "x": 1}, strict=False)
    assert result.missing_keys == ["0.bias"] and result.unexpected_keys == ["x"]
    with pytest.raises(TypeError, match="Expected state_dict to be dict-like, got NoneType"):
        model.load_state_dict(None)


def snapshot(model):
    return {k: np.array(as_numpy(v)) for k, v in model.state_dict().items()}


@pytest.mark.parametrize("strict", [True, False])
def test_load_state_dict_is_all_or_nothing(backend_name, seeded, strict):
    """Defect 6: a bad entry late in the dict used to raise after the earlier
    entries were overwritten. Now nothing is copied unless everything fits."""
    model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3), nn.Linear(3, 1))
    before = snapshot(model)
    good = {k: v + 1.0 for k, v in model.state_dict().items()}
    bad_values = {
        "2.weight": (np.zeros((1, 4)), r"size mismatch for 2.weight: .*\(1, 4\).*\(1, 3\)"),
        "2.bias": (np.array([1 + 2j]), r'"2.bias": the checkpoint holds complex values'),
        "1.num_batches_tracked": (np.array(2.5), r"non-integer values for an integer"),
        "1.running_var": ("abc", r'"1.running_var"'),
    }
    torch_model = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.BatchNorm1d(3), torch.nn.Linear(3, 1))
    for key, (value, message) in bad_values.items():
        sd = dict(good)
        sd[key] = value
        with pytest.raises(RuntimeError, match=message) as info:
            model.load_state_dict(sd, strict=strict)
        assert "nothing was loaded; the model is unchanged" in str(info.value)
        after = snapshot(model)
        for k in before:
            np.testing.assert_array_equal(after[k], before[k], err_msg=f"{key}: {k} changed")
        if key == "2.weight":  # PyTorch raises too (after copying the other entries)
            with pytest.raises(RuntimeError, match="size mismatch for 2.weight"):
                torch_model.load_state_dict({k: torch.as_tensor(np.asarray(as_numpy(v))).float()
                                             for k, v in sd.items()}, strict=strict)
    model.load_state_dict(good)
    for k, v in snapshot(model).items():
        np.testing.assert_array_equal(v, as_numpy(good[k]))


def test_load_state_dict_accepts_lists_and_torch_tensors(seeded):
    """A state dict that went through JSON (nested lists) or came from torch loads."""
    model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    tmodel = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.BatchNorm1d(3))
    as_lists = {k: v.tolist() for k, v in tmodel.state_dict().items()}
    model.load_state_dict(as_lists)
    for k, v in tmodel.state_dict().items():
        np.testing.assert_allclose(as_numpy(model.state_dict()[k]), v.numpy(), rtol=1e-7)
    assert model[1].num_batches_tracked.dtype == model[1].num_batches_tracked.xp.int64


def test_module_bookkeeping(seeded):
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(2, 2)
            self.shared = self.fc.weight  # the same parameter twice
            self.register_buffer("steps", np.zeros(()))
            self.scale = 3.0

        def forward(self, x):
            return self.fc(x) * self.scale

    net = Net()
    # a shared parameter is listed once, under its first name (as in PyTorch)
    assert [n for n, _ in net.named_parameters()] == ["shared", "fc.bias"]
    assert list(net.state_dict()) == ["shared", "steps", "fc.weight", "fc.bias"]
    assert [n for n, _ in net.named_buffers()] == ["steps"]
    net.eval()
    assert not net.training and not net.fc.training
    net.train()
    assert net.fc.training
    net(Tensor(np.ones((1, 2)))).sum().backward()
    assert net.fc.weight.grad is not None
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    seen = []
    net.apply(lambda m: seen.append(type(m).__name__))
    assert seen == ["Linear", "Net"]
    with pytest.raises(TypeError, match="cannot assign ndarray as parameter 'weight'"):
        net.fc.weight = np.zeros((2, 2))

    class Forgot(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(1, 1)

    with pytest.raises(AttributeError, match=r"call super\(\).__init__\(\) first in Forgot"):
        Forgot()


def test_module_to_moves_parameters_and_buffers(seeded):
    model = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
    x = RNG.standard_normal((4, 3))
    expected = as_numpy(model(Tensor(x)))
    model.to("torch")
    assert all(p.backend.name == "torch" for p in model.parameters())
    assert model[1].running_mean.backend.name == "torch"
    with backend.use("torch"):
        np.testing.assert_allclose(as_numpy(model(Tensor(x))), expected, rtol=1e-14)


def test_module_to_dtype_float_double_like_torch(backend_name, seeded):
    model = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
    tmodel = copy_to_torch(model, torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.BatchNorm1d(2)))
    x = RNG.standard_normal((4, 3)).astype(np.float32)
    model[0](Tensor(x.astype(np.float64))).sum().backward()
    assert model.float() is model
    for (name, p), (_, tp) in zip(model.named_parameters(), tmodel.float().named_parameters()):
        assert str(p.dtype).endswith("float32"), name
        assert p.grad is None or str(p.grad.dtype).endswith("float32"), name   # the gradient follows
    assert model[0].weight.grad is not None
    for (name, b), (_, tb) in zip(model.named_buffers(), tmodel.named_buffers()):
        assert str(b.dtype).replace("torch.", "") == str(tb.dtype).replace("torch.", ""), name
    out = model(Tensor(x, dtype="float32"))
    assert str(out.dtype).endswith("float32")
    np.testing.assert_allclose(as_numpy(out), tmodel(torch.from_numpy(x)).detach().numpy(), rtol=1e-5, atol=1e-6)
    model.to(dtype=torch.float64)
    assert all(str(p.dtype).endswith("float64") for p in model.parameters())
    model.to("float32").double()
    assert all(str(p.dtype).endswith("float64") for p in model.parameters())
    assert str(model[1].num_batches_tracked.dtype).endswith("int64")
    with pytest.raises(TypeError, match="only accepts floating point dtypes"):
        model.to("int64")


def test_module_to_device_names():
    model = nn.Sequential(nn.Linear(3, 2))
    p = model[0].weight
    assert model.to("cpu") is model and p.backend.name == "numpy"          # cpu keeps a CPU backend
    model.to(torch.device("cpu"))
    assert p.backend.name == "numpy"
    model.to("torch", "float32")
    assert p.backend.name == "torch" and str(p.dtype).endswith("float32")
    assert model[0].weight is p                                             # same Parameter object
    model.to("cpu")
    assert p.backend.name == "torch"
    model.to(device="numpy", dtype="float64")
    assert p.backend.name == "numpy" and p.dtype == np.float64
    with backend.use("torch"):
        t = Tensor(np.zeros(2))
    model.to(t)
    assert p.backend.name == "torch"
    if not backend.cuda_is_available():
        with pytest.raises(backend.BackendError, match="CUDA"):
            model.to("cuda:0")
        assert p.backend.name == "torch"
    with pytest.raises(backend.BackendError, match="unknown device or backend 'tpu'"):
        model.to("tpu")


def test_layers_follow_the_input_backend_after_module_to(seeded):
    """Defect 19: after model.to("torch"), called outside a `with use("torch")`
    block, Dropout's mask and BatchNorm's running statistics were wrapped on the
    current (numpy) backend and the forward pass raised BackendError."""
    m = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Dropout(0.5)).to("torch")
    with backend.use("torch"):
        x = Tensor(RNG.standard_normal((6, 3)))
    nnlearn.manual_seed(1)
    train_out = m(x)
    assert train_out.backend.name == "torch"
    m.eval()
    eval_out = m(x)
    assert eval_out.backend.name == "torch" and eval_out.shape == (6, 4)
    # the same numbers as a model built on torch from the start
    with backend.use("torch"):
        nnlearn.manual_seed(0)
        ref = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Dropout(0.5))
        ref.load_state_dict(m.state_dict())
        ref.eval()
        np.testing.assert_array_equal(as_numpy(ref(x)), as_numpy(eval_out))
    bn = nn.BatchNorm1d(4).to("torch").eval()
    with pytest.raises(backend.BackendError, match=r"input is on backend 'numpy'.*model.to\('numpy'\)"):
        bn(Tensor(np.ones((2, 4))))


# ---------------------------------------------------------------- Dropout

def test_dropout_rate_scaling_and_eval(backend_name, seeded):
    p = 0.3
    layer = nn.Dropout(p)
    x = Tensor(np.ones((200, 500)), requires_grad=True)
    y = layer(x)
    out = as_numpy(y)
    n = out.size
    dropped = int((out == 0).sum())
    assert abs(dropped - n * p) < 5 * math.sqrt(n * p * (1 - p))  # binomial, 5 sigma
    assert np.all(out[out != 0] == np.float64(1.0) / (1 - p))  # exact inverted scaling
    y.sum().backward()
    np.testing.assert_array_equal(as_numpy(x.grad), out)  # dropped units pass no gradient
    layer.eval()
    assert layer(x) is x
    assert repr(layer) == "Dropout(p=0.3)"


def test_dropout_extremes_and_validation(backend_name, seeded):
    x = Tensor(RNG.standard_normal((3, 4)))
    np.testing.assert_array_equal(as_numpy(nn.Dropout(1.0)(x)), np.zeros((3, 4)))
    assert nn.Dropout(0.0)(x) is x
    for bad in (-0.1, 1.5):
        with pytest.raises(ValueError, match="probability of dropping.*between 0 and 1"):
            nn.Dropout(bad)


def test_dropout_masks_equal_across_backends():
    masks = []
    for name in ("numpy", "torch"):
        with backend.use(name):
            nnlearn.manual_seed(4)
            masks.append(as_numpy(nn.Dropout(0.5)(Tensor(np.ones((4, 6))))))
    np.testing.assert_array_equal(masks[0], masks[1])


# ---------------------------------------------------------------- BatchNorm1d

def make_bn(module, **kw):
    return module.BatchNorm1d(3, **kw)


@pytest.mark.parametrize("kw", [{}, {"momentum": None}, {"momentum": 0.5, "eps": 1e-3}, {"affine": False},
                                {"bias": False}, {"track_running_stats": False}], ids=str)
def test_batchnorm_train_and_eval_match_torch(backend_name, kw):
    bn = make_bn(nn, **kw)
    tbn = make_bn(torch.nn, **kw).double()
    if bn.affine:
        bn.weight.data[...] = bn.weight.backend.asarray(RNG.uniform(0.5, 1.5, 3))
        if bn.bias is not None:
            bn.bias.data[...] = bn.weight.backend.asarray(RNG.standard_normal(3))
    tbn.load_state_dict({k: to_torch(v) for k, v in bn.state_dict().items()})
    for step in range(4):
        xa = RNG.standard_normal((8, 3)) * (step + 1) + step
        x, tx = Tensor(xa, requires_grad=True), to_torch(xa, requires_grad=True)
        out, tout = bn(x), tbn(tx)
        np.testing.assert_allclose(as_numpy(out), tout.detach().numpy(), rtol=1e-10, atol=1e-12)
        w = RNG.standard_normal((8, 3))
        (out * Tensor(w)).sum().backward()
        (tout * to_torch(w)).sum().backward()
        np.testing.assert_allclose(as_numpy(x.grad), tx.grad.numpy(), rtol=1e-9, atol=1e-12)
    if bn.affine:
        assert_grads_equal(bn, tbn, rtol=1e-9)
    for k, v in tbn.state_dict().items():
        np.testing.assert_allclose(as_numpy(bn.state_dict()[k]), v.numpy(), rtol=1e-12, err_msg=k)
    bn.eval()
    tbn.eval()
    xa = RNG.standard_normal((5, 3))
    np.testing.assert_allclose(as_numpy(bn(Tensor(xa))), tbn(to_torch(xa)).detach().numpy(), rtol=1e-10)


def test_batchnorm_3d_input_matches_torch(backend_name):
    bn, tbn = make_bn(nn), make_bn(torch.nn).double()
    xa = RNG.standard_normal((4, 3, 5))
    x, tx = Tensor(xa, requires_grad=True), to_torch(xa, requires_grad=True)
    out, tout = bn(x), tbn(tx)
    np.testing.assert_allclose(as_numpy(out), tout.detach().numpy(), rtol=1e-10, atol=1e-12)
    (out * out).sum().backward()
    (tout * tout).sum().backward()
    np.testing.assert_allclose(as_numpy(x.grad), tx.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_batchnorm_backward_equals_the_papers_formulas(backend_name):
    """Autodiff reproduces Ioffe & Szegedy's hand-derived backward pass (slides 002)."""
    m, eps = 6, 1e-5
    xa = RNG.standard_normal((m, 3)) * 2 + 1
    dy = RNG.standard_normal((m, 3))
    gamma = RNG.uniform(0.5, 2.0, 3)
    bn = nn.BatchNorm1d(3, eps=eps)
    bn.weight.data[...] = bn.weight.backend.asarray(gamma)
    x = Tensor(xa, requires_grad=True)
    bn(x).backward(gradient=dy)

    mu = xa.mean(0)
    var = ((xa - mu) ** 2).mean(0)
    xhat = (xa - mu) / np.sqrt(var + eps)
    dxhat = dy * gamma
    dvar = (dxhat * (xa - mu) * -0.5 * (var + eps) ** -1.5).sum(0)
    dmu = (dxhat * -1 / np.sqrt(var + eps)).sum(0) + dvar * (-2 * (xa - mu)).sum(0) / m
    dx = dxhat / np.sqrt(var + eps) + dvar * 2 * (xa - mu) / m + dmu / m
    np.testing.assert_allclose(as_numpy(x.grad), dx, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(as_numpy(bn.weight.grad), (dy * xhat).sum(0), rtol=1e-10)
    np.testing.assert_allclose(as_numpy(bn.bias.grad), dy.sum(0), rtol=1e-12)


def test_batchnorm_errors(backend_name):
    bn = nn.BatchNorm1d(4)
    with pytest.raises(ValueError, match=r"BatchNorm1d\(4\): expected more than 1 value per channel when "
                                         r"training, got input of shape \(1, 4\)"):
        bn(Tensor(np.ones((1, 4))))
    with pytest.raises(ValueError, match=r"BatchNorm1d\(4\) expects input of shape \(N, 4\).*got \(8, 3\)"):
        bn(Tensor(np.ones((8, 3))))
    bn.eval()
    assert bn(Tensor(np.ones((1, 4)))).shape == (1, 4)  # one sample is fine in eval mode
    assert repr(bn) == repr(torch.nn.BatchNorm1d(4))


# ---------------------------------------------------------------- losses as modules

@pytest.mark.parametrize("cls, target", [
    ("MSELoss", lambda: RNG.standard_normal((4, 3))),
    ("CrossEntropyLoss", lambda: np.array([0, 2, 1, 2])),
    ("BCELoss", lambda: RNG.uniform(0, 1, (4, 3))),
    ("BCEWithLogitsLoss", lambda: RNG.uniform(0, 1, (4, 3))),
])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_loss_modules_match_torch(backend_name, cls, target, reduction):
    z = RNG.standard_normal((4, 3))
    t = target()
    inp = Tensor(z).sigmoid() if cls == "BCELoss" else Tensor(z)
    tinp = to_torch(z).sigmoid() if cls == "BCELoss" else to_torch(z)
    out = getattr(nn, cls)(reduction=reduction)(inp, t)
    tout = getattr(torch.nn, cls)(reduction=reduction)(tinp, to_torch(t))
    np.testing.assert_allclose(as_numpy(out), tout.numpy(), rtol=1e-12)
    assert repr(getattr(nn, cls)()) == repr(getattr(torch.nn, cls)())


def test_flatten_and_identity_match_torch(backend_name):
    xa = RNG.standard_normal((2, 3, 4))
    for args in [(), (0,), (1, 1), (0, -2)]:
        out = nn.Flatten(*args)(Tensor(xa))
        np.testing.assert_array_equal(as_numpy(out), torch.nn.Flatten(*args)(to_torch(xa)).numpy())
    assert repr(nn.Flatten()) == repr(torch.nn.Flatten())
    x = Tensor(xa)
    assert nn.Identity(54, unused="x")(x) is x


def test_slide_002_dropout_code_keeps_units_with_probability_one_minus_keep_prob():
    """Slides 002 say "with probability keep_prob, output the input scaled by
    1/keep_prob", but their code draws binomial(1 - keep_prob) / (1 - keep_prob):
    it keeps 1 - keep_prob of the units. nn.Dropout(p) keeps 1 - p."""
    keep_prob = 0.8
    inputs = np.ones((400, 500))
    rng = np.random.default_rng(0)
    slide = inputs * rng.binomial([np.ones_like(inputs)], (1 - keep_prob))[0] / (1 - keep_prob)
    assert (slide != 0).mean() == pytest.approx(1 - keep_prob, abs=0.005)  # 20 % kept, not 80 %
    nnlearn.manual_seed(0)
    ours = as_numpy(nn.Dropout(p=1 - keep_prob)(Tensor(inputs)))
    assert (ours != 0).mean() == pytest.approx(keep_prob, abs=0.005)
    assert ours.max() == pytest.approx(1 / keep_prob)


# ---------------------------------------------------------------- layers added for the tutorials

def run_both(module, tmodule, xa, integer_input=False):
    """Forward and backward of an nnlearn layer and its torch twin (weights copied)."""
    tmodule = tmodule.double()
    if list(module.state_dict()):
        tmodule.load_state_dict({k: to_torch(v) for k, v in module.state_dict().items()})
    if integer_input:
        x, tx = Tensor(xa), torch.from_numpy(xa)
    else:
        x, tx = Tensor(xa, requires_grad=True), to_torch(xa, requires_grad=True)
    out, tout = module(x), tmodule(tx)
    np.testing.assert_allclose(as_numpy(out), tout.detach().numpy(), rtol=1e-12, atol=1e-14)
    w = RNG.standard_normal(tuple(tout.shape))
    (out * Tensor(w)).sum().backward()
    (tout * to_torch(w)).sum().backward()
    if not integer_input:
        np.testing.assert_allclose(as_numpy(x.grad), tx.grad.numpy(), rtol=1e-10, atol=1e-13)
    assert_grads_equal(module, tmodule)
    assert repr(module) == repr(tmodule)


@pytest.mark.parametrize("name, args", [
    ("Softmax", (1,)), ("Softmax", (0,)), ("LogSoftmax", (1,)), ("LogSoftmax", (-1,)),
    ("LeakyReLU", ()), ("LeakyReLU", (0.2,)), ("GELU", ()), ("GELU", ("tanh",)),
], ids=str)
def test_activation_modules_match_torch(backend_name, name, args):
    xa = RNG.standard_normal((5, 4)) * 3
    run_both(getattr(nn, name)(*args), getattr(torch.nn, name)(*args), xa)


def test_gelu_far_in_the_tails_matches_torch(backend_name):
    xa = np.array([[-40.0, -8.0, -1e-8, 0.0, 1e-8, 8.0, 40.0]])
    run_both(nn.GELU(), torch.nn.GELU(), xa)


def test_softmax_without_dim_warns_like_torch(backend_name):
    xa = RNG.standard_normal((2, 3))
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
        out = nn.Softmax()(Tensor(xa))
    with pytest.warns(UserWarning):
        ref = torch.nn.Softmax()(to_torch(xa))
    np.testing.assert_allclose(as_numpy(out), ref.numpy(), rtol=1e-12)


@pytest.mark.parametrize("shape, normalized, kw", [
    ((4, 6), 6, {}), ((2, 3, 5), (3, 5), {}), ((4, 6), [6], {"elementwise_affine": False}),
    ((4, 6), 6, {"bias": False}), ((4, 6), 6, {"eps": 1e-2}),
], ids=str)
def test_layernorm_matches_torch(backend_name, seeded, shape, normalized, kw):
    ln, tln = nn.LayerNorm(normalized, **kw), torch.nn.LayerNorm(normalized, **kw)
    if ln.weight is not None:
        ln.weight.data[...] = ln.weight.backend.asarray(RNG.uniform(0.5, 1.5, ln.weight.shape))
    if ln.bias is not None:
        ln.bias.data[...] = ln.bias.backend.asarray(RNG.standard_normal(ln.bias.shape))
    run_both(ln, tln, RNG.standard_normal(shape) * 3 + 1)
    with pytest.raises(RuntimeError, match=r"expected input with shape \[\*, 6\]"):
        nn.LayerNorm(6)(Tensor(np.ones((2, 5))))


@pytest.mark.parametrize("padding_idx", [None, 2, -1])
def test_embedding_matches_torch(backend_name, seeded, padding_idx):
    emb = nn.Embedding(6, 3, padding_idx=padding_idx)
    temb = torch.nn.Embedding(6, 3, padding_idx=padding_idx)
    if padding_idx is not None:
        np.testing.assert_array_equal(as_numpy(emb.weight)[padding_idx], 0)
        emb.weight.data[padding_idx % 6] = emb.weight.backend.asarray(np.ones(3))  # a non-zero padding row
    idx = np.array([[0, 2, 5, 2], [1, 1, 2, 4]])                                # repeats add up
    run_both(emb, temb, idx, integer_input=True)
    assert as_numpy(nn.Embedding(1000, 4).weight).std() == pytest.approx(1, abs=0.05)   # N(0, 1)
    with pytest.raises(IndexError, match="index out of range"):
        emb(Tensor(np.array([6])))
    with pytest.raises(TypeError, match="integer indices"):
        emb(Tensor(np.array([1.0])))


@pytest.mark.parametrize("cls, target", [
    ("L1Loss", lambda: RNG.standard_normal((4, 3))),
    ("NLLLoss", lambda: np.array([0, 2, 1, 2])),
])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_new_loss_modules_match_torch(backend_name, cls, target, reduction):
    z = RNG.standard_normal((4, 3))
    t = target()
    x, tx = Tensor(z, requires_grad=True), to_torch(z, requires_grad=True)
    if cls == "NLLLoss":
        inp, tinp = nnlearn.losses.log_softmax(x, dim=1), torch.log_softmax(tx, 1)
    else:
        inp, tinp = x, tx
    out = getattr(nn, cls)(reduction=reduction)(inp, t)
    tout = getattr(torch.nn, cls)(reduction=reduction)(tinp, to_torch(t))
    np.testing.assert_allclose(as_numpy(out), tout.detach().numpy(), rtol=1e-12)
    out.sum().backward()
    tout.sum().backward()
    np.testing.assert_allclose(as_numpy(x.grad), tx.grad.numpy(), rtol=1e-12, atol=1e-15)
    assert repr(getattr(nn, cls)()) == repr(getattr(torch.nn, cls)())


# ---------------------------------------------------------------- containers and hooks

def make_blocks(module):
    class Blocks(module.Module):
        def __init__(self):
            super().__init__()
            self.layers = module.ModuleList([module.Linear(3, 3) for _ in range(2)])
            self.heads = module.ModuleDict({"a": module.Linear(3, 1), "b": module.Linear(3, 2)})
            self.layers.append(module.ReLU())

        def forward(self, x):
            for layer in self.layers:
                x = layer(x)
            return self.heads["a"](x) + self.heads["b"](x).sum(1, keepdim=True)

    return Blocks()


def test_modulelist_and_moduledict_names_and_gradients_match_torch(backend_name, seeded):
    model, tmodel = make_blocks(nn), make_blocks(torch.nn)
    assert list(model.state_dict()) == list(tmodel.state_dict())
    assert repr(model) == repr(tmodel)
    run_both(model, tmodel, RNG.standard_normal((5, 3)))


def test_modulelist_operations():
    ml = nn.ModuleList([nn.Linear(1, 1), nn.ReLU()])
    tl = torch.nn.ModuleList([torch.nn.Linear(1, 1), torch.nn.ReLU()])
    for m, lib in ((ml, nn), (tl, torch.nn)):
        m.insert(1, lib.Linear(1, 2))
        m += [lib.Linear(2, 2)]
        m.extend([lib.Tanh()])
        del m[0]
        m[0] = lib.Linear(1, 3)
    assert [type(m).__name__ for m in ml] == [type(m).__name__ for m in tl]
    assert list(ml.state_dict()) == list(tl.state_dict())
    assert isinstance(ml[1:], nn.ModuleList) and len(ml[1:]) == len(ml) - 1
    assert ml[-1] is list(ml)[-1]
    with pytest.raises(IndexError, match="out of range"):
        ml[10]
    with pytest.raises(TypeError, match="can only hold Modules"):
        ml.append(3)
    assert repr(nn.ModuleList()) == repr(torch.nn.ModuleList())
    d = nn.ModuleDict([("x", nn.ReLU())])
    d.update({"y": nn.Tanh()})
    assert list(d) == ["x", "y"] and "y" in d and isinstance(d.pop("x"), nn.ReLU)
    assert list(d.keys()) == ["y"] and len(d) == 1
    d.clear()
    assert len(d) == 0
    with pytest.raises(KeyError, match="'z' is not in this ModuleDict"):
        d["z"]


def test_forward_hooks_record_and_replace(backend_name, seeded):
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    seen = []
    h1 = model[1].register_forward_hook(lambda m, args, out: seen.append((args[0].shape, out.shape)))
    h2 = model[2].register_forward_pre_hook(lambda m, args: (args[0] * 0,))
    out = model(Tensor(np.ones((4, 2))))
    assert seen == [((4, 3), (4, 3))]
    np.testing.assert_allclose(as_numpy(out), np.broadcast_to(as_numpy(model[2].bias), (4, 1)))
    h1.remove()
    h2.remove()
    model(Tensor(np.ones((4, 2))))
    assert len(seen) == 1
    with model[0].register_forward_hook(lambda m, args, out: out * 2):
        doubled = model[0](Tensor(np.ones((1, 2))))
    np.testing.assert_allclose(as_numpy(doubled), 2 * as_numpy(model[0](Tensor(np.ones((1, 2))))))


# ---------------------------------------------------------------- arguments (defect 22)

@pytest.mark.parametrize("make, error, match", [
    (lambda m: m.BatchNorm1d(-3), RuntimeError, "Trying to create tensor with negative dimension -3"),
    (lambda m: m.BatchNorm1d("4"), TypeError, None),
    (lambda m: m.Linear(-1, 3), RuntimeError, "Trying to create tensor with negative dimension -1"),
    (lambda m: m.Linear(2.5, 3), TypeError, None),
    (lambda m: m.Embedding(-2, 3), RuntimeError, "negative dimension"),
    (lambda m: m.LayerNorm(-2), RuntimeError, "negative dimension"),
], ids=["bn-negative", "bn-str", "linear-negative", "linear-float", "embedding", "layernorm"])
def test_layer_sizes_raise_like_torch(make, error, match):
    with pytest.raises(error, match=match):
        make(torch.nn)
    with pytest.raises(error, match=match):
        make(nn)


def test_layer_size_messages_name_the_argument():
    with pytest.raises(TypeError, match=r"BatchNorm1d: num_features must be an int, not str \('4'\)"):
        nn.BatchNorm1d("4")
    with pytest.raises(RuntimeError, match=r"BatchNorm1d's num_features is -3"):
        nn.BatchNorm1d(-3)


@pytest.mark.parametrize("kw, error", [({"momentum": 5}, ValueError), ({"momentum": -0.1}, ValueError),
                                       ({"momentum": "0.1"}, TypeError), ({"eps": -1}, ValueError)], ids=str)
def test_batchnorm_hyperparameters_are_checked(kw, error):
    """PyTorch accepts these and its running averages then diverge; nnlearn refuses them."""
    with pytest.raises(error, match="BatchNorm1d: (momentum|eps) must be"):
        nn.BatchNorm1d(4, **kw)
    assert nn.BatchNorm1d(4, momentum=None).momentum is None
