r"""Backpropagation written out by hand: no autodiff, only the delta rule.

This module is chapter 2 of the book in code. Each line of
:obj:`MLP.forward` and :obj:`MLP.backward` is one equation below.

Notation
--------
Layers :math:`l = 1, \dots, L`; layer :math:`l` has :math:`n_l` units and the
input has :math:`n_0` features. Batches are row-major: row :math:`n` of every
matrix is sample :math:`n`.

.. math::

    \begin{aligned}
    Z^{(0)} &= X && (N \times n_0)\\
    U^{(l)} &= Z^{(l-1)} W^{(l)\top} + b^{(l)} && (N \times n_l)
        \text{, pre-activations}\\
    Z^{(l)} &= f_l\bigl(U^{(l)}\bigr) && (N \times n_l)
        \text{, activations; } Y = Z^{(L)}\\
    E &= \frac{1}{N} \sum_{n=1}^{N} E_n\bigl(y_n, d_n\bigr)
        && \text{the batch loss, a mean over samples}
    \end{aligned}

:math:`W^{(l)}` has shape :math:`(n_l, n_{l-1})`, the layout of PyTorch's
``Linear.weight``, and :math:`b^{(l)}` shape :math:`(n_l,)`. The *delta* of
layer :math:`l` is the gradient of the loss with respect to its
pre-activations,

.. math::

    \delta^{(l)} = \frac{\partial E}{\partial U^{(l)}} \quad (N \times n_l),

and backpropagation is three equations:

.. math::

    \begin{aligned}
    \delta^{(l)} &= \bigl(\delta^{(l+1)} W^{(l+1)}\bigr) \odot f_l'\bigl(U^{(l)}\bigr)
        && l = L-1, \dots, 1\\
    \frac{\partial E}{\partial W^{(l)}} &= \delta^{(l)\top} Z^{(l-1)}\\
    \frac{\partial E}{\partial b^{(l)}} &= \textstyle\sum_n \delta^{(l)}_n
        && \text{(column sums)}
    \end{aligned}

started from the output delta
:math:`\delta^{(L)} = \frac{\partial E}{\partial Y} \odot f_L'(U^{(L)})` for an
element-wise output activation (for softmax, the product with its Jacobian:
see :obj:`MLP.output_delta`). For each of the three *matched* loss/output pairs
this simplifies to

.. math:: \delta^{(L)} = \frac{1}{N}\,(Y - D).

============== ============================================================= ==========
``loss``       per-sample loss :math:`E_n`                                   output
============== ============================================================= ==========
squared        :math:`\tfrac12 \lVert y - d \rVert^2`                         identity
log            :math:`-\sum_k [d_k \log y_k + (1 - d_k) \log (1 - y_k)]`     sigmoid
cross_entropy  :math:`-\sum_k d_k \log y_k`                                  softmax
============== ============================================================= ==========

Translating the slides: slide text 004 writes :math:`u` for pre-activations
and :math:`z` for activations, as here, with column vectors
(:math:`u = W z + b`); slide text 003 writes :math:`z` for pre-activations,
:math:`a` for activations and :math:`\Theta` for weights, with the bias as
column 0 of :math:`\Theta`; slide text 002 stores weights transposed,
:math:`H = A W + b` with :math:`W` of shape :math:`(n_{l-1}, n_l)` (see
:obj:`tanh_mlp_backward_slide002`).

Departures from PyTorch: the squared loss is :math:`\frac1N\sum_n \frac12
\lVert y_n - d_n\rVert^2`, which is *half* of ``mse_loss`` times the number
of outputs (``mse_loss`` averages over every element); the log loss summed
over outputs and averaged over samples equals ``binary_cross_entropy`` for one
output; the cross-entropy equals ``cross_entropy(U_L, labels)``.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import array_api_compat
import numpy as np

from .. import backend
from .._display import Table

__all__ = [
    "ACTIVATIONS",
    "OUTPUTS",
    "LOSSES",
    "MATCHED_PAIRS",
    "sigmoid",
    "softmax",
    "MLP",
    "tanh_mlp_backward_slide002",
    "Slide002Backward",
    "Slide001Comparison",
    "slide001_hidden_gradient",
]


def _xp(a):
    return backend.namespace_of(a)


# ----------------------------------------------------------------------------
# Activations and their derivatives (the table of slide text 004)
# ----------------------------------------------------------------------------

def sigmoid(u):
    r""":math:`\sigma(u) = 1 / (1 + e^{-u})`, computed without overflow for any ``u``."""
    xp = _xp(u)
    e = xp.exp(-xp.abs(u))  # never overflows
    return xp.where(u >= 0, 1 / (1 + e), e / (1 + e))


def softmax(u):
    r"""Row-wise :math:`y_k = e^{u_k} / \sum_j e^{u_j}` (the row maximum is
    subtracted first, which changes nothing but avoids overflow)."""
    xp = _xp(u)
    e = xp.exp(u - xp.max(u, axis=1, keepdims=True))
    return e / xp.sum(e, axis=1, keepdims=True)


#: Element-wise activations: ``name -> (f(u), f'(u) given u and the cached z = f(u))``.
#: The derivative uses the cached output where the slides do:
#: :math:`\sigma' = z(1 - z)`, :math:`\tanh' = 1 - z^2`. The ReLU derivative
#: at :math:`u = 0` is 0, as in PyTorch (slide text 004's table says 1; at a
#: single point it rarely matters, but it changes gradients exactly there).
ACTIVATIONS = {
    #            f(u)                            f'(u), from u and z = f(u)
    "identity": (lambda u: u,                    lambda u, z: _xp(u).ones_like(u)),
    "sigmoid":  (sigmoid,                        lambda u, z: z * (1 - z)),
    "tanh":     (lambda u: _xp(u).tanh(u),       lambda u, z: 1 - z * z),
    "relu":     (lambda u: _xp(u).maximum(u, 0), lambda u, z: _xp(u).astype(u > 0, u.dtype)),
}

#: Output activations: the element-wise ones, and softmax, whose derivative is
#: a Jacobian :math:`\partial y_k / \partial u_j = y_k(\mathbb{1}[k=j] - y_j)`
#: (handled in :obj:`MLP.output_delta`).
OUTPUTS = {**{k: f for k, (f, _) in ACTIVATIONS.items()}, "softmax": softmax}

#: Losses: ``name -> (E_n(Y, D) per sample (shape (N,)), dE_n/dY (shape (N, n_L)))``.
LOSSES = {
    "squared": (
        lambda y, d: 0.5 * _xp(y).sum((y - d) ** 2, axis=1),
        lambda y, d: y - d,
    ),
    "log": (
        lambda y, d: -_xp(y).sum(d * _xp(y).log(y) + (1 - d) * _xp(y).log(1 - y), axis=1),
        lambda y, d: (y - d) / (y * (1 - y)),
    ),
    "cross_entropy": (
        lambda y, d: -_xp(y).sum(d * _xp(y).log(y), axis=1),
        lambda y, d: -d / y,
    ),
}

#: The loss/output pairs for which :math:`\delta^{(L)} = (Y - D)/N`.
MATCHED_PAIRS = {"squared": "identity", "log": "sigmoid", "cross_entropy": "softmax"}

_MODULE_NAMES = {"sigmoid", "tanh", "relu", "identity", "softmax"}  # activation modules


def _check_name(kind, name, table):
    if name not in table:
        raise ValueError(
            f"manual.MLP: unknown {kind} {name!r}; choose one of "
            + ", ".join(repr(k) for k in table) + "."
        )


# ----------------------------------------------------------------------------
# The hand-written MLP
# ----------------------------------------------------------------------------

class MLP:
    r"""A multilayer perceptron whose gradients are computed by the delta rule.

    Parameters
    ----------
    sizes : list of int
        :math:`[n_0, n_1, \dots, n_L]`, e.g. ``[2, 2, 1]``.
    activation : str or list of str
        Hidden activation(s) :math:`f_1, \dots, f_{L-1}`: one name for all, or
        one per hidden layer; keys of :obj:`ACTIVATIONS`.
    output : str
        Output activation :math:`f_L`: a key of :obj:`OUTPUTS`.
    loss : str
        Per-sample loss, a key of :obj:`LOSSES`.
    weight_decay : float
        :math:`\lambda`: adds the penalty :math:`\frac{\lambda}{2}\sum_l
        \lVert W^{(l)}\rVert_F^2` to :math:`E` (weights only, biases are
        not penalized), whose gradient is :math:`\lambda W^{(l)}`. This is
        slide text 003's :math:`D = \frac1n\Delta + \lambda\Theta` for
        :math:`j \neq 0`.
    seed : int, optional
        Seed of the initial weights (default: draw from
        ``nnlearn.backend.rng()``). Weights and biases are drawn from
        :math:`\mathcal{U}(-1/\sqrt{n_{l-1}}, 1/\sqrt{n_{l-1}})`, the
        distribution of ``nn.Linear``'s default.

    Attributes
    ----------
    W, b : list of arrays
        ``W[l]`` is :math:`W^{(l)}`, ``b[l]`` is :math:`b^{(l)}`
        (``W[0]`` and ``b[0]`` are ``None``: index = layer number).
    U, Z : list of arrays
        Cached by :obj:`forward`: ``U[l]`` is :math:`U^{(l)}` (``U[0]`` is
        ``None``), ``Z[l]`` is :math:`Z^{(l)}`, ``Z[0]`` is :math:`X`.
    delta, dW, db : list of arrays
        Set by :obj:`backward`: :math:`\delta^{(l)}`,
        :math:`\partial E/\partial W^{(l)}`, :math:`\partial E/\partial b^{(l)}`
        at index ``l`` (index 0 is ``None``).
    deltas, grads, params : list
        The same, one entry per layer in order (Python index ``l - 1``):
        ``grads[i]`` is ``(dW, db)`` of layer ``i + 1``.

    Examples
    --------
    >>> net = MLP([2, 2, 1], activation="sigmoid", output="identity", loss="squared", seed=0)
    >>> Y = net.forward([[0.5, -1.0]])
    >>> grads = net.backward([[1.0]])          # [(dW1, db1), (dW2, db2)]
    >>> net.delta[1].shape                     # δ⁽¹⁾: N × n_1
    (1, 2)
    """

    def __init__(self, sizes, activation="sigmoid", output="identity", loss="squared",
                 weight_decay=0.0, seed=None):
        sizes = [int(n) for n in sizes]
        if len(sizes) < 2 or min(sizes) < 1:
            raise ValueError(
                f"manual.MLP: sizes must list at least the input and output widths, all "
                f">= 1, like [2, 2, 1]; got {sizes}."
            )
        L = len(sizes) - 1
        hidden = [activation] * (L - 1) if isinstance(activation, str) else list(activation)
        if len(hidden) != L - 1:
            raise ValueError(
                f"manual.MLP: {L - 1} hidden layers need {L - 1} activations, got {len(hidden)}."
            )
        for name in hidden:
            _check_name("activation", name, ACTIVATIONS)
        _check_name("output activation", output, OUTPUTS)
        _check_name("loss", loss, LOSSES)
        if weight_decay < 0:
            raise ValueError(f"manual.MLP: weight_decay must be >= 0, got {weight_decay}.")
        self.sizes, self.L = sizes, L
        self.act = [None, *hidden, output]  # act[l] is the name of f_l
        self.loss_name = loss
        self.weight_decay = weight_decay
        self.backend = backend.current()
        rng = backend.rng() if seed is None else np.random.default_rng(seed)
        self.W, self.b = [None], [None]
        for l in range(1, L + 1):
            bound = 1.0 / math.sqrt(sizes[l - 1])
            self.W.append(self.backend.asarray(rng.uniform(-bound, bound, (sizes[l], sizes[l - 1]))))
            self.b.append(self.backend.asarray(rng.uniform(-bound, bound, sizes[l])))
        self.U = self.Z = self.delta = self.dW = self.db = None

    # ------------------------------------------------------------------
    # Building from existing weights
    # ------------------------------------------------------------------

    @classmethod
    def from_weights(cls, weights, activation="sigmoid", output="identity", loss="squared",
                     weight_decay=0.0):
        r"""An MLP with the given ``[(W1, b1), (W2, b2), ...]``.

        Each :math:`W^{(l)}` has shape :math:`(n_l, n_{l-1})` (PyTorch's
        ``Linear`` layout) and each :math:`b^{(l)}` shape :math:`(n_l,)`;
        NumPy arrays, PyTorch tensors (detached) and nnlearn Tensors are
        accepted and *copied* onto the current backend.
        """
        weights = [(_host(W), _host(b)) for W, b in weights]
        if not weights:
            raise ValueError("manual.MLP.from_weights: got no layers.")
        sizes = [weights[0][0].shape[-1]] if weights[0][0].ndim == 2 else [0]
        for l, (W, b) in enumerate(weights, start=1):
            if W.ndim != 2 or W.shape[1] != sizes[-1] or b.shape != (W.shape[0],):
                raise ValueError(
                    f"manual.MLP.from_weights: layer {l} has W of shape {W.shape} and b of "
                    f"shape {b.shape}; expected W of shape (n_{l}, {sizes[-1]}) "
                    f"(out_features, in_features) and b of shape (n_{l},)."
                )
            sizes.append(W.shape[0])
        net = cls(sizes, activation=activation, output=output, loss=loss,
                  weight_decay=weight_decay, seed=0)
        for l, (W, b) in enumerate(weights, start=1):
            net.W[l] = net.backend.asarray(W)
            net.b[l] = net.backend.asarray(b)
        return net

    @classmethod
    def from_linears(cls, model, loss="squared", output=None, weight_decay=0.0):
        """An MLP with the weights and activations of a sequential model.

        ``model`` is an ``nnlearn.nn.Sequential`` or a ``torch.nn.Sequential``
        (or any list of modules) made of ``Linear`` layers, each followed by
        an optional activation module (``Sigmoid``, ``Tanh``, ``ReLU``,
        ``Identity``, ``Softmax``). A missing hidden activation is the
        identity. The module after the last ``Linear`` is the output
        activation; if there is none, ``output`` (default ``"identity"``) is
        used, e.g. ``output="softmax"`` for a model that returns logits.
        The weights are copied: the MLP does not share memory with ``model``.
        """
        modules = _module_list(model)
        layers, acts = [], []
        for m in modules:
            kind = type(m).__name__.lower()
            weight = getattr(m, "weight", None)
            if weight is not None and _host(weight).ndim == 2:
                bias = getattr(m, "bias", None)
                if bias is None:
                    raise ValueError(
                        "manual.MLP.from_linears: a Linear layer without bias is not supported; "
                        "build it with bias=True."
                    )
                layers.append((weight, bias))
                acts.append(None)
            elif kind in _MODULE_NAMES and layers:
                if acts[-1] is not None:
                    raise ValueError(f"manual.MLP.from_linears: two activations in a row ({kind}).")
                acts[-1] = kind
            else:
                raise ValueError(
                    f"manual.MLP.from_linears: cannot translate a {type(m).__name__} module; "
                    "expected Linear layers and Sigmoid/Tanh/ReLU/Identity/Softmax."
                )
        if not layers:
            raise ValueError("manual.MLP.from_linears: the model has no Linear layer.")
        hidden = [a or "identity" for a in acts[:-1]]
        last = acts[-1]
        if last is not None and output is not None and last != output:
            raise ValueError(
                f"manual.MLP.from_linears: the model ends with {last!r} but output={output!r}."
            )
        return cls.from_weights(layers, activation=hidden, output=last or output or "identity",
                                loss=loss, weight_decay=weight_decay)

    def to_sequential(self):
        """The same network as an ``nnlearn.nn.Sequential`` (weights copied).

        The softmax output is left out: the Sequential returns the logits
        :math:`U^{(L)}`, to be used with ``nnlearn.losses.cross_entropy``.
        """
        from .. import nn

        kinds = {"sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU, "identity": nn.Identity}
        modules = []
        for l in range(1, self.L + 1):
            linear = nn.Linear(self.sizes[l - 1], self.sizes[l])
            linear.weight.data = self.backend.asarray(backend.to_numpy(self.W[l]).copy())
            linear.bias.data = self.backend.asarray(backend.to_numpy(self.b[l]).copy())
            modules.append(linear)
            if l < self.L or self.act[l] in ("sigmoid", "tanh", "relu"):
                modules.append(kinds[self.act[l]]())
        return nn.Sequential(*modules)

    # ------------------------------------------------------------------
    # Forward pass
    # ------------------------------------------------------------------

    def forward(self, X):
        r"""Compute :math:`Y = Z^{(L)}`, caching every :math:`U^{(l)}` and :math:`Z^{(l)}`.

        .. math::

            Z^{(0)} = X,\qquad U^{(l)} = Z^{(l-1)} W^{(l)\top} + b^{(l)},\qquad
            Z^{(l)} = f_l\bigl(U^{(l)}\bigr)
        """
        X = self._inputs(X)
        self.U, self.Z = [None], [X]
        for l in range(1, self.L + 1):
            self.U.append(self.Z[l - 1] @ self.W[l].T + self.b[l])   # U⁽ˡ⁾ = Z⁽ˡ⁻¹⁾ W⁽ˡ⁾ᵀ + b⁽ˡ⁾
            self.Z.append(OUTPUTS[self.act[l]](self.U[l]))           # Z⁽ˡ⁾ = f_l(U⁽ˡ⁾)
        return self.Z[self.L]

    __call__ = forward

    def loss(self, X, D):
        r"""The batch loss :math:`E = \frac1N \sum_n E_n + \frac{\lambda}{2}\sum_l \lVert W^{(l)}\rVert_F^2`.

        Runs :obj:`forward` and returns a Python float. :math:`E_n` is
        evaluated from :math:`Y` as written in :obj:`LOSSES`, so an output
        that rounds to exactly 0 or 1 gives an infinite log loss; use
        ``nnlearn.losses`` (which works from logits) to train on such data.
        """
        Y = self.forward(X)
        xp = _xp(Y)
        D = self._targets(D, Y.shape[0])
        E_n, _ = LOSSES[self.loss_name]
        E = xp.mean(E_n(Y, D))
        for l in range(1, self.L + 1):
            E = E + self.weight_decay / 2 * xp.sum(self.W[l] ** 2)
        return float(E)

    # ------------------------------------------------------------------
    # Backward pass
    # ------------------------------------------------------------------

    @property
    def is_matched(self):
        """Whether (loss, output) is one of :obj:`MATCHED_PAIRS`."""
        return MATCHED_PAIRS[self.loss_name] == self.act[self.L]

    def output_delta(self, D, form="auto"):
        r"""The output delta :math:`\delta^{(L)} = \partial E / \partial U^{(L)}`.

        ``form="general"``: the chain rule through the output activation,

        .. math::

            \delta^{(L)} = \frac{\partial E}{\partial Y} \odot f_L'\bigl(U^{(L)}\bigr),
            \qquad \frac{\partial E}{\partial Y} = \frac1N \frac{\partial E_n}{\partial y_n}
            \text{ row by row,}

        and for softmax, whose Jacobian is :math:`\operatorname{diag}(y) - y y^\top`,
        :math:`\delta^{(L)} = Y \odot \bigl(G - (G \odot Y)\mathbf{1}\mathbf{1}^\top\bigr)`
        with :math:`G = \partial E/\partial Y`.

        ``form="matched"``: :math:`\delta^{(L)} = (Y - D)/N`, valid for the
        three matched pairs only (a ``ValueError`` otherwise).

        ``form="auto"`` (default): matched when the pair is matched, else
        general. Both forms agree for matched pairs (up to rounding); the
        matched one also works where :math:`y` rounds to 0 or 1.

        ``D`` holds targets :math:`d_n` in rows, shape :math:`(N, n_L)`;
        class labels (integers, shape :math:`(N,)`) are one-hot encoded for
        ``loss="cross_entropy"``, and shape :math:`(N,)` is accepted when
        :math:`n_L = 1`.
        """
        if self.Z is None:
            raise RuntimeError("manual.MLP: call forward(X) before output_delta/backward.")
        L = self.L
        Y, U = self.Z[L], self.U[L]
        N = Y.shape[0]
        D = self._targets(D, N)
        if form == "auto":
            form = "matched" if self.is_matched else "general"
        if form == "matched":
            if not self.is_matched:
                raise ValueError(
                    f"manual.MLP: (loss={self.loss_name!r}, output={self.act[L]!r}) is not a "
                    "matched pair, so δ⁽ᴸ⁾ ≠ (Y − D)/N; use form='general'. Matched pairs: "
                    + ", ".join(f"{k}+{v}" for k, v in MATCHED_PAIRS.items()) + "."
                )
            return (Y - D) / N                                     # δ⁽ᴸ⁾ = (Y − D)/N
        if form != "general":
            raise ValueError(f"manual.MLP: form must be 'auto', 'general' or 'matched', got {form!r}.")
        _, dE_n_dY = LOSSES[self.loss_name]
        G = dE_n_dY(Y, D) / N                                      # ∂E/∂Y
        if self.act[L] == "softmax":
            return Y * (G - _xp(Y).sum(G * Y, axis=1, keepdims=True))
        _, fprime = ACTIVATIONS[self.act[L]]
        return G * fprime(U, Y)                                    # ∂E/∂Y ⊙ f_L′(U⁽ᴸ⁾)

    def backward(self, D, form="auto"):
        r"""Backpropagate the deltas and compute every gradient.

        .. math::

            \delta^{(l)} = \bigl(\delta^{(l+1)} W^{(l+1)}\bigr) \odot f_l'\bigl(U^{(l)}\bigr),\quad
            \frac{\partial E}{\partial W^{(l)}} = \delta^{(l)\top} Z^{(l-1)} + \lambda W^{(l)},\quad
            \frac{\partial E}{\partial b^{(l)}} = \textstyle\sum_n \delta^{(l)}_n

        Call :obj:`forward` first. Stores ``delta``, ``dW``, ``db`` and
        returns :obj:`grads`, a list of ``(dW, db)`` per layer.
        ``form`` chooses the output delta (see :obj:`output_delta`).
        """
        delta = self._deltas(D, form)
        xp = _xp(delta[self.L])
        self.dW, self.db = [None], [None]
        for l in range(1, self.L + 1):
            self.dW.append(delta[l].T @ self.Z[l - 1] + self.weight_decay * self.W[l])
            self.db.append(xp.sum(delta[l], axis=0))               # biases: no decay
        self.delta = delta
        return self.grads

    def _deltas(self, D, form):
        delta = [None] * (self.L + 1)
        delta[self.L] = self.output_delta(D, form)                 # δ⁽ᴸ⁾
        for l in range(self.L - 1, 0, -1):
            _, fprime = ACTIVATIONS[self.act[l]]
            delta[l] = (delta[l + 1] @ self.W[l + 1]) * fprime(self.U[l], self.Z[l])
        return delta

    def gradient(self, X, D, form="auto"):
        """:obj:`forward` then :obj:`backward`: the list of ``(dW, db)`` per layer."""
        self.forward(X)
        return self.backward(D, form)

    def backward_per_sample(self, X, D, form="auto"):
        r"""The same gradients, one sample at a time (slide text 003's algorithm).

        .. math::

            \begin{aligned}
            &\Delta^{(l)} \leftarrow 0 \text{ for all } l\\
            &\textbf{for } n = 1, \dots, N:\\
            &\quad \text{forward } x_n;\ \text{backpropagate the deltas } \delta^{(l)}_n
                \text{ of } E_n\\
            &\quad \Delta^{(l)} \leftarrow \Delta^{(l)} + \delta^{(l)}_n\, z^{(l-1)\top}_n
                \quad \text{(an outer product)}\\
            &\frac{\partial E}{\partial W^{(l)}} = \frac1N \Delta^{(l)} + \lambda W^{(l)},\qquad
             \frac{\partial E}{\partial b^{(l)}} = \frac1N \sum_n \delta^{(l)}_n
            \end{aligned}

        Sets ``dW`` and ``db`` (the per-sample deltas are not kept, and the
        forward caches are cleared) and returns :obj:`grads`. It is the
        vectorized :obj:`backward` with the sum over samples written as a
        Python loop: :math:`N` small products instead of one large one, which
        is why the matrix form is what GPUs run.
        """
        X = self._inputs(X)
        N = X.shape[0]
        D = self._targets(D, N)
        xp = _xp(X)
        Delta_W = [None] + [xp.zeros_like(self.W[l]) for l in range(1, self.L + 1)]
        Delta_b = [None] + [xp.zeros_like(self.b[l]) for l in range(1, self.L + 1)]
        for n in range(N):
            self.forward(X[n:n + 1])                               # one sample, a 1-row batch
            delta = self._deltas(D[n:n + 1], form)                 # deltas of E_n
            for l in range(1, self.L + 1):
                Delta_W[l] += delta[l].T @ self.Z[l - 1]           # Δ⁽ˡ⁾ += δ⁽ˡ⁾ z⁽ˡ⁻¹⁾ᵀ
                Delta_b[l] += delta[l][0]
        self.dW = [None] + [Delta_W[l] / N + self.weight_decay * self.W[l] for l in range(1, self.L + 1)]
        self.db = [None] + [Delta_b[l] / N for l in range(1, self.L + 1)]
        self.U = self.Z = self.delta = None
        return self.grads

    def step(self, lr):
        r"""One gradient-descent step :math:`W^{(l)} \leftarrow W^{(l)} - \eta\,
        \partial E/\partial W^{(l)}` (and the same for :math:`b^{(l)}`), in place."""
        if self.dW is None:
            raise RuntimeError("manual.MLP.step: compute the gradients first (backward).")
        for l in range(1, self.L + 1):
            self.W[l] -= lr * self.dW[l]
            self.b[l] -= lr * self.db[l]

    # ------------------------------------------------------------------
    # Views
    # ------------------------------------------------------------------

    @property
    def params(self):
        """``[(W1, b1), ..., (WL, bL)]``."""
        return list(zip(self.W[1:], self.b[1:]))

    @property
    def grads(self):
        """``[(dW1, db1), ..., (dWL, dbL)]`` from the last backward pass."""
        if self.dW is None:
            return None
        return list(zip(self.dW[1:], self.db[1:]))

    @property
    def deltas(self):
        """``[δ1, ..., δL]`` from the last :obj:`backward`."""
        return None if self.delta is None else self.delta[1:]

    @property
    def activations(self):
        """The names ``[f_1, ..., f_L]``."""
        return self.act[1:]

    def summary(self):
        """A table of the layers: shapes of :math:`W, U, Z, \\delta` and gradient norms."""
        xp = self.backend.xp
        rows = []
        for l in range(1, self.L + 1):
            shape = lambda a: "" if a is None else "×".join(str(s) for s in a.shape)
            cache = (lambda lst: None if lst is None else lst[l])
            grad = self.dW[l] if self.dW is not None else None
            rows.append([l, self.act[l], shape(self.W[l]), shape(cache(self.U)),
                         shape(cache(self.delta)),
                         "" if grad is None else float(xp.sqrt(xp.sum(grad * grad)))])
        return Table(["l", "f_l", "W⁽ˡ⁾", "U⁽ˡ⁾, Z⁽ˡ⁾", "δ⁽ˡ⁾", "‖∂E/∂W⁽ˡ⁾‖"], rows,
                     title=f"MLP {self.sizes}, loss={self.loss_name}")

    def __repr__(self):
        hidden = self.act[1:-1]
        act = hidden[0] if len(set(hidden)) == 1 else hidden
        return (f"MLP(sizes={self.sizes}, activation={act!r}, output={self.act[self.L]!r}, "
                f"loss={self.loss_name!r}, weight_decay={self.weight_decay})")

    # ------------------------------------------------------------------
    # Inputs
    # ------------------------------------------------------------------

    def _inputs(self, X):
        X = self.backend.asarray(_host_or_array(X, self.backend))
        if X.ndim != 2 or X.shape[1] != self.sizes[0]:
            raise ValueError(
                f"manual.MLP: X has shape {tuple(X.shape)}, expected (N, {self.sizes[0]}) "
                "(one sample per row). For one sample x use X = x.reshape(1, -1)."
            )
        return X

    def _targets(self, D, N):
        xp = self.backend.xp
        K = self.sizes[-1]
        D = self.backend.asarray(_host_or_array(D, self.backend))
        if D.ndim == 1 and xp.isdtype(D.dtype, "integral"):
            if self.loss_name != "cross_entropy":
                D = xp.astype(D, self.backend.dtype)
            else:  # class labels → one-hot rows
                labels = xp.reshape(D, (-1, 1))
                D = xp.astype(labels == xp.arange(K, device=array_api_compat.device(D)),
                              self.backend.dtype)
        if D.ndim == 1 and K == 1:
            D = xp.reshape(D, (-1, 1))
        if xp.isdtype(D.dtype, "integral") or xp.isdtype(D.dtype, "bool"):
            D = xp.astype(D, self.backend.dtype)
        if tuple(D.shape) != (N, K):
            raise ValueError(
                f"manual.MLP: targets D have shape {tuple(D.shape)}, expected ({N}, {K}) "
                "(one target row per sample"
                + (", or N integer class labels)" if self.loss_name == "cross_entropy" else ")")
                + "."
            )
        return D


def _host(a):
    """Any array, tensor or Parameter as a NumPy copy."""
    return np.array(backend.to_numpy(a))


def _host_or_array(a, b):
    """Leave arrays of backend ``b`` alone; bring anything else to the host."""
    if backend.is_backend_array(a) and backend.backend_of(a) == b.name:
        return a
    return backend.to_numpy(a) if hasattr(a, "data") or array_api_compat.is_array_api_obj(a) else a


def _module_list(model):
    for attr in ("layers", "modules_list", "_modules_list"):
        if isinstance(getattr(model, attr, None), (list, tuple)):
            return list(getattr(model, attr))
    try:
        return list(model)
    except TypeError:
        raise TypeError(
            f"manual.MLP.from_linears: cannot list the modules of {type(model).__name__}; "
            "pass a Sequential or a list of modules."
        ) from None


# ----------------------------------------------------------------------------
# Slide text 001's hidden-layer gradient, beside the delta rule's
# ----------------------------------------------------------------------------

class Slide001Comparison(NamedTuple):
    """What :obj:`slide001_hidden_gradient` returns, one entry per sample."""

    y: np.ndarray       #: the output y_n
    ours: np.ndarray    #: ∂E_n/∂W⁽¹⁾₂₂ by the delta rule
    slide: np.ndarray   #: slide 001's formula, without σ′(u⁽²⁾)


def slide001_hidden_gradient(net, X, D) -> Slide001Comparison:
    r"""Slide text 001's gradient of :math:`W^{(1)}_{22}` (its :math:`w^h_{2,2}`)
    beside the delta rule's, for each sample of a 2-2-1 sigmoid network.

    Per sample, with :math:`E_n = \tfrac12(y - d)^2`, the delta rule gives
    :math:`\partial E_n/\partial W^{(1)}_{22} = (y-d)\,y(1-y)\,W^{(2)}_{12}\,z^{(1)}_2(1-z^{(1)}_2)\,x_2`;
    the slide writes the same product without :math:`\sigma'(u^{(2)}) = y(1-y)`,
    so ``ours / slide`` is :math:`y(1-y) \le \tfrac14` and depends on the sample
    (see ``nnlearn.course.errata.slide001_hidden_gradient``).
    """
    if net.sizes != [2, 2, 1] or net.act[1:] != ["sigmoid", "sigmoid"] or net.loss_name != "squared":
        raise ValueError("slide001_hidden_gradient: needs slide 001's network, a 2-2-1 MLP with "
                         "sigmoid hidden and output units and the squared loss.")
    X = np.asarray(backend.to_numpy(net._inputs(X)), dtype=float)
    D = np.asarray(backend.to_numpy(net._targets(D, X.shape[0])), dtype=float)[:, 0]
    ours = []
    for n in range(X.shape[0]):                       # per-sample gradients: a batch of one
        net.gradient(X[n:n + 1], D[n:n + 1])
        ours.append(float(np.asarray(backend.to_numpy(net.dW[1]))[1, 1]))
    net.forward(X)
    y = np.asarray(backend.to_numpy(net.Z[2]), dtype=float)[:, 0]
    z2 = np.asarray(backend.to_numpy(net.Z[1]), dtype=float)[:, 1]
    w = float(np.asarray(backend.to_numpy(net.W[2]))[0, 1])
    slide = (y - D) * w * z2 * (1 - z2) * X[:, 1]      # (y − d) W⁽²⁾₁₂ z₂(1 − z₂) x₂
    return Slide001Comparison(y, np.asarray(ours), slide)


# ----------------------------------------------------------------------------
# Slide text 002's convention: H = A W + b, tanh hidden layers, linear output
# ----------------------------------------------------------------------------

class Slide002Backward(NamedTuple):
    """What :obj:`tanh_mlp_backward_slide002` returns."""

    F: object        #: the network output F
    A: list          #: A[0] = X, A[k] = tanh(H_k)
    G: list          #: G[k] multiplies A[k] in the gradient of W_k
    grads: list      #: [(dL/dW_k, dL/db_k)] in the slide's shapes: (p_k, p_{k+1}), (1, p_{k+1})


def tanh_mlp_backward_slide002(X, Y, weights, biases):
    r"""Backpropagation in slide text 002's transposed convention.

    Forward: :math:`H_1 = X W_0 + b_0`, :math:`A_k = \tanh(H_k)`,
    :math:`H_{k+1} = A_k W_k + b_k`, output :math:`F = A_\ell W_\ell + b_\ell`
    (linear), loss :math:`\mathcal{L} = \frac12 \sum_{i,j}(F_{ij} - Y_{ij})^2`
    (a *sum* over samples). Each :math:`W_k` has shape
    :math:`(p_k, p_{k+1})` (inputs × outputs, the transpose of PyTorch's
    layout) and :math:`b_k` shape :math:`(1, p_{k+1})`. Backward, with
    :math:`A_0 = X`:

    .. math::

        G_\ell = F - Y,\qquad
        G_{k-1} = (1 - A_k \odot A_k) \odot \bigl(G_k W_k^\top\bigr),\qquad
        \frac{\partial \mathcal{L}}{\partial W_k} = A_k^\top G_k,\qquad
        \frac{\partial \mathcal{L}}{\partial b_k} = \mathbf{1}^\top G_k.

    Translation: :math:`W_k = W^{(k+1)\top}` and :math:`G_k = N\,\delta^{(k+1)}`
    of :class:`MLP` (``activation="tanh", output="identity",
    loss="squared"``), so these gradients are :math:`N` times the transposes
    of :class:`MLP`'s.

    Parameters
    ----------
    X : array, shape (n, p_0)
    Y : array, shape (n, p_{ℓ+1})
    weights : list of arrays ``[W_0, ..., W_ℓ]``
    biases : list of arrays ``[b_0, ..., b_ℓ]``, each of shape (1, p) or (p,)
    """
    b = backend.current()
    X, Y = b.asarray(_host(X)), b.asarray(_host(Y))
    Ws = [b.asarray(_host(W)) for W in weights]
    bs = [b.asarray(_host(v).reshape(1, -1)) for v in biases]
    xp = b.xp
    A = [X]
    for W, v in zip(Ws[:-1], bs[:-1]):
        A.append(xp.tanh(A[-1] @ W + v))                 # A_{k+1} = tanh(A_k W_k + b_k)
    F = A[-1] @ Ws[-1] + bs[-1]                         # F = A_ℓ W_ℓ + b_ℓ
    ell = len(Ws) - 1
    G = [None] * (ell + 1)
    G[ell] = F - Y                                      # G_ℓ = F − Y
    for k in range(ell, 0, -1):
        G[k - 1] = (1 - A[k] * A[k]) * (G[k] @ Ws[k].T)  # G_{k−1} = (1 − A_k⊙A_k) ⊙ (G_k W_kᵀ)
    grads = [(A[k].T @ G[k], xp.sum(G[k], axis=0, keepdims=True)) for k in range(ell + 1)]
    return Slide002Backward(F, A, G, grads)
