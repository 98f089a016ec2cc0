r"""The slides' mistakes, transcribed exactly, so that they can be run.

Each function here reproduces one formula or one piece of code *as a slide
text wrote it*, mistakes included; its docstring says where it comes from,
what is wrong and what the correction is. The errata appendix of the book and
``tests/test_errata.py`` call these functions and compare them with the
correct computation (``nnlearn.course.manual``, autodiff, PyTorch), so the page and
the tests demonstrate the same thing.

Nothing here is meant for training a network: use :mod:`nnlearn.nn`,
:mod:`nnlearn.course.manual` and :mod:`nnlearn.nn.init` for that.

Slide texts are numbered 000 to 004 as in the course sources; layer indices
follow each slide's own convention (see the dictionary on the notation page),
which the docstrings translate into the book's notation where it matters.

Notes
-----
Some slides show NumPy or PyTorch code. Their transcriptions
(:func:`slide002_dropout`, :func:`slide003_net`) use those libraries on the
host, as the slides do; every other function takes its array namespace from
its inputs.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np  # slide text 002's dropout code is NumPy code; it is transcribed as such

from .. import backend
from .._display import Table

__all__ = [
    "slide000_output_delta",
    "KORNFEIN_TABLE",
    "KORNFEIN_AVERAGES",
    "ExperimentRow",
    "experiment_rows",
    "experiment_table",
    "experiment_averages",
    "experiment_averages_table",
    "sign_test",
    "slide000_batchnorm_as_written",
    "slide001_forward",
    "slide001_loss",
    "slide001_hidden_gradient",
    "slide002_dropout",
    "inverted_dropout",
    "slide003_log_likelihood",
    "slide003_output_delta_as_written",
    "slide003_hidden_delta",
    "slide003_net",
    "slide003_forward_as_written",
    "slide004_relu_derivative",
    "slide004_normal_init_as_written",
    "slide004_batch_update",
    "slide004_backward_deltas",
    "slide004_standardize_as_written",
    "slide004_decorrelate",
    "whiten",
    "variance_through_linear_layers",
    "first_order_gap",
    "loss_after_step",
]


def _sigmoid(v):
    """The logistic sigmoid of a float, a ``Value``/``Tensor`` (method) or an array."""
    if isinstance(v, (int, float)):
        return 1.0 / (1.0 + math.exp(-v))
    if hasattr(v, "sigmoid"):
        return v.sigmoid()
    xp = backend.namespace_of(v)
    return 1 / (1 + xp.exp(-v))


def _log(v):
    """The natural log of a float, a ``Value``/``Tensor``/torch tensor (method) or an array."""
    if isinstance(v, (int, float)):
        return math.log(v)
    if hasattr(v, "log"):
        return v.log()
    return backend.namespace_of(v).log(v)


# ----------------------------------------------------------------------------
# Slide text 000 (Neural Networks II)
# ----------------------------------------------------------------------------

def slide000_output_delta(z, a, y):
    r"""Slide text 000, "Quick reference ... 5.2 Backpropagation": the output delta as written.

    The slide defines, for a :math:`K`-layer network with sigmoid units and
    squared error,

    .. math::

        \delta_i^{(K)} \triangleq \frac{\partial E_n}{\partial a_i^{(K)}}
        = \bigl(z_i^{(3)} - y_i\bigr)\,\sigma'\bigl(a_i^{(3)}\bigr),

    with the layer index :math:`K` on the left and a hard-coded :math:`3` on the
    right. This function evaluates the right-hand side literally:
    ``(z[3] - y) * σ'(a[3])``.

    Parameters
    ----------
    z, a : sequences of arrays
        ``z[k]`` and ``a[k]`` are the slide's activations and pre-activations
        of layer ``k`` (``z[0]`` is the input; ``a[0]`` is unused). With
        :class:`nnlearn.course.manual.MLP` these are ``net.Z`` and ``net.U``.
    y : array
        Targets, shaped like the output.

    Notes
    -----
    Correct: :math:`\delta^{(K)} = (z^{(K)} - y) \odot \sigma'(a^{(K)})`,
    the last layer whatever its number. The slide's right-hand side is right
    only when :math:`K = 3`; for a deeper network it is a hidden layer's
    quantity (and for a shallower one it does not exist).
    """
    s = _sigmoid(a[3])
    return (z[3] - y) * s * (1 - s)


class ExperimentRow(NamedTuple):
    """One row of slide text 000's results table, as printed."""

    source: str
    target: str
    baseline: float
    baseline_2sigma: float
    synthetic: float
    synthetic_2sigma: float
    improvement_percent: float


