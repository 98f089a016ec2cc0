"""nnlearn.nn.functional against torch.nn.functional: values and gradients,
on the numpy and torch backends."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import nnlearn
import nnlearn.nn.functional as F
from nnlearn import Tensor, backend

from conftest import as_numpy, to_torch
from test_tensor import check_op, draw

RNG = np.random.default_rng(9)

ACTIVATIONS = [
    ("relu", lambda f, x: f.relu(x), "nonzero"),
    ("sigmoid", lambda f, x: f.sigmoid(x), "real"),
    ("tanh", lambda f, x: f.tanh(x), "real"),
    ("softplus", lambda f, x: f.softplus(x), "real"),
    ("softplus-beta", lambda f, x: f.softplus(x, beta=2.0), "real"),
    ("leaky_relu", lambda f, x: f.leaky_relu(x), "nonzero"),
    ("leaky_relu-slope", lambda f, x: f.leaky_relu(x, 0.2), "nonzero"),
    ("gelu", lambda f, x: f.gelu(x), "real"),
    ("gelu-tanh", lambda f, x: f.gelu(x, approximate="tanh"), "real"),
    ("softmax", lambda f, x: f.softmax(x, dim=1), "real"),
    ("softmax-0", lambda f, x: f.softmax(x, dim=0), "real"),
    ("log_softmax", lambda f, x: f.log_softmax(x, dim=1), "real"),
]


@pytest.mark.parametrize("name, f, domain", ACTIVATIONS, ids=[a[0] for a in ACTIVATIONS])
def test_activations_match_torch(backend_name, name, f, domain):
    check_op(lambda x: f(F, x), lambda x: f(TF, x), [draw((3, 4), domain)])


def test_leaky_relu_slope_at_zero_is_torchs():
    x, tx = Tensor([0.0, 1.0], requires_grad=True), torch.tensor([0.0, 1.0], requires_grad=True)
    F.leaky_relu(x, 0.1).sum().backward()
    TF.leaky_relu(tx, 0.1).sum().backward()
    assert as_numpy(x.grad).tolist() == pytest.approx(tx.grad.tolist()) == [0.1, 1.0]


def test_linear_matches_torch(backend_name):
    check_op(lambda x, w, b: F.linear(x, w, b), lambda x, w, b: TF.linear(x, w, b),
             [draw((5, 3)), draw((4, 3)), draw((4,))])
    check_op(lambda x, w: F.linear(x, w), lambda x, w: TF.linear(x, w), [draw((2, 5, 3)), draw((4, 3))])


def test_dropout_masks_scale_and_modes(backend_name):
    x = Tensor(np.ones((200, 50)), requires_grad=True)
    nnlearn.manual_seed(0)
    y = F.dropout(x, p=0.3, training=True)
    kept = as_numpy(y) != 0
    assert abs(kept.mean() - 0.7) < 0.02
    np.testing.assert_allclose(as_numpy(y)[kept], 1 / 0.7)
    y.sum().backward()
    np.testing.assert_array_equal(as_numpy(x.grad), as_numpy(y))   # dropped units pass no gradient
    assert F.dropout(x, 0.3, training=False) is x and F.dropout(x, 0.0) is x
    assert np.all(as_numpy(F.dropout(x, 1.0)) == 0)
    nnlearn.manual_seed(0)
    with backend.use("numpy"):
        ref = F.dropout(Tensor(np.ones((200, 50))), p=0.3)
    np.testing.assert_array_equal(as_numpy(y), as_numpy(ref))          # same mask on every backend
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.dropout(x, 1.5)


def test_dropout_follows_its_input_backend_not_the_current_one():
    with backend.use("torch"):
        x = Tensor(np.ones((3, 4)))
    y = F.dropout(x, 0.5)                     # the current backend is numpy here
    assert y.backend.name == "torch"


def test_one_hot_matches_torch(backend_name):
    labels = np.array([0, 2, 1, 2])
    for n in (-1, 4):
        ours = F.one_hot(Tensor(labels), n)
        theirs = TF.one_hot(torch.tensor(labels), n)
        np.testing.assert_array_equal(as_numpy(ours), theirs.numpy())
        assert ours.dtype == nnlearn.int64
    with pytest.raises(RuntimeError, match=r"in \[0, 1\]"):
        F.one_hot(Tensor(labels), 2)


LOSSES = [
    ("mse", lambda f, x, t: f.mse_loss(x, t), "real"),
    ("mse-sum", lambda f, x, t: f.mse_loss(x, t, reduction="sum"), "real"),
    ("l1", lambda f, x, t: f.l1_loss(x, t), "real"),
    ("l1-none", lambda f, x, t: f.l1_loss(x, t, reduction="none"), "real"),
    ("bce-logits", lambda f, x, t: f.binary_cross_entropy_with_logits(x, t), "prob-target"),
    ("bce", lambda f, x, t: f.binary_cross_entropy(f.sigmoid(x), t), "prob-target"),
]


@pytest.mark.parametrize("name, f, kind", LOSSES, ids=[l[0] for l in LOSSES])
def test_regression_and_binary_losses_match_torch(backend_name, name, f, kind):
    x = draw((4, 3))
    t = RNG.uniform(0, 1, (4, 3)) if kind == "prob-target" else draw((4, 3))
    check_op(lambda a, b: f(F, a, b), lambda a, b: f(TF, a, b), [x, t])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_classification_losses_match_torch(backend_name, reduction):
    z, labels = draw((5, 4)), np.array([0, 3, 1, 1, 2])

    def ours(x):
        return F.cross_entropy(x, labels, reduction=reduction) + \
            F.nll_loss(F.log_softmax(x, dim=1), Tensor(labels), reduction=reduction)

    def theirs(x):
        t = torch.tensor(labels)
        return TF.cross_entropy(x, t, reduction=reduction) + \
            TF.nll_loss(TF.log_softmax(x, dim=1), t, reduction=reduction)

    check_op(ours, theirs, [z])
