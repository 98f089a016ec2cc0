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
    "Descent",
    "descend",
    "MinibatchGradient",
    "Restarts",
    "random_restarts",
    "steps_to_target",
    "race",
    "termination_table",
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
        xb, yb = self.x[idx], self.y[idx]
        if not isinstance(theta, np.ndarray) and array_api_compat.is_array_api_obj(theta):
            xp = backend.namespace_of(theta)
            device = array_api_compat.device(theta)
            xb = xp.asarray(xb, dtype=theta.dtype, device=device)
            yb = xp.asarray(yb, dtype=theta.dtype, device=device)
        return self.loss_grad(theta, xb, yb)

    @property
    def epoch(self) -> float:
        """Epochs completed so far (a fraction within an epoch)."""
        return self.steps / self.batches_per_epoch

    def __repr__(self) -> str:
        return (f"MinibatchGradient(n={self.n}, batch_size={self.batch_size}, "
                f"steps={self.steps})")


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
