r"""Gradient checking: autodiff against finite differences.

The derivative of :math:`f` at :math:`x` along coordinate :math:`i` is
approximated by the *central difference*

.. math::

    \frac{\partial f}{\partial x_i} \approx
    \frac{f(x + \epsilon e_i) - f(x - \epsilon e_i)}{2\epsilon},

whose error shrinks like :math:`\epsilon^2` (the one-sided difference's like
:math:`\epsilon`). Comparing it with the analytic (backpropagated) gradient
:math:`a_i` uses the *relative error* (as in Stanford's CS231n notes)

.. math::

    r_i = \frac{|a_i - n_i|}{\max(|a_i|, |n_i|)},

which does not depend on the scale of :math:`f` (the denominator has a floor,
``tiny`` :math:`= 10^{-8}` as in CS231n's code, so that two zeros compare as
equal). Rough guide in float64: :math:`r < 10^{-7}` correct; up to about
:math:`10^{-4}` normal for a network (see below) or near a kink (ReLU,
``abs``, ``max``); :math:`r > 10^{-2}` wrong.

Central differences are limited by round-off: :math:`f` is computed with a
relative error of about :math:`10^{-16}`, and dividing by :math:`2\epsilon =
2\cdot 10^{-6}` turns that into an absolute error of about
:math:`10^{-10}|f|` in every numerical derivative. Entries whose gradient is
itself small (say :math:`10^{-5}`) therefore show relative errors of
:math:`10^{-5}` even when the backward pass is exact. That is why
:func:`assert_gradients_close` accepts an entry that is within ``tol``
relatively *or* within ``atol`` (scaled by :math:`|f|`) absolutely, as
``numpy.allclose`` does.

Two more things spoil the numbers without any bug: float32 (a perturbation
of :math:`10^{-6}` is below its resolution of about :math:`10^{-7}` relative,
so use float64, nnlearn's default), and kinks (a perturbation that crosses
the kink of ReLU at 0 sees a slope that autodiff does not).

>>> import nnlearn
>>> from nnlearn.gradcheck import gradcheck
>>> x = nnlearn.Tensor([0.5, -1.5, 2.0], requires_grad=True)
>>> gradcheck(lambda x: (x.tanh() * x).sum(), x) < 1e-7
True
"""

from __future__ import annotations

import itertools
import math

import numpy as np  # host-side only: the random weights for non-scalar outputs

from . import backend as _backend
from ._tensor import Tensor, no_grad

__all__ = ["numerical_gradient", "gradcheck", "assert_gradients_close", "check_gradients"]

def _as_float(value, where: str) -> float:
    if isinstance(value, Tensor):
        value = value._data
    shape = tuple(getattr(value, "shape", ()))
    if math.prod(shape) != 1:
        raise ValueError(
            f"{where}: f must return a scalar (one number), got an output of shape {shape}. "
            "Reduce it, e.g. with .sum(), or use gradcheck, which weights non-scalar outputs."
        )
    return float(value.item() if hasattr(value, "item") else value)


def _check_step(value, where, name, positive=True):
    """Raise unless ``value`` is a finite real number > 0 (or >= 0)."""
    ok = (isinstance(value, (int, float, np.floating, np.integer)) and not isinstance(value, bool)
          and math.isfinite(value) and (value > 0 if positive else value >= 0))
    if not ok:
        raise ValueError(f"{where}: {name} must be a finite number {'>' if positive else '>='} 0, "
                         f"got {value!r}")


def _is_float_array(arr) -> bool:
    return "float" in str(arr.dtype)


