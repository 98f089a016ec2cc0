r"""Optimizers on small problems: minibatch gradients, restarts, races, stopping rules.

Chapter 4 runs every optimizer of :mod:`nnlearn.optim` on problems small
enough to watch: the two-parameter Gabor model, whose loss can be drawn as a
map with the path of each optimizer on it (:func:`nnlearn.viz.loss_surface`),
and a small network on the digits. This module holds the machinery around
those runs.

:func:`descend`
    run an optimizer from a starting point for a number of steps, with an
    optional learning-rate schedule, and record the path, the loss and the
    learning rate at every step.
:class:`MinibatchGradient`
    a gradient function that serves a new minibatch at every call, dealt out
    epoch by epoch in a fresh random order, so that :func:`descend` runs
    stochastic or minibatch gradient descent instead of the full-batch kind.
:func:`random_restarts`
    the same optimizer from several random starting points; keep the best.
:func:`steps_to_target` and :func:`race`
    how many steps (or epochs) each optimizer needs to bring the loss below a
    target, as a :class:`~nnlearn._display.Table`.
:func:`termination_table`
    when each of the classical stopping rules (a fixed number of epochs, a
    threshold on the training loss, no more decrease, a rising validation
    loss) would have ended a recorded training run.
:func:`bind`, :func:`minibatch_descent`, :func:`paths_and_losses`
    a loss or gradient of the parameters alone, on any backend; ``epochs`` of
    minibatch descent; paths on a map beside their losses.
:func:`heavy_ball`, :func:`averaged`, :func:`sutskever_nesterov`, :func:`torch_path`, :func:`momentum_rate`
    the slides' forms of momentum, Sutskever's Nesterov, ``torch.optim``'s
    path, and momentum's per-step factor on a quadratic.
:func:`gradient_noise`, :func:`batch_vs_minibatch`, :func:`basin_counts`
    what a minibatch costs and buys, and where noisy runs end.
:func:`digits_run`, :func:`seeded_runs`, :func:`lowest_epochs`, :func:`lr_regimes`, :func:`race_over_seeds`, :func:`stopping_study`, :func:`schedule_study`, :func:`restart_rates`
    the chapter's experiments repeated over seeds or starts.
:func:`restart_agreement`
    from how many starts every optimizer ends the same way.
:func:`mean_interval`, :func:`paired_interval`, :func:`verdict`
    the uncertainty of a mean and of a paired difference (Student's *t*),
    and the verdict they support ("too close to call" when the interval
    contains 0).

Each minibatch loss is the *mean* of the per-sample losses in the batch,

.. math::

    E_B(\boldsymbol\theta) = \frac{1}{|B|} \sum_{n \in B} E_n(\boldsymbol\theta),

so its gradient is an unbiased estimate of the gradient of the full-batch
mean :math:`E` when :math:`B` is drawn at random, and the learning rate means
the same thing whatever the batch size.
"""

from __future__ import annotations

import math
import numbers
from typing import Callable, Mapping, NamedTuple, Sequence

import array_api_compat
import numpy as np  # host-side only: index shuffling, paths and tables

from .. import backend
from .._display import Table, format_number

__all__ = [
    "bind",
    "Descent",
    "descend",
    "MinibatchGradient",
    "minibatch_descent",
    "heavy_ball",
    "averaged",
    "sutskever_nesterov",
    "torch_path",
    "basin_counts",
    "paths_and_losses",
    "Restarts",
    "random_restarts",
    "restart_rates",
    "restart_agreement",
    "steps_to_target",
    "race",
    "termination_table",
    "stopping_study",
    "digits_run",
    "lr_range_test",
    "seeded_runs",
    "lowest_epochs",
    "mean_interval",
    "paired_interval",
    "verdict",
    "lr_regimes",
    "race_over_seeds",
    "schedule_study",
    "gradient_noise",
    "momentum_rate",
    "batch_vs_minibatch",
    "nearest_place",
]


def _positive_int(value, name, where):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{where}: {name} must be a positive integer, got {value!r}.")
    return int(value)


def _generator(seed, where):
    if seed is None:
        return backend.rng()
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"{where}: seed must be a non-negative integer or None, got {seed!r}.")
    return np.random.default_rng(int(seed))


def _like(theta, *arrays):
    """``arrays`` (host NumPy data) moved to ``theta``'s backend, dtype and device."""
    if isinstance(theta, np.ndarray) or not array_api_compat.is_array_api_obj(theta):
        return arrays
    xp = backend.namespace_of(theta)
    device = array_api_compat.device(theta)
    return tuple(xp.asarray(a, dtype=theta.dtype, device=device) for a in arrays)


def bind(fn: Callable, *data) -> Callable:
    r"""``theta -> fn(theta, *data)``, with the data on ``theta``'s backend.

    The chapter's loss and gradient are functions of the parameters and the
    data, ``gabor_loss(phi, x, y)``; an optimizer needs a function of the
    parameters alone. ``E = bind(gabor_loss, x, y)`` is that function. The
    data are kept on the host and moved, at each call, to wherever ``theta``
    lives (a NumPy array, or a PyTorch tensor when nnlearn runs on the torch
    backend), so the same ``E`` serves :func:`descend` on every backend and a
    NumPy point typed in a cell.

    >>> from nnlearn.data import gabor_data, gabor_loss
    >>> x, y = gabor_data()
    >>> E = bind(gabor_loss, x, y)
    >>> round(float(E(np.array([0.5, 15.0]))), 4)
    0.0095
    """
    host = tuple(backend.to_numpy(d) for d in data)

    def bound(theta):
        return fn(theta, *_like(theta, *host))

    bound.__name__ = getattr(fn, "__name__", "bound")
    return bound


# ----------------------------------------------------------------------------
# Running an optimizer
# ----------------------------------------------------------------------------

def _make_optimizer(optimizer, params, hyper, where):
    from .. import optim

    if isinstance(optimizer, str):
        names = {n.lower(): n for n in ("SGD", "Adagrad", "RMSprop", "Adam", "AdamW")}
        if optimizer.lower() not in names:
            raise ValueError(f"{where}: unknown optimizer {optimizer!r}; use one of "
                             + ", ".join(repr(v) for v in names.values()) + ".")
        return getattr(optim, names[optimizer.lower()])(params, **hyper)
    if isinstance(optimizer, type):
        return optimizer(params, **hyper)
    if callable(optimizer):
        if hyper:
            raise TypeError(f"{where}: give the hyperparameters either to the factory or as "
                            "keywords, not both.")
        return optimizer(params)
    raise TypeError(f"{where}: optimizer must be a name ('SGD', 'Adam', ...), an optimizer class "
                    f"or a factory params -> optimizer, got {optimizer!r}.")


class Descent(NamedTuple):
    """The record of :func:`descend`, a named tuple of four fields.

    ``path``, an array of shape ``(k + 1, d)``
        The parameters before the first step and after each of the ``k`` steps.
    ``losses``, an array of shape ``(k + 1,)``, or None
        ``loss`` at each row of ``path`` (when a ``loss`` was given).
    ``lr``, an array of shape ``(k,)``
        The learning rate used by each step (of the first parameter group).
    ``diverged``, a bool
        Whether the run stopped early because a parameter stopped being finite
        (``k`` is then smaller than the steps asked for).
    """

    path: np.ndarray
    losses: np.ndarray | None
    lr: np.ndarray
    diverged: bool


