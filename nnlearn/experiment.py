r"""Experiments that control for the randomness of training.

Two training runs that differ only in their random seed (initial weights,
minibatch order, dropout masks) end with different scores. Before calling one
setting better than another:

1. change one *scientific* hyperparameter between the two settings; keep the
   data split, the preprocessing and the fixed hyperparameters the same, and
   re-tune the nuisance hyperparameters (the learning rate, say) for each
   setting;
2. train each setting with several seeds (:func:`run_seeds`, which runs the
   seeds in parallel worker processes through joblib);
3. report two different quantities (:func:`compare`):

   - **where single runs fall**: the mean :math:`\pm 2\sigma` over the seeds,
     with :math:`\sigma` the *sample* standard deviation

     .. math::

         \bar x = \frac1n\sum_{i=1}^n x_i, \qquad
         \sigma = \sqrt{\frac{1}{n-1}\sum_{i=1}^n (x_i - \bar x)^2} ;

     this band does not shrink as seeds are added: it describes the runs;
   - **how well the difference of the means is known**: its standard error

     .. math::

         \mathrm{SE}(\bar x_B - \bar x_A) = \sqrt{\frac{\sigma_A^2}{n_A} + \frac{\sigma_B^2}{n_B}}

     (independent runs, Welch's :math:`t`-test), or :math:`\sigma_d/\sqrt n` of the
     per-seed differences :math:`d_i = x_{B,i} - x_{A,i}` when the two settings
     share their seeds (paired :math:`t`-test); it shrinks like
     :math:`1/\sqrt n`. The 95% confidence interval of the difference is
     :math:`(\bar x_B - \bar x_A) \pm t_{0.975,\nu}\,\mathrm{SE}`, and a
     bootstrap interval is reported beside it;

4. call the difference real when that confidence interval excludes 0; when it
   does not, the comparison is *too close to call* with these seeds, and more
   seeds (which shrink the SE) can settle it.

The older rule "the two mean :math:`\pm 2\sigma` bands must not overlap" is kept
only as a very conservative screen (``Comparison.bands_separate``): with equal
spreads and :math:`n` seeds each it needs a difference of :math:`4\sigma`, a
Welch :math:`t` of :math:`4\sigma/(\sigma\sqrt{2/n}) = 2\sqrt{2n}`, and it gets
*stricter* as seeds are added.

A run that diverged (a NaN or infinite metric) is counted and reported. It is
never averaged in, and a configuration with diverged runs is never called the
better one (:class:`NonFiniteWarning` from :func:`run_seeds`).
"""

from __future__ import annotations

import math
import numbers
import os
import warnings
from typing import Callable, Iterable

import numpy as np

from ._display import Table, format_number

__all__ = ["SeedResults", "Comparison", "NonFiniteWarning", "run_seeds", "compare",
           "parallel_map", "welch", "paired", "bootstrap_difference", "binomial_se",
           "sign_test"]


class NonFiniteWarning(UserWarning):
    """A run returned a NaN or infinite metric (it diverged)."""


def _sample_std(v: np.ndarray) -> float:
    return float(np.std(v, ddof=1)) if v.size >= 2 else math.nan


# --------------------------------------------------------------------------
# The statistics, each a short function (tests compare them with scipy.stats)
# --------------------------------------------------------------------------

def _t_quantile(q: float, df: float) -> float:
    from scipy import stats

    return float(stats.t.ppf(q, df))


def _t_pvalue(t: float, df: float) -> float:
    from scipy import stats

    return float(2 * stats.t.sf(abs(t), df))


