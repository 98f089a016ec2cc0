r"""Experiments that control for the randomness of training.

Two training runs that differ only in their random seed (initial weights,
minibatch order, dropout masks) end with different scores. Before calling one
setting better than another, measure that seed-to-seed spread:

1. change one thing only between the two settings (keep the data split,
   preprocessing and every other hyperparameter fixed);
2. train each setting with several seeds (:func:`run_seeds`);
3. report each metric as mean :math:`\pm 2\sigma` over the seeds,
   where :math:`\sigma` is the *sample* standard deviation

   .. math::

       \bar x = \frac1n\sum_{i=1}^n x_i, \qquad
       \sigma = \sqrt{\frac{1}{n-1}\sum_{i=1}^n (x_i - \bar x)^2}

   (``ddof=1``: dividing by :math:`n-1` corrects for measuring the spread
   around the sample mean rather than the true one);
4. call the difference real only when it is large compared with that spread
   (:func:`compare`): the two :math:`\pm 2\sigma` bands must not overlap.

The band :math:`\bar x \pm 2\sigma` describes where single runs fall (about
95% of them if the scores are roughly normal); it is deliberately stricter
than a confidence interval for the mean, :math:`\bar x \pm 2\sigma/\sqrt n`,
which narrows as seeds are added. Welch's :math:`t`-test, which compares the
means, is reported as well when SciPy is installed.
"""

from __future__ import annotations

import math
import numbers
from typing import Callable, Iterable

import numpy as np

from ._display import Table, format_number

__all__ = ["SeedResults", "Comparison", "run_seeds", "compare"]


def _sample_std(v: np.ndarray) -> float:
    return float(np.std(v, ddof=1)) if v.size >= 2 else math.nan


class SeedResults:
    r"""The metrics of one configuration, trained once per seed.

    Parameters
    ----------
    seeds : sequence of int
    values : dict of str to sequence of float
        One value per seed for each metric.
    name : str, optional
        The configuration's name (used by :func:`compare` and the tables).

    Attributes
    ----------
    seeds : list of int
    values : dict of str to ndarray
    """

    def __init__(self, seeds, values: dict, name: str | None = None):
        self.seeds = list(seeds)
        self.values = {k: np.asarray(v, dtype=np.float64) for k, v in values.items()}
        for k, v in self.values.items():
            if v.shape != (len(self.seeds),):
                raise ValueError(
                    f"SeedResults: metric {k!r} has {v.size} values for {len(self.seeds)} seeds"
                )
        self.name = name

    @property
    def metrics(self) -> list[str]:
        return list(self.values)

    def __len__(self) -> int:
        return len(self.seeds)

    def _get(self, metric: str) -> np.ndarray:
        if metric not in self.values:
            raise KeyError(f"no metric {metric!r}; the runs recorded {', '.join(map(repr, self.values))}")
        return self.values[metric]

    def __getitem__(self, metric: str) -> np.ndarray:
        return self._get(metric)

    def mean(self, metric: str) -> float:
        """:math:`\\bar x` over the seeds."""
        return float(np.mean(self._get(metric)))

    def std(self, metric: str) -> float:
        """The sample standard deviation :math:`\\sigma` (``ddof=1``; NaN for one seed)."""
        return _sample_std(self._get(metric))

    def band(self, metric: str, k: float = 2.0) -> tuple[float, float]:
        """:math:`(\\bar x - k\\sigma, \\bar x + k\\sigma)`."""
        m, s = self.mean(metric), self.std(metric)
        return (m - k * s, m + k * s)

    def summary(self, digits: int = 4) -> Table:
        """One row per metric: mean, σ (ddof=1), mean ± 2σ, min, max, number of seeds."""
        rows = []
        for k in self.values:
            m, s = self.mean(k), self.std(k)
            v = self.values[k]
            rows.append([k, m, s, f"{format_number(m, digits)} ± {format_number(2 * s, digits)}",
                         float(v.min()), float(v.max()), len(v)])
        title = f"{self.name}: " if self.name else ""
        title += f"{len(self.seeds)} seeds, mean ± 2σ (sample std, ddof=1)"
        return Table(["metric", "mean", "σ", "mean ± 2σ", "min", "max", "seeds"], rows,
                     title=title, digits=digits)

    def table(self, digits: int = 4) -> Table:
        """One row per seed, one column per metric."""
        rows = [[s, *[self.values[k][i] for k in self.values]] for i, s in enumerate(self.seeds)]
        return Table(["seed", *self.values], rows, title=self.name, digits=digits)

    def _repr_html_(self):
        return self.summary()._repr_html_()

    def __repr__(self):
        return str(self.summary())


