r"""Optimizers: PyTorch's update rules, one small class each.

Read the file top to bottom, simple to complex: :class:`SGD` (with momentum
and Nesterov), :class:`Adagrad`, :class:`RMSprop`, :class:`Adadelta`, :class:`Adam`,
:class:`AdamW`. Each ``_update`` is the algorithm box of its docstring written
in array code, for one parameter ``p`` with gradient ``g`` and per-parameter
``state``; the bookkeeping shared by all (parameter groups, ``zero_grad``,
``state_dict``) is in :obj:`nnlearn.optim.optimizer`.

Given the same hyperparameters and the same gradients, every optimizer here
follows the same trajectory as its ``torch.optim`` namesake (the tests check
this to :math:`10^{-10}` in float64 over many steps).

Updates are in place on ``p._data`` (the array behind ``p.data``) and work on
every backend (NumPy arrays, PyTorch tensors): the array namespace ``xp`` comes from the parameter.
Learning-rate schedules are in :obj:`nnlearn.optim.lr_scheduler`.
"""

from __future__ import annotations

import math
import numbers

from .. import backend
from . import lr_scheduler
from .optimizer import Optimizer

__all__ = ["Optimizer", "SGD", "Adagrad", "RMSprop", "Adadelta", "Adam", "AdamW", "lr_scheduler"]


def _check(name, value, ok, what):
    """Raise ValueError unless ``ok()``; a value that is not a real number
    raises TypeError first (PyTorch fails there with "'<' not supported")."""
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        raise TypeError(f"{name}: {what.split(' (')[0]} must be a real number, got "
                        f"{type(value).__name__} {value!r}.")
    if not ok():
        raise ValueError(f"{name}: invalid {what}: {value!r}.")


def _copy(a):
    return backend.namespace_of(a).asarray(a, copy=True)


# ----------------------------------------------------------------------------
# SGD
# ----------------------------------------------------------------------------