def numerical_gradient(f, x, eps: float = 1e-6):
    r"""The central-difference gradient of the scalar function ``f`` at ``x``.

    Parameters
    ----------
    f : callable
        ``f(x)`` returns a number or a one-element Tensor/array. It is called
        :math:`2n` times for an ``x`` of :math:`n` entries, inside ``no_grad()``.
    x : Tensor or array
        The point; perturbed in place entry by entry and restored.
    eps : float
        The step :math:`\epsilon`.

    Returns
    -------
    array
        Of ``x``'s shape and backend:
        :math:`\bigl(f(x + \epsilon e_i) - f(x - \epsilon e_i)\bigr) / (2\epsilon)`
        for every entry :math:`i`. The step actually taken is read back from
        the array, so that rounding in float32 does not bias the quotient.
    """
    _check_step(eps, "numerical_gradient", "eps")
    if not callable(f):
        raise TypeError(f"numerical_gradient: f must be a function, got {type(f).__name__}")
    arr = x._data if isinstance(x, Tensor) else x
    if not hasattr(arr, "dtype") or not hasattr(arr, "shape"):
        raise TypeError(
            f"numerical_gradient: x must be a Tensor or an array of floats (it is perturbed in "
            f"place), got {type(x).__name__}; write e.g. np.array({type(x).__name__}(...), dtype=float)."
        )
    if not _is_float_array(arr):
        raise TypeError(
            f"numerical_gradient: x must hold floating-point numbers, got dtype {arr.dtype}; "
            "a derivative with respect to an integer is not defined"
        )
    xp = x.xp if isinstance(x, Tensor) else _backend.namespace_of(arr)
    grad = xp.zeros_like(arr)
    with no_grad():
        for idx in itertools.product(*(range(n) for n in arr.shape)):
            old = float(arr[idx])
            arr[idx] = old + eps
            up = float(arr[idx])
            f_plus = _as_float(f(x), "numerical_gradient")
            arr[idx] = old - eps
            down = float(arr[idx])
            f_minus = _as_float(f(x), "numerical_gradient")
            arr[idx] = old
            grad[idx] = (f_plus - f_minus) / (up - down)
    return grad


class _Comparison:
    """Analytic and numerical gradients of every checked input."""

    def __init__(self, f, inputs, eps):
        if not callable(f):
            raise TypeError(f"gradcheck: f must be a function of the inputs, got {type(f).__name__}")
        _check_step(eps, "gradcheck", "eps")
        checked = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
        if not checked:
            raise ValueError(
                "gradcheck: none of the inputs requires grad, so there is nothing to check. "
                "Create the tensors to check with requires_grad=True."
            )
        self.inputs, self.checked = inputs, checked
        objective = self._objective(f, inputs)

        saved = [inputs[i].grad for i in checked]
        for i in checked:
            inputs[i].grad = None
        try:
            out = objective()
            self.f_value = float(out.item())
            if out.requires_grad:
                out.backward()
            self.analytic = [
                inputs[i].xp.zeros_like(inputs[i]._data) if inputs[i].grad is None
                else inputs[i].xp.asarray(inputs[i].grad._data, copy=True)
                for i in checked
            ]
        finally:
            for i, g in zip(checked, saved):
                inputs[i].grad = g
        self.numeric = [numerical_gradient(lambda _: objective(), inputs[i], eps) for i in checked]

    @staticmethod
    def _objective(f, inputs):
        """``f`` itself if it returns a scalar, else ``sum(f * w)`` for fixed
        random weights ``w`` (every output entry then matters)."""
        first = f(*inputs)
        if not isinstance(first, Tensor):
            raise TypeError(f"gradcheck: f must return a Tensor, got {type(first).__name__}")
        if first.numel() == 1:
            return lambda: f(*inputs).sum()
        w = np.random.default_rng(12345).standard_normal(first.shape)
        weights = Tensor(first.backend.asarray(w, dtype=first._data.dtype))
        return lambda: (f(*inputs) * weights).sum()

    def pairs(self):
        """``(input position, analytic, numeric)`` as float64 NumPy arrays."""
        for k, i in enumerate(self.checked):
            yield (i, _backend.to_numpy(self.analytic[k]).astype(float),
                   _backend.to_numpy(self.numeric[k]).astype(float))

    def worst(self, score):
        """The entry with the largest ``score(a, n)``: (score, input, index, a, n).

        A nan score (a nan or infinite gradient on either side) counts as worse
        than any number, whichever input it is in: nan is never a pass.
        """
        best, best_key = None, -math.inf
        for i, a, n in self.pairs():
            if not a.size:
                continue
            s = score(a, n)
            key = np.where(np.isnan(s), np.inf, s)
            j = np.unravel_index(int(np.argmax(key)), s.shape)
            if best is None or key[j] > best_key:
                best, best_key = (float(s[j]), i, tuple(int(v) for v in j), float(a[j]), float(n[j])), key[j]
        return best or (0.0, None, None, 0.0, 0.0)


