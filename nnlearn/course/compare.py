r"""Do all the ways of computing a gradient agree? Tables of largest differences.

Chapter 2 derives every gradient by hand and then checks it four ways:

``manual``
    the delta rule written out, :class:`nnlearn.course.manual.MLP` (no autodiff);
``autodiff``
    nnlearn's own reverse mode, :class:`nnlearn.Tensor` with
    ``nnlearn.losses``;
``finite differences``
    central differences of the loss,
    :math:`\bigl(E(\theta + h e_i) - E(\theta - h e_i)\bigr) / 2h` for every
    parameter entry;
``torch``
    ``torch.autograd`` in float64, the independent reference.

:func:`compare_mlp` runs them on one network and batch and returns a
:class:`~nnlearn._display.Table` with one row per quantity (each layer's delta
:math:`\delta^{(l)}`, :math:`\partial E/\partial W^{(l)}` and
:math:`\partial E/\partial b^{(l)}`) and one column per method (``torch``
is headed "PyTorch"): the largest
absolute difference from the manual value,

.. math:: \max_{i} \bigl| a_i - m_i \bigr| ,

over all entries :math:`i` of the quantity. :func:`difference_table` does the
same for any dictionaries of arrays.

By default a difference is shown as a bound, ``< 10⁻¹³`` (agreement to
rounding error), ``< 10⁻⁸`` (to the accuracy of a finite difference) or
``< 10⁻⁴``, and only a larger difference as a number. Rounding errors differ
from one machine (and one BLAS library) to the next, so the exact digits of a
difference of :math:`10^{-17}` are noise; the bounds are not. Pass
``exact=True`` for the numbers.

This module is a checking tool, not array code: it moves everything to NumPy
on the host, and its ``torch`` method imports PyTorch (only when asked).

Examples
--------
>>> from nnlearn import manual
>>> from nnlearn.course.compare import compare_mlp, random_batch
>>> net = manual.MLP([3, 4, 2], activation="tanh", output="identity", loss="squared", seed=0)
>>> X, D = random_batch("squared", N=5, n_in=3, n_out=2, seed=0)
>>> table = compare_mlp(net, X, D, methods=("autodiff", "finite differences"))
>>> table.column("autodiff")[0] == "<\u00a010⁻¹³"
True
"""

from __future__ import annotations

import math
from typing import Mapping, Sequence

import numpy as np  # host-side only: every compared array is brought to NumPy

from .. import backend
from .._display import Table

__all__ = [
    "METHODS",
    "BOUNDS",
    "max_abs_diff",
    "format_difference",
    "difference_table",
    "quantity_names",
    "mlp_quantities",
    "compare_mlp",
    "check_mlp",
    "CHECK_BOUNDS",
    "random_batch",
]

#: The methods :func:`mlp_quantities` knows.
METHODS = ("manual", "per-sample loop", "autodiff", "finite differences", "torch")

_LABELS = {"torch": "PyTorch"}  # column headings of compare_mlp

#: The bounds a difference is rounded up to (see :func:`format_difference`).
BOUNDS = (1e-13, 1e-8, 1e-4)

_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def _host(a) -> np.ndarray:
    if hasattr(a, "numpy") and not isinstance(a, np.ndarray) and type(a).__module__.startswith("nnlearn"):
        a = a._data
    return np.asarray(backend.to_numpy(a), dtype=float)


def max_abs_diff(a, b) -> float:
    r"""The largest absolute difference :math:`\max_i |a_i - b_i|` of two arrays
    (or numbers) of the same shape, as a Python float.

    Arrays of any backend (and nnlearn Tensors) are accepted. Shapes must match
    exactly: comparing a matrix with its transpose is almost always the bug
    being looked for, so no broadcasting is done.
    """
    a, b = _host(a), _host(b)
    if a.shape != b.shape:
        raise ValueError(
            f"max_abs_diff: the arrays have shapes {a.shape} and {b.shape}; they must be "
            "the same (transpose or reshape one of them first if that is intended)."
        )
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b)))


def _power_of_ten(b: float) -> str:
    k = round(math.log10(b))
    if not math.isclose(b, 10.0**k):
        return f"{b:g}"
    return "10" + str(k).replace("-", "⁻").translate(_SUPERSCRIPT)


