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
    with pytest.raises(RuntimeError, match=r"missing key\(s\): '0.bias'.*unexpected key\(s\): 'extra'"):
        model.load_state_dict({"0.weight": np.zeros((4, 3)), "extra": np.zeros(1)})
    with pytest.raises(RuntimeError, match=r"size mismatch for '0.weight'.*\(4, 2\).*\(4, 3\)"):
        model.load_state_dict({"0.weight": np.zeros((4, 2)), "0.bias": np.zeros(4)})
    missing, unexpected = model.load_state_dict({"0.weight": np.ones((4, 3))}, strict=False)
    assert missing == ["0.bias"] and unexpected == []
    np.testing.assert_array_equal(as_numpy(model[0].weight), np.ones((4, 3)))


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
    assert backend.backend_of(model[1].running_mean.data) == "torch"
    with backend.use("torch"):
        np.testing.assert_allclose(as_numpy(model(Tensor(x))), expected, rtol=1e-14)


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
