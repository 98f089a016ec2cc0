r"""Learning-rate schedules, as ``torch.optim.lr_scheduler``.

A scheduler changes ``group["lr"]`` in its optimizer's parameter groups. Build
it after the optimizer; call ``scheduler.step()`` once per epoch, *after*
``optimizer.step()``::

    optimizer = SGD(model.parameters(), lr=0.1)
    scheduler = StepLR(optimizer, step_size=30, gamma=0.1)
    for epoch in range(100):
        train_one_epoch(model, optimizer)      # calls optimizer.step()
        scheduler.step()

Constructing a scheduler records each group's starting learning rate as
``group["initial_lr"]`` (the :math:`\gamma_0` below) and sets epoch
:math:`t = 0`; each ``step()`` advances :math:`t` by one.

.. note::

   nnlearn computes each schedule from its closed form,
   :math:`\gamma_t = \gamma_0 \cdot \text{factor}(t)`. PyTorch's schedulers
   (except :class:`LambdaLR`) instead multiply the *current* learning rate
   by the ratio :math:`\text{factor}(t)/\text{factor}(t-1)` ("chainable"
   form). The numbers are the same, up to rounding, unless you change
   ``group["lr"]`` by hand or stack two schedulers on one optimizer, which
   nnlearn does not support.
"""

from __future__ import annotations

import bisect
import math
import numbers
from collections.abc import Mapping

from .optimizer import Optimizer

__all__ = [
    "LRScheduler",
    "StepLR",
    "MultiStepLR",
    "ExponentialLR",
    "CosineAnnealingLR",
    "LambdaLR",
    "LinearLR",
    "OneCycleLR",
    "CosineAnnealingWarmRestarts",
    "ReduceLROnPlateau",
]


def _real(where, name, value):
    """A hyperparameter that must be a real number (TypeError otherwise)."""
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        raise TypeError(f"{where}: {name} must be a number, got {type(value).__name__} {value!r}.")
    return value


def _checked_state(sched, state_dict, own):
    """A scheduler state dict, checked against the scheduler's own state ``own``
    before anything is changed: a dict, no unknown keys, numbers where numbers are."""
    where = f"{type(sched).__name__}.load_state_dict"
    if not isinstance(state_dict, Mapping):
        raise TypeError(f"{where} expects a dict from scheduler.state_dict(), got "
                        f"{type(state_dict).__name__}.")
    unknown = sorted(map(str, set(state_dict) - set(own)))
    if unknown:
        raise ValueError(f"{where}: unknown keys {unknown} (a state dict of another scheduler "
                         f"or of an optimizer?); this scheduler's keys are {sorted(own)}.")
    for k, v in state_dict.items():
        cur = own[k]
        if isinstance(cur, numbers.Real) and not isinstance(cur, bool) and (
                not isinstance(v, numbers.Real) or isinstance(v, bool)):
            raise TypeError(f"{where}: {k!r} must be a number (now {cur!r}), got "
                            f"{type(v).__name__} {v!r}.")
    return state_dict


def _positive_int(where, name, value):
    if not isinstance(value, numbers.Integral) or isinstance(value, bool):
        raise TypeError(f"{where}: {name} must be a positive integer, got {type(value).__name__} {value!r}.")
    if value <= 0:
        raise ValueError(f"{where}: {name} must be a positive integer, got {value!r}.")
    return int(value)


