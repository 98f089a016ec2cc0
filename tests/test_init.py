"""nnlearn.nn.init against torch.nn.init: gains, fans, bounds, standard deviations."""

import math

import numpy as np
import pytest
import torch

import nnlearn
from nnlearn import Tensor, backend, init

BACKENDS = ["numpy", "torch"]
NONLINEARITIES = ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
                  "conv_transpose2d", "conv_transpose3d", "sigmoid", "tanh", "relu",
                  "leaky_relu", "selu"]


@pytest.mark.parametrize("nonlinearity", NONLINEARITIES)
def test_calculate_gain_equals_torch(nonlinearity):
    assert init.calculate_gain(nonlinearity) == torch.nn.init.calculate_gain(nonlinearity)


@pytest.mark.parametrize("param", [None, 0, 0.2, 1, math.sqrt(5)])
def test_leaky_relu_gain_equals_torch(param):
    got = init.calculate_gain("leaky_relu", param)
    assert got == torch.nn.init.calculate_gain("leaky_relu", param)
    slope = 0.01 if param is None else param
    assert got == pytest.approx(math.sqrt(2 / (1 + slope**2)))


def test_gain_values_by_hand():
    assert init.calculate_gain("relu") == pytest.approx(1.41421356237)
    assert init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert init.calculate_gain("identity") == 1


def test_gain_errors():
    with pytest.raises(ValueError, match="unsupported nonlinearity 'softplus'"):
        init.calculate_gain("softplus")
    with pytest.raises(ValueError, match="negative_slope"):
        init.calculate_gain("leaky_relu", True)
    with pytest.raises(ValueError):
        torch.nn.init.calculate_gain("softplus")


@pytest.mark.parametrize("shape", [(3, 5), (7, 2), (4, 3, 2), (6, 2, 3, 3)])
def test_fans_equal_torch(shape):
    t = torch.empty(shape)
    assert init._calculate_fan_in_and_fan_out(np.empty(shape)) == \
        torch.nn.init._calculate_fan_in_and_fan_out(t)
    for mode in ("fan_in", "fan_out", "FAN_IN"):
        assert init._calculate_correct_fan(np.empty(shape), mode) == \
            torch.nn.init._calculate_correct_fan(t, mode)


def test_linear_weight_fan_in_is_in_features():
    w = np.empty((10, 3))  # Linear(3, 10): (out_features, in_features)
    assert init._calculate_fan_in_and_fan_out(w) == (3, 10)


@pytest.mark.parametrize("fn", [init.xavier_uniform_, init.xavier_normal_, init.kaiming_uniform_,
                                init.kaiming_normal_, init.lecun_normal_, init.lecun_uniform_])
def test_fewer_than_two_dims_raise_like_torch(fn):
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        fn(np.empty(5))
    torch_fn = getattr(torch.nn.init, fn.__name__, torch.nn.init.kaiming_normal_)
    with pytest.raises(ValueError):
        torch_fn(torch.empty(5))


def test_bad_mode_raises():
    with pytest.raises(ValueError, match="mode 'fan_avg'"):
        init.kaiming_uniform_(np.empty((3, 4)), mode="fan_avg")
    with pytest.raises(ValueError):
        torch.nn.init.kaiming_uniform_(torch.empty(3, 4), mode="fan_avg")
    with pytest.raises(ValueError, match="unsupported nonlinearity"):
        init.kaiming_normal_(np.empty((3, 4)), nonlinearity="gelu")


# ---------------------------------------------------------------------------
# Distributions: bounds and standard deviations vs the formulas and vs torch
# ---------------------------------------------------------------------------

SHAPE = (400, 250)          # fan_in 250, fan_out 400, 10⁵ draws
FAN_IN, FAN_OUT = 250, 400


def torch_bound_std(kind, **kw):
    """The bound (uniform) or std (normal) torch's own functions prescribe."""
    t = torch.empty(SHAPE)
    fan_in, fan_out = torch.nn.init._calculate_fan_in_and_fan_out(t)
    if kind.startswith("xavier"):
        std = kw.get("gain", 1.0) * math.sqrt(2.0 / (fan_in + fan_out))
    else:
        fan = torch.nn.init._calculate_correct_fan(t, kw.get("mode", "fan_in"))
        gain = torch.nn.init.calculate_gain(kw.get("nonlinearity", "leaky_relu"), kw.get("a", 0))
        std = gain / math.sqrt(fan)
    return std


