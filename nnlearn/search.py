r"""Hyperparameter search as the Deep Learning Tuning Playbook recommends it.

A round of tuning asks one question about a *scientific* hyperparameter (does
width matter?). The *nuisance* hyperparameters (learning rate, weight decay,
...) are searched again for each value of the scientific one, so that each
value is compared at its best; the *fixed* ones stay as they are, and the
conclusion holds for those values only.

The nuisance search samples the space *quasi-randomly* rather than on a grid:
a scrambled low-discrepancy sequence (Halton or Sobol, from
``scipy.stats.qmc``) fills the space evenly, every trial tries a new value of
every hyperparameter (a grid of :math:`k^d` points tries only :math:`k` values
of each), and trials can be added or dropped without leaving holes. Ranges
such as learning rates are searched on a log scale: a point :math:`u \in [0, 1)`
of the sequence maps to

.. math::

    x = \exp\big(\ln a + u\,(\ln b - \ln a)\big) \quad\text{(log scale)}, \qquad
    x = a + u\,(b - a) \quad\text{(linear)} .

After the search, check that the best trial is not on the boundary of the
space (:meth:`SearchResults.on_boundary`): if it is, the best value may lie
outside, and the range must be widened.

Trials run in parallel like seeds (:func:`nnlearn.experiment.parallel_map`):
worker processes by default, a Dask cluster inside
``joblib.parallel_config(backend="dask")``, the same results either way.
"""

from __future__ import annotations

import math
import numbers
from typing import Callable, NamedTuple

import numpy as np

from ._display import Table
from .experiment import parallel_map

__all__ = ["Range", "quasi_random", "SearchResults", "search"]


class Range(NamedTuple):
    """One searched hyperparameter: ``low`` to ``high``, on a ``log`` or linear scale."""

    low: float
    high: float
    log: bool = False

    def to_unit(self, x: float) -> float:
        """Where ``x`` lies in the range, from 0 (low) to 1 (high), on the range's scale."""
        if self.log:
            return (math.log(x) - math.log(self.low)) / (math.log(self.high) - math.log(self.low))
        return (x - self.low) / (self.high - self.low)

    def from_unit(self, u):
        u = np.asarray(u, dtype=float)
        if self.log:
            return np.exp(np.log(self.low) + u * (np.log(self.high) - np.log(self.low)))
        return self.low + u * (self.high - self.low)


def _ranges(space: dict) -> dict[str, Range]:
    if not isinstance(space, dict) or not space:
        raise ValueError("search space must be a non-empty dict {name: (low, high)} or "
                         "{name: (low, high, 'log')}")
    out = {}
    for name, spec in space.items():
        if isinstance(spec, Range):
            r = spec
        else:
            spec = tuple(spec)
            if len(spec) == 3 and spec[2] in ("log", "linear"):
                r = Range(float(spec[0]), float(spec[1]), spec[2] == "log")
            elif len(spec) == 2:
                r = Range(float(spec[0]), float(spec[1]), False)
            else:
                raise ValueError(f"search space: {name!r} must be (low, high) or (low, high, 'log'), "
                                 f"got {spec!r}")
        if not (math.isfinite(r.low) and math.isfinite(r.high) and r.low < r.high):
            raise ValueError(f"search space: {name!r} needs finite low < high, got {r.low}, {r.high}")
        if r.log and r.low <= 0:
            raise ValueError(f"search space: {name!r} is on a log scale, so low must be > 0, got {r.low}")
        out[name] = r
    return out


def quasi_random(space: dict, n: int, seed: int = 0, method: str = "halton") -> list[dict]:
    r"""``n`` points of a scrambled low-discrepancy sequence, mapped onto ``space``.

    Parameters
    ----------
    space : dict
        ``{name: (low, high)}`` for a linear range, ``{name: (low, high, "log")}``
        for a log-scaled one (learning rates, weight decay), or :class:`Range`.
    n : int
        Number of trials.
    seed : int
        Seed of the scrambling: the same seed gives the same trials.
    method : {"halton", "sobol"}
        ``scipy.stats.qmc.Halton`` (any ``n``) or ``scipy.stats.qmc.Sobol``
        (``n`` a power of 2, where its balance properties hold).

    Returns
    -------
    list of dict
        One ``{name: value}`` per trial.
    """
    from scipy.stats import qmc

    ranges = _ranges(space)
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
        raise ValueError(f"quasi_random: n must be a positive integer, got {n!r}")
    d = len(ranges)
    if method == "halton":
        u = qmc.Halton(d, scramble=True, seed=seed).random(int(n))
    elif method == "sobol":
        if n & (n - 1):
            raise ValueError(f"quasi_random: Sobol points need n a power of 2, got {n}; use "
                             "method='halton' for other n")
        u = qmc.Sobol(d, scramble=True, seed=seed).random_base2(int(math.log2(n)))
    else:
        raise ValueError(f"quasi_random: method must be 'halton' or 'sobol', got {method!r}")
    columns = {name: r.from_unit(u[:, j]) for j, (name, r) in enumerate(ranges.items())}
    return [{name: float(columns[name][i]) for name in ranges} for i in range(int(n))]


