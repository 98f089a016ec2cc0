r"""Tools for the training recipe (chapter 7): look at the data, check the loss at
initialization, average an ensemble, and re-read a published comparison.

Looking at the data
    :func:`show_digits` draws a grid of small images with their labels (and,
    given predictions, marks the wrong ones).
The loss at initialization
    :func:`expected_initial_loss`: the mean cross-entropy of a network whose
    logits are still small random numbers, :math:`\ln C` plus a correction
    that grows with the spread of the logits.
Ensembles
    :func:`ensemble_probabilities` averages the class probabilities of several
    trained models.
Reading results that carry error bars
    :func:`bands_overlap` and :func:`band_table` apply the conservative band
    screen of :mod:`nnlearn.experiment` (do the mean :math:`\pm 2\sigma`
    bands overlap?) to numbers printed in a paper, such as
    :data:`KORNFEIN2023_MAP`; :func:`average_rows` and :func:`average_table`
    give the uncertainty of its average rows.
Selection and reporting
    :func:`selection_and_report` splits the validation set into a half that
    chooses and a half that reports; :func:`image_bootstrap` measures the
    uncertainty that comes from the report images themselves.

Predictions come back from :func:`nnlearn.train.predict` as NumPy arrays on
the host, so the averaging here is host-side NumPy code.
"""

from __future__ import annotations

import functools
import math
from typing import NamedTuple, Sequence

import numpy as np

from .. import backend as _backend
from .._display import Table, new_figure

__all__ = [
    "show_digits",
    "expected_initial_loss",
    "ensemble_probabilities",
    "PublishedComparison",
    "KORNFEIN2023_MAP",
    "bands_overlap",
    "band_table",
    "average_rows",
    "average_table",
    "selection_and_report",
    "image_bootstrap",
    "hastie_splits",
    "train_hastie",
    "hastie_runs",
]


# --------------------------------------------------------------------------
# Looking at the data
# --------------------------------------------------------------------------

def show_digits(images, labels, predicted=None, ncols: int = 10, size: float = 0.8,
                title: str | None = None):
    r"""A grid of small grey-scale images, each titled with its label.

    Parameters
    ----------
    images : array of shape ``(n, h, w)``, or ``(n, h*w)`` with :math:`h = w`
        Pixel values; dark is high (``gray_r``), on one common scale.
    labels : array of shape ``(n,)``
        The label of each image (the title).
    predicted : array of shape ``(n,)``, optional
        Predicted labels: titles become ``"true→predicted"``, red where they differ.
    ncols : int
        Images per row.
    size : float
        Inches per image.
    title : str, optional
        A title above the grid.

    Returns
    -------
    matplotlib.figure.Figure
        One axes per grid cell; axes ``i`` holds image ``i`` (one
        ``AxesImage``) and its title.
    """
    imgs = np.asarray(_backend.to_numpy(images), dtype=np.float64)
    labels = np.asarray(_backend.to_numpy(labels)).reshape(-1)
    if imgs.ndim == 2:
        side = math.isqrt(imgs.shape[1])
        if side * side != imgs.shape[1]:
            raise ValueError(
                f"show_digits: flattened images need a square number of pixels, got rows of "
                f"{imgs.shape[1]}; pass images of shape (n, h, w) instead."
            )
        imgs = imgs.reshape(len(imgs), side, side)
    if imgs.ndim != 3:
        raise ValueError(f"show_digits: images must have shape (n, h, w) or (n, h*w), got {imgs.shape}")
    n = len(imgs)
    if len(labels) != n:
        raise ValueError(f"show_digits: {n} images but {len(labels)} labels")
    if predicted is not None:
        predicted = np.asarray(_backend.to_numpy(predicted)).reshape(-1)
        if len(predicted) != n:
            raise ValueError(f"show_digits: {n} images but {len(predicted)} predictions")
    if not isinstance(ncols, int) or ncols < 1:
        raise ValueError(f"show_digits: ncols must be a positive int, got {ncols!r}")
    ncols = min(ncols, max(n, 1))
    nrows = max(1, math.ceil(n / ncols))
    fig = new_figure(figsize=(size * ncols, size * 1.25 * nrows + (0.3 if title else 0.0)))
    axes = fig.subplots(nrows, ncols, squeeze=False)
    lo, hi = (float(imgs.min()), float(imgs.max())) if n else (0.0, 1.0)
    for i, ax in enumerate(axes.flat):
        ax.set_axis_off()
        if i >= n:
            continue
        ax.imshow(imgs[i], cmap="gray_r", vmin=lo, vmax=hi, interpolation="nearest")
        if predicted is None:
            ax.set_title(str(labels[i]), fontsize="small")
        else:
            wrong = predicted[i] != labels[i]
            ax.set_title(f"{labels[i]}→{predicted[i]}", fontsize="small",
                         color="#d62728" if wrong else "black")
    if title:
        fig.suptitle(title)
    return fig


