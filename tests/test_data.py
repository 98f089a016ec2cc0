"""Tests of nnlearn.data: data sets, the Gabor model, splits, scaling, label coding, loaders."""

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from nnlearn import backend
from nnlearn import data as D
from nnlearn.data.preprocessing import _proportional_counts

BACKENDS = ["numpy", "torch"]


def as_np(a):
    return backend.to_numpy(a)


# --------------------------------------------------------------------------
# Generated data sets: determinism, shapes, dtypes
# --------------------------------------------------------------------------

GENERATORS = {
    "sinusoid": (D.sinusoid, {"n": 25}, 1, "regression"),
    "gabor_data": (D.gabor_data, {"n": 30}, 1, "regression"),
    "xor": (D.xor, {"n": 50}, 2, "classification"),
    "two_moons": (D.two_moons, {"n": 51}, 2, "classification"),
    "spirals": (D.spirals, {"n": 61, "classes": 4}, 2, "classification"),
    "blobs": (D.blobs, {"n": 70, "centers": 3, "n_features": 5}, 5, "classification"),
}


@pytest.mark.parametrize("name", GENERATORS)
def test_generator_shapes_dtypes_and_determinism(name):
    fn, kw, d, kind = GENERATORS[name]
    n = kw["n"]
    X1, y1 = fn(**kw, seed=3)
    X2, y2 = fn(**kw, seed=3)
    X3, _ = fn(**kw, seed=4)
    assert X1.shape == (n, d) and X1.dtype == np.float64
    if kind == "regression":
        assert y1.shape == (n, 1) and y1.dtype == np.float64
    else:
        assert y1.shape == (n,) and y1.dtype == np.int64
    # same seed: bit for bit; another seed: different data
    assert X1.tobytes() == X2.tobytes() and y1.tobytes() == y2.tobytes()
    assert not np.array_equal(X1, X3)


def test_seed_none_draws_from_nnlearn_generator():
    backend.manual_seed(11)
    a = D.sinusoid(n=5, seed=None)
    b = D.sinusoid(n=5, seed=None)
    backend.manual_seed(11)
    c = D.sinusoid(n=5, seed=None)
    assert np.array_equal(a[0], c[0]) and not np.array_equal(a[0], b[0])


@pytest.mark.parametrize("bad", [1.5, "0", True, -1])
def test_bad_seed_is_a_clear_error(bad):
    with pytest.raises((TypeError, ValueError), match="seed must be"):
        D.sinusoid(seed=bad)


def test_bad_n_and_noise():
    with pytest.raises(ValueError, match="n must be an integer >= 1, got 0"):
        D.sinusoid(n=0)
    with pytest.raises(TypeError, match="n must be an integer"):
        D.xor(n=10.0)
    with pytest.raises(ValueError, match="noise must be a finite number >= 0, got -0.1"):
        D.two_moons(noise=-0.1)


def test_sinusoid_curve_by_hand():
    x = np.array([0.0, 0.25, 0.5, 0.75, 1.0])
    np.testing.assert_allclose(D.sinusoid_curve(x), [0, 1, 0, -1, 0], atol=1e-15)


def test_sinusoid_noise_std_and_range():
    X, t = D.sinusoid(n=200_000, noise=0.3, seed=1)
    assert X.min() >= 0 and X.max() <= 1
    eps = (t - D.sinusoid_curve(X)).ravel()
    assert abs(eps.std() - 0.3) < 0.003          # std of the std estimate is ~0.0005
    assert abs(eps.mean()) < 0.003
    assert abs(X.mean() - 0.5) < 0.003           # uniform on [0, 1]


def test_sinusoid_evenly_spaced_and_noise_free():
    X, t = D.sinusoid(n=10, noise=0.0, evenly_spaced=True)
    np.testing.assert_array_equal(X.ravel(), np.linspace(0, 1, 10))
    np.testing.assert_array_equal(t, np.sin(2 * np.pi * X))


def test_xor_truth_table():
    X, y = D.xor(n=4, noise=0.0)
    np.testing.assert_array_equal(X, [[0, 0], [0, 1], [1, 0], [1, 1]])
    np.testing.assert_array_equal(y, [0, 1, 1, 0])
    X, y = D.xor(n=4000, noise=0.1, seed=2)
    np.testing.assert_array_equal(y, np.array([0, 1, 1, 0])[np.arange(4000) % 4])
    corner = X - np.array([[0, 0], [0, 1], [1, 0], [1, 1]])[np.arange(4000) % 4]
    assert abs(corner.std() - 0.1) < 0.005
    np.testing.assert_array_equal(np.bincount(y), [2000, 2000])


def test_two_moons_matches_sklearn_geometry():
    from sklearn.datasets import make_moons

    for n in (10, 11):
        X, y = D.two_moons(n=n, noise=0.0, shuffle=False)
        Xs, ys = make_moons(n_samples=n, noise=0.0, shuffle=False)
        np.testing.assert_allclose(X, Xs, atol=1e-15)
        np.testing.assert_array_equal(y, ys)
    # shuffled and noisy: same multiset of labels, noise of the requested size
    X, y = D.two_moons(n=20_000, noise=0.05, seed=0)
    assert np.bincount(y).tolist() == [10_000, 10_000]
    outer = X[y == 0]
    radius = np.hypot(outer[:, 0], outer[:, 1])    # 1 plus noise for the upper moon
    assert abs(radius.mean() - 1) < 0.01 and abs(radius.std() - 0.05) < 0.005