def descend(grad: Callable, start, optimizer="SGD", steps: int = 100, *, loss: Callable | None = None,
            scheduler: Callable | None = None, steps_per_epoch: int | None = None,
            **hyperparameters) -> Descent:
    r"""Run an :mod:`nnlearn.optim` optimizer from ``start`` and record everything.

    The loop is PyTorch's, with the gradient supplied by ``grad`` instead of
    ``backward()``::

        for step in range(steps):
            theta.grad = grad(theta.data)
            optimizer.step()
            if (step + 1) % steps_per_epoch == 0:
                scheduler.step()

    Parameters
    ----------
    grad : callable
        ``grad(theta)`` returns :math:`\nabla E(\boldsymbol\theta)` (a full-batch
        gradient such as ``lambda phi: gabor_loss_grad(phi, x, y)``, or a
        :class:`MinibatchGradient`).
    start : sequence of float
        :math:`\boldsymbol\theta_0`.
    optimizer : str, Optimizer class, or callable
        ``"SGD"``, ``"Adagrad"``, ``"RMSprop"``, ``"Adam"``, ``"AdamW"`` or a class,
        with ``hyperparameters`` as keywords (``lr=0.1, momentum=0.9``); or a
        factory ``params -> optimizer``.
    steps : int
    loss : callable, optional
        ``loss(theta)``, evaluated at every point of the path (for
        minibatch descent, pass the *full-batch* loss to see the objective
        itself).
    scheduler : callable, optional
        A factory ``optimizer -> scheduler`` from
        :mod:`nnlearn.optim.lr_scheduler`, e.g.
        ``lambda opt: CosineAnnealingLR(opt, T_max=40)``; stepped once per epoch.
    steps_per_epoch : int, optional
        Steps per epoch for the scheduler: by default ``grad.batches_per_epoch``
        for a :class:`MinibatchGradient`, otherwise 1 (every full-batch step is
        an epoch).

    Returns
    -------
    Descent
        ``path``, ``losses``, ``lr``, ``diverged``. The run stops early, with
        ``diverged=True``, when a parameter stops being finite; the non-finite
        point is not recorded.
    """
    from ..nn import Parameter

    where = "descend"
    steps = int(steps)
    if steps < 0:
        raise ValueError(f"{where}: steps must be >= 0, got {steps}.")
    start = np.asarray(backend.to_numpy(start), dtype=np.float64).reshape(-1)
    b = backend.current()
    theta = Parameter(b.asarray(start.copy()))   # never update the caller's array in place
    opt = _make_optimizer(optimizer, [theta], hyperparameters, where)
    sched = scheduler(opt) if scheduler is not None else None
    if steps_per_epoch is None:
        steps_per_epoch = getattr(grad, "batches_per_epoch", 1)
    steps_per_epoch = _positive_int(steps_per_epoch, "steps_per_epoch", where)
    path, lrs, diverged = [start.copy()], [], False
    for t in range(steps):
        g = grad(theta._data)
        theta.grad = b.asarray(g)
        lrs.append(float(opt.param_groups[0]["lr"]))
        opt.step()
        now = np.asarray(backend.to_numpy(theta._data), dtype=np.float64).copy()
        if not np.all(np.isfinite(now)):
            lrs.pop()
            diverged = True
            break
        path.append(now)
        if sched is not None and (t + 1) % steps_per_epoch == 0:
            sched.step()
    path = np.array(path)
    losses = None
    if loss is not None:
        losses = np.array([float(backend.to_numpy(loss(b.asarray(p)))) for p in path])
    return Descent(path, losses, np.array(lrs), diverged)


# ----------------------------------------------------------------------------
# Minibatch gradients
# ----------------------------------------------------------------------------

class MinibatchGradient:
    r"""A gradient function that uses the next minibatch at every call.

    ``MinibatchGradient(loss_grad, x, y, batch_size)`` is a callable
    ``grad(theta)`` returning ``loss_grad(theta, x[B], y[B])`` for the next
    minibatch :math:`B`. Each epoch deals the :math:`N` samples out in a fresh
    random order, in batches of ``batch_size`` (the last one smaller when
    ``batch_size`` does not divide :math:`N`), exactly as
    :class:`nnlearn.data.DataLoader` with ``shuffle=True`` does. Handed to
    :func:`descend` (or :func:`nnlearn.viz.optimizer_path`), it turns
    full-batch gradient descent into minibatch stochastic gradient descent:

    ======================================  ======================================
    ``batch_size``                          method
    ======================================  ======================================
    ``None`` or :math:`N`                   (full-)batch gradient descent
    1                                       stochastic gradient descent
    between 1 and :math:`N` (exclusive)     minibatch stochastic gradient descent
    ======================================  ======================================

    Parameters
    ----------
    loss_grad : callable
        ``loss_grad(theta, x, y)``: the gradient of the mean loss over the
        samples ``(x, y)`` (e.g. :func:`nnlearn.data.gabor_loss_grad`).
    x, y : array_like
        The training inputs and targets, one row (or entry) per sample.
    batch_size : int or None
        Samples per minibatch; ``None`` means all of them.
    shuffle : bool
        Deal the samples out in a new random order every epoch (otherwise in
        their stored order).
    seed : int, numpy Generator or None
        Seed of the shuffling; ``None`` draws from nnlearn's generator
        (:func:`nnlearn.backend.manual_seed`).

    Attributes
    ----------
    n : int
        Number of samples :math:`N`.
    batches_per_epoch : int
        :math:`\lceil N / \text{batch\_size} \rceil`.
    steps : int
        Calls so far.
    batches : list of ndarray
        The sample indices of every minibatch served so far, in order.

    Examples
    --------
    >>> from nnlearn.data import gabor_data, gabor_loss_grad
    >>> x, y = gabor_data()
    >>> grad = MinibatchGradient(gabor_loss_grad, x, y, batch_size=5, seed=0)
    >>> grad.batches_per_epoch
    6
    >>> run = descend(grad, (2.5, 5.0), "SGD", steps=60, lr=1.0)
    >>> run.path.shape, grad.epoch
    ((61, 2), 10.0)
    """

    def __init__(self, loss_grad: Callable, x, y, batch_size: int | None = None,
                 shuffle: bool = True, seed=0):
        where = "MinibatchGradient"
        if not callable(loss_grad):
            raise TypeError(f"{where}: loss_grad must be a function loss_grad(theta, x, y), "
                            f"got {type(loss_grad).__name__}.")
        self.x, self.y = backend.to_numpy(x), backend.to_numpy(y)
        if self.x.ndim == 0 or self.y.ndim == 0 or len(self.x) != len(self.y):
            raise ValueError(f"{where}: x and y need one entry per sample and the same length, "
                             f"got shapes {self.x.shape} and {self.y.shape}.")
        self.n = len(self.x)
        if self.n == 0:
            raise ValueError(f"{where}: x and y are empty.")
        self.batch_size = self.n if batch_size is None else _positive_int(batch_size, "batch_size", where)
        if self.batch_size > self.n:
            raise ValueError(f"{where}: batch_size={self.batch_size} is larger than the "
                             f"{self.n} samples; use batch_size=None for full-batch descent.")
        self.loss_grad = loss_grad
        self.shuffle = bool(shuffle)
        self._rng = _generator(seed, where)
        self.batches_per_epoch = math.ceil(self.n / self.batch_size)
        self.steps = 0
        self.batches: list[np.ndarray] = []
        self._queue: list[np.ndarray] = []

    def _next_batch(self) -> np.ndarray:
        if not self._queue:
            order = self._rng.permutation(self.n) if self.shuffle else np.arange(self.n)
            self._queue = [order[i:i + self.batch_size] for i in range(0, self.n, self.batch_size)]
        return self._queue.pop(0)

    def __call__(self, theta):
        idx = self._next_batch()
        self.batches.append(idx)
        self.steps += 1
        xb, yb = _like(theta, self.x[idx], self.y[idx])
        return self.loss_grad(theta, xb, yb)

    @property
    def epoch(self) -> float:
        """Epochs completed so far (a fraction within an epoch)."""
        return self.steps / self.batches_per_epoch

    def __repr__(self) -> str:
        return (f"MinibatchGradient(n={self.n}, batch_size={self.batch_size}, "
                f"steps={self.steps})")