def _relative_errors(a, n, tiny):
    return np.abs(a - n) / np.maximum(np.maximum(np.abs(a), np.abs(n)), tiny)


def gradcheck(f, *inputs, eps: float = 1e-6, tiny: float = 1e-8) -> float:
    r"""The largest relative error between autodiff and central-difference
    gradients of ``f`` over every entry of every input that requires grad.

    Parameters
    ----------
    f : callable
        ``f(*inputs)`` returns a Tensor. A scalar is checked as is; for any
        other shape the scalar :math:`\sum_k f_k w_k` with fixed random
        weights :math:`w` is checked, so that every output entry counts. ``f``
        must be deterministic: put dropout in ``eval()`` mode.
    *inputs : Tensor or anything
        Arguments of ``f``; Tensors with ``requires_grad=True`` are checked.
    eps : float
        The finite-difference step :math:`\epsilon`.
    tiny : float
        Floor of the denominator.

    Returns
    -------
    float
        :math:`\max_i |a_i - n_i| / \max(|a_i|, |n_i|, \text{tiny})`, or
        ``nan`` as soon as any entry of any input has a nan (or infinite)
        analytic or numerical gradient, whatever the order of the inputs, so
        that ``gradcheck(...) < tol`` fails. The inputs' ``.grad`` are left as
        they were.

    Notes
    -----
    PyTorch's ``torch.autograd.gradcheck`` returns ``True`` or raises, and
    compares with absolute and relative tolerances; this one returns the
    number that CS231n's notes (and the book) discuss. See
    :func:`assert_gradients_close` for a check that raises.
    """
    _check_step(tiny, "gradcheck", "tiny")
    c = _Comparison(f, inputs, eps)
    return c.worst(lambda a, n: _relative_errors(a, n, tiny))[0]


def assert_gradients_close(f, *inputs, eps: float = 1e-6, tol: float = 1e-5,
                           atol: float = 1e-8) -> float:
    r"""Check autodiff against central differences; raise ``AssertionError``
    with a readable message when they disagree.

    An entry passes when
    :math:`|a_i - n_i| \le \text{tol}\cdot\max(|a_i|, |n_i|) + \text{atol}\cdot\max(1, |f|)`:
    relatively close, or within the round-off noise of the finite difference,
    which grows with :math:`|f|` (see the module notes); an entry with a nan
    or infinite gradient on either side fails. The message names
    the input, the entry, both gradients, the relative error and the likely
    cause.

    Returns
    -------
    float
        The largest relative error (as :func:`gradcheck` with ``tiny=1e-8``),
        when every entry passes.
    """
    _check_step(tol, "assert_gradients_close", "tol", positive=False)
    _check_step(atol, "assert_gradients_close", "atol", positive=False)
    c = _Comparison(f, inputs, eps)
    noise = atol * max(1.0, abs(c.f_value))
    ratio, i, idx, a, n = c.worst(
        lambda a, n: np.abs(a - n) / (tol * np.maximum(np.abs(a), np.abs(n)) + noise)
    )
    if ratio <= 1:  # False for nan: a nan gradient never passes
        return c.worst(lambda a, n: _relative_errors(a, n, 1e-8))[0]
    t = inputs[i]
    x_value = float(_backend.to_numpy(t._data)[idx])
    rel = abs(a - n) / max(abs(a), abs(n), 1e-8)
    dtype = str(t._data.dtype).replace("torch.", "")
    lines = [
        f"gradient check failed for inputs[{i}] (shape {t.shape}, {dtype}) at index {idx}: "
        f"autodiff gives {a:.8g}, central differences give {n:.8g}; relative error "
        f"{rel:.3g} (tol {tol:g}), absolute difference {abs(a - n):.3g} "
        f"(atol {noise:.3g}).",
    ]
    hints = []
    if not (math.isfinite(a) and math.isfinite(n)):
        side = ("autodiff and central differences" if not (math.isfinite(a) or math.isfinite(n))
                else "autodiff" if not math.isfinite(a) else "central differences")
        hints.append(
            f"{side} gave a non-finite gradient (nan or inf): f is not differentiable at this "
            "point (sqrt or x**0.5 at 0, log of 0, a division by 0), or it overflows. Move the "
            "point, or check the operation that produces the nan."
        )
    if dtype == "float32":
        hints.append(
            "this input is float32: finite differences with eps=1e-6 are at the limit of its "
            "precision. Use float64 (nnlearn's default) for gradient checks."
        )
    if abs(x_value) < 10 * eps:
        hints.append(
            f"the input entry is {x_value:.3g}, within eps of 0: if f uses relu, abs or max "
            "there, the difference may straddle a kink. Move the point away from 0."
        )
    if rel > 1e-2 and not hints:
        hints.append(
            "an error this large usually means a wrong backward formula: check the "
            "derivative of each operation f uses (and that f is deterministic)."
        )
    if not hints:
        hints.append(
            "a small excess can come from round-off or from a kink (relu, abs, max) near the "
            "point: try eps=1e-5, or move the point."
        )
    raise AssertionError("\n".join(lines + ["Hint: " + h for h in hints]))