class SGD(Optimizer):
    r"""Stochastic gradient descent, optionally with momentum (as ``torch.optim.SGD``).

    .. math::

        \begin{aligned}
        &\textbf{input}: \gamma \text{ (lr)},\ \theta_0 \text{ (params)},\
            f(\theta) \text{ (objective)},\ \lambda \text{ (weight}\_\text{decay)},\\
        &\hspace{13mm} \mu \text{ (momentum)},\ \tau \text{ (dampening)},\
            \textit{nesterov},\ \textit{maximize}\\
        &\textbf{for}\ t = 1, 2, \ldots\ \textbf{do}\\
        &\quad g_t \leftarrow \nabla_\theta f_t(\theta_{t-1})\\
        &\quad \textbf{if}\ \textit{maximize}:\ g_t \leftarrow -g_t\\
        &\quad \textbf{if}\ \lambda \neq 0:\ g_t \leftarrow g_t + \lambda \theta_{t-1}\\
        &\quad \textbf{if}\ \mu \neq 0:\\
        &\qquad \textbf{if}\ t > 1:\ b_t \leftarrow \mu b_{t-1} + (1 - \tau) g_t\\
        &\qquad \textbf{else}:\ b_t \leftarrow g_t\\
        &\qquad \textbf{if}\ \textit{nesterov}:\ g_t \leftarrow g_t + \mu b_t\\
        &\qquad \textbf{else}:\ g_t \leftarrow b_t\\
        &\quad \theta_t \leftarrow \theta_{t-1} - \gamma g_t\\
        &\textbf{return}\ \theta_t
        \end{aligned}

    Momentum: Polyak (1964), *Some methods of speeding up the convergence of
    iteration methods*; the Nesterov form as in Sutskever, Martens, Dahl &
    Hinton (2013), *On the importance of initialization and momentum in deep
    learning*, ICML.

    Parameters
    ----------
    params : iterable
        Parameters or parameter groups (see :class:`nnlearn.optim.Optimizer`).
    lr : float
        Learning rate :math:`\gamma` (default ``1e-3``, as in PyTorch).
    momentum : float
        Momentum factor :math:`\mu` (default 0: plain SGD).
    dampening : float
        Dampening :math:`\tau` of the momentum (default 0).
    weight_decay : float
        L2 penalty :math:`\lambda`: adds :math:`\lambda\theta` to the gradient,
        the gradient of :math:`\tfrac{\lambda}{2}\|\theta\|^2` (biases included,
        unless they are put in a group with ``weight_decay=0``).
    nesterov : bool
        Nesterov momentum (needs ``momentum > 0`` and ``dampening == 0``).
    maximize : bool
        Maximize the objective instead of minimizing it.

    Notes
    -----
    **Where the learning rate sits.** PyTorch (and nnlearn) keep the
    learning rate *outside* the momentum buffer,

    .. math::

        b_t = \mu b_{t-1} + g_t, \qquad \theta_t = \theta_{t-1} - \gamma_t b_t,

    while the slides (and Sutskever et al.) put it *inside*,
    :math:`v_t = \mu v_{t-1} + \gamma_t g_t,\ \theta_t = \theta_{t-1} - v_t`.
    While :math:`\gamma` is constant the two are the same method
    (:math:`v_t = \gamma b_t`, step for step). They differ once a scheduler
    changes :math:`\gamma` during training: after a drop from :math:`\gamma`
    to :math:`\gamma'`, PyTorch's next step is :math:`\gamma'(\mu b + g)`, so
    the whole accumulated velocity is rescaled at once, whereas the slides'
    :math:`\mu v + \gamma' g` keeps the old velocity, taken at the old rate,
    and lets it fade by :math:`\mu` per step. (Tested in
    ``tests/test_optim.py``: equal for a constant rate, different under
    ``StepLR``.)

    **The two momentum conventions of the course slides**, and the PyTorch
    settings that reproduce them exactly (with zero initial velocity):

    * Slide text 004: :math:`w_{t+1} = w_t - \epsilon \nabla E_t + \mu v_t`
      with :math:`v_t = w_t - w_{t-1}`. Writing :math:`\Delta_t = w_{t+1} - w_t
      = \mu \Delta_{t-1} - \epsilon \nabla E_t` shows that
      :math:`\Delta_t = -\epsilon b_t`: this is ``SGD(params, lr=ε,
      momentum=μ)``.
    * Slide text 001: :math:`v_t \leftarrow \mu v_{t-1} + (1 - \mu)\eta g_t`,
      :math:`w \leftarrow w - v_t`. Here :math:`v_t = (1-\mu)\eta\, b_t`, so it
      is ``SGD(params, lr=(1 - μ) * η, momentum=μ)``: an exponential moving
      *average* of the gradients with step :math:`\eta` is a momentum *sum*
      with step :math:`(1-\mu)\eta`. ``SGD(params, lr=η, momentum=μ,
      dampening=μ)`` is nearly the same but not exactly: PyTorch does not
      dampen the first step (:math:`b_1 = g_1`, not :math:`(1-\mu) g_1`), so
      its step :math:`\eta b_t` differs from the slide's :math:`v_t` by
      :math:`\eta\,\mu^t g_1`, a difference that fades geometrically.

    Examples
    --------
    >>> opt = SGD(model.parameters(), lr=0.1, momentum=0.9)  # doctest: +SKIP
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0,
                 nesterov=False, maximize=False):
        _check("SGD", lr, lambda: lr >= 0, "learning rate lr (must be >= 0)")
        _check("SGD", momentum, lambda: momentum >= 0, "momentum (must be >= 0)")
        _check("SGD", weight_decay, lambda: weight_decay >= 0, "weight_decay (must be >= 0)")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError(
                "SGD: Nesterov momentum requires a momentum > 0 and zero dampening "
                f"(got momentum={momentum}, dampening={dampening})."
            )
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov,
                                      maximize=maximize))

    def _update(self, p, g, state, group):
        lr, mu, tau, wd = group["lr"], group["momentum"], group["dampening"], group["weight_decay"]
        if group["maximize"]:
            g = -g
        if wd != 0:
            g = g + wd * p._data
        if mu != 0:
            if "momentum_buffer" not in state:
                state["momentum_buffer"] = b = _copy(g)     # b_1 = g_1: no dampening
            else:
                b = state["momentum_buffer"]
                b *= mu
                b += (1 - tau) * g                          # b_t = μ b_{t-1} + (1 - τ) g_t
            g = g + mu * b if group["nesterov"] else b
        p._data -= lr * g


# ----------------------------------------------------------------------------
# Adagrad
# ----------------------------------------------------------------------------

class Adagrad(Optimizer):
    r"""Adagrad: each coordinate's step divided by its accumulated gradient size.

    .. math::

        \begin{aligned}
        &\textbf{input}: \gamma \text{ (lr)},\ \theta_0 \text{ (params)},\
            f(\theta) \text{ (objective)},\ \lambda \text{ (weight}\_\text{decay)},\\
        &\hspace{13mm} \eta \text{ (lr}\_\text{decay)},\ \tau \text{ (initial}\_\text{accumulator}\_\text{value)},\
            \epsilon \text{ (eps)}\\
        &\textbf{initialize}: \textit{state}\_\textit{sum}_0 \leftarrow \tau\\
        &\textbf{for}\ t = 1, 2, \ldots\ \textbf{do}\\
        &\quad g_t \leftarrow \nabla_\theta f_t(\theta_{t-1})
            \quad (\textbf{if}\ \textit{maximize}:\ g_t \leftarrow -g_t)\\
        &\quad \tilde{\gamma} \leftarrow \gamma / \bigl(1 + (t-1)\eta\bigr)\\
        &\quad \textbf{if}\ \lambda \neq 0:\ g_t \leftarrow g_t + \lambda \theta_{t-1}\\
        &\quad \textit{state}\_\textit{sum}_t \leftarrow \textit{state}\_\textit{sum}_{t-1} + g_t^2\\
        &\quad \theta_t \leftarrow \theta_{t-1}
            - \tilde{\gamma}\, \frac{g_t}{\sqrt{\textit{state}\_\textit{sum}_t} + \epsilon}\\
        &\textbf{return}\ \theta_t
        \end{aligned}

    Squares, square roots and divisions are element-wise: every weight gets its
    own effective learning rate, small where gradients have been large.
    Duchi, Hazan & Singer (2011), *Adaptive subgradient methods for online
    learning and stochastic optimization*, JMLR 12.

    Parameters
    ----------
    params : iterable
    lr : float
        :math:`\gamma`, default ``0.01``.
    lr_decay : float
        :math:`\eta`, default 0.
    weight_decay : float
        :math:`\lambda`, default 0.
    initial_accumulator_value : float
        :math:`\tau`, default 0.
    eps : float
        :math:`\epsilon`, default ``1e-10``, added *outside* the square root.
    maximize : bool
    """

    def __init__(self, params, lr=0.01, lr_decay=0, weight_decay=0,
                 initial_accumulator_value=0, eps=1e-10, maximize=False):
        _check("Adagrad", lr, lambda: lr >= 0, "learning rate lr (must be >= 0)")
        _check("Adagrad", lr_decay, lambda: lr_decay >= 0, "lr_decay (must be >= 0)")
        _check("Adagrad", weight_decay, lambda: weight_decay >= 0, "weight_decay (must be >= 0)")
        _check("Adagrad", initial_accumulator_value, lambda: initial_accumulator_value >= 0,
               "initial_accumulator_value (must be >= 0)")
        _check("Adagrad", eps, lambda: eps >= 0, "eps (must be >= 0)")
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value,
                                      eps=eps, maximize=maximize))

    def _update(self, p, g, state, group):
        xp = backend.namespace_of(p._data)
        if not state:
            state["step"] = 0
            state["sum"] = xp.full_like(p._data, group["initial_accumulator_value"])
        state["step"] += 1
        t = state["step"]
        if group["maximize"]:
            g = -g
        if group["weight_decay"] != 0:
            g = g + group["weight_decay"] * p._data
        clr = group["lr"] / (1 + (t - 1) * group["lr_decay"])
        state["sum"] += g * g
        p._data -= clr * g / (xp.sqrt(state["sum"]) + group["eps"])


# ----------------------------------------------------------------------------
# RMSprop
# ----------------------------------------------------------------------------

class RMSprop(Optimizer):
    r"""RMSprop: divide by a running root mean square of recent gradients.

    .. math::

        \begin{aligned}
        &\textbf{input}: \gamma \text{ (lr)},\ \theta_0 \text{ (params)},\
            f(\theta) \text{ (objective)},\ \alpha \text{ (alpha)},\
            \lambda \text{ (weight}\_\text{decay)},\\
        &\hspace{13mm} \mu \text{ (momentum)},\ \textit{centered},\ \epsilon \text{ (eps)}\\
        &\textbf{initialize}: v_0 \leftarrow 0,\ b_0 \leftarrow 0,\ g^{ave}_0 \leftarrow 0\\
        &\textbf{for}\ t = 1, 2, \ldots\ \textbf{do}\\
        &\quad g_t \leftarrow \nabla_\theta f_t(\theta_{t-1})
            \quad (\textbf{if}\ \textit{maximize}:\ g_t \leftarrow -g_t)\\
        &\quad \textbf{if}\ \lambda \neq 0:\ g_t \leftarrow g_t + \lambda \theta_{t-1}\\
        &\quad v_t \leftarrow \alpha v_{t-1} + (1 - \alpha) g_t^2\\
        &\quad \tilde{v}_t \leftarrow v_t\\
        &\quad \textbf{if}\ \textit{centered}:\
            g^{ave}_t \leftarrow \alpha g^{ave}_{t-1} + (1 - \alpha) g_t,\quad
            \tilde{v}_t \leftarrow v_t - \bigl(g^{ave}_t\bigr)^2\\
        &\quad \textbf{if}\ \mu > 0:\
            b_t \leftarrow \mu b_{t-1} + g_t / \bigl(\sqrt{\tilde{v}_t} + \epsilon\bigr),\quad
            \theta_t \leftarrow \theta_{t-1} - \gamma b_t\\
        &\quad \textbf{else}:\
            \theta_t \leftarrow \theta_{t-1} - \gamma\, g_t / \bigl(\sqrt{\tilde{v}_t} + \epsilon\bigr)\\
        &\textbf{return}\ \theta_t
        \end{aligned}

    Like Adagrad, but the squared gradients are *averaged* with decay
    :math:`\alpha` instead of summed, so old gradients are forgotten and the
    step size does not shrink to zero. Proposed by Hinton in his Coursera
    lecture 6.5 (2012, unpublished); the centered version, which divides by an
    estimate of the gradient's *variance*, is from Graves (2013), *Generating
    sequences with recurrent neural networks*, arXiv:1308.0850.

    Parameters
    ----------
    params : iterable
    lr : float
        :math:`\gamma`, default ``0.01``.
    alpha : float
        Smoothing constant :math:`\alpha`, default ``0.99``.
    eps : float
        :math:`\epsilon`, default ``1e-8``.
    weight_decay : float
    momentum : float
        :math:`\mu`, default 0.
    centered : bool
    maximize : bool

    Notes
    -----
    PyTorch (and nnlearn) add :math:`\epsilon` *outside* the square root;
    TensorFlow/Keras add it inside, :math:`\sqrt{v + \epsilon}`, which differs
    when :math:`v` is tiny.
    """

    def __init__(self, params, lr=0.01, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, maximize=False):
        _check("RMSprop", lr, lambda: lr >= 0, "learning rate lr (must be >= 0)")
        _check("RMSprop", eps, lambda: eps >= 0, "eps (must be >= 0)")
        _check("RMSprop", momentum, lambda: momentum >= 0, "momentum (must be >= 0)")
        _check("RMSprop", weight_decay, lambda: weight_decay >= 0, "weight_decay (must be >= 0)")
        _check("RMSprop", alpha, lambda: alpha >= 0, "alpha (must be >= 0)")
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                                      momentum=momentum, centered=centered, maximize=maximize))

    def _update(self, p, g, state, group):
        xp = backend.namespace_of(p._data)
        alpha, mu = group["alpha"], group["momentum"]
        if not state:
            state["step"] = 0
            state["square_avg"] = xp.zeros_like(p._data)
            if mu > 0:
                state["momentum_buffer"] = xp.zeros_like(p._data)
            if group["centered"]:
                state["grad_avg"] = xp.zeros_like(p._data)
        state["step"] += 1
        if group["maximize"]:
            g = -g
        if group["weight_decay"] != 0:
            g = g + group["weight_decay"] * p._data
        v = state["square_avg"]
        v *= alpha
        v += (1 - alpha) * g * g                      # v_t = α v_{t-1} + (1 - α) g²
        if group["centered"]:
            g_ave = state["grad_avg"]
            g_ave += (1 - alpha) * (g - g_ave)        # = α g_ave + (1 - α) g, rounded as PyTorch
            denom = xp.sqrt(v - g_ave * g_ave) + group["eps"]
        else:
            denom = xp.sqrt(v) + group["eps"]
        if mu > 0:
            b = state["momentum_buffer"]
            b *= mu
            b += g / denom
            p._data -= group["lr"] * b
        else:
            p._data -= group["lr"] * g / denom


# ----------------------------------------------------------------------------
# Adadelta
# ----------------------------------------------------------------------------

class Adadelta(Optimizer):
    r"""Adadelta: RMSprop whose step is rescaled by a running RMS of past *updates*.

    .. math::

        \begin{aligned}
        &\textbf{input}: \gamma \text{ (lr)},\ \theta_0 \text{ (params)},\
            f(\theta) \text{ (objective)},\ \rho \text{ (rho)},\
            \lambda \text{ (weight}\_\text{decay)},\ \epsilon \text{ (eps)}\\
        &\textbf{initialize}: v_0 \leftarrow 0 \text{ (square avg.)},\
            u_0 \leftarrow 0 \text{ (accumulate variables)}\\
        &\textbf{for}\ t = 1, 2, \ldots\ \textbf{do}\\
        &\quad g_t \leftarrow \nabla_\theta f_t(\theta_{t-1})
            \quad (\textbf{if}\ \textit{maximize}:\ g_t \leftarrow -g_t)\\
        &\quad \textbf{if}\ \lambda \neq 0:\ g_t \leftarrow g_t + \lambda \theta_{t-1}\\
        &\quad v_t \leftarrow \rho v_{t-1} + (1 - \rho) g_t^2\\
        &\quad \Delta x_t \leftarrow \frac{\sqrt{u_{t-1} + \epsilon}}{\sqrt{v_t + \epsilon}}\, g_t\\
        &\quad u_t \leftarrow \rho u_{t-1} + (1 - \rho) \Delta x_t^2\\
        &\quad \theta_t \leftarrow \theta_{t-1} - \gamma \Delta x_t\\
        &\textbf{return}\ \theta_t
        \end{aligned}

    The ratio of the two RMS values gives the update the units of the
    parameter (Zeiler's argument from Newton's method), so the method needs no
    learning rate: PyTorch keeps ``lr`` (default 1.0) as a plain multiplier.
    Zeiler (2012), *ADADELTA: an adaptive learning rate method*, arXiv:1212.5701.

    Parameters
    ----------
    params : iterable
    lr : float
        :math:`\gamma`, default ``1.0``.
    rho : float
        :math:`\rho`, default ``0.9``, in :math:`[0, 1]`.
    eps : float
        :math:`\epsilon`, default ``1e-6``, *inside* both square roots.
    weight_decay : float
    maximize : bool
    """

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, maximize=False):
        _check("Adadelta", lr, lambda: lr >= 0, "learning rate lr (must be >= 0)")
        _check("Adadelta", rho, lambda: 0 <= rho <= 1, "rho value (must be in [0, 1])")
        _check("Adadelta", eps, lambda: eps >= 0, "epsilon value eps (must be >= 0)")
        _check("Adadelta", weight_decay, lambda: weight_decay >= 0, "weight_decay (must be >= 0)")
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay,
                                      maximize=maximize))

    def _update(self, p, g, state, group):
        xp = backend.namespace_of(p._data)
        rho, eps = group["rho"], group["eps"]
        if not state:
            state["step"] = 0
            state["square_avg"] = xp.zeros_like(p._data)
            state["acc_delta"] = xp.zeros_like(p._data)
        state["step"] += 1
        if group["maximize"]:
            g = -g
        if group["weight_decay"] != 0:
            g = g + group["weight_decay"] * p._data
        v, u = state["square_avg"], state["acc_delta"]
        v *= rho
        v += (1 - rho) * g * g                        # v_t = ρ v_{t-1} + (1 - ρ) g²
        delta = xp.sqrt(u + eps) / xp.sqrt(v + eps) * g
        u *= rho
        u += (1 - rho) * delta * delta                # u_t = ρ u_{t-1} + (1 - ρ) Δx²
        p._data -= group["lr"] * delta


# ----------------------------------------------------------------------------
# Adam and AdamW
# ----------------------------------------------------------------------------

class Adam(Optimizer):
    r"""Adam: momentum on the gradient, RMSprop on its square, both bias-corrected.

    .. math::

        \begin{aligned}
        &\textbf{input}: \gamma \text{ (lr)},\ \beta_1, \beta_2 \text{ (betas)},\
            \theta_0 \text{ (params)},\ f(\theta) \text{ (objective)},\\
        &\hspace{13mm} \lambda \text{ (weight}\_\text{decay)},\ \textit{amsgrad},\
            \epsilon \text{ (eps)}\\
        &\textbf{initialize}: m_0 \leftarrow 0 \text{ (first moment)},\
            v_0 \leftarrow 0 \text{ (second moment)},\ v_0^{max} \leftarrow 0\\
        &\textbf{for}\ t = 1, 2, \ldots\ \textbf{do}\\
        &\quad g_t \leftarrow \nabla_\theta f_t(\theta_{t-1})
            \quad (\textbf{if}\ \textit{maximize}:\ g_t \leftarrow -g_t)\\
        &\quad \textbf{if}\ \lambda \neq 0:\ g_t \leftarrow g_t + \lambda \theta_{t-1}\\
        &\quad m_t \leftarrow \beta_1 m_{t-1} + (1 - \beta_1) g_t\\
        &\quad v_t \leftarrow \beta_2 v_{t-1} + (1 - \beta_2) g_t^2\\
        &\quad \widehat{m}_t \leftarrow m_t / (1 - \beta_1^t)\\
        &\quad \textbf{if}\ \textit{amsgrad}:\
            v_t^{max} \leftarrow \max(v_{t-1}^{max}, v_t),\quad
            \widehat{v}_t \leftarrow v_t^{max} / (1 - \beta_2^t)\\
        &\quad \textbf{else}:\ \widehat{v}_t \leftarrow v_t / (1 - \beta_2^t)\\
        &\quad \theta_t \leftarrow \theta_{t-1}
            - \gamma\, \widehat{m}_t / \bigl(\sqrt{\widehat{v}_t} + \epsilon\bigr)\\
        &\textbf{return}\ \theta_t
        \end{aligned}

    :math:`m` and :math:`v` start at 0, so early on they underestimate the
    moments by the factors :math:`1 - \beta^t`; dividing by those factors (the
    bias correction) removes the bias. Kingma & Ba (2015), *Adam: a method for
    stochastic optimization*, ICLR; AMSGrad: Reddi, Kale & Kumar (2018), *On the
    convergence of Adam and beyond*, ICLR.

    Parameters
    ----------
    params : iterable
    lr : float
        :math:`\gamma`, default ``1e-3``.
    betas : tuple of float
        :math:`(\beta_1, \beta_2)`, default ``(0.9, 0.999)``, each in
        :math:`[0, 1)`.
    eps : float
        :math:`\epsilon`, default ``1e-8``.
    weight_decay : float
        :math:`\lambda`, default 0: an L2 penalty added to the gradient, which
        Adam then rescales (see :class:`AdamW` for the decoupled form).
    amsgrad : bool
    maximize : bool

    Notes
    -----
    AMSGrad as implemented by PyTorch keeps the maximum of the *uncorrected*
    :math:`v_t` and bias-corrects it afterwards, as written above (the paper has
    no bias correction at all).
    """

    _decoupled = False

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, maximize=False):
        name = type(self).__name__
        _check(name, lr, lambda: lr >= 0, "learning rate lr (must be >= 0)")
        _check(name, eps, lambda: eps >= 0, "eps (must be >= 0)")
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise TypeError(f"{name}: betas must be a pair (beta1, beta2), got "
                            f"{type(betas).__name__} {betas!r}.")
        _check(name, betas[0], lambda: 0 <= betas[0] < 1, "beta parameter at index 0 (must be in [0, 1))")
        _check(name, betas[1], lambda: 0 <= betas[1] < 1, "beta parameter at index 1 (must be in [0, 1))")
        _check(name, weight_decay, lambda: weight_decay >= 0, "weight_decay (must be >= 0)")
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay, amsgrad=amsgrad,
                                      maximize=maximize))

    def _update(self, p, g, state, group):
        xp = backend.namespace_of(p._data)
        lr, (beta1, beta2), wd = group["lr"], group["betas"], group["weight_decay"]
        if not state:
            state["step"] = 0
            state["exp_avg"] = xp.zeros_like(p._data)
            state["exp_avg_sq"] = xp.zeros_like(p._data)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = xp.zeros_like(p._data)
        state["step"] += 1
        t = state["step"]
        if group["maximize"]:
            g = -g
        if wd != 0:
            if self._decoupled:
                p._data *= 1 - lr * wd                 # AdamW: shrink the weights directly
            else:
                g = g + wd * p._data                   # Adam: L2 penalty in the gradient
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m *= beta1
        m += (1 - beta1) * g                          # m_t = β₁ m_{t-1} + (1 - β₁) g
        v *= beta2
        v += (1 - beta2) * g * g                      # v_t = β₂ v_{t-1} + (1 - β₂) g²
        if group["amsgrad"]:
            v_max = state["max_exp_avg_sq"]
            v_max[...] = xp.maximum(v_max, v)
            v = v_max
        bias_correction1 = 1 - beta1**t
        bias_correction2 = 1 - beta2**t
        denom = xp.sqrt(v) / math.sqrt(bias_correction2) + group["eps"]   # √v̂ + ε
        p._data -= (lr / bias_correction1) * (m / denom)                  # γ m̂ / (√v̂ + ε)


class AdamW(Adam):
    r"""Adam with decoupled weight decay (as ``torch.optim.AdamW``).

    .. math::

        \begin{aligned}
        &\textbf{input}: \gamma \text{ (lr)},\ \beta_1, \beta_2 \text{ (betas)},\
            \theta_0 \text{ (params)},\ f(\theta) \text{ (objective)},\
            \lambda \text{ (weight}\_\text{decay)},\ \textit{amsgrad},\ \epsilon \text{ (eps)}\\
        &\textbf{for}\ t = 1, 2, \ldots\ \textbf{do}\\
        &\quad g_t \leftarrow \nabla_\theta f_t(\theta_{t-1})\\
        &\quad \theta_{t-1} \leftarrow \theta_{t-1} - \gamma \lambda \theta_{t-1}\\
        &\quad \text{the Adam step with } \lambda = 0 \text{ (above)}\\
        &\textbf{return}\ \theta_t
        \end{aligned}

    With Adam's L2 penalty the decay term :math:`\lambda\theta` passes through
    the division by :math:`\sqrt{\widehat{v}}`, so weights with large gradients
    are decayed less. AdamW shrinks every weight by the same factor
    :math:`1 - \gamma\lambda` instead, outside the adaptive step. Loshchilov &
    Hutter (2019), *Decoupled weight decay regularization*, ICLR.

    Parameters are those of :class:`Adam`, with ``weight_decay`` defaulting to
    ``1e-2`` as in PyTorch.
    """

    _decoupled = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, maximize=False):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                         amsgrad=amsgrad, maximize=maximize)