def minibatch_descent(loss_grad: Callable, x, y, batch_size: int | None, start, epochs: int,
                      optimizer="SGD", *, seed=0, loss: Callable | None = None,
                      scheduler: Callable | None = None, **hyperparameters) -> Descent:
    r"""``epochs`` epochs of minibatch descent on the data ``(x, y)``: :func:`descend`
    with a fresh :class:`MinibatchGradient`.

    ``batch_size=None`` is full-batch descent (one step per epoch), 1 is
    stochastic gradient descent; ``seed`` sets the shuffling, ``scheduler`` is
    stepped once per epoch. Returns the :class:`Descent` (``losses`` are
    ``loss`` along the path, typically the *full-batch* loss).
    """
    g = MinibatchGradient(loss_grad, x, y, batch_size, seed=seed)
    steps = _positive_int(epochs, "epochs", "minibatch_descent") * g.batches_per_epoch
    return descend(g, start, optimizer, steps, loss=loss, scheduler=scheduler, **hyperparameters)


def basin_counts(loss_grad: Callable, x, y, start, places: Mapping, sizes: Sequence, seeds,
                 steps: int, radius: float = 1.5, **hyperparameters) -> Table:
    r"""Where do minibatch runs end, by batch size? Counts over shuffling seeds.

    Each run takes ``steps`` minibatch steps from ``start`` (plain SGD with
    ``hyperparameters``); its end point is named after the first of
    ``places`` (``{name: (phi0, phi1)}``) within ``radius`` of it, and
    ``"elsewhere"`` otherwise. One row per batch size (``None``: full batch).
    """
    seeds = list(seeds)
    names = list(places) + ["elsewhere"]
    rows = []
    for size in sizes:
        counts = dict.fromkeys(names, 0)
        for s in seeds:
            g = MinibatchGradient(loss_grad, x, y, size, seed=s)
            end = descend(g, start, "SGD", steps, **hyperparameters).path[-1]
            counts[nearest_place(end, places, radius)] += 1
        n = len(backend.to_numpy(x)) if size is None else size
        rows.append([n] + [counts[k] for k in names])
    return Table(["batch size", *names], rows,
                 title=f"Where {len(seeds)} runs of {steps} steps end")


def nearest_place(phi, places: Mapping, radius: float = 1.5) -> str:
    """The name of the first of ``places`` (``{name: point}``) within ``radius``
    of ``phi``, or ``"elsewhere"``."""
    for name, p in places.items():
        if math.hypot(*(np.asarray(phi, float) - np.asarray(p, float))) < radius:
            return name
    return "elsewhere"


def paths_and_losses(surface, runs: Mapping, *, x=None, xlabel="step", title=None,
                     figsize=(11, 4.2)):
    """Paths on a loss map (left) beside the loss along each path (right, log scale).

    ``runs`` is ``{label: Descent}`` (with ``losses``); ``x`` maps a run to its
    horizontal axis (default: the step number). Returns the figure.
    """
    import matplotlib.pyplot as plt

    from ..viz import loss_surface

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=figsize, width_ratios=[1.2, 1],
                                   layout="constrained")
    loss_surface(surface, {k: r.path for k, r in runs.items()}, ax=ax1, colorbar=False,
                 title=title)
    for c, (k, r) in enumerate(runs.items()):      # colours as on the map
        t = np.arange(len(r.losses)) if x is None else x(r)
        ax2.plot(t, r.losses, color=f"C{c + 1}", label=k)
    ax2.set_yscale("log"); ax2.set_xlabel(xlabel); ax2.set_ylabel("loss E")
    ax2.legend(fontsize="small")
    return fig


# ----------------------------------------------------------------------------
# Momentum, as the slides write it
# ----------------------------------------------------------------------------

def _rates(eta, steps):
    if np.ndim(eta) == 0:
        return [float(eta)] * steps
    eta = [float(e) for e in eta]
    if len(eta) < steps:
        raise ValueError(f"{len(eta)} learning rates for {steps} steps.")
    return eta


def heavy_ball(grad: Callable, w0, eta, mu: float, steps: int) -> np.ndarray:
    r"""Slide text 004's momentum, from rest: the path :math:`\mathbf w_0, \dots, \mathbf w_k`.

    .. math::

        \mathbf w_t = \mathbf w_{t-1} - \eta_t\,\nabla E(\mathbf w_{t-1})
                      + \mu\,(\mathbf w_{t-1} - \mathbf w_{t-2}),
        \qquad \mathbf w_{-1} = \mathbf w_0 .

    ``eta`` is a number, or one rate per step (a schedule :math:`\eta_t`).
    The learning rate multiplies the *new gradient only*: it sits inside the
    accumulated step, as in :func:`averaged`.
    """
    rates = _rates(eta, steps)
    path = [np.asarray(w0, float)] * 2              # w_{-1} = w_0: at rest
    for t in range(steps):
        w, w_prev = path[-1], path[-2]
        path.append(w - rates[t] * np.asarray(grad(w)) + mu * (w - w_prev))
    return np.array(path[1:])


def averaged(grad: Callable, w0, eta_avg, mu: float, steps: int) -> np.ndarray:
    r"""Slide text 001's momentum, an average of scaled gradients, from :math:`\mathbf v_0 = 0`.

    .. math::

        \mathbf v_t = \mu\,\mathbf v_{t-1} + (1-\mu)\,\eta_t\,\nabla E(\mathbf w_{t-1}),
        \qquad \mathbf w_t = \mathbf w_{t-1} - \mathbf v_t .

    ``eta_avg`` is a number or one rate per step. For a constant rate this is
    ``SGD(lr=(1 - mu) * eta_avg, momentum=mu)``. Under a schedule it is not:
    here a new rate scales only the new gradient, while PyTorch's rate
    multiplies the whole buffer :math:`\sum_s \mu^{t-s}\mathbf g_s` at once.
    """
    rates = _rates(eta_avg, steps)
    w, v = np.asarray(w0, float), 0.0
    path = [w]
    for t in range(steps):
        v = mu * v + (1 - mu) * rates[t] * np.asarray(grad(w))
        w = w - v
        path.append(w)
    return np.array(path)


