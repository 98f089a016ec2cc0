"""nnlearn.train.checks: Karpathy's input-independent baseline, the batch-dependency check
(against torch.autograd on the same model), and the update-to-weight ratio."""

import numpy as np
import pytest
import torch

import nnlearn
from nnlearn import data, losses, nn, optim, train
from nnlearn.train.checks import UpdateRatio, batch_dependency, input_independent_baseline


def _mlp(d=4, batchnorm=False):
    layers = [nn.Linear(d, 8)] + ([nn.BatchNorm1d(8)] if batchnorm else []) + [nn.ReLU(), nn.Linear(8, 3)]
    return nn.Sequential(*layers)


def test_an_mlp_treats_samples_independently():
    nnlearn.manual_seed(0)
    X = np.random.default_rng(0).normal(size=(6, 4))
    assert batch_dependency(_mlp(), X, index=2) == []


def test_batchnorm_in_training_mode_mixes_the_batch_and_torch_agrees():
    nnlearn.manual_seed(0)
    model = _mlp(batchnorm=True)
    X = np.random.default_rng(1).normal(size=(5, 4))
    assert batch_dependency(model, X, index=1) == [0, 2, 3, 4]
    model.eval()
    assert batch_dependency(model, X, index=1) == []
    # torch: the same architecture, the same verdict
    tm = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.BatchNorm1d(8), torch.nn.ReLU(),
                             torch.nn.Linear(8, 3)).double()
    x = torch.tensor(X, requires_grad=True)
    tm(x)[1].sum().backward()
    assert [i for i in range(5) if i != 1 and x.grad[i].abs().sum() > 0] == [0, 2, 3, 4]


class _SoftmaxOverBatch(nn.Module):
    """A bug Karpathy describes: a normalization over the wrong axis."""

    def forward(self, x):
        return losses.softmax(x, axis=0)


def test_a_softmax_over_the_batch_axis_is_caught():
    nnlearn.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 3), _SoftmaxOverBatch())
    X = np.random.default_rng(0).normal(size=(4, 4))
    assert batch_dependency(model, X, index=0) == [1, 2, 3]
    with pytest.raises(IndexError):
        batch_dependency(model, X, index=4)


def _moons_train_and_score(X_train, X_val):
    _, y = data.two_moons(200, noise=0.2, seed=0)
    _, yv = data.two_moons(200, noise=0.2, seed=1)
    nnlearn.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 2))
    train.fit(model, losses.cross_entropy, optim.Adam(model.parameters(), lr=0.02), (X_train, y), 20,
              batch_size=20, seed=0, progress=False)
    return train.evaluate(model, losses.cross_entropy, (X_val, yv), metrics=["accuracy"])


def test_input_independent_baseline_learns_only_the_class_frequencies():
    X, _ = data.two_moons(200, noise=0.2, seed=0)
    Xv, yv = data.two_moons(200, noise=0.2, seed=1)
    out = input_independent_baseline(_moons_train_and_score, X, Xv, metric="loss")
    assert out["uses_input"]
    assert out["real"]["accuracy"] > 0.9
    # zeroed inputs: the best the network can do is the class frequencies, here 1/2 each
    assert out["zeroed"]["loss"] == pytest.approx(np.log(2), abs=0.02)
    assert out["zeroed"]["accuracy"] == pytest.approx(0.5, abs=0.05)
    out = input_independent_baseline(_moons_train_and_score, X, Xv, metric="accuracy")
    assert out["uses_input"]


def test_update_ratio_is_the_relative_size_of_each_step():
    nnlearn.manual_seed(0)
    X, y = data.two_moons(60, noise=0.2, seed=0)
    model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 2))
    w0 = np.array(np.asarray(model[0].weight))
    ratio = UpdateRatio()
    h = train.fit(model, losses.cross_entropy, optim.SGD(model.parameters(), lr=0.1), (X, y), 1,
                  batch_size=60, callbacks=[ratio], progress=False, record_initial=False)
    assert list(ratio.ratios) == ["0.weight", "2.weight"]            # weights only
    assert len(ratio.ratios["0.weight"]) == 1                        # one full-batch step
    w1 = np.asarray(model[0].weight)
    assert ratio.ratios["0.weight"][0] == pytest.approx(np.linalg.norm(w1 - w0) / np.linalg.norm(w0), rel=1e-12)
    # one step from the same weights with a learning rate 100 times larger: 100 times the ratio
    nnlearn.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 2))
    big = UpdateRatio()
    train.fit(model, losses.cross_entropy, optim.SGD(model.parameters(), lr=10.0), (X, y), 1,
              batch_size=60, callbacks=[big], progress=False, record_initial=False)
    assert big.ratios["0.weight"][0] == pytest.approx(100 * ratio.ratios["0.weight"][0], rel=1e-9)
    assert set(big.summary()) == {"0.weight", "2.weight"}