def test_spirals_match_cs231n():
    # CS231n's code, N points per class, with the noise switched off
    N, K = 40, 3
    Xr = np.zeros((N * K, 2))
    yr = np.zeros(N * K, dtype=np.int64)
    for j in range(K):
        ix = range(N * j, N * (j + 1))
        r = np.linspace(0.0, 1, N)
        t = np.linspace(j * 4, (j + 1) * 4, N)
        Xr[ix] = np.c_[r * np.sin(t), r * np.cos(t)]
        yr[ix] = j
    X, y = D.spirals(n=N * K, classes=K, noise=0.0, shuffle=False)
    np.testing.assert_allclose(X, Xr, atol=1e-15)
    np.testing.assert_array_equal(y, yr)
    _, y = D.spirals(n=301, classes=3)
    assert np.bincount(y).tolist() == [101, 100, 100]
    assert not np.array_equal(y, np.sort(y))       # shuffled by default


def test_blobs_means_and_stds():
    centers = np.array([[0.0, 0.0], [5.0, -5.0], [-3.0, 8.0]])
    X, y = D.blobs(n=30_000, centers=centers, std=[0.5, 1.0, 2.0], seed=1)
    assert np.bincount(y).tolist() == [10_000] * 3
    for j in range(3):
        np.testing.assert_allclose(X[y == j].mean(axis=0), centers[j], atol=0.06)
        np.testing.assert_allclose(X[y == j].std(axis=0), [0.5, 1.0, 2.0][j], rtol=0.03)
    X, y = D.blobs(n=10, centers=4, std=0.0, center_box=(-2, 2), seed=5)
    assert np.all(np.abs(X) <= 2) and len(np.unique(y)) == 4
    with pytest.raises(ValueError, match="centers must be"):
        D.blobs(centers=np.zeros(3))


def test_digits_shape_dtype_counts():
    X, y, images = D.digits(return_images=True)
    assert X.shape == (1797, 64) and X.dtype == np.float64
    assert y.shape == (1797,) and y.dtype == np.int64
    assert images.shape == (1797, 8, 8)
    np.testing.assert_array_equal(images.reshape(1797, 64), X)
    assert X.min() == 0 and X.max() == 16 and np.all(X == np.round(X))
    counts = np.bincount(y)
    assert counts.tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    assert counts.min() >= 170 and counts.max() <= 190
    X2, y2 = D.digits()
    assert np.array_equal(X, X2) and np.array_equal(y, y2)


# --------------------------------------------------------------------------
# The Gabor model
# --------------------------------------------------------------------------

def test_gabor_value_by_hand():
    # u = 1 + 0.06 * 10 * 2 = 2.2
    u = 2.2
    assert float(D.gabor(2.0, (1.0, 10.0))) == pytest.approx(math.sin(u) * math.exp(-u * u / 32), rel=1e-14)
    assert float(D.gabor(0.0, np.array([1.0, 10.0]))) == pytest.approx(math.sin(1) * math.exp(-1 / 32))


def test_gabor_broadcasts_over_a_grid_of_phi():
    x = np.linspace(-15, 15, 7)
    P0, P1 = np.meshgrid(np.linspace(-10, 10, 4), np.linspace(2.5, 22.5, 3))
    phi = np.stack([P0, P1])                                  # (2, 3, 4)
    F = D.gabor(x, phi)
    assert F.shape == (3, 4, 7)
    np.testing.assert_array_equal(D.gabor(x, (P0, P1)), F)
    assert D.gabor(x.reshape(7, 1), phi).shape == (3, 4, 7, 1)
    G = D.gabor_grad(x, phi)
    assert G.shape == (2, 3, 4, 7)
    for i in range(3):
        for j in range(4):
            np.testing.assert_allclose(F[i, j], D.gabor(x, phi[:, i, j]), rtol=1e-15)
            np.testing.assert_allclose(G[:, i, j], D.gabor_grad(x, phi[:, i, j]), rtol=1e-15)
    y = np.sin(x)
    L = D.gabor_loss(phi, x, y)
    assert L.shape == (3, 4)
    assert L[1, 2] == pytest.approx(np.mean((D.gabor(x, phi[:, 1, 2]) - y) ** 2), rel=1e-14)
    assert D.gabor_loss_grad(phi, x, y).shape == (2, 3, 4)


def test_gabor_bad_phi():
    with pytest.raises(ValueError, match=r"phi must have shape \(2,\) or \(2, \.\.\.\)"):
        D.gabor(np.zeros(3), np.zeros(3))
    with pytest.raises(ValueError, match="one target y per input x"):
        D.gabor_loss((0.0, 1.0), np.zeros(3), np.zeros(4))


def _central_difference(f, phi, h=1e-6):
    phi = np.asarray(phi, dtype=float)
    out = []
    for k in range(2):
        e = np.zeros(2)
        e[k] = h
        out.append((f(phi + e) - f(phi - e)) / (2 * h))
    return np.stack(out)