check_gradients = assert_gradients_close


# ---------------------------------------------------------------------------
# For teaching the check (chapter 2): the error against the step, and a check
# of a few random entries of a large model.
# ---------------------------------------------------------------------------

__all__ += ["relative_error", "StepSweep", "error_by_step", "SampledCheck", "gradcheck_sample"]


def relative_error(a, n, tiny: float = 1e-8):
    r"""Entry-wise :math:`|a - n| / \max(|a|, |n|, \text{tiny})` as a float64 NumPy array.

    Scale-free, unlike :math:`|a - n|`: multiplying the loss by 1000 leaves it
    unchanged, so one threshold serves every gradient.

    >>> float(relative_error(1.0, 1.001))
    0.0009990009990010007
    """
    a = np.asarray(_backend.to_numpy(a), dtype=float)
    n = np.asarray(_backend.to_numpy(n), dtype=float)
    return _relative_errors(a, n, tiny)


class StepSweep(tuple):
    """``(steps, errors)``: the steps :math:`h` tried and the largest relative
    error of the central difference at each (NumPy arrays)."""

    __slots__ = ()

    def __new__(cls, steps, errors):
        return super().__new__(cls, (steps, errors))

    steps = property(lambda self: self[0])
    errors = property(lambda self: self[1])

    @property
    def best_step(self) -> float:
        """The step with the smallest error."""
        return float(self.steps[int(np.nanargmin(self.errors))])


def error_by_step(f, x, steps=None, analytic=None, tiny: float = 1e-8) -> StepSweep:
    r"""The largest relative error of central differences against the analytic
    gradient, for each step :math:`h` in ``steps``.

    The error of :math:`\bigl(f(x + h e_i) - f(x - h e_i)\bigr)/2h` has two
    parts: truncation, about :math:`|f'''|\,h^2/6`, which shrinks with
    :math:`h`, and round-off, about :math:`\varepsilon_{\text{mach}}|f|/h`
    (:math:`f` is computed with a relative error of about
    :math:`\varepsilon_{\text{mach}}`, :math:`2.2\cdot10^{-16}` in float64 and
    :math:`1.2\cdot10^{-7}` in float32), which grows as :math:`h` shrinks. On
    a log-log plot the error is a V: slope 2 on the right, slope −1 on the left,
    with its bottom near :math:`h \approx \varepsilon_{\text{mach}}^{1/3}`.

    Parameters
    ----------
    f : callable
        ``f(x)`` returns a scalar.
    x : Tensor or array
        A Tensor with ``requires_grad=True`` (the analytic gradient then comes
        from ``backward()``), or an array of any float dtype, in which case
        ``analytic`` must be given. Finite differences run in ``x``'s dtype.
    steps : sequence of float, optional
        Default :math:`10^{-1}, 10^{-2}, \dots, 10^{-12}`.
    analytic : array, optional
        The gradient to check, of ``x``'s shape.

    Returns
    -------
    StepSweep
        ``(steps, errors)``, with ``best_step``. A step so small that
        :math:`x \pm h` rounds back to :math:`x` in ``x``'s dtype has error
        ``nan``.
    """
    steps = np.asarray([10.0 ** -k for k in range(1, 13)] if steps is None else steps, dtype=float)
    if analytic is None:
        if not (isinstance(x, Tensor) and x.requires_grad):
            raise ValueError("error_by_step: give the analytic gradient (analytic=...), or pass x as "
                             "a Tensor with requires_grad=True so that backward() computes it.")
        saved, x.grad = x.grad, None
        try:
            f(x).backward()
            analytic = _backend.to_numpy(x.grad).copy()
        finally:
            x.grad = saved
    errors = []
    for h in steps:
        try:
            errors.append(float(relative_error(analytic, numerical_gradient(f, x, eps=float(h)), tiny).max()))
        except ZeroDivisionError:       # x ± h rounds back to x: no difference at all
            errors.append(float("nan"))
    return StepSweep(steps, np.asarray(errors))