def format_difference(d: float, bounds: Sequence[float] = BOUNDS) -> str:
    """A difference as the smallest bound above it (``"< 10⁻¹³"``, with a
    no-break space so that a narrow table column never splits it), or as a
    number with two significant digits when it exceeds every bound."""
    if d != d:
        return "nan"
    for b in sorted(bounds):
        if d < b:
            return f"<\u00a0{_power_of_ten(b)}"
    return f"{d:.2g}"


def difference_table(reference: Mapping, others: Mapping, title: str | None = None,
                     exact: bool = False, reference_name: str = "manual") -> Table:
    """Compare several methods' values of the same quantities with a reference.

    Parameters
    ----------
    reference : dict
        ``{quantity name: array or number}``, the values every method is
        compared with.
    others : dict
        ``{method name: {quantity name: array or number}}``. A method may leave
        quantities out (its cell shows ``—``), but may not add unknown ones.
    title : str, optional
    exact : bool
        Show each largest difference as a number instead of a bound.
    reference_name : str
        Used in the title when ``title`` is not given.

    Returns
    -------
    Table
        Columns ``quantity``, ``shape`` and one per method; each cell is
        :math:`\\max_i |\\text{method}_i - \\text{reference}_i|`.
    """
    for method, values in others.items():
        unknown = [q for q in values if q not in reference]
        if unknown:
            raise ValueError(
                f"difference_table: method {method!r} has quantity {unknown[0]!r}, which the "
                f"reference does not have; the reference has {', '.join(map(repr, reference))}."
            )
    rows = []
    for q, ref in reference.items():
        shape = np.shape(_host(ref))
        row = [q, "×".join(str(s) for s in shape) if shape else "scalar"]
        for values in others.values():
            if q not in values:
                row.append("—")
                continue
            d = max_abs_diff(values[q], ref)
            row.append(d if exact else format_difference(d))
        rows.append(row)
    title = title or f"Largest |difference| from the {reference_name} values"
    return Table(["quantity", "shape", *others], rows, title=title, digits=3)


# ----------------------------------------------------------------------------
# The four ways of computing an MLP's gradients
# ----------------------------------------------------------------------------

def quantity_names(L: int, deltas: bool = True) -> list[str]:
    """``["δ⁽¹⁾", "∂E/∂W⁽¹⁾", "∂E/∂b⁽¹⁾", "δ⁽²⁾", ...]`` for ``L`` layers."""
    names = []
    for l in range(1, L + 1):
        s = f"⁽{str(l).translate(_SUPERSCRIPT)}⁾"
        names += ([f"δ{s}"] if deltas else []) + [f"∂E/∂W{s}", f"∂E/∂b{s}"]
    return names


def _pack(net, deltas_list, grads, deltas: bool) -> dict:
    out = {}
    names = quantity_names(net.L, deltas=True)
    for l in range(net.L):
        d_name, w_name, b_name = names[3 * l: 3 * l + 3]
        if deltas and deltas_list is not None:
            out[d_name] = _host(deltas_list[l]).copy()
        out[w_name] = _host(grads[l][0]).copy()
        out[b_name] = _host(grads[l][1]).copy()
    return out


def _targets(net, X, D):
    net.forward(X)
    return net._targets(D, net.Z[0].shape[0])


def _autodiff(net, X, D) -> dict:
    from .. import losses
    from .._tensor import Tensor

    b = net.backend
    D = _targets(net, X, D)
    N = D.shape[0]
    params = [(Tensor(b.asarray(_host(W)), requires_grad=True),
               Tensor(b.asarray(_host(v)), requires_grad=True)) for W, v in net.params]
    Z, Us = Tensor(b.asarray(_host(X))), []
    for (W, v), f in zip(params, net.activations):
        U = (Z @ W.T + v).retain_grad()
        Us.append(U)
        Z = {"identity": lambda u: u, "sigmoid": Tensor.sigmoid, "tanh": Tensor.tanh,
             "relu": Tensor.relu, "softmax": lambda u: losses.softmax(u, axis=1)}[f](U)
    Dt = Tensor(D)
    if net.loss_name == "squared":
        E = losses.mse_loss(Z, Dt, reduction="sum") * (0.5 / N)
    elif net.loss_name == "log":
        E = losses.binary_cross_entropy(Z, Dt, reduction="sum") * (1.0 / N)
    elif net.activations[-1] == "softmax":
        E = losses.cross_entropy(Us[-1], np.argmax(_host(D), axis=1))
    else:
        E = (Dt * Z.log()).sum() * (-1.0 / N)
    for W, _ in params:
        E = E + (W * W).sum() * (net.weight_decay / 2)
    E.backward()
    return [U.grad for U in Us], [(W.grad, v.grad) for W, v in params]