PHIS = [(0.5, 15.0), (-7.3, 4.1), (9.0, 21.7), (2.0, 3.0)]


@pytest.mark.parametrize("phi", PHIS)
def test_gabor_grad_against_finite_differences(phi):
    x = np.linspace(-15, 15, 13)
    fd = _central_difference(lambda p: D.gabor(x, p), phi)
    np.testing.assert_allclose(D.gabor_grad(x, phi), fd, rtol=1e-6, atol=1e-9)
    X, y = D.gabor_data(seed=2)
    fd = _central_difference(lambda p: D.gabor_loss(p, X, y), phi)
    np.testing.assert_allclose(D.gabor_loss_grad(phi, X, y), fd, rtol=1e-6, atol=1e-10)


def _torch_gabor(x, p):
    u = p[0] + 0.06 * p[1] * x
    return torch.sin(u) * torch.exp(-u**2 / 32)


@pytest.mark.parametrize("phi", PHIS)
def test_gabor_grads_against_torch_autograd(phi):
    X, y = D.gabor_data(n=25, seed=4)
    xt, yt = torch.tensor(X.ravel()), torch.tensor(y.ravel())
    p = torch.tensor(phi, dtype=torch.float64, requires_grad=True)
    loss = torch.nn.functional.mse_loss(_torch_gabor(xt, p), yt)
    loss.backward()
    assert float(D.gabor_loss(phi, X, y)) == pytest.approx(loss.item(), rel=1e-13)
    np.testing.assert_allclose(D.gabor_loss_grad(phi, X, y), p.grad.numpy(), rtol=1e-11, atol=1e-14)
    # per-point gradients df_i/dphi: the Jacobian
    jac = torch.autograd.functional.jacobian(lambda q: _torch_gabor(xt, q), p.detach())
    np.testing.assert_allclose(D.gabor_grad(X.ravel(), phi), jac.numpy().T, rtol=1e-11, atol=1e-14)


def test_gabor_works_on_torch_arrays():
    X, y = D.gabor_data(seed=1)
    with backend.use("torch") as b:
        phi_t = b.asarray(np.array([1.0, 12.0]))
        Xt, yt = b.asarray(X), b.asarray(y)
        L = D.gabor_loss(phi_t, Xt, yt)
        g = D.gabor_loss_grad(phi_t, Xt, yt)
    assert isinstance(L, torch.Tensor) and isinstance(g, torch.Tensor)
    assert float(L) == pytest.approx(float(D.gabor_loss((1.0, 12.0), X, y)), rel=1e-14)
    np.testing.assert_allclose(g.numpy(), D.gabor_loss_grad((1.0, 12.0), X, y), rtol=1e-13)


def _interior_grid_minima(L):
    """Indices of grid points lower than their 8 neighbours."""
    c = L[1:-1, 1:-1]
    is_min = np.ones_like(c, dtype=bool)
    for di in (-1, 0, 1):
        for dj in (-1, 0, 1):
            if di or dj:
                is_min &= c < L[1 + di:L.shape[0] - 1 + di, 1 + dj:L.shape[1] - 1 + dj]
    i, j = np.nonzero(is_min)
    return list(zip(i + 1, j + 1))


def test_gabor_surface_has_one_global_and_several_local_minima():
    from scipy.optimize import minimize

    X, y = D.gabor_data()
    s = D.gabor_loss_surface(X, y, num=201)
    assert s.loss.shape == (201, 201)
    i, j = np.unravel_index(np.argmin(s.loss), s.loss.shape)
    assert abs(s.phi0[i, j] - D.GABOR_PHI[0]) <= 0.2 and abs(s.phi1[i, j] - D.GABOR_PHI[1]) <= 0.2

    found = []
    for i, j in _interior_grid_minima(s.loss):
        r = minimize(
            lambda p: float(D.gabor_loss(p, X, y)), [s.phi0[i, j], s.phi1[i, j]],
            jac=lambda p: D.gabor_loss_grad(p, X, y), method="BFGS", options={"gtol": 1e-10},
        )
        p = r.x
        inside = -10 < p[0] < 10 and 2.5 < p[1] < 22.5
        if inside and np.linalg.norm(D.gabor_loss_grad(p, X, y)) < 1e-7:
            if all(np.hypot(*(p - q)) > 0.05 for q, _ in found):
                found.append((p, r.fun))
    found.sort(key=lambda t: t[1])
    (p_best, l_best), others = found[0], found[1:]
    # the global minimum: at the true parameters, loss about noise² = 0.01
    np.testing.assert_allclose(p_best, [0.52, 15.00], atol=0.01)
    assert l_best == pytest.approx(0.0095, abs=5e-5)
    # local minima that are real minima (positive definite Hessian) and clearly worse
    assert len(others) >= 5
    for p, loss in others:
        assert loss > l_best + 0.1
        H = _central_difference(lambda q: D.gabor_loss_grad(q, X, y), p, h=1e-5)
        assert np.all(np.linalg.eigvalsh((H + H.T) / 2) > 0)
    # the two deepest local minima: the central bump shifted onto a neighbouring peak
    np.testing.assert_allclose(others[0][0], [-5.70, 14.96], atol=0.01)
    np.testing.assert_allclose(others[1][0], [6.43, 15.02], atol=0.01)


