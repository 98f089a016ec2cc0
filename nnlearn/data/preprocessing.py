r"""Splitting, scaling, whitening and label coding.

The rule behind all of it: statistics are computed on the *training* split
only, then applied unchanged to the validation and test splits. Anything the
preprocessing learns from validation or test data leaks information the model
is later judged on.

The array code works on NumPy arrays and on the arrays of any nnlearn backend
(its namespace is taken from the input).
"""

from __future__ import annotations

import math
import numbers
from collections import deque
from typing import Any, NamedTuple

import array_api_compat
import numpy as np

from .. import backend
from ._checks import as_array, check_finite, generator, is_array, same_length, unwrap

__all__ = [
    "Split",
    "train_val_test_split",
    "StandardScaler",
    "Whitener",
    "one_hot",
    "to_class_indices",
]


# --------------------------------------------------------------------------
# Splitting
# --------------------------------------------------------------------------

class Split(NamedTuple):
    """Three ``(X, y)`` pairs: ``split.train``, ``split.val``, ``split.test``.

    It unpacks too: ``(X_train, y_train), (X_val, y_val), (X_test, y_test) = split``.
    """

    train: tuple[Any, Any]
    val: tuple[Any, Any]
    test: tuple[Any, Any]


def _split_count(size, n, name):
    """The number of samples a ``*_size`` argument asks for."""
    where = "train_val_test_split"
    if isinstance(size, bool) or not isinstance(size, numbers.Real):
        raise TypeError(f"{where}: {name} must be a fraction in [0, 1) or a count, got {size!r}.")
    if isinstance(size, numbers.Integral):
        if not 0 <= size < n:
            raise ValueError(f"{where}: {name}={size} samples is not possible with {n} samples.")
        return int(size)
    if not 0.0 <= size < 1.0:
        raise ValueError(
            f"{where}: {name} must be a fraction in [0, 1) (or a whole number of samples), "
            f"got {size}."
        )
    count = math.floor(size * n + 0.5)
    if size > 0 and count == 0:
        raise ValueError(f"{where}: {name}={size} of {n} samples rounds to 0 samples, an empty split; "
                         f"use more data, a larger {name}, or {name}=0 for no such split.")
    return count


def _proportional_counts(class_counts, split_counts):
    r"""How many samples of each class go to each split.

    Class :math:`c` (:math:`n_c` samples) would ideally send
    :math:`n_c\,m_s/n` samples to split :math:`s` (:math:`m_s` samples). The
    returned integer table has row sums :math:`n_c`, column sums :math:`m_s`, and
    every entry is that ideal value rounded down or up, so no class is off its
    proportion by a whole sample in any split. Such a table always exists (the
    fractional parts are a feasible flow, and flows with integer capacities have
    integer optima); it is found by augmenting paths.
    """
    counts = np.asarray(class_counts, dtype=np.int64)
    sizes = np.asarray(split_counts, dtype=np.int64)
    n = int(counts.sum())
    product = counts[:, None] * sizes[None, :]
    table = product // n
    can_round_up = product % n > 0
    row_need = counts - table.sum(axis=1)
    col_need = sizes - table.sum(axis=0)
    up = np.zeros_like(can_round_up)
    k, s = up.shape
    # Augmenting paths: class -> split along a free round-up, split -> class
    # along a taken one (undoing it), until every class has its samples.
    while (row_need - up.sum(axis=1)).any():
        start = int(np.flatnonzero(row_need - up.sum(axis=1))[0])
        parent = {("c", start): None}
        queue = deque([("c", start)])
        end = None
        while queue and end is None:
            kind, i = queue.popleft()
            if kind == "c":
                for j in range(s):
                    if can_round_up[i, j] and not up[i, j] and ("s", j) not in parent:
                        parent[("s", j)] = (kind, i)
                        if col_need[j] - up[:, j].sum() > 0:
                            end = ("s", j)
                            break
                        queue.append(("s", j))
            else:
                for c in range(k):
                    if up[c, i] and ("c", c) not in parent:
                        parent[("c", c)] = (kind, i)
                        queue.append(("c", c))
        if end is None:  # cannot happen: the fractional parts are a feasible flow
            raise RuntimeError("stratified split: no proportional allocation found")
        node = end
        while parent[node] is not None:
            prev = parent[node]
            if node[0] == "s":
                up[prev[1], node[1]] = True
            else:
                up[node[1], prev[1]] = False
            node = prev
    return table + up


def _take(a, idx):
    if isinstance(a, np.ndarray):
        return a[idx]
    xp = backend.namespace_of(a)
    index = xp.asarray(idx, device=array_api_compat.device(a))
    return xp.take(a, index, axis=0)