#: Slide text 000, "Experimental Design Example": mean average precision
#: (mAP) of a detector trained on a source domain and tested on a target
#: domain, without ("baseline") and with added synthetic images, each as
#: mean :math:`\pm 2\sigma` over retrainings, and the printed "Average
#: improvement %". Transcribed from the slide (Kornfein et al., 2023).
KORNFEIN_TABLE = tuple(ExperimentRow(*r) for r in (
    ("EM", "EM", 0.822, 0.067, 0.919, 0.016, 11.8),
    ("NE", "EM", 0.567, 0.019, 0.698, 0.038, 23.1),
    ("NW", "EM", 0.358, 0.061, 0.424, 0.114, 18.4),
    ("SW", "EM", 0.449, 0.160, 0.626, 0.180, 39.4),
    ("EM", "NE", 0.387, 0.031, 0.487, 0.114, 25.8),
    ("NE", "NE", 0.812, 0.028, 0.842, 0.013, 3.7),
    ("NW", "NE", 0.666, 0.061, 0.709, 0.049, 6.5),
    ("SW", "NE", 0.412, 0.045, 0.521, 0.089, 26.5),
    ("EM", "NW", 0.485, 0.064, 0.521, 0.054, 7.4),
    ("NE", "NW", 0.746, 0.018, 0.770, 0.032, 3.2),
    ("NW", "NW", 0.895, 0.071, 0.915, 0.023, 2.2),
    ("SW", "NW", 0.659, 0.111, 0.693, 0.066, 5.2),
    ("EM", "SW", 0.093, 0.016, 0.113, 0.008, 20.9),
    ("NE", "SW", 0.121, 0.029, 0.134, 0.030, 10.7),
    ("NW", "SW", 0.149, 0.029, 0.197, 0.024, 32.2),
    ("SW", "SW", 0.566, 0.035, 0.568, 0.104, 0.4),
))

#: The table's two summary rows as printed: ``name -> (baseline, 2σ,
#: synthetic, 2σ, improvement %)``.
KORNFEIN_AVERAGES = {
    "within-domain": (0.774, 0.050, 0.811, 0.039, 4.8),
    "cross-domain": (0.425, 0.054, 0.491, 0.067, 15.7),
}


def experiment_rows(rows=KORNFEIN_TABLE, decimals=3):
    r"""Recompute every row of slide text 000's results table.

    For each row, with baseline :math:`b \pm 2\sigma_b` and synthetic
    :math:`s \pm 2\sigma_s` (the slide prints :math:`2\sigma`):

    - ``recomputed``: the improvement :math:`100\,(s/b - 1)` from the printed
      means;
    - ``low``, ``high``: the range of that ratio over all unrounded values
      that round to the printed ones (half a unit of the last decimal);
    - ``consistent``: whether the printed improvement lies in that range;
    - ``difference``: :math:`s - b`;
    - ``two_sigma_difference``: :math:`\sqrt{(2\sigma_b)^2 + (2\sigma_s)^2}`,
      the :math:`2\sigma` spread of the difference between one baseline and
      one synthetic retraining (independent runs);
    - ``exceeds_2sigma``: ``difference > two_sigma_difference``;
    - ``intervals_separate``: whether :math:`b + 2\sigma_b < s - 2\sigma_s`.

    Returns a list of dicts (one per row), keys as above plus the row's fields.
    """
    half = 0.5 * 10.0 ** (-decimals)
    out = []
    for r in rows:
        b, s = r.baseline, r.synthetic
        low = 100 * ((s - half) / (b + half) - 1)
        high = 100 * ((s + half) / (b - half) - 1)
        spread = math.hypot(r.baseline_2sigma, r.synthetic_2sigma)
        out.append({
            **r._asdict(),
            "recomputed": 100 * (s / b - 1),
            "low": low,
            "high": high,
            "consistent": low <= r.improvement_percent <= high,
            "difference": s - b,
            "two_sigma_difference": spread,
            "exceeds_2sigma": (s - b) > spread,
            "intervals_separate": b + r.baseline_2sigma < s - r.synthetic_2sigma,
        })
    return out


def experiment_table(rows=KORNFEIN_TABLE):
    r""":func:`experiment_rows` as a :class:`~nnlearn._display.Table` for the page.

    Columns: the pair, the printed improvement, the one recomputed from the
    printed means and its rounding range, the difference of the means
    :math:`\pm` the :math:`2\sigma` spread of the difference, and whether
    the difference is beyond the retraining noise: "bars apart" (the
    :math:`\pm 2\sigma` bars do not overlap, which implies the next), "Δ > 2σ"
    (the difference exceeds its :math:`2\sigma` spread) or "no".
    """
    def beyond(r):  # bars apart implies Δ > 2σ of Δ, since a + b ≥ √(a² + b²)
        return "bars apart" if r["intervals_separate"] else "Δ > 2σ" if r["exceeds_2sigma"] else "no"

    return Table(
        ["pair", "printed %", "recomputed %", "rounding range", "Δ mAP ± 2σ", "beyond noise"],
        [[f"{r['source']}→{r['target']}", f"{r['improvement_percent']:.1f}",
          f"{r['recomputed']:.1f}", f"{r['low']:.1f}–{r['high']:.1f}",
          f"{r['difference']:.3f}±{r['two_sigma_difference']:.3f}", beyond(r)]
         for r in experiment_rows(rows)],
        title="Slide text 000's results table, recomputed from its printed means",
    )


