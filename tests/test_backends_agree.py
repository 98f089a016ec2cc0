"""A full training step gives the same numbers on every backend (float64, 1e-10).

The model is built under each backend from the same seed (nnlearn draws every
random number on the host, so initial weights and dropout masks are identical),
then trained for a few steps; parameters and losses must agree with the NumPy run.
"""

import numpy as np
import pytest

import nnlearn
from nnlearn import backend, nn, optim
from nnlearn.losses import cross_entropy

from conftest import CUDA


def run(name, optimizer, steps=5):
    with backend.use(name):
        nnlearn.manual_seed(0)
        model = nn.Sequential(nn.Linear(8, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Dropout(0.2),
                              nn.Linear(16, 16), nn.Tanh(), nn.Linear(16, 3))
        opt = optimizer(model.parameters())
        rng = np.random.default_rng(1)
        X = nnlearn.Tensor(rng.standard_normal((32, 8)))
        y = nnlearn.Tensor(rng.integers(0, 3, size=32))
        losses = []
        for _ in range(steps):
            opt.zero_grad()
            loss = cross_entropy(model(X), y)
            loss.backward()
            opt.step()
            losses.append(loss.item())
        model.eval()
        with nnlearn.no_grad():
            out = model(X).numpy()
        return losses, [backend.to_numpy(p.data) for p in model.parameters()], out


OPTIMIZERS = {
    "sgd-nesterov": lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-3),
    "adam": lambda ps: optim.Adam(ps, lr=0.01),
    "adamw": lambda ps: optim.AdamW(ps, lr=0.01, weight_decay=0.1),
}


@pytest.mark.parametrize("other", ["torch", CUDA])
@pytest.mark.parametrize("opt_name", sorted(OPTIMIZERS))
def test_training_steps_agree_with_numpy(other, opt_name):
    ref_losses, ref_params, ref_out = run("numpy", OPTIMIZERS[opt_name])
    losses, params, out = run(other, OPTIMIZERS[opt_name])
    np.testing.assert_allclose(losses, ref_losses, rtol=0, atol=1e-10)
    for p, q in zip(params, ref_params):
        np.testing.assert_allclose(p, q, rtol=0, atol=1e-10)
    np.testing.assert_allclose(out, ref_out, rtol=0, atol=1e-10)
    assert ref_losses[-1] < ref_losses[0]     # it did train