def welch(a, b, level: float = 0.95) -> dict:
    r"""Welch's two-sample :math:`t`-test for the difference :math:`\bar b - \bar a`.

    .. math::

        \mathrm{SE} = \sqrt{\frac{s_a^2}{n_a} + \frac{s_b^2}{n_b}}, \qquad
        t = \frac{\bar b - \bar a}{\mathrm{SE}}, \qquad
        \nu = \frac{\mathrm{SE}^4}{\frac{(s_a^2/n_a)^2}{n_a - 1} + \frac{(s_b^2/n_b)^2}{n_b - 1}}

    (Welch–Satterthwaite degrees of freedom; :math:`s` with ``ddof=1``).

    Returns
    -------
    dict
        ``difference``, ``se``, ``t``, ``df``, ``p`` (two-sided) and ``ci``, the
        ``level`` confidence interval :math:`(\bar b - \bar a) \pm t_{(1+\text{level})/2,\nu}\,\mathrm{SE}`.
    """
    a, b = np.asarray(a, float), np.asarray(b, float)
    if a.size < 2 or b.size < 2:
        raise ValueError(f"welch: each sample needs at least 2 values, got {a.size} and {b.size}")
    va, vb = np.var(a, ddof=1) / a.size, np.var(b, ddof=1) / b.size
    d = float(b.mean() - a.mean())
    se = math.sqrt(va + vb)
    if se == 0:
        return {"difference": d, "se": 0.0, "t": math.inf if d else math.nan, "df": math.nan,
                "p": 0.0 if d else 1.0, "ci": (d, d)}
    df = (va + vb) ** 2 / (va**2 / (a.size - 1) + vb**2 / (b.size - 1))
    t = d / se
    h = _t_quantile((1 + level) / 2, df) * se
    return {"difference": d, "se": se, "t": t, "df": float(df), "p": _t_pvalue(t, df),
            "ci": (d - h, d + h)}


def paired(a, b, level: float = 0.95) -> dict:
    r"""The paired :math:`t`-test of :math:`d_i = b_i - a_i` (the same seeds on both sides).

    .. math::

        \bar d = \frac1n \sum_i d_i, \qquad \mathrm{SE} = \frac{s_d}{\sqrt n}, \qquad
        t = \frac{\bar d}{\mathrm{SE}}, \qquad \nu = n - 1 .

    Pairing removes what the two runs of one seed share (the minibatch order,
    the data split) from the comparison.

    Returns
    -------
    dict
        As :func:`welch`.
    """
    a, b = np.asarray(a, float), np.asarray(b, float)
    if a.shape != b.shape or a.size < 2:
        raise ValueError(f"paired: two samples of the same length >= 2 needed, got {a.size} and {b.size}")
    d = b - a
    mean = float(d.mean())
    se = float(np.std(d, ddof=1) / math.sqrt(d.size))
    df = d.size - 1
    if se == 0:
        return {"difference": mean, "se": 0.0, "t": math.inf if mean else math.nan, "df": float(df),
                "p": 0.0 if mean else 1.0, "ci": (mean, mean)}
    t = mean / se
    h = _t_quantile((1 + level) / 2, df) * se
    return {"difference": mean, "se": se, "t": t, "df": float(df), "p": _t_pvalue(t, df),
            "ci": (mean - h, mean + h)}


def bootstrap_difference(a, b, level: float = 0.95, paired: bool = False, resamples: int = 10_000,
                         seed: int = 0) -> tuple[float, float]:
    r"""A percentile bootstrap interval for :math:`\bar b - \bar a`.

    Draw ``resamples`` times: ``a`` and ``b`` resampled with replacement, each
    on its own (or the pairs :math:`(a_i, b_i)` together when ``paired``);
    the interval holds the middle ``level`` of the resampled differences of
    the means. With five seeds it is narrower than the :math:`t` interval (it
    does not know that :math:`\sigma` itself is uncertain), so it is reported
    beside the :math:`t`-test, not instead of it. Seeded: the same numbers
    give the same interval.
    """
    a, b = np.asarray(a, float), np.asarray(b, float)
    if not isinstance(resamples, int) or isinstance(resamples, bool) or resamples < 1:
        raise ValueError(f"bootstrap_difference: resamples must be a positive int, got {resamples!r}")
    if a.size == 0 or b.size == 0:
        raise ValueError("bootstrap_difference: both samples need at least one value")
    rng = np.random.default_rng(seed)
    if paired:
        if a.shape != b.shape:
            raise ValueError("bootstrap_difference: paired samples must have the same length")
        d = b - a
        idx = rng.integers(0, d.size, size=(resamples, d.size))
        diffs = d[idx].mean(axis=1)
    else:
        ia = rng.integers(0, a.size, size=(resamples, a.size))
        ib = rng.integers(0, b.size, size=(resamples, b.size))
        diffs = b[ib].mean(axis=1) - a[ia].mean(axis=1)
    lo, hi = np.quantile(diffs, [(1 - level) / 2, (1 + level) / 2])
    return float(lo), float(hi)