def sutskever_nesterov(grad: Callable, w0, eta: float, mu: float, steps: int) -> np.ndarray:
    r"""Nesterov momentum in Sutskever et al.'s form; returns the *look-ahead* points.

    .. math::

        \mathbf v_t = \mu\,\mathbf v_{t-1} - \eta\,\nabla E(\mathbf w_{t-1} + \mu\,\mathbf v_{t-1}),
        \qquad \mathbf w_t = \mathbf w_{t-1} + \mathbf v_t,

    and the returned row :math:`t` is :math:`\mathbf w_t + \mu\mathbf v_t`,
    the point PyTorch's ``SGD(nesterov=True)`` stores as its parameters.
    """
    w, v = np.asarray(w0, float), 0.0
    ahead = [w]
    for _ in range(steps):
        v = mu * v - eta * np.asarray(grad(w + mu * v))
        w = w + v
        ahead.append(w + mu * v)
    return np.array(ahead)


def torch_path(grad: Callable, optimizer: str, start, steps: int, lrs=None, **hyper) -> np.ndarray:
    """``torch.optim``'s path, fed the same gradients ``grad(theta)`` (NumPy in, NumPy out).

    ``lrs``, optional, sets the learning rate before each step (a schedule).
    The gradient is evaluated on nnlearn's current backend, as :func:`descend`
    evaluates it, so that the two paths see the same gradient function and
    differ only by the optimizers' arithmetic.
    """
    import torch

    b = backend.current()
    phi = torch.tensor(np.asarray(start, float), dtype=torch.float64, requires_grad=True)
    opt = getattr(torch.optim, optimizer)([phi], **hyper)
    path = [phi.detach().clone()]
    for t in range(steps):
        if lrs is not None:
            opt.param_groups[0]["lr"] = float(lrs[t])
        g = np.asarray(backend.to_numpy(grad(b.asarray(phi.detach().numpy().copy()))), float)
        phi.grad = torch.from_numpy(g)
        opt.step()
        path.append(phi.detach().clone())
    return torch.stack(path).numpy()


# ----------------------------------------------------------------------------
# Random restarts
# ----------------------------------------------------------------------------

class Restarts(NamedTuple):
    """The result of :func:`random_restarts`, a named tuple of four fields.

    ``starts``, an array of shape ``(k, 2)``
        The random starting points.
    ``paths``, a list of arrays
        One path per start, each of shape ``(steps + 1, 2)``.
    ``final_losses``, an array of shape ``(k,)``
        The loss at the end of each path.
    ``best``, an int
        Index of the restart with the lowest final loss.

    Displayed in a notebook (or printed), it is the table of :meth:`table`.
    """

    starts: np.ndarray
    paths: list
    final_losses: np.ndarray
    best: int

    @property
    def best_path(self) -> np.ndarray:
        return self.paths[self.best]

    def table(self, digits: int = 3) -> Table:
        """One row per restart: its start, its end and final loss; the best marked."""
        rows = []
        for i, (s, p, L) in enumerate(zip(self.starts, self.paths, self.final_losses)):
            rows.append([i + 1, f"({format_number(s[0], 2)}, {format_number(s[1], 2)})",
                         f"({format_number(p[-1, 0], 2)}, {format_number(p[-1, 1], 2)})",
                         float(L), "best" if i == self.best else ""])
        return Table(["restart", "start", "end", "final loss", ""], rows,
                     title=f"{len(rows)} random restarts", digits=digits)

    def _repr_html_(self) -> str:
        return self.table()._repr_html_()

    def __str__(self) -> str:
        return str(self.table())

    def __repr__(self) -> str:
        return str(self.table())


def random_restarts(loss: Callable, grad: Callable, n_restarts: int = 10,
                    bounds=((-10.0, 10.0), (2.5, 22.5)), optimizer="SGD", steps: int = 100,
                    seed=0, **hyperparameters) -> Restarts:
    r"""Run an optimizer from ``n_restarts`` random starts and keep the best end point.

    Gradient descent only finds the minimum of the basin it starts in. On a
    loss with several minima, restarting from independent random initial
    parameters and keeping the run with the lowest final loss finds the global
    minimum with probability :math:`1 - (1 - p)^k` after :math:`k` restarts,
    if one start in a fraction :math:`p` of the box leads there.

    Parameters
    ----------
    loss : callable
        ``loss(theta)`` for one parameter pair, a number (or 0-d array).
    grad : callable
        ``grad(theta)``, the gradient (a fresh :class:`MinibatchGradient` is
        fine, but it is then shared by all restarts).
    n_restarts : int
    bounds : ((low, high), (low, high))
        Each start is drawn uniformly from this box.
    optimizer : str, class or factory
        As for :func:`descend`, with ``hyperparameters``.
    steps : int
        Steps per restart.
    seed : int or None
        Seed of the starting points (``None``: nnlearn's generator).

    Returns
    -------
    Restarts
        ``starts``, ``paths``, ``final_losses`` and ``best`` (display it for a
        table).
    """
    where = "random_restarts"
    k = _positive_int(n_restarts, "n_restarts", where)
    rng = _generator(seed, where)
    (a0, b0), (a1, b1) = bounds
    starts = np.column_stack([rng.uniform(a0, b0, k), rng.uniform(a1, b1, k)])
    paths, finals = [], []
    for s in starts:
        p = descend(grad, s, optimizer, steps, **hyperparameters).path
        paths.append(p)
        finals.append(float(backend.to_numpy(loss(p[-1]))))
    finals = np.array(finals)
    best = int(np.nanargmin(np.where(np.isfinite(finals), finals, np.nan)))
    return Restarts(starts, paths, finals, best)


# ----------------------------------------------------------------------------
# Races
# ----------------------------------------------------------------------------

def _curve(values, key):
    """A loss curve as floats, index 0 = before the first update."""
    if hasattr(values, "initial") and hasattr(values, "history"):   # a train.History
        body = [float(v) for v in values[key]]
        first = values.initial.get(key)
        return ([float(first)] if first is not None else []) + body, first is not None
    return [float(v) for v in backend.to_numpy(values).reshape(-1)], True


def steps_to_target(losses: Sequence[float], target: float) -> int | None:
    r"""The first index :math:`t` with :math:`L_t \le` ``target``, or ``None``.

    ``losses[0]`` is the loss before any update, so the index is the number of
    steps (or epochs) taken.
    """
    for t, v in enumerate(losses):
        if v <= target:   # nan compares false: a diverged run never arrives
            return t
    return None


