r"""Data sets: generated ones, and scikit-learn's digits, which ships offline.

Every generator returns NumPy arrays: features ``X`` of dtype float64 and shape
``(n, d)``; targets ``t`` of shape ``(n, 1)`` and dtype float64 for regression,
class indices ``y`` of shape ``(n,)`` and dtype int64 for classification
(what ``cross_entropy`` expects; ``nnlearn.data.one_hot`` turns them into
one-hot rows). Each takes a ``seed``: the same seed gives the same data bit for
bit (``numpy.random.default_rng(seed)``); ``seed=None`` draws from nnlearn's
generator instead, which ``nnlearn.manual_seed`` reseeds. Nothing downloads.
"""

from __future__ import annotations

import numpy as np

from ._checks import finite_numbers, generator, non_negative, positive_int

__all__ = [
    "sinusoid",
    "sinusoid_curve",
    "xor",
    "two_moons",
    "spirals",
    "blobs",
    "digits",
]


def sinusoid_curve(x):
    r"""The noise-free curve :math:`h(x) = \sin(2\pi x)` behind ``sinusoid``, for plotting.

    >>> float(sinusoid_curve(0.25))
    1.0
    """
    return np.sin(2.0 * np.pi * np.asarray(x, dtype=np.float64))


def sinusoid(n=10, noise=0.3, seed=0, evenly_spaced=False):
    r"""Bishop's sinusoidal data set (*Pattern Recognition and Machine Learning*, §1.1).

    .. math::

        t_i = \sin(2\pi x_i) + \varepsilon_i, \qquad
        \varepsilon_i \sim \mathcal N(0, \sigma^2),\ \sigma = \texttt{noise},

    with :math:`x_i` drawn uniformly from :math:`[0, 1]`, or, with
    ``evenly_spaced=True``, :math:`x_i = i/(n-1)` as in Bishop's figure 1.2.
    Ten points and :math:`\sigma = 0.3` are Bishop's choices; his figure 5.9 fits
    networks with 1, 3 and 10 hidden units to such data.

    Parameters
    ----------
    n : int
        Number of points.
    noise : float
        Standard deviation :math:`\sigma` of the noise on the targets.
    seed : int or None
        Seed of the generator.
    evenly_spaced : bool
        Evenly spaced inputs instead of uniformly random ones.

    Returns
    -------
    X : ndarray of shape ``(n, 1)``, float64
        Inputs, in the order drawn (not sorted).
    t : ndarray of shape ``(n, 1)``, float64
        Targets.
    """
    n = positive_int(n, "n", "sinusoid")
    noise = non_negative(noise, "noise", "sinusoid")
    rng = generator(seed, "sinusoid")
    if evenly_spaced:
        x = np.linspace(0.0, 1.0, n)
    else:
        x = rng.uniform(0.0, 1.0, size=n)
    t = sinusoid_curve(x) + noise * rng.standard_normal(n)
    return x.reshape(n, 1), t.reshape(n, 1)


def _shuffled(X, y, rng, shuffle):
    if not shuffle:
        return X, y
    order = rng.permutation(len(y))
    return X[order], y[order]


def xor(n=200, noise=0.1, seed=0):
    r"""The XOR problem: four Gaussian clouds on the corners of the unit square.

    Sample :math:`i` sits at corner :math:`c = i \bmod 4` of
    :math:`(0,0), (0,1), (1,0), (1,1)`, with label :math:`x_1 \oplus x_2`
    (0, 1, 1, 0), plus Gaussian noise of standard deviation ``noise`` on both
    coordinates. No straight line separates the classes, so a network needs a
    hidden layer. ``xor(4, noise=0)`` is the truth table itself.

    Returns
    -------
    X : ndarray of shape ``(n, 2)``, float64
    y : ndarray of shape ``(n,)``, int64
    """
    n = positive_int(n, "n", "xor")
    noise = non_negative(noise, "noise", "xor")
    rng = generator(seed, "xor")
    corners = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    which = np.arange(n) % 4
    X = corners[which] + noise * rng.standard_normal((n, 2))
    y = np.array([0, 1, 1, 0], dtype=np.int64)[which]
    return X, y


def two_moons(n=200, noise=0.1, seed=0, shuffle=True):
    r"""Two interleaving half circles (the geometry of scikit-learn's ``make_moons``).

    The first :math:`\lfloor n/2 \rfloor` points (class 0) lie on the upper half
    circle :math:`(\cos\theta, \sin\theta)`, the others (class 1) on the lower one
    :math:`(1 - \cos\theta, \tfrac12 - \sin\theta)`, with :math:`\theta` evenly
    spaced on :math:`[0, \pi]`; then the samples are shuffled (unless
    ``shuffle=False``) and Gaussian noise of standard deviation ``noise`` is added.
    With ``noise=0`` and ``shuffle=False`` this equals
    ``sklearn.datasets.make_moons(n, shuffle=False)``.

    Returns
    -------
    X : ndarray of shape ``(n, 2)``, float64
    y : ndarray of shape ``(n,)``, int64
    """
    n = positive_int(n, "n", "two_moons", minimum=2)
    noise = non_negative(noise, "noise", "two_moons")
    rng = generator(seed, "two_moons")
    n_out = n // 2
    n_in = n - n_out
    outer = np.linspace(0.0, np.pi, n_out)
    inner = np.linspace(0.0, np.pi, n_in)
    X = np.concatenate([
        np.stack([np.cos(outer), np.sin(outer)], axis=1),
        np.stack([1.0 - np.cos(inner), 1.0 - np.sin(inner) - 0.5], axis=1),
    ])
    y = np.concatenate([np.zeros(n_out, np.int64), np.ones(n_in, np.int64)])
    X, y = _shuffled(X, y, rng, shuffle)
    return X + noise * rng.standard_normal(X.shape), y