def experiment_averages_table(rows=KORNFEIN_TABLE, printed=None):
    """:func:`experiment_averages` beside the printed average rows, as a Table.

    ``printed`` defaults to :data:`KORNFEIN_AVERAGES`.
    """
    printed = KORNFEIN_AVERAGES if printed is None else printed
    out = []
    for name, a in experiment_averages(rows).items():
        b, b2s, s, s2s, pct = printed[name]
        out.append([name, f"{pct:.1f}", f"{a['ratio_percent']:.1f}",
                     f"{a['mean_of_improvements']:.1f}", f"{b2s:.3f} / {s2s:.3f}",
                     f"{a['two_sigma_of_mean_baseline']:.3f} / {a['two_sigma_of_mean_synthetic']:.3f}"])
    return Table(["rows", "printed %", "% of the means", "mean of the %",
                  "printed ±", "2σ of a mean"], out,
                 title="The average rows: printed, and recomputed (± as baseline / synthetic)")


def experiment_averages(rows=KORNFEIN_TABLE):
    r"""Recompute the two summary rows of slide text 000's results table.

    Within-domain rows have source = target; cross-domain rows the others.
    For each group of :math:`k` rows returns a dict with

    - ``baseline``, ``synthetic``: the mean of the printed means;
    - ``ratio_percent``: :math:`100\,(\bar s/\bar b - 1)`, the improvement of
      the averages (what the slide prints);
    - ``mean_of_improvements``: the average of the printed row improvements
      (what "average improvement" suggests);
    - ``mean_2sigma_baseline``, ``mean_2sigma_synthetic``: the average of the
      rows' :math:`2\sigma` (what the slide prints as the average's
      :math:`\pm`);
    - ``two_sigma_of_mean_baseline``, ``two_sigma_of_mean_synthetic``:
      :math:`\sqrt{\sum_i (2\sigma_i)^2}/k`, the :math:`2\sigma` of an average
      of :math:`k` independent estimates;
    - ``bands_separate``: whether the two averages' :math:`\pm 2\sigma` of a
      mean do not overlap (baseline's upper end below the synthetic's lower).
    """
    groups = {"within-domain": [r for r in rows if r.source == r.target],
              "cross-domain": [r for r in rows if r.source != r.target]}
    out = {}
    for name, g in groups.items():
        k = len(g)
        b = sum(r.baseline for r in g) / k
        s = sum(r.synthetic for r in g) / k
        out[name] = {
            "rows": k,
            "baseline": b,
            "synthetic": s,
            "ratio_percent": 100 * (s / b - 1),
            "mean_of_improvements": sum(r.improvement_percent for r in g) / k,
            "mean_2sigma_baseline": sum(r.baseline_2sigma for r in g) / k,
            "mean_2sigma_synthetic": sum(r.synthetic_2sigma for r in g) / k,
            "two_sigma_of_mean_baseline": math.sqrt(sum(r.baseline_2sigma ** 2 for r in g)) / k,
            "two_sigma_of_mean_synthetic": math.sqrt(sum(r.synthetic_2sigma ** 2 for r in g)) / k,
        }
        a = out[name]
        a["bands_separate"] = (a["baseline"] + a["two_sigma_of_mean_baseline"]
                               < a["synthetic"] - a["two_sigma_of_mean_synthetic"])
    return out


def sign_test(rows=KORNFEIN_TABLE):
    r"""The sign test on slide text 000's table: do all cells move the same way by chance?

    Under the null hypothesis that adding synthetic images changes nothing,
    each of the :math:`n` independent cells is as likely to go up as down, so
    the number :math:`k` of cells that improve is Binomial(:math:`n`, ½). The
    two-sided p-value is :math:`\min(1,\ 2\,P(X \ge \max(k, n-k)))`; for
    :math:`k = n = 16` it is :math:`2 \cdot 2^{-16} \approx 3 \cdot 10^{-5}`.
    Returns ``(k, n, p)``. The test uses only the signs, so it needs no
    assumption about the size or the spread of the differences.
    """
    from ..experiment import sign_test as _sign_test   # the one implementation

    n = len(rows)
    k = sum(r.synthetic > r.baseline for r in rows)
    return k, n, _sign_test([r.synthetic - r.baseline for r in rows])


