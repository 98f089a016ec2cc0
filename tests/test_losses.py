"""nnlearn.losses against torch.nn.functional (float64): values, gradients,
every reduction, extreme logits and bad inputs."""

import warnings

import numpy as np
import pytest
import torch.nn.functional as F

from nnlearn import Tensor, losses

from conftest import as_numpy, to_torch

RNG = np.random.default_rng(7)
REDUCTIONS = ["mean", "sum", "none"]


def compare(fn, tfn, x, target, reduction, rtol=1e-10):
    """Value and d loss / d input of nnlearn vs torch (output weighted when unreduced)."""
    xt = Tensor(x, requires_grad=True)
    out = fn(xt, Tensor(target), reduction=reduction)
    tx = to_torch(x, requires_grad=True)
    tout = tfn(tx, to_torch(target), reduction=reduction)
    w = RNG.standard_normal(tuple(tout.shape))
    (out * Tensor(w)).sum().backward()
    (tout * to_torch(w)).sum().backward()
    assert out.shape == tuple(tout.shape)
    np.testing.assert_allclose(as_numpy(out), tout.detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(as_numpy(xt.grad), tx.grad.numpy(), rtol=rtol, atol=1e-14)
    return out, xt


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_mse_loss(backend_name, reduction):
    compare(losses.mse_loss, F.mse_loss, RNG.standard_normal((5, 3)), RNG.standard_normal((5, 3)), reduction)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy(backend_name, reduction):
    p = RNG.uniform(0.02, 0.98, (6, 2))
    t = RNG.uniform(0, 1, (6, 2))
    compare(losses.binary_cross_entropy, F.binary_cross_entropy, p, t, reduction)


def test_binary_cross_entropy_clamps_logs_at_minus_100(backend_name):
    p = np.array([0.0, 1.0, 0.0, 1.0, 0.3])
    t = np.array([1.0, 0.0, 0.0, 1.0, 1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = losses.binary_cross_entropy(Tensor(p, requires_grad=True), Tensor(t), reduction="none")
    expected = F.binary_cross_entropy(to_torch(p), to_torch(t), reduction="none").numpy()
    np.testing.assert_allclose(as_numpy(out), expected, rtol=1e-12)
    np.testing.assert_allclose(as_numpy(out)[:2], [100.0, 100.0])


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy_with_logits(backend_name, reduction):
    z = RNG.standard_normal((6, 2)) * 3
    t = RNG.uniform(0, 1, (6, 2))
    compare(losses.binary_cross_entropy_with_logits, F.binary_cross_entropy_with_logits, z, t, reduction)


def test_bce_with_logits_gradient_at_zero_logit_is_sigmoid_minus_target(backend_name):
    """At z = 0 the gradient is sigma(0) - t = 0.5 - t (no kink: softplus is smooth)."""
    z = Tensor(np.zeros(3), requires_grad=True)
    t = np.array([0.0, 1.0, 0.25])
    losses.binary_cross_entropy_with_logits(z, t, reduction="sum").backward()
    np.testing.assert_allclose(as_numpy(z.grad), 0.5 - t, rtol=1e-15)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy(backend_name, reduction):
    z = RNG.standard_normal((7, 4)) * 2
    y = RNG.integers(0, 4, 7)
    compare(losses.cross_entropy, F.cross_entropy, z, y, reduction)


def test_cross_entropy_single_sample(backend_name):
    z = RNG.standard_normal(5)
    for reduction in REDUCTIONS:
        compare(losses.cross_entropy, F.cross_entropy, z, np.array(3), reduction)


def test_cross_entropy_gradient_is_softmax_minus_onehot_over_n(backend_name):
    z = RNG.standard_normal((6, 3))
    y = np.array([0, 2, 1, 1, 0, 2])
    zt = Tensor(z, requires_grad=True)
    losses.cross_entropy(zt, y).backward()
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(as_numpy(zt.grad), (p - np.eye(3)[y]) / 6, rtol=1e-12, atol=1e-15)


def test_cross_entropy_equals_nll_of_log_softmax(backend_name):
    z = RNG.standard_normal((5, 4))
    y = RNG.integers(0, 4, 5)
    a, b = Tensor(z, requires_grad=True), Tensor(z, requires_grad=True)
    la = losses.cross_entropy(a, y)
    lb = losses.nll_loss(losses.log_softmax(b, axis=1), y)
    la.backward()
    lb.backward()
    assert la.item() == pytest.approx(lb.item(), rel=1e-14)
    np.testing.assert_allclose(as_numpy(a.grad), as_numpy(b.grad), rtol=1e-12, atol=1e-16)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_loss(backend_name, reduction):
    logp = np.log(RNG.dirichlet(np.ones(4), size=6))
    y = np.array([0, 3, 3, 1, 2, 0])
    compare(losses.nll_loss, F.nll_loss, logp, y, reduction)


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_log_softmax_and_softmax(backend_name, axis):
    z = RNG.standard_normal((3, 5))
    for fn, tfn in ((losses.log_softmax, F.log_softmax), (losses.softmax, F.softmax)):
        x = Tensor(z, requires_grad=True)
        tx = to_torch(z, requires_grad=True)
        out, tout = fn(x, axis), tfn(tx, dim=axis)
        w = RNG.standard_normal(z.shape)
        (out * Tensor(w)).sum().backward()
        (tout * to_torch(w)).sum().backward()
        np.testing.assert_allclose(as_numpy(out), tout.detach().numpy(), rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(as_numpy(x.grad), tx.grad.numpy(), rtol=1e-10, atol=1e-15)
    # PyTorch's keyword
    np.testing.assert_allclose(as_numpy(losses.softmax(Tensor(z), dim=0)), F.softmax(to_torch(z), dim=0).numpy())


@pytest.mark.parametrize("scale", [1e4, -1e4])
def test_extreme_logits_are_finite_and_warning_free(backend_name, scale):
    z = np.array([[1.0, 0.0, -1.0], [0.0, 1.0, 1.0]]) * scale
    y = np.array([2, 0])
    t = np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]])
    cases = [
        (lambda x: losses.cross_entropy(x, y), lambda x: F.cross_entropy(x, to_torch(y))),
        (lambda x: losses.binary_cross_entropy_with_logits(x, t),
         lambda x: F.binary_cross_entropy_with_logits(x, to_torch(t))),
        (lambda x: losses.log_softmax(x, axis=1).sum(), lambda x: F.log_softmax(x, dim=1).sum()),
        (lambda x: losses.softmax(x, axis=1)[:, 0].sum(), lambda x: F.softmax(x, dim=1)[:, 0].sum()),
    ]
    for fn, tfn in cases:
        x = Tensor(z, requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            out = fn(x)
            out.backward()
        tx = to_torch(z, requires_grad=True)
        tout = tfn(tx)
        tout.backward()
        assert np.isfinite(out.item()) and np.all(np.isfinite(as_numpy(x.grad)))
        assert out.item() == pytest.approx(tout.item(), rel=1e-12)
        np.testing.assert_allclose(as_numpy(x.grad), tx.grad.numpy(), rtol=1e-12, atol=1e-15)


# ---------------------------------------------------------------- bad inputs

def test_cross_entropy_rejects_float_targets(backend_name):
    z = Tensor(RNG.standard_normal((4, 3)))
    onehot = np.eye(3)[[0, 1, 2, 0]]
    with pytest.raises(TypeError, match=r"cross_entropy expects integer class indices.*float64.*\(4, 3\).*one-hot"):
        losses.cross_entropy(z, onehot)
    with pytest.raises(TypeError, match="integer class indices"):
        losses.cross_entropy(z, np.array([0.0, 1.0, 2.0, 0.0]))


@pytest.mark.parametrize("bad", [3, -1, 10])
def test_cross_entropy_class_out_of_range(backend_name, bad):
    z = Tensor(RNG.standard_normal((4, 3)))
    with pytest.raises(ValueError, match=rf"class index {bad} is out of range for 3 classes"):
        losses.cross_entropy(z, np.array([0, bad, 1, 2]))
    with pytest.raises(ValueError, match=rf"class index {bad} is out of range for 3 classes"):
        losses.nll_loss(z, np.array([0, bad, 1, 2]))


def test_cross_entropy_shape_errors(backend_name):
    z = Tensor(RNG.standard_normal((4, 3)))
    with pytest.raises(ValueError, match=r"input has shape \(4, 3\) and target has shape \(5,\).*\(4,\)"):
        losses.cross_entropy(z, np.array([0, 1, 2, 0, 1]))
    with pytest.raises(ValueError, match=r"input must have shape \(N, C\).*3 dimensions"):
        losses.cross_entropy(Tensor(np.zeros((2, 3, 4))), np.zeros((2, 4), dtype=int))


def test_other_bad_inputs(backend_name):
    with pytest.raises(ValueError, match=r"mse_loss: input has shape \(4, 1\) and target has shape \(4,\)"):
        losses.mse_loss(Tensor(np.zeros((4, 1))), np.zeros(4))
    with pytest.raises(ValueError, match=r"probabilities in \[0, 1\].*-2.*binary_cross_entropy_with_logits"):
        losses.binary_cross_entropy(Tensor([0.5, -2.0]), np.array([1.0, 0.0]))
    with pytest.raises(ValueError, match="reduction must be 'mean', 'sum' or 'none', got 'avg'"):
        losses.mse_loss(Tensor([1.0]), np.array([1.0]), reduction="avg")


def test_targets_follow_the_input_backend(backend_name):
    """A NumPy target is moved to the input's backend."""
    z = Tensor(RNG.standard_normal((3, 2)), requires_grad=True)
    loss = losses.mse_loss(z, np.ones((3, 2)))
    loss.backward()
    np.testing.assert_allclose(as_numpy(z.grad), 2 * (as_numpy(z) - 1) / 6, rtol=1e-14)


# ------------------------------------------------- reliability defects

def test_binary_cross_entropy_gradient_at_0_and_1_is_torchs(backend_name):
    """torch divides by max(p(1-p), 1e-12): a huge gradient, not 0 (review §4.5)."""
    p = np.array([0.0, 1.0, 0.0, 1.0, 0.3])
    t = np.array([1.0, 0.0, 0.0, 1.0, 0.6])
    # (rtol 1e-8: PyTorch stores its 1e-12 as a float32, 9.99999996e-13)
    compare(losses.binary_cross_entropy, F.binary_cross_entropy, p, t, "sum", rtol=1e-8)
    x = Tensor(p, requires_grad=True)
    losses.binary_cross_entropy(x, t, reduction="sum").backward()
    assert as_numpy(x.grad)[0] == pytest.approx(-1e12) and as_numpy(x.grad)[1] == pytest.approx(1e12)


def test_binary_cross_entropy_target_gradient_matches_torch(backend_name):
    p, t = RNG.uniform(0.05, 0.95, 4), RNG.uniform(0, 1, 4)
    tp = Tensor(t, requires_grad=True)
    losses.binary_cross_entropy(Tensor(p), tp).backward()
    ttp = to_torch(t, requires_grad=True)
    F.binary_cross_entropy(to_torch(p), ttp).backward()
    np.testing.assert_allclose(as_numpy(tp.grad), ttp.grad.numpy(), rtol=1e-12)


def test_nan_probability_gives_nan_loss(backend_name):
    """Defect 10: NaN is never read as p = 0."""
    out = losses.binary_cross_entropy(Tensor([np.nan, 0.5]), [1.0, 1.0], reduction="none")
    assert np.isnan(as_numpy(out)[0]) and np.isfinite(as_numpy(out)[1])
    assert np.isnan(losses.binary_cross_entropy(Tensor([np.nan]), [1.0]).item())


def test_bce_with_logits_does_not_cancel_for_large_logits(backend_name):
    """Defect 18: torch's form (1 - t) z + softplus(-z)."""
    t = 1 - 2.0**-53
    for z in (1e20, 50.0, -50.0, 1e308):
        got = losses.binary_cross_entropy_with_logits(Tensor([z]), [t]).item()
        want = F.binary_cross_entropy_with_logits(to_torch(np.array([z])), to_torch(np.array([t]))).item()
        assert got == pytest.approx(want, rel=1e-12)
    assert losses.binary_cross_entropy_with_logits(Tensor([1e20]), [t]).item() == pytest.approx(11102.230246251565)


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.uint16, np.int32, np.uint32, np.int64])
def test_integer_labels_of_any_dtype_are_class_indices(backend_name, dtype):
    """Defect 5: uint8 is never a boolean mask, int16/uint16 work on torch."""
    z = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]])
    t = np.array([1, 2, 1], dtype=dtype)
    want = F.cross_entropy(to_torch(z), to_torch(t.astype(np.int64)), reduction="none").numpy()
    np.testing.assert_allclose(as_numpy(losses.cross_entropy(Tensor(z), t, reduction="none")), want, rtol=1e-12)
    np.testing.assert_allclose(as_numpy(losses.cross_entropy(Tensor(z), Tensor(t), reduction="none")), want,
                               rtol=1e-12)
    logp = losses.log_softmax(Tensor(z), dim=1)
    np.testing.assert_allclose(as_numpy(losses.nll_loss(logp, t, reduction="none")), want, rtol=1e-12)
    # and as an index into a tensor
    np.testing.assert_array_equal(as_numpy(Tensor(z)[t]), z[t.astype(np.int64)])
    np.testing.assert_array_equal(as_numpy(Tensor(z)[Tensor(t), Tensor(t)]), z[[1, 2, 1], [1, 2, 1]])


