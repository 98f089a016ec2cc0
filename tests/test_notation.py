"""The notation page says what the book and nnlearn do (review findings A2, A3, A5, D9)."""

import re
from pathlib import Path

import numpy as np
import pytest

from nnlearn import manual
from nnlearn.course.compare import random_batch

PAGE = (Path(__file__).resolve().parents[1] / "book" / "notation.md").read_text()


def _row(symbol_start):
    rows = [l for l in PAGE.splitlines() if l.startswith("| " + symbol_start)]
    assert rows, symbol_start
    return rows[0]


def test_the_batch_delta_is_delta_of_shape_N_by_n_l_as_in_manual_MLP():
    """A2: the batch delta is δ⁽ˡ⁾ (N × n_l), as chapter 2 and manual.MLP.delta; Δ is only
    slide 003's accumulator (with a layer index)."""
    assert r"\delta^{(l)} = \frac{\partial E}{\partial U^{(l)}} \in \mathbb{R}^{N \times n_l}" in PAGE
    assert r"\Delta^{(l)} = \frac{\partial E}{\partial U^{(l)}}" not in PAGE
    # r5a D1: a capital Δ with a layer index is only the accumulator; without one, a change
    assert "capital $\\Delta^{(l)}$ with a layer index is slide 003's gradient accumulator" in PAGE
    assert "Without a layer index a capital $\\Delta$ means a change" in PAGE
    net = manual.MLP([3, 5, 2], activation="tanh", output="identity", seed=0)
    X, D = random_batch("squared", N=7, n_in=3, n_out=2, seed=0)
    net.gradient(X, D)
    assert [tuple(d.shape) for d in net.deltas] == [(7, 5), (7, 2)]


def test_slide002_G_is_N_times_our_delta():
    """A3: G_{ℓ−1} = ∂𝓛/∂H_ℓ = N δ^(ℓ), because 𝓛 = N·E."""
    assert "| $G_{\\ell-1} = \\partial\\mathcal L/\\partial H_\\ell$ | $N\\,\\delta^{(\\ell)}$ |" in PAGE
    net = manual.MLP([3, 5, 4, 2], activation="tanh", output="identity", loss="squared", seed=2)
    X, D = random_batch("squared", N=10, n_in=3, n_out=2, seed=3)
    net.gradient(X, D)
    slide = manual.tanh_mlp_backward_slide002(X, D, [W.T for W, _ in net.params], [b for _, b in net.params])
    for k in range(3):
        np.testing.assert_allclose(slide.G[k], 10 * net.delta[k + 1], rtol=1e-12, atol=1e-15)
        assert not np.allclose(slide.G[k], net.delta[k + 1])


def test_sigma_is_the_sigmoid_with_an_argument_and_a_deviation_without():
    """A5: the page no longer claims σ means 'nothing else'; the book's σ, σ_B² are listed."""
    assert "and nothing else" not in PAGE
    assert "standard deviation" in _row(r"$\sigma$, $\sigma_B^2$")
    book = Path(__file__).resolve().parents[1] / "book" / "ch03_autodiff.md"
    text = book.read_text()
    bn = text[text.index("## Batch normalization"):text.index("## Summary")]
    assert "\\sigma^2" not in bn.replace("\\sigma_B^2", "")          # the batch variance is σ_B²


def test_the_log_loss_sums_over_outputs_as_manual_does():
    """D9: the page's log loss is Σ_k over the outputs, as manual.LOSSES['log']."""
    assert r"E_n = -\sum_k\big[d_{nk} \ln y_{nk} + (1-d_{nk})\ln(1-y_{nk})\big]" in PAGE
    y, d = np.array([[0.2, 0.9]]), np.array([[0.0, 1.0]])
    E_n, _ = manual.LOSSES["log"]
    assert E_n(y, d)[0] == pytest.approx(-(np.log(0.8) + np.log(0.9)))


def test_every_symbol_row_has_three_columns():
    table = PAGE[PAGE.index("| Symbol |"):PAGE.index("**Batches are rows.**")]
    for line in table.strip().splitlines():
        cells = re.findall(r"(?<!\\)\|", line)
        assert len(cells) == 4, line


def test_pytorchs_mean_reductions_against_E_as_the_page_states_r4a():
    """r4a A1: PyTorch's reduction="mean" is E only for cross_entropy; mse_loss is 2/n_L·E and
    binary_cross_entropy 1/n_L·E (averages over all N·n_L entries), with E from manual.LOSSES."""
    import torch
    import torch.nn.functional as F

    assert "times our log-loss $E$" in PAGE and "$\\tfrac{1}{n_L}$" in PAGE
    rng = np.random.default_rng(0)
    N, n_L = 4, 3
    y, d = rng.uniform(0.05, 0.95, (N, n_L)), (rng.random((N, n_L)) > 0.5) * 1.0
    E = lambda name: manual.LOSSES[name][0](y, d).mean()
    t = lambda a: torch.tensor(a)
    assert F.binary_cross_entropy(t(y), t(d)).item() == pytest.approx(E("log") / n_L, rel=1e-12)
    assert F.mse_loss(t(y), t(d)).item() == pytest.approx(2 / n_L * E("squared"), rel=1e-12)
    labels = rng.integers(0, n_L, N)
    p = np.exp(y) / np.exp(y).sum(1, keepdims=True)
    ce = manual.LOSSES["cross_entropy"][0](p, np.eye(n_L)[labels]).mean()
    assert F.cross_entropy(t(y), t(labels)).item() == pytest.approx(ce, rel=1e-12)
