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

from .optimizer import Optimizer

__all__ = [
    "LRScheduler",
    "StepLR",
    "MultiStepLR",
    "ExponentialLR",
    "CosineAnnealingLR",
    "LambdaLR",
    "LinearLR",
    "ReduceLROnPlateau",
]


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
        self.__dict__.update(state_dict)


class StepLR(LRScheduler):
    r"""Decay by ``gamma`` every ``step_size`` epochs.

    .. math:: \gamma_t = \gamma_0 \cdot \text{gamma}^{\lfloor t / \text{step}\_\text{size} \rfloor}

    Example: ``StepLR(opt, step_size=30, gamma=0.1)`` gives 0.1, …, 0.01 from
    epoch 30, 0.001 from epoch 60 when ``lr=0.1``.
    """

    def __init__(self, optimizer, step_size, gamma=0.1, last_epoch=-1):
        if not isinstance(step_size, int) or step_size <= 0:
            raise ValueError(f"StepLR: step_size must be a positive integer, got {step_size!r}.")
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer, last_epoch)

    def factor(self, epoch):
        return self.gamma ** (epoch // self.step_size)


class MultiStepLR(LRScheduler):
    r"""Decay by ``gamma`` at each epoch listed in ``milestones``.

    .. math:: \gamma_t = \gamma_0 \cdot \text{gamma}^{\#\{m \in \text{milestones}:\ m \le t\}}

    Example: ``MultiStepLR(opt, milestones=[30, 80], gamma=0.1)``.
    """

    def __init__(self, optimizer, milestones, gamma=0.1, last_epoch=-1):
        self.milestones, self.gamma = sorted(milestones), gamma
        super().__init__(optimizer, last_epoch)

    def factor(self, epoch):
        return self.gamma ** bisect.bisect_right(self.milestones, epoch)


class ExponentialLR(LRScheduler):
    r"""Decay by ``gamma`` every epoch.

    .. math:: \gamma_t = \gamma_0 \cdot \text{gamma}^t

    Example: ``ExponentialLR(opt, gamma=0.95)``.
    """

    def __init__(self, optimizer, gamma, last_epoch=-1):
        self.gamma = gamma
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
        if T_max <= 0:
            raise ValueError(f"CosineAnnealingLR: T_max must be positive, got {T_max!r}.")
        self.T_max, self.eta_min = T_max, eta_min
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
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        return [base * f(self.last_epoch) for base, f in zip(self.base_lrs, self.lr_lambdas)]


class LinearLR(LRScheduler):
    r"""Change the rate linearly from ``start_factor`` to ``end_factor`` times the initial rate.

    .. math::

        \gamma_t = \gamma_0 \left(\text{start} + (\text{end} - \text{start})
        \frac{\min(t, \text{total}\_\text{iters})}{\text{total}\_\text{iters}}\right)

    Used as a warm-up: ``LinearLR(opt, start_factor=0.1, total_iters=5)``.
    """

    def __init__(self, optimizer, start_factor=1.0 / 3, end_factor=1.0, total_iters=5,
                 last_epoch=-1):
        if not 0 < start_factor <= 1:
            raise ValueError(f"LinearLR: start_factor must be in (0, 1], got {start_factor!r}.")
        if not 0 <= end_factor <= 1:
            raise ValueError(f"LinearLR: end_factor must be in [0, 1], got {end_factor!r}.")
        self.start_factor, self.end_factor, self.total_iters = start_factor, end_factor, total_iters
        super().__init__(optimizer, last_epoch)

    def factor(self, epoch):
        progress = min(epoch, self.total_iters) / self.total_iters
        return self.start_factor + (self.end_factor - self.start_factor) * progress


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
        self.__dict__.update(state_dict)