# --------------------------------------------------------------------------
# train_val_test_split
# --------------------------------------------------------------------------

def test_split_sizes_cover_and_determinism():
    X = np.arange(100.0).reshape(50, 2)
    y = np.arange(50.0).reshape(50, 1)                        # regression: not stratified
    s = D.train_val_test_split(X, y, val_size=0.2, test_size=0.1, seed=1)
    (Xtr, ytr), (Xva, yva), (Xte, yte) = s
    assert (len(Xtr), len(Xva), len(Xte)) == (35, 10, 5)
    assert s.train[0] is Xtr and s.val[1] is yva and s.test[0] is Xte
    rows = np.concatenate([Xtr[:, 0], Xva[:, 0], Xte[:, 0]]) / 2
    assert sorted(rows.tolist()) == list(range(50))             # a partition
    for A, b in s:
        np.testing.assert_array_equal(A[:, 0] / 2, b[:, 0])     # rows stay paired
    s2 = D.train_val_test_split(X, y, val_size=0.2, test_size=0.1, seed=1)
    s3 = D.train_val_test_split(X, y, val_size=0.2, test_size=0.1, seed=2)
    assert all(np.array_equal(a[0], b[0]) for a, b in zip(s, s2))
    assert not np.array_equal(s.test[0], s3.test[0])
    # counts instead of fractions
    s = D.train_val_test_split(X, y, val_size=7, test_size=3)
    assert (len(s.train[0]), len(s.val[0]), len(s.test[0])) == (40, 7, 3)


def test_stratified_split_keeps_proportions_within_one_sample():
    X, y = D.digits()
    s = D.train_val_test_split(X, y, val_size=0.2, test_size=0.2, seed=0)
    n_c = np.bincount(y)
    sizes = [len(s.train[1]), len(s.val[1]), len(s.test[1])]
    assert sizes == [1079, 359, 359]
    for (A, b), m, frac in zip(s, sizes, (0.6, 0.2, 0.2)):
        counts = np.bincount(b, minlength=10)
        assert np.all(np.abs(counts - n_c * m / len(y)) < 1)
        assert np.all(np.abs(counts - n_c * frac) <= 1)
    # X rows still belong to their labels
    lookup = {row.tobytes(): label for row, label in zip(X, y)}
    assert all(lookup[row.tobytes()] == label for row, label in zip(*s.test))
    # a plain random split of the same sizes is usually off by more
    u = D.train_val_test_split(X, y, stratify=False, seed=0)
    assert np.max(np.abs(np.bincount(u.test[1], minlength=10) - n_c * 0.2)) > 1


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(min_value=0, max_value=60), min_size=1, max_size=8),
    st.data(),
)
def test_proportional_counts_round_every_cell_down_or_up(class_counts, data):
    n = sum(class_counts)
    if n == 0:
        return
    a = data.draw(st.integers(0, n))
    b = data.draw(st.integers(0, n - a))
    sizes = [n - a - b, a, b]
    table = _proportional_counts(class_counts, sizes)
    assert table.sum(axis=1).tolist() == class_counts
    assert table.sum(axis=0).tolist() == sizes
    ideal = np.outer(class_counts, sizes) / n
    assert np.all(np.abs(table - ideal) < 1)


def test_split_stratify_auto_and_errors():
    X = np.zeros((30, 2))
    y_float = np.linspace(0, 1, 30)
    D.train_val_test_split(X, y_float)                            # regression: fine
    with pytest.raises(ValueError, match="stratify=True needs integer class labels"):
        D.train_val_test_split(X, y_float, stratify=True)
    with pytest.raises(ValueError, match="X has 30 samples .* but y has 29"):
        D.train_val_test_split(X, y_float[:29])
    with pytest.raises(ValueError, match="leave no training samples"):
        D.train_val_test_split(X, y_float, val_size=0.5, test_size=0.5)
    with pytest.raises(ValueError, match="leave no training samples"):
        D.train_val_test_split(X, y_float, val_size=0.6, test_size=0.45)
    with pytest.raises(ValueError, match=r"fraction in \[0, 1\)"):
        D.train_val_test_split(X, y_float, test_size=1.5)
    y = np.array([0] * 14 + [1] * 14 + [2] * 2)
    with pytest.raises(ValueError, match="class 2 has only 2 sample"):
        D.train_val_test_split(X, y)
    D.train_val_test_split(X, y, stratify=False)
    D.train_val_test_split(X, y, val_size=0.0, test_size=0.3)     # two splits: 2 per class suffice
    with pytest.raises(ValueError, match="fewer than the 3 classes"):
        D.train_val_test_split(X, np.arange(30) % 3, val_size=2, test_size=0.3)
    with pytest.raises(TypeError, match="stratify must be True, False or None"):
        D.train_val_test_split(X, y, stratify="yes")