@pytest.mark.parametrize("loss", ["mse", "l1", "cross_entropy", "nll", "bce", "bce_logits"])
def test_empty_batch_gives_nan_as_torch(backend_name, loss):
    """Defect 17 (empty batch): PyTorch returns nan; no ZeroDivisionError."""
    z = np.zeros((0, 3))
    ours = {
        "mse": lambda: losses.mse_loss(Tensor(z), z),
        "l1": lambda: losses.l1_loss(Tensor(z), z),
        "cross_entropy": lambda: losses.cross_entropy(Tensor(z), np.zeros(0, dtype=np.int64)),
        "nll": lambda: losses.nll_loss(Tensor(z), np.zeros(0, dtype=np.int64)),
        "bce": lambda: losses.binary_cross_entropy(Tensor(z), z),
        "bce_logits": lambda: losses.binary_cross_entropy_with_logits(Tensor(z), z),
    }[loss]
    assert np.isnan(ours().item())
    assert np.isnan(Tensor(np.zeros(0)).mean().item()) and np.isnan(F.mse_loss(to_torch(z), to_torch(z)).item())


def test_logsumexp_at_infinity_as_torch(backend_name):
    """Defect 15: a row of -inf gives -inf, a +inf entry gives +inf."""
    import torch
    for row in ([-np.inf, -np.inf], [np.inf, 1.0], [-np.inf, 0.0], [np.inf, np.inf]):
        a = np.array([row, [0.0, 1.0]])
        got = as_numpy(Tensor(a).logsumexp(axis=1))
        want = torch.logsumexp(torch.tensor(a), dim=1).numpy()
        np.testing.assert_array_equal(got, want)


def test_mixed_backend_losses_raise_backend_error():
    from nnlearn import backend
    z = Tensor(RNG.standard_normal((3, 2)))
    with backend.use("torch"):
        labels, target = Tensor(np.array([0, 1, 1])), Tensor(np.ones((3, 2)))
    with pytest.raises(backend.BackendError, match="cannot combine a tensor on backend"):
        losses.cross_entropy(z, labels)
    with pytest.raises(backend.BackendError, match="cannot combine a tensor on backend"):
        losses.nll_loss(z, labels)
    with pytest.raises(backend.BackendError, match="cannot combine a tensor on backend"):
        losses.mse_loss(z, target)


def test_l1_loss(backend_name):
    for reduction in REDUCTIONS:
        compare(losses.l1_loss, F.l1_loss, RNG.standard_normal((5, 3)), RNG.standard_normal((5, 3)), reduction)