def slide000_batchnorm_as_written(x):
    r"""Slide text 000, "Batch normalization": steps 1 and 2 only.

    "Subtract the mean of that activation value averaged across the
    minibatch; divide by the standard deviation ... computed across the
    minibatch": :math:`\hat x = (x - \mu_B)/\sigma_B`, per feature (column),
    with no :math:`\epsilon`, no learned scale :math:`\gamma` and shift
    :math:`\beta`, and no running statistics.

    Notes
    -----
    Ioffe and Szegedy's layer is :math:`y = \gamma\,(x - \mu_B)/\sqrt{\sigma_B^2 + \epsilon} + \beta`
    in training, with :math:`\mu_B, \sigma_B^2` replaced by running averages at
    inference. Without :math:`\gamma, \beta` every output has batch mean 0 and
    variance 1 whatever the layer needs (it cannot even represent the
    identity); without :math:`\epsilon` a constant feature divides 0 by 0; and
    without running statistics a batch of one sample normalizes to 0 (or
    nan).
    """
    xp = backend.namespace_of(x)
    mu = xp.mean(x, axis=0)
    sd = xp.std(x, axis=0)
    return (x - mu) / sd


# ----------------------------------------------------------------------------
# Slide text 001 (Neural Networks Practical): the 2-2-1 sigmoid network
# ----------------------------------------------------------------------------

def slide001_forward(x, wh, wo):
    r"""Slide text 001's 2-2-1 network, forward: returns ``(z1, z2, y)``.

    .. math::

        z_j = \sigma\bigl(w^h_{0,j} + w^h_{1,j}x_1 + w^h_{2,j}x_2\bigr),\qquad
        y = \sigma\bigl(w^o_{0,1} + w^o_{1,1}z_1 + w^o_{2,1}z_2\bigr).

    Works on floats and on :class:`nnlearn.autodiff.Value` weights, so that
    :func:`nnlearn.autodiff.trace` can differentiate it.

    Parameters
    ----------
    x : pair of numbers
        :math:`(x_1, x_2)`.
    wh : dict
        ``wh[i, j]`` is :math:`w^h_{i,j}`, from input :math:`i` (0 is the
        bias) to hidden unit :math:`j \in \{1, 2\}`.
    wo : dict
        ``wo[j]`` is :math:`w^o_{j,1}`, from hidden unit :math:`j` (0 is the
        bias) to the output.
    """
    x1, x2 = x
    z1 = _sigmoid(wh[0, 1] + wh[1, 1] * x1 + wh[2, 1] * x2)
    z2 = _sigmoid(wh[0, 2] + wh[1, 2] * x1 + wh[2, 2] * x2)
    y = _sigmoid(wo[0] + wo[1] * z1 + wo[2] * z2)
    return z1, z2, y


def slide001_loss(x, y_star, wh, wo):
    r"""Slide text 001's loss :math:`L = \tfrac12 (y - y^*)^2` of :func:`slide001_forward`."""
    y = slide001_forward(x, wh, wo)[2]
    return 0.5 * (y - y_star) ** 2


def slide001_hidden_gradient(x, y_star, wh, wo):
    r"""Slide text 001, "Backpropagation: hidden layer": :math:`\partial L/\partial w^h_{2,2}` as written.

    The slide writes

    .. math::

        \frac{\partial L}{\partial w^h_{2,2}}
        = \frac{\partial L}{\partial y}\cdot
          \frac{\partial}{\partial w^h_{2,2}}\bigl(w^o_{0,1} + w^o_{1,1}z_1 + w^o_{2,1}z_2\bigr)
        = \frac{\partial L}{\partial y}\cdot w^o_{2,1}\,
          \frac{\partial z_2}{\partial s}\,\frac{\partial s}{\partial w^h_{2,2}}
        = (y - y^*)\, w^o_{2,1}\, z_2(1 - z_2)\, x_2 ,

    but its own forward pass has :math:`y = \sigma(s_o)` with
    :math:`s_o = w^o_{0,1} + w^o_{1,1}z_1 + w^o_{2,1}z_2`, so the derivative
    of the output sigmoid, :math:`\sigma'(s_o) = y(1-y)`, is missing.

    Notes
    -----
    Correct:
    :math:`\frac{\partial L}{\partial w^h_{2,2}} = (y - y^*)\,y(1-y)\,w^o_{2,1}\,z_2(1-z_2)\,x_2`.
    The slide's expression is the gradient for a *linear* output
    :math:`y = s_o`, not for the sigmoid output the slide uses.
    """
    _, z2, y = slide001_forward(x, wh, wo)
    return (y - y_star) * wo[2] * z2 * (1 - z2) * x[1]


# ----------------------------------------------------------------------------
# Slide text 002 (ENM 531): dropout code
# ----------------------------------------------------------------------------