# --------------------------------------------------------------------------
# The loss at initialization
# --------------------------------------------------------------------------

def expected_initial_loss(num_classes: int, logit_std: float = 0.0) -> float:
    r"""The mean cross-entropy of random logits, to second order in their spread.

    If the :math:`C` logits of a sample are independent with mean 0 and standard
    deviation :math:`s` (a freshly initialized network), the cross-entropy
    :math:`E_n = \ln\sum_k e^{u_k} - u_{d}` has expectation

    .. math::

        \mathbb{E}[E_n] \approx \ln C + \frac{C-1}{2C}\,s^2 .

    Derivation: expand :math:`f(\mathbf u) = \ln\sum_k e^{u_k}` around
    :math:`\mathbf u = 0`, where :math:`f = \ln C`, :math:`\nabla f = \mathbf 1/C`
    and the Hessian is :math:`H = I/C - \mathbf 1\mathbf 1^\top/C^2`. The linear
    terms average to zero and so does :math:`u_d`, leaving
    :math:`\tfrac12 \mathbb{E}[\mathbf u^\top H \mathbf u] = \tfrac12 s^2 \operatorname{tr} H
    = \tfrac12 s^2 (1 - 1/C)`.

    With :math:`s = 0` (all logits equal) it is exactly :math:`\ln C`: the
    network predicts :math:`1/C` for every class. The approximation is good to
    about 1% for :math:`s \le 0.5`; for large :math:`s` the true value grows
    only linearly, like :math:`s\,\mathbb{E}[\max_k \xi_k]` with
    :math:`\xi_k \sim \mathcal N(0, 1)` (about :math:`1.54\,s` for :math:`C = 10`).

    Parameters
    ----------
    num_classes : int
        :math:`C \ge 2`.
    logit_std : float
        :math:`s \ge 0`.

    Returns
    -------
    float

    Examples
    --------
    >>> round(expected_initial_loss(10), 4)
    2.3026
    >>> round(expected_initial_loss(10, logit_std=0.2), 4)
    2.3206
    """
    if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) or num_classes < 2:
        raise ValueError(f"expected_initial_loss: num_classes must be an integer >= 2, got {num_classes!r}")
    s = float(logit_std)
    if not s >= 0:
        raise ValueError(f"expected_initial_loss: logit_std must be >= 0, got {logit_std!r}")
    C = int(num_classes)
    return math.log(C) + (C - 1) / (2 * C) * s * s


# --------------------------------------------------------------------------
# Ensembles
# --------------------------------------------------------------------------