def binomial_se(accuracy: float, n: int) -> float:
    r"""The standard error of an accuracy measured on :math:`n` independent samples.

    Each sample is right with probability :math:`p`, so the count of right
    answers is binomial and the measured accuracy has

    .. math::

        \mathrm{SE}(\hat p) = \sqrt{\frac{p(1-p)}{n}} ,

    estimated with :math:`p = \hat p`. It is the uncertainty that comes from
    *which* samples happen to be in the validation set, on top of the
    seed-to-seed spread.
    """
    p = float(accuracy)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"binomial_se: accuracy must lie in [0, 1], got {accuracy!r}")
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
        raise ValueError(f"binomial_se: n must be a positive integer, got {n!r}")
    return math.sqrt(p * (1 - p) / int(n))


def sign_test(differences) -> float:
    r"""Two-sided sign test: how surprising are this many same-sign differences?

    Under "no effect" each nonzero difference is positive or negative with
    probability 1/2, so the number :math:`k` of positive ones among :math:`m` is
    Binomial(:math:`m`, 1/2). The p-value is
    :math:`\min\big(1, 2\,P(K \ge \max(k, m-k))\big)`; for 16 of 16 it is
    :math:`2 \cdot 2^{-16} \approx 3.1\cdot 10^{-5}`. Zeros are dropped.
    """
    try:
        d = np.asarray(differences, dtype=float).ravel()
    except (TypeError, ValueError):
        raise TypeError(f"sign_test: differences must be numbers (a list or an array of paired "
                        f"differences), got {type(differences).__name__} {str(differences)[:60]!r}") from None
    if np.isnan(d).any():
        raise ValueError("sign_test: a difference is nan (a diverged run?); drop or report those pairs "
                         "first, a nan has no sign")
    d = d[d != 0]
    m = d.size
    if m == 0:
        return 1.0
    k = int(max(np.sum(d > 0), np.sum(d < 0)))
    tail = sum(math.comb(m, j) for j in range(k, m + 1)) / 2**m
    return min(1.0, 2 * tail)


# --------------------------------------------------------------------------
# Running seeds (and search trials) in parallel
# --------------------------------------------------------------------------

def _pinned_call(fn, arg, backend_name: str, dtype: str):
    """Call ``fn(arg)`` with BLAS on one thread, on the caller's backend.

    The same wrapper runs in the calling process (``n_jobs=1``), in joblib's
    worker processes and on Dask workers, so that a seed gives the same numbers
    whatever runs it.
    """
    from threadpoolctl import threadpool_limits

    from . import backend

    torch_threads = None
    if backend_name != "numpy":
        import torch

        torch_threads = torch.get_num_threads()
        torch.set_num_threads(1)
    try:
        if backend.get_default_dtype() != dtype:
            backend.set_default_dtype(dtype)
        with threadpool_limits(limits=1), backend.use(backend_name):
            return fn(arg)
    finally:
        if torch_threads is not None:
            import torch

            torch.set_num_threads(torch_threads)


def _tagged(fn, arg, key, backend_name, dtype):
    return key, _pinned_call(fn, arg, backend_name, dtype)