def train_val_test_split(X, y, val_size=0.2, test_size=0.2, stratify=None, seed=0):
    r"""Split a data set three ways at random: training, validation and test.

    Parameters
    ----------
    X : array of shape ``(n, ...)``
        Features, one row per sample.
    y : array of shape ``(n,)`` or ``(n, k)``
        Targets.
    val_size, test_size : float or int
        Fraction of the samples (in :math:`[0, 1)`, rounded to the nearest whole
        sample) or number of samples for the validation and test splits; the
        rest is for training.
    stratify : bool or None
        Keep the class proportions of ``y`` in every split: for every class and
        split, the number of samples is its proportional share rounded down or
        up. ``None`` (the default) stratifies when ``y`` holds integer class
        labels (1-D, integer dtype), ``True`` insists on it, ``False`` never does.
    seed : int or None
        Seed of the shuffle.

    Returns
    -------
    Split
        ``.train``, ``.val``, ``.test``: ``(X, y)`` pairs of the same array type as
        the input, in shuffled order.

    Notes
    -----
    PyTorch has no such function (``torch.utils.data.random_split`` splits a
    ``Dataset`` without stratification). The argument names follow
    scikit-learn's ``train_test_split``, except that ``stratify`` is a flag
    here, not an array of labels.
    """
    where = "train_val_test_split"
    X, y = as_array(X, where, "X"), as_array(y, where, "y")
    same_length(X, y, where)
    n = int(X.shape[0])
    n_val = _split_count(val_size, n, "val_size")
    n_test = _split_count(test_size, n, "test_size")
    if n_val + n_test >= n:
        raise ValueError(
            f"{where}: val_size={val_size} and test_size={test_size} leave no training "
            f"samples ({n_val} + {n_test} of {n}); their sum must be less than 1 "
            "(or than the number of samples)."
        )
    labels = backend.to_numpy(y)
    is_labels = labels.ndim == 1 and labels.dtype.kind in "iu"
    if stratify is None:
        stratify = is_labels
    elif not isinstance(stratify, (bool, np.bool_)):
        raise TypeError(f"{where}: stratify must be True, False or None, got {stratify!r}.")
    if stratify and not is_labels:
        raise ValueError(
            f"{where}: stratify=True needs integer class labels of shape (n,), got y of "
            f"dtype {labels.dtype} and shape {labels.shape}. Convert one-hot targets with "
            "to_class_indices, or pass stratify=False."
        )
    rng = generator(seed, where)
    sizes = [n - n_val - n_test, n_val, n_test]
    if stratify:
        classes, class_counts = np.unique(labels, return_counts=True)
        needed = sum(1 for m in sizes if m > 0)
        if class_counts.min() < needed:
            c = classes[np.argmin(class_counts)]
            raise ValueError(
                f"{where}: class {c} has only {class_counts.min()} sample(s), too few to "
                f"stratify into {needed} splits; every class needs at least {needed}. "
                "Merge or drop rare classes, or pass stratify=False."
            )
        for name, m in zip(("val", "test"), sizes[1:]):
            if 0 < m < len(classes):
                raise ValueError(
                    f"{where}: the {name} split would have {m} samples, fewer than the "
                    f"{len(classes)} classes, so it cannot hold every class; make it larger "
                    "or pass stratify=False."
                )
        table = _proportional_counts(class_counts, sizes)
        parts = [[], [], []]
        for c, row in zip(classes, table):
            members = rng.permutation(np.flatnonzero(labels == c))
            for s, stop in enumerate(np.cumsum(row)):
                parts[s].append(members[stop - row[s]:stop])
        parts = [rng.permutation(np.concatenate(p)) for p in parts]
    else:
        order = rng.permutation(n)
        parts = [order[n_val + n_test:], order[:n_val], order[n_val:n_val + n_test]]
    pairs = [(_take(X, idx), _take(y, idx)) for idx in parts]
    return Split(*pairs)


# --------------------------------------------------------------------------
# Scaling and whitening
# --------------------------------------------------------------------------