def run_seeds(make_and_train: Callable[[int], dict], seeds: Iterable[int] = range(5),
              name: str | None = None, progress: bool = False) -> SeedResults:
    r"""Run ``make_and_train(seed)`` for every seed and collect its metrics.

    Parameters
    ----------
    make_and_train : callable
        ``make_and_train(seed) -> dict`` builds the model, trains it and
        returns its final metrics as numbers, e.g.
        ``{"val_loss": 0.12, "test_accuracy": 0.97}``. It should seed
        *everything* random from ``seed`` (``nnlearn.manual_seed(seed)``
        before building the model, and ``fit(..., seed=seed)``) and keep
        everything else fixed, the data split included.
    seeds : iterable of int
        At least two, to measure a spread; five is a common minimum.
    name : str, optional
        A name for the configuration.
    progress : bool
        Print one line per seed.

    Returns
    -------
    SeedResults
    """
    if not callable(make_and_train):
        raise TypeError(f"run_seeds: make_and_train must be a function seed -> dict, got {make_and_train!r}")
    seeds = list(seeds)
    if not seeds:
        raise ValueError("run_seeds: no seeds given")
    for s in seeds:
        if isinstance(s, bool) or not isinstance(s, numbers.Integral):
            raise TypeError(f"run_seeds: seeds must be integers, got {s!r}")
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"run_seeds: seeds must be distinct, got {seeds}")
    values: dict[str, list[float]] = {}
    for i, s in enumerate(seeds):
        out = make_and_train(int(s))
        if not isinstance(out, dict) or not out:
            raise TypeError(
                f"run_seeds: make_and_train({s}) returned {type(out).__name__}; it must return a "
                "dict of metric name -> number, e.g. {'test_accuracy': 0.97}"
            )
        if i == 0:
            values = {k: [] for k in out}
        elif set(out) != set(values):
            raise ValueError(
                f"run_seeds: seed {s} returned metrics {sorted(out)} but seed {seeds[0]} returned "
                f"{sorted(values)}; every run must return the same metrics"
            )
        for k, v in out.items():
            try:
                values[k].append(float(v))
            except (TypeError, ValueError):
                raise TypeError(f"run_seeds: metric {k!r} of seed {s} is not a number: {v!r}") from None
        if progress:
            print(f"seed {s}: " + ", ".join(f"{k}={format_number(v)}" for k, v in out.items()))
    return SeedResults(seeds, values, name=name)


