r"""A classification problem with real headroom over a linear model: Hastie et al.'s 10.2.

The scikit-learn digits are almost linearly separable (softmax regression
already reaches about 96%), so on them the recipe has little to find. This
problem, from *The Elements of Statistical Learning* (eq. 10.2), is the
opposite: ten standard normal features, and the class says whether the point
lies outside the sphere that holds half of the probability,

.. math::

    \mathbf x \sim \mathcal N(\mathbf 0, I_{10}), \qquad
    y = \mathbb 1\Big[\sum_{j=1}^{10} x_j^2 > \chi^2_{10}(0.5)\Big],
    \qquad \chi^2_{10}(0.5) = 9.34 ,

the median of the :math:`\chi^2` distribution with 10 degrees of freedom, so the
two classes are equally likely. The boundary is a sphere, and a hyperplane
does little better than chance: the best one, :math:`x_1 > c` with
:math:`c \approx 1.0`, is right 54.6% of the time. Logistic regression does
not even find that one: :math:`\mathbf x \to -\mathbf x` leaves the classes'
distribution unchanged and the log loss is convex, so its minimum has
:math:`\mathbf w = \mathbf 0`: probability 1/2 everywhere, a loss of
:math:`\ln 2`. A small MLP,
which can build :math:`x_j^2` from ReLUs, learns the sphere. The labels carry no noise (the best possible accuracy
is 100%), and every feature matters equally. The same rule as scikit-learn's
``make_hastie_10_2`` (which codes the classes :math:`\pm 1` and uses 9.34),
with the classes coded 0 and 1 for ``cross_entropy``.
"""

from __future__ import annotations

import numpy as np

from ._checks import generator, positive_int

__all__ = ["hastie_10_2", "HASTIE_THRESHOLD"]

#: :math:`\chi^2_{10}(0.5)`, the median of a chi-squared variable with 10 degrees
#: of freedom, to the two decimals the book and scikit-learn use.
HASTIE_THRESHOLD = 9.34


def hastie_10_2(n=2000, seed=0, n_features=10):
    r"""Points inside or outside the median sphere of a standard normal (ESL eq. 10.2).

    Parameters
    ----------
    n : int
        Number of points.
    seed : int or None
        As for every generator in :mod:`nnlearn.data`.
    n_features : int
        10 in the book's version; with another number the threshold becomes
        that chi-squared distribution's median (``scipy.stats.chi2.median``),
        so the classes stay balanced.

    Returns
    -------
    X : ndarray of shape ``(n, n_features)``, float64
    y : ndarray of shape ``(n,)``, int64
        1 outside the sphere, 0 inside.
    """
    n = positive_int(n, "n", "hastie_10_2")
    d = positive_int(n_features, "n_features", "hastie_10_2")
    rng = generator(seed, "hastie_10_2")
    X = rng.standard_normal((n, d))
    if d == 10:
        threshold = HASTIE_THRESHOLD
    else:
        from scipy.stats import chi2

        threshold = float(chi2.median(d))
    y = (np.sum(X**2, axis=1) > threshold).astype(np.int64)
    return X, y