def _softmax_rows(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def ensemble_probabilities(models, X, logits: bool = True) -> np.ndarray:
    r"""The class probabilities of an ensemble: the average over its members.

    .. math::

        \bar p_{nk} = \frac1M \sum_{m=1}^M \operatorname{softmax}\big(\mathbf u^{(m)}_n\big)_k ,

    where :math:`\mathbf u^{(m)}_n` are the logits of member :math:`m` for sample
    :math:`n`. The ensemble predicts :math:`\arg\max_k \bar p_{nk}`. Averaging
    probabilities (not logits, not predicted labels) keeps each member's
    confidence: a member that is unsure moves the average little.

    Parameters
    ----------
    models : sequence of nnlearn.nn.Module
        Trained models with the same output width :math:`C`.
    X : array of shape ``(n, features)``
    logits : bool, default True
        The models output logits (softmax is applied); ``False`` if they
        output probabilities already.

    Returns
    -------
    ndarray of shape ``(n, C)``
        Rows sum to 1. Each model is run in eval mode
        (:func:`nnlearn.train.predict`).
    """
    from ..train import predict

    models = list(models)
    if not models:
        raise ValueError("ensemble_probabilities: no models given")
    probs = []
    for i, m in enumerate(models):
        out = np.asarray(predict(m, X), dtype=np.float64)
        if out.ndim != 2:
            raise ValueError(f"ensemble_probabilities: model {i} gives outputs of shape {out.shape}; "
                             "expected (n, C) class scores")
        if probs and out.shape != probs[0].shape:
            raise ValueError(f"ensemble_probabilities: model {i} gives outputs of shape {out.shape} "
                             f"but model 0 gives {probs[0].shape}")
        probs.append(_softmax_rows(out) if logits else out)
    return np.mean(probs, axis=0)


# --------------------------------------------------------------------------
# Published results with error bars
# --------------------------------------------------------------------------

class PublishedComparison(NamedTuple):
    """One row of a published comparison: two means, each with its :math:`\\pm 2\\sigma`."""

    label: str
    mean_a: float
    two_sigma_a: float
    mean_b: float
    two_sigma_b: float
    reported_change_pct: float | None = None


def _row(source, target, a, sa, b, sb, pct):
    label = f"{source} → {target}" if target else source
    return PublishedComparison(label, a, sa, b, sb, pct)


#: Kornfein et al. (2023), object detection across four U.S. regions (EM, NE,
#: NW, SW): mean average precision of a detector trained on real images of the
#: source region and tested on the target region ("baseline"), and of the same
#: detector trained with synthetic images added; each ``mean ± 2σ`` over
#: retrained models, and the reported average improvement in %. As printed in
#: the lecture slides (seed 000). ``mean_a`` is the baseline, ``mean_b`` the
#: set-up with synthetic data. The last two rows are the within-domain and
#: cross-domain averages.
KORNFEIN2023_MAP = [
    _row("EM", "EM", 0.822, 0.067, 0.919, 0.016, 11.8),
    _row("NE", "EM", 0.567, 0.019, 0.698, 0.038, 23.1),
    _row("NW", "EM", 0.358, 0.061, 0.424, 0.114, 18.4),
    _row("SW", "EM", 0.449, 0.160, 0.626, 0.180, 39.4),
    _row("EM", "NE", 0.387, 0.031, 0.487, 0.114, 25.8),
    _row("NE", "NE", 0.812, 0.028, 0.842, 0.013, 3.7),
    _row("NW", "NE", 0.666, 0.061, 0.709, 0.049, 6.5),
    _row("SW", "NE", 0.412, 0.045, 0.521, 0.089, 26.5),
    _row("EM", "NW", 0.485, 0.064, 0.521, 0.054, 7.4),
    _row("NE", "NW", 0.746, 0.018, 0.770, 0.032, 3.2),
    _row("NW", "NW", 0.895, 0.071, 0.915, 0.023, 2.2),
    _row("SW", "NW", 0.659, 0.111, 0.693, 0.066, 5.2),
    _row("EM", "SW", 0.093, 0.016, 0.113, 0.008, 20.9),
    _row("NE", "SW", 0.121, 0.029, 0.134, 0.030, 10.7),
    _row("NW", "SW", 0.149, 0.029, 0.197, 0.024, 32.2),
    _row("SW", "SW", 0.566, 0.035, 0.568, 0.104, 0.4),
    _row("within-domain average", "", 0.774, 0.050, 0.811, 0.039, 4.8),
    _row("cross-domain average", "", 0.425, 0.054, 0.491, 0.067, 15.7),
]


def bands_overlap(mean_a: float, two_sigma_a: float, mean_b: float, two_sigma_b: float) -> bool:
    r"""Whether the bands :math:`\bar x_A \pm 2\sigma_A` and :math:`\bar x_B \pm 2\sigma_B` overlap.

    The same rule as :func:`nnlearn.experiment.compare`, for results that are
    only known as printed means and half-widths: they overlap when
    :math:`\bar x_A - 2\sigma_A \le \bar x_B + 2\sigma_B` and
    :math:`\bar x_B - 2\sigma_B \le \bar x_A + 2\sigma_A`, that is when
    :math:`|\bar x_B - \bar x_A| \le 2\sigma_A + 2\sigma_B`.
    """
    for name, v in (("two_sigma_a", two_sigma_a), ("two_sigma_b", two_sigma_b)):
        if not v >= 0:
            raise ValueError(f"bands_overlap: {name} is a half-width and must be >= 0, got {v!r}")
    return bool(mean_a - two_sigma_a <= mean_b + two_sigma_b
                and mean_b - two_sigma_b <= mean_a + two_sigma_a)


def band_table(rows: Sequence[PublishedComparison], names=("A", "B"), digits: int = 3,
               reported: bool = False) -> Table:
    r"""Published comparisons re-read with the band rule: one row each.

    Columns: the row's label ("pair"); each set-up as ``mean±2σ``; the
    difference :math:`\bar x_B - \bar x_A` ("diff."); "needed", the combined half-width
    :math:`2\sigma_A + 2\sigma_B` that the difference must exceed; with
    ``reported=True`` the change in % that the source reports; and whether the
    bands overlap (``"yes"``: the difference is within the retraining spread;
    ``"no"``: it exceeds it).
    """
    a_name, b_name = names
    out = []
    for r in rows:
        r = PublishedComparison(*r)
        overlap = bands_overlap(r.mean_a, r.two_sigma_a, r.mean_b, r.two_sigma_b)
        row = [r.label,
               f"{r.mean_a:.{digits}f}±{r.two_sigma_a:.{digits}f}",
               f"{r.mean_b:.{digits}f}±{r.two_sigma_b:.{digits}f}",
               round(r.mean_b - r.mean_a, digits),
               round(r.two_sigma_a + r.two_sigma_b, digits)]
        if reported:
            row.append("" if r.reported_change_pct is None else r.reported_change_pct)
        out.append(row + ["yes" if overlap else "no"])
    n_sep = sum(row[-1] == "no" for row in out)
    columns = ["pair", a_name, b_name, "diff.", "needed"]
    columns += ["reported change %"] if reported else []
    return Table(columns + ["overlap"], out, digits=digits,
                 title=f"bands separate in {n_sep} of {len(out)} rows")


# --------------------------------------------------------------------------
# The published averages, re-read (A3): the uncertainty of an average
# --------------------------------------------------------------------------

def average_rows(rows: Sequence[PublishedComparison] = None) -> dict:
    r"""The within- and cross-domain averages of the table, with the uncertainty of an average.

    The slide prints an average row as :math:`\bar m \pm \overline{2\sigma}`: the
    average of the rows' means and the average of the rows' :math:`2\sigma`. The
    second number is the typical spread of *one row*, not the uncertainty of the
    average. Each :math:`2\sigma_i` is the spread of one retraining, an upper
    bound on the uncertainty of the row's mean (which averages an unstated
    number :math:`m_i` of retrainings, and is :math:`2\sigma_i/\sqrt{m_i}`). If
    the :math:`k` rows are independent, the :math:`2\sigma` of their mean is
    therefore at most

    .. math::

        2\sigma_{\bar m} \le \frac1k \sqrt{\sum_{i=1}^k (2\sigma_i)^2} ,

    which is smaller than the printed average spread by a factor between
    :math:`1/\sqrt k` and 1; non-overlapping bands computed with it are a
    conservative verdict.

    Returns
    -------
    dict
        ``{"within-domain": {...}, "cross-domain": {...}}``, each with
        ``rows`` (k), ``mean_a``, ``mean_b`` (the averages of the rows' means),
        ``printed_a``, ``printed_b`` (the slide's ±), ``avg_two_sigma_a``,
        ``avg_two_sigma_b`` (the average of the rows' 2σ) and
        ``two_sigma_mean_a``, ``two_sigma_mean_b`` (2σ of the average).
    """
    rows = KORNFEIN2023_MAP if rows is None else rows
    pairs = [r for r in rows if " → " in r.label]
    printed = {r.label.split(" average")[0]: r for r in rows if " average" in r.label}
    out = {}
    for kind, same in (("within-domain", True), ("cross-domain", False)):
        sel = [r for r in pairs if (r.label.split(" → ")[0] == r.label.split(" → ")[1]) == same]
        k = len(sel)
        sa = np.array([r.two_sigma_a for r in sel])
        sb = np.array([r.two_sigma_b for r in sel])
        p = printed.get(kind)
        out[kind] = {
            "rows": k,
            "mean_a": float(np.mean([r.mean_a for r in sel])),
            "mean_b": float(np.mean([r.mean_b for r in sel])),
            "printed_a": None if p is None else p.two_sigma_a,
            "printed_b": None if p is None else p.two_sigma_b,
            "avg_two_sigma_a": float(sa.mean()),
            "avg_two_sigma_b": float(sb.mean()),
            "two_sigma_mean_a": float(np.sqrt(np.sum(sa**2)) / k),
            "two_sigma_mean_b": float(np.sqrt(np.sum(sb**2)) / k),
        }
    return out


def average_table(rows: Sequence[PublishedComparison] = None, digits: int = 3) -> Table:
    """:func:`average_rows` as a table: the printed ± against the 2σ of an average."""
    f = lambda x: f"{x:.{digits}f}"
    body = []
    for kind, a in average_rows(rows).items():
        sep = a["mean_a"] + a["two_sigma_mean_a"] < a["mean_b"] - a["two_sigma_mean_b"]
        body.append([kind, a["rows"], f"{f(a['mean_a'])} ± {f(a['two_sigma_mean_a'])}",
                     f"{f(a['mean_b'])} ± {f(a['two_sigma_mean_b'])}",
                     f"{f(a['avg_two_sigma_a'])} / {f(a['avg_two_sigma_b'])}",
                     "no" if sep else "yes"])
    return Table(["average", "rows", "baseline ± 2σ of the mean", "synthetic ± 2σ of the mean",
                  "printed ± (average 2σ of a row)", "overlap"], body,
                 title="the averages with the uncertainty of an average (rows independent)")


# --------------------------------------------------------------------------
# The chapter's splits: selection and reporting (C4)
# --------------------------------------------------------------------------

def selection_and_report(X, y, seed: int = 0):
    r"""Split a validation set in two stratified halves: ``(selection, report)``.

    Choosing on a set and then reporting that set's number is optimistic: the
    best of 20 epochs (or of 8 learning rates) on the selection set is the
    best partly by luck. The *selection* half chooses the learning rate and
    each run's checkpoint; the *report* half, which no choice has seen, gives
    the numbers that the comparisons are made on.
    """
    from ..data import train_val_test_split

    (Xs, ys), (Xr, yr), _ = train_val_test_split(X, y, val_size=0.5, test_size=0, stratify=True,
                                                 seed=seed)
    return (Xs, ys), (Xr, yr)


# --------------------------------------------------------------------------
# The data's share of the uncertainty (B5)
# --------------------------------------------------------------------------

def image_bootstrap(correct_a, correct_b, level: float = 0.95, resamples: int = 10_000,
                    seed: int = 0) -> tuple[float, float]:
    r"""A bootstrap interval of an accuracy difference that resamples the *images*.

    ``correct_a`` and ``correct_b`` are boolean arrays of shape
    ``(seeds, images)``: which report images each seed's model of set-up A
    (and B) gets right. The difference of the accuracies, averaged over the
    seeds, is :math:`\Delta = \overline{c_B} - \overline{c_A}`. Drawing the
    images again with replacement (the same draw for A and B, which saw the
    same images) and recomputing :math:`\Delta` shows how much it would move
    with another sample of images from the same source: the uncertainty in the
    *data*, which the seeds do not measure.

    Returns
    -------
    (low, high)
        The percentile interval holding the middle ``level`` of the resampled
        differences.
    """
    a = np.asarray(correct_a, dtype=float)
    b = np.asarray(correct_b, dtype=float)
    if a.ndim == 1:
        a, b = a[None], b[None]
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"image_bootstrap: A and B must be scored on the same images, got {a.shape} "
                         f"and {b.shape}")
    per_image = b.mean(axis=0) - a.mean(axis=0)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, per_image.size, size=(resamples, per_image.size))
    # rounded far below one image (1/n) so that float noise cannot decide whether 0 is inside
    diffs = np.round(per_image[idx].mean(axis=1), 12)
    lo, hi = np.quantile(diffs, [(1 - level) / 2, (1 + level) / 2])
    return float(lo) + 0.0, float(hi) + 0.0