class Comparison:
    r"""Two configurations compared on one metric (see :func:`compare`).

    Attributes
    ----------
    metric : str
    names : (str, str)
    means, stds : (float, float)
        :math:`\bar x` and the sample :math:`\sigma` of each configuration.
    bands : ((float, float), (float, float))
        :math:`\bar x \pm 2\sigma` of each.
    difference : float
        :math:`\bar x_B - \bar x_A`.
    overlap : bool
        Whether the two bands overlap.
    significant : bool
        ``not overlap``: the difference exceeds the seed-to-seed variation.
    better : str or None
        The name of the better configuration when ``significant``.
    p_value : float or None
        Welch's two-sided :math:`t`-test of equal means (SciPy), else ``None``.
    verdict : str
        One plain-English sentence.
    """

    def __init__(self, a: SeedResults, b: SeedResults, metric: str, names, higher_is_better):
        self.metric = metric
        self.names = tuple(names)
        va, vb = a[metric], b[metric]
        if va.size < 2 or vb.size < 2:
            raise ValueError(
                f"compare: each configuration needs at least 2 seeds to measure the spread; got "
                f"{va.size} and {vb.size}"
            )
        self.n = (int(va.size), int(vb.size))
        self.means = (float(np.mean(va)), float(np.mean(vb)))
        self.stds = (_sample_std(va), _sample_std(vb))
        self.bands = tuple((m - 2 * s, m + 2 * s) for m, s in zip(self.means, self.stds))
        self.difference = self.means[1] - self.means[0]
        (lo_a, hi_a), (lo_b, hi_b) = self.bands
        self.overlap = bool(lo_a <= hi_b and lo_b <= hi_a)
        self.significant = not self.overlap
        if higher_is_better is None:
            higher_is_better = not any(w in metric.lower() for w in ("loss", "error", "mse", "mae"))
        self.higher_is_better = bool(higher_is_better)
        self.better = None
        if self.significant and self.difference != 0:
            b_wins = (self.difference > 0) == self.higher_is_better
            self.better = self.names[1] if b_wins else self.names[0]
        self.p_value = _welch(va, vb)
        self.verdict = self._verdict()

    def _verdict(self) -> str:
        A, B = self.names
        f = format_number
        d = abs(self.difference)
        spread = max(2 * self.stds[0], 2 * self.stds[1])
        seeds = f"{self.n[0]} seeds" if self.n[0] == self.n[1] else f"{self.n[0]} and {self.n[1]} seeds"
        if self.difference == 0:
            return f"{A} and {B} have the same mean {self.metric} ({f(self.means[0])}) over {seeds}."
        higher = B if self.difference > 0 else A
        lower = A if higher == B else B
        if self.significant:
            return (
                f"{self.better} is better: its mean {self.metric} is {'higher' if higher == self.better else 'lower'} "
                f"by {f(d)} ({f(self.means[0])} for {A}, {f(self.means[1])} for {B}), and the "
                f"mean ± 2σ bands do not overlap over {seeds}, so the difference is larger than "
                f"the seed-to-seed variation."
            )
        if d < spread:
            return (
                f"Not distinguishable with {seeds}: the difference of the mean {self.metric} "
                f"({f(d)}, {higher} higher than {lower}) is smaller than the seed-to-seed spread "
                f"(±{f(spread)}), and the mean ± 2σ bands overlap."
            )
        welch = "" if self.p_value is None else f"Welch's t-test on the means gives p = {f(self.p_value, 3)}; "
        return (
            f"Not clearly distinguishable with {seeds}: {higher}'s mean {self.metric} is higher by "
            f"{f(d)}, more than either spread alone (±{f(2 * self.stds[0])}, "
            f"±{f(2 * self.stds[1])}), but the mean ± 2σ bands still overlap, so single runs of "
            f"{A} and {B} can score alike. ({welch}more seeds would estimate the means more "
            "precisely.)"
        )

    def table(self, digits: int = 4) -> Table:
        rows = []
        for i in range(2):
            lo, hi = self.bands[i]
            rows.append([self.names[i], self.n[i], self.means[i], self.stds[i],
                         f"{format_number(self.means[i], digits)} ± {format_number(2 * self.stds[i], digits)}",
                         f"[{format_number(lo, digits)}, {format_number(hi, digits)}]"])
        title = f"{self.metric}: difference {format_number(self.difference, digits)} " \
                f"({self.names[1]} − {self.names[0]}); bands {'overlap' if self.overlap else 'do not overlap'}"
        if self.p_value is not None:
            title += f"; Welch t-test p = {format_number(self.p_value, 3)}"
        return Table(["configuration", "seeds", "mean", "σ (ddof=1)", "mean ± 2σ", "band"], rows,
                     title=title, digits=digits)

    def _repr_html_(self):
        return self.table()._repr_html_() + f"<p>{self.verdict}</p>"

    def __repr__(self):
        return f"{self.table()}\n{self.verdict}"


def _welch(a, b):
    try:
        from scipy import stats
    except ImportError:  # optional
        return None
    if np.std(a) == 0 and np.std(b) == 0:
        return None
    return float(stats.ttest_ind(a, b, equal_var=False).pvalue)


def compare(results_a: SeedResults, results_b: SeedResults, metric: str, names=None,
            higher_is_better: bool | None = None) -> Comparison:
    r"""Is configuration B different from A on ``metric``, beyond the seed-to-seed variation?

    The verdict is "different" only when the bands :math:`\bar x_A \pm 2\sigma_A`
    and :math:`\bar x_B \pm 2\sigma_B` do not overlap (sample standard deviations,
    ``ddof=1``). That is the slides' rule of thumb, and a conservative one;
    Welch's :math:`t`-test p-value is reported beside it when SciPy is
    available.

    Parameters
    ----------
    results_a, results_b : SeedResults
    metric : str
    names : (str, str), optional
        Default: the results' names, or "A" and "B".
    higher_is_better : bool, optional
        Default: ``False`` for metrics whose name contains "loss", "error",
        "mse" or "mae", else ``True``.

    Returns
    -------
    Comparison
        With ``difference``, ``bands``, ``overlap``, ``significant``,
        ``better``, ``p_value`` and a ``verdict`` sentence; renders as a table.
    """
    for r in (results_a, results_b):
        if not isinstance(r, SeedResults):
            raise TypeError(f"compare expects SeedResults (from run_seeds), got {type(r).__name__}")
    if names is None:
        names = (results_a.name or "A", results_b.name or "B")
    if len(names) != 2:
        raise ValueError(f"compare: names must be a pair, got {names!r}")
    return Comparison(results_a, results_b, metric, names, higher_is_better)