class _Trial:
    """Picklable ``train(params, seed)`` for one trial (closures pickle too, via cloudpickle)."""

    def __init__(self, train, seed):
        self.train, self.seed = train, seed

    def __call__(self, params):
        return self.train(dict(params), self.seed)


class SearchResults:
    """The trials of one search and their metrics.

    Attributes
    ----------
    space : dict of str to Range
    trials : list of dict
        The hyperparameters of each trial.
    values : dict of str to ndarray
        Each metric, one value per trial.
    """

    def __init__(self, space, trials, values, name=None):
        self.space = _ranges(space)
        self.trials = list(trials)
        self.values = {k: np.asarray(v, float) for k, v in values.items()}
        self.name = name

    def __len__(self):
        return len(self.trials)

    def best(self, metric: str, higher_is_better: bool | None = None) -> int:
        """Index of the best trial on ``metric`` (NaN or inf trials never win)."""
        v = self.values[metric]
        if higher_is_better is None:
            higher_is_better = not any(w in metric.lower() for w in ("loss", "error", "mse", "mae"))
        finite = np.isfinite(v)
        if not finite.any():
            raise ValueError(f"SearchResults.best: every trial's {metric} is NaN or infinite")
        score = np.where(finite, v if higher_is_better else -v, -np.inf)
        return int(np.argmax(score))

    def best_params(self, metric: str, higher_is_better: bool | None = None) -> dict:
        return dict(self.trials[self.best(metric, higher_is_better)])

    def on_boundary(self, metric: str, margin: float = 0.1, higher_is_better: bool | None = None) -> list[str]:
        r"""The hyperparameters whose best value lies within ``margin`` of an edge of its range.

        Measured on the range's own scale (log ranges in :math:`\ln x`): a
        fraction ``margin`` of the range at either end. A name in the list
        means the best may lie outside the range: widen it and search again.
        """
        p = self.best_params(metric, higher_is_better)
        out = []
        for name, r in self.space.items():
            u = r.to_unit(p[name])
            if u < margin or u > 1 - margin:
                out.append(name)
        return out

    def table(self, metric: str | None = None, digits: int = 4, higher_is_better: bool | None = None) -> Table:
        """One row per trial, sorted by ``metric`` (best first) when given."""
        order = list(range(len(self)))
        if metric is not None:
            v = self.values[metric]
            hib = (not any(w in metric.lower() for w in ("loss", "error", "mse", "mae"))
                   if higher_is_better is None else higher_is_better)
            key = np.where(np.isfinite(v), -v if hib else v, np.inf)
            order = list(np.argsort(key, kind="stable"))
        names = list(self.space)
        rows = [[int(i), *[self.trials[i][k] for k in names], *[self.values[m][i] for m in self.values]]
                for i in order]
        return Table(["trial", *names, *self.values], rows, title=self.name, digits=digits)

    def _repr_html_(self):
        return self.table()._repr_html_()

    def __repr__(self):
        return str(self.table())


def search(train: Callable[[dict, int], dict], space: dict, n_trials: int = 16, seed: int = 0,
           method: str = "halton", name: str | None = None, n_jobs: int = -1,
           trials: list | None = None) -> SearchResults:
    r"""Quasi-random search: run ``train(params, seed)`` on ``n_trials`` points of ``space``.

    Parameters
    ----------
    train : callable
        ``train(params, seed) -> dict`` of metrics; ``params`` is one trial's
        ``{name: value}``. Every trial uses the same ``seed``, so that the trials
        differ only in their hyperparameters.
    space : dict
        As in :func:`quasi_random`.
    n_trials, seed, method
        As in :func:`quasi_random` (``seed`` also seeds the scrambling).
    n_jobs : int, default -1
        Worker processes, as in :func:`nnlearn.experiment.run_seeds`.
    trials : list of dict, optional
        Run these points instead of drawing them.

    Returns
    -------
    SearchResults

    Raises
    ------
    BaseException
        Whatever ``train`` raises, ``KeyboardInterrupt`` included. The
        exception carries ``results``, the :class:`SearchResults` of the
        finished trials.
    """
    if not callable(train):
        raise TypeError(f"search: train must be a function (params, seed) -> dict, got {train!r}")
    points = quasi_random(space, n_trials, seed=seed, method=method) if trials is None else list(trials)
    try:
        outs = parallel_map(_Trial(train, seed), points, n_jobs=n_jobs)
    except BaseException as e:
        partial = getattr(e, "partial", {})
        done = sorted(partial)
        try:
            e.results = _collect(space, [points[i] for i in done], [partial[i] for i in done], name) \
                if done else None
        except Exception:
            e.results = None
        raise
    return _collect(space, points, outs, name)


def _collect(space, points, outs, name):
    values: dict[str, list] = {}
    for i, out in enumerate(outs):
        if not isinstance(out, dict) or not out:
            raise TypeError(f"search: train returned {type(out).__name__} for trial {i}; it must "
                            "return a dict of metric name -> number")
        if i == 0:
            values = {k: [] for k in out}
        elif set(out) != set(values):
            raise ValueError(f"search: trial {i} returned metrics {sorted(out)}, trial 0 {sorted(values)}")
        for k, v in out.items():
            values[k].append(float(v))
    return SearchResults(space, points, values, name=name)