# --------------------------------------------------------------------------
# The recipe on a second problem (workbook 08): Hastie et al.'s sphere
# --------------------------------------------------------------------------

@functools.lru_cache(maxsize=None)
def hastie_splits(n: int = 3000, seed: int = 0):
    r"""``data.hastie_10_2(n, seed)``, split and standardized as in chapter 7.

    60% training, 20% test, and the remaining 20% cut into a selection and a
    report half (:func:`selection_and_report`); standardized with the training
    statistics.

    Returns
    -------
    (train, select, report, test)
        Four ``(X, y)`` pairs.
    """
    from ..data import hastie_10_2
    from ..train import standardized_split

    X, y = hastie_10_2(n, seed=seed)
    split, _ = standardized_split(X, y, val_size=0.2, test_size=0.2, seed=seed, stratify=True)
    select, report = selection_and_report(*split.val, seed=seed)
    return split.train, select, report, split.test


def train_hastie(width: int = 64, depth: int = 1, lr: float = 3e-3, weight_decay: float = 0.0,
                 epochs: int = 30, seed: int = 0, train_data=None):
    """Chapter 7's skeleton on :func:`hastie_splits`: seed, build, train with AdamW, keep the
    best epoch on the selection half. ``depth=0`` is logistic (softmax) regression.

    Returns ``(model, history)``.
    """
    import nnlearn
    from .. import losses, nn, optim
    from ..train import fit
    from .regularization import weight_decay_groups

    tr, select, _, _ = hastie_splits()
    nnlearn.manual_seed(seed)
    layers, n_in = [], tr[0].shape[1]
    for _ in range(depth):
        layers += [nn.Linear(n_in, width), nn.ReLU()]
        n_in = width
    model = nn.Sequential(*layers, nn.Linear(n_in, 2))
    opt = optim.AdamW(weight_decay_groups(model, weight_decay), lr=lr)
    history = fit(model, losses.cross_entropy, opt, train_data or tr, epochs=epochs, batch_size=32,
                  val_data=select, metrics=["accuracy"], seed=seed, early_stopping=epochs,
                  progress=False)
    return model, history


def _hastie_seed(args, seed):
    from .. import losses
    from ..train import evaluate

    width, depth, lr, weight_decay, epochs = args
    model, _ = train_hastie(width, depth, lr, weight_decay, epochs, seed)
    return evaluate(model, losses.cross_entropy, hastie_splits()[2], metrics=["accuracy"]), model


@functools.lru_cache(maxsize=None)
def hastie_runs(width: int = 64, depth: int = 1, lr: float = 3e-3, weight_decay: float = 0.0,
                epochs: int = 30, seeds: tuple = (0, 1, 2, 3, 4), name: str | None = None):
    """:func:`train_hastie` over ``seeds`` (in parallel, :func:`nnlearn.experiment.run_seeds`),
    scored on the report half; the trained models are in ``.outputs``. Cached: the same
    arguments return the same :class:`~nnlearn.experiment.SeedResults`.
    """
    from ..experiment import run_seeds

    args = (width, depth, lr, weight_decay, epochs)
    return run_seeds(functools.partial(_hastie_seed, args), seeds, name=name)