class LRScheduler:
    r"""Base class: :math:`\gamma_t = \gamma_0 \cdot \text{factor}(t)` per group.

    Subclasses define :obj:`factor`. ``last_epoch`` is :math:`t`, the number
    of ``step()`` calls so far.

    Parameters
    ----------
    optimizer : nnlearn.optim.Optimizer
    last_epoch : int
        ``-1`` (the default) starts a new schedule. To resume, pass the epoch
        reached; the groups must then already hold ``"initial_lr"``.
    """

    def __init__(self, optimizer, last_epoch=-1):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(
                f"{type(self).__name__} needs an nnlearn optimizer, got "
                f"{type(optimizer).__name__}."
            )
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(
                        f"param_groups[{i}] has no 'initial_lr': to resume a schedule with "
                        "last_epoch >= 0, load the optimizer's state dict first."
                    )
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self.step()

    def factor(self, epoch):
        """The multiplier of the initial learning rate at ``epoch``."""
        raise NotImplementedError(f"{type(self).__name__} must define factor(epoch), the multiplier "
                                  "of the initial learning rate")

    def get_lr(self):
        """The learning rates of epoch ``last_epoch``, one per group."""
        return [base * self.factor(self.last_epoch) for base in self.base_lrs]

    def step(self):
        """Advance one epoch and set the groups' learning rates."""
        self.last_epoch += 1
        for group, lr in zip(self.optimizer.param_groups, self.get_lr()):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self):
        """The learning rates set by the last ``step()`` (a list, one per group)."""
        return list(self._last_lr)

    def state_dict(self):
        """Everything but the optimizer (and, for :class:`LambdaLR`, the functions)."""
        return {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "lr_lambdas")}

    def load_state_dict(self, state_dict):
        """Restore a state from :obj:`state_dict` (checked first; on error nothing changes)."""
        self.__dict__.update(_checked_state(self, state_dict, self.state_dict()))