def slide002_dropout(inputs, keep_prob, rng):
    r"""Slide text 002, "Dropout": the slide's masking line, transcribed.

    The slide's sentence: with probability ``keep_prob`` output the input
    scaled by :math:`1/\text{keep\_prob}`, otherwise 0. Its code::

        inputs *= np.random.binomial([np.ones_like(inputs)], (1-keep_prob))[0]/(1-keep_prob)

    ``binomial(1, 1 - keep_prob)`` is 1 with probability
    :math:`1 - \text{keep\_prob}`, so the code *keeps* each unit with
    probability :math:`1 - \text{keep\_prob}` (and scales survivors by
    :math:`1/(1-\text{keep\_prob})`): it is inverted dropout whose drop
    probability is ``keep_prob``. With ``keep_prob=0.8`` it keeps 20 % of the
    units, not 80 %.

    Parameters
    ----------
    inputs : numpy.ndarray
        The activations.
    keep_prob : float
        Meant as the probability of keeping a unit.
    rng : numpy.random.Generator
        Used instead of the global ``np.random`` so that results are
        reproducible; ``rng.binomial`` and ``np.random.binomial`` draw from
        the same distribution.

    Returns
    -------
    numpy.ndarray
        ``inputs`` times the slide's mask (a new array; the slide multiplies
        in place).

    Notes
    -----
    Correct: ``rng.binomial(1, keep_prob, size=inputs.shape) / keep_prob``
    (:func:`inverted_dropout`), or ``nnlearn.nn.Dropout(p=1 - keep_prob)``,
    whose ``p`` is the probability of dropping, as in PyTorch.
    """
    inputs = np.asarray(inputs, dtype=float)
    return inputs * (rng.binomial([np.ones_like(inputs)], (1 - keep_prob))[0] / (1 - keep_prob))


def inverted_dropout(inputs, keep_prob, rng):
    r"""The correction of :func:`slide002_dropout`: keep each unit with probability ``keep_prob``.

    .. math::

        y = \frac{m \odot x}{\text{keep\_prob}}, \qquad
        m_i \sim \text{Bernoulli}(\text{keep\_prob}),

    so :math:`\mathbb{E}[y] = x`. Same as ``nnlearn.nn.Dropout(p=1 - keep_prob)``
    in training mode (with a different random stream).
    """
    inputs = np.asarray(inputs, dtype=float)
    return inputs * (rng.binomial(1, keep_prob, size=inputs.shape) / keep_prob)


# ----------------------------------------------------------------------------
# Slide text 003 (Neural Networks: logistic units, backprop, autodiff)
# ----------------------------------------------------------------------------

def slide003_log_likelihood(y, y_hat):
    r"""Slide text 003's "loss" :math:`L(y, \hat y) = y \log \hat y + (1 - y)\log(1 - \hat y)`.

    As written, with no minus sign. This is the Bernoulli log-*likelihood*:
    it is at most 0 and is *largest* for a perfect prediction, so the slide's
    update :math:`\Theta \leftarrow \Theta - \eta \nabla_\Theta L` (gradient
    *descent* on it) makes the predictions worse.

    Works elementwise on floats, arrays, :class:`nnlearn.Tensor`,
    :class:`nnlearn.autodiff.Value` and torch tensors.

    Notes
    -----
    Correct: the log loss (binary cross-entropy) is its negative,
    :math:`E_n = -[y\log\hat y + (1-y)\log(1-\hat y)]`, as slide text 001
    writes it; its output delta is :math:`\hat y - y` (slide text 003's
    algorithm box), whereas the slide's :math:`L` gives :math:`y - \hat y`
    (slide text 003's derivation).
    """
    return y * _log(y_hat) + (1 - y) * _log(1 - y_hat)


def slide003_output_delta_as_written(a, y):
    r"""Slide text 003's algorithm box, :math:`\delta^{(L)} = a^{(L)} - y`, read with the derivation's :math:`L`.

    On the derivation slides the output is :math:`\hat y = a^{(L+1)}` and the
    output delta is :math:`\delta^{(L+1)}`; the algorithm box ("Compute
    :math:`\delta^{(L)} = a^{(L)} - y_i`", then
    :math:`\{\delta^{(L-1)}, \dots, \delta^{(2)}\}`) calls the output layer
    :math:`L`. Read with the derivation's meaning of :math:`L`, the box
    subtracts the target from the *last hidden layer*. This function does
    exactly that.

    Parameters
    ----------
    a : dict
        ``a[l]`` for :math:`l = 1, \dots, L+1` in the slide's numbering:
        ``a[1]`` is the input, ``a[L + 1]`` the output :math:`\hat y`.
        From an :class:`nnlearn.course.manual.MLP`: ``{l + 1: net.Z[l]}``.
    y : array
        Targets.

    Notes
    -----
    Correct: one meaning of :math:`L` throughout. With the derivation's,
    :math:`\delta^{(L+1)} = a^{(L+1)} - y` (for the log loss
    :math:`-L`) and the hidden deltas are
    :math:`\delta^{(L)}, \dots, \delta^{(2)}`.
    """
    L = max(a) - 1
    return a[L] - y