def test_split_of_torch_arrays():
    X, y = D.blobs(n=60, centers=3)
    Xt, yt = torch.tensor(X), torch.tensor(y)
    s_t = D.train_val_test_split(Xt, yt, seed=5)
    s_n = D.train_val_test_split(X, y, seed=5)
    for (A, b), (An, bn) in zip(s_t, s_n):
        assert isinstance(A, torch.Tensor) and b.dtype == torch.int64
        np.testing.assert_array_equal(A.numpy(), An)
        np.testing.assert_array_equal(b.numpy(), bn)


# --------------------------------------------------------------------------
# StandardScaler and Whitener
# --------------------------------------------------------------------------

def test_scaler_fits_on_train_only():
    from sklearn.preprocessing import StandardScaler as SkScaler

    X, y = D.digits()
    (Xtr, _), (Xva, _), (Xte, _) = D.train_val_test_split(X, y, seed=0)
    sc = D.StandardScaler().fit(Xtr)
    assert np.array_equal(sc.mean_, Xtr.mean(axis=0))
    assert not np.allclose(sc.mean_, X.mean(axis=0))              # not the full data's mean
    ref = SkScaler().fit(Xtr)
    np.testing.assert_allclose(sc.scale_, ref.scale_, rtol=1e-14)
    np.testing.assert_allclose(sc.scale_[sc.var_ > 0], Xtr.std(axis=0)[Xtr.std(axis=0) > 0], rtol=1e-14)
    mean_before, scale_before = sc.mean_.copy(), sc.scale_.copy()
    Zte = sc.transform(Xte)
    sc.transform(Xva)
    assert np.array_equal(sc.mean_, mean_before) and np.array_equal(sc.scale_, scale_before)
    np.testing.assert_allclose(Zte, ref.transform(Xte), rtol=1e-12, atol=1e-12)
    Ztr = sc.transform(Xtr)
    const = Xtr.std(axis=0) == 0
    assert const.sum() >= 1                                      # digits have blank pixels
    np.testing.assert_allclose(Ztr.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(Ztr.std(axis=0)[~const], 1, rtol=1e-12)
    assert np.all(sc.scale_[const] == 1) and np.all(Ztr[:, const] == 0)
    assert np.all(np.isfinite(Zte))
    np.testing.assert_allclose(sc.inverse_transform(Zte), Xte, atol=1e-12)


def test_scaler_population_std_by_hand():
    X = np.array([[1.0, 5.0], [3.0, 5.0]])       # mean (2, 5), population std (1, 0)
    sc = D.StandardScaler()
    Z = sc.fit_transform(X)
    np.testing.assert_array_equal(sc.mean_, [2, 5])
    np.testing.assert_array_equal(sc.scale_, [1, 1])             # std 0 -> scale 1
    np.testing.assert_array_equal(Z, [[-1, 0], [1, 0]])
    # a constant column with rounding noise in its mean is still constant
    sc.fit(np.full((7, 1), 0.1))
    assert sc.scale_[0] == 1.0


@pytest.mark.parametrize("name", BACKENDS)
def test_scaler_on_backend_arrays(name):
    X = np.random.default_rng(0).normal(3.0, 2.0, size=(50, 3))
    ref = D.StandardScaler().fit(X)
    with backend.use(name) as b:
        Xb = b.asarray(X)
        sc = D.StandardScaler().fit(Xb)
        Z = sc.transform(Xb)
        assert type(Z) is type(Xb)
    np.testing.assert_allclose(as_np(sc.mean_), ref.mean_, rtol=1e-14)
    np.testing.assert_allclose(as_np(sc.scale_), ref.scale_, rtol=1e-14)
    np.testing.assert_allclose(as_np(Z), ref.transform(X), rtol=1e-12)


def test_scaler_errors():
    sc = D.StandardScaler()
    with pytest.raises(ValueError, match="not fitted yet.*fit\\(X_train\\)"):
        sc.transform(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="not fitted yet"):
        sc.inverse_transform(np.zeros((2, 2)))
    sc.fit(np.ones((4, 3)))
    with pytest.raises(ValueError, match="fitted on 3 features but X has 2"):
        sc.transform(np.zeros((4, 2)))
    with pytest.raises(ValueError, match="must be 2-D"):
        D.StandardScaler().fit(np.zeros(5))


def _correlated(n=400, seed=0):
    rng = np.random.default_rng(seed)
    A = np.array([[2.0, 0.5, 0.0], [0.0, 1.0, -0.7], [0.3, 0.0, 0.4]])
    return rng.normal(size=(n, 3)) @ A + np.array([5.0, -2.0, 1.0])


@pytest.mark.parametrize("name", BACKENDS)
@pytest.mark.parametrize("method", ["zca", "pca"])
def test_whitening_gives_identity_covariance(method, name):
    X = _correlated()
    Xtest = _correlated(seed=1)
    with backend.use(name) as b:
        w = D.Whitener(method=method, eps=0.0).fit(b.asarray(X))
        Z = as_np(w.transform(b.asarray(X)))
        Zt = w.transform(b.asarray(Xtest))
        back = as_np(w.inverse_transform(Zt))
    cov = Z.T @ Z / len(Z)
    np.testing.assert_allclose(Z.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(cov, np.eye(3), atol=1e-10)
    np.testing.assert_allclose(back, Xtest, atol=1e-10)
    Xc = X - X.mean(axis=0)
    Sigma = Xc.T @ Xc / len(X)
    if method == "zca":
        # ZCA's matrix is the symmetric inverse square root of the covariance
        from scipy.linalg import sqrtm

        W = as_np(w.matrix_)
        np.testing.assert_allclose(W, np.real(np.linalg.inv(sqrtm(Sigma))), rtol=1e-8)
    else:
        # PCA: sklearn's whitened PCA up to sign, once its 1/(N-1) is turned into 1/N
        from sklearn.decomposition import PCA

        Zs = PCA(whiten=True).fit(X).transform(X) * np.sqrt(len(X) / (len(X) - 1))
        np.testing.assert_allclose(np.abs(Z), np.abs(Zs), atol=1e-8)
        assert np.all(np.diff(as_np(w.eigenvalues_)) <= 0)
        np.testing.assert_allclose(as_np(w.eigenvalues_), np.linalg.eigvalsh(Sigma)[::-1], rtol=1e-12)


@pytest.mark.parametrize("method", ["zca", "pca"])
def test_whitening_with_eps_and_singular_data(method):
    X = _correlated()
    eps = 0.05
    w = D.Whitener(method=method, eps=eps).fit(X)
    Z = w.transform(X)
    lam = w.eigenvalues_
    U = w.eigenvectors_
    # covariance Λ/(Λ+ε) along the principal axes
    cov_axes = U.T @ (Z.T @ Z / len(Z)) @ U if method == "zca" else Z.T @ Z / len(Z)
    np.testing.assert_allclose(cov_axes, np.diag(lam / (lam + eps)), atol=1e-12)
    Xs, _ = D.digits()
    with pytest.raises(ValueError, match="covariance is singular.*Use eps > 0"):
        D.Whitener(method=method, eps=0).fit(Xs)
    Zd = D.Whitener(method=method, eps=1e-2).fit_transform(Xs[:500])
    assert np.all(np.isfinite(Zd))
    d = np.diag(Zd.T @ Zd / 500)
    assert np.all(d < 1 + 1e-9)


def test_whitener_errors():
    with pytest.raises(ValueError, match="method must be 'zca' or 'pca'"):
        D.Whitener(method="svd")
    with pytest.raises(ValueError, match="eps must be a finite number >= 0"):
        D.Whitener(eps=-1)
    with pytest.raises(ValueError, match="not fitted yet"):
        D.Whitener().transform(np.zeros((3, 2)))


# --------------------------------------------------------------------------
# one_hot and to_class_indices
# --------------------------------------------------------------------------

def test_one_hot_by_hand_and_round_trip():
    Y = D.one_hot(np.array([2, 0, 1, 2]))
    np.testing.assert_array_equal(Y, [[0, 0, 1], [1, 0, 0], [0, 1, 0], [0, 0, 1]])
    assert Y.dtype == np.float64
    assert D.one_hot([1], num_classes=4).tolist() == [[0, 1, 0, 0]]
    assert D.one_hot([1], num_classes=-1).shape == (1, 2)
    assert D.one_hot(np.array([1, 0]), dtype="int64").dtype == np.int64
    assert D.one_hot(np.zeros((2, 3), dtype=np.int64), num_classes=5).shape == (2, 3, 5)
    _, y = D.digits()
    np.testing.assert_array_equal(D.to_class_indices(D.one_hot(y)), y)
    assert D.to_class_indices(np.array([[0.1, 0.7, 0.2], [0.5, 0.5, 0.0]])).tolist() == [1, 0]
    assert D.to_class_indices(D.one_hot(y)).dtype == np.int64


def test_one_hot_matches_torch_and_works_on_torch():
    y = torch.tensor([3, 1, 0, 1])
    Y = D.one_hot(y)
    assert isinstance(Y, torch.Tensor) and Y.dtype == torch.float64
    np.testing.assert_array_equal(Y.numpy(), torch.nn.functional.one_hot(y).numpy())
    assert torch.equal(D.to_class_indices(Y), y)


def test_one_hot_errors():
    with pytest.raises(ValueError, match="found the negative label -1"):
        D.one_hot(np.array([0, -1, 2]))
    with pytest.raises(ValueError, match="labels must be in 0..2 for num_classes=3, found label 3"):
        D.one_hot(np.array([0, 3]), num_classes=3)
    with pytest.raises(TypeError, match="must be integers.*dtype float64.*astype"):
        D.one_hot(np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match="num_classes must be a positive integer"):
        D.one_hot(np.array([0, 1]), num_classes=0)
    with pytest.raises(ValueError, match="expected rows of K >= 1 scores"):
        D.to_class_indices(np.array(3.0))


# --------------------------------------------------------------------------
# DataLoader
# --------------------------------------------------------------------------

def _epoch(loader):
    xs, ys = [], []
    for xb, yb in loader:
        xs.append(as_np(xb.data))
        ys.append(as_np(yb.data))
    return xs, ys


def test_dataloader_len_and_errors():
    X = np.zeros((100, 3))
    assert len(D.DataLoader(X, batch_size=32)) == 4
    assert len(D.DataLoader(X, batch_size=32, drop_last=True)) == 3
    assert len(D.DataLoader(X, batch_size=100)) == 1
    assert len(D.DataLoader(X, batch_size=101, drop_last=True)) == 0
    with pytest.raises(ValueError, match="X has 100 samples .* but y has 99"):
        D.DataLoader(X, np.zeros(99))
    for bad in (0, -3):
        with pytest.raises(ValueError, match=f"batch_size must be an integer >= 1, got {bad}"):
            D.DataLoader(X, batch_size=bad)
    for bad in (2.5, True, "8"):
        with pytest.raises(TypeError, match="batch_size must be an integer"):
            D.DataLoader(X, batch_size=bad)
    assert "4 batches" in repr(D.DataLoader(X))


def test_dataloader_covers_every_sample_once_per_epoch():
    X = np.arange(200.0).reshape(100, 2)
    y = np.arange(100)
    loader = D.DataLoader(X, y, batch_size=32, shuffle=True, seed=0)
    epochs = []
    for _ in range(3):
        xs, ys = _epoch(loader)
        assert [len(b) for b in xs] == [32, 32, 32, 4]
        order = np.concatenate(ys)
        assert sorted(order.tolist()) == list(range(100))
        np.testing.assert_array_equal(np.concatenate(xs), X[order])  # rows stay paired
        assert np.concatenate(ys).dtype == np.int64 and xs[0].dtype == np.float64
        epochs.append(order)
    assert not np.array_equal(epochs[0], epochs[1])                 # new order every epoch
    assert not np.array_equal(epochs[0], np.arange(100))
    # the same seed gives the same sequence of epochs
    again = D.DataLoader(X, y, batch_size=32, shuffle=True, seed=0)
    for e in epochs:
        np.testing.assert_array_equal(np.concatenate(_epoch(again)[1]), e)
    other = D.DataLoader(X, y, batch_size=32, shuffle=True, seed=1)
    assert not np.array_equal(np.concatenate(_epoch(other)[1]), epochs[0])
    # drop_last: three full batches, 96 distinct samples
    xs, ys = _epoch(D.DataLoader(X, y, batch_size=32, shuffle=True, drop_last=True, seed=0))
    assert [len(b) for b in ys] == [32, 32, 32] and len(set(np.concatenate(ys))) == 96


def test_dataloader_without_shuffle_and_without_y():
    from nnlearn._tensor import Tensor

    X = np.arange(10.0).reshape(10, 1)
    batches = list(D.DataLoader(X, batch_size=4))
    assert all(isinstance(b, Tensor) for b in batches)
    assert [as_np(b.data).ravel().tolist() for b in batches] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert batches[0].requires_grad is False
    # seed=None: nnlearn's generator, reproducible with manual_seed
    backend.manual_seed(3)
    a = [as_np(b.data).ravel() for b in D.DataLoader(X, batch_size=10, shuffle=True)]
    backend.manual_seed(3)
    b = [as_np(b.data).ravel() for b in D.DataLoader(X, batch_size=10, shuffle=True)]
    np.testing.assert_array_equal(a[0], b[0])


def test_dataloader_on_torch_backend():
    from nnlearn._tensor import Tensor

    X, y = D.spirals(n=90)
    ref = _epoch(D.DataLoader(X, y, batch_size=16, shuffle=True, seed=7))
    with backend.use("torch"):
        loader = D.DataLoader(X, y, batch_size=16, shuffle=True, seed=7)
        assert isinstance(loader.X, torch.Tensor) and loader.y.dtype == torch.int64
        batches = list(loader)
        for xb, yb in batches:
            assert isinstance(xb, Tensor) and xb.backend.name == "torch"
            assert xb.dtype == torch.float64 and yb.dtype == torch.int64
    assert len(batches) == 6 == len(loader)
    for (xb, yb), xr, yr in zip(batches, *ref):
        np.testing.assert_array_equal(xb.data.numpy(), xr)
        np.testing.assert_array_equal(yb.data.numpy(), yr)


def test_dataloader_batches_stay_on_the_loaders_backend():
    import nnlearn

    X = np.arange(12.0).reshape(6, 2)
    y = np.arange(6)
    with nnlearn.backend.use("torch"):
        loader = nnlearn.data.DataLoader(X, y, batch_size=4)
    xb, yb = next(iter(loader))          # iterated under the numpy backend
    assert xb.backend.name == "torch" and yb.backend.name == "torch"
    assert nnlearn.backend.backend_of(xb.data) == "torch"
    np.testing.assert_array_equal(xb.numpy(), X[:4])


# --------------------------------------------------------------------------
# Reliability (issue 12): non-finite data and parameters are errors
# --------------------------------------------------------------------------

@pytest.mark.parametrize("bad, what", [(np.nan, "NaN"), (np.inf, "infinity"), (-np.inf, "infinity")])
@pytest.mark.parametrize("cls", [D.StandardScaler, D.Whitener])
def test_scalers_refuse_non_finite_training_data(cls, bad, what):
    X = np.random.default_rng(0).standard_normal((50, 3))
    X[40, 1] = bad
    with pytest.raises(ValueError, match=rf"{cls.__name__}.fit: X contains {what} \(row 40, "
                                         r"column 1; 1 non-finite entry in all\)"):
        cls().fit(X)
    # scikit-learn also refuses infinity (it skips nan as missing, which nnlearn leaves to you)
    if what == "infinity":
        from sklearn.preprocessing import StandardScaler as SkScaler
        with pytest.raises(ValueError, match="infinity"):
            SkScaler().fit(X)


def test_scaler_refuses_non_finite_data_on_the_torch_backend():
    X = torch.tensor([[1.0, 2.0], [float("nan"), 1.0], [0.0, 0.0]], dtype=torch.float64)
    with pytest.raises(ValueError, match=r"X contains NaN \(row 1, column 0"):
        D.StandardScaler().fit(X)


@pytest.mark.parametrize("call, pattern", [
    (lambda: D.two_moons(noise=np.inf), "two_moons: noise must be a finite number >= 0, got inf"),
    (lambda: D.two_moons(noise=np.nan), "two_moons: noise must be a finite number >= 0, got nan"),
    (lambda: D.sinusoid(noise=float("inf")), "sinusoid: noise must be a finite number"),
    (lambda: D.xor(noise=np.inf), "xor: noise must be a finite number"),
    (lambda: D.spirals(noise=-np.inf), "spirals: noise must be a finite number"),
    (lambda: D.gabor_data(noise=np.inf), "gabor_data: noise must be a finite number"),
    (lambda: D.gabor_data(phi=(np.nan, 15.0)), r"gabor_data: phi must be 2 finite numbers"),
    (lambda: D.gabor_data(phi=(0.5,)), r"gabor_data: phi must be 2 finite numbers"),
    (lambda: D.blobs(std=np.inf), "blobs: std must be finite numbers, got inf"),
    (lambda: D.blobs(std=[1.0, np.nan, 1.0]), "blobs: std must be finite numbers"),
    (lambda: D.blobs(std=[1.0, 2.0]), r"blobs: std must be one number or one per cluster \(3\)"),
    (lambda: D.blobs(center_box=(-np.inf, 10.0)), "blobs: center_box must be 2 finite numbers"),
    (lambda: D.blobs(centers=[[0.0, np.inf], [1.0, 1.0]]), "blobs: centers must be finite numbers"),
    (lambda: D.gabor_loss_surface(*D.gabor_data(), phi1_range=(2.5, np.nan)),
     "gabor_loss_surface: phi1_range must be 2 finite numbers"),
])
def test_generators_refuse_non_finite_parameters(call, pattern):
    with pytest.raises(ValueError, match=pattern):
        call()


def test_one_std_per_cluster_still_works():
    X, y = D.blobs(n=3000, centers=[[0.0, 0.0], [50.0, 50.0]], std=[0.5, 2.0], seed=0)
    np.testing.assert_allclose([X[y == 0].std(), X[y == 1].std()], [0.5, 2.0], rtol=0.05)


@pytest.mark.parametrize("call, error, pattern", [
    (lambda: D.DataLoader((r for r in np.zeros((4, 2))), np.zeros(4)), TypeError,
     r"DataLoader: X must be an array with one row per sample, got a generator"),
    (lambda: D.DataLoader(None), TypeError, r"DataLoader: X must be an array .* got None"),
    (lambda: D.DataLoader({"a": 1}), TypeError, r"DataLoader: X must be an array .* got a dict"),
    (lambda: D.train_val_test_split(None, np.zeros(4)), TypeError,
     r"train_val_test_split: X must be an array .* got None"),
    (lambda: D.StandardScaler().fit(np.full((3, 2), "a")), TypeError,
     r"StandardScaler.fit: X must hold numbers, got an array of dtype <U1"),
    (lambda: D.StandardScaler().fit(np.ones((3, 2)) + 1j), TypeError,
     r"StandardScaler.fit: X holds complex numbers"),
    (lambda: D.StandardScaler().fit(np.ones((3, 2))).transform(np.full((1, 2), np.nan)), ValueError,
     r"StandardScaler.transform: X contains NaN"),
    (lambda: D.Whitener(eps=float("inf")), ValueError, r"Whitener: eps must be a finite number >= 0"),
    (lambda: D.Whitener(eps=float("nan")), ValueError, r"Whitener: eps must be a finite number >= 0"),
    (lambda: D.gabor("abc", (1.0, 2.0)), TypeError, r"^gabor: expected numbers or arrays of numbers"),
])
def test_wrong_kinds_of_input_found_by_the_probe_are_named(call, error, pattern):
    with pytest.raises(error, match=pattern):
        call()


def test_lists_are_arrays_for_splits_and_standardized_split_checks_every_split():
    from nnlearn.train import standardized_split
    X = np.random.default_rng(0).standard_normal((40, 3))
    y = np.arange(40) % 2
    a = D.train_val_test_split(X.tolist(), y.tolist(), seed=1)
    b = D.train_val_test_split(X, y, seed=1)
    for (Xa, ya), (Xb, yb) in zip(a, b):
        np.testing.assert_array_equal(Xa, Xb)
        np.testing.assert_array_equal(ya, yb)
    X[7, 2] = np.nan            # whichever split row 7 lands in, it is refused up front
    with pytest.raises(ValueError, match=r"standardized_split: X contains NaN \(row 7, column 2"):
        standardized_split(X, y, seed=1)