class SampledCheck(tuple):
    """``(max_error, rows)`` of :func:`gradcheck_sample`; ``rows`` are
    ``[input position, index, autodiff, finite difference, relative error]``."""

    __slots__ = ()

    def __new__(cls, max_error, rows):
        return super().__new__(cls, (max_error, rows))

    max_error = property(lambda self: self[0])
    rows = property(lambda self: self[1])

    def table(self):
        """The checked entries as a table."""
        from ._display import Table

        return Table(["input", "index", "autodiff", "finite difference", "relative error"],
                     [[i, str(idx), a, n, f"{r:.1e}".replace("-", "\u2212")]
                      for i, idx, a, n, r in self.rows],
                     title=f"{len(self.rows)} entries checked, largest relative error "
                           f"{self.max_error:.1e}", digits=8)


def gradcheck_sample(f, *inputs, k: int = 10, eps: float = 1e-6, seed: int = 0,
                     tiny: float = 1e-8) -> SampledCheck:
    r"""Check ``k`` randomly chosen entries of each input's gradient of a scalar ``f``.

    A full check of a model with :math:`P` parameters costs :math:`2P`
    evaluations of ``f``: 200,000 forward passes for a small network of
    100,000 weights. A bug in a backward pass almost never spoils a single
    entry, but it may spoil a single *array* (a bias gradient not summed over
    the batch, say), so ``k`` random entries of *every* checked array are
    compared: one ``backward()`` and :math:`2k` evaluations per array, a
    fraction of the cost. (A few dozen entries drawn from all arrays pooled
    would usually miss a small array such as an output bias, often a few
    thousandths of the entries.)

    Parameters
    ----------
    f : callable
        ``f(*inputs)`` returns a scalar Tensor; it must be deterministic.
    *inputs : Tensor
        Those with ``requires_grad=True`` are checked. From each, ``k``
        entries are drawn uniformly, without repetition.
    k : int
        How many entries to check per input (all of an input's entries if it
        has fewer).
    eps : float
        The finite-difference step.
    seed : int
        Seed of the choice of entries.

    Returns
    -------
    SampledCheck
        ``max_error`` and one row per checked entry; ``.table()`` shows them.
    """
    checked = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    if not checked:
        raise ValueError("gradcheck_sample: none of the inputs requires grad, so there is nothing "
                         "to check. Create the tensors to check with requires_grad=True.")
    saved = [inputs[i].grad for i in checked]
    for i in checked:
        inputs[i].grad = None
    try:
        out = f(*inputs)
        _as_float(out, "gradcheck_sample")
        out.backward()
        grads = [np.zeros(inputs[i].shape) if inputs[i].grad is None
                 else _backend.to_numpy(inputs[i].grad).astype(float) for i in checked]
    finally:
        for i, g in zip(checked, saved):
            inputs[i].grad = g
    rng = np.random.default_rng(seed)
    picks = []                      # (position among the checked inputs, flat index), k per input
    for j, i in enumerate(checked):
        size = int(np.prod(inputs[i].shape))
        picks += [(j, int(p)) for p in sorted(rng.choice(size, size=min(k, size), replace=False))]
    rows = []
    with no_grad():
        for j, flat in picks:
            t = inputs[checked[j]]
            idx = tuple(int(v) for v in np.unravel_index(flat, t.shape))
            arr = t._data
            old = float(arr[idx])
            arr[idx] = old + eps
            up, f_plus = float(arr[idx]), _as_float(f(*inputs), "gradcheck_sample")
            arr[idx] = old - eps
            down, f_minus = float(arr[idx]), _as_float(f(*inputs), "gradcheck_sample")
            arr[idx] = old
            a, n = float(grads[j][idx]), (f_plus - f_minus) / (up - down)
            rows.append([checked[j], idx, a, n, float(relative_error(a, n, tiny))])
    return SampledCheck(max(r[4] for r in rows), rows)