class StepLR(LRScheduler):
    r"""Decay by ``gamma`` every ``step_size`` epochs.

    .. math:: \gamma_t = \gamma_0 \cdot \text{gamma}^{\lfloor t / \text{step}\_\text{size} \rfloor}

    Example: ``StepLR(opt, step_size=30, gamma=0.1)`` gives 0.1, …, 0.01 from
    epoch 30, 0.001 from epoch 60 when ``lr=0.1``.
    """

    def __init__(self, optimizer, step_size, gamma=0.1, last_epoch=-1):
        self.step_size, self.gamma = _positive_int("StepLR", "step_size", step_size), _real("StepLR", "gamma", gamma)
        super().__init__(optimizer, last_epoch)

    def factor(self, epoch):
        return self.gamma ** (epoch // self.step_size)


class MultiStepLR(LRScheduler):
    r"""Decay by ``gamma`` at each epoch listed in ``milestones``.

    .. math:: \gamma_t = \gamma_0 \cdot \text{gamma}^{\#\{m \in \text{milestones}:\ m \le t\}}

    Example: ``MultiStepLR(opt, milestones=[30, 80], gamma=0.1)``.
    """

    def __init__(self, optimizer, milestones, gamma=0.1, last_epoch=-1):
        if not isinstance(milestones, (list, tuple, set, range)) or not all(
                isinstance(m, numbers.Integral) and not isinstance(m, bool) for m in milestones):
            raise TypeError(f"MultiStepLR: milestones must be a list of epoch numbers (ints), e.g. [30, 80], "
                            f"got {type(milestones).__name__} {milestones!r}.")
        if any(m < 0 for m in milestones):
            raise ValueError(f"MultiStepLR: milestones are epoch numbers >= 0, got {sorted(milestones)}.")
        self.milestones, self.gamma = sorted(milestones), _real("MultiStepLR", "gamma", gamma)
        super().__init__(optimizer, last_epoch)

    def factor(self, epoch):
        return self.gamma ** bisect.bisect_right(self.milestones, epoch)


class ExponentialLR(LRScheduler):
    r"""Decay by ``gamma`` every epoch.

    .. math:: \gamma_t = \gamma_0 \cdot \text{gamma}^t

    Example: ``ExponentialLR(opt, gamma=0.95)``.
    """

    def __init__(self, optimizer, gamma, last_epoch=-1):
        self.gamma = _real("ExponentialLR", "gamma", gamma)
        super().__init__(optimizer, last_epoch)

    def factor(self, epoch):
        return self.gamma**epoch


class CosineAnnealingLR(LRScheduler):
    r"""Cosine annealing from the initial rate down to ``eta_min`` in ``T_max`` epochs.

    .. math::

        \gamma_t = \eta_{min} + \tfrac12 (\gamma_0 - \eta_{min})
        \left(1 + \cos\frac{\pi t}{T_{max}}\right)

    Loshchilov & Hutter (2017), *SGDR: stochastic gradient descent with warm
    restarts*, ICLR (here without the restarts). Past ``T_max`` the cosine
    carries on, so the rate rises again, as in PyTorch.

    Example: ``CosineAnnealingLR(opt, T_max=100)``.
    """

    def __init__(self, optimizer, T_max, eta_min=0.0, last_epoch=-1):
        if _real("CosineAnnealingLR", "T_max", T_max) <= 0:
            raise ValueError(f"CosineAnnealingLR: T_max must be positive, got {T_max!r}.")
        self.T_max, self.eta_min = T_max, _real("CosineAnnealingLR", "eta_min", eta_min)
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        t, T = self.last_epoch, self.T_max
        return [self.eta_min + (base - self.eta_min) * (1 + math.cos(math.pi * t / T)) / 2
                for base in self.base_lrs]


class LambdaLR(LRScheduler):
    r"""The initial rate times a function of the epoch.

    .. math:: \gamma_t = \gamma_0 \cdot \text{lr}\_\text{lambda}(t)

    ``lr_lambda`` is one function or a list with one per parameter group.

    Example: ``LambdaLR(opt, lambda epoch: 1 / (1 + epoch))``.
    """

    def __init__(self, optimizer, lr_lambda, last_epoch=-1):
        n = len(optimizer.param_groups)
        if isinstance(lr_lambda, (list, tuple)):
            if len(lr_lambda) != n:
                raise ValueError(f"LambdaLR: expected {n} lr_lambdas (one per group), got {len(lr_lambda)}.")
            self.lr_lambdas = list(lr_lambda)
        else:
            self.lr_lambdas = [lr_lambda] * n
        for f in self.lr_lambdas:
            if not callable(f):
                raise TypeError(f"LambdaLR: lr_lambda must be a function of the epoch, got {type(f).__name__}.")
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        factors = []
        for f in self.lr_lambdas:
            factor = f(self.last_epoch)
            if not isinstance(factor, numbers.Real) or isinstance(factor, bool):
                raise TypeError(
                    f"LambdaLR: lr_lambda({self.last_epoch}) returned {type(factor).__name__} "
                    f"{factor!r}; it must return a number, the factor of the initial learning rate "
                    "(did the function forget a `return`?)."
                )
            factors.append(factor)
        return [base * factor for base, factor in zip(self.base_lrs, factors)]


class LinearLR(LRScheduler):
    r"""Change the rate linearly from ``start_factor`` to ``end_factor`` times the initial rate.

    .. math::

        \gamma_t = \gamma_0 \left(\text{start} + (\text{end} - \text{start})
        \frac{\min(t, \text{total}\_\text{iters})}{\text{total}\_\text{iters}}\right)

    Used as a warm-up: ``LinearLR(opt, start_factor=0.1, total_iters=5)``.
    """

    def __init__(self, optimizer, start_factor=1.0 / 3, end_factor=1.0, total_iters=5,
                 last_epoch=-1):
        if not 0 < _real("LinearLR", "start_factor", start_factor) <= 1:
            raise ValueError(f"LinearLR: start_factor must be in (0, 1], got {start_factor!r}.")
        if not 0 <= _real("LinearLR", "end_factor", end_factor) <= 1:
            raise ValueError(f"LinearLR: end_factor must be in [0, 1], got {end_factor!r}.")
        # (PyTorch accepts total_iters=0 and then keeps start_factor for ever)
        total_iters = _positive_int("LinearLR", "total_iters", total_iters)
        self.start_factor, self.end_factor, self.total_iters = start_factor, end_factor, total_iters
        super().__init__(optimizer, last_epoch)

    def factor(self, epoch):
        progress = min(epoch, self.total_iters) / self.total_iters
        return self.start_factor + (self.end_factor - self.start_factor) * progress


class OneCycleLR(LRScheduler):
    r"""The 1cycle policy: warm up to ``max_lr``, then anneal far below the start.

    Smith & Topin (2019), *Super-convergence: very fast training of neural
    networks using large learning rates*. Stepped once per *batch*, for
    ``total_steps`` (or ``epochs * steps_per_epoch``) steps. With
    :math:`T` = ``total_steps``, :math:`\gamma_{start} = \text{max\_lr}/\text{div\_factor}`
    and :math:`\gamma_{min} = \gamma_{start}/\text{final\_div\_factor}`:

    - phase 1, steps :math:`0 \ldots pT - 1` (:math:`p` = ``pct_start``):
      :math:`\gamma_{start} \to \text{max\_lr}`;
    - phase 2, up to step :math:`T - 1`: :math:`\text{max\_lr} \to \gamma_{min}`

    (``three_phase=True``: up, back down to :math:`\gamma_{start}` by step
    :math:`2pT - 2`, then to :math:`\gamma_{min}`). Within a phase of
    fraction :math:`\pi_t \in [0, 1]` the rate moves from :math:`a` to
    :math:`b` as :math:`b + \tfrac{a-b}{2}(1 + \cos \pi\pi_t)`
    (``anneal_strategy="cos"``) or :math:`a + (b-a)\pi_t` (``"linear"``).
    With ``cycle_momentum`` the momentum (SGD's ``momentum``, Adam's
    :math:`\beta_1`) moves the opposite way, between ``max_momentum`` and
    ``base_momentum``. Stepping past ``total_steps`` raises, as in PyTorch.

    Example: ``OneCycleLR(opt, max_lr=0.1, epochs=10, steps_per_epoch=len(loader))``.
    """

    def __init__(self, optimizer, max_lr, total_steps=None, epochs=None, steps_per_epoch=None,
                 pct_start=0.3, anneal_strategy="cos", cycle_momentum=True, base_momentum=0.85,
                 max_momentum=0.95, div_factor=25.0, final_div_factor=1e4, three_phase=False,
                 last_epoch=-1):
        where = "OneCycleLR"
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{where} needs an nnlearn optimizer, got {type(optimizer).__name__}.")
        if total_steps is not None:
            self.total_steps = _positive_int(where, "total_steps", total_steps)
        elif epochs is not None and steps_per_epoch is not None:
            self.total_steps = (_positive_int(where, "epochs", epochs)
                                * _positive_int(where, "steps_per_epoch", steps_per_epoch))
        else:
            raise ValueError(f"{where}: give either total_steps or both epochs and steps_per_epoch.")
        if not 0 <= _real(where, "pct_start", pct_start) <= 1:
            raise ValueError(f"{where}: pct_start must be between 0 and 1, got {pct_start!r}.")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"{where}: anneal_strategy must be 'cos' or 'linear', got {anneal_strategy!r}.")
        _real(where, "div_factor", div_factor)
        _real(where, "final_div_factor", final_div_factor)
        T = self.total_steps
        if three_phase:
            self.phases = [(float(pct_start * T) - 1, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                           (float(2 * pct_start * T) - 2, "max_lr", "initial_lr", "base_momentum", "max_momentum"),
                           (T - 1, "initial_lr", "min_lr", "max_momentum", "max_momentum")]
        else:
            self.phases = [(float(pct_start * T) - 1, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                           (T - 1, "max_lr", "min_lr", "base_momentum", "max_momentum")]
        self.anneal_strategy = anneal_strategy
        groups = optimizer.param_groups
        if last_epoch == -1:
            for group, lr in zip(groups, _per_group(where, "max_lr", max_lr, len(groups))):
                group["initial_lr"] = lr / div_factor
                group["max_lr"] = lr
                group["min_lr"] = group["initial_lr"] / final_div_factor
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
                raise ValueError("optimizer must support momentum or beta1 with `cycle_momentum` option enabled")
            self.use_beta1 = "betas" in optimizer.defaults
            if last_epoch == -1:
                for group, m_max, m_base in zip(groups, _per_group(where, "max_momentum", max_momentum, len(groups)),
                                                _per_group(where, "base_momentum", base_momentum, len(groups))):
                    self._set_momentum(group, m_max)
                    group["max_momentum"], group["base_momentum"] = m_max, m_base
        super().__init__(optimizer, last_epoch)

    def _set_momentum(self, group, m):
        if self.use_beta1:
            group["betas"] = (m, *group["betas"][1:])
        else:
            group["momentum"] = m

    def _anneal(self, start, end, pct):
        if self.anneal_strategy == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def get_lr(self):
        """The rates of step ``last_epoch`` (and, with ``cycle_momentum``, sets the momenta)."""
        t = self.last_epoch
        if t > self.total_steps:
            raise ValueError(f"Tried to step {t} times. The specified number of total steps is "
                             f"{self.total_steps} (OneCycleLR is stepped once per batch).")
        lrs = []
        for group in self.optimizer.param_groups:
            start_step = 0.0
            for i, (end_step, lr0, lr1, m0, m1) in enumerate(self.phases):
                if t <= end_step or i == len(self.phases) - 1:
                    pct = (t - start_step) / (end_step - start_step)
                    lrs.append(self._anneal(group[lr0], group[lr1], pct))
                    if self.cycle_momentum:
                        self._set_momentum(group, self._anneal(group[m0], group[m1], pct))
                    break
                start_step = end_step
        return lrs


class CosineAnnealingWarmRestarts(LRScheduler):
    r"""Cosine annealing with warm restarts (SGDR; Loshchilov & Hutter, 2017).

    .. math::

        \gamma_t = \eta_{min} + \tfrac12 (\gamma_0 - \eta_{min})
        \left(1 + \cos\frac{\pi\, T_{cur}}{T_i}\right),

    where :math:`T_{cur}` counts the epochs since the last restart and the
    :math:`i`-th cycle lasts :math:`T_i = T_0\, T_{mult}^{\,i}` epochs; at each
    restart the rate jumps back to :math:`\gamma_0`. ``step()`` advances one
    epoch; ``step(epoch)`` accepts a fractional epoch (``epoch + i / iters``,
    to anneal within an epoch), as in PyTorch.

    Example: ``CosineAnnealingWarmRestarts(opt, T_0=10, T_mult=2)``.
    """

    def __init__(self, optimizer, T_0, T_mult=1, eta_min=0.0, last_epoch=-1):
        where = "CosineAnnealingWarmRestarts"
        self.T_0 = self.T_i = _positive_int(where, "T_0", T_0)
        self.T_mult = _positive_int(where, "T_mult", T_mult)
        self.eta_min = _real(where, "eta_min", eta_min)
        self.T_cur = last_epoch
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        return [self.eta_min + (base - self.eta_min) * (1 + math.cos(math.pi * self.T_cur / self.T_i)) / 2
                for base in self.base_lrs]

    def step(self, epoch=None):
        """Advance one epoch, or jump to (possibly fractional) ``epoch``."""
        if epoch is None and self.last_epoch < 0:
            epoch = 0
        if epoch is None:
            epoch = self.last_epoch + 1
            self.T_cur += 1
            if self.T_cur >= self.T_i:
                self.T_cur = self.T_cur % self.T_i
                self.T_i *= self.T_mult
        else:
            if _real(type(self).__name__, "epoch", epoch) < 0:
                raise ValueError(f"Expected non-negative epoch, but got {epoch}")
            if epoch >= self.T_0:
                if self.T_mult == 1:
                    self.T_cur = epoch % self.T_0
                else:
                    n = int(math.log((epoch / self.T_0 * (self.T_mult - 1) + 1), self.T_mult))
                    self.T_cur = epoch - self.T_0 * (self.T_mult**n - 1) / (self.T_mult - 1)
                    self.T_i = self.T_0 * self.T_mult**n
            else:
                self.T_i, self.T_cur = self.T_0, epoch
        self.last_epoch = math.floor(epoch)
        for group, lr in zip(self.optimizer.param_groups, self.get_lr()):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]


def _per_group(where, name, value, n):
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            raise ValueError(f"{where}: expected {n} values for {name}, got {len(value)}.")
        return [_real(where, name, v) for v in value]
    return [_real(where, name, value)] * n


class ReduceLROnPlateau:
    r"""Divide the rate by ``1 / factor`` when a metric stops improving.

    Call ``scheduler.step(val_loss)`` once per epoch. A value is an
    improvement when, with ``mode="min"`` and ``threshold_mode="rel"``, it is
    below :math:`\text{best}\,(1 - \text{threshold})` (``"abs"``:
    below :math:`\text{best} - \text{threshold}`; ``mode="max"`` mirrors
    these). After more than ``patience`` epochs in a row without improvement,
    each group's rate becomes :math:`\max(\gamma\cdot\text{factor}, \text{min}\_\text{lr})`
    (changes smaller than ``eps`` are skipped) and ``cooldown`` epochs follow in
    which bad epochs are not counted.

    Parameters
    ----------
    optimizer : nnlearn.optim.Optimizer
    mode : {"min", "max"}
    factor : float
        Multiplier, < 1 (default 0.1).
    patience : int
        Epochs without improvement tolerated (default 10).
    threshold : float
        Minimal significant improvement (default ``1e-4``).
    threshold_mode : {"rel", "abs"}
    cooldown : int
    min_lr : float or list of float
    eps : float
    """

    def __init__(self, optimizer, mode="min", factor=0.1, patience=10, threshold=1e-4,
                 threshold_mode="rel", cooldown=0, min_lr=0, eps=1e-8):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"ReduceLROnPlateau needs an nnlearn optimizer, got {type(optimizer).__name__}.")
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau: factor must be < 1, got {factor!r}.")
        if mode not in ("min", "max"):
            raise ValueError(f"ReduceLROnPlateau: mode must be 'min' or 'max', got {mode!r}.")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(f"ReduceLROnPlateau: threshold_mode must be 'rel' or 'abs', got {threshold_mode!r}.")
        n = len(optimizer.param_groups)
        if isinstance(min_lr, (list, tuple)):
            if len(min_lr) != n:
                raise ValueError(f"ReduceLROnPlateau: expected {n} min_lrs, got {len(min_lr)}.")
            self.min_lrs = list(min_lr)
        else:
            self.min_lrs = [min_lr] * n
        self.optimizer, self.mode, self.factor = optimizer, mode, factor
        self.patience, self.threshold, self.threshold_mode = patience, threshold, threshold_mode
        self.cooldown, self.eps = cooldown, eps
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        self.last_epoch = 0
        self._last_lr = [group["lr"] for group in optimizer.param_groups]

    def is_better(self, a, best):
        """Whether the metric value ``a`` improves on ``best`` by the threshold."""
        if self.mode == "min" and self.threshold_mode == "rel":
            return a < best * (1.0 - self.threshold)
        if self.mode == "min":
            return a < best - self.threshold
        if self.threshold_mode == "rel":
            return a > best * (1.0 + self.threshold)
        return a > best + self.threshold

    def step(self, metrics):
        """Record this epoch's metric; reduce the rates if it has plateaued."""
        if hasattr(metrics, "item") and getattr(metrics, "ndim", 0) == 0:
            metrics = metrics.item()
        if not isinstance(metrics, numbers.Real) or isinstance(metrics, bool):
            raise TypeError(f"ReduceLROnPlateau.step(metrics): metrics must be a number, the monitored "
                            f"quantity (e.g. the epoch's val_loss), got {type(metrics).__name__} {metrics!r}.")
        current = float(metrics)
        self.last_epoch += 1
        if self.is_better(current, self.best):
            self.best, self.num_bad_epochs = current, 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            for group, min_lr in zip(self.optimizer.param_groups, self.min_lrs):
                new_lr = max(group["lr"] * self.factor, min_lr)
                if group["lr"] - new_lr > self.eps:
                    group["lr"] = new_lr
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self):
        """The current learning rates, one per group."""
        return list(self._last_lr)

    def state_dict(self):
        return {k: v for k, v in self.__dict__.items() if k != "optimizer"}

    def load_state_dict(self, state_dict):
        """Restore a state from :obj:`state_dict` (checked first; on error nothing changes)."""
        self.__dict__.update(_checked_state(self, state_dict, self.state_dict()))