def parallel_map(fn: Callable, args: list, n_jobs: int | None = -1, on_result=None):
    r"""``[fn(a) for a in args]``, run through joblib; finished results survive an interruption.

    Each call runs with BLAS pinned to one thread and on the caller's nnlearn
    backend, so the results are the same, call for call,
    in this process (``n_jobs=1``), in joblib's worker processes (the default,
    ``n_jobs=-1``: one per core) or on a Dask cluster (run inside
    ``joblib.parallel_config(backend="dask")`` with a ``dask.distributed.Client``).

    Parameters
    ----------
    fn : callable
        Must be picklable for worker processes; functions and closures defined
        in a notebook are (joblib uses cloudpickle).
    args : list
    n_jobs : int, default -1
        As in joblib: ``1`` runs here, one after the other; ``-1`` uses every core.
    on_result : callable, optional
        ``on_result(i, result)`` as each call finishes (in any order).

    Returns
    -------
    list
        The results in the order of ``args``.

    Raises
    ------
    BaseException
        Whatever ``fn`` or the user raises, ``KeyboardInterrupt`` included. The
        exception carries ``partial``, a dict from index to result of the calls
        that had finished.
    """
    from . import backend

    name, dtype = backend.current().name, backend.get_default_dtype()
    done: dict = {}
    try:
        if n_jobs == 1:
            for i, a in enumerate(args):
                done[i] = _pinned_call(fn, a, name, dtype)
                if on_result is not None:
                    on_result(i, done[i])
        else:
            from joblib import Parallel, delayed

            jobs = (delayed(_tagged)(fn, a, i, name, dtype) for i, a in enumerate(args))
            for i, result in Parallel(n_jobs=n_jobs, return_as="generator_unordered")(jobs):
                done[i] = result
                if on_result is not None:
                    on_result(i, result)
    except BaseException as e:
        try:
            e.partial = dict(done)
        except AttributeError:  # an exception type that takes no attributes
            pass
        raise
    return [done[i] for i in range(len(args))]


# --------------------------------------------------------------------------
# The results of one configuration
# --------------------------------------------------------------------------

class SeedResults:
    r"""The metrics of one configuration, trained once per seed.

    Parameters
    ----------
    seeds : sequence of int
    values : dict of str to sequence of float
        One value per seed for each metric (NaN or inf for a run that diverged).
    name : str, optional
        The configuration's name (used by :func:`compare` and the tables).
    outputs : list, optional
        Whatever else each run returned (a trained model, say), one per seed.

    Attributes
    ----------
    seeds : list of int
    values : dict of str to ndarray
    outputs : list or None
    """

    def __init__(self, seeds, values: dict, name: str | None = None, outputs: list | None = None):
        self.seeds = list(seeds)
        self.values = {k: np.asarray(v, dtype=np.float64) for k, v in values.items()}
        for k, v in self.values.items():
            if v.shape != (len(self.seeds),):
                raise ValueError(
                    f"SeedResults: metric {k!r} has {v.size} values for {len(self.seeds)} seeds"
                )
        if outputs is not None and len(outputs) != len(self.seeds):
            raise ValueError(f"SeedResults: {len(outputs)} outputs for {len(self.seeds)} seeds")
        self.name = name
        self.outputs = outputs

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

    def diverged(self, metric: str) -> list[int]:
        """The seeds whose ``metric`` is NaN or infinite."""
        v = self._get(metric)
        return [s for s, x in zip(self.seeds, v) if not math.isfinite(x)]

    def finite(self, metric: str) -> np.ndarray:
        """The values of ``metric`` of the runs that did not diverge."""
        v = self._get(metric)
        return v[np.isfinite(v)]

    def mean(self, metric: str) -> float:
        """:math:`\\bar x` over the seeds (NaN if any run diverged: see :meth:`finite`)."""
        return float(np.mean(self._get(metric)))

    def std(self, metric: str) -> float:
        """The sample standard deviation :math:`\\sigma` (``ddof=1``; NaN for one seed)."""
        return _sample_std(self._get(metric))

    def se(self, metric: str) -> float:
        """The standard error of the mean, :math:`\\sigma/\\sqrt n`."""
        return self.std(metric) / math.sqrt(len(self))

    def band(self, metric: str, k: float = 2.0) -> tuple[float, float]:
        """:math:`(\\bar x - k\\sigma, \\bar x + k\\sigma)`: where single runs fall."""
        m, s = self.mean(metric), self.std(metric)
        return (m - k * s, m + k * s)

    def summary(self, digits: int = 4) -> Table:
        """One row per metric: mean, σ, mean ± 2σ (runs), mean ± 2SE (the mean), seeds, diverged."""
        rows = []
        for k in self.values:
            v = self.finite(k)
            m = float(v.mean()) if v.size else math.nan
            s = _sample_std(v)
            se = s / math.sqrt(v.size) if v.size else math.nan
            rows.append([k, m, s, f"{format_number(m, digits)} ± {format_number(2 * s, digits)}",
                         f"{format_number(m, digits)} ± {format_number(2 * se, digits)}",
                         float(v.min()) if v.size else math.nan,
                         float(v.max()) if v.size else math.nan, len(self), len(self.diverged(k))])
        title = f"{self.name}: " if self.name else ""
        title += (f"{len(self.seeds)} seeds; mean ± 2σ is where single runs fall, "
                  "mean ± 2SE how well the mean is known (σ with ddof=1)")
        return Table(["metric", "mean", "σ", "mean ± 2σ", "mean ± 2SE", "min", "max", "seeds",
                      "diverged"], rows, title=title, digits=digits)

    def table(self, digits: int = 4) -> Table:
        """One row per seed, one column per metric."""
        rows = [[s, *[self.values[k][i] for k in self.values]] for i, s in enumerate(self.seeds)]
        return Table(["seed", *self.values], rows, title=self.name, digits=digits)

    def _repr_html_(self):
        return self.summary()._repr_html_()

    def __repr__(self):
        return str(self.summary())