def _torch(net, X, D) -> dict:
    import torch  # the independent reference; only imported when asked for
    import torch.nn.functional as F

    D = torch.tensor(_host(_targets(net, X, D)), dtype=torch.float64)
    N = D.shape[0]
    params = [(torch.tensor(_host(W), requires_grad=True), torch.tensor(_host(v), requires_grad=True))
              for W, v in net.params]
    Z, Us = torch.tensor(_host(X), dtype=torch.float64), []
    for (W, v), f in zip(params, net.activations):
        U = Z @ W.T + v
        U.retain_grad()
        Us.append(U)
        Z = {"identity": lambda u: u, "sigmoid": torch.sigmoid, "tanh": torch.tanh,
             "relu": torch.relu, "softmax": lambda u: torch.softmax(u, dim=1)}[f](U)
    if net.loss_name == "squared":
        E = 0.5 * F.mse_loss(Z, D, reduction="sum") / N
    elif net.loss_name == "log":
        E = F.binary_cross_entropy(Z, D, reduction="sum") / N
    elif net.activations[-1] == "softmax":
        E = F.cross_entropy(Us[-1], D.argmax(dim=1))
    else:
        E = -(D * torch.log(Z)).sum() / N
    E = E + net.weight_decay / 2 * sum((W * W).sum() for W, _ in params)
    E.backward()
    return [U.grad for U in Us], [(W.grad, v.grad) for W, v in params]


def _finite_differences(net, X, D, h: float) -> list:
    from ..gradcheck import numerical_gradient

    loss = lambda _: net.loss(X, D)    # the arrays are perturbed in place, so f reads them
    return [tuple(numerical_gradient(loss, arr, eps=h) for arr in (net.W[l], net.b[l]))
            for l in range(1, net.L + 1)]


def mlp_quantities(net, X, D, method: str = "manual", deltas: bool = True, h: float = 1e-6) -> dict:
    r"""One method's deltas and gradients of ``net``'s loss on the batch ``(X, D)``.

    Parameters
    ----------
    net : nnlearn.course.manual.MLP
        The network; its weights are read (``finite differences`` perturbs
        them one entry at a time and restores them exactly).
    X, D : array_like
        Inputs (one sample per row) and targets, as for ``net.gradient``.
    method : str
        One of ``METHODS``: ``"manual"`` (``net.gradient``),
        ``"per-sample loop"`` (``net.backward_per_sample``, no deltas),
        ``"autodiff"`` (nnlearn.Tensor), ``"finite differences"`` (central
        differences of ``net.loss`` with step ``h``, no deltas) or
        ``"torch"`` (torch.autograd, float64).
    deltas : bool
        Include the deltas :math:`\delta^{(l)} = \partial E/\partial U^{(l)}`
        (the per-sample loop and finite differences have none).

    Returns
    -------
    dict
        ``{"δ⁽¹⁾": ..., "∂E/∂W⁽¹⁾": ..., "∂E/∂b⁽¹⁾": ..., "δ⁽²⁾": ...}``, NumPy
        arrays of the shapes of :math:`\delta^{(l)}`, :math:`W^{(l)}`,
        :math:`b^{(l)}`. The loss includes ``net.weight_decay``'s penalty
        :math:`\frac{\lambda}{2}\sum_l \lVert W^{(l)}\rVert^2` in every method.
    """
    if method == "manual":
        grads = net.gradient(X, D)
        return _pack(net, net.deltas, grads, deltas)
    if method == "per-sample loop":
        return _pack(net, None, net.backward_per_sample(X, D), deltas)
    if method == "autodiff":
        return _pack(net, *_autodiff(net, X, D), deltas)
    if method == "torch":
        return _pack(net, *_torch(net, X, D), deltas)
    if method == "finite differences":
        return _pack(net, None, _finite_differences(net, X, D, h), deltas)
    raise ValueError(
        f"mlp_quantities: unknown method {method!r}; choose one of "
        + ", ".join(repr(m) for m in METHODS) + "."
    )