CASES = [
    ("xavier_uniform_", dict(), "uniform", math.sqrt(6 / (FAN_IN + FAN_OUT))),
    ("xavier_uniform_", dict(gain=5 / 3), "uniform", 5 / 3 * math.sqrt(6 / (FAN_IN + FAN_OUT))),
    ("xavier_normal_", dict(gain=2.0), "normal", 2.0 * math.sqrt(2 / (FAN_IN + FAN_OUT))),
    ("kaiming_uniform_", dict(nonlinearity="relu"), "uniform", math.sqrt(2) * math.sqrt(3 / FAN_IN)),
    ("kaiming_uniform_", dict(a=math.sqrt(5)), "uniform", 1 / math.sqrt(FAN_IN)),
    ("kaiming_uniform_", dict(mode="fan_out", nonlinearity="tanh"), "uniform",
     5 / 3 * math.sqrt(3 / FAN_OUT)),
    ("kaiming_normal_", dict(nonlinearity="relu"), "normal", math.sqrt(2 / FAN_IN)),
    ("kaiming_normal_", dict(a=0.2, mode="fan_out"), "normal",
     math.sqrt(2 / (1 + 0.04)) / math.sqrt(FAN_OUT)),
]


@pytest.mark.parametrize("name", BACKENDS)
@pytest.mark.parametrize("fn,kw,dist,expected", CASES, ids=[f"{c[0]}{c[1]}" for c in CASES])
def test_distribution_matches_formula_and_torch(fn, kw, dist, expected, name):
    nnlearn.manual_seed(0)
    with backend.use(name):
        t = Tensor(np.zeros(SHAPE))
    out = getattr(init, fn)(t, **kw)
    assert out is t and backend.backend_of(t.data) == name
    w = backend.to_numpy(t.data)
    torch.manual_seed(0)
    tw = getattr(torch.nn.init, fn)(torch.empty(SHAPE, dtype=torch.float64), **kw).numpy()
    n = w.size
    if dist == "uniform":
        bound = math.sqrt(3) * torch_bound_std(fn, **kw)
        assert bound == pytest.approx(expected, rel=1e-12)
        for sample in (w, tw):
            assert np.abs(sample).max() <= bound
            assert np.abs(sample).max() > bound * (1 - 1e-3)
        target_std = bound / math.sqrt(3)
    else:
        target_std = torch_bound_std(fn, **kw)
        assert target_std == pytest.approx(expected, rel=1e-12)
    # sample standard deviation: relative standard error ≈ 1/sqrt(2n) (normal)
    for sample in (w, tw):
        assert sample.std() == pytest.approx(target_std, rel=6 / math.sqrt(2 * n))
        assert abs(sample.mean()) < 6 * target_std / math.sqrt(n)


def test_lecun_variance_is_one_over_fan_in():
    nnlearn.manual_seed(1)
    w = init.lecun_normal_(np.empty(SHAPE))
    assert w.var() == pytest.approx(1 / FAN_IN, rel=0.02)
    u = init.lecun_uniform_(np.empty(SHAPE))
    assert np.abs(u).max() <= math.sqrt(3 / FAN_IN)
    assert u.var() == pytest.approx(1 / FAN_IN, rel=0.02)
    # lecun_normal_ is kaiming_normal_ with the linear gain
    nnlearn.manual_seed(2)
    a = init.lecun_normal_(np.empty((6, 4)))
    nnlearn.manual_seed(2)
    b = init.kaiming_normal_(np.empty((6, 4)), nonlinearity="linear")
    np.testing.assert_array_equal(a, b)


def test_pytorch_linear_default_is_not_one_over_fan_in():
    """Erratum (slide text 004): Var(w) = 1/M is not PyTorch's default."""
    torch.manual_seed(0)
    layer = torch.nn.Linear(FAN_IN, FAN_OUT)
    var = layer.weight.detach().double().var().item()
    assert init.default_linear_variance(FAN_IN) == pytest.approx(1 / (3 * FAN_IN))
    assert var == pytest.approx(init.default_linear_variance(FAN_IN), rel=0.02)
    assert var < 0.4 / FAN_IN  # a third of 1/M, far from it
    assert layer.weight.abs().max().item() <= 1 / math.sqrt(FAN_IN)
    nnlearn.manual_seed(0)
    ours = init.kaiming_uniform_(np.empty(SHAPE), a=math.sqrt(5))
    assert ours.var() == pytest.approx(1 / (3 * FAN_IN), rel=0.02)