def _features(X, who, n_features=None):
    """``X`` as a 2-D float array and its namespace, with readable errors."""
    X = as_array(X, who, "X")
    kind = str(X.dtype)
    if "complex" in kind:
        raise TypeError(f"{who}: X holds complex numbers (dtype {kind}); features must be real.")
    if isinstance(X, np.ndarray) and X.dtype.kind in "OUSVmM":
        try:
            X = X.astype(np.float64)
        except (TypeError, ValueError, OverflowError):
            raise TypeError(f"{who}: X must hold numbers, got an array of dtype {X.dtype} with "
                            "entries that are not numbers.") from None
    xp = backend.namespace_of(X)
    if X.ndim != 2:
        raise ValueError(
            f"{who}: X must be 2-D, one sample per row, shape (n, features); got shape "
            f"{tuple(X.shape)}. Reshape a single feature with X.reshape(-1, 1)."
        )
    if n_features is not None and X.shape[1] != n_features:
        raise ValueError(
            f"{who}: was fitted on {n_features} features but X has {X.shape[1]} "
            f"(shape {tuple(X.shape)})."
        )
    if not xp.isdtype(X.dtype, "real floating"):
        X = xp.astype(X, xp.float64)
    return xp, X


class StandardScaler:
    r"""Standardize features: subtract the training mean, divide by the training std.

    For feature :math:`i` over the :math:`N` training samples,

    .. math::

        \bar x_i = \frac1N \sum_{n=1}^N x_{ni}, \qquad
        \sigma_i = \sqrt{\frac1N \sum_{n=1}^N (x_{ni} - \bar x_i)^2}, \qquad
        x_{ni} \leftarrow \frac{x_{ni} - \bar x_i}{\sigma_i}.

    :math:`\sigma_i` is the population standard deviation (divisor :math:`N`, not
    :math:`N-1`), as scikit-learn's ``StandardScaler`` uses. A feature that is
    constant on the training data (:math:`\sigma_i = 0`, e.g. the always-blank
    corner pixels of the digits) gets ``scale_ = 1``: it is centred, not divided
    by zero.

    Fit on the training split only, then transform all three splits::

        scaler = StandardScaler().fit(X_train)
        X_train, X_val, X_test = (scaler.transform(A) for A in (X_train, X_val, X_test))

    Attributes
    ----------
    mean_ : array of shape ``(features,)``
        :math:`\bar x_i`.
    var_ : array of shape ``(features,)``
        :math:`\sigma_i^2`.
    scale_ : array of shape ``(features,)``
        :math:`\sigma_i`, with 1 where the feature is constant.
    n_samples_seen_ : int
        :math:`N`.
    """

    def __init__(self):
        self.mean_ = None
        self.var_ = None
        self.scale_ = None
        self.n_samples_seen_ = None

    def fit(self, X):
        """Compute ``mean_`` and ``scale_`` from ``X`` (the training data). Returns ``self``.

        Raises ``ValueError`` if ``X`` holds nan or inf: one missing value would
        otherwise turn the mean and scale of its whole column into nan, and
        every transformed sample with them. (scikit-learn raises on inf; it
        skips nan, treating it as a missing value, which nnlearn leaves to the
        caller to decide.)
        """
        xp, X = _features(X, "StandardScaler.fit")
        if X.shape[0] == 0:
            raise ValueError("StandardScaler.fit: X has no rows; fit on the training data.")
        check_finite(X, "StandardScaler.fit")
        self.mean_ = xp.mean(X, axis=0)
        self.var_ = xp.mean((X - self.mean_) ** 2, axis=0)
        std = xp.sqrt(self.var_)
        # A constant column computes a tiny non-zero std from rounding errors;
        # treat anything at that level as zero.
        tiny = 10 * xp.finfo(X.dtype).eps * (xp.abs(self.mean_) + 1.0)
        self.scale_ = xp.where(std <= tiny, xp.ones_like(std), std)
        self.n_samples_seen_ = int(X.shape[0])
        return self

    def _check_fitted(self, who):
        if self.mean_ is None:
            raise ValueError(
                f"StandardScaler.{who}: this scaler is not fitted yet. Call "
                "scaler.fit(X_train) first (on the training split only), or fit_transform."
            )

    def transform(self, X):
        """``(X - mean_) / scale_`` with the statistics from :meth:`fit`.

        Raises ``ValueError`` if ``X`` holds nan or inf, as :meth:`fit` does (a
        nan would pass through silently and surface later as a nan loss)."""
        self._check_fitted("transform")
        _, X = _features(X, "StandardScaler.transform", self.mean_.shape[0])
        check_finite(X, "StandardScaler.transform")
        return (X - self.mean_) / self.scale_

    def fit_transform(self, X):
        """:meth:`fit` on ``X``, then :meth:`transform` it."""
        return self.fit(X).transform(X)

    def inverse_transform(self, Z):
        """Undo :meth:`transform`: ``Z * scale_ + mean_``."""
        self._check_fitted("inverse_transform")
        _, Z = _features(Z, "StandardScaler.inverse_transform", self.mean_.shape[0])
        return Z * self.scale_ + self.mean_

    def __repr__(self):
        fitted = "unfitted" if self.mean_ is None else f"fitted on {self.n_samples_seen_} samples"
        return f"StandardScaler({fitted})"