def race(curves: Mapping, target: float, unit: str = "step", key: str = "loss",
         settings: Mapping | None = None, digits: int = 4) -> Table:
    r"""Which optimizer brings the loss below ``target`` first?

    Parameters
    ----------
    curves : dict
        ``{name: losses}``, each a sequence whose entry :math:`t` is the loss
        after :math:`t` steps (entry 0: before the first), or a
        :class:`nnlearn.train.History` recorded with ``record_initial=True``
        (entry :math:`t` is then the end of epoch :math:`t`).
    target : float
    unit : str
        What one entry is, for the heading: ``"step"`` or ``"epoch"``.
    key : str
        The quantity read from a History (``"loss"``, ``"val_loss"``, ...).
    settings : dict, optional
        ``{name: text}`` shown in a "settings" column (the learning rate, ...).

    Returns
    -------
    Table
        One row per contestant, in the given order: the number of
        ``unit``\ s needed (``"not reached"`` if never), the final and the
        lowest loss. A run whose final loss is not finite, or more than ten
        times its first recorded loss, is reported as ``"diverged"`` instead
        of by the number (whose digits would say nothing but how fast it blew
        up).
    """
    head = f"{unit}s to loss ≤ {target:g}"
    columns = ["optimizer"] + (["settings"] if settings else []) + [head, "final loss", "lowest loss"]
    rows = []
    for name, values in curves.items():
        losses, from_zero = _curve(values, key)
        t = steps_to_target(losses, target)
        if t is not None and not from_zero:
            t += 1
        finite = [v for v in losses if math.isfinite(v)]
        final = losses[-1] if losses else math.nan
        blew_up = bool(getattr(values, "diverged", None)) or not math.isfinite(final) \
            or (bool(finite) and final > 10 * abs(losses[0]))
        row = [name] + ([settings.get(name, "")] if settings else [])
        row += ["not reached" if t is None else t,
                "diverged" if blew_up else final,
                min(finite) if finite else math.nan]
        rows.append(row)
    return Table(columns, rows, title=f"Race to a {key.replace('_', ' ')} of {target:g}",
                 digits=digits)


# ----------------------------------------------------------------------------
# Termination criteria
# ----------------------------------------------------------------------------

def _first_stall(values, patience, min_delta):
    """1-based epoch at which ``values`` has gone ``patience`` epochs without
    improving on its best by more than ``min_delta``; and the best epoch then."""
    best, best_epoch, waited = math.inf, None, 0
    for e, v in enumerate(values, start=1):
        if v < best - min_delta:
            best, best_epoch, waited = v, e, 0
        else:
            waited += 1
            if waited >= patience:
                return e, best_epoch
    return None, best_epoch


def termination_table(losses: Sequence[float], val_losses: Sequence[float] | None = None, *,
                      max_epochs: int | None = None, threshold: float | None = None,
                      patience: int = 5, min_delta: float = 0.0, digits: int = 4) -> Table:
    r"""When would each classical stopping rule have ended this run?

    Given the per-epoch training losses :math:`L_1, \dots, L_E` (and
    validation losses :math:`V_e`) of a run, each rule stops at the first
    epoch where

    * **number of epochs**: :math:`e = ` ``max_epochs``;
    * **training-loss threshold**: :math:`L_e \le` ``threshold``;
    * **no decrease**: the training loss has not gone below its best so far
      by more than ``min_delta`` for ``patience`` epochs in a row;
    * **validation loss increases**: the same for :math:`V_e` (early
      stopping); the weights to keep are those of the best validation epoch.

    Parameters
    ----------
    losses, val_losses : sequence of float
        One value per epoch, epoch 1 first (``history["loss"]`` and
        ``history["val_loss"]`` of :func:`nnlearn.train.fit`).
    max_epochs, threshold : optional
        Rules left out when ``None``.
    patience : int
    min_delta : float

    Returns
    -------
    Table
        Columns ``criterion``, ``stops at epoch`` (``"—"`` when the rule never
        fires within the run), ``keeps epoch`` (whose weights are returned),
        ``training loss`` and ``validation loss`` at the kept epoch.
    """
    where = "termination_table"
    L = [float(v) for v in losses]
    if not L:
        raise ValueError(f"{where}: losses is empty.")
    V = None if val_losses is None else [float(v) for v in val_losses]
    if V is not None and len(V) != len(L):
        raise ValueError(f"{where}: {len(L)} training losses but {len(V)} validation losses; "
                         "give one of each per epoch.")
    patience = _positive_int(patience, "patience", where)
    rows = []

    def add(name, stop, keep):
        keep = keep if stop is not None else None
        rows.append([name, "—" if stop is None else stop, "—" if keep is None else keep,
                     "—" if keep is None else L[keep - 1],
                     "—" if keep is None or V is None else V[keep - 1]])

    if max_epochs is not None:
        m = _positive_int(max_epochs, "max_epochs", where)
        add(f"number of epochs ({m})", m if m <= len(L) else None, m)
    if threshold is not None:
        e = steps_to_target(L, threshold)
        e = None if e is None else e + 1
        add(f"training loss ≤ {threshold:g}", e, e)
    e, _ = _first_stall(L, patience, min_delta)
    add(f"no decrease for {patience} epochs", e, e)
    if V is not None:
        e, best = _first_stall(V, patience, min_delta)
        add(f"validation loss up for {patience} epochs", e, best)
    return Table(["criterion", "stops at epoch", "keeps epoch", "training loss", "validation loss"],
                 rows, title="When each stopping rule ends the run", digits=digits)


def stopping_study(histories: Sequence, *, patience: int = 3, min_delta: float = 0.0) -> Table:
    r"""Early stopping against a fixed budget, over several recorded runs.

    For each run (a :class:`nnlearn.train.History` with ``val_loss``), the
    validation rule of :func:`termination_table` (stop after ``patience``
    epochs without an improvement larger than ``min_delta``, keep the best
    epoch so far) is compared with training for the whole recorded budget
    and with the best epoch of the whole run (retrospective selection).
    One row per run: the rule's stop and kept epoch, its validation loss,
    the validation loss at the end of the budget, the best one, and whether
    the rule kept a worse model than the full budget. A run in which the rule
    never fires *is* the full budget, "not worse" by construction: attribute
    ``stopped`` counts the runs in which it fired, ``worse`` those it made worse.
    """
    patience = _positive_int(patience, "patience", "stopping_study")
    rows, stopped = [], 0
    for k, h in enumerate(histories):
        V = [float(v) for v in h["val_loss"]]
        stop, kept = _first_stall(V, patience, min_delta)
        stopped += stop is not None
        kept = kept if stop is not None else len(V)
        best = int(np.argmin(V)) + 1
        rows.append([k, "—" if stop is None else stop, kept, V[kept - 1], V[-1],
                     f"{V[best - 1]:.4f} (epoch {best})",
                     "worse" if V[kept - 1] > V[-1] else "not worse"])
    table = Table(["seed", "rule stops at", "keeps epoch", "val loss kept", f"val loss, epoch {len(V)}",
                   "best val loss", "rule vs full budget"], rows, digits=4,
                  title=f"Validation rule (patience {patience}, min_delta {min_delta:g}) "
                        "against the whole budget")
    table.stopped, table.worse = stopped, [r[-1] for r in rows].count("worse")
    return table