def compare_mlp(net, X, D, methods: Sequence[str] = ("autodiff", "finite differences", "torch"),
                deltas: bool = True, exact: bool = False, title: str | None = None) -> Table:
    r"""The manual (delta-rule) deltas and gradients of ``net`` against other methods.

    Each cell is the largest absolute difference between a method's value of a
    quantity and ``net.gradient``'s (see :func:`mlp_quantities` for the
    methods, :func:`difference_table` for the layout). Afterwards ``net``
    holds the forward caches, deltas and gradients of the manual pass.

    Expect ``< 10⁻¹³`` for ``autodiff``, ``torch`` and ``per-sample loop``
    (the same arithmetic in another order) and ``< 10⁻⁸`` for ``finite
    differences`` (the error of a central difference with :math:`h = 10^{-6}`
    in float64 is about :math:`10^{-10}`).
    """
    others = {_LABELS.get(m, m): mlp_quantities(net, X, D, m, deltas=deltas) for m in methods}
    reference = mlp_quantities(net, X, D, "manual", deltas=deltas)
    size = "-".join(str(n) for n in net.sizes)
    title = title or (f"MLP {size} ({', '.join(net.activations)}; {net.loss_name} loss), "
                      f"N = {len(_host(X))}: largest |difference| from the delta rule")
    return difference_table(reference, others, title=title, exact=exact)


#: The bound each method must meet in :func:`check_mlp`: the exact methods do
#: the same arithmetic in another order; a central difference with
#: :math:`h = 10^{-6}` is good to about :math:`10^{-10}`.
CHECK_BOUNDS = {"autodiff": 1e-12, "torch": 1e-12, "per-sample loop": 1e-12,
                "finite differences": 1e-7}


def check_mlp(net, X, D, methods: Sequence[str] = ("autodiff", "finite differences", "torch"),
              deltas: bool = True) -> str:
    r"""Assert that every method reproduces the delta rule's deltas and
    gradients of ``net``, and say so in one line.

    The one-line form of :func:`compare_mlp`, for a page that has already
    shown the full table once: each method's largest absolute difference
    from ``net.gradient`` must be below its bound in :data:`CHECK_BOUNDS`
    (finite differences have no deltas). Raises ``AssertionError`` naming the
    quantity and method otherwise.

    Returns
    -------
    str
        E.g. ``"MLP 4-6-5-3, N = 8: 9 quantities; autodiff < 10⁻¹², ... ✓"``;
        only the bounds are printed, so the line is the same on every machine.
    """
    reference = mlp_quantities(net, X, D, "manual", deltas=deltas)
    parts = []
    for m in methods:
        values = mlp_quantities(net, X, D, m, deltas=deltas)
        bound = CHECK_BOUNDS[m]
        for q, v in values.items():
            d = max_abs_diff(v, reference[q])
            if not d < bound:
                raise AssertionError(f"check_mlp: {_LABELS.get(m, m)} differs from the delta rule in "
                                     f"{q} by {d:.3g} (bound {bound:g}).")
        parts.append(f"{_LABELS.get(m, m)} < {_power_of_ten(bound)}")
    size = "-".join(str(n) for n in net.sizes)
    what = "deltas and gradients" if deltas else "gradients"
    return (f"MLP {size}, N = {len(_host(X))}: all {len(reference)} {what} agree "
            f"with the delta rule ({', '.join(parts)}) ✓")


def random_batch(loss: str, N: int, n_in: int, n_out: int, seed: int = 0):
    r"""A random batch ``(X, D)`` whose targets suit ``loss``.

    ``X`` is standard normal of shape ``(N, n_in)``. ``D`` has shape
    ``(N, n_out)``: normal with standard deviation 0.5 for ``"squared"``,
    0 or 1 for ``"log"``, one-hot rows for ``"cross_entropy"``.
    """
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((N, n_in))
    if loss == "squared":
        D = 0.5 * rng.standard_normal((N, n_out))
    elif loss == "log":
        D = rng.integers(0, 2, size=(N, n_out)).astype(float)
    elif loss == "cross_entropy":
        D = np.eye(n_out)[rng.integers(0, n_out, size=N)]
    else:
        raise ValueError(f"random_batch: unknown loss {loss!r}; choose 'squared', 'log' "
                         "or 'cross_entropy'.")
    return X, D