def slide003_hidden_delta(a_l, delta_next, theta_l):
    r"""Slide text 003's hidden delta :math:`\delta^{(l)}_i = a^{(l)}_i(1 - a^{(l)}_i)\sum_k \delta^{(l+1)}_k \Theta^{(l)}_{k,i}`.

    Batch form, rows are samples: ``a_l * (1 - a_l) * (delta_next @ theta_l)``,
    where ``theta_l`` is :math:`\Theta^{(l)}` without its bias column (shape
    ``(s_{l+1}, s_l)``, the book's :math:`W`).

    The factor :math:`a(1-a)` is the derivative of the *sigmoid*. Two slides
    earlier the same deck builds its networks with hidden units
    :math:`\sigma(z) = \max\{0, z\}` (ReLU); for those the factor must be
    :math:`\mathbb{1}[z^{(l)} > 0]`. This function is right for sigmoid hidden
    units only.
    """
    return a_l * (1 - a_l) * (delta_next @ theta_l)


def slide003_net(with_missing_method=False):
    r"""Slide text 003, "Convenient libraries": the slide's PyTorch ``Net``, transcribed.

    The slide's ``forward`` calls ``self.num_flat_features(x)``, a method the
    slide's class does not define (the PyTorch tutorial it comes from defined
    it further down), so ``Net()(x)`` raises ``AttributeError``.

    Parameters
    ----------
    with_missing_method : bool
        Add the missing method, as the original tutorial had it: the number of
        features per sample, :math:`16 \cdot 6 \cdot 6 = 576` for a
        :math:`1 \times 32 \times 32` image. (Today one writes
        ``torch.flatten(x, 1)``.)

    Returns
    -------
    torch.nn.Module
        An instance (weights from PyTorch's default initialization; seed
        ``torch`` first for reproducible outputs).
    """
    import torch.nn as nn  # the slide's code is PyTorch code
    import torch.nn.functional as F

    class Net(nn.Module):
        def __init__(self):
            super(Net, self).__init__()
            # 1 input image channel, 6 output channels, 3x3 square convolution
            # kernel
            self.conv1 = nn.Conv2d(1, 6, 3)
            self.conv2 = nn.Conv2d(6, 16, 3)
            # an affine operation: y = Wx + b
            self.fc1 = nn.Linear(16 * 6 * 6, 120)  # 6*6 from image dimension
            self.fc2 = nn.Linear(120, 84)
            self.fc3 = nn.Linear(84, 10)

        def forward(self, x):
            # Max pooling over a (2, 2) window
            x = F.max_pool2d(F.relu(self.conv1(x)), (2, 2))
            # If the size is a square you can only specify a single number
            x = F.max_pool2d(F.relu(self.conv2(x)), 2)
            x = x.view(-1, self.num_flat_features(x))
            x = F.relu(self.fc1(x))
            x = F.relu(self.fc2(x))
            x = self.fc3(x)
            return x

    if not with_missing_method:
        return Net()

    class FixedNet(Net):
        def num_flat_features(self, x):
            return math.prod(x.size()[1:])  # all dimensions except the batch dimension

    return FixedNet()


def slide003_forward_as_written(thetas, x, g=None):
    r"""Slide text 003, "Multi-layer Neural Network": :math:`a^{(l+1)} = g(\Theta^{(l)} a^{(l)})` as written.

    The same deck says that :math:`\Theta^{(l)}` has shape
    :math:`s_{l+1} \times (s_l + 1)`: the extra column multiplies a bias unit
    :math:`a_0^{(l)} = 1` that the compact formula never appends. Taken
    literally, with :math:`a^{(1)} = x \in \mathbb R^{s_1}`, the product
    :math:`\Theta^{(1)} a^{(1)}` does not exist. This function multiplies as
    written (NumPy raises ``ValueError``).

    Notes
    -----
    Correct: :math:`a^{(l+1)} = g\bigl(\Theta^{(l)} \binom{1}{a^{(l)}}\bigr)`,
    or, in the book's notation, :math:`g(W a + b)` with the first column of
    :math:`\Theta` as :math:`b`.
    """
    g = _sigmoid if g is None else g
    a = x
    for theta in thetas:
        a = g(theta @ a)
    return a


# ----------------------------------------------------------------------------
# Slide text 004 (Training of neural networks: basics)
# ----------------------------------------------------------------------------

def slide004_relu_derivative(u):
    r"""Slide text 004's table: :math:`f'(u) = 1` for :math:`u \ge 0`, 0 for :math:`u < 0` (ReLU).

    At :math:`u = 0` the ReLU has no derivative (left slope 0, right slope 1);
    any value in :math:`[0, 1]` is a valid subgradient. The slide picks 1;
    PyTorch, JAX, TensorFlow and nnlearn pick 0. Returns an array of the
    input's namespace and dtype.
    """
    xp = backend.namespace_of(u)
    return xp.astype(u >= 0, u.dtype)


def slide004_normal_init_as_written(shape, M, rng):
    r"""Slide text 004, "Initialization of weights": :math:`w \sim N(0, 1/\sqrt{M})` read in the slide's own convention.

    The previous slide writes :math:`w_{ji} \sim N(0, \sigma^2)`: the second
    argument is the *variance*. Read that way, :math:`N(0, 1/\sqrt{M})` has
    variance :math:`1/\sqrt{M}` (standard deviation :math:`M^{-1/4}`), not the
    :math:`1/M` the slide derives. This draws from it (NumPy ``Generator``,
    whose ``normal`` takes the standard deviation).

    Notes
    -----
    Correct: :math:`w \sim N(0, 1/M)` (standard deviation :math:`1/\sqrt M`),
    and for ReLU :math:`N(0, 2/M)` (He et al., 2015), not
    :math:`N(0, \sqrt{2/M})`.
    """
    return rng.normal(0.0, M ** -0.25, size=shape)