@pytest.mark.parametrize("name", BACKENDS)
def test_constants_and_plain_distributions(name):
    with backend.use(name):
        t = Tensor(np.full((3, 4), 7.0))
        b = Tensor(np.full(5, 7.0))  # 1-D is fine for these
    assert init.zeros_(t) is t and np.all(backend.to_numpy(t.data) == 0)
    init.ones_(b)
    assert np.all(backend.to_numpy(b.data) == 1)
    init.constant_(b, 0.25)
    assert np.all(backend.to_numpy(b.data) == 0.25)
    nnlearn.manual_seed(0)
    big = init.uniform_(np.empty(100_000), -2.0, 3.0)
    assert big.min() >= -2.0 and big.max() < 3.0
    assert big.var() == pytest.approx(25 / 12, rel=0.02)
    nbig = init.normal_(np.empty(100_000), mean=1.0, std=0.5)
    assert nbig.mean() == pytest.approx(1.0, abs=0.01) and nbig.std() == pytest.approx(0.5, rel=0.02)
    with pytest.raises(ValueError, match="a <= b"):
        init.uniform_(b, 1.0, 0.0)


def test_same_seed_same_weights_on_every_backend_and_dtype():
    nnlearn.manual_seed(42)
    a = init.xavier_uniform_(np.empty((5, 3)))
    nnlearn.manual_seed(42)
    b = init.xavier_uniform_(torch.empty(5, 3, dtype=torch.float64))
    np.testing.assert_array_equal(a, b.numpy())
    nnlearn.manual_seed(42)
    c = init.xavier_uniform_(np.empty((5, 3), dtype=np.float32))
    assert c.dtype == np.float32
    np.testing.assert_allclose(c, a, rtol=1e-6)


def test_raw_array_is_filled_in_place():
    a = np.zeros((4, 6))
    view = a[:2]
    init.kaiming_uniform_(a)
    assert np.all(view == a[:2]) and np.any(a != 0)


def test_not_an_array():
    with pytest.raises(TypeError, match="Tensor or a backend array"):
        init.zeros_([1.0, 2.0])


# ---------------------------------------------------------------- orthogonal_, trunc_normal_

@pytest.mark.parametrize("shape", [(5, 3), (3, 5), (4, 4), (4, 2, 3)], ids=str)
@pytest.mark.parametrize("name", BACKENDS)
def test_orthogonal_is_torchs_sign_fixed_qr_of_the_draws(name, shape):
    gain = 1.7
    with backend.use(name):
        nnlearn.manual_seed(3)
        w = init.orthogonal_(Tensor(np.zeros(shape)), gain=gain)
    W = np.asarray(backend.to_numpy(w.data)).reshape(shape[0], -1)
    # (semi-)orthogonal: the smaller Gram matrix is gain^2 I
    gram = W @ W.T if W.shape[0] <= W.shape[1] else W.T @ W
    np.testing.assert_allclose(gram, gain**2 * np.eye(min(W.shape)), atol=1e-12)
    # the same computation in torch on the same Gaussian draws (torch's algorithm, step by step)
    a = torch.from_numpy(np.random.default_rng(3).normal(0.0, 1.0, size=W.shape))
    if W.shape[0] < W.shape[1]:
        a = a.T
    q, r = torch.linalg.qr(a)
    q = q * torch.diag(r, 0).sign()
    if W.shape[0] < W.shape[1]:
        q = q.T
    np.testing.assert_allclose(W, gain * q.numpy(), atol=1e-12)
    with pytest.raises(ValueError, match="Only tensors with 2 or more dimensions"):
        torch.nn.init.orthogonal_(torch.zeros(3))
    with pytest.raises(ValueError, match="Only tensors with 2 or more dimensions"):
        init.orthogonal_(np.zeros(3))


@pytest.mark.parametrize("mean, std, a, b", [(0.0, 1.0, -2.0, 2.0), (1.0, 0.5, 0.0, 3.0), (0.0, 0.02, -0.04, 0.04)])
def test_trunc_normal_has_the_truncated_normals_moments_like_torch(mean, std, a, b):
    from scipy.stats import truncnorm

    nnlearn.manual_seed(0)
    x = init.trunc_normal_(np.empty(200_000), mean=mean, std=std, a=a, b=b)
    t = torch.nn.init.trunc_normal_(torch.empty(200_000, dtype=torch.float64), mean=mean, std=std, a=a, b=b).numpy()
    dist = truncnorm((a - mean) / std, (b - mean) / std, loc=mean, scale=std)
    se = dist.std() / math.sqrt(x.size)
    for sample in (x, t):
        assert sample.min() >= a and sample.max() <= b
        assert abs(sample.mean() - dist.mean()) < 5 * se
        assert sample.std() == pytest.approx(dist.std(), rel=0.01)
    # the default +-2 sigma truncation keeps about 0.774 of the variance
    if (mean, std, a, b) == (0.0, 1.0, -2.0, 2.0):
        assert x.var() == pytest.approx(0.774, abs=0.01)
    with pytest.raises(ValueError, match="a < b"):
        init.trunc_normal_(np.empty(3), a=1.0, b=0.0)