class Whitener:
    r"""Decorrelate and rescale features so their covariance is the identity.

    With the training mean :math:`\boldsymbol\mu` and covariance
    :math:`\Sigma = \frac1N \sum_n (\mathbf x_n - \boldsymbol\mu)(\mathbf x_n - \boldsymbol\mu)^\top
    = U \Lambda U^\top` (eigenvalues :math:`\lambda_1 \ge \dots \ge \lambda_d`,
    eigenvectors in the columns of :math:`U`):

    .. math::

        \text{PCA:}\quad \mathbf z = (\Lambda + \epsilon I)^{-1/2} U^\top (\mathbf x - \boldsymbol\mu),
        \qquad
        \text{ZCA:}\quad \mathbf z = U (\Lambda + \epsilon I)^{-1/2} U^\top (\mathbf x - \boldsymbol\mu).

    PCA whitening rotates onto the principal axes (``z[0]`` is the direction of
    largest variance) and rescales them; ZCA rotates back afterwards, so the
    result stays as close as possible to the input (whitened digits still look
    like digits). The whitened training data have covariance
    :math:`\Lambda(\Lambda + \epsilon I)^{-1}` (PCA) or
    :math:`U\Lambda(\Lambda + \epsilon I)^{-1}U^\top` (ZCA): the identity when
    :math:`\epsilon = 0`, and very nearly so when :math:`\epsilon \ll \lambda_d`.
    :math:`\epsilon` keeps directions of (almost) zero variance, such as constant
    pixels, from being blown up by :math:`1/\sqrt{\lambda}`.

    Parameters
    ----------
    method : ``"zca"`` or ``"pca"``
    eps : float
        Added to the eigenvalues before the inverse square root.

    Attributes
    ----------
    mean_ : array of shape ``(d,)``
    eigenvalues_ : array of shape ``(d,)``
        :math:`\lambda_1 \ge \dots \ge \lambda_d`.
    eigenvectors_ : array of shape ``(d, d)``
        :math:`U`, one eigenvector per column (the sign of each is fixed so that its
        largest entry is positive).
    matrix_ : array of shape ``(d, d)``
        The whitening matrix :math:`W`, :math:`\mathbf z = W(\mathbf x - \boldsymbol\mu)`;
        for a batch, ``Z = (X - mean_) @ matrix_.T``.
    """

    def __init__(self, method="zca", eps=1e-5):
        if method not in ("zca", "pca"):
            raise ValueError(f"Whitener: method must be 'zca' or 'pca', got {method!r}.")
        if isinstance(eps, bool) or not isinstance(eps, numbers.Real) or not 0 <= eps < math.inf:
            raise ValueError(f"Whitener: eps must be a finite number >= 0, got {eps!r}.")
        self.method = method
        self.eps = float(eps)
        self.mean_ = self.eigenvalues_ = self.eigenvectors_ = self.matrix_ = None
        self._inverse = None

    def fit(self, X):
        """Compute the mean and whitening matrix from ``X`` (the training data). Returns ``self``."""
        xp, X = _features(X, "Whitener.fit")
        n = X.shape[0]
        if n < 2:
            raise ValueError(f"Whitener.fit: needs at least 2 samples to estimate a covariance, got {n}.")
        check_finite(X, "Whitener.fit")
        self.mean_ = xp.mean(X, axis=0)
        Xc = X - self.mean_
        cov = (Xc.T @ Xc) / n
        lam, U = xp.linalg.eigh(cov)
        lam, U = xp.flip(lam, axis=0), xp.flip(U, axis=1)
        lam = xp.where(lam < 0, xp.zeros_like(lam), lam)  # rounding can give -1e-17
        if self.eps == 0 and bool(xp.any(lam <= 0)):
            raise ValueError(
                "Whitener.fit: the covariance is singular (a feature is constant or a "
                "linear combination of others), so whitening with eps=0 divides by zero. "
                "Use eps > 0."
            )
        peak = xp.max(xp.abs(U), axis=0, keepdims=True)
        lead = xp.sum(xp.where(xp.abs(U) == peak, U, xp.zeros_like(U)), axis=0)
        U = U * xp.where(lead < 0, -xp.ones_like(lead), xp.ones_like(lead))
        root = xp.sqrt(lam + self.eps)
        W = (U / root).T                                  # Λ^(-1/2) Uᵀ
        Winv = U * root                                   # U Λ^(1/2)
        if self.method == "zca":
            W, Winv = U @ W, Winv @ U.T
        self.eigenvalues_, self.eigenvectors_, self.matrix_, self._inverse = lam, U, W, Winv
        return self

    def _check_fitted(self, who):
        if self.matrix_ is None:
            raise ValueError(
                f"Whitener.{who}: this whitener is not fitted yet. Call "
                "whitener.fit(X_train) first (on the training split only), or fit_transform."
            )

    def transform(self, X):
        """``(X - mean_) @ matrix_.T``."""
        self._check_fitted("transform")
        _, X = _features(X, "Whitener.transform", self.mean_.shape[0])
        return (X - self.mean_) @ self.matrix_.T

    def fit_transform(self, X):
        """:meth:`fit` on ``X``, then :meth:`transform` it."""
        return self.fit(X).transform(X)

    def inverse_transform(self, Z):
        """Undo :meth:`transform`: ``Z @ inv(matrix_).T + mean_``."""
        self._check_fitted("inverse_transform")
        _, Z = _features(Z, "Whitener.inverse_transform", self.mean_.shape[0])
        return Z @ self._inverse.T + self.mean_

    def __repr__(self):
        return f"Whitener(method={self.method!r}, eps={self.eps})"