def restart_rates(loss: Callable, grad: Callable, settings: Mapping, n_restarts: int, steps: int,
                  seed=0, threshold: float = 0.02, bounds=((-10.0, 10.0), (2.5, 22.5)),
                  k_restarts=(8, 20)) -> Table:
    r"""The fraction :math:`p` of random starts that reach the global minimum, per optimizer.

    ``settings`` is ``{name: (optimizer, hyperparameters)}``. Every optimizer
    gets the same ``n_restarts`` starts, drawn uniformly from ``bounds`` with
    ``seed`` (as :func:`random_restarts` draws them); a run succeeds when its
    final loss is below ``threshold``. The table gives :math:`\hat p`, its
    standard error :math:`\sqrt{\hat p(1-\hat p)/n}`, and the chance that
    :math:`k` restarts find the global minimum, :math:`1 - (1-\hat p)^k`.

    All starts run at once: ``loss`` and ``grad`` must accept parameters of
    shape ``(2, k)``, one column per start (the Gabor functions do), and the
    optimizer must act on each coordinate separately (SGD, Adagrad, RMSprop,
    Adam do), so that one run of :func:`descend` on the ``2k`` numbers is
    ``k`` independent runs.

    Attributes ``p`` (``{name: p̂}``) and ``successes`` (``{name: bool
    array}``, one entry per start, the same starts in the same order for every
    optimizer) are attached for paired comparisons; ``final_loss`` and
    ``final_grad_norm`` (``{name: array}``, in the same order) say where each run
    ended: a start that failed with a gradient near 0 stopped at another minimum
    (or a saddle), one with a large gradient had not arrived yet.
    """
    n = _positive_int(n_restarts, "n_restarts", "restart_rates")
    rng = _generator(seed, "restart_rates")
    (a0, b0), (a1, b1) = bounds
    starts = np.stack([rng.uniform(a0, b0, n), rng.uniform(a1, b1, n)])     # (2, n)

    def many(theta):
        xp = backend.namespace_of(theta)
        return xp.reshape(grad(xp.reshape(theta, (2, n))), (2 * n,))

    rows, p_hat, successes, final_loss, final_grad = [], {}, {}, {}, {}
    for name, (opt, hyper) in settings.items():
        end = descend(many, starts.reshape(-1), opt, steps, **hyper).path[-1].reshape(2, n)
        final = np.asarray(backend.to_numpy(loss(backend.asarray(end))), float)
        g = np.asarray(backend.to_numpy(many(backend.asarray(end.reshape(-1)))), float)
        ok = final < threshold
        p = float(ok.mean())
        p_hat[name], successes[name] = p, ok
        final_loss[name], final_grad[name] = final, np.linalg.norm(g.reshape(2, n), axis=0)
        rows.append([name, round(p, 3), round(math.sqrt(p * (1 - p) / n), 3),
                     *[round(1 - (1 - p) ** k, 3) for k in k_restarts]])
    table = Table(["optimizer", f"p̂ ({n} starts)", "standard error",
                   *[f"P(success), {k} restarts" for k in k_restarts]], rows, digits=3,
                  title=f"Fraction of {n} random starts ending with E < {threshold:g}")
    table.p, table.successes = p_hat, successes
    table.final_loss, table.final_grad_norm = final_loss, final_grad
    return table


def restart_agreement(rates: Table) -> float:
    """The fraction of starts from which every optimizer of a :func:`restart_rates`
    table has the same outcome (all reach the global minimum, or none does).

    Equal success *rates* do not show that the *same* starts succeed; this does.
    """
    S = np.array(list(rates.successes.values()), dtype=bool)      # (optimizers, starts)
    return float(np.mean(S.all(axis=0) | ~S.any(axis=0)))


# ----------------------------------------------------------------------------
# The digits network, over seeds
# ----------------------------------------------------------------------------

def digits_run(split, make_optimizer: Callable, epochs: int = 10, seed: int = 0, hidden: int = 32,
               **fit_options):
    """One seeded run of the chapter's 64-``hidden``-10 ReLU network on the digits.

    ``seed`` sets both the initial weights (:func:`nnlearn.backend.manual_seed`) and
    the order of the minibatches (32 samples each), so two optimizers given
    the same seed start from the same weights and see the same batches. A run
    that diverges stops quietly (``history.diverged`` says where). Returns the
    :class:`nnlearn.train.History`.
    """
    import warnings

    from .. import losses, nn, train
    from ..backend import manual_seed

    manual_seed(int(seed))
    model = nn.Sequential(nn.Linear(64, hidden), nn.ReLU(), nn.Linear(hidden, 10))
    optimizer = make_optimizer(model.parameters())
    options = dict(batch_size=32, val_data=split.val, progress=False, on_divergence="stop")
    options.update(fit_options)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", train.DivergenceWarning)
        return train.fit(model, losses.cross_entropy, optimizer, split.train, epochs=epochs,
                         seed=int(seed), **options)


def lr_range_test(split, make_optimizer: Callable, lr_start: float = 1e-3, lr_end: float = 10.0,
                  steps: int = 100, seed: int = 0, hidden: int = 32) -> tuple[np.ndarray, np.ndarray]:
    r"""Smith's learning-rate range test on the digits network of :func:`digits_run`.

    One short run of ``steps`` minibatches; before batch :math:`k = 0, \dots,
    K-1` (:math:`K` = ``steps``) the learning rate of every parameter group is
    set to

    .. math:: \eta_k = \eta_{\text{start}}\,
              (\eta_{\text{end}}/\eta_{\text{start}})^{k/(K-1)},

    a geometric ramp, and the batch's loss (before its update) is recorded.
    The loss first barely moves (:math:`\eta` too small), then falls, then
    rises or diverges (:math:`\eta` too large); a good learning rate lies
    somewhat below the one at the lowest loss (L. N. Smith, *Cyclical
    learning rates for training neural networks*, 2017). The run stops at
    the first non-finite loss or update, so the record may be shorter than
    ``steps``. (:func:`nnlearn.train.fit` stops at the end of an epoch: the
    batches left in the epoch of the last recorded one run at the last rate,
    unrecorded; the model is thrown away.)

    Returns
    -------
    lrs, losses : numpy.ndarray
        The learning rate of each recorded batch and its loss (same length).
    """
    from .. import train

    steps = _positive_int(steps, "steps", "lr_range_test")
    if not (0 < lr_start < lr_end < math.inf):
        raise ValueError(f"lr_range_test: need 0 < lr_start < lr_end, got {lr_start!r} and {lr_end!r}.")
    lrs = lr_start * (lr_end / lr_start) ** (np.arange(steps) / max(steps - 1, 1))
    losses = []

    def begin(state):
        k = min(state.step, steps - 1)
        for group in state.optimizer.param_groups:
            group["lr"] = float(lrs[k])

    def end(state):
        if len(losses) < steps:
            losses.append(float(state.loss))
        if len(losses) >= steps:
            state.stop_training = True

    digits_run(split, make_optimizer, epochs=steps, seed=seed, hidden=hidden,
               val_data=None, callbacks=[train.LambdaCallback(on_batch_begin=begin, on_batch_end=end)])
    return lrs[:len(losses)].copy(), np.array(losses)


def lowest_epochs(history) -> tuple[int, int]:
    """The epochs (numbered from 1) of a run's lowest training and lowest validation loss.

    A validation curve that bottoms out before the training curve does has stopped
    improving while training still helps the training loss: the sign to stop, or to
    regularize."""
    return (int(np.argmin(history["loss"])) + 1, int(np.argmin(history["val_loss"])) + 1)


def seeded_runs(split, make_optimizer: Callable, seeds=range(5), **options) -> list:
    """:func:`digits_run` once per seed; a list of Histories."""
    return [digits_run(split, make_optimizer, seed=s, **options) for s in seeds]