def _metrics_of(out, s):
    """Split one run's return value into (metrics dict, output or None)."""
    extra = None
    if isinstance(out, tuple) and len(out) == 2 and isinstance(out[0], dict):
        out, extra = out
    if not isinstance(out, dict) or not out:
        raise TypeError(
            f"run_seeds: make_and_train({s}) returned {type(out).__name__}; it must return a "
            "dict of metric name -> number, e.g. {'test_accuracy': 0.97} (or a pair "
            "(metrics, anything else to keep, such as the trained model))"
        )
    metrics = {}
    for k, v in out.items():
        if isinstance(v, (str, bytes)):  # float("0.5") would pass a string through
            raise TypeError(f"run_seeds: metric {k!r} of seed {s} is the string {v!r}, not a number")
        try:
            metrics[k] = float(v)
        except (TypeError, ValueError):
            raise TypeError(f"run_seeds: metric {k!r} of seed {s} is not a number: {v!r}") from None
    return metrics, extra


def run_seeds(make_and_train: Callable[[int], dict], seeds: Iterable[int] = range(5),
              name: str | None = None, progress: bool = False, n_jobs: int | None = -1) -> SeedResults:
    r"""Run ``make_and_train(seed)`` for every seed and collect its metrics.

    The seeds run in parallel through joblib: in worker processes, one per
    core, by default, with BLAS pinned to one thread in each. ``n_jobs=1``
    runs them here, one after the other. Inside
    ``joblib.parallel_config(backend="dask")`` with a ``dask.distributed.Client``
    they run on a Dask cluster instead. Each seed gives the same numbers
    whichever runs it.

    Parameters
    ----------
    make_and_train : callable
        ``make_and_train(seed) -> dict`` builds the model, trains it and
        returns its final metrics as numbers, e.g.
        ``{"val_loss": 0.12, "test_accuracy": 0.97}``. It should seed
        *everything* random from ``seed`` (``nnlearn.manual_seed(seed)``
        before building the model, and ``fit(..., seed=seed)``) and keep
        everything else fixed, the data split included. It may return a pair
        ``(metrics, output)`` to keep something else, such as the trained
        model (``SeedResults.outputs``). In worker processes, changes it makes
        to variables of the notebook are lost: return what you need.
    seeds : iterable of int
        At least two, to measure a spread; five is a common minimum.
    name : str, optional
        A name for the configuration.
    progress : bool
        Print one line per seed as it finishes.
    n_jobs : int, default -1
        Worker processes (joblib's meaning: ``-1`` one per core, ``1`` none).

    Returns
    -------
    SeedResults

    Raises
    ------
    BaseException
        Whatever ``make_and_train`` raises, or ``KeyboardInterrupt``. The
        exception carries ``results``, the :class:`SeedResults` of the seeds
        that had finished (``None`` if none had).

    Warns
    -----
    NonFiniteWarning
        When a run returns a NaN or infinite metric (it diverged).
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
    seeds = [int(s) for s in seeds]

    def report(i, out):
        if progress:
            m, _ = _metrics_of(out, seeds[i])
            print(f"seed {seeds[i]}: " + ", ".join(f"{k}={format_number(v)}" for k, v in m.items()))

    try:
        outs = parallel_map(make_and_train, seeds, n_jobs=n_jobs, on_result=report)
    except BaseException as e:
        partial = getattr(e, "partial", {})
        try:
            e.results = _collect([seeds[i] for i in sorted(partial)],
                                 [partial[i] for i in sorted(partial)], name) if partial else None
        except Exception:  # the finished runs themselves were malformed
            e.results = None
        raise
    return _collect(seeds, outs, name)


def _collect(seeds, outs, name) -> SeedResults:
    values: dict[str, list[float]] = {}
    extras = []
    for i, (s, out) in enumerate(zip(seeds, outs)):
        metrics, extra = _metrics_of(out, s)
        if i == 0:
            values = {k: [] for k in metrics}
        elif set(metrics) != set(values):
            raise ValueError(
                f"run_seeds: seed {s} returned metrics {sorted(metrics)} but seed {seeds[0]} returned "
                f"{sorted(values)}; every run must return the same metrics"
            )
        for k, v in metrics.items():
            values[k].append(v)
        extras.append(extra)
        bad = [k for k, v in metrics.items() if not math.isfinite(v)]
        if bad:
            warnings.warn(f"run_seeds: seed {s} returned a non-finite {', '.join(bad)} "
                          f"({', '.join(str(metrics[k]) for k in bad)}): the run diverged. It is "
                          "counted as diverged and left out of the means, never averaged in.",
                          NonFiniteWarning, stacklevel=3)
    outputs = extras if any(x is not None for x in extras) else None
    return SeedResults(seeds, values, name=name, outputs=outputs)


# --------------------------------------------------------------------------
# Comparing two configurations
# --------------------------------------------------------------------------

class Comparison:
    r"""Two configurations compared on one metric (see :func:`compare`).

    Attributes
    ----------
    metric : str
    names : (str, str)
    n : (int, int)
        Seeds per configuration (finite runs).
    diverged : (int, int)
        Runs of each configuration with a NaN or infinite metric.
    means, stds : (float, float)
        :math:`\bar x` and the sample :math:`\sigma` of each (finite runs).
    bands : ((float, float), (float, float))
        :math:`\bar x \pm 2\sigma` of each: where single runs fall.
    difference : float
        :math:`\bar x_B - \bar x_A`.
    test : str
        ``"paired"`` or ``"welch"``: the test the verdict rests on.
    se, df, t, p_value : float
        Of that test.
    ci : (float, float)
        The ``level`` confidence interval of the difference.
    bootstrap_ci : (float, float)
        A percentile bootstrap interval of the difference (paired like the test).
    significant : bool
        The confidence interval excludes 0 (and no run diverged).
    better : str or None
        The name of the better configuration when ``significant``.
    bands_separate : bool
        The conservative screen: the mean :math:`\pm 2\sigma` bands do not
        overlap (implies ``significant`` in all but tiny samples).
    overlap : bool
        ``not bands_separate``.
    conclusion : str
        Short: ``"<name> is better"``, ``"too close to call"`` or
        ``"no verdict: runs diverged"``.
    verdict : str
        One plain-English paragraph.
    """

    def __init__(self, a: SeedResults, b: SeedResults, metric: str, names, higher_is_better,
                 paired_seeds, level):
        self.metric = metric
        self.names = tuple(names)
        self.level = float(level)
        va_all, vb_all = a[metric], b[metric]
        self.diverged = (int(np.sum(~np.isfinite(va_all))), int(np.sum(~np.isfinite(vb_all))))
        if paired_seeds is None:
            paired_seeds = a.seeds == b.seeds
        if paired_seeds and a.seeds != b.seeds:
            raise ValueError("compare: paired=True needs the same seeds, in the same order, on both sides; "
                             f"got {a.seeds} and {b.seeds}")
        if paired_seeds:
            keep = np.isfinite(va_all) & np.isfinite(vb_all)
            va, vb = va_all[keep], vb_all[keep]
        else:
            va, vb = va_all[np.isfinite(va_all)], vb_all[np.isfinite(vb_all)]
        if va.size < 2 or vb.size < 2:
            raise ValueError(
                f"compare: each configuration needs at least 2 finite runs to measure the spread; got "
                f"{va.size} and {vb.size}"
                + (f" ({self.diverged[0]} and {self.diverged[1]} diverged)" if any(self.diverged) else "")
            )
        self.n = (int(va.size), int(vb.size))
        self.means = (float(np.mean(va)), float(np.mean(vb)))
        self.stds = (_sample_std(va), _sample_std(vb))
        self.bands = tuple((m - 2 * s, m + 2 * s) for m, s in zip(self.means, self.stds))
        self.difference = self.means[1] - self.means[0]
        (lo_a, hi_a), (lo_b, hi_b) = self.bands
        self.overlap = bool(lo_a <= hi_b and lo_b <= hi_a)
        self.bands_separate = not self.overlap
        self.test = "paired" if paired_seeds else "welch"
        stats_ = paired(va, vb, level) if paired_seeds else welch(va, vb, level)
        self.welch = welch(va, vb, level)
        self.se, self.df, self.t, self.p_value = stats_["se"], stats_["df"], stats_["t"], stats_["p"]
        self.ci = stats_["ci"]
        self.bootstrap_ci = bootstrap_difference(va, vb, level, paired=bool(paired_seeds))
        if higher_is_better is None:
            higher_is_better = not any(w in metric.lower() for w in ("loss", "error", "mse", "mae"))
        self.higher_is_better = bool(higher_is_better)
        excludes_zero = self.ci[0] > 0 or self.ci[1] < 0
        self.significant = bool(excludes_zero and not any(self.diverged))
        self.better = None
        if self.significant:
            b_wins = (self.difference > 0) == self.higher_is_better
            self.better = self.names[1] if b_wins else self.names[0]
        if any(self.diverged):
            self.conclusion = "no verdict: runs diverged"
        elif self.better:
            self.conclusion = f"{self.better} is better"
        else:
            self.conclusion = "too close to call"
        self.verdict = self._verdict()

    def _verdict(self) -> str:
        A, B = self.names
        f = format_number
        pct = f"{100 * self.level:g}%"
        n = f"{self.n[0]} seeds" if self.n[0] == self.n[1] else f"{self.n[0]} and {self.n[1]} seeds"
        test = "paired t-test over the shared seeds" if self.test == "paired" else "Welch's t-test"
        ci = f"[{f(self.ci[0])}, {f(self.ci[1])}]"
        diff = (f"the difference of the mean {self.metric} ({B} − {A}) is {f(self.difference)}, "
                f"{pct} confidence interval {ci} ({test}, p = {f(self.p_value, 2)})")
        if any(self.diverged):
            parts = [f"{nm} diverged in {k} of {k + m} runs" for nm, k, m in
                     zip(self.names, self.diverged, self.n) if k]
            return (f"No verdict: {' and '.join(parts)} (NaN or infinite {self.metric}). A set-up "
                    "that diverges is not judged on its finite runs alone; find out why first. "
                    f"Over the finite runs, {diff}.")
        if self.significant:
            how = "higher" if self.difference > 0 else "lower"
            screen = ("; even the conservative screen agrees: the mean ± 2σ bands of single "
                      "runs do not overlap" if self.bands_separate else
                      "; single runs still overlap (the mean ± 2σ bands touch), so one run of "
                      f"{self.better} can score worse than one of the other")
            return (f"{self.better} is better with {n}: {B}'s mean {self.metric} is {how} than "
                    f"{A}'s, and {diff}, which excludes 0{screen}.")
        return (f"Too close to call with {n}: {diff}, which contains 0. More seeds would shrink "
                f"the interval (its width falls like 1/√n).")

    def table(self, digits: int = 4) -> Table:
        rows = []
        for i in range(2):
            lo, hi = self.bands[i]
            se = self.stds[i] / math.sqrt(self.n[i])
            rows.append([self.names[i], self.n[i], self.diverged[i], self.means[i], self.stds[i],
                         f"[{format_number(lo, digits)}, {format_number(hi, digits)}]",
                         f"{format_number(self.means[i], digits)} ± {format_number(2 * se, digits)}"])
        f = lambda x: format_number(x, digits)
        title = (f"{self.metric}: difference {f(self.difference)} ({self.names[1]} − {self.names[0]}), "
                 f"{100 * self.level:g}% CI [{f(self.ci[0])}, {f(self.ci[1])}] "
                 f"({self.test} t, p = {format_number(self.p_value, 2)}), "
                 f"bootstrap [{f(self.bootstrap_ci[0])}, {f(self.bootstrap_ci[1])}]; "
                 f"bands {'overlap' if self.overlap else 'do not overlap'}")
        return Table(["configuration", "seeds", "diverged", "mean", "σ (ddof=1)",
                      "runs: mean ± 2σ", "mean ± 2SE"], rows, title=title, digits=digits)

    def _repr_html_(self):
        return self.table()._repr_html_() + f"<p>{self.verdict}</p>"

    def __repr__(self):
        return f"{self.table()}\n{self.verdict}"


def compare(results_a: SeedResults, results_b: SeedResults, metric: str, names=None,
            higher_is_better: bool | None = None, paired: bool | None = None,
            level: float = 0.95) -> Comparison:
    r"""Is configuration B different from A on ``metric``, beyond the seed-to-seed variation?

    Reports both quantities of this module's introduction: where single runs
    fall (mean :math:`\pm 2\sigma` of each) and how well the difference of the
    means is known (its standard error, the ``level`` confidence interval of
    a :math:`t`-test, and a bootstrap interval). The verdict rests on the
    second: B differs from A when the confidence interval of
    :math:`\bar x_B - \bar x_A` excludes 0. The band rule (do the
    :math:`\pm 2\sigma` bands overlap?) is reported as a conservative screen
    only. A configuration with diverged runs (NaN or inf) gets no verdict.

    Parameters
    ----------
    results_a, results_b : SeedResults
    metric : str
    names : (str, str), optional
        Default: the results' names, or "A" and "B".
    higher_is_better : bool, optional
        Default: ``False`` for metrics whose name contains "loss", "error",
        "mse" or "mae", else ``True``.
    paired : bool, optional
        Use the paired :math:`t`-test (default: when both ran the same seeds,
        since a seed then fixes what the two runs share, such as the minibatch
        order); ``False`` for Welch's test.
    level : float, default 0.95
        Of the confidence intervals.

    Returns
    -------
    Comparison
    """
    for r in (results_a, results_b):
        if not isinstance(r, SeedResults):
            raise TypeError(f"compare expects SeedResults (from run_seeds), got {type(r).__name__}")
    if names is None:
        names = (results_a.name or "A", results_b.name or "B")
    if len(names) != 2:
        raise ValueError(f"compare: names must be a pair, got {names!r}")
    if not 0 < level < 1:
        raise ValueError(f"compare: level must lie in (0, 1), got {level!r}")
    return Comparison(results_a, results_b, metric, names, higher_is_better, paired, level)