def _per_class(n, k):
    """``n`` samples shared among ``k`` classes as evenly as possible."""
    return [n // k + (1 if j < n % k else 0) for j in range(k)]


def spirals(n=300, classes=3, noise=0.2, seed=0, shuffle=True):
    r"""Interleaved spiral arms, one per class (the CS231n spiral data set).

    Class :math:`j` has :math:`m` points (:math:`n` shared as evenly as possible)
    at radius :math:`r` evenly spaced on :math:`[0, 1]` and angle
    :math:`\theta = 4j + 4r + \sigma\,\varepsilon`, :math:`\varepsilon \sim \mathcal N(0,1)`:

    .. math::

        \mathbf x = (r \sin\theta,\ r\cos\theta).

    The noise is on the angle, so ``noise`` is in radians (CS231n uses 0.2).

    Parameters
    ----------
    n : int
        Total number of points (CS231n's ``N`` is per class: ``n = N * K``).
    classes : int
        Number of arms :math:`K`.

    Returns
    -------
    X : ndarray of shape ``(n, 2)``, float64
    y : ndarray of shape ``(n,)``, int64
    """
    classes = positive_int(classes, "classes", "spirals", minimum=2)
    n = positive_int(n, "n", "spirals", minimum=classes)
    noise = non_negative(noise, "noise", "spirals")
    rng = generator(seed, "spirals")
    Xs, ys = [], []
    for j, m in enumerate(_per_class(n, classes)):
        r = np.linspace(0.0, 1.0, m)
        theta = np.linspace(4.0 * j, 4.0 * (j + 1), m) + noise * rng.standard_normal(m)
        Xs.append(np.stack([r * np.sin(theta), r * np.cos(theta)], axis=1))
        ys.append(np.full(m, j, dtype=np.int64))
    return _shuffled(np.concatenate(Xs), np.concatenate(ys), rng, shuffle)


def blobs(n=300, centers=3, std=1.0, seed=0, n_features=2, center_box=(-10.0, 10.0),
          shuffle=True):
    r"""Isotropic Gaussian clusters, one per class (scikit-learn's ``make_blobs``).

    Class :math:`j` has :math:`\mathbf x \sim \mathcal N(\boldsymbol\mu_j, \sigma_j^2 I)`.

    Parameters
    ----------
    n : int
        Total number of points, shared among the clusters as evenly as possible.
    centers : int or array_like of shape ``(k, n_features)``
        The number of clusters, whose centres are then drawn uniformly from
        ``center_box`` in every coordinate, or the centres themselves.
    std : float or sequence of float
        Standard deviation :math:`\sigma_j` of each cluster (one for all, or one each).

    Returns
    -------
    X : ndarray of shape ``(n, n_features)``, float64
    y : ndarray of shape ``(n,)``, int64
    """
    rng = generator(seed, "blobs")
    if isinstance(centers, (int, np.integer)) and not isinstance(centers, bool):
        k = positive_int(centers, "centers", "blobs")
        n_features = positive_int(n_features, "n_features", "blobs")
        low, high = finite_numbers(center_box, "center_box", "blobs", length=2)
        mu = rng.uniform(low, high, size=(k, n_features))
    else:
        mu = finite_numbers(centers, "centers", "blobs")
        if mu.ndim != 2 or mu.shape[0] == 0:
            raise ValueError(
                "blobs: centers must be a number of clusters or an array of shape "
                f"(clusters, features), got shape {mu.shape}."
            )
        k = mu.shape[0]
    n = positive_int(n, "n", "blobs", minimum=k)
    stds = finite_numbers(std, "std", "blobs")
    if stds.ndim > 1 or stds.size not in (1, k):
        raise ValueError(f"blobs: std must be one number or one per cluster ({k}), got {std!r}.")
    stds = np.broadcast_to(stds, (k,))
    if np.any(stds < 0):
        raise ValueError(f"blobs: std must be >= 0, got {std}.")
    Xs, ys = [], []
    for j, m in enumerate(_per_class(n, k)):
        Xs.append(mu[j] + stds[j] * rng.standard_normal((m, mu.shape[1])))
        ys.append(np.full(m, j, dtype=np.int64))
    return _shuffled(np.concatenate(Xs), np.concatenate(ys), rng, shuffle)


def digits(return_images=False):
    r"""scikit-learn's handwritten digits: 1797 images of 8×8 pixels, 10 classes.

    The UCI optical-digits test set (each pixel counts the dark cells of a 4×4
    block of a 32×32 bitmap, so values are integers from 0 to 16). It ships
    inside scikit-learn (``sklearn.datasets.load_digits``): nothing downloads.
    About 180 images per class (from 174 to 183).

    Parameters
    ----------
    return_images : bool
        Also return the images as ``(1797, 8, 8)``, for ``plt.imshow``.

    Returns
    -------
    X : ndarray of shape ``(1797, 64)``, float64
        Pixel values 0–16, each image flattened row by row.
    y : ndarray of shape ``(1797,)``, int64
        The digit shown, 0–9.
    images : ndarray of shape ``(1797, 8, 8)``, float64
        Only if ``return_images``.
    """
    from sklearn.datasets import load_digits

    bunch = load_digits()
    X = np.asarray(bunch.data, dtype=np.float64)
    y = np.asarray(bunch.target, dtype=np.int64)
    if return_images:
        return X, y, np.asarray(bunch.images, dtype=np.float64)
    return X, y