# --------------------------------------------------------------------------
# Label coding
# --------------------------------------------------------------------------

def one_hot(y, num_classes=None, dtype="float64"):
    r"""Class indices as one-hot rows: :math:`Y_{nk} = 1` if :math:`y_n = k`, else 0.

    Parameters
    ----------
    y : array of int, any shape
        Class indices :math:`0, \dots, K-1`.
    num_classes : int or None
        :math:`K`; ``None`` (or ``-1``, PyTorch's spelling) means ``max(y) + 1``.
    dtype : str
        ``"float64"`` (default) or any dtype name of the array's library.

    Returns
    -------
    array of shape ``y.shape + (K,)``
        Of the same library (and device) as ``y``.

    Notes
    -----
    ``torch.nn.functional.one_hot`` returns int64; nnlearn returns float64 by
    default, because one-hot rows are used as targets of squared-error losses
    and as probabilities. Pass ``dtype="int64"`` for PyTorch's behaviour.
    """
    where = "one_hot"
    y = unwrap(y)
    if not is_array(y):
        y = np.asarray(y)
    xp = backend.namespace_of(y)
    if not xp.isdtype(y.dtype, "integral"):
        raise TypeError(
            f"{where}: class labels must be integers 0, 1, ..., got an array of dtype {y.dtype}. "
            "If they are whole numbers stored as floats, convert them first, "
            "e.g. y.astype('int64')."
        )
    if num_classes is None or num_classes == -1:
        if array_api_compat.size(y) == 0:
            raise ValueError(f"{where}: y is empty, so num_classes cannot be inferred; pass it.")
        num_classes = int(xp.max(y)) + 1
    elif isinstance(num_classes, bool) or not isinstance(num_classes, numbers.Integral) \
            or num_classes < 1:
        raise ValueError(f"{where}: num_classes must be a positive integer, got {num_classes!r}.")
    if array_api_compat.size(y) and int(xp.min(y)) < 0:
        raise ValueError(
            f"{where}: labels must be in 0..{num_classes - 1}, found the negative label "
            f"{int(xp.min(y))}."
        )
    if array_api_compat.size(y) and int(xp.max(y)) >= num_classes:
        raise ValueError(
            f"{where}: labels must be in 0..{num_classes - 1} for num_classes={num_classes}, "
            f"found label {int(xp.max(y))}. Increase num_classes or check the labels."
        )
    classes = xp.arange(num_classes, device=array_api_compat.device(y))
    return xp.astype(y[..., None] == classes, getattr(xp, dtype))


def to_class_indices(Y):
    r"""The inverse of ``one_hot``: the index of the largest entry of each row.

    Works for one-hot rows and for rows of scores or probabilities alike
    (predicted class :math:`\hat y_n = \arg\max_k Y_{nk}`; ties go to the first).

    Parameters
    ----------
    Y : array of shape ``(..., K)``

    Returns
    -------
    array of int64 and shape ``Y.shape[:-1]``
    """
    Y = unwrap(Y)
    if not is_array(Y):
        Y = np.asarray(Y)
    xp = backend.namespace_of(Y)
    if Y.ndim == 0 or Y.shape[-1] == 0:
        raise ValueError(
            "to_class_indices: expected rows of K >= 1 scores, shape (n, K), "
            f"got shape {tuple(Y.shape)}."
        )
    return xp.astype(xp.argmax(Y, axis=-1), xp.int64)