def slide004_batch_update(w, grad_E_n, lr):
    r"""Slide text 004, "Batch optimization": :math:`w_{t+1} = w_t - \epsilon \nabla E_n`.

    The slide's objective is :math:`E(w) = \sum_n E_n(w)`, but its update
    uses :math:`\nabla E_n`, the gradient of *one* sample: that is an SGD
    step, not a batch step.

    Notes
    -----
    Correct: :math:`w_{t+1} = w_t - \epsilon \nabla E = w_t - \epsilon \sum_n
    \nabla E_n`. (The slide's minibatch objective
    :math:`E_t = \frac{1}{N_t}\sum_{n \in D_t} E_n` is a *mean*, so its
    gradient estimates :math:`\nabla E / N`: a batch step on the sum needs a
    learning rate :math:`N` times smaller to match.)
    """
    return w - lr * grad_E_n


def slide004_backward_deltas(W, U, delta_out, f_prime, first=None):
    r"""Slide text 004, "Complete backpropagation algorithm", step 3, in the slide's numbering.

    Layers are :math:`l = 1, \dots, L` with :math:`l = 1` the input; step 2
    computes the output deltas :math:`\delta^{(L)}`, then step 3 loops
    "for :math:`l = L, L-1, \dots, 2`" over

    .. math::

        \delta_j^{(l)} = \sum_k \delta_k^{(l+1)} w_{kj}^{(l+1)} f'\bigl(u_j^{(l)}\bigr)

    (here in batch form: ``(delta[l + 1] @ W[l + 1]) * f_prime(U[l])``).

    Parameters
    ----------
    W, U : sequences
        ``W[l]`` (shape ``(n_l, n_{l-1})``) and ``U[l]`` for
        :math:`l = 2, \dots, L`; indices 0 and 1 are unused.
    delta_out : array
        :math:`\delta^{(L)}` from step 2.
    f_prime : callable
        The hidden activation's derivative, applied to ``U[l]``.
    first : int, optional
        The first layer of the loop. ``None`` (default) is the slide's
        :math:`L`: there is no layer :math:`L + 1`, so the loop fails at its
        first step (an ``IndexError`` that says so). The correct start is
        :math:`L - 1`.

    Returns
    -------
    dict
        ``delta[l]`` for :math:`l = 2, \dots, L`.
    """
    L = len(W) - 1
    first = L if first is None else first
    delta = {L: delta_out}
    for l in range(first, 1, -1):
        if l + 1 > L:
            raise IndexError(f"no layer {l + 1}: the last layer is L = {L}; "
                             f"start at L - 1 = {L - 1}")
        delta[l] = (delta[l + 1] @ W[l + 1]) * f_prime(U[l])
    return delta


def slide004_standardize_as_written(X):
    r"""Slide text 004, "Standardization of inputs", steps 1 and 2 executed in order.

    Step 1: :math:`x_{ni} \leftarrow x_{ni} - \bar x_i`; step 2:
    :math:`x_{ni} \leftarrow (x_{ni} - \bar x_i)/\sigma_i`, with
    :math:`\bar x_i` and :math:`\sigma_i` the mean and (population) standard
    deviation of the data. As assignments one after the other, the mean is
    subtracted twice: the result is :math:`(x_{ni} - 2\bar x_i)/\sigma_i`,
    whose mean is :math:`-\bar x_i/\sigma_i`, not 0.

    Notes
    -----
    Correct: either step 2 alone on the raw data,
    :math:`(x_{ni} - \bar x_i)/\sigma_i`, or step 2 as
    :math:`x_{ni} \leftarrow x_{ni}/\sigma_i` after step 1.
    """
    xp = backend.namespace_of(X)
    mean = xp.mean(X, axis=0)
    std = xp.std(X, axis=0)          # population: divide by N, as on the slide
    X = X - mean                     # step 1
    X = (X - mean) / std             # step 2, as written
    return X