# ----------------------------------------------------------------------------
# Uncertainty of a comparison
# ----------------------------------------------------------------------------

def mean_interval(values, level: float = 0.95) -> tuple[float, float]:
    r"""The mean of ``values`` and the half-width of its ``level`` confidence interval.

    Half-width :math:`t_{n-1}\,s/\sqrt n`, with :math:`s` the sample standard
    deviation (``ddof=1``) and :math:`t_{n-1}` Student's quantile: the
    uncertainty of the *mean*, which shrinks as runs are added (unlike
    :math:`s`, the spread of single runs).
    """
    from scipy import stats

    v = np.asarray(values, float)
    if v.size < 2:
        raise ValueError(f"mean_interval needs at least 2 values, got {v.size}.")
    half = stats.t.ppf(0.5 + level / 2, v.size - 1) * v.std(ddof=1) / math.sqrt(v.size)
    return float(v.mean()), float(half)


def paired_interval(a, b, level: float = 0.95) -> tuple[float, float, float]:
    r"""Mean of the paired differences :math:`a_i - b_i` and its ``level`` interval ``(lo, hi)``.

    Pairing (the same seed, so the same initial weights and minibatches, for
    both set-ups) removes the seed-to-seed variation that both runs share.
    """
    d = np.asarray(a, float) - np.asarray(b, float)
    if d.shape != (d.size,) or d.size < 2:
        raise ValueError("paired_interval needs two equally long sequences of at least 2 values.")
    m, half = mean_interval(d, level)
    return m, m - half, m + half


def verdict(lo: float, hi: float, lower_a: str, lower_b: str) -> str:
    """``lower_a`` if the interval of a − b lies below 0, ``lower_b`` if above,
    otherwise ``"too close to call"``."""
    if hi < 0:
        return lower_a
    if lo > 0:
        return lower_b
    return "too close to call"


def _fmt(m, half, digits=2):
    return f"{m:.{digits}g} ± {half:.2g}"


def lr_regimes(runs: Mapping, epoch: int = -1) -> Table:
    r"""Too small, about right, too large: one row per learning rate, over seeds.

    ``runs`` is ``{label: [History, ...]}`` (one History per seed, recorded
    with ``eval_train=True`` or not). Columns: runs diverged, and for the
    others the training and validation loss at ``epoch`` as mean ± the
    half-width of the 95% interval of the mean (2 significant digits).
    """
    rows = []
    for label, hs in runs.items():
        ok = [h for h in hs if not h.diverged and math.isfinite(h["loss"][epoch])
              and h["loss"][epoch] < 10 * h.initial["loss"]]
        cells = []
        for key in ("loss", "val_loss"):
            if len(ok) >= 2:
                cells.append(_fmt(*mean_interval([h[key][epoch] for h in ok])))
            else:
                cells.append("—")
        rows.append([label, f"{len(hs) - len(ok)} of {len(hs)}", *cells])
    return Table(["run", "diverged", "training loss (mean ± 95% CI)", "validation loss"], rows,
                 title="Last epoch, over seeds")


def race_over_seeds(runs: Mapping, target: float) -> Table:
    r"""A race repeated over seeds: epochs each (optimizer, learning rate) needs to reach ``target``.

    ``runs`` is ``{(name, lr): [History, ...]}``, the Histories of the same
    seeds in the same order for every entry (so the comparison is paired).
    Each optimizer is represented by the learning rate with the fewest mean
    epochs among those whose every run reached the target. The table gives,
    per optimizer, how many of its runs at each rate reached the target, and
    at its best rate the mean epochs with the 95% interval of the mean.

    Attributes: ``best`` ``{name: lr}``, ``epochs`` ``{name: array}`` (at the
    best rate, one per seed), ``fastest`` and ``runner_up`` (names),
    ``differences`` ``{name: (mean, lo, hi)}`` of the paired extra epochs
    against the fastest, ``difference`` the runner-up's, and ``verdict``
    (``"<fastest> is faster"`` than the runner-up, or ``"too close to call"``).
    The last columns give each optimizer's extra epochs against the fastest
    with their 95% interval: "slower" when the interval lies above 0. Epochs
    are integers, so a difference can be the same on every seed: it then has
    no spread for Student's interval, and the exact sign test decides (the
    same sign on all :math:`n` seeds has two-sided probability
    :math:`2 \cdot 2^{-n}`, below 5% only from :math:`n = 6`; with fewer seeds
    the interval is unbounded and the verdict "too close to call").
    """
    by_name: dict = {}
    for (name, lr), hs in runs.items():
        by_name.setdefault(name, {})[lr] = hs

    def epochs(h):
        t = steps_to_target([h.initial["loss"], *h["loss"]], target)
        return math.inf if t is None or h.diverged else t

    rows, best, ep = [], {}, {}
    for name, per_lr in by_name.items():
        counts = {lr: [epochs(h) for h in hs] for lr, hs in per_lr.items()}
        reached = {lr: sum(math.isfinite(e) for e in c) for lr, c in counts.items()}
        full = [lr for lr, c in counts.items() if reached[lr] == len(c)]
        if full:
            lr = min(full, key=lambda r: (np.mean(counts[r]), r))
            best[name], ep[name] = lr, np.array(counts[lr], float)
            cell = _fmt(*mean_interval(ep[name])) if np.ptp(ep[name]) else f"{ep[name][0]:g} ± 0"
        else:
            cell = "—"
        rows.append([name, ", ".join(f"{lr:g}: {reached[lr]}/{len(counts[lr])}" for lr in per_lr),
                     best.get(name, "—"), cell])
    order = sorted(ep, key=lambda k: ep[k].mean())
    fastest = order[0] if order else None
    diffs = {}
    for row in rows:
        name = row[0]
        if name not in ep:
            row += ["—", "never reached at every rate"]
            continue
        d = ep[name] - ep[fastest]
        m = float(d.mean())
        if np.ptp(d) == 0 and m != 0:
            # The same difference on every seed has no spread for a t interval. The exact
            # two-sided sign test: n equal signs have probability 2·0.5ⁿ under "no difference",
            # below 5% only from n = 6; with fewer seeds no finite interval excludes 0.
            p = min(1.0, 2 * 0.5 ** d.size)
            diffs[name] = (m, m, m) if p < 0.05 else (m, -math.inf, math.inf)
            interval = f"{m:.1f} on every seed [sign test p = {p:.2g}]"
        else:
            diffs[name] = (m, m, m) if np.ptp(d) == 0 else paired_interval(ep[name], ep[fastest])
            interval = f"{m:.1f} [{diffs[name][1]:.1f}, {diffs[name][2]:.1f}]"
        lo, hi = diffs[name][1:]
        row += [interval,
                "fastest" if name == fastest else "slower" if lo > 0 else "too close to call"]
    table = Table(["optimizer", "runs reaching the target, per lr", "best lr",
                   "epochs at best lr (mean ± 95% CI)", "extra epochs vs fastest [95% CI]",
                   "verdict"], rows,
                  title=f"Epochs to a training loss of {target:g}, over {len(next(iter(runs.values())))} seeds")
    table.best, table.epochs, table.differences = best, ep, diffs
    table.fastest = fastest
    table.runner_up = order[1] if len(order) > 1 else None
    table.difference, table.verdict = None, "too close to call"
    if table.runner_up is not None:
        table.difference = diffs[table.runner_up]
        table.verdict = verdict(*table.difference[1:], "too close to call",
                                f"{fastest} is faster")
    return table