def variance_through_linear_layers(draw_weight, width, depth, n_samples=2000, rng=None):
    r"""The variance of the pre-activations :math:`u^{(l)}`, layer by layer, of a deep linear network.

    The setting of slide text 004's variance argument with the identity
    activation: inputs :math:`z^{(0)} \sim N(0, 1)` (``n_samples`` rows of
    ``width`` features), no biases, :math:`u^{(l)} = W^{(l)} z^{(l-1)}`,
    :math:`z^{(l)} = u^{(l)}`, each :math:`W^{(l)}` drawn by
    ``draw_weight((width, width))``. The argument predicts
    :math:`\operatorname{Var}(u^{(l)}) = (M \operatorname{Var}(w))^l` with
    :math:`M` = ``width``.

    Returns a list of ``depth`` floats. Inputs are drawn from ``rng``
    (default :func:`nnlearn.backend.rng`); the array work runs on the
    current backend.
    """
    b = backend.current()
    rng = backend.rng() if rng is None else rng
    z = b.asarray(rng.standard_normal((n_samples, width)))
    out = []
    for _ in range(depth):
        W = b.asarray(backend.to_numpy(draw_weight((width, width))))
        z = z @ W.T
        out.append(float(b.xp.var(z)))
    return out


def loss_after_step(net, step_direction, lr, X, D):
    r"""The batch loss of a copy of ``net`` after one step :math:`\theta \leftarrow \theta - \eta\, g`.

    Helper for the demonstrations of slide text 004's update rules.

    Parameters
    ----------
    net : nnlearn.course.manual.MLP
        Left unchanged.
    step_direction : array
        :math:`g`, all parameters flattened in the order of ``net.params``
        (``W1, b1, W2, b2, ...``, each raveled row-major), e.g. a gradient.
    lr : float
        :math:`\eta`.
    X, D : arrays
        The data on which to evaluate the loss.

    Returns
    -------
    float
        ``net.loss(X, D)`` of the moved copy: the mean
        :math:`\frac1N\sum_n E_n` (multiply by :math:`N` for slide text 004's
        sum).
    """
    from .manual import MLP

    g = backend.to_numpy(step_direction)
    moved, i = [], 0
    for W, b in net.params:
        W, b = backend.to_numpy(W), backend.to_numpy(b)
        moved.append((W - lr * g[i:i + W.size].reshape(W.shape),
                      b - lr * g[i + W.size:i + W.size + b.size]))
        i += W.size + b.size
    if i != g.size:
        raise ValueError(f"loss_after_step: the step has {g.size} entries but the network has {i} parameters.")
    copy = MLP.from_weights(moved, activation=net.act[1:-1] or "identity", output=net.act[-1],
                            loss=net.loss_name, weight_decay=net.weight_decay)
    return copy.loss(X, D)


def slide004_decorrelate(X):
    r"""Slide text 004, "Step 3: Decorrelate elements (whitening)", read as decorrelation only.

    Rotating the centred data onto the eigenvectors :math:`U` of its
    covariance, :math:`X U`, makes the features uncorrelated (a diagonal
    covariance :math:`\Lambda`) but leaves their variances unequal: this is
    principal component analysis.

    Notes
    -----
    Whitening also rescales each rotated feature to unit variance,
    :math:`X U \Lambda^{-1/2}` (:func:`whiten`), so that the covariance is the
    identity. "Decorrelate" names only the first half.
    """
    X = np.asarray(backend.to_numpy(X), float)
    Xc = X - X.mean(axis=0)
    _, U = np.linalg.eigh(np.cov(Xc, rowvar=False, bias=True))
    return Xc @ U


def whiten(X, eps=0.0):
    r"""PCA whitening: :math:`X U \Lambda^{-1/2}`, covariance the identity (see :func:`slide004_decorrelate`)."""
    X = np.asarray(backend.to_numpy(X), float)
    Xc = X - X.mean(axis=0)
    lam, U = np.linalg.eigh(np.cov(Xc, rowvar=False, bias=True))
    return Xc @ U / np.sqrt(lam + eps)


def first_order_gap(scale, depth=10, lr=0.01, x=1.0, d=0.5):
    r"""Does one gradient step do what the gradient predicts, in a deep chain of scalar layers?

    Slide text 001 says that when the gradient "can become very small or very
    large quickly, ... the locality assumption of gradient descent breaks
    down (Vanishing gradient)". Take the chain :math:`y = w_L \cdots w_1 x`
    with every :math:`w_l = ` ``scale`` and the loss
    :math:`E = \tfrac12 (y - d)^2`. Gradient descent trusts the first-order
    prediction :math:`\Delta E \approx -\eta\,\|\nabla E\|^2` for a step
    :math:`-\eta\nabla E`. Returns ``(gradient norm, predicted ΔE, actual ΔE)``.

    Notes
    -----
    With ``scale`` above 1 the gradient *explodes* with depth; the step
    leaves the region where the linear prediction holds, and the loss rises
    instead of falling: locality breaks down. With ``scale`` below 1 the
    gradient *vanishes*; the prediction stays accurate, and the step is
    simply tiny. The label "vanishing gradient" fits only the slow half.
    """
    w = np.full(depth, float(scale))
    E = lambda w: 0.5 * (np.prod(w) * x - d) ** 2
    y = np.prod(w) * x
    grad = (y - d) * y / w                     # ∂E/∂w_l = (y − d) · y / w_l
    step = w - lr * grad
    return float(np.linalg.norm(grad)), float(-lr * grad @ grad), float(E(step) - E(w))