def schedule_study(loss_grad: Callable, x, y, settings: Mapping, loss: Callable, loss_min: float, *,
                   seeds=range(5), start=(0.0, 12.0), epochs: int = 40, batch_size: int = 5) -> Table:
    r"""Constant rates against schedules: :math:`E - E^\star` at the end, for every seed.

    ``settings`` is ``{name: (lr0, scheduler_factory or None)}``; each runs
    ``epochs`` epochs of minibatch SGD from ``start`` for every shuffling seed.
    The cells give :math:`E - E^\star` to 1 significant digit. Attribute
    ``excess``: ``{name: array over seeds}``.
    """
    seeds = list(seeds)
    excess = {}
    for name, (lr0, sch) in settings.items():
        excess[name] = np.array([
            minibatch_descent(loss_grad, x, y, batch_size, start, epochs, seed=s, loss=loss,
                              scheduler=sch, lr=lr0).losses[-1] - loss_min for s in seeds])
    table = Table(["learning rate", *[f"seed {s}" for s in seeds]],
                  [[k, *[f"{v:.0e}" for v in e]] for k, e in excess.items()],
                  title=f"E − E* after {epochs} epochs, batches of {batch_size}")
    table.excess = excess
    return table


def gradient_noise(loss_grad: Callable, x, y, theta, sizes: Sequence[int], draws: int = 20000,
                   seed: int = 0) -> Table:
    r"""How the spread of a minibatch gradient shrinks with the batch size :math:`B`.

    A batch of :math:`B` of the :math:`N` samples drawn without replacement
    gives a gradient whose covariance is that of one sample's gradient,
    :math:`\Sigma_1`, times

    .. math::

        \frac{1}{B}\,\frac{N - B}{N - 1}

    (sampling without replacement from a finite set); the spread
    :math:`\sqrt{\operatorname{tr}\Sigma_B}` falls like :math:`1/\sqrt B` while
    :math:`B \ll N`, and is 0 at :math:`B = N`. The table compares the spread
    measured over ``draws`` random batches with that formula, beside the cost
    of one step (:math:`B` sample gradients). Computed on the host (NumPy). A
    measured spread below :math:`10^{-12}` of the one-sample spread (rounding,
    at :math:`B = N`) is reported as 0.
    """
    x, y = backend.to_numpy(x), backend.to_numpy(y)
    theta = np.asarray(backend.to_numpy(theta), float)
    n = len(x)
    per_sample = np.array([np.asarray(backend.to_numpy(loss_grad(theta, x[i:i + 1], y[i:i + 1])))
                           for i in range(n)])
    sigma1 = math.sqrt(per_sample.var(axis=0).sum())       # population variance, 1/N
    rng = np.random.default_rng(seed)
    rows = []
    for b in sizes:
        b = _positive_int(b, "batch size", "gradient_noise")
        idx = np.argsort(rng.random((draws, n)), axis=1)[:, :b]   # draws batches without replacement
        g = per_sample[idx].mean(axis=1)
        measured = math.sqrt(g.var(axis=0).sum())
        if measured <= 1e-12 * sigma1:
            measured = 0.0               # B = N: rounding noise, not a spread (printed as 0)
        predicted = sigma1 * math.sqrt((n - b) / (b * (n - 1))) if n > 1 else 0.0
        rows.append([b, f"{measured:.2g}", f"{predicted:.2g}", b, math.ceil(n / b)])
    return Table(["batch size B", "spread of ∇E_B (measured)", "formula", "sample gradients per step",
                  "steps per epoch"], rows,
                 title=f"Minibatch gradient noise at θ = ({theta[0]:g}, {theta[1]:g}), "
                       f"{draws} batches each")


def momentum_rate(eta: float, mu: float, lam: float, nesterov: bool = False) -> float:
    r"""Per-step contraction factor of momentum on the quadratic :math:`E = \tfrac\lambda2 w^2`.

    Heavy-ball momentum (``SGD(lr=eta, momentum=mu)``) on this quadratic is
    the linear recursion :math:`w_{t+1} = (1 + \mu - \eta\lambda)\,w_t - \mu\,w_{t-1}`;
    Nesterov's (``nesterov=True``) is
    :math:`w_{t+1} = (1+\mu)(1-\eta\lambda)\,w_t - \mu(1-\eta\lambda)\,w_{t-1}`.
    :math:`|w_t|` shrinks (or grows) like :math:`\rho^t`, with :math:`\rho` the
    largest root, in size, of the characteristic polynomial
    :math:`r^2 - a r + b` of the recursion, which this function returns. The
    heavy ball converges exactly when :math:`0 < \eta\lambda < 2(1+\mu)` (for
    :math:`0 \le \mu < 1`): momentum widens the stable range of the learning
    rate from :math:`2/\lambda` to :math:`2(1+\mu)/\lambda`.
    """
    q = eta * lam
    a, b = ((1 + mu) * (1 - q), mu * (1 - q)) if nesterov else (1 + mu - q, mu)
    return float(np.max(np.abs(np.roots([1.0, -a, b]))))


def batch_vs_minibatch(loss_grad: Callable, x, y, loss: Callable, start, *, batch_size: int,
                       epochs: int, seeds=range(5), **hyperparameters) -> Table:
    r"""Full-batch against minibatch descent, compared per step and per epoch.

    Both run plain SGD with the same ``hyperparameters`` from ``start``; the
    minibatch run once per shuffling seed. After ``epochs`` *steps* and after
    ``epochs`` *epochs* (``N / batch_size`` times more minibatch steps), the
    table gives the full-batch loss of each, the minibatch one as mean ± the
    95% interval of the mean over seeds, and a verdict on the difference.
    Attribute ``verdicts``: ``{"per step": ..., "per epoch": ...}``.
    """
    seeds = list(seeds)
    full = minibatch_descent(loss_grad, x, y, None, start, epochs, loss=loss, **hyperparameters)
    mini = [minibatch_descent(loss_grad, x, y, batch_size, start, epochs, seed=s, loss=loss,
                              **hyperparameters) for s in seeds]
    rows, verdicts = [], {}
    for label, k in (("per step", epochs), ("per epoch", -1)):
        f = float(full.losses[epochs])
        m = np.array([float(r.losses[k]) for r in mini])
        d, lo, hi = paired_interval(m, np.full_like(m, f))
        verdicts[label] = verdict(lo, hi, "minibatch lower", "full batch lower")
        rows.append([f"after {epochs} {'steps' if k == epochs else 'epochs'}", f"{f:.4f}",
                     f"{m.mean():.4f} ± {mean_interval(m)[1]:.1g}", verdicts[label]])
    table = Table(["", "full batch E", f"minibatch (B = {batch_size}) E, {len(seeds)} seeds",
                   "verdict"], rows, title="The same learning rate, counted per step and per epoch "
                                           "(minibatch: mean ± half-width of its 95% interval)")
    table.verdicts = verdicts
    return table
